// Compiles host-native test drivers for the pure-C++ firmware modules with g++
// (same warnings as the AVR build), cached by source content under build/native.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BUILD_DIR, ROOT } from '../../scripts/avr-build.ts';

const run = promisify(execFile);

/** includeDirs: extra header directories (e.g. stand-ins for Arduino.h), hashed with the sources. */
export async function buildNative(name: string, sources: string[], includeDirs: string[] = []): Promise<string> {
  const abs = sources.map((s) => join(ROOT, s));
  const inc = includeDirs.map((d) => join(ROOT, d));
  const h = createHash('sha256');
  for (const f of abs) h.update(readFileSync(f));
  // The firmware's headers too: a changed constant or struct must rebuild the driver.
  for (const d of ['firmware/src', 'firmware/src/net']) {
    for (const f of readdirSync(join(ROOT, d))
      .filter((x) => x.endsWith('.h'))
      .sort())
      h.update(f).update(readFileSync(join(ROOT, d, f)));
  }
  for (const d of inc) for (const f of readdirSync(d).sort()) h.update(f).update(readFileSync(join(d, f)));
  const dir = join(BUILD_DIR, 'native');
  mkdirSync(dir, { recursive: true });
  const exe = join(dir, `${name}-${h.digest('hex').slice(0, 12)}`);
  if (!existsSync(exe)) {
    await run('g++', [
      '-std=gnu++11',
      '-O1',
      '-Wall',
      '-Wextra',
      '-Werror',
      '-fsanitize=address,undefined',
      '-I',
      join(ROOT, 'firmware/src'),
      ...inc.flatMap((d) => ['-I', d]),
      ...abs,
      '-o',
      exe,
    ]);
  }
  return exe;
}

/** Runs exe with stdin and returns its stdout lines. */
export async function runNative(exe: string, input: string, args: string[] = []): Promise<string[]> {
  const child = execFile(exe, args, { maxBuffer: 64 << 20 });
  const out: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => out.push(Buffer.from(d)));
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += String(d);
  });
  child.stdin!.end(Buffer.from(input, 'latin1'));
  const code: number = await new Promise((res) => child.on('close', (c) => res(c ?? -1)));
  if (code !== 0) throw new Error(`${exe} exited ${code}: ${err}`);
  return Buffer.concat(out)
    .toString('latin1')
    .split('\n')
    .filter((l) => l !== '');
}
