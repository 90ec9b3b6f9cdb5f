// The fake PMWEBAPI server against the recorded pmproxy 6.0.3 captures, and its scripted faults.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  startFakePmwebapi,
  defaultState,
  float32,
  type FakePmwebapi,
  type FakeState,
} from '../support/pmwebapi-fake.ts';
import { rawHttp, parseResponse, getJson } from '../support/pcp.ts';

const FIX = join(import.meta.dirname, '../fixtures/pmwebapi');
const fixture = (f: string) => readFileSync(join(FIX, f), 'latin1');

/** Request (as curl sent it) and response header lines (Date dropped) from a curl -sv capture. */
function capture(name: string): { request: string; headers: string[]; statusLine: string; body: string } {
  const lines = fixture(`${name}.hdr`)
    .split('\n')
    .map((l) => l.replace(/\r$/, ''));
  const req = lines.filter((l) => l.startsWith('> ')).map((l) => l.slice(2));
  const res = lines.filter((l) => l.startsWith('< ') && l.length > 2).map((l) => l.slice(2));
  return {
    request: `${req.join('\r\n')}\r\n`,
    statusLine: res[0]!,
    headers: res.slice(1).filter((h) => !h.startsWith('Date:')),
    body: readFileSync(join(FIX, `${name}.body`), 'utf8'),
  };
}

/** Script the fake with the values a recorded modern or compat fetch body carried. */
function scriptFrom(state: FakeState, body: string): void {
  const ts = /"timestamp":(\d+)\.(\d+)/.exec(body);
  if (ts) state.timestamp = { sec: Number(ts[1]), nsec: Number(ts[2]) };
  const compat = /"timestamp":\{"s":(\d+),"us":(\d+)\}/.exec(body);
  if (compat) state.timestamp = { sec: Number(compat[1]), nsec: Number(compat[2]) * 1000 + 123 };
  const j = JSON.parse(body) as { values: { name: string; instances: { instance: number; value: number }[] }[] };
  for (const v of j.values) {
    for (const i of v.instances) {
      if (v.name.startsWith('network.interface.')) {
        const iface = state.interfaces.find((x) => x.instance === i.instance)!;
        if (v.name.endsWith('in.bytes')) iface.in = BigInt(i.value);
        else iface.out = BigInt(i.value);
      } else {
        const p = state.pings.find((x) => x.instance === i.instance)!;
        if (v.name === 'shping.time.real') p.real = i.value;
        if (v.name === 'shping.status') p.status = i.value;
        if (v.name === 'shping.error') p.error = i.value;
      }
    }
  }
}

const withFail = (s: FakeState) => {
  s.pings = [
    { instance: 0, tag: 'lo', real: 0, status: 0, error: 0 },
    { instance: 1, tag: 'fail', real: 0, status: 0, error: 0 },
  ];
};
const live =
  (...ids: number[]) =>
  (s: FakeState) => {
    for (const id of ids) s.contexts.set(id, { pollMs: 60_000, lastUsed: Date.now() });
  };
const nextIds =
  (...ids: number[]) =>
  (s: FakeState) => {
    s.contextIds.push(...ids);
  };

// name -> how to script the fake so it must reproduce that capture byte for byte
const EXACT: Record<string, (s: FakeState) => void> = {
  'fetch-ctx': live(1508114417),
  'fetch-ctxpath': live(1508114417),
  'fetch-noctx': nextIds(1326671682),
  'err-mixed-metric': live(1508114417),
  'err-unknown-metric': live(1508114417),
  'legacy-fetch': live(2128471627),
  'shping-fetch': (s) => {
    withFail(s);
    s.contextIds.push(1580976836);
  },
  'shping-legacy-fetch': (s) => {
    withFail(s);
    live(2128471627)(s);
  },
  indom: live(1508114417),
  'legacy-indom': live(2128471627),
  metric1: live(1508114417),
  metric: live(1508114417),
  'legacy-metric-prefix': live(2128471627),
  'legacy-context-underscore': nextIds(219304303),
  'legacy-ctx-hostname': nextIds(2128471627),
  'err-bad-ctx': () => {},
  'err-bad-polltimeout': () => {},
  'err-fetch-emptynames': nextIds(165169242),
  'err-fetch-noparams': () => {},
  'err-indom-noparams': () => {},
  'err-root': () => {},
  'err-unknown-endpoint': () => {},
  'err-unknown-ctx': () => {},
  'err-unknown-ctxpath': () => {},
  'err-unknown-indom': live(1508114417),
  'err-unknown-metric-meta': live(1508114417),
  'legacy-fetch-unknownctx': () => {},
};

