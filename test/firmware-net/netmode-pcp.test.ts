// Network mode against a real private pmcd + pmproxy (demo/pcp-local.ts),
// through a recording proxy: after each fetch reply the board received, the
// LCD's rates are exactly what that reply and the one before give with the
// firmware's integer arithmetic, and within rounding of pmval's exact rate.
// Both API forms; latency comes from the real shping PMDA. Then the same on a W5500 shield
// with a 20x4 LCD on an I2C backpack (the modern form).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Socket } from 'node:net';
import { formatRate } from '../../host/src/format.ts';
import { pcpUnavailable, usePrivatePcp } from '../support/pcp.ts';
import {
  LEGACY_FETCH_PATH,
  fetchReplies,
  instanceId,
  startRecordingProxy,
  type FetchSample,
  type RecordingProxy,
} from '../support/recording-proxy.ts';
import { bootNetworkMode, type NetworkModeBoard, type NetworkModeOptions } from '../support/boot.ts';

const skip = pcpUnavailable() ?? false;
const pcp = usePrivatePcp({ shping: [{ tag: 'lo', command: 'true' }] });

const IN = 'network.interface.in.bytes';
const OUT = 'network.interface.out.bytes';
const POLLS = 4;
/** Reply to LCD takes ~20 simulated ms; the next poll is 1 s away. */
const SETTLE_MS = 300;
const U32_MAX = 0xffffffffn;

