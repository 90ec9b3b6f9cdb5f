// Scripted stand-in for pmproxy 6.0.3's PMWEBAPI, on raw node:net sockets so every byte (framing,
// header order, faults) is under the test's control. Wire format copied from recorded captures
// (test/fixtures/pmwebapi/).
//
//   const fake = await startFakePmwebapi({ contextIds: [1508114417] });
//   fake.state.interfaces[0].in += 1000n;          // counters are u64 BigInt (2n ** 64n - 1n wraps)
//   fake.state.faults.push({ path: '/fetch', dripBytes: 1, everyMs: 1 });
//   const res = await fetch(`${fake.url}/pmapi/fetch?names=network.interface.in.bytes`);
//   fake.requests[0]  // { method, target, path, query, version, headers, status, close, fault }
//   await fake.close();
//
// Endpoints (modern): /pmapi/context, /pmapi/fetch, /pmapi/indom, /pmapi/metric, each also as
// /pmapi/<ctx>/<endpoint>. Legacy (pmwebd "compat"): /pmapi/_context, /pmapi/<ctx>/_fetch,
// /pmapi/<ctx>/_indom, /pmapi/<ctx>/_metric (numeric pmid/indom, {"s","us"} timestamps, no context key).
// Script (fake.state, mutable at any time):
//   interfaces [{instance,name,in,out}]  network.interface.{in,out}.bytes; fetch lists them in array
//                                        order, /indom in reverse order (what the recorded pmproxy did)
//   pings [{instance,tag,real,status,error}]  shping.time.real (float, -1 = timeout) / status / error
//   missingMetrics  names answered as absent (e.g. shping agent down: fetch drops them, HTTP 200)
//   timestamp {sec,nsec}  sample time; modern form prints nsec WITHOUT zero padding, like pmproxy
//   contexts Map<id,{pollMs,lastUsed,expiredAt?}>; contextIds = ids handed out next (else random)
//   date  fixed Date for the Date header (default: now)
// Faults: state.faults is a queue; a request takes the first fault whose `path` (substring of the
// request target, or any if absent) matches and whose `times` (default 1) is not used up. See Fault.
// Framing as pmproxy: body < 4096 B -> Content-Length; bigger -> "Transfer-encoding: chunked" on
// HTTP/1.1, 413 on HTTP/1.0. Connection closes after HTTP/1.0 (unless keep-alive) or
// "Connection: close", yet the header always says "Connection: Keep-Alive". Chunk sizes are
// upper-case hex; the real server cuts chunks at ~4.2 KB item boundaries, the fake at 4096 B. Like
// pmproxy 6.0.3, a chunked reply on a connection that will close stops after the first chunk.
// Context expiry uses the wall clock: idle > polltimeout (default 5 s) -> "expired context
// identifier" for 2 s (pmproxy's GC period), then "unknown context identifier". expireContext(id)
// and gc() force both steps without waiting.
import { createServer, type Server, type Socket } from 'node:net';

export interface FakeInterface {
  instance: number;
  name: string;
  in: bigint;
  out: bigint;
}
export interface FakePing {
  instance: number;
  tag: string;
  real: number;
  status: number;
  error: number;
  command?: string;
}
export interface FakeContext {
  pollMs: number;
  lastUsed: number;
  expiredAt?: number;
}

export interface Fault {
  /** substring of the request target this fault applies to; any request if absent */
  path?: string;
  /** how many matching requests it applies to (default 1) */
  times?: number;
  delayMs?: number;
  /** write the response `dripBytes` bytes at a time, `everyMs` apart */
  dripBytes?: number;
  everyMs?: number;
  /** write exactly these TCP segment sizes (then the rest), or one byte per write ('bytewise') */
  segments?: number[] | 'bytewise';
  /** send only the first N bytes of the whole response, then FIN */
  truncateAfter?: number;
  /** send the header and half the body, then destroy the socket */
  closeMidBody?: boolean;
  /** RST the connection instead of answering */
  reset?: boolean;
  /** add this many bytes of JSON whitespace to the body (crosses the 4096 B framing limit) */
  oversize?: number;
  /** cut the JSON body in half (Content-Length stays consistent with what is sent) */
  malformedJson?: boolean;
  /** answer this HTTP status with an HTML body instead (e.g. 500, 503, 404) */
  status?: number;
  /** expire the request's context just before handling it */
  expireContext?: boolean;
  /** forget the request's context just before handling it, as a pmproxy restart does: the reply is
   * pmproxy's "unknown context identifier" error (err-unknown-ctx.body). With a large `times`,
   * every matching request fails that way however many new contexts the client makes. */
  forgetContext?: boolean;
  /** announce this Content-Length instead of the real one */
  contentLength?: number;
  /** answer exactly this body (hostile servers): with `status` (default 200), as JSON if `json`, else HTML */
  body?: string;
  json?: boolean;
  /** redirect: answer `status` (default 301) with this Location header */
  location?: string;
}