describe('fake pmproxy reproduces recorded captures', () => {
  for (const [name, script] of Object.entries(EXACT)) {
    test(name, async () => {
      const cap = capture(name);
      const fake = await startFakePmwebapi();
      try {
        script(fake.state);
        if (/"values":\[/.test(cap.body)) scriptFrom(fake.state, cap.body);
        const res = await rawHttp(fake.port, cap.request);
        assert.equal(res.statusLine, cap.statusLine);
        assert.deepEqual(
          res.headers.filter((h) => !h.startsWith('Date:')),
          cap.headers,
        );
        assert.equal(res.body, cap.body);
        assert.equal(res.closed, false, 'HTTP/1.1 without Connection: close stays open');
      } finally {
        await fake.close();
      }
    });
  }

  test("shping indom and metric match structurally (help prose is the fake's own)", async () => {
    const fake = await startFakePmwebapi();
    try {
      withFail(fake.state);
      const indom = JSON.parse(capture('shping-indom').body);
      const got = (await getJson(`${fake.url}/pmapi/indom?name=shping.time.real`)).body;
      assert.equal(got.indom, indom.indom);
      assert.deepEqual(got.instances, indom.instances);
      assert.deepEqual(got.labels, indom.labels);
      const metric = JSON.parse(capture('shping-metric').body);
      const gotM = (
        await getJson<{ metrics: Record<string, unknown>[] }>(
          `${fake.url}/pmapi/metric?names=shping.time.real,shping.status,shping.error,shping.cmd`,
        )
      ).body;
      const strip = (m: Record<string, unknown>) => ({ ...m, 'text-help': undefined });
      assert.deepEqual(gotM.metrics.map(strip), metric.metrics.map(strip));
    } finally {
      await fake.close();
    }
  });

  test('HTTP/1.0 fetch: same bytes as the raw capture, then the server closes', async () => {
    const fake = await startFakePmwebapi({ contextIds: [1471950511] });
    try {
      const rec = fixture('raw-http10-nohost.txt');
      const expected =
        rec.slice(0, rec.indexOf('\r\n\r\n') + 4) +
        rec.slice(rec.indexOf('{'), rec.indexOf('\r\n', rec.indexOf('{')) + 2);
      const date = /Date: (.*)\r\n/.exec(expected)![1]!;
      fake.state.date = new Date(date);
      scriptFrom(fake.state, /\{.*\}/.exec(rec)![0]);
      const res = await rawHttp(
        fake.port,
        'GET /pmapi/fetch?names=network.interface.in.bytes,network.interface.out.bytes HTTP/1.0\r\n\r\n',
      );
      assert.equal(res.raw.toString('latin1'), expected);
      assert.equal(res.closed, true);
    } finally {
      await fake.close();
    }
  });
});

describe('fake pmproxy framing and faults', () => {
  let fake: FakePmwebapi;
  before(async () => {
    fake = await startFakePmwebapi();
  });
  after(() => fake.close());
  const FETCH = '/pmapi/fetch?names=network.interface.in.bytes';

  test('oversize body: chunked on HTTP/1.1, 413 exactly as recorded on HTTP/1.0', async () => {
    fake.state.faults.push({ path: 'oversize=1', oversize: 5000, times: 2 });
    const r11 = await rawHttp(fake.port, `GET ${FETCH}&oversize=1 HTTP/1.1\r\n\r\n`);
    assert.ok(r11.headers.includes('Transfer-encoding: chunked'));
    assert.ok(r11.body.length > 5000);
    assert.equal(JSON.parse(r11.body).values[0].name, 'network.interface.in.bytes');
    const rec = fixture('raw-http10-big.txt');
    fake.state.date = new Date(/Date: (.*)\r\n/.exec(rec)![1]!);
    const r10 = await rawHttp(fake.port, `GET ${FETCH}&oversize=1 HTTP/1.0\r\n\r\n`);
    fake.state.date = undefined;
    assert.equal(r10.raw.toString('latin1'), rec.slice(0, rec.indexOf('</html>\r\n') + 9));
    assert.equal(r10.closed, true);
  });

  test('u64 counters print exactly up to 2^64-1 and wrap past it', async () => {
    fake.state.interfaces[0]!.in = 2n ** 64n - 1n;
    fake.state.interfaces[1]!.in = 2n ** 64n + 5n;
    const r = await rawHttp(fake.port, `GET ${FETCH} HTTP/1.0\r\n\r\n`);
    assert.match(r.body, /\{"instance":0,"value":18446744073709551615\},\{"instance":1,"value":5\}/);
    Object.assign(fake.state, { interfaces: defaultState().interfaces });
  });

  test('interfaces can appear and disappear; fetch and indom follow', async () => {
    fake.state.interfaces.push({ instance: 7, name: 'ppp0', in: 10n, out: 20n });
    let body = (await getJson<{ values: { instances: { instance: number }[] }[] }>(`${fake.url}${FETCH}`)).body;
    assert.deepEqual(
      body.values[0]!.instances.map((i) => i.instance),
      [0, 1, 2, 3, 7],
    );
    fake.state.interfaces = fake.state.interfaces.filter((i) => i.name !== 'eth0');
    body = (await getJson<{ values: { instances: { instance: number }[] }[] }>(`${fake.url}${FETCH}`)).body;
    assert.deepEqual(
      body.values[0]!.instances.map((i) => i.instance),
      [0, 1, 2, 7],
    );
    const indom = (
      await getJson<{ instances: { name: string }[] }>(`${fake.url}/pmapi/indom?name=network.interface.out.bytes`)
    ).body;
    assert.deepEqual(
      indom.instances.map((i) => i.name),
      ['ppp0', 'ifb1', 'ifb0', 'lo'],
    );
    fake.state.interfaces = defaultState().interfaces;
  });

  test('latency: timeout (-1), status/error codes, and a missing shping agent', async () => {
    fake.state.pings = [{ instance: 0, tag: 'lo', real: -1, status: 3, error: -12353 }];
    const names = 'shping.time.real,shping.status,shping.error';
    let r = await rawHttp(fake.port, `GET /pmapi/fetch?names=${names} HTTP/1.0\r\n\r\n`);
    assert.match(r.body, /"shping.time.real","instances":\[\{"instance":0,"value":-1\}\]/);
    assert.match(r.body, /"shping.error","instances":\[\{"instance":0,"value":-12353\}\]/);
    fake.state.missingMetrics = new Set(['shping.time.real', 'shping.status', 'shping.error']);
    r = await rawHttp(fake.port, `GET /pmapi/fetch?names=${names} HTTP/1.0\r\n\r\n`);
    assert.equal(r.statusLine, 'HTTP/1.0 200 OK');
    assert.match(r.body, /"values":\[\]\}\r\n$/);
    fake.state.missingMetrics = new Set();
    fake.state.pings = defaultState().pings;
  });

  test("floats print like %.8g and timestamps keep pmproxy's unpadded nanoseconds", async () => {
    assert.deepEqual([6.787, 1.27, 29.878, -1, 0.09, 123456789, 0.00001234].map(float32), [
      '6.7870002',
      '1.27',
      '29.878',
      '-1',
      '0.090000004',
      '1.2345679e+08',
      '1.234e-05',
    ]);
    fake.state.timestamp = { sec: 1795811918, nsec: 1013862 };
    const r = await rawHttp(fake.port, `GET ${FETCH} HTTP/1.0\r\n\r\n`);
    assert.match(r.body, /"timestamp":1795811918\.1013862,/);
    fake.state.contexts.set(7, { pollMs: 60_000, lastUsed: Date.now() });
    const c = await rawHttp(fake.port, `GET /pmapi/7/_fetch?names=network.interface.in.bytes HTTP/1.0\r\n\r\n`);
    assert.match(c.body, /^\{"timestamp":\{"s":1795811918,"us":1013\},"values":\[\{"pmid":251661312,/);
  });

  test('context expiry: expired, then unknown after GC; polltimeout honoured', async () => {
    fake.state.contextIds.unshift(42);
    const ctx = (await getJson<{ context: number }>(`${fake.url}/pmapi/context?polltimeout=0.05`)).body.context;
    assert.equal(ctx, 42);
    await new Promise((r) => setTimeout(r, 120));
    let r = await getJson<{ message: string }>(
      `${fake.url}/pmapi/fetch?context=${ctx}&names=network.interface.in.bytes`,
    );
    assert.equal(r.status, 400);
    assert.equal(r.body.message, `expired context identifier: ${ctx}`);
    fake.gc();
    r = await getJson<{ message: string }>(`${fake.url}/pmapi/fetch?context=${ctx}&names=network.interface.in.bytes`);
    assert.equal(r.body.message, `unknown context identifier: ${ctx}`);
    const live = (await getJson<{ context: number }>(`${fake.url}/pmapi/context?polltimeout=60`)).body.context;
    fake.state.faults.push({ path: `context=${live}`, expireContext: true });
    r = await getJson(`${fake.url}/pmapi/fetch?context=${live}&names=network.interface.in.bytes`);
    assert.equal(r.body.message, `expired context identifier: ${live}`);
  });

  test('keep-alive: two requests on one HTTP/1.1 socket; Connection: close closes', async () => {
    const got = await new Promise<string>((resolve, reject) => {
      const s = connect(fake.port, '127.0.0.1');
      let text = '';
      s.on('data', (d) => {
        text += d.toString('latin1');
      });
      s.on('end', () => resolve(text));
      s.on('error', reject);
      s.write(`GET ${FETCH} HTTP/1.1\r\nHost: x\r\n\r\nGET ${FETCH} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    });
    assert.equal(got.match(/HTTP\/1\.1 200 OK/g)?.length, 2);
    assert.equal(got.match(/Connection: Keep-Alive/g)?.length, 2, 'pmproxy says Keep-Alive even when closing');
    assert.equal(fake.requests.at(-1)!.close, true);
  });

  test('segments: every byte in its own write still yields the same response', async () => {
    fake.state.contextIds.push(5, 5);
    const whole = await rawHttp(fake.port, `GET ${FETCH} HTTP/1.0\r\n\r\n`);
    fake.state.faults.push({ segments: 'bytewise', everyMs: 0 });
    const pieces: number[] = [];
    const raw = await new Promise<Buffer>((resolve) => {
      const s = connect(fake.port, '127.0.0.1');
      const bufs: Buffer[] = [];
      s.on('data', (d) => {
        bufs.push(d);
        pieces.push(d.length);
      });
      s.on('end', () => resolve(Buffer.concat(bufs)));
      s.write(`GET ${FETCH} HTTP/1.0\r\n\r\n`);
    });
    const norm = (b: Buffer) => b.toString('latin1').replace(/Date: .*\r\n/, '');
    assert.equal(norm(raw), norm(whole.raw));
    assert.ok(pieces.length > 50, `expected many TCP reads, got ${pieces.length}`);
  });

  test('drip, delay, truncate, close mid-body, reset, malformed JSON, 503, wrong length', async () => {
    const t0 = performance.now();
    fake.state.faults.push({ dripBytes: 100, everyMs: 5 });
    const drip = await rawHttp(fake.port, `GET ${FETCH} HTTP/1.0\r\n\r\n`);
    assert.ok(performance.now() - t0 >= 20, 'drip takes several gaps');
    assert.equal(JSON.parse(drip.body).values.length, 1);

    fake.state.faults.push({ truncateAfter: 100 });
    await assert.rejects(
      rawHttp(fake.port, `GET ${FETCH} HTTP/1.0\r\n\r\n`),
      /closed before a complete response \(100 B\)/,
    );

    fake.state.faults.push({ closeMidBody: true });
    await assert.rejects(rawHttp(fake.port, `GET ${FETCH} HTTP/1.0\r\n\r\n`), /closed before a complete response/);

    fake.state.faults.push({ reset: true });
    await assert.rejects(rawHttp(fake.port, `GET ${FETCH} HTTP/1.0\r\n\r\n`), /ECONNRESET|closed before/);

    fake.state.faults.push({ malformedJson: true });
    const bad = await rawHttp(fake.port, `GET ${FETCH} HTTP/1.0\r\n\r\n`);
    assert.throws(() => JSON.parse(bad.body));

    fake.state.faults.push({ status: 503, delayMs: 30 });
    const t1 = performance.now();
    const busy = await rawHttp(fake.port, `GET ${FETCH} HTTP/1.0\r\n\r\n`);
    assert.ok(performance.now() - t1 >= 25);
    assert.equal(busy.statusLine, 'HTTP/1.0 503 Service Unavailable');
    assert.ok(busy.headers.includes('Content-Type: text/html'));

    fake.state.faults.push({ contentLength: 10 });
    const short = await rawHttp(fake.port, `GET ${FETCH} HTTP/1.0\r\n\r\n`);
    assert.equal(short.body.length, 10);
    assert.ok(
      short.raw.length > parseResponse(short.raw)!.raw.indexOf('\r\n\r\n') + 14,
      'more bytes followed than announced',
    );

    const after = await rawHttp(fake.port, `GET ${FETCH} HTTP/1.0\r\n\r\n`);
    assert.equal(after.statusLine, 'HTTP/1.0 200 OK', 'faults are used up; the server still serves');
  });
});
