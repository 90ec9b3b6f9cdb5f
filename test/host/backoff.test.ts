// The back-off rule of docs/backoff.md: the pure pacing (host/src/backoff.ts) with an
// injected clock and random source, and the bridge against a fake pmproxy that answers
// every fetch with a context error: requests and contexts stay within the rule's bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { BACKOFF_CAP_MS, Backoff, backoffStepMs } from '../../host/src/backoff.ts';
import { startFakePmwebapi } from '../support/pmwebapi-fake.ts';
import { FakeBoard } from './support/fake-board.ts';
import { Bridge } from '../../host/src/bridge.ts';
import { resolveConfig } from '../../host/src/config.ts';
import { silentLogger } from '../../host/src/log.ts';
import { SerialLink } from '../../host/src/serial-link.ts';
import { shortError } from '../../host/src/screens.ts';

test('step: the poll interval, doubling per failure, capped at 60 s', () => {
  assert.equal(BACKOFF_CAP_MS, 60_000);
  const poll = 2000;
  const steps = [1, 2, 3, 4, 5, 6, 7, 50, 5000].map((n) => backoffStepMs(n, poll));
  assert.deepEqual(steps, [2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000, 60000]);
  assert.equal(backoffStepMs(1, 3_600_000), 60_000, 'the cap wins over a long poll interval too');
});

test('waits are uniform in [d/2, d], reset after a success; the clock decides when an attempt is due', () => {
  let now = 1000;
  let r = 0;
  const b = new Backoff({ pollMs: 2000, random: () => r, now: () => now });
  assert.ok(b.due(), 'nothing failed yet');
  assert.equal(b.failed(), 1000, 'r = 0: d/2');
  assert.equal(b.nextAttemptMs, 2000);
  now = 1999;
  assert.equal(b.due(), false);
  now = 2000;
  assert.equal(b.due(), true);
  r = 0.999999;
  const w2 = b.failed();
  assert.ok(w2 > 3999 && w2 < 4000, `r ~ 1: just under d = 4000 (${w2})`);
  r = 0.5;
  assert.equal(b.failed(), 6000, 'n = 3: d = 8000, midpoint');
  for (let i = 0; i < 10; i++) b.failed();
  assert.equal(b.failureCount, 13);
  assert.equal(b.failed(now), 45_000, 'capped: d = 60 s, midpoint');
  b.succeeded();
  assert.equal(b.failureCount, 0);
  assert.ok(b.due());
  r = 0;
  assert.equal(b.failed(), 1000, 'back to the poll interval');
  // A broken random source cannot leave [d/2, d].
  for (const bad of [-5, 7, Number.NaN]) {
    const x = new Backoff({ pollMs: 2000, random: () => bad, now: () => 0 });
    const w = x.failed();
    assert.ok(w >= 1000 && w <= 2000, `random ${bad}: ${w}`);
  }
});

test('over many draws the waits cover [d/2, d] and never leave it', () => {
  let seed = 42;
  const lcg = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const b = new Backoff({ pollMs: 1000, random: lcg, now: () => 0 });
  const waits: number[] = [];
  for (let i = 0; i < 2000; i++) {
    b.succeeded();
    for (let k = 0; k < 3; k++) b.failed();
    waits.push(b.failed()); // n = 4: d = 8000
  }
  assert.ok(Math.min(...waits) >= 4000 && Math.max(...waits) <= 8000);
  assert.ok(Math.min(...waits) < 4200 && Math.max(...waits) > 7800, 'the whole range is used');
});

/**
 * Attempts the rule allows in `ms` at most: the shortest waits (random = 0, d/2), and an
 * attempt only on a poll tick, so each wait is at least one poll.
 */
function maxAttempts(ms: number, pollMs: number): number {
  let t = 0;
  let n = 0;
  while (t <= ms) {
    n++;
    t += Math.max(pollMs, backoffStepMs(n, pollMs) / 2);
  }
  return n;
}

