// Builds the Uno's bootloader, Optiboot 4.4, from the source Debian's
// arduino-core-avr ships (bootloaders/optiboot/optiboot.c), for the simulator.
//
// Why not the shipped optiboot_atmega328.hex: Debian rebuilds it with avr-gcc 5.4
// and gets 532 bytes, 20 more than the 512-byte boot section, so its last bytes
// (appStart among them) lie past the end of flash: avrdude refuses to burn it and,
// loaded anyway, the app runs on after a watchdog reset with the watchdog still on
// and resets every 16 ms (Debian bug #985578). The same source with the Makefile's
// atmega328 target settings plus the size flags below gives 496 bytes, which fit,
// and behaves as the 500-byte hex Arduino ships. The build fails if it does not fit.
//
//   const { hex } = await buildOptiboot();               // build/optiboot/optiboot_atmega328p.hex
//   await buildOptiboot('atmega328');                     // the same for an ATmega328 (non-P): signature 1E 95 14
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ARDUINO_AVR, BUILD_DIR } from './avr-build.ts';

const run = promisify(execFile);

export const OPTIBOOT_SRC = join(ARDUINO_AVR, 'bootloaders/optiboot');
/** Debian's prebuilt hex: 532 B, does not fit (kept here for the guard test). */
export const DEBIAN_OPTIBOOT_HEX = join(OPTIBOOT_SRC, 'optiboot_atmega328.hex');

const BOOT_START = 0x7e00;
const VERSION_AT = 0x7ffe;
// Makefile (Debian arduino-core-avr 1.8.7) lines 110, 119-120 and the atmega328 target (lines 219-224).
const MAKEFILE_FLAGS = [
  '-g',
  '-Wall',
  '-Os',
  '-fno-inline-small-functions',
  '-fno-split-wide-types',
  '-mshort-calls',
  '-DF_CPU=16000000L',
  '-DLED_START_FLASHES=3',
  '-DBAUD_RATE=115200',
];
const LINK = [
  `-Wl,--section-start=.text=0x${BOOT_START.toString(16)}`,
  `-Wl,--section-start=.version=0x${VERSION_AT.toString(16)}`,
  '-Wl,--relax',
  '-Wl,--gc-sections',
  '-nostartfiles',
  '-nostdlib',
];
// Measured with gcc-avr 5.4.0: 532 B -> 496 B. They only stop gcc from inlining and from
// loop transformations that grow this code; the program's logic is the source's.
const SIZE_FLAGS = [
  '-mrelax',
  '-fno-tree-loop-optimize',
  '-fno-ivopts',
  '-fno-move-loop-invariants',
  '-fno-tree-scev-cprop',
  '-fno-gcse',
  '-fno-inline',
];

export type OptibootMcu = 'atmega328p' | 'atmega328';
export interface OptibootBuild {
  hex: string;
  elf: string;
  bytes: number;
  cached: boolean;
}

export async function buildOptiboot(mcu: OptibootMcu = 'atmega328p'): Promise<OptibootBuild> {
  const sources = ['optiboot.c', 'boot.h', 'pin_defs.h', 'stk500.h'].map((f) => join(OPTIBOOT_SRC, f));
  const args = [...MAKEFILE_FLAGS, ...SIZE_FLAGS, `-mmcu=${mcu}`, ...LINK];
  const h = createHash('sha256');
  for (const f of sources) h.update(readFileSync(f));
  h.update(args.join(' '));
  const key = h.digest('hex').slice(0, 16);
  const out = join(BUILD_DIR, 'optiboot');
  const base = join(out, `optiboot_${mcu}`);
  const hex = `${base}.hex`,
    elf = `${base}.elf`,
    stamp = `${base}.key`;
  if (existsSync(hex) && existsSync(stamp) && readFileSync(stamp, 'utf8').startsWith(key)) {
    return { hex, elf, bytes: Number(readFileSync(stamp, 'utf8').split(' ')[1]), cached: true };
  }
  mkdirSync(out, { recursive: true });
  // Parallel test processes may build at once: each works on its own files, renames are atomic.
  const tmp = `${base}.${process.pid}`;
  try {
    await run('avr-gcc', [...args, `-I${OPTIBOOT_SRC}`, '-o', `${tmp}.elf`, join(OPTIBOOT_SRC, 'optiboot.c')]);
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`Optiboot build failed:\n${err.stderr ?? err.message}`);
  }
  const { stdout } = await run('avr-size', ['-A', `${tmp}.elf`]);
  const text = Number(/^\.text\s+(\d+)\s+(\d+)/m.exec(stdout)?.[1]);
  if (!(text > 0) || BOOT_START + text > VERSION_AT) {
    throw new Error(
      `Optiboot built for ${mcu} is ${text} B: it must end below 0x${VERSION_AT.toString(16)} (the version word)`,
    );
  }
  await run('avr-objcopy', [
    '-j',
    '.text',
    '-j',
    '.data',
    '-j',
    '.version',
    '--set-section-flags',
    '.version=alloc,load',
    '-O',
    'ihex',
    `${tmp}.elf`,
    `${tmp}.hex`,
  ]);
  renameSync(`${tmp}.elf`, elf);
  renameSync(`${tmp}.hex`, hex);
  writeFileSync(`${tmp}.key`, `${key} ${text}`);
  renameSync(`${tmp}.key`, stamp);
  return { hex, elf, bytes: text, cached: false };
}
