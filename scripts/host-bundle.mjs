// Is build/host/pmlcd.mjs built from the sources as they are now? Shared by bin/pmlcd.mjs
// (bundle or tsx), scripts/setup.mjs (rebuild or not) and scripts/build-host.ts (writes the
// stamp). Plain JS: it runs before tsx is loaded. The stamp lists the bundle's own project
// inputs (from esbuild's metafile) plus package-lock.json, so the check hashes about fifty
// files (a few ms) and a new import shows up as a change in the file that imports it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const BUNDLE_DIR = 'build/host';
export const BUNDLE_FILE = `${BUNDLE_DIR}/pmlcd.mjs`;
export const STAMP_FILE = `${BUNDLE_DIR}/pmlcd.stamp.json`;
/** Always part of the hash: the bundled packages' versions and the build options. */
export const EXTRA_INPUTS = ['package-lock.json', 'scripts/build-host.ts'];

/** sha256 over each input's path and content; a missing input hashes as missing. */
export function hashInputs(root, inputs) {
  const h = createHash('sha256');
  for (const f of [...inputs].sort()) {
    h.update(`${f}\0`);
    const p = join(root, f);
    h.update(existsSync(p) ? readFileSync(p) : '\0missing\0');
  }
  return h.digest('hex');
}

/** Absolute path of the bundle when it matches the sources, else null (with the reason). */
export function freshBundle(root) {
  const bundle = join(root, BUNDLE_FILE);
  const stampPath = join(root, STAMP_FILE);
  if (!existsSync(bundle) || !existsSync(stampPath)) return { path: null, why: 'not built' };
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
  } catch {
    return { path: null, why: 'unreadable stamp' };
  }
  if (!Array.isArray(stamp.inputs) || typeof stamp.hash !== 'string') return { path: null, why: 'bad stamp' };
  if (hashInputs(root, stamp.inputs) !== stamp.hash) return { path: null, why: 'sources changed' };
  return { path: bundle, why: 'up to date' };
}
