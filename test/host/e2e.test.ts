// End to end: a real private pmcd + pmproxy -> the bridge -> the real firmware in
// the simulated Uno (through the simulator's serial binding) -> LCD text. A
// recording proxy sits between the bridge and pmproxy: after each fetch reply,
// the LCD's main line 1 must be exactly what that reply and the one before give
// (rates worked out here, formatted by the shared rules), for both API forms;
// then unplug/replug and a board reset.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildMainFirmware } from '../../scripts/avr-build.ts';
import { Board } from '../../simulator/src/board.ts';
import { SimSerialBinding } from '../../simulator/src/serial-binding.ts';
import { Bridge } from '../../host/src/bridge.ts';
import { resolveConfig } from '../../host/src/config.ts';
import { formatMainScreen, type Units } from '../../host/src/format.ts';
import { silentLogger } from '../../host/src/log.ts';
import { SerialLink } from '../../host/src/serial-link.ts';
import { pcpUnavailable, usePrivatePcp } from '../support/pcp.ts';
import {
  LEGACY_FETCH_PATH,
  fetchReplies,
  instanceId,
  startRecordingProxy,
  type FetchSample,
  type RecordingProxy,
} from '../support/recording-proxy.ts';

const PATH = '/dev/pmlcd-e2e0';
const IN = 'network.interface.in.bytes';
const OUT = 'network.interface.out.bytes';
const POLLS = 4;

/** LCD row as text; CGRAM codes 8..15 are the same glyphs as 0..7. */
function lcdLine(board: Board, row: number): string {
  return board.lcd
    .codes(row)
    .map((c) => String.fromCharCode(c < 16 ? c & 7 : c))
    .join('');
}

