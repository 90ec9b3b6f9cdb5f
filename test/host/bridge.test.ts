// The bridge end to end against the scripted PMWEBAPI server and the scripted
// firmware: rates on the LCD, context loss, server down, both API forms, bad bodies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakePmwebapi, type FakePmwebapi } from '../support/pmwebapi-fake.ts';
import { FakeBoard } from './support/fake-board.ts';
import { Bridge } from '../../host/src/bridge.ts';
import { resolveConfig } from '../../host/src/config.ts';
import { formatRate } from '../../host/src/format.ts';
import { silentLogger } from '../../host/src/log.ts';
import { SerialLink } from '../../host/src/serial-link.ts';

/** Waits for cond; `tick` (e.g. bridge.refresh: alerts alternate with the main page) runs while waiting. */
async function until(cond: () => boolean, what: string, ms = 3000, tick?: () => void): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    tick?.();
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

interface Rig {
  fake: FakePmwebapi;
  board: FakeBoard;
  bridge: Bridge;
  link: SerialLink;
  advance(sec: number, inBytes: bigint, outBytes: bigint): void;
}

async function rig(flags: Record<string, string> = {}, fn: (r: Rig) => Promise<void>): Promise<void> {
  const fake = await startFakePmwebapi();
  const board = new FakeBoard();
  const link = new SerialLink({
    binding: board.binding(),
    findPath: async () => board.path,
    bannerTimeoutMs: 200,
    replyTimeoutMs: 300,
  });
  // A long poll interval: a slow CI machine must not make the data look stale mid-test.
  const cfg = resolveConfig({
    flags: { url: fake.url, iface: 'eth0', 'latency-instance': 'lo', poll: '5', 'timeout-ms': '500', ...flags },
  });
  const bridge = new Bridge({ cfg, link, log: silentLogger });
  link.start();
  const eth0 = fake.state.interfaces.find((i) => i.name === 'eth0')!;
  const advance = (sec: number, inBytes: bigint, outBytes: bigint) => {
    fake.state.timestamp.sec += sec;
    eth0.in += inBytes;
    eth0.out += outBytes;
  };
  try {
    await fn({ fake, board, bridge, link, advance });
  } finally {
    await bridge.stop();
    await fake.close();
  }
}

const lcdHas = (board: FakeBoard, row: number, text: string) => board.text()[row].includes(text);

test('rates on the LCD match the counters: (v2 - v1) / (t2 - t1) on server time', async () => {
  await rig({}, async ({ board, bridge, advance }) => {
    await bridge.pollOnce();
    await until(() => lcdHas(board, 0, '  NA '), 'first sample shows no rate');
    advance(2, 3_086_419n, 211_250n);
    await bridge.pollOnce();
    // independent arithmetic: bytes * 8 / 2 s, rounded
    const down = formatRate(Math.round((3_086_419 * 8) / 2));
    const up = formatRate(Math.round((211_250 * 8) / 2));
    assert.equal(down, '12.3M');
    await until(
      () => board.text()[0] === `\x00${down} \x01${up}bps`,
      `line 1 "${down}" "${up}", got ${JSON.stringify(board.text())}`,
    );
    // 6.787 ms from the fake shping, 12.3 of 20 Mbit/s: 27 of 45 columns
    assert.equal(board.text()[1], ` 6.8ms ${'\xff'.repeat(5)}\x03   `);
  });
});

test('bytes units and a counter reset (no spike)', async () => {
  await rig({ units: 'bytes' }, async ({ fake, board, bridge, advance }) => {
    await bridge.pollOnce();
    advance(1, 999n, 500n);
    await bridge.pollOnce();
    await until(() => board.text()[0] === '\x00  999 \x01  500B/s', 'bytes line');
    const eth0 = fake.state.interfaces.find((i) => i.name === 'eth0')!;
    eth0.in = 10n; // interface re-created: counters restart
    eth0.out = 10n;
    fake.state.timestamp.sec += 1;
    await bridge.pollOnce();
    await until(() => board.text()[0] === 'counter reset   ', 'a reset shows no rate and says so');
  });
});