export interface FakeState {
  interfaces: FakeInterface[];
  pings: FakePing[];
  missingMetrics: Set<string>;
  timestamp: { sec: number; nsec: number };
  contexts: Map<number, FakeContext>;
  contextIds: number[];
  faults: (Fault & { used?: number })[];
  date?: Date;
  hostname: string;
  domainname: string;
  machineid: string;
  source: string;
}

export interface RequestLog {
  method: string;
  target: string;
  path: string;
  query: Record<string, string>;
  version: string;
  headers: Record<string, string>;
  status: number;
  close: boolean;
  fault?: Fault;
}

export interface FakePmwebapi {
  url: string;
  port: number;
  state: FakeState;
  requests: RequestLog[];
  expireContext(id: number): void;
  gc(): void;
  close(): Promise<void>;
}

export interface FakeOptions {
  state?: Partial<FakeState>;
  contextIds?: number[];
}

const CHUNK_LIMIT = 4096;
const DEFAULT_POLL_MS = 5000;
const GC_PERIOD_MS = 2000;
const MAX_REQUEST_HEAD = 8192;
const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  301: 'Moved Permanently',
  302: 'Found',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  404: 'Not Found',
  413: 'Payload Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

interface MetricDesc {
  name: string;
  series: string;
  domain: number;
  cluster: number;
  item: number;
  indom: [number, number];
  type: 'u64' | 'float' | '32' | 'string';
  sem: string;
  units: string;
  oneline: string;
  help: string;
  agentLabels: Record<string, string>;
}
const NET_LABELS = { agent: 'linux', device_type: 'interface', indom_name: 'per interface' };
const METRICS: MetricDesc[] = [
  {
    name: 'network.interface.in.bytes',
    series: '884d87a67bf28885415a0f143f49def85e635488',
    domain: 60,
    cluster: 3,
    item: 0,
    indom: [60, 3],
    type: 'u64',
    sem: 'counter',
    units: 'byte',
    agentLabels: NET_LABELS,
    oneline: 'network recv read bytes from /proc/net/dev per network interface',
    help: 'bytes column on the "Receive" side of /proc/net/dev (stats->rx_bytes counter in\nrtnl_link_stats64)',
  },
  {
    name: 'network.interface.out.bytes',
    series: '734abca2760c66d4520ee047af3576737da173dd',
    domain: 60,
    cluster: 3,
    item: 8,
    indom: [60, 3],
    type: 'u64',
    sem: 'counter',
    units: 'byte',
    agentLabels: NET_LABELS,
    oneline: 'network send bytes from /proc/net/dev per network interface',
    help: 'bytes column on the "Transmit" side of /proc/net/dev\n(stats->tx_bytes counter in rtnl_link_stats64)',
  },
  {
    name: 'shping.time.real',
    series: '0af06539a67b9ca8cd1e631e0b3ba6bf92cd4583',
    domain: 19,
    cluster: 0,
    item: 0,
    indom: [19, 0],
    type: 'float',
    sem: 'instant',
    units: 'millisec',
    agentLabels: {},
    oneline: 'elapsed time for a command',
    help: 'Elapsed milliseconds of the last run of each command; -1 on timeout.',
  },
  {
    name: 'shping.status',
    series: 'e1266521f692398cc66ac81e45db4864ecb77d4c',
    domain: 19,
    cluster: 0,
    item: 6,
    indom: [19, 0],
    type: '32',
    sem: 'instant',
    units: 'none',
    agentLabels: {},
    oneline: 'command execution status for shping PMDA',
    help: 'Status of the last run of each command.',
  },
  {
    name: 'shping.error',
    series: 'b67a3b8fce346080095f35b6115a998faceb00f1',
    domain: 19,
    cluster: 0,
    item: 10,
    indom: [19, 0],
    type: '32',
    sem: 'instant',
    units: 'none',
    agentLabels: {},
    oneline: 'command execution error code for shping PMDA',
    help: 'Error code of the last run of each command.',
  },
  {
    name: 'shping.cmd',
    series: 'ca309dcd821d27f810da7f768d8120cf921e5ffc',
    domain: 19,
    cluster: 0,
    item: 7,
    indom: [19, 0],
    type: 'string',
    sem: 'discrete',
    units: 'none',
    agentLabels: {},
    oneline: 'commands run by shping PMDA',
    help: 'The sh(1) command line of each instance.',
  },
];
const INDOM_TEXT: Record<string, { oneline: string; help: string; labels: Record<string, string> }> = {
  '60.3': {
    oneline: 'set of network interfaces',
    help: 'set of network interfaces',
    labels: { device_type: 'interface', indom_name: 'per interface' },
  },
  '19.0': {
    oneline: 'shping command instance domain',
    help: 'One instance per shping command; the name is its tag.',
    labels: {},
  },
};