async function until(cond: () => boolean, what: () => string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what()}`);
    await sleep(5);
  }
}

/** Steady loopback traffic, so the rates move. */
async function loopbackTraffic(bytesPerTick: number, tickMs: number): Promise<{ stop(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => {
    sockets.push(s);
    s.resume();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const client = createConnection((server.address() as { port: number }).port, '127.0.0.1');
  const chunk = Buffer.alloc(bytesPerTick, 0x55);
  const timer = setInterval(() => client.write(chunk), tickMs);
  return {
    async stop() {
      clearInterval(timer);
      client.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * Bytes per second by docs/rates.md, written out here rather than taken from
 * host/src/rates.ts: (v2 - v1) / (t2 - t1) over the server's timestamps in whole
 * milliseconds, rounded half up.
 */
function bytesPerSecond(a: FetchSample, b: FetchSample, dv: bigint): bigint {
  const ms = (x: FetchSample) => x.sec * 1000n + x.ns / 1_000_000n;
  const dt = ms(b) - ms(a);
  assert.ok(dt > 0n, `timestamps move forward: ${a.sec}.${a.ns} -> ${b.sec}.${b.ns}`);
  return (dv * 1000n + dt / 2n) / dt;
}

/** Main screen line 1 from two recorded fetch replies of lo. */
function expectedLine1(a: FetchSample, b: FetchSample, lo: number, units: Units): string {
  const [down, up] = [IN, OUT].map((name) => {
    const v1 = a.values.get(name)?.get(lo),
      v2 = b.values.get(name)?.get(lo);
    assert.ok(v1 !== undefined && v2 !== undefined && v2 >= v1, `${name}[lo] in both replies: ${v1} -> ${v2}`);
    const perSec = bytesPerSecond(a, b, v2 - v1);
    return units === 'bits' ? perSec * 8n : perSec;
  });
  return formatMainScreen({ down, up, capDown: 0, units, latencyUs: null, ageSec: 0, pollSec: 1 })[0];
}

describe('bridge -> simulated firmware, real pmcd + pmproxy', { skip: pcpUnavailable() ?? false }, () => {
  const pcp = usePrivatePcp();
  let hex = '';
  before(async () => {
    hex = (await buildMainFirmware(true)).hex;
  });

  async function withRig(
    opts: { api: string; units?: Units; url?: string },
    fn: (r: { board: Board; binding: SimSerialBinding; link: SerialLink }) => Promise<void>,
  ) {
    const board = new Board({ firmware: hex });
    const binding = new SimSerialBinding();
    binding.attach(PATH, board);
    board.start();
    const link = new SerialLink({ binding, findPath: async () => PATH, backoffMinMs: 100, backoffMaxMs: 500 });
    const cfg = resolveConfig({
      flags: {
        url: opts.url ?? pcp.get().url,
        hostspec: pcp.get().hostspec,
        api: opts.api,
        iface: 'lo',
        units: opts.units ?? 'bytes',
        poll: '1',
        'latency-instance': 'ping',
      },
    });
    const bridge = new Bridge({ cfg, link, log: silentLogger });
    bridge.start();
    try {
      await fn({ board, binding, link });
      await bridge.stop();
      assert.equal(lcdLine(board, 0).trimEnd(), 'bridge stopped');
    } finally {
      await bridge.stop();
      await board.stop();
    }
  }

  // Both display units, one per API form.
  for (const [api, units] of [
    ['pmproxy', 'bits'],
    ['pmwebd', 'bytes'],
  ] as const) {
    test(`LCD line 1 equals the rates of the recorded fetch replies (${api} form, ${units})`, async () => {
      const proxy: RecordingProxy = await startRecordingProxy(pcp.get().pmproxyPort);
      const traffic = await loopbackTraffic(32 * 1024, 25); // ~1.3 MB/s
      try {
        await withRig({ api, units, url: `http://127.0.0.1:${proxy.port}` }, async ({ board }) => {
          const shown = () => JSON.stringify(lcdLine(board, 0));
          await until(
            () => fetchReplies(proxy).length >= 2 && /^\x00[ \d.]{4}[\dkMG] \x01/.test(lcdLine(board, 0)),
            () => `a rate on the LCD (${shown()})`,
            15_000,
          );
          const lo = instanceId(proxy, 'lo');
          for (let poll = 0; poll < POLLS; poll++) {
            const seen = fetchReplies(proxy).length;
            await until(
              () => fetchReplies(proxy).length > seen,
              () => 'the next fetch reply',
              5000,
            );
            const [a, b] = fetchReplies(proxy).slice(-2);
            for (const r of [a, b])
              assert.equal(LEGACY_FETCH_PATH.test(r.path), api === 'pmwebd', `${api} form: ${r.path}`);
            const want = expectedLine1(a.sample, b.sample, lo, units);
            // The bridge draws within milliseconds; the next poll is a second away.
            await until(
              () => lcdLine(board, 0) === want || fetchReplies(proxy).length > seen + 1,
              () => '',
              3000,
            ).catch(() => {});
            assert.equal(
              lcdLine(board, 0),
              want,
              `poll ${poll}: samples ${a.sample.sec}.${a.sample.ns} -> ${b.sample.sec}.${b.sample.ns}`,
            );
          }
          assert.deepEqual(proxy.errors, []);
        });
      } finally {
        await traffic.stop();
        await proxy.close();
      }
    });
  }

  test('unplug/replug and a board reset: the screen comes back', async () => {
    await withRig({ api: 'auto' }, async ({ board, binding, link }) => {
      await until(
        () => link.synced && lcdLine(board, 0).endsWith('B/s'),
        () => 'first screen',
        15_000,
      );
      binding.unplug(PATH);
      await until(
        () => link.state !== 'ready',
        () => 'link down',
        5000,
      );
      await sleep(300);
      binding.replug(PATH);
      await until(
        () => link.state === 'ready' && link.synced && lcdLine(board, 0).endsWith('B/s'),
        () => 'screen after replug',
        15_000,
      );
      const resets = link.counters.resets;
      board.resetExternal();
      await until(
        () => link.counters.resets > resets,
        () => 'banner after reset',
        10_000,
      );
      await until(
        () => link.synced && lcdLine(board, 0).endsWith('B/s'),
        () => 'screen after reset',
        10_000,
      );
    });
  });
});
