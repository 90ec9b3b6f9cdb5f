// Builds an Arduino-style firmware for the Uno with Debian's avr-gcc and
// arduino-core-avr. Used for the product firmware and for the test firmwares.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { findProjectRoot } from '../host/src/project-root.ts';

const run = promisify(execFile);

export const ARDUINO_AVR = process.env.PMLCD_ARDUINO_AVR ?? '/usr/share/arduino/hardware/arduino/avr';
export const ROOT = findProjectRoot(import.meta.dirname);
export const BUILD_DIR = join(ROOT, 'build');

const MCU = 'atmega328p';
const F_CPU = '16000000L';
// The core's WString.cpp needs DECIMAL_DIG, which avr-libc 2.1 with gcc 5.4 lacks.
const DEFINES = [`-DF_CPU=${F_CPU}`, '-DARDUINO=10807', '-DARDUINO_AVR_UNO', '-DARDUINO_ARCH_AVR', '-DDECIMAL_DIG=17'];
const COMMON = [
  '-Os',
  '-g',
  `-mmcu=${MCU}`,
  '-ffunction-sections',
  '-fdata-sections',
  '-flto',
  '-fno-fat-lto-objects',
  '-MMD',
];
const CXX = ['-std=gnu++11', '-fno-exceptions', '-fno-threadsafe-statics', '-fpermissive', '-Wno-error=narrowing'];
const CC = ['-std=gnu11'];
const STRICT = ['-Wall', '-Wextra', '-Werror'];
// Code is generated at link time (LTO), so these size flags go on the link:
// shared prologue/epilogue code instead of inline pushes, and call/jmp relaxed
// to rcall/rjmp where the target is within +-4 KB (about 1.4 KB off pmlcd).
const LINK_SIZE = ['-mcall-prologues', '-mrelax', '-Wl,--relax'];
/** Bundled libraries the firmwares may use (the brief allows only these). */
const LIBRARIES = ['SPI', 'EEPROM'];

export interface FirmwareSize {
  flash: number;
  ram: number;
  text: number;
  data: number;
  bss: number;
}
export interface BuildResult {
  name: string;
  hex: string;
  elf: string;
  size: FirmwareSize;
  cached: boolean;
}
export interface BuildOptions {
  name: string;
  srcDir: string;
  /** More source files compiled in (e.g. firmware drivers a test firmware reuses). */
  extraSources?: string[];
  /** More include directories. */
  includeDirs?: string[];
  defines?: string[];
  quiet?: boolean;
}

function sourcesIn(dir: string, exts = ['.c', '.cpp', '.S']): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .flatMap((f) => {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) return sourcesIn(p, exts);
      return exts.some((e) => f.endsWith(e)) ? [p] : [];
    })
    .sort();
}

function allFiles(dir: string): string[] {
  return sourcesIn(dir, ['.c', '.cpp', '.S', '.h', '.ino', '.def']);
}

function hashOf(files: string[], extra: string[]): string {
  const h = createHash('sha256');
  for (const f of files) {
    h.update(f);
    h.update(readFileSync(f));
  }
  h.update(extra.join(' '));
  return h.digest('hex').slice(0, 16);
}