/** The defaults reproduce the recorded machine ("vm", lo/ifb0/ifb1/eth0, one loopback ping). */
export function defaultState(): FakeState {
  return {
    interfaces: [
      { instance: 0, name: 'lo', in: 29026n, out: 29026n },
      { instance: 1, name: 'ifb0', in: 0n, out: 0n },
      { instance: 2, name: 'ifb1', in: 0n, out: 0n },
      { instance: 3, name: 'eth0', in: 247779774n, out: 851767n },
    ],
    pings: [{ instance: 0, tag: 'lo', real: 6.787, status: 0, error: 0 }],
    missingMetrics: new Set(),
    timestamp: { sec: 1795811302, nsec: 161206379 },
    contexts: new Map(),
    contextIds: [],
    faults: [],
    hostname: 'vm',
    domainname: 'localdomain',
    machineid: '3d1219c7c4c5404aaa1f6d2a48adfda4',
    source: '81540769f309cae4b59d5d434d6bb15a19c0e014',
  };
}

export async function startFakePmwebapi(opts: FakeOptions = {}): Promise<FakePmwebapi> {
  const state: FakeState = { ...defaultState(), ...opts.state };
  if (opts.contextIds) state.contextIds.push(...opts.contextIds);
  const requests: RequestLog[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    serveConnection(sock, state, requests);
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => res());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    state,
    requests,
    expireContext(id) {
      const c = state.contexts.get(id);
      if (c) c.expiredAt = Date.now();
    },
    gc() {
      for (const [id, c] of state.contexts) if (contextStatus(c, Date.now()) !== 'live') state.contexts.delete(id);
    },
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
  };
}

function serveConnection(sock: Socket, state: FakeState, requests: RequestLog[]): void {
  sock.setNoDelay(true);
  sock.on('error', () => {}); // clients may reset; the fake must never crash the test process
  let buf = Buffer.alloc(0);
  let busy = false;
  const pump = async () => {
    if (busy) return;
    busy = true;
    try {
      for (;;) {
        const end = headEnd(buf);
        if (end < 0) {
          if (buf.length > MAX_REQUEST_HEAD) {
            sock.end();
          }
          return;
        }
        const head = buf.subarray(0, end.valueOf()).toString('latin1');
        buf = buf.subarray(end + (buf[end] === 0x0d ? 4 : 2));
        const keep = await answer(sock, head, state, requests);
        if (!keep || sock.destroyed) return;
      }
    } finally {
      busy = false;
    }
  };
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    void pump();
  });
}

/** Index of the blank line ending the request head (CRLF or bare LF, both accepted by pmproxy). */
function headEnd(buf: Buffer): number {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return crlf;
  return lf;
}

interface Reply {
  status: number;
  type: 'json' | 'html';
  body: string;
  headers?: Record<string, string>;
}