test('a server clock step takes a new baseline and says so; no old rate stays on as fresh', async () => {
  await rig({}, async ({ fake, board, bridge, advance }) => {
    await bridge.pollOnce();
    advance(2, 250_000n, 25_000n);
    await bridge.pollOnce();
    await until(
      () => board.text()[0] === '\x001.00M \x01 100kbps',
      `live rates, got ${JSON.stringify(board.text()[0])}`,
    );
    // The server's clock jumps back an hour while the traffic stops.
    fake.state.timestamp.sec -= 3600;
    await bridge.pollOnce();
    await until(
      () => board.text()[0] === 'clock went back ',
      `the step on the glass, got ${JSON.stringify(board.text())}`,
    );
    advance(2, 0n, 0n);
    await bridge.pollOnce();
    await until(
      () => board.text()[0] === '\x00    0 \x01    0bps',
      `rates from the new baseline, got ${JSON.stringify(board.text()[0])}`,
    );
    // One sample stamped an hour ahead: a gap, then a step back, then rates again.
    fake.state.timestamp.sec += 3600;
    await bridge.pollOnce();
    await until(
      () => board.text()[0] === 'time jump or gap',
      `the jump on the glass, got ${JSON.stringify(board.text())}`,
    );
    fake.state.timestamp.sec -= 3600 - 2;
    await bridge.pollOnce();
    await until(() => board.text()[0] === 'clock went back ', `back again, got ${JSON.stringify(board.text())}`);
    advance(2, 2_000n, 0n);
    await bridge.pollOnce();
    await until(
      () => board.text()[0] === '\x008.00k \x01    0bps',
      `live again, got ${JSON.stringify(board.text()[0])}`,
    );
  });
});

test('the same sample again does not keep the values fresh', async () => {
  await rig({}, async ({ bridge, advance }) => {
    await bridge.pollOnce();
    advance(2, 2_000n, 2_000n);
    await bridge.pollOnce();
    const good = bridge.sources[0].state().lastGoodMs;
    await sleep(20);
    await bridge.pollOnce(); // the server's timestamp did not move
    const st = bridge.sources[0].state();
    assert.equal(st.lastGoodMs, good, 'a repeated sample is no news');
    assert.equal(st.lastError, 'sample repeated');
    assert.equal(st.ifaces[0].down, 1000n, 'the last rate stays until it goes stale');
    advance(2, 2_000n, 2_000n);
    await bridge.pollOnce();
    assert.ok(bridge.sources[0].state().lastGoodMs! > good!, 'a new sample is');
  });
});

test('64-bit counters beyond 2^53 give exact rates', async () => {
  await rig({ units: 'bytes' }, async ({ fake, board, bridge, advance }) => {
    const eth0 = fake.state.interfaces.find((i) => i.name === 'eth0')!;
    eth0.in = 2n ** 64n - 5_000_000n;
    eth0.out = 2n ** 53n + 1n;
    await bridge.pollOnce();
    advance(1, 1_234_567n, 3n);
    await bridge.pollOnce();
    await until(() => board.text()[0] === '\x001.23M \x01    3B/s', `got ${JSON.stringify(board.text()[0])}`);
  });
});

test('expired context: a new one is created and the poll still succeeds', async () => {
  await rig({}, async ({ fake, bridge, advance }) => {
    await bridge.pollOnce();
    const first = [...fake.state.contexts.keys()];
    assert.equal(first.length, 1);
    fake.expireContext(first[0]);
    advance(1, 100n, 100n);
    await bridge.pollOnce();
    assert.equal(bridge.sources[0].state().up, true, bridge.sources[0].state().lastError ?? '');
    assert.equal(fake.requests.filter((r) => r.path.endsWith('/context')).length, 2);
  });
});

test('server gone: the LCD says PCP is down and why; back when it returns', async () => {
  await rig({}, async ({ fake, board, bridge }) => {
    await bridge.pollOnce();
    fake.state.faults.push({ path: '/pmapi/', status: 503, times: 100 });
    await bridge.pollOnce();
    await until(
      () => lcdHas(board, 0, '!PCP down'),
      'alert',
      5000,
      () => bridge.refresh(),
    );
    assert.equal(board.text()[1], '503 scripted fai');
    await until(() => board.backlight === 2, 'alert blinks the backlight');
    fake.state.faults.length = 0;
    await bridge.pollOnce();
    await until(() => !lcdHas(board, 0, '!PCP'), 'alert cleared');
    await until(() => board.backlight === 1, 'backlight steady');
  });
});

test('connection refused is shown, not thrown', async () => {
  await rig({}, async ({ fake, board, bridge }) => {
    await fake.close();
    await bridge.pollOnce();
    await until(
      () => lcdHas(board, 1, 'ECONNREFUSED'),
      'reason on the LCD',
      5000,
      () => bridge.refresh(),
    );
  });
});

test('legacy pmwebd form, configured: _fetch and {s,us} timestamps', async () => {
  await rig({ api: 'pmwebd', units: 'bytes' }, async ({ board, bridge, fake, advance }) => {
    await bridge.pollOnce();
    advance(2, 1998n, 1000n);
    await bridge.pollOnce();
    await until(() => board.text()[0] === '\x00  999 \x01  500B/s', 'legacy rates');
    assert.ok(fake.requests.some((r) => r.path.endsWith('/_fetch')));
    assert.ok(!fake.requests.some((r) => r.path === '/pmapi/fetch'));
  });
});

