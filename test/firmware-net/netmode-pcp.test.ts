// Network mode against a real private pmcd + pmproxy (host/src/pcp-local.ts):
// the rates on the LCD match what the test measures from the same pmproxy, in
// both API forms, and latency comes from the real shping PMDA.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Socket } from 'node:net';
import { getJson, pcpUnavailable, usePrivatePcp, valueOf, type FetchValues } from '../support/pcp.ts';
import { bootNet, type NetBoard } from './netsim.ts';

const skip = pcpUnavailable() ?? false;
const pcp = usePrivatePcp({ shping: [{ tag: 'lo', command: 'true' }] });

/** A steady loopback byte stream (bounded: it stops when the test ends). */
async function loopbackStream(bytesPerTick: number, tickMs: number) {
  const sinks = new Set<Socket>();
  const server = createServer((s) => { sinks.add(s); s.resume(); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = createConnection((server.address() as { port: number }).port, '127.0.0.1');
  const chunk = Buffer.alloc(bytesPerTick, 0x55);
  const timer = setInterval(() => client.write(chunk), tickMs);
  return () => { clearInterval(timer); client.destroy(); for (const s of sinks) s.destroy(); server.close(); };
}

/** A sampler of lo's receive counter from the same pmproxy, with the server's timestamps. */
async function loSampler() {
  const names = 'network.interface.in.bytes';
  const { url, hostspec } = pcp.get();
  const ctx = (await getJson<{ context: number }>(`${url}/pmapi/context?hostspec=${encodeURIComponent(hostspec)}&polltimeout=60`)).body.context;
  const indom = (await getJson<{ instances: { instance: number; name: string }[] }>(`${url}/pmapi/indom?context=${ctx}&name=${names}`)).body;
  const lo = indom.instances.find((i) => i.name === 'lo')!.instance;
  return async () => {
    const r = (await getJson<FetchValues & { timestamp: number }>(`${url}/pmapi/fetch?context=${ctx}&names=${names}`)).body;
    return { v: valueOf(r, names, lo)!, t: r.timestamp };
  };
}

function parseRate(s: string): number {
  const m = /^\s*([0-9.]+)([kMG]?)$/.exec(s);
  assert.ok(m, `rate "${s}"`);
  return Number(m[1]) * ({ '': 1, k: 1e3, M: 1e6, G: 1e9 } as Record<string, number>)[m[2]];
}

describe('network mode against a real pmcd + pmproxy', { skip }, () => {
  let nb: NetBoard;
  let stop = () => {};
  after(() => { stop(); nb?.dispose(); });

  async function checkRates(api: string) {
    const hostspec = pcp.get().hostspec;
    if (!nb) {
      nb = await bootNet({ port: pcp.get().pmproxyPort, settings: { iface: 'lo', 'm.latinst': 'lo', poll: '1', 'srv.api': api, 'srv.hostspec': hostspec, 'cap.down': '100000000' } });
    } else {
      await nb.command(`C SET srv.api ${api}`);
      await nb.command('M host');
      await nb.command('M net');
      await nb.board.run(100);
    }
    // Both lines show values, latency from shping (a number of ms, not NA).
    await nb.until(() => /^①.{5} ②.{5}bps\|[ 0-9.]{4}ms /.test(nb.lcd()) && !nb.lcd().includes('NA'), 30000, 'rates and latency');
    // The LCD's rates over a stretch of polls against the test's own rate over the same
    // stretch: both are counter deltas over pmproxy's timestamps, so they must agree up to
    // how the poll windows fall (the stream is steady, not exact, on a loaded machine).
    const sample = await loSampler();
    await nb.board.run(1100);  // the next LCD value starts after A
    const a = await sample();
    const shown: number[] = [];
    for (let i = 0; i < 6; i++) {
      await nb.board.run(1000);
      shown.push(parseRate(nb.lcd().slice(1, 6)));
    }
    const b = await sample();
    const measured = (b.v - a.v) * 8 / (b.t - a.t);
    const mean = shown.reduce((x, y) => x + y, 0) / shown.length;
    assert.ok(Math.abs(mean - measured) / measured < 0.35, `LCD ${shown.join(',')} bit/s (mean ${mean.toFixed(0)}) vs measured ${measured.toFixed(0)} bit/s (${api})`);
  }

  it('modern API: LCD rates match the test\'s own measurement; latency from shping', async () => {
    stop = await loopbackStream(64 * 1024, 50);  // about 10 Mbit/s on lo
    await checkRates('pmproxy');
  });

  it('legacy pmwebd API form against the same pmproxy', async () => {
    await checkRates('pmwebd');
  });
});