async function answer(sock: Socket, head: string, state: FakeState, requests: RequestLog[]): Promise<boolean> {
  const [line = '', ...hdrLines] = head.split(/\r?\n/);
  const [method = '', target = '', versionTok] = line.split(' ');
  const version = versionTok === 'HTTP/1.0' ? '1.0' : '1.1';
  const headers: Record<string, string> = {};
  for (const h of hdrLines) {
    const i = h.indexOf(':');
    if (i > 0) headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  const conn = (headers.connection ?? '').toLowerCase();
  let close = conn === 'close' || (version === '1.0' && conn !== 'keep-alive');
  const url = new URL(target.startsWith('/') ? target : `/${target}`, 'http://fake');
  const query = Object.fromEntries(url.searchParams);
  const fault = takeFault(state, target);
  const log: RequestLog = { method, target, path: url.pathname, query, version, headers, status: 0, close, fault };
  requests.push(log);

  if (fault?.delayMs) await sleep(fault.delayMs);
  if (fault?.reset) {
    sock.resetAndDestroy();
    log.status = -1;
    return false;
  }

  let reply: Reply =
    fault?.location !== undefined
      ? { status: fault.status ?? 301, type: 'html', body: '', headers: { Location: fault.location } }
      : fault?.body !== undefined
        ? { status: fault.status ?? 200, type: fault.json ? 'json' : 'html', body: fault.body }
        : fault?.status
          ? htmlError(fault.status, 'fake fault', 'scripted failure')
          : route(url.pathname, query, state, fault);
  if (fault?.oversize) reply.body = reply.body.replace(/\}\r\n$/, `${' '.repeat(fault.oversize)}}\r\n`);
  if (fault?.malformedJson) reply.body = reply.body.slice(0, Math.floor(reply.body.length / 2));

  const big = Buffer.byteLength(reply.body) >= CHUNK_LIMIT;
  if (big && version === '1.0') {
    reply = htmlError(413, 'webapi servlet', 'HTTP 1.0 request result exceeds server limits');
    close = true;
  }
  log.status = reply.status;
  log.close = close;
  let bytes = encode(reply, version, big && version === '1.1', state, fault?.contentLength);
  // pmproxy 6.0.3 bug (verified): a chunked reply with "Connection: close" stops after the first chunk
  if (big && close) bytes = bytes.subarray(0, bytes.indexOf('\r\n', bytes.indexOf('\r\n\r\n') + 4) + 2 + CHUNK_LIMIT);
  await send(sock, bytes, fault);
  if (close && !sock.destroyed) sock.end();
  return !close;
}

function takeFault(state: FakeState, target: string): Fault | undefined {
  const f = state.faults.find(
    (x) => (x.path === undefined || target.includes(x.path)) && (x.used ?? 0) < (x.times ?? 1),
  );
  if (f) f.used = (f.used ?? 0) + 1;
  return f;
}

