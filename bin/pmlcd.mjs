#!/usr/bin/env node
// The pmlcd command. Runs the bundled bridge (build/host/pmlcd.mjs, npm run build:host) when it
// was built from the sources as they are now; otherwise the TypeScript through tsx, so an edited
// checkout never runs stale code. PMLCD_BUNDLE=0 forces tsx. `pmlcd demo` runs demo/main.ts.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshBundle } from '../scripts/host-bundle.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
// The demo is not part of the daemon (it runs the simulator): always from the sources.
const isDemo = argv[0] === 'demo';
const bundle = process.env.PMLCD_BUNDLE === '0' || isDemo ? null : freshBundle(ROOT).path;
let main;
if (bundle) {
  ({ main } = await import(bundle));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(isDemo ? '../demo/main.ts' : '../host/src/cli.ts'));
}
process.exitCode = await main(argv);