test('auto detection falls back to the legacy form when /pmapi/fetch is unknown', async () => {
  await rig({ api: 'auto' }, async ({ bridge, fake }) => {
    fake.state.faults.push({ path: '/pmapi/fetch', status: 404, times: 1000 });
    await bridge.pollOnce();
    assert.equal(
      bridge.sources[0].state().up,
      true,
      `${bridge.sources[0].state().lastError} ${fake.requests.map((r) => `${r.target} ${r.status}`).join(', ')}`,
    );
    assert.equal(bridge.sources[0].state().api, 'pmwebd');
  });
});

test('bad bodies and oversize replies are errors on the LCD, never crashes', async () => {
  await rig({}, async ({ board, bridge, fake }) => {
    fake.state.faults.push({ path: '/pmapi/fetch', malformedJson: true, times: 5 });
    await bridge.pollOnce();
    assert.match(bridge.sources[0].state().lastError ?? '', /JSON/);
    fake.state.faults.length = 0;
    fake.state.faults.push({ path: '/pmapi/fetch', oversize: 300_000, times: 5 });
    await bridge.pollOnce();
    assert.match(bridge.sources[0].state().lastError ?? '', /too large/);
    await until(
      () => lcdHas(board, 0, '!PCP down'),
      'alert',
      5000,
      () => bridge.refresh(),
    );
  });
});

test('an interface that disappears is looked up again when it returns', async () => {
  await rig({}, async ({ fake, bridge, advance }) => {
    await bridge.pollOnce();
    const saved = fake.state.interfaces.splice(3, 1)[0];
    advance(1, 0n, 0n);
    await bridge.pollOnce();
    assert.equal(bridge.sources[0].state().ifaces[0].present, false);
    saved.instance = 7; // re-created: new instance id, counters from zero
    saved.in = saved.out = 0n;
    fake.state.interfaces.push(saved);
    advance(1, 0n, 0n);
    await bridge.pollOnce();
    advance(1, 500n, 500n);
    await bridge.pollOnce();
    const s = bridge.sources[0].state().ifaces[0];
    assert.equal(s.present, true);
    assert.equal(s.down, 500n);
  });
});

test('slow, truncated and reset replies: clean errors, the next poll recovers', async () => {
  await rig({}, async ({ bridge, fake, advance }) => {
    await bridge.pollOnce();
    const faults: [Record<string, unknown>, RegExp][] = [
      [{ delayMs: 1500 }, /timed out/],
      [{ truncateAfter: 300 }, /failed|JSON|terminated/i],
      [{ closeMidBody: true }, /failed|JSON|terminated/i],
      [{ reset: true }, /failed|ECONNRESET|socket/i],
      [{ contentLength: 10_000_000 }, /too large/],
    ];
    for (const [f, re] of faults) {
      fake.state.faults.push({ path: '/pmapi/fetch', ...f });
      await bridge.pollOnce();
      const st = bridge.sources[0].state();
      assert.equal(st.up, false, JSON.stringify(f));
      assert.match(st.lastError ?? '', re, JSON.stringify(f));
      advance(1, 100n, 100n);
      await bridge.pollOnce();
      assert.equal(
        bridge.sources[0].state().up,
        true,
        `recovers after ${JSON.stringify(f)}: ${bridge.sources[0].state().lastError}`,
      );
    }
  });
});

test('several sources: host pages, and the alert names the source that is down', async () => {
  const other = await startFakePmwebapi();
  try {
    const fake = await startFakePmwebapi();
    const board = new FakeBoard();
    const link = new SerialLink({ binding: board.binding(), findPath: async () => board.path, bannerTimeoutMs: 200 });
    const cfg = resolveConfig({
      file: {
        sources: [
          { name: 'near', url: fake.url },
          { name: 'far', url: other.url },
        ],
        pages: [{ page: 'host', seconds: 60 }],
      },
      flags: { iface: 'eth0', 'latency-instance': 'lo', poll: '5', 'timeout-ms': '500' },
    });
    const bridge = new Bridge({ cfg, link, log: silentLogger });
    link.start();
    try {
      await bridge.pollOnce();
      await until(() => board.text()[0] === 'near          up', `host page, got ${JSON.stringify(board.text())}`);
      await other.close();
      await bridge.pollOnce();
      await until(
        () => board.text()[0].startsWith('!PCP down') && board.text()[1].startsWith('far '),
        'alert for far',
        5000,
        () => bridge.refresh(),
      );
    } finally {
      await bridge.stop();
      await fake.close();
    }
  } finally {
    await other.close();
  }
});