test('a server that answers every fetch with a context error gets one context per attempt, attempts backed off', async () => {
  const fake = await startFakePmwebapi();
  const lost = '{"context":1,"message":"unknown context identifier: 1","success":false}\r\n';
  for (const path of ['/pmapi/fetch', '/pmapi/indom'])
    fake.state.faults.push({ path, status: 400, json: true, body: lost, times: 1e9 });
  const board = new FakeBoard();
  const link = new SerialLink({
    binding: board.binding(),
    findPath: async () => board.path,
    bannerTimeoutMs: 200,
    replyTimeoutMs: 300,
  });
  const pollMs = 250;
  const cfg = resolveConfig({
    flags: { url: fake.url, iface: 'eth0', poll: String(pollMs / 1000), 'timeout-ms': '200' },
  });
  // random = 0: the shortest waits the rule allows, the worst case for the server.
  const bridge = new Bridge({ cfg, link, log: silentLogger, random: () => 0 });
  const runMs = 4000;
  try {
    bridge.start();
    await sleep(runMs);
    await bridge.stop();
    const contexts = fake.requests.filter((r) => r.path === '/pmapi/context').length;
    const attempts = fake.requests.filter((r) => r.path === '/pmapi/indom').length;
    const bound = maxAttempts(runMs + 300, pollMs);
    console.error(
      `# ${runMs} ms at poll ${pollMs} ms: ${fake.requests.length} requests, ${contexts} contexts, ${attempts} attempts (bound ${bound}; ${Math.floor(runMs / pollMs) + 1} polls without back-off)`,
    );
    assert.ok(attempts >= 3, `the source is retried (${attempts})`);
    assert.ok(attempts <= bound, `${attempts} attempts, at most ${bound} allowed`);
    assert.ok(contexts <= attempts, `one context per attempt at most: ${contexts} contexts, ${attempts} attempts`);
    assert.ok(fake.requests.length <= 2 * attempts, `${fake.requests.length} requests`);
    const st = bridge.sources[0].state();
    assert.equal(st.up, false);
    assert.match(st.lastError ?? '', /^context: /, 'the error says the context is what fails');
    assert.match(shortError(st.lastError), /^ctx lost again/, 'and so does the glass');
  } finally {
    await bridge.stop();
    await fake.close();
  }
});

/** Gaps between the attempts a bridge makes at `url` with a scripted clock (random = 0: waits are d/2). */
async function attemptGaps(
  url: string,
  requests: () => number,
  failures: number,
): Promise<{ gaps: number[]; bridge: Bridge; next: () => Promise<number> }> {
  const board = new FakeBoard();
  const link = new SerialLink({
    binding: board.binding(),
    findPath: async () => board.path,
    bannerTimeoutMs: 200,
    replyTimeoutMs: 300,
  });
  let now = 0;
  const cfg = resolveConfig({
    flags: { url, iface: 'eth0', 'latency-instance': 'lo', poll: '0.25', 'timeout-ms': '150' },
  });
  const bridge = new Bridge({ cfg, link, log: silentLogger, random: () => 0, now: () => now });
  // Steps the clock 25 ms at a time, polling whatever is due, until an attempt reaches the server (or fails to connect).
  const next = async (): Promise<number> => {
    for (;;) {
      const polls = bridge.sources[0].state().polls;
      const before = requests();
      await bridge.pollDue();
      if (bridge.sources[0].state().polls > polls || requests() > before) return now;
      now += 25;
    }
  };
  const times: number[] = [];
  for (let i = 0; i <= failures; i++) times.push(await next());
  return { gaps: times.slice(1).map((t, i) => t - times[i]), bridge, next };
}

test('connection refused, timeouts, resets and HTTP errors are backed off alike; a success resets', async () => {
  const fake = await startFakePmwebapi();
  try {
    for (const fault of [{ status: 503 }, { delayMs: 400 }, { reset: true }]) {
      fake.state.faults.length = 0;
      fake.state.faults.push({ path: '/pmapi/', times: 1e9, ...fault });
      const { gaps, bridge, next } = await attemptGaps(fake.url, () => fake.requests.length, 3);
      try {
        // Failures n = 1, 2, 3 at poll 250 ms: d/2 = 125, 250, 500 ms.
        assert.deepEqual(gaps, [125, 250, 500], JSON.stringify(fault));
        assert.equal(bridge.sources[0].state().up, false);
        fake.state.faults.length = 0;
        await next();
        assert.equal(bridge.sources[0].state().up, true, bridge.sources[0].state().lastError ?? '');
        const t = await next();
        assert.equal(await next(), t, 'after a success the next poll goes out at once');
      } finally {
        await bridge.stop();
      }
    }
  } finally {
    await fake.close();
  }
  const closed = await startFakePmwebapi();
  await closed.close();
  const { gaps, bridge } = await attemptGaps(closed.url, () => 0, 3);
  try {
    assert.match(bridge.sources[0].state().lastError ?? '', /ECONNREFUSED/);
    assert.deepEqual(gaps, [125, 250, 500], 'connection refused');
  } finally {
    await bridge.stop();
  }
});