function encode(reply: Reply, version: string, chunked: boolean, state: FakeState, fakeLength?: number): Buffer {
  const body = Buffer.from(reply.body, 'utf8');
  const framing = chunked ? 'Transfer-encoding: chunked' : `Content-Length: ${fakeLength ?? body.length}`;
  const headText =
    `HTTP/${version} ${reply.status} ${STATUS_TEXT[reply.status] ?? 'Error'}\r\n` +
    'Connection: Keep-Alive\r\nAccess-Control-Allow-Origin: *\r\n' +
    'Access-Control-Allow-Headers: Accept, Accept-Language, Content-Language, Content-Type\r\n' +
    `Access-Control-Max-Age: 86400\r\n${framing}\r\n` +
    `Content-Type: ${reply.type === 'json' ? 'application/json' : 'text/html'}\r\n` +
    Object.entries(reply.headers ?? {})
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('') +
    `Date: ${(state.date ?? new Date()).toUTCString()}\r\n\r\n`;
  if (!chunked) return Buffer.concat([Buffer.from(headText, 'latin1'), body]);
  const parts: Buffer[] = [Buffer.from(headText, 'latin1')];
  for (let i = 0; i < body.length; i += CHUNK_LIMIT) {
    const piece = body.subarray(i, i + CHUNK_LIMIT);
    parts.push(Buffer.from(`${piece.length.toString(16).toUpperCase()}\r\n`), piece, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

async function send(sock: Socket, bytes: Buffer, fault?: Fault): Promise<void> {
  if (fault?.truncateAfter !== undefined) bytes = bytes.subarray(0, fault.truncateAfter);
  if (fault?.closeMidBody) {
    const bodyStart = bytes.indexOf('\r\n\r\n') + 4;
    sock.write(bytes.subarray(0, bodyStart + Math.floor((bytes.length - bodyStart) / 2)));
    await sleep(5);
    sock.destroy();
    return;
  }
  let sizes: number[] = [];
  if (fault?.segments === 'bytewise') sizes = Array.from({ length: bytes.length }, () => 1);
  else if (fault?.segments) sizes = fault.segments;
  else if (fault?.dripBytes)
    sizes = Array.from({ length: Math.ceil(bytes.length / fault.dripBytes) }, () => fault.dripBytes!);
  let off = 0;
  for (const n of sizes) {
    if (off >= bytes.length || sock.destroyed) break;
    sock.write(bytes.subarray(off, off + n));
    off += n;
    await sleep(fault?.everyMs ?? 1); // a gap so each write leaves as its own TCP segment
  }
  if (off < bytes.length && !sock.destroyed) sock.write(bytes.subarray(off));
  if (fault?.truncateAfter !== undefined && !sock.destroyed) sock.end();
}

// ---- endpoints ----

type Ctx = { id: number } | { error: Reply };

function route(path: string, q: Record<string, string>, state: FakeState, fault?: Fault): Reply {
  const m = /^\/pmapi\/(?:(\d+)\/)?(_?)(context|fetch|indom|metric)$/.exec(path);
  if (!m) return htmlError(400, 'unknown servlet', 'no handler for URL');
  const [, pathCtx, compat, op] = m;
  if (op === 'context') {
    if (pathCtx) return htmlError(400, 'unknown servlet', 'no handler for URL');
    const poll = q.polltimeout === undefined ? DEFAULT_POLL_MS / 1000 : Number(q.polltimeout);
    if (!Number.isFinite(poll)) return json(400, '{"message":"invalid timeout requested in polltime","success":false}');
    const id = newContext(state, poll * 1000);
    if (compat) return json(200, `{"context":${id}}`);
    return json(
      200,
      `{"context":${id},"source":"${state.source}","hostspec":${str(state.hostname)},"labels":${labels(state, {})}}`,
    );
  }
  if (op === 'fetch' && q.names === undefined && q.pmids === undefined && q.name === undefined) {
    return htmlError(400, 'webapi servlet', 'failed to process URL');
  }
  if (op === 'indom' && q.name === undefined && q.indom === undefined)
    return htmlError(400, 'webapi servlet', 'failed to process URL');
  if (fault?.forgetContext) state.contexts.delete(Number(pathCtx ?? q.context));
  const ctx = useContext(state, pathCtx ?? q.context, fault?.expireContext ?? false);
  if ('error' in ctx) return ctx.error;
  if (op === 'fetch') return fetchReply(state, ctx.id, q, compat === '_');
  if (op === 'indom') return indomReply(state, ctx.id, q, compat === '_');
  return metricReply(state, ctx.id, q, compat === '_');
}

function newContext(state: FakeState, pollMs: number): number {
  const id = state.contextIds.shift() ?? 1 + Math.floor(Math.random() * 0x7ffffffe);
  state.contexts.set(id, { pollMs, lastUsed: Date.now() });
  return id;
}

function contextStatus(c: FakeContext, now: number): 'live' | 'expired' | 'gone' {
  const expiredAt = c.expiredAt ?? (now - c.lastUsed > c.pollMs ? c.lastUsed + c.pollMs : undefined);
  if (expiredAt === undefined) return 'live';
  return now - expiredAt >= GC_PERIOD_MS ? 'gone' : 'expired';
}

function useContext(state: FakeState, given: string | undefined, expireNow: boolean): Ctx {
  if (given === undefined) return { id: newContext(state, DEFAULT_POLL_MS) };
  if (!/^\d+$/.test(given))
    return {
      error: json(400, `{"context":${given},"message":"invalid context identifier: ${given}","success":false}`),
    };
  const id = Number(given);
  const c = state.contexts.get(id);
  if (c && expireNow) c.expiredAt = Date.now();
  const status = c ? contextStatus(c, Date.now()) : 'gone';
  if (status === 'gone') {
    state.contexts.delete(id);
    return { error: json(400, `{"context":${id},"message":"unknown context identifier: ${id}","success":false}`) };
  }
  if (status === 'expired')
    return { error: json(400, `{"context":${id},"message":"expired context identifier: ${id}","success":false}`) };
  c!.lastUsed = Date.now();
  return { id };
}

function findMetric(state: FakeState, name: string): MetricDesc | undefined {
  return state.missingMetrics.has(name) ? undefined : METRICS.find((d) => d.name === name);
}

function fetchReply(state: FakeState, ctx: number, q: Record<string, string>, compat: boolean): Reply {
  const list = (q.names ?? q.name ?? '').split(',').filter((n) => n !== '');
  const byPmid = (q.pmids ?? '')
    .split(',')
    .filter((p) => p !== '')
    .map((p) => METRICS.find((d) => pmidStr(d) === p || String(pmidNum(d)) === p)?.name ?? '');
  const names = [...list, ...byPmid];
  if (names.length === 0)
    return json(400, `{"context":${ctx},"message":"Insufficient elements in list","success":false}`);
  const values = names
    .map((n) => findMetric(state, n))
    .filter((d) => d !== undefined)
    .map((d) => {
      const inst = instancesOf(state, d)
        .map((i) => `{"instance":${i.instance},"value":${i.value}}`)
        .join(',');
      const pmid = compat ? String(pmidNum(d)) : `"${pmidStr(d)}"`;
      return `{"pmid":${pmid},"name":"${d.name}","instances":[${inst}]}`;
    })
    .join(',');
  const { sec, nsec } = state.timestamp;
  if (compat) return json(200, `{"timestamp":{"s":${sec},"us":${Math.floor(nsec / 1000)}},"values":[${values}]}`);
  return json(200, `{"context":${ctx},"timestamp":${sec}.${nsec},"values":[${values}]}`);
}

function instancesOf(state: FakeState, d: MetricDesc): { instance: number; value: string }[] {
  switch (d.name) {
    case 'network.interface.in.bytes':
      return state.interfaces.map((i) => ({ instance: i.instance, value: u64(i.in) }));
    case 'network.interface.out.bytes':
      return state.interfaces.map((i) => ({ instance: i.instance, value: u64(i.out) }));
    case 'shping.time.real':
      return state.pings.map((p) => ({ instance: p.instance, value: float32(p.real) }));
    case 'shping.status':
      return state.pings.map((p) => ({ instance: p.instance, value: String(p.status | 0) }));
    case 'shping.cmd':
      return state.pings.map((p) => ({ instance: p.instance, value: str(p.command ?? '') }));
    default:
      return state.pings.map((p) => ({ instance: p.instance, value: String(p.error | 0) }));
  }
}

function indomReply(state: FakeState, ctx: number, q: Record<string, string>, compat: boolean): Reply {
  let indom: string | undefined;
  if (q.name !== undefined) {
    const d = findMetric(state, q.name);
    if (!d)
      return json(400, `{"context":${ctx},"message":${str(`${q.name} - failed to lookup metric`)},"success":false}`);
    indom = d.indom.join('.');
  } else {
    indom = Object.keys(INDOM_TEXT).find((k) => k === q.indom || String(indomNum(k)) === q.indom);
    // not recorded from a real pmproxy: the message is the fake's own
    if (!indom)
      return json(400, `{"context":${ctx},"message":${str(`${q.indom} - unknown instance domain`)},"success":false}`);
  }
  const text = INDOM_TEXT[indom]!;
  const host = labels(state, {});
  const all =
    indom === '60.3'
      ? state.interfaces.map((i) => ({ instance: i.instance, name: i.name }))
      : state.pings.map((p) => ({ instance: p.instance, name: p.tag }));
  const wanted = q.iname?.split(',');
  const insts = all
    .filter((i) => !wanted || wanted.includes(i.name))
    .reverse()
    .map((i) => `{"instance":${i.instance},"name":${str(i.name)},"labels":${host}}`)
    .join(',');
  const head = compat ? `{"indom":${indomNum(indom)}` : `{"context":${ctx},"indom":"${indom}"`;
  return json(
    200,
    `${head},"labels":${labels(state, text.labels)},"text-oneline":${str(text.oneline)},` +
      `"text-help":${str(text.help)},"instances":[${insts}]}`,
  );
}

function metricReply(state: FakeState, ctx: number, q: Record<string, string>, compat: boolean): Reply {
  let ds: MetricDesc[];
  if (q.prefix !== undefined) {
    ds = METRICS.filter(
      (d) => !state.missingMetrics.has(d.name) && (d.name === q.prefix || d.name.startsWith(`${q.prefix}.`)),
    );
  } else {
    const names = (q.names ?? q.name ?? '').split(',').filter((n) => n !== '');
    ds = [];
    for (const n of names) {
      const d = findMetric(state, n);
      if (!d)
        return json(
          400,
          `{"context":${ctx},"message":${str(`${n} traversal failed - Unknown metric name`)},"success":false}`,
        );
      ds.push(d);
    }
  }
  const items = ds
    .map((d) => {
      const pmid = compat ? String(pmidNum(d)) : `"${pmidStr(d)}"`;
      const indom = compat ? String(indomNum(d.indom.join('.'))) : `"${d.indom.join('.')}"`;
      return (
        `{"name":"${d.name}","series":"${d.series}","pmid":${pmid},"indom":${indom},"type":"${d.type}",` +
        `"sem":"${d.sem}","units":"${d.units}","labels":${labels(state, d.agentLabels)},` +
        `"text-oneline":${str(d.oneline)},"text-help":${str(d.help)}}`
      );
    })
    .join(',');
  return json(200, `{"context":${ctx},"metrics":[${items}]}`);
}

// ---- encoding helpers (pmproxy's conventions) ----

function json(status: number, body: string): Reply {
  return { status, type: 'json', body: `${body}\r\n` };
}

function htmlError(status: number, servlet: string, message: string): Reply {
  const title = `${status} ${STATUS_TEXT[status] ?? 'Error'}`;
  return {
    status,
    type: 'html',
    body:
      `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<h1>${title}</h1>\r\n` +
      `<p><b>${servlet}</b>: ${message}</p><hr>\r\n<p><small><i>pmproxy/6.0.3</i></small></p>\r\n</body>\r\n</html>\r\n`,
  };
}

/** Labels are merged with the host labels and sorted by key, as pmproxy prints them. */
function labels(state: FakeState, extra: Record<string, string>): string {
  const all: Record<string, string> = {
    ...extra,
    domainname: state.domainname,
    hostname: state.hostname,
    machineid: state.machineid,
  };
  return `{${Object.keys(all)
    .sort()
    .map((k) => `"${k}":${str(all[k]!)}`)
    .join(',')}}`;
}

/** pmproxy escapes quotes and control characters as \u00XX (upper-case hex). */
function str(s: string): string {
  return `"${s.replace(/["\\\x00-\x1f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`)}"`;
}

function u64(v: bigint): string {
  return BigInt.asUintN(64, v).toString(); // values past 2^64-1 wrap like the kernel counter would
}

/** A PCP float printed with %.8g. */
export function float32(v: number): string {
  const f = Math.fround(v);
  if (f === 0) return '0';
  if (!Number.isFinite(f)) return f > 0 ? 'inf' : f < 0 ? '-inf' : 'nan';
  const exp = Math.floor(Math.log10(Math.abs(f)));
  if (exp < -4 || exp >= 8) {
    const [mant = '', e = '0'] = f.toExponential(7).split('e');
    const n = Number(e);
    return `${trimZeros(mant)}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return trimZeros(f.toPrecision(8));
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

function pmidStr(d: MetricDesc): string {
  return `${d.domain}.${d.cluster}.${d.item}`;
}
function pmidNum(d: MetricDesc): number {
  return d.domain * 2 ** 22 + d.cluster * 2 ** 10 + d.item;
}
function indomNum(indom: string): number {
  const [dom = 0, ser = 0] = indom.split('.').map(Number);
  return dom * 2 ** 22 + ser;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
