// Network mode against a server that fails every poll: the board backs off by the rule the bridge
// uses (docs/backoff.md). After the n-th failure in a row it waits min(60 s, poll x 2^(n-1)),
// jittered down to no less than half of that; it makes at most one new context per poll interval;
// only a whole successful poll starts the count over; and the glass says what is failing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakePmwebapi, type Fault, type FakePmwebapi } from '../support/pmwebapi-fake.ts';
import { bootNetworkMode, followSimClock, type NetworkModeBoard } from '../support/boot.ts';

const POLL_MS = 1000;
const CAP_MS = 60_000;
/** Requests of one try after a context error: context, interface indom, latency indom, fetch. */
const REQUESTS_PER_TRY = 4;

/** The most failures the rule allows within `ms` of the first: every wait at its shortest (half). */
function maxFailures(ms: number): number {
  let t = 0;
  let n = 0;
  while (t <= ms) {
    n++;
    t += Math.min(CAP_MS, POLL_MS * 2 ** (n - 1)) / 2;
  }
  return n;
}

let fake: FakePmwebapi;
let nb: NetworkModeBoard;
let tick = () => {};
const line2 = () => nb.lcd().split('|')[1];
const live = (ms: number) => nb.until(() => /\dbps\|/.test(nb.lcd()), ms, 'live rates', tick);

describe('back-off from a server that answers every fetch with a context error', () => {
  before(async () => {
    fake = await startFakePmwebapi();
    nb = await bootNetworkMode({ port: fake.port, settings: { poll: String(POLL_MS / 1000) } });
    tick = followSimClock(fake, nb.board);
    await live(20_000);
  });
  after(async () => {
    nb.dispose();
    await fake.close();
  });

  it('the fault is pmproxy\'s own "unknown context identifier" reply', async () => {
    const ctx = JSON.parse(await (await fetch(`${fake.url}/pmapi/context`)).text()).context as number;
    fake.state.faults.push({ path: `context=${ctx}&`, forgetContext: true });
    const res = await fetch(`${fake.url}/pmapi/fetch?context=${ctx}&names=network.interface.in.bytes`);
    const recorded = readFileSync(join(import.meta.dirname, '../fixtures/pmwebapi/err-unknown-ctx.body'), 'latin1');
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.equal(await res.text(), recorded.replaceAll('12345', String(ctx)));
  });

  it('over 10 s and 120 s: requests and new contexts within the bound, and the reason on the glass', async () => {
    const fault: Fault = { path: 'fetch', forgetContext: true, times: 1e9 };
    const from = fake.requests.length;
    const t0 = nb.board.millis;
    fake.state.faults.push(fault);
    const reasons = new Set<string>();
    const count = () => {
      const mine = fake.requests.slice(from);
      return { requests: mine.length, contexts: mine.filter((r) => r.path === '/pmapi/context').length };
    };
    for (const ms of [10_000, 120_000]) {
      while (nb.board.millis - t0 < ms) {
        tick();
        await nb.board.run(100);
        if (/NA/.test(nb.lcd())) reasons.add(line2());
      }
      const got = count();
      console.log(`context-error flood, poll ${POLL_MS} ms, ${ms / 1000} s: ${JSON.stringify(got)}`);
      // The first failure is the fetch on the live context; each retry after it is one whole try.
      const tries = maxFailures(ms);
      assert.ok(
        got.requests <= 1 + REQUESTS_PER_TRY * (tries - 1),
        `${ms} ms: ${got.requests} requests, the rule allows ${1 + REQUESTS_PER_TRY * (tries - 1)}`,
      );
      assert.ok(
        got.contexts <= Math.min(tries - 1, ms / POLL_MS),
        `${ms} ms: ${got.contexts} new contexts, the rule allows ${Math.min(tries - 1, ms / POLL_MS)}`,
      );
      assert.ok(got.contexts >= 2, `${ms} ms: it still retries (${got.contexts} new contexts)`);
      assert.ok(reasons.has('PCP context lost'), `the reason on the glass: ${JSON.stringify([...reasons])}`);
    }
    fake.state.faults.splice(fake.state.faults.indexOf(fault), 1);
  });

  it('recovers within the capped delay, then the next failure waits only a poll interval again', async () => {
    await live(CAP_MS + 5000);
    // One successful poll more, so the count has surely started over.
    const polls = fake.requests.length;
    await nb.until(() => fake.requests.length > polls, 3000, 'a poll', tick);
    const fault: Fault & { used?: number } = { path: 'fetch', forgetContext: true };
    const from = fake.requests.length;
    fake.state.faults.push(fault);
    await nb.until(() => (fault.used ?? 0) > 0, 3000, 'the failing fetch', tick);
    const failedAt = nb.board.millis;
    await nb.until(
      () => fake.requests.slice(from).some((r) => r.path === '/pmapi/context'),
      5000,
      'a new context',
      tick,
      10,
    );
    assert.ok(nb.board.millis - failedAt <= POLL_MS + 200, `first retry after ${nb.board.millis - failedAt} ms`);
    await live(5000);
  });
});
