#!/usr/bin/env node
// The pmlcd command. Runs the bundled bridge (build/host/pmlcd.mjs, npm run build:host) when it
// was built from the sources as they are now; otherwise the TypeScript through tsx, so an edited
// checkout never runs stale code. PMLCD_BUNDLE=0 forces tsx.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshBundle } from '../scripts/host-bundle.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = process.env.PMLCD_BUNDLE === '0' ? null : freshBundle(ROOT).path;
let main;
if (bundle) {
  ({ main } = await import(bundle));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../host/src/cli.ts'));
}
process.exitCode = await main(process.argv.slice(2));
