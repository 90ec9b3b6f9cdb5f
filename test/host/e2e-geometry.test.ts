// End to end on every LCD size: the bridge (against the scripted PMWEBAPI server) drives
// the real firmware in the simulated Uno with a 16x2, 20x2, 16x4 or 20x4 module, once
// through the PCF8574 I2C backpack. The board is told its size with `C SET lcd.size`,
// its banner after the next reset says `lcd=<size>`, and the glass must then show the
// bridge's page whole: every row, every column.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildMainFirmware } from '../../scripts/avr-build.ts';
import { Board, type BoardOptions } from '../../simulator/src/board.ts';
import { SimSerialBinding } from '../../simulator/src/serial-binding.ts';
import { withBoardSession } from '../../host/src/board-session.ts';
import { Bridge } from '../../host/src/bridge.ts';
import { resolveConfig } from '../../host/src/config.ts';
import { parseLcdSize, type LcdSizeName } from '../../host/src/geometry.ts';
import { silentLogger } from '../../host/src/log.ts';
import { SerialLink } from '../../host/src/serial-link.ts';
import { startFakePmwebapi } from '../support/pmwebapi-fake.ts';

const PATH = '/dev/pmlcd-geometry0';

/** The glass as text rows; CGRAM codes 8..15 show the same glyphs as 0..7. */
function glass(board: Board): string[] {
  return Array.from({ length: board.lcd.config.rows }, (_x, r) =>
    board.lcd
      .codes(r)
      .map((c) => String.fromCharCode(c < 16 ? c & 7 : c))
      .join(''),
  );
}

async function until(cond: () => boolean, what: () => string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what()}`);
    await sleep(10);
  }
}

const CASES: { size: LcdSizeName; bus?: BoardOptions['lcdBus'] }[] = [
  { size: '16x2' },
  { size: '20x2' },
  { size: '16x4' },
  { size: '20x4' },
  { size: '20x4', bus: { kind: 'i2c', address: 0x27 } },
];

for (const { size, bus } of CASES) {
  const how = bus ? ` on an I2C backpack at 0x${(bus as { address: number }).address.toString(16)}` : '';
  test(`bridge -> firmware: a ${size} LCD${how} shows the whole page`, { timeout: 120_000 }, async () => {
    const hex = (await buildMainFirmware(true)).hex;
    const g = parseLcdSize(size)!;
    const board = new Board({ firmware: hex, lcdGeometry: size, ...(bus ? { lcdBus: bus } : {}) });
    board.eepromMemory.memory.fill(0xff);
    const binding = new SimSerialBinding();
    binding.attach(PATH, board);
    board.start();
    const fake = await startFakePmwebapi();
    try {
      // Tell the board its size; the reset the next open causes brings the new banner.
      const banner = await withBoardSession(binding, PATH, async (client, b) => {
        await client.send(`C SET lcd.size ${size}`);
        return b;
      });
      if (bus) assert.equal(banner.fields.lcdbus, 'i2c:0x27', `the firmware finds the backpack: ${banner.raw}`);
      const link = new SerialLink({
        binding,
        findPath: async () => PATH,
        backoffMinMs: 100,
        backoffMaxMs: 500,
        replyTimeoutMs: 2000,
      });
      const cfg = resolveConfig({
        flags: { url: fake.url, iface: 'eth0', 'latency-instance': 'lo', poll: '5', 'timeout-ms': '1000' },
      });
      const bridge = new Bridge({ cfg, link, log: silentLogger });
      link.start();
      try {
        await until(
          () => link.state === 'ready',
          () => `the link ready (${link.state}, ${link.lastError})`,
          20_000,
        );
        assert.equal(link.banner?.fields.lcd, size, link.banner?.raw);
        assert.deepEqual(bridge.geometry, g);
        const eth0 = fake.state.interfaces.find((i) => i.name === 'eth0')!;
        await bridge.pollOnce();
        fake.state.timestamp.sec += 2;
        eth0.in += 3_086_419n;
        eth0.out += 211_250n;
        await bridge.pollOnce();
        const page = () => bridge.refresh().lines;
        await until(
          () => JSON.stringify(glass(board)) === JSON.stringify(page()),
          () => `the glass ${JSON.stringify(glass(board))} to show ${JSON.stringify(page())}`,
          20_000,
        );
        const rows = glass(board);
        assert.equal(rows.length, g.rows);
        assert.ok(rows[0].includes('12.3M'), `the rate on row 1: ${JSON.stringify(rows)}`);
        if (g.rows === 4) assert.match(rows[3], /^eth0@localho/, 'row 4 names the source');
        if (g.cols === 20)
          assert.notEqual(rows[0].slice(16).trim() + rows[1].slice(16).trim(), '', 'columns 17-20 are used');
        assert.deepEqual(board.lcd.violations ?? [], [], 'no LCD timing violations');
      } finally {
        await bridge.stop();
      }
      assert.equal(glass(board)[0].trimEnd(), 'bridge stopped');
    } finally {
      await fake.close();
      await board.stop();
    }
  });
}
