// Builds the firmware as an Arduino IDE sketch (firmware/firmware.ino, its code in
// firmware/src/) with Debian's arduino-builder, the IDE 1.x build engine, against the
// installed AVR core, into build/ide/. It shows that the sketch builds in the IDE with
// no edits; the product build stays scripts/avr-build.ts (smaller: it links with
// -mcall-prologues and --relax, which a sketch cannot ask the IDE for).
//
//   npm run build:ide        build and print flash and static RAM
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { ARDUINO_AVR, BUILD_DIR, ROOT, sizeOf, withLock, type FirmwareSize } from './avr-build.ts';

const run = promisify(execFile);

/** The sketch folder: the IDE wants the .ino named after its folder. */
export const SKETCH_DIR = join(ROOT, 'firmware');
export const SKETCH = join(SKETCH_DIR, 'firmware.ino');
export const IDE_BUILD_DIR = join(BUILD_DIR, 'ide');
/**
 * Flash the IDE build may take: 32 KB less the largest boot section the ATmega328P can
 * reserve (2 KB), so the sketch fits beside any bootloader an Uno may carry, not only
 * Optiboot's 512 B.
 */
export const IDE_FLASH_BUDGET = 30_720;

export interface IdeBuildResult {
  hex: string;
  elf: string;
  size: FirmwareSize;
  log: string;
}

/** `hardware/` above the core (…/hardware/arduino/avr -> …/hardware). */
const HARDWARE = join(ARDUINO_AVR, '..', '..');

/**
 * The arduino-builder command line. Debian's gcc-avr 5.4 with avr-libc 2.1 lacks
 * DECIMAL_DIG, which the core's WString.cpp needs; the IDE's own toolchain has it, so the
 * flag is only passed here, never asked of IDE users.
 */
export function builderArgs(buildPath = IDE_BUILD_DIR): string[] {
  return [
    '-compile',
    '-hardware',
    HARDWARE,
    '-hardware',
    '/usr/share/arduino-builder',
    '-tools',
    '/usr/bin',
    '-fqbn',
    'arduino:avr:uno',
    '-prefs=compiler.cpp.extra_flags=-DDECIMAL_DIG=17',
    '-build-path',
    buildPath,
    SKETCH,
  ];
}

/** Builds the sketch (arduino-builder rebuilds only what changed); throws with the builder's output on failure. */
export async function buildIdeSketch(): Promise<IdeBuildResult> {
  if (!existsSync('/usr/bin/arduino-builder')) {
    throw new Error(
      'arduino-builder is not installed (Debian packages arduino-builder and arduino-ctags; npm run setup installs them)',
    );
  }
  mkdirSync(IDE_BUILD_DIR, { recursive: true });
  // Test files run in parallel processes; one build path takes one builder at a time.
  return withLock(IDE_BUILD_DIR, async () => {
    // arduino-builder links every object under sketch/, those of deleted or renamed
    // sources included: the sketch's objects are rebuilt each time (the core's stay cached).
    rmSync(join(IDE_BUILD_DIR, 'sketch'), { recursive: true, force: true });
    let log: string;
    try {
      const r = await run('arduino-builder', builderArgs(), { maxBuffer: 16 << 20 });
      log = r.stdout + r.stderr;
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; message: string };
      throw new Error(
        `arduino-builder failed on ${relative(ROOT, SKETCH)}:\n${(err.stdout ?? '') + (err.stderr ?? err.message)}`,
      );
    }
    const elf = join(IDE_BUILD_DIR, 'firmware.ino.elf');
    const hex = join(IDE_BUILD_DIR, 'firmware.ino.hex');
    const size = await sizeOf(elf);
    writeFileSync(join(IDE_BUILD_DIR, 'size.json'), `${JSON.stringify(size, null, 2)}\n`);
    return { hex, elf, size, log };
  });
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  try {
    const r = await buildIdeSketch();
    console.log(
      `${relative(ROOT, SKETCH)} (arduino-builder): flash ${r.size.flash} B of ${IDE_FLASH_BUDGET} budgeted, ` +
        `static RAM ${r.size.ram} B of 2048 -> ${relative(ROOT, r.hex)}`,
    );
    if (r.size.flash > IDE_FLASH_BUDGET) {
      console.error(`the IDE build is over its flash budget by ${r.size.flash - IDE_FLASH_BUDGET} B`);
      process.exit(1);
    }
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
