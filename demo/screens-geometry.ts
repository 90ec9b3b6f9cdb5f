// The pictures of docs/screens.md (docs/screens-16x2.svg ... screens-20x4.svg): the
// product firmware in network mode on each LCD size, against the scripted PMWEBAPI
// server with docs/screens.md's example rates (12.3 Mbit/s down, 845 kbit/s up), taken
// right after a fetch (age 0 s), rendered by the simulator.
// CLI: npx tsx demo/screens-geometry.ts --out docs
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderSvg } from '../simulator/src/lcd-render.ts';
import type { LcdGeometryName } from '../simulator/src/hd44780.ts';
import { bootNetworkMode } from '../test/support/boot.ts';
import { startFakePmwebapi } from '../test/support/pmwebapi-fake.ts';

export const SIZES: LcdGeometryName[] = ['16x2', '20x2', '16x4', '20x4'];
const IN_BPS = 1_543_209n,
  OUT_BPS = 105_625n;

/** Each size's picture as SVG, in SIZES order. */
export async function renderScreens(): Promise<string[]> {
  const fake = await startFakePmwebapi();
  try {
    const out: string[] = [];
    for (const size of SIZES) {
      const nb = await bootNetworkMode({
        lcdGeometry: size,
        port: fake.port,
        settings: { 'lcd.size': size, poll: '1' },
      });
      try {
        let last = nb.board.millis;
        const tick = () => {
          const ms = BigInt(Math.floor(nb.board.millis - last));
          if (ms <= 0n) return;
          last += Number(ms);
          const e = fake.state.interfaces.find((i) => i.name === 'eth0')!;
          e.in += (IN_BPS * ms) / 1000n;
          e.out += (OUT_BPS * ms) / 1000n;
          const ns =
            BigInt(fake.state.timestamp.sec) * 1_000_000_000n + BigInt(fake.state.timestamp.nsec) + ms * 1_000_000n;
          fake.state.timestamp = { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
        };
        const text = () => nb.board.lcd.text().join('\n');
        // Rates and the latency's min/avg/max of three samples, then the moment of a fetch.
        let draws = 0;
        await nb.until(
          () => (text().includes('12.3M') ? ++draws : 0) > 150 && !/[1-9]s(\n|$)/.test(text()),
          30000,
          `the ${size} main screen`,
          tick,
          10,
        );
        out.push(renderSvg(nb.board.lcd));
      } finally {
        nb.dispose();
      }
    }
    return out;
  } finally {
    await fake.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const at = process.argv.indexOf('--out');
  if (at < 0 || !process.argv[at + 1]) {
    console.error('usage: tsx demo/screens-geometry.ts --out <dir>');
    process.exit(2);
  }
  const svgs = await renderScreens();
  SIZES.forEach((size, i) => {
    const file = join(resolve(process.argv[at + 1]!), `screens-${size}.svg`);
    writeFileSync(file, svgs[i]!);
    console.log(`wrote ${file}`);
  });
}
