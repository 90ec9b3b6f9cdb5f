// Long run: polling with injected faults for PMLCD_NET_LONGRUN_SEC simulated
// seconds (default 300 in npm test, about a minute of wall time; the full run is an
// hour: PMLCD_NET_LONGRUN_SEC=3600, about 10-15 minutes). A fault every 20 s.
// No stack overflow, no watchdog reset, and a live display once the server is back.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakePmwebapi, type Fault, type FakePmwebapi } from '../support/pmwebapi-fake.ts';
import { bootNetworkMode } from '../support/boot.ts';

const SECONDS = Number(process.env.PMLCD_NET_LONGRUN_SEC ?? 300);
const STACK_HEADROOM_MIN = 300;

let fake: FakePmwebapi;
before(async () => {
  fake = await startFakePmwebapi();
});
after(async () => {
  await fake.close();
});

const FAULTS: Fault[] = [
  { path: 'fetch', segments: 'bytewise' },
  { path: 'fetch', dripBytes: 5, everyMs: 3 },
  { path: 'fetch', truncateAfter: 300 },
  { path: 'fetch', oversize: 20000 },
  { path: 'fetch', oversize: 5000 },
  { path: 'fetch', malformedJson: true },
  { path: 'fetch', status: 500 },
  { path: 'fetch', status: 503 },
  { path: 'fetch', expireContext: true },
  { path: 'fetch', closeMidBody: true },
  { path: 'fetch', reset: true },
  { path: 'fetch', delayMs: 200 },
  { path: 'context', status: 500 },
  { path: 'indom', reset: true },
];

describe(`network mode long run (${SECONDS} simulated s)`, () => {
  it('survives faults all along and shows live values at the end', async () => {
    const nb = await bootNetworkMode({ port: fake.port });
    try {
      const eth0 = fake.state.interfaces.find((i) => i.name === 'eth0')!;
      let last = nb.board.millis;
      let seed = 99;
      const rnd = (n: number) => {
        seed = (seed * 1103515245 + 12345) >>> 0;
        return (seed >>> 16) % n;
      }; // high bits: an LCG's low bits cycle fast
      const counts = new Map<string, number>();
      let wraps = 0;
      const tick = () => {
        const ms = Math.floor(nb.board.millis - last);
        if (ms <= 0) return;
        last += ms;
        eth0.in = (eth0.in + 125n * BigInt(ms)) % 2n ** 64n; // 1 Mbit/s
        eth0.out = (eth0.out + 12n * BigInt(ms)) % 2n ** 64n;
        const ns = fake.state.timestamp.nsec + ms * 1e6;
        fake.state.timestamp = { sec: fake.state.timestamp.sec + Math.floor(ns / 1e9), nsec: ns % 1e9 };
      };
      const end = nb.board.millis + SECONDS * 1000;
      while (nb.board.millis < end - 20000) {
        const f = FAULTS[rnd(FAULTS.length)];
        fake.state.faults.push({ ...f });
        counts.set(JSON.stringify(f), (counts.get(JSON.stringify(f)) ?? 0) + 1);
        if (rnd(10) === 0) {
          eth0.in = 2n ** 32n - 1000n;
          wraps++;
        } // a 32-bit wrap on the next polls
        for (let t = 0; t < 20; t++) {
          tick();
          await nb.board.run(1000);
        }
      }
      fake.state.faults.length = 0;
      await nb.until(() => nb.lcd().startsWith('①1.00M'), 30000, 'live values after the faults', tick);
      assert.equal(nb.board.resets.watchdog, 0, 'no watchdog reset');
      assert.ok(nb.board.stack.headroom >= STACK_HEADROOM_MIN, `stack headroom ${nb.board.stack.headroom} B`);
      assert.ok(counts.size >= Math.min(FAULTS.length, SECONDS / 60), `fault variety ${counts.size}`);
      console.error(
        `long run: ${SECONDS} s simulated, ${[...counts.values()].reduce((a, b) => a + b, 0)} faults, ${wraps} wraps, ` +
          `${fake.requests.length} requests, stack headroom ${nb.board.stack.headroom} B`,
      );
    } finally {
      nb.dispose();
    }
  });
});