async function compile(src: string, obj: string, includes: string[], strict: boolean, defines: string[]) {
  const cxx = src.endsWith('.cpp');
  const tool = cxx ? 'avr-g++' : 'avr-gcc';
  const lang = src.endsWith('.S') ? ['-x', 'assembler-with-cpp'] : cxx ? CXX : CC;
  const args = [
    '-c',
    ...COMMON,
    ...lang,
    ...(strict ? STRICT : ['-w']),
    ...DEFINES,
    ...defines,
    ...includes.map((i) => `-I${i}`),
    src,
    '-o',
    obj,
  ];
  try {
    await run(tool, args, { maxBuffer: 16 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${tool} failed on ${relative(ROOT, src)}:\n${err.stderr ?? err.message}`);
  }
}

/**
 * Test files run in parallel processes and may build the same firmware at once:
 * a directory lock (mkdir is atomic) serialises builds of one output.
 */
export async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${dir}.lock`;
  mkdirSync(dirname(lock), { recursive: true });
  for (let _waited = 0; ; _waited += 100) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // A builder killed mid-build leaves its lock behind; builds take seconds, not minutes.
      // (The holder may have just removed it: then there is nothing to age.)
      const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now();
      if (Date.now() - since > 180_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function parallel<T>(items: T[], limit: number, fn: (t: T) => Promise<void>) {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let t = queue.shift(); t !== undefined; t = queue.shift()) await fn(t);
    }),
  );
}

/** Static RAM and flash from the section headers, as avr-size -C reports them. */
export async function sizeOf(elf: string): Promise<FirmwareSize> {
  const { stdout } = await run('avr-size', ['-A', elf]);
  const sec = (n: string) => Number(new RegExp(`^\\${n}\\s+(\\d+)`, 'm').exec(stdout)?.[1] ?? 0);
  const text = sec('.text'),
    data = sec('.data'),
    bss = sec('.bss'),
    noinit = sec('.noinit');
  return { text, data, bss: bss + noinit, flash: text + data, ram: data + bss + noinit };
}

async function buildCore(): Promise<string> {
  const coreDir = join(ARDUINO_AVR, 'cores/arduino');
  const libDirs = LIBRARIES.map((l) => join(ARDUINO_AVR, 'libraries', l, 'src'));
  const srcs = [...sourcesIn(coreDir), ...libDirs.flatMap((d) => sourcesIn(d))];
  const key = hashOf(srcs, [...COMMON, ...DEFINES]);
  const out = join(BUILD_DIR, 'core', key);
  const archive = join(out, 'core.a');
  if (existsSync(archive)) return archive;
  return withLock(out, async () => {
    if (existsSync(archive)) return archive;
    mkdirSync(out, { recursive: true });
    const includes = [coreDir, join(ARDUINO_AVR, 'variants/standard'), ...libDirs];
    const objs: string[] = [];
    await parallel(srcs, 4, async (src) => {
      const obj = join(out, `${basename(src)}.o`);
      objs.push(obj);
      await compile(src, obj, includes, false, []);
    });
    await run('avr-gcc-ar', ['rcs', `${archive}.tmp`, ...objs.sort()]);
    renameSync(`${archive}.tmp`, archive);
    return archive;
  });
}

/** Compiles srcDir (recursively) against the Uno core; rebuilds only when sources or flags change. */
export async function buildFirmware(opts: BuildOptions): Promise<BuildResult> {
  const defines = opts.defines ?? [];
  const srcDir = resolve(opts.srcDir);
  const coreArchive = await buildCore();
  const extra = (opts.extraSources ?? []).map((f) => resolve(f));
  const incDirs = (opts.includeDirs ?? []).map((d) => resolve(d));
  const key = hashOf(
    [...allFiles(srcDir), ...extra, ...incDirs.flatMap((d) => allFiles(d))],
    [...defines, ...LINK_SIZE, coreArchive],
  );
  const out = join(BUILD_DIR, opts.name);
  const elf = join(out, `${opts.name}.elf`);
  const hex = join(out, `${opts.name}.hex`);
  const stamp = join(out, 'build.key');
  const upToDate = () => existsSync(hex) && existsSync(stamp) && readFileSync(stamp, 'utf8') === key;
  if (upToDate()) return { name: opts.name, hex, elf, size: await sizeOf(elf), cached: true };
  return withLock(out, async () => {
    if (upToDate()) return { name: opts.name, hex, elf, size: await sizeOf(elf), cached: true };
    rmSync(stamp, { force: true });
    mkdirSync(join(out, 'obj'), { recursive: true });
    const coreDir = join(ARDUINO_AVR, 'cores/arduino');
    const includes = [
      srcDir,
      ...incDirs,
      coreDir,
      join(ARDUINO_AVR, 'variants/standard'),
      ...LIBRARIES.map((l) => join(ARDUINO_AVR, 'libraries', l, 'src')),
    ];
    const srcs = [...sourcesIn(srcDir), ...extra];
    if (srcs.length === 0) throw new Error(`no sources in ${srcDir}`);
    const objs = srcs.map((s) => join(out, 'obj', `${relative(ROOT, s).replace(/[/\\]/g, '_')}.o`));
    await parallel(
      srcs.map((s, i) => [s, objs[i]] as const),
      2,
      ([s, o]) => compile(s, o, includes, true, defines),
    );
    await run(
      'avr-gcc',
      [
        '-Os',
        '-g',
        '-flto',
        '-fuse-linker-plugin',
        '-Wl,--gc-sections',
        ...LINK_SIZE,
        `-mmcu=${MCU}`,
        '-o',
        elf,
        ...objs,
        coreArchive,
        '-lm',
      ],
      { maxBuffer: 16 << 20 },
    ).catch((e: { stderr?: string; message: string }) => {
      throw new Error(`link of ${opts.name} failed:\n${e.stderr ?? e.message}`);
    });
    await run('avr-objcopy', ['-O', 'ihex', '-R', '.eeprom', elf, hex]);
    const size = await sizeOf(elf);
    writeFileSync(join(out, 'size.json'), `${JSON.stringify(size, null, 2)}\n`);
    writeFileSync(stamp, key);
    if (!opts.quiet) {
      console.log(
        `${opts.name}: flash ${size.flash} B of 32256, static RAM ${size.ram} B of 2048 -> ${relative(ROOT, hex)}`,
      );
    }
    return { name: opts.name, hex, elf, size, cached: false };
  });
}

/** The product firmware. */
export function buildMainFirmware(quiet = false): Promise<BuildResult> {
  return buildFirmware({ name: 'pmlcd', srcDir: join(ROOT, 'firmware/src'), quiet });
}

/** Test firmwares live in test/firmware/<name>/; they may include firmware/src headers. */
export function buildTestFirmware(name: string, extraSources: string[] = [], quiet = true): Promise<BuildResult> {
  return buildFirmware({
    name: `test-${name}`,
    srcDir: join(ROOT, 'test/firmware', name),
    includeDirs: [join(ROOT, 'firmware/src')],
    extraSources: extraSources.map((f) => resolve(ROOT, f)),
    quiet,
  });
}
