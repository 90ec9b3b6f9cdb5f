// Network mode against the scripted PMWEBAPI server (test/support/pmwebapi-fake.ts):
// the firmware's own DHCP, HTTP and JSON code through the W5100 model.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakePmwebapi, type Fault, type FakePmwebapi } from '../support/pmwebapi-fake.ts';
import { formatRate } from '../../host/src/format.ts';
import { bootNetworkMode, type NetworkModeBoard } from '../support/boot.ts';

let fake: FakePmwebapi;
before(async () => {
  fake = await startFakePmwebapi();
});
after(async () => {
  await fake.close();
});

/** Drives the fake's sample clock and eth0 counters from simulated time, so rates are exact. */
class Traffic {
  rate = { in: 0n, out: 0n };
  /** The counters' range: 2^64, or 2^32 for a 32-bit counter. */
  mod = 2n ** 64n;
  private last = 0;
  constructor(private nb: NetworkModeBoard) {
    this.last = nb.board.millis;
  }
  eth0() {
    return fake.state.interfaces.find((i) => i.name === 'eth0')!;
  }
  tick = () => {
    const now = this.nb.board.millis;
    const ms = BigInt(Math.floor(now - this.last));
    if (ms <= 0n) return;
    this.last += Number(ms);
    const e = fake.state.interfaces.find((i) => i.name === 'eth0');
    const M = this.mod;
    if (e) {
      e.in = (e.in + (this.rate.in * ms) / 1000n) % M;
      e.out = (e.out + (this.rate.out * ms) / 1000n) % M;
    }
    const ns = BigInt(fake.state.timestamp.sec) * 1_000_000_000n + BigInt(fake.state.timestamp.nsec) + ms * 1_000_000n;
    fake.state.timestamp = { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
  };
  /** Sets the byte rates and waits for the LCD's first line to show them. */
  async show(inBps: bigint, outBps: bigint, line1: string, ms = 15000) {
    this.rate = { in: inBps, out: outBps };
    await this.nb.until(() => this.nb.lcd().startsWith(line1), ms, `"${line1}"`, this.tick);
  }
}

function fetchesSince(n: number) {
  return fake.requests.slice(n).filter((r) => r.path.includes('fetch'));
}

describe('network mode against the scripted server', () => {
  let nb: NetworkModeBoard;
  let t: Traffic;
  // Peak byte rates seen on the LCD across the whole run: a reset must never show as a spike.
  const spikes: string[] = [];
  before(async () => {
    nb = await bootNetworkMode({ port: fake.port, settings: { poll: '1' } });
    t = new Traffic(nb);
  });
  after(() => nb.dispose());

  const watch = () => {
    t.tick();
    const l = nb.lcd();
    if (/[0-9.]+G/.test(l)) spikes.push(l);
  };

  it('gets an address by DHCP, shows it, then rates and latency (modern API)', async () => {
    await nb.until(() => nb.lcd().includes('192.168.7.'), 3000, 'IP on the LCD');
    assert.equal(nb.chip.dhcp.stats.ack, 1);
    await t.show(1_543_209n, 105_625n, '①12.3M ② 845kbps');
    assert.match(nb.lcd(), /\| 6\.8ms /);
    const r = fake.requests.find((x) => x.path.includes('fetch'))!;
    assert.match(
      r.target,
      /^\/pmapi\/fetch\?context=\d+&names=network\.interface\.in\.bytes,network\.interface\.out\.bytes,shping\.time\.real,shping\.status$/,
    );
    assert.equal(r.version, '1.1');
    assert.match(r.headers.host, /^192\.168\.7\.2:44322$/);
    assert.ok(fake.requests.some((x) => /\/pmapi\/context\?hostspec=localhost&polltimeout=31/.test(x.target)));
    const ctxConnects = nb.chip.stats[0].connects;
    await t.show(125_000n, 1_000n, '①1.00M ②8.00kbps');
    assert.equal(nb.chip.stats[0].connects, ctxConnects, 'keep-alive: the connection is reused');
  });

  const faults: [string, Fault, bigint][] = [
    ['chunked body', { path: 'fetch', oversize: 5000 }, 250_000n],
    ['body split at every byte', { path: 'fetch', segments: 'bytewise' }, 375_000n],
    ['slow drip', { path: 'fetch', dripBytes: 3, everyMs: 2 }, 500_000n],
    ['truncated body', { path: 'fetch', truncateAfter: 400 }, 625_000n],
    ['oversize body', { path: 'fetch', oversize: 20000 }, 750_000n],
    ['malformed JSON', { path: 'fetch', malformedJson: true }, 875_000n],
    ['HTTP 500', { path: 'fetch', status: 500 }, 1_000_000n],
    ['HTTP 404', { path: 'fetch', status: 404 }, 1_125_000n],
    ['expired context', { path: 'fetch', expireContext: true }, 1_250_000n],
    ['connection reset mid-body', { path: 'fetch', closeMidBody: true }, 1_375_000n],
    ['reset instead of an answer', { path: 'fetch', reset: true }, 1_500_000n],
    ['wrong Content-Length', { path: 'fetch', contentLength: 50 }, 1_625_000n],
  ];
  for (const [name, fault, rate] of faults) {
    it(`recovers from: ${name}`, async () => {
      const before = fake.requests.length;
      const f: Fault & { used?: number } = { ...fault };
      fake.state.faults.push(f);
      await nb.until(() => (f.used ?? 0) > 0, 5000, 'the faulty request', t.tick);
      const want = `①${formatRate(rate * 8n)}`;
      await t.show(rate, 1_000n, want);
      assert.ok(fetchesSince(before).length >= 2);
      for (let i = 0; i < 5; i++) {
        watch();
        await nb.board.run(200);
      }
      assert.ok(nb.lcd().startsWith(want), nb.lcd());
    });
  }

  it('re-resolves the interface when it disappears and comes back with a new id', async () => {
    const eth0 = t.eth0();
    fake.state.interfaces = fake.state.interfaces.filter((i) => i !== eth0);
    await nb.until(() => nb.lcd().includes('NA'), 10000, 'stale display', watch);
    eth0.instance = 7;
    fake.state.interfaces.push(eth0);
    await t.show(12_500n, 1_000n, '① 100k');
    assert.ok(fake.requests.filter((r) => r.path.includes('indom')).length >= 2);
  });

  it('a 64-bit wrap is traffic; a 32-bit wrap and a reset show "counter reset" for one poll, never a spike', async () => {
    const e = t.eth0();
    const seen = new Set<string>();
    const look = () => {
      watch();
      seen.add(nb.lcd().split('|')[0]);
    };
    const until = (line1: string) => nb.until(() => nb.lcd().startsWith(line1), 15000, `"${line1}"`, look);
    // A counter set by hand jumps: hide each jump in a time gap, which gives no rate (docs/rates.md).
    const setIn = async (v: bigint) => {
      e.in = v;
      fake.state.timestamp.sec += 3600;
      await until('time jump or gap');
    };
    t.rate = { in: 300_000n, out: 1_000n };
    await setIn(2n ** 64n - 3_000_000n);
    await until('①2.40M');
    seen.clear();
    await nb.until(() => e.in < 2_000_000n, 15000, 'the 64-bit wrap', look);
    await until('①2.40M');
    for (let i = 0; i < 8; i++) {
      look();
      await nb.board.run(250);
    }
    assert.deepEqual(
      [...seen].filter((l) => !l.startsWith('①2.40M')),
      [],
      'the 64-bit wrap is traffic',
    );
    // Network mode counts 64-bit counters: a counter that wraps at 2^32 reads as a reset.
    t.mod = 2n ** 32n;
    t.rate = { in: 200_000n, out: 1_000n };
    await setIn(2n ** 32n - 2_000_000n);
    await until('①1.60M');
    await until('counter reset   ');
    await until('①1.60M');
    t.mod = 2n ** 64n;
    e.in = 0n;
    e.out = 0n;
    t.rate = { in: 400_000n, out: 1_000n };
    await until('counter reset   ');
    await until('①3.20M');
    assert.deepEqual(spikes, [], 'no implausible rate was shown');
  });

  it('shows real traffic far above the configured capacity, poll after poll', async () => {
    // 120 Mbit/s against the default capacities (20 Mbit/s down, 1 Mbit/s up): the bar is full, the rates are real.
    await t.show(15_000_000n, 2_000_000n, '① 120M ②16.0Mbps');
    for (let i = 0; i < 10; i++) {
      t.tick();
      await nb.board.run(500);
      assert.ok(nb.lcd().startsWith('① 120M ②16.0Mbps'), nb.lcd());
    }
  });

  it('a server timestamp 50 minutes ahead gives no rate: the jump is shown, then rates from a new baseline', async () => {
    await t.show(125_000n, 1_000n, '①1.00M');
    fake.state.timestamp.sec += 3000;
    await nb.until(() => nb.lcd().startsWith('time jump or gap'), 5000, 'the jump on the glass', t.tick);
    await t.show(125_000n, 1_000n, '①1.00M');
  });

  it('stays on the legacy API form when configured', async () => {
    await nb.command('C SET srv.api pmwebd');
    await nb.command('M host');
    await nb.command('M net');
    const before = fake.requests.length;
    await t.show(62_500n, 1_000n, '① 500k');
    const mine = fake.requests.slice(before);
    assert.ok(mine.some((r) => /^\/pmapi\/context\?hostname=localhost/.test(r.target)));
    assert.ok(mine.some((r) => /^\/pmapi\/\d+\/_fetch\?names=/.test(r.target)));
    assert.ok(!mine.some((r) => r.target.startsWith('/pmapi/fetch')));
  });

  it('marks values stale with their age when the server goes away, and recovers', async () => {
    const down: Fault = { reset: true, times: 1e6 };
    fake.state.faults.push(down);
    await nb.until(() => /NA/.test(nb.lcd()), 10000, 'stale', watch);
    // Line 2 takes turns between the stale line and the reason (netmode-stale-reason.test.ts).
    assert.match(nb.lcd(), /^① {2}NA {2}② {2}NA {2}\d+s\|( {2}NA {12}|PCP conn reset {2})$/);
    fake.state.faults.splice(fake.state.faults.indexOf(down), 1);
    await t.show(87_500n, 1_000n, '① 700k', 70000);
  });
});

describe('network mode on a PCP without the latency agent', () => {
  let nb: NetworkModeBoard;
  let t: Traffic;
  before(async () => {
    fake.state.faults = [];
    // pmproxy answers /indom for an unknown metric with HTTP 400 and leaves it out of fetches.
    fake.state.missingMetrics = new Set(['shping.time.real', 'shping.status']);
    nb = await bootNetworkMode({ port: fake.port, settings: { poll: '1' } });
    t = new Traffic(nb);
  });
  after(() => {
    nb.dispose();
    fake.state.missingMetrics = new Set();
  });

  it('shows the rates with latency NA, and the latency once the agent appears', async () => {
    await t.show(1_543_209n, 105_625n, '①12.3M ② 845kbps', 20000);
    assert.match(nb.lcd(), /\| {2}NA {3}/, 'latency NA while the rates are live');
    const fetch = fake.requests.filter((r) => r.path.includes('fetch')).at(-1)!;
    assert.doesNotMatch(fetch.target, /shping/, 'fetches leave the missing metric out');
    fake.state.missingMetrics = new Set();
    await nb.until(() => /\|[ 0-9.]{4}ms /.test(nb.lcd()), 60000, 'latency once shping is there', t.tick);
    assert.match(nb.lcd(), /^①12\.3M ② 845kbps/, 'rates stayed on');
  });
});
