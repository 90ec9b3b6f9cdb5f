// The checkout's root, found by walking up to pmlcd's package.json: a fixed number of
// '..' breaks once esbuild moves the code into build/host/ (every import.meta.dirname
// there is the bundle's directory).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'pmlcd') return dir;
    if (dirname(dir) === dir) throw new Error(`no pmlcd package.json above ${from}`);
  }
}
