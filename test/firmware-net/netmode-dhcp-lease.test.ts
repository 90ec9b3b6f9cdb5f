// Network mode across DHCP lease renewal, with a 60 s lease (T1 30 s, T2 52 s,
// RFC 2131 4.4.5): a unicast REQUEST from T1, a broadcast one from T2, and
// once the lease runs out (or the server NAKs) the address is dropped, the
// LCD says so, and DISCOVER starts over with back-off. Simulated time only.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakePmwebapi, type FakePmwebapi } from '../support/pmwebapi-fake.ts';
import { DHCPDISCOVER, DHCPREQUEST, type DhcpRequestSeen } from '../../simulator/src/dhcp-server.ts';
import { formatIp } from '../../simulator/src/netmap.ts';
import { bootNetworkMode, type NetworkModeBoard, followSimClock } from '../support/boot.ts';

const LEASE = 60,
  T1 = 30,
  T2 = 52;
const FIRST_IP = '192.168.7.100';
/** How late the firmware may act on a timer (it checks every loop; the CPU sleeps in between). */
const LATE_MS = 1000;

let fake: FakePmwebapi;
before(async () => {
  fake = await startFakePmwebapi();
});
after(async () => {
  await fake.close();
});

interface Seen extends DhcpRequestSeen {
  ms: number;
}

interface LeaseBoard extends NetworkModeBoard {
  seen: Seen[];
  /** Simulated ms when the first lease was ACKed (its REQUEST reached the server). */
  boundMs: number;
  tick: () => void;
  sipr: () => string;
  /** Runs ms, checking inv() every 250 ms. */
  runChecking: (ms: number, inv: () => void) => Promise<void>;
}

async function bootLease(): Promise<LeaseBoard> {
  const seen: Seen[] = [];
  const nb = await bootNetworkMode({
    port: fake.port,
    settings: { poll: '5' },
    setup: (c) => {
      c.dhcp.lease = { seconds: LEASE };
      c.dhcp.onRequest = (r) => seen.push({ ...r, ms: c.host.cpu.cycles / 16000 });
    },
  });
  const tick = followSimClock(fake, nb.board);
  await nb.until(() => nb.lcd().includes('bps'), 20000, 'rates', tick);
  const acked = seen.filter((r) => r.type === DHCPREQUEST);
  assert.equal(acked.length, 1, 'one REQUEST to get the first lease');
  const sipr = () => formatIp(nb.chip.sourceIp());
  assert.equal(sipr(), FIRST_IP);
  const runChecking = async (ms: number, inv: () => void) => {
    const end = nb.board.millis + ms;
    while (nb.board.millis < end) {
      tick();
      await nb.board.run(250);
      inv();
    }
  };
  return { ...nb, seen, boundMs: acked[0].ms, tick, sipr, runChecking };
}

/** The requests after the first lease, times relative to it. */
function renewals(lb: LeaseBoard) {
  return lb.seen.filter((r) => r.ms > lb.boundMs).map((r) => ({ ...r, at: r.ms - lb.boundMs }));
}

function assertRenewRequest(r: Seen, unicast: boolean) {
  assert.equal(r.type, DHCPREQUEST);
  assert.equal(r.unicast, unicast, unicast ? 'renewing: to the server' : 'rebinding: broadcast');
  assert.equal(formatIp(r.ciaddr), FIRST_IP, 'ciaddr carries the address held');
  assert.equal(r.requested, undefined, 'no option 50 while renewing (RFC 2131 table 5)');
  assert.equal(r.serverId, undefined, 'no option 54 while renewing');
}

const contexts = () => fake.requests.filter((r) => r.path.includes('context')).length;

