// The firmware as an Arduino IDE sketch: firmware/firmware.ino built by Debian's
// arduino-builder (the IDE 1.x build engine) against the installed core fits the flash
// budget, reports its size as the IDE does, and boots in the simulator to the same banner
// and glass as the avr-build.ts build of the same sources.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { test } from 'node:test';
import { IDE_FLASH_BUDGET, SKETCH, buildIdeSketch } from '../../scripts/ide-build.ts';
import { BANNER_RE, bootHostMode, productFirmware } from '../support/boot.ts';

test('the sketch folder is one the IDE opens: one .ino named after its folder, no loose sources', () => {
  const dir = dirname(SKETCH);
  assert.equal(basename(SKETCH, '.ino'), basename(dir));
  const entries = readdirSync(dir);
  // The IDE concatenates every .ino of the folder and compiles every .c/.cpp/.S beside it;
  // avr-build.ts compiles only src/, so a file here would make the two builds differ.
  assert.deepEqual(
    entries.filter((f) => /\.(ino|pde)$/.test(f)),
    [basename(SKETCH)],
  );
  assert.deepEqual(
    entries.filter((f) => /\.(c|cpp|S|h)$/.test(f)),
    [],
  );
  assert.ok(entries.includes('src'), 'the code sits in src/, which the IDE compiles recursively');
});

test('arduino-builder builds the sketch within the flash budget and reports its size', {
  timeout: 180_000,
}, async () => {
  const ide = await buildIdeSketch();
  console.log(`# IDE build: flash ${ide.size.flash} B, static RAM ${ide.size.ram} B`);
  assert.ok(ide.size.flash <= IDE_FLASH_BUDGET, `flash ${ide.size.flash} B > ${IDE_FLASH_BUDGET} B`);
  const used = /Sketch uses (\d+) bytes/.exec(ide.log);
  assert.ok(used, `no size line in the builder's output:\n${ide.log}`);
  assert.equal(Number(used[1]), ide.size.flash, 'the IDE reports flash as .text + .data');
  const ram = /Global variables use (\d+) bytes/.exec(ide.log);
  assert.equal(Number(ram?.[1]), ide.size.ram);
  // src/main.cpp's main() replaces the core's: the core's main.o (with initVariant) must
  // not be linked, or its init() would start Timer1, which the LCD driver owns.
  const syms = execFileSync('avr-nm', [ide.elf], { encoding: 'utf8' });
  assert.doesNotMatch(syms, /\binitVariant\b/);
});

test('the IDE build boots to the same banner and glass as the avr-build.ts build', { timeout: 180_000 }, async () => {
  const ide = await buildIdeSketch();
  const product = await productFirmware();
  const boots = [];
  for (const hex of [product.hex, ide.hex]) {
    const b = await bootHostMode({ firmware: hex });
    const banner = b.lines.find((l) => BANNER_RE.test(l));
    boots.push({ lines: b.lines.slice(0, b.lines.indexOf(banner!) + 1), glass: b.codes() });
    await b.close();
  }
  assert.deepEqual(boots[1].lines, boots[0].lines);
  assert.deepEqual(boots[1].glass, boots[0].glass);
  assert.match(String.fromCharCode(...boots[1].glass[0]), /^pmlcd /);
});
