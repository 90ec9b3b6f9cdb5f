// The README's picture of the glass (docs/lcd.svg): the product's main screen written through
// the simulated LCD bus as the firmware would, with the product's glyph set, then rendered.
// CLI: npx tsx demo/lcd-sample.ts --sample docs/lcd.svg
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MAIN_GLYPHS } from '../host/src/glyphs.ts';
import { HD44780 } from '../simulator/src/hd44780.ts';
import { FakeClock, LcdBus } from '../simulator/src/hd44780-bus.ts';
import { saveLcdImage } from '../simulator/src/lcd-render.ts';

/** The docs sample: the main screen of docs/screens.md, written through the bus like firmware would. */
export function sampleLcd(): HD44780 {
  const clock = new FakeClock();
  const lcd = new HD44780(clock);
  const bus = new LcdBus(lcd, clock);
  bus.init();
  MAIN_GLYPHS.rows.forEach((rows, n) => {
    bus.defineGlyph(n, rows);
  });
  bus.command(0x80);
  bus.print([0, ...codesOf('12.3M '), 1, ...codesOf(' 845kbps')]);
  bus.command(0xc0);
  bus.print([...codesOf('  23ms '), 0xff, 0xff, 0xff, 0xff, 0xff, 3, ...codesOf('  '), 6]);
  if (lcd.violations.length > 0) throw new Error(`sample: unexpected LCD violations: ${lcd.violations[0]!.message}`);
  return lcd;
}

function codesOf(s: string): number[] {
  return Array.from(s, (ch) => ch.charCodeAt(0));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--sample');
  if (at < 0 || !args[at + 1]) {
    console.error('usage: tsx demo/lcd-sample.ts --sample <out.svg>');
    process.exit(2);
  }
  console.log(`wrote ${saveLcdImage(sampleLcd(), resolve(args[at + 1]!))}`);
}
