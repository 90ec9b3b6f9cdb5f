// Once values go stale, line 2 says why: it takes turns every 2 s between the
// stale main line (docs/screens.md) and a 16-character reason.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Mapping } from '../../simulator/src/netmap.ts';
import { startFakePmwebapi, type Fault, type FakePmwebapi } from '../support/pmwebapi-fake.ts';
import { SRV_IP, SRV_PORT, bootNetworkMode, type NetworkModeBoard, followSimClock } from '../support/boot.ts';

const STALE_LINE2 = '  NA            ';
const pad = (s: string) => s.padEnd(16);

let fake: FakePmwebapi;
let nb: NetworkModeBoard;
let mapping: Mapping;
let tick = () => {};
const line = (n: 1 | 2) => nb.lcd().split('|')[n - 1];
const live = () => nb.until(() => /\dbps\|/.test(nb.lcd()), 70000, 'live rates', tick);

/** Line 2 every 100 ms for `ms`: the runs of equal text, with how long each lasted. */
async function watchLine2(ms: number) {
  const runs: { text: string; ms: number }[] = [];
  for (let t = 0; t < ms; t += 100) {
    assert.match(line(1), /^① {2}NA {2}② {2}NA [ \d]\d[smh]$/, 'line 1 stays the stale main line');
    const text = line(2);
    if (runs.length && runs[runs.length - 1].text === text) runs[runs.length - 1].ms += 100;
    else runs.push({ text, ms: 100 });
    tick();
    await nb.board.run(100);
  }
  return runs;
}

describe('stale values show the reason', () => {
  before(async () => {
    fake = await startFakePmwebapi();
    nb = await bootNetworkMode({ port: fake.port, map: false, settings: { poll: '1' } });
    mapping = nb.chip.map(SRV_IP, SRV_PORT, '127.0.0.1', fake.port);
    tick = followSimClock(fake, nb.board);
    await live();
  });
  after(async () => {
    nb.dispose();
    await fake.close();
  });

  it('HTTP 500: line 2 alternates every 2 s between the stale line and "HTTP 500"', async () => {
    const fault: Fault = { path: 'fetch', status: 500, times: 1e6 };
    fake.state.faults.push(fault);
    await nb.until(() => line(2) === pad('HTTP 500'), 10000, 'the reason', tick);
    const runs = await watchLine2(9000);
    assert.deepEqual(new Set(runs.map((r) => r.text)), new Set([STALE_LINE2, pad('HTTP 500')]));
    // Whole turns only (the first and last runs are cut by the watch window).
    for (const r of runs.slice(1, -1))
      assert.ok(r.ms >= 1500 && r.ms <= 2500, `a turn of ${r.ms} ms: ${JSON.stringify(runs)}`);
    assert.ok(runs.length >= 4, JSON.stringify(runs));
    fake.state.faults.splice(fake.state.faults.indexOf(fault), 1);
    await live();
    assert.doesNotMatch(nb.lcd(), /HTTP|NA/, 'the reason goes with the stale values');
  });

  it('refused connections say "PCP down"', async () => {
    mapping.faults.refuse = true;
    fake.state.faults.push({ reset: true }); // drop the kept-alive connection: the next poll connects anew
    await nb.until(() => line(2) === pad('PCP down'), 15000, '"PCP down"', tick);
    mapping.faults.refuse = false;
    await live();
  });

  it('a dead link (connects time out) says "no link?"', async () => {
    nb.chip.link = false;
    fake.state.faults.push({ reset: true });
    await nb.until(() => line(2) === pad('no link?'), 20000, '"no link?"', tick);
    assert.match(line(1), /NA/);
    nb.chip.link = true;
    await live();
    assert.equal(nb.board.resets.watchdog, 0);
  });
});