describe('network mode: DHCP lease renewal (60 s lease)', () => {
  it('renews by unicast at T1, every time, and keeps polling on the same address and context', async () => {
    const lb = await bootLease();
    try {
      const ctx = contexts(),
        fetches = fake.requests.length;
      await lb.runChecking(100_000, () => {
        assert.match(lb.lcd(), /bps/, 'the rates stay on screen');
        assert.equal(lb.sipr(), FIRST_IP);
      });
      const rs = renewals(lb);
      assert.equal(rs.length, 3, `three renewals in 100 s: ${rs.map((r) => r.at).join(', ')}`);
      rs.forEach((r, i) => {
        assertRenewRequest(r, true);
        const due = (i + 1) * T1 * 1000;
        assert.ok(r.at >= due && r.at < due + i * LATE_MS + LATE_MS, `renewal ${i + 1} at ${r.at} ms, due ${due}`);
      });
      assert.equal(lb.chip.dhcp.stats.discover, 1, 'no new DISCOVER');
      assert.equal(lb.chip.dhcp.stats.ack, 4);
      assert.equal(contexts(), ctx, 'the PMWEBAPI context survives renewals');
      assert.ok(fake.requests.length - fetches >= 18, 'a fetch every 5 s all along');
      assert.equal(lb.board.resets.watchdog, 0);
    } finally {
      lb.dispose();
    }
  });

  it('rebinds by broadcast at T2 when the server does not answer the unicast renewal', async () => {
    const lb = await bootLease();
    try {
      // The leasing server is gone; another one hears broadcasts only.
      lb.chip.dhcp.onRequest = (r) => {
        lb.seen.push({ ...r, ms: lb.board.millis });
        lb.chip.dhcp.mode = r.unicast ? 'silent' : 'serve';
      };
      await lb.runChecking(60_000, () => {
        assert.match(lb.lcd(), /bps/, 'the rates stay on screen');
        assert.equal(lb.sipr(), FIRST_IP);
      });
      const rs = renewals(lb);
      assert.ok(rs.length >= 2, `requests: ${rs.map((r) => r.at).join(', ')}`);
      assertRenewRequest(rs[0], true);
      assert.ok(rs[0].at >= T1 * 1000 && rs[0].at < T1 * 1000 + LATE_MS, `renewing at ${rs[0].at} ms`);
      assertRenewRequest(rs[1], false);
      assert.ok(rs[1].at >= T2 * 1000 && rs[1].at < T2 * 1000 + LATE_MS, `rebinding at ${rs[1].at} ms`);
      assert.equal(lb.chip.dhcp.stats.discover, 1, 'the rebind kept the lease: no new DISCOVER');
      assert.equal(lb.chip.dhcp.stats.ack, 2);
    } finally {
      lb.dispose();
    }
  });

  it('a NAK to the renewal drops the address and starts over with DISCOVER, on the new address', async () => {
    const lb = await bootLease();
    try {
      // The server lost its lease table and gave the address to someone else.
      const dhcp = lb.chip.dhcp;
      dhcp.leases.clear();
      dhcp.leases.set('020000000099', 0xc0a80764);
      let refusedShown = false;
      await lb.until(
        () => lb.lcd().includes('bps') && lb.sipr() === '192.168.7.101',
        60_000,
        'rates on the new address',
        () => {
          lb.tick();
          if (lb.lcd().startsWith('DHCP refused')) {
            refusedShown = true;
            assert.match(lb.lcd(), /\|0\.0\.0\.0/, 'the dropped address is shown as 0.0.0.0');
            assert.equal(lb.sipr(), '0.0.0.0', 'the chip no longer uses it');
          }
        },
        100,
      );
      assert.ok(refusedShown, 'the LCD said the renewal was refused');
      const rs = renewals(lb);
      assertRenewRequest(rs[0], true);
      assert.equal(dhcp.stats.nak, 1);
      assert.equal(rs[1].type, DHCPDISCOVER, 'then DISCOVER from scratch');
      assert.equal(dhcp.stats.discover, 2);
      assert.equal(lb.board.resets.watchdog, 0);
    } finally {
      lb.dispose();
    }
  });

  it('a silent server: unicast at T1, broadcast at T2, the address dropped at expiry, DISCOVER with back-off', async () => {
    const lb = await bootLease();
    try {
      lb.chip.dhcp.mode = 'silent';
      await lb.runChecking(T2 * 1000 + 2000 - (lb.board.millis - lb.boundMs), () => {
        assert.equal(lb.sipr(), FIRST_IP, 'the address is kept until the lease ends');
      });
      let lostAt = 0;
      await lb.until(() => lb.lcd().startsWith('DHCP lease lost'), 10_000, 'lease lost', lb.tick, 100);
      lostAt = lb.board.millis - lb.boundMs;
      assert.ok(lostAt >= LEASE * 1000 && lostAt < LEASE * 1000 + LATE_MS, `lost at ${lostAt} ms`);
      assert.match(lb.lcd(), /^DHCP lease lost *\|0\.0\.0\.0/);
      assert.equal(lb.sipr(), '0.0.0.0');
      const rs = renewals(lb);
      assertRenewRequest(rs[0], true);
      assertRenewRequest(rs[1], false);
      assert.ok(rs[1].at >= T2 * 1000 && rs[1].at < T2 * 1000 + LATE_MS, `rebinding at ${rs[1].at} ms`);
      assert.equal(
        rs.filter((r) => r.type === DHCPREQUEST).length,
        2,
        'one try each at T1 and T2 (retries >= 60 s apart)',
      );

      await lb.runChecking(60_000, lb.tick);
      // DISCOVERs come in rounds of three; the pause between rounds doubles.
      const discovers = renewals(lb)
        .filter((r) => r.type === DHCPDISCOVER)
        .map((r) => r.ms);
      // The lost lease is a failure like any other: the first retry comes within a poll interval (docs/backoff.md).
      assert.ok(
        discovers[0] - lb.boundMs < LEASE * 1000 + 5000 + LATE_MS,
        `DISCOVER within a poll of expiry: ${discovers[0] - lb.boundMs} ms`,
      );
      const gaps = discovers.slice(1).map((ms, i) => ms - discovers[i]);
      const pauses = gaps.filter((g) => g > 4500);
      assert.ok(pauses.length >= 2, `gaps: ${gaps.map(Math.round).join(', ')}`);
      for (let i = 1; i < pauses.length; i++)
        assert.ok(pauses[i] > pauses[i - 1] + 1000, `back-off grows: ${pauses.map(Math.round)}`);
      assert.match(lb.lcd(), /^(no DHCP lease|DHCP lease lost)/);

      lb.chip.dhcp.mode = 'serve';
      await lb.until(() => lb.lcd().includes('bps'), 90_000, 'rates after the server is back', lb.tick);
      assert.equal(lb.sipr(), FIRST_IP);
      assert.equal(lb.board.resets.watchdog, 0);
    } finally {
      lb.dispose();
    }
  });
});
