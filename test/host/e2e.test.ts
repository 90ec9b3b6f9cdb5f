// End to end: a real private pmcd + pmproxy -> the bridge -> the real firmware in
// the simulated Uno (through the simulator's serial binding) -> LCD text. The
// test computes the loopback rate itself from the same pmproxy and checks the
// LCD against it, for both API forms; then unplug/replug and a board reset.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildMainFirmware } from '../../scripts/avr-build.ts';
import { Board } from '../../simulator/src/board.ts';
import { SimSerialBinding } from '../../simulator/src/serial-binding.ts';
import { Bridge } from '../../host/src/bridge.ts';
import { resolveConfig } from '../../host/src/config.ts';
import { silentLogger } from '../../host/src/log.ts';
import { SerialLink } from '../../host/src/serial-link.ts';
import { pcpUnavailable, usePrivatePcp } from '../support/pcp.ts';

const PATH = '/dev/pmlcd-e2e0';
const SI: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9 };

function lcdLine(board: Board, row: number): string {
  return board.lcd.codes(row).map((c) => String.fromCharCode(c)).join('');
}

/** "1.31M" -> 1310000; null for NA. */
function parseRate(s: string): number | null {
  const m = /^\s*([\d.]+)([kMG]?)$/.exec(s);
  return m ? Number(m[1]) * (SI[m[2]] ?? 1) : null;
}

async function until(cond: () => boolean, what: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Steady loopback traffic, so the rate the LCD shows is predictable. */
async function loopbackTraffic(bytesPerTick: number, tickMs: number): Promise<{ stop(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => { sockets.push(s); s.resume(); });
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

/** lo's receive counter from the compat fetch ({s,us} timestamps), parsed without the bridge's code. */
async function loSample(url: string, ctx: number, loId: number): Promise<{ t: number; v: number }> {
  const body = await (await fetch(`${url}/pmapi/${ctx}/_fetch?names=network.interface.in.bytes`)).json() as {
    timestamp: { s: number; us: number }; values: { instances: { instance: number; value: number }[] }[];
  };
  return { t: body.timestamp.s + body.timestamp.us / 1e6, v: body.values[0].instances.find((i) => i.instance === loId)!.value };
}

describe('bridge -> simulated firmware, real pmcd + pmproxy', { skip: pcpUnavailable() ?? false }, () => {
  const pcp = usePrivatePcp();
  let hex = '';
  before(async () => { hex = (await buildMainFirmware(true)).hex; });

  async function withRig(api: string, fn: (r: { board: Board; binding: SimSerialBinding; link: SerialLink }) => Promise<void>) {
    const board = new Board({ firmware: hex });
    const binding = new SimSerialBinding();
    binding.attach(PATH, board);
    board.start();
    const link = new SerialLink({ binding, findPath: async () => PATH, backoffMinMs: 100, backoffMaxMs: 500 });
    const cfg = resolveConfig({ flags: { url: pcp.get().url, hostspec: pcp.get().hostspec, api, iface: 'lo', units: 'bytes', poll: '1', 'latency-instance': 'ping' } });
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

  for (const api of ['pmproxy', 'pmwebd']) {
    test(`LCD shows the loopback rate the test measures itself (${api} form)`, async () => {
      const { url } = pcp.get();
      const ctx = ((await (await fetch(`${url}/pmapi/context?polltimeout=60`)).json()) as { context: number }).context;
      const indom = await (await fetch(`${url}/pmapi/${ctx}/_indom?name=network.interface.in.bytes`)).json() as { instances: { instance: number; name: string }[] };
      const loId = indom.instances.find((i) => i.name === 'lo')!.instance;
      const traffic = await loopbackTraffic(32 * 1024, 25); // ~1.3 MB/s
      try {
        await withRig(api, async ({ board }) => {
          await until(() => parseRate(lcdLine(board, 0).slice(1, 6)) !== null, `a rate on the LCD (${JSON.stringify(lcdLine(board, 0))})`, 15_000);
          const a = await loSample(url, ctx, loId);
          await sleep(3000);
          const shown = parseRate(lcdLine(board, 0).slice(1, 6))!;
          const b = await loSample(url, ctx, loId);
          const measured = (b.v - a.v) / (b.t - a.t);
          assert.ok(Math.abs(shown - measured) / measured < 0.25, `LCD ${shown} B/s vs measured ${measured.toFixed(0)} B/s`);
          assert.equal(lcdLine(board, 0).slice(13), 'B/s');
          assert.match(lcdLine(board, 1).slice(0, 6), /^( ?\d\.\dms|\s*\d+ms|  NA  )$/);
        });
      } finally {
        await traffic.stop();
      }
    });
  }

  test('unplug/replug and a board reset: the screen comes back', async () => {
    await withRig('auto', async ({ board, binding, link }) => {
      await until(() => link.synced && lcdLine(board, 0).endsWith('B/s'), 'first screen', 15_000);
      binding.unplug(PATH);
      await until(() => link.state !== 'ready', 'link down', 5000);
      await sleep(300);
      binding.replug(PATH);
      await until(() => link.state === 'ready' && link.synced && lcdLine(board, 0).endsWith('B/s'), 'screen after replug', 15_000);
      const resets = link.counters.resets;
      board.resetExternal();
      await until(() => link.counters.resets > resets, 'banner after reset', 10_000);
      await until(() => link.synced && lcdLine(board, 0).endsWith('B/s'), 'screen after reset', 10_000);
    });
  });
});

