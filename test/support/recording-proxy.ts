// A recording TCP proxy for tests (127.0.0.1 only): forwards every connection to
// a PMWEBAPI server unchanged and splits both byte streams into HTTP exchanges,
// so a test can check the LCD against the very fetch replies the poller got.
// Plus a fetch-body parser that keeps every digit (BigInt counters, the
// timestamp's fraction as integer nanoseconds).
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Exchange {
  /** Connection number (1, 2, ...), in accept order. */
  conn: number;
  method: string;
  /** Request target, e.g. "/pmapi/fetch?context=1&names=..." */
  path: string;
  status: number;
  body: string;
  /** performance.now() when the last byte of the reply was forwarded. */
  doneAt: number;
}

export interface RecordingProxy {
  port: number;
  /** Every complete request/reply pair so far, in completion order. */
  readonly exchanges: Exchange[];
  /** Framing the proxy could not follow (the bytes were still forwarded). */
  readonly errors: string[];
  close(): Promise<void>;
}

const HEAD_END = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

interface Head {
  first: string;
  headers: Map<string, string>;
  size: number;
}

function parseHead(buf: Buffer): Head | undefined {
  const end = buf.indexOf(HEAD_END);
  if (end < 0) return undefined;
  const [first = '', ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
  const headers = new Map<string, string>();
  for (const l of lines) {
    const colon = l.indexOf(':');
    if (colon > 0) headers.set(l.slice(0, colon).trim().toLowerCase(), l.slice(colon + 1).trim());
  }
  return { first, headers, size: end + HEAD_END.length };
}

/** A de-chunked body and the bytes it took, undefined while incomplete; throws on bad framing. */
function readChunked(buf: Buffer, from: number): { body: Buffer; end: number } | undefined {
  const parts: Buffer[] = [];
  let off = from;
  for (;;) {
    const nl = buf.indexOf(CRLF, off);
    if (nl < 0) return undefined;
    const sizeText = buf.subarray(off, nl).toString('latin1').split(';')[0].trim();
    if (!/^[0-9a-fA-F]+$/.test(sizeText))
      throw new Error(`bad chunk size line ${JSON.stringify(sizeText.slice(0, 40))}`);
    const size = parseInt(sizeText, 16);
    if (size === 0) {
      // No trailers from pmproxy: the last chunk is followed by one empty line.
      if (buf.length < nl + 4) return undefined;
      return { body: Buffer.concat(parts), end: nl + 4 };
    }
    if (buf.length < nl + 2 + size + 2) return undefined;
    parts.push(buf.subarray(nl + 2, nl + 2 + size));
    off = nl + 2 + size + 2;
  }
}

/** One reply from the front of `buf`: undefined while incomplete. `closed`: the server has ended the stream. */
function readReply(buf: Buffer, closed: boolean): { status: number; body: Buffer; end: number } | undefined {
  const head = parseHead(buf);
  if (!head) return undefined;
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(head.first);
  if (!m) throw new Error(`bad status line ${JSON.stringify(head.first.slice(0, 60))}`);
  const status = Number(m[1]);
  if (status === 204 || status === 304 || (status >= 100 && status < 200))
    return { status, body: Buffer.alloc(0), end: head.size };
  if (/chunked/i.test(head.headers.get('transfer-encoding') ?? '')) {
    const r = readChunked(buf, head.size);
    return r && { status, ...r };
  }
  const len = head.headers.get('content-length');
  if (len !== undefined) {
    if (!/^\d+$/.test(len)) throw new Error(`bad Content-Length ${JSON.stringify(len)}`);
    const end = head.size + Number(len);
    return buf.length >= end ? { status, body: buf.subarray(head.size, end), end } : undefined;
  }
  // Neither: the body runs to the end of the connection.
  return closed ? { status, body: buf.subarray(head.size), end: buf.length } : undefined;
}

/** One request from the front of `buf` (GETs, or bodies with Content-Length). */
function readRequest(buf: Buffer): { method: string; path: string; end: number } | undefined {
  const head = parseHead(buf);
  if (!head) return undefined;
  const [method = '', path = ''] = head.first.split(' ');
  const end = head.size + Number(head.headers.get('content-length') ?? 0);
  return buf.length >= end ? { method, path, end } : undefined;
}

/** Listens on 127.0.0.1 (a free port) and forwards to 127.0.0.1:targetPort. */
export async function startRecordingProxy(targetPort: number): Promise<RecordingProxy> {
  const exchanges: Exchange[] = [];
  const errors: string[] = [];
  const sockets = new Set<Socket>();
  let conns = 0;

  const server: Server = createServer((client) => {
    const conn = ++conns;
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let req = Buffer.alloc(0),
      res = Buffer.alloc(0),
      broken = false;
    const pending: { method: string; path: string }[] = [];

    const parse = (closed: boolean) => {
      if (broken) return;
      try {
        for (let r = readRequest(req); r; r = readRequest(req)) {
          pending.push(r);
          req = req.subarray(r.end);
        }
        for (let r = readReply(res, closed); r; r = readReply(res, closed)) {
          const q = pending.shift();
          if (!q) throw new Error('a reply without a request');
          exchanges.push({
            conn,
            method: q.method,
            path: q.path,
            status: r.status,
            body: r.body.toString('utf8'),
            doneAt: performance.now(),
          });
          res = res.subarray(r.end);
        }
      } catch (e) {
        broken = true;
        errors.push(`connection ${conn}: ${(e as Error).message}`);
      }
    };
    // Forward first, then record: the recording never delays or changes the bytes.
    client.on('data', (d: Buffer) => {
      upstream.write(d);
      req = Buffer.concat([req, d]);
      parse(false);
    });
    upstream.on('data', (d: Buffer) => {
      client.write(d);
      res = Buffer.concat([res, d]);
      parse(false);
    });
    upstream.on('end', () => {
      parse(true);
      client.end();
    });
    client.on('end', () => upstream.end());
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', drop);
    upstream.on('close', drop);
    client.on('error', drop);
    upstream.on('error', drop);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    exchanges,
    errors,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

// --- fetch replies -------------------------------------------------------------

/** A modern /pmapi/fetch or legacy /pmapi/<ctx>/_fetch request. */
export const FETCH_PATH = /^\/pmapi\/(?:\d+\/_)?fetch\?/;
export const LEGACY_FETCH_PATH = /^\/pmapi\/\d+\/_fetch\?/;

export interface FetchSample {
  /** Server sample time: whole seconds and nanoseconds within the second. */
  sec: bigint;
  ns: bigint;
  /** metric name -> instance id -> integer value (non-integer values are left out). */
  values: Map<string, Map<number, bigint>>;
}

/** The successful fetch replies recorded so far, oldest first. */
export function fetchReplies(proxy: RecordingProxy): { path: string; sample: FetchSample; doneAt: number }[] {
  return proxy.exchanges
    .filter((e) => e.status === 200 && FETCH_PATH.test(e.path))
    .map((e) => ({ path: e.path, sample: parseFetchBody(e.body), doneAt: e.doneAt }));
}

/**
 * Parses a fetch body without losing digits: integers are quoted before
 * JSON.parse. Modern timestamps are "<sec>.<ns>" where pmproxy 6.0.3 does not
 * zero-pad the nanoseconds ("18.1013862" is 18 s + 1,013,862 ns); legacy ones
 * are {"s":..,"us":..}.
 */
export function parseFetchBody(text: string): FetchSample {
  const quoted = text
    .replace(/("timestamp"\s*:\s*)(\d+(?:\.\d+)?)(?=\s*[,}])/, '$1"$2"')
    .replace(/("(?:value|s|us)"\s*:\s*)(-?\d+)(?=\s*[,}\]])/g, '$1"$2"');
  const body = JSON.parse(quoted) as {
    timestamp?: string | { s?: string; us?: string };
    values?: { name?: string; instances?: { instance?: number | null; value?: unknown }[] }[];
  };
  let sec: bigint, ns: bigint;
  const ts = body.timestamp;
  if (typeof ts === 'string') {
    const [s, frac = '0'] = ts.split('.');
    if (frac.length > 9) throw new Error(`timestamp fraction longer than nanoseconds: ${ts}`);
    sec = BigInt(s);
    ns = BigInt(frac);
  } else if (ts && typeof ts.s === 'string' && typeof ts.us === 'string') {
    sec = BigInt(ts.s);
    ns = BigInt(ts.us) * 1000n;
  } else {
    throw new Error(`fetch reply without a timestamp: ${text.slice(0, 120)}`);
  }
  if (!Array.isArray(body.values)) throw new Error(`fetch reply without "values": ${text.slice(0, 120)}`);
  const values = new Map<string, Map<number, bigint>>();
  for (const m of body.values) {
    const inst = new Map<number, bigint>();
    for (const i of m.instances ?? []) {
      if (typeof i.value === 'string' && /^-?\d+$/.test(i.value)) inst.set(i.instance ?? -1, BigInt(i.value));
    }
    if (m.name) values.set(m.name, inst);
  }
  return { sec, ns, values };
}

/** The instance id of `name` in the latest recorded indom reply that lists it. */
export function instanceId(proxy: RecordingProxy, name: string): number {
  for (let i = proxy.exchanges.length - 1; i >= 0; i--) {
    const e = proxy.exchanges[i];
    if (e.status !== 200 || !/^\/pmapi\/(?:\d+\/_)?indom\?/.test(e.path)) continue;
    const body = JSON.parse(e.body) as { instances?: { instance: number; name: string }[] };
    const hit = body.instances?.find((x) => x.name === name);
    if (hit) return hit.instance;
  }
  throw new Error(`no recorded indom reply names instance "${name}"`);
}
