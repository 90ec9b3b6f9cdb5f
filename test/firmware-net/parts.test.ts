// One firmware for every combination of parts: a W5100 or W5500 shield and an LCD on
// the parallel wiring or an I2C backpack (a PCF8574 at 0x27, a PCF8574A at 0x3F), found
// by the firmware at boot. Each combination boots into network mode against the
// scripted PMWEBAPI server, reports its parts in the banner, shows the main screen of
// its LCD size (each size once at least: docs/screens.md) and shows it again after a
// reset, without a single LCD timing violation.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakePmwebapi, type FakePmwebapi } from '../support/pmwebapi-fake.ts';
import { bootNetworkMode, type NetworkModeBoard } from '../support/boot.ts';
import type { LcdGeometryName } from '../../simulator/src/hd44780.ts';
import type { ShieldName } from '../../simulator/src/shield.ts';

let fake: FakePmwebapi;
before(async () => {
  fake = await startFakePmwebapi();
});
after(async () => {
  await fake.close();
});

// Bytes per second on eth0: 12.3 Mbit/s down, 845 kbit/s up (docs/screens.md's example).
const IN_BPS = 1_543_209n,
  OUT_BPS = 105_625n;

/** The main screen of each size for those rates, the fake's 6.8 ms latency, default capacities and
 * iface eth0 on host localhost (text() notation: glyph n is the circled n+1, the full block █);
 * the age (last three cells of some rows) is checked apart. */
const SCREENS: Record<string, string[]> = {
  '16x2': ['①12.3M ② 845kbps', ' 6.8ms █████④   '],
  '20x2': ['①12.3M ② 845kbps ', ' 6.8ms①███⑤  ②█████ '],
  '16x4': ['①12.3Mbps ███⑤  ', '② 845kbps █████ ', ' 6.8ms  6.8/ 6.8', 'eth0@localho '],
  '20x4': ['①12.3Mbps ██████    ', '② 845kbps ████████④ ', ' 6.8ms 6.8/ 6.8/ 6.8', 'eth0@localhost   '],
};

/** The board's rows, with the age field (where the size has one) checked and cut off. */
function rowsWithoutAge(nb: NetworkModeBoard, size: string): string[] | null {
  const rows = nb.board.lcd.text();
  const ageRow = size === '20x2' ? 0 : size.endsWith('x4') ? 3 : -1;
  if (ageRow < 0) return rows;
  const age = rows[ageRow].slice(-3);
  if (!/^[ \d]\ds$/.test(age)) return null;
  return rows.map((r, i) => (i === ageRow ? r.slice(0, -3) : r));
}

/** Drives the fake's clock and eth0 counters from this board's simulated time. */
function traffic(nb: NetworkModeBoard) {
  let last = nb.board.millis;
  return () => {
    const ms = BigInt(Math.floor(nb.board.millis - last));
    if (ms <= 0n) return;
    last += Number(ms);
    const e = fake.state.interfaces.find((i) => i.name === 'eth0')!;
    e.in += (IN_BPS * ms) / 1000n;
    e.out += (OUT_BPS * ms) / 1000n;
    const ns = BigInt(fake.state.timestamp.sec) * 1_000_000_000n + BigInt(fake.state.timestamp.nsec) + ms * 1_000_000n;
    fake.state.timestamp = { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
  };
}

const COMBINATIONS: { shield: ShieldName; i2c?: number; size: LcdGeometryName }[] = [
  { shield: 'w5100', size: '16x2' },
  { shield: 'w5100', i2c: 0x27, size: '20x4' },
  { shield: 'w5100', i2c: 0x3f, size: '16x4' },
  { shield: 'w5500', size: '20x2' },
  { shield: 'w5500', i2c: 0x27, size: '16x2' },
  { shield: 'w5500', i2c: 0x3f, size: '20x4' },
];

describe('every shield and LCD attachment, one firmware', () => {
  for (const { shield, i2c, size } of COMBINATIONS) {
    const bus = i2c ? `i2c:0x${i2c.toString(16).toUpperCase()}` : 'parallel';
    it(`${shield}, LCD ${bus}, ${size}: banner, main screen, again after a reset`, async () => {
      const nb = await bootNetworkMode({
        shield,
        lcdGeometry: size,
        lcdBus: i2c ? { kind: 'i2c', address: i2c } : undefined,
        port: fake.port,
        settings: { 'lcd.size': size, poll: '1' },
      });
      try {
        const tick = traffic(nb);
        const from = nb.out().length;
        await nb.command('V');
        assert.match(
          nb.out().slice(from),
          new RegExp(` lcd=${size} mode=net cfg=\\w+ lcdbus=${bus} eth=${shield} ip=`),
        );
        const want = SCREENS[size];
        const shown = () => JSON.stringify(rowsWithoutAge(nb, size)) === JSON.stringify(want);
        await nb.until(shown, 20000, `the ${size} main screen ${JSON.stringify(want)}`, tick);
        const banners = () => nb.out().match(/^PMLCD 1 [^\n]*\n/gm) ?? [];
        const before = banners().length;
        nb.board.resetExternal();
        await nb.until(() => banners().length > before, 3000, 'the banner after the reset');
        assert.match(
          banners().at(-1)!,
          new RegExp(`^PMLCD 1 \\S+ lcd=${size} mode=net reset=external cfg=ok lcdbus=${bus} eth=${shield} `),
        );
        assert.ok(!shown(), 'the screen starts over after the reset');
        await nb.until(shown, 20000, `the ${size} main screen after the reset`, tick);
        assert.deepEqual(nb.board.lcd.violations, []);
        assert.equal(nb.board.resets.watchdog, 0);
      } finally {
        nb.dispose();
      }
    });
  }
});