/** A steady loopback byte stream (bounded: it stops when the test ends). */
async function loopbackStream(bytesPerTick: number, tickMs: number) {
  const sinks = new Set<Socket>();
  const server = createServer((s) => {
    sinks.add(s);
    s.resume();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = createConnection((server.address() as { port: number }).port, '127.0.0.1');
  const chunk = Buffer.alloc(bytesPerTick, 0x55);
  const timer = setInterval(() => client.write(chunk), tickMs);
  return () => {
    clearInterval(timer);
    client.destroy();
    for (const s of sinks) s.destroy();
    server.close();
  };
}

/**
 * docs/rates.md in BigInt: the server's timestamps in whole milliseconds,
 * round(delta * 1000 / ms) bytes/s with ties up, capped at 2^32-1, then x8 for
 * bits, capped again.
 */
function firmwareRate(a: FetchSample, b: FetchSample, dv: bigint): bigint {
  const ms = (x: FetchSample) => x.sec * 1000n + x.ns / 1_000_000n;
  const dtMs = ms(b) - ms(a);
  let perSec = (dv * 1000n + dtMs / 2n) / dtMs;
  if (perSec > U32_MAX) perSec = U32_MAX;
  return perSec > 0x1fffffffn ? U32_MAX : perSec * 8n;
}

/** pmval's rate: (v2 - v1) / (t2 - t1) over the server's timestamps, in bit/s. */
function exactRate(a: FetchSample, b: FetchSample, dv: bigint): number {
  const dtNs = (b.sec - a.sec) * 1_000_000_000n + (b.ns - a.ns);
  return Number(dv * 8n * 1_000_000_000n) / Number(dtNs);
}

/** The rates on the glass: the 16x2 has both on row 1, the 20x4 one per row. */
function shownRates(nb: NetworkModeBoard): [string, string] {
  const r = nb.board.lcd.text();
  return r.length === 4 ? [r[0].slice(1, 6), r[1].slice(1, 6)] : [r[0].slice(1, 6), r[0].slice(8, 13)];
}

/** Both rates and a latency (a number of ms from shping, not NA) on the glass. */
function ratesAndLatency(nb: NetworkModeBoard): boolean {
  const r = nb.board.lcd.text();
  if (r.length === 4)
    return (
      /^①.{5}bps/.test(r[0]) &&
      /^②.{5}bps/.test(r[1]) &&
      /^[ 0-9.]{4}ms/.test(r[2]) &&
      !r.slice(0, 3).join('').includes('NA')
    );
  return /^①.{5} ②.{5}bps\|[ 0-9.]{4}ms /.test(nb.lcd()) && !nb.lcd().includes('NA');
}

function ratesSuite(
  title: string,
  parts: Pick<NetworkModeOptions, 'shield' | 'lcdGeometry' | 'lcdBus'>,
  apis: ('pmproxy' | 'pmwebd')[],
) {
  describe(title, { skip }, () => {
    let nb: NetworkModeBoard;
    let proxy: RecordingProxy | undefined;
    let stop = () => {};
    after(async () => {
      stop();
      nb?.dispose();
      await proxy?.close();
    });

    async function checkRates(api: 'pmproxy' | 'pmwebd') {
      const hostspec = pcp.get().hostspec;
      if (!nb) {
        proxy = await startRecordingProxy(pcp.get().pmproxyPort);
        nb = await bootNetworkMode({
          ...parts,
          port: proxy.port,
          settings: {
            iface: 'lo',
            'm.latinst': 'lo',
            poll: '1',
            'srv.api': api,
            'srv.hostspec': hostspec,
            'cap.down': '100000000',
            'lcd.size': parts.lcdGeometry ?? '16x2',
          },
        });
      } else {
        await nb.command(`C SET srv.api ${api}`);
        await nb.command('M host');
        await nb.command('M net');
        await nb.board.run(100);
      }
      const rec = proxy!;
      // Both lines show values, latency from shping (a number of ms, not NA).
      await nb.until(() => ratesAndLatency(nb), 30000, 'rates and latency');
      const lo = instanceId(rec, 'lo');
      for (let poll = 0; poll < POLLS; poll++) {
        const seen = fetchReplies(rec).length;
        await nb.until(() => fetchReplies(rec).length > seen, 5000, 'the next fetch reply', undefined, 10);
        await nb.board.run(SETTLE_MS);
        const replies = fetchReplies(rec);
        assert.equal(replies.length, seen + 1, 'one fetch per poll');
        const [a, b] = replies.slice(-2);
        for (const r of [a, b])
          assert.equal(LEGACY_FETCH_PATH.test(r.path), api === 'pmwebd', `${api} form: ${r.path}`);
        const rates = [IN, OUT].map((name) => {
          const v1 = a.sample.values.get(name)?.get(lo),
            v2 = b.sample.values.get(name)?.get(lo);
          assert.ok(v1 !== undefined && v2 !== undefined && v2 >= v1, `${name}[lo] in both replies: ${v1} -> ${v2}`);
          const fw = firmwareRate(a.sample, b.sample, v2 - v1),
            exact = exactRate(a.sample, b.sample, v2 - v1);
          // The rule's integer steps can cost this much and no more: whole-ms
          // timestamps move the interval by under 1 ms, the rounding under 1 B/s. (The
          // simulation outruns the wall clock, so the interval is often ~100 ms.)
          const dtMs = Number((b.sample.sec - a.sample.sec) * 1_000_000_000n + b.sample.ns - a.sample.ns) / 1e6;
          assert.ok(
            Math.abs(Number(fw) - exact) <= exact / (dtMs - 1) + 8,
            `${name}: firmware arithmetic ${fw} vs pmval ${exact.toFixed(1)} bit/s (${a.sample.sec}.${a.sample.ns} -> ${b.sample.sec}.${b.sample.ns}, ${v2 - v1} B)`,
          );
          return fw;
        });
        assert.deepEqual(
          shownRates(nb),
          [formatRate(rates[0]), formatRate(rates[1])],
          `poll ${poll} (${api}): down ${rates[0]} up ${rates[1]} bit/s from samples ${a.sample.sec}.${a.sample.ns} -> ${b.sample.sec}.${b.sample.ns}`,
        );
      }
      assert.ok(countersMoved(rec), 'the traffic moved the counters');
      assert.deepEqual(rec.errors, []);
    }

    /** The last pair of replies showed traffic (so the checks above compared real movement). */
    function countersMoved(rec: RecordingProxy): boolean {
      const [a, b] = fetchReplies(rec).slice(-2);
      const lo = instanceId(rec, 'lo');
      return b.sample.values.get(IN)!.get(lo)! - a.sample.values.get(IN)!.get(lo)! > 10_000n;
    }

    if (apis.includes('pmproxy')) {
      it("modern API: LCD rates equal the recorded fetch replies' rates; latency from shping", async () => {
        stop = await loopbackStream(64 * 1024, 50); // about 10 Mbit/s on lo
        await checkRates('pmproxy');
      });
    }

    if (apis.includes('pmwebd')) {
      it('legacy pmwebd API form against the same pmproxy', async () => {
        await checkRates('pmwebd');
      });
    }
  });
}

ratesSuite('network mode against a real pmcd + pmproxy', {}, ['pmproxy', 'pmwebd']);
ratesSuite(
  'network mode on a W5500, 20x4 LCD on an I2C backpack, against a real pmcd + pmproxy',
  { shield: 'w5500', lcdGeometry: '20x4', lcdBus: { kind: 'i2c', address: 0x27 } },
  ['pmproxy'],
);
