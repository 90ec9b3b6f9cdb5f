// npm run build:host [-- --force]: bundles the bridge (host/src/cli.ts) into plain JavaScript at
// build/host/pmlcd.mjs, so the daemon runs without tsx (about 30 MB of loader and compiler).
// Code only reached through dynamic import() goes to separate chunks that load on demand (the
// demo is not part of the daemon: bin/pmlcd.mjs runs demo/ through tsx). Packages with native
// parts or run-time require()s stay external and load from node_modules.
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE_DIR, BUNDLE_FILE, EXTRA_INPUTS, STAMP_FILE, freshBundle, hashInputs } from './host-bundle.mjs';
import { ROOT } from './avr-build.ts';

/** serialport loads its native binding with node-gyp-build; tsx/esbuild/typescript are tools. */
export const EXTERNAL = ['serialport', '@serialport/*', 'tsx', 'esbuild', 'typescript'];

const OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: EXTERNAL,
  absWorkingDir: ROOT,
  mainFields: ['module', 'main'], // avr8js's ES build, without CommonJS wrappers
  metafile: true,
  logLevel: 'warning',
  legalComments: 'none',
};

export interface HostBuild {
  file: string;
  cached: boolean;
  bytes: number;
  ms: number;
}

/** Builds build/host/pmlcd.mjs unless its stamp matches the sources. */
export async function buildHost(force = false): Promise<HostBuild> {
  const t0 = performance.now();
  const file = join(ROOT, BUNDLE_FILE);
  if (!force && freshBundle(ROOT).path) return { file, cached: true, bytes: 0, ms: performance.now() - t0 };
  // Build next to the real dir and swap, so a running bin/pmlcd.mjs never sees half a bundle.
  const tmp = join(ROOT, `${BUNDLE_DIR}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const r = await build({
      ...OPTIONS,
      entryPoints: { pmlcd: 'host/src/cli.ts' },
      outdir: tmp,
      splitting: true,
      entryNames: '[name]',
      chunkNames: 'chunk-[hash]',
      outExtension: { '.js': '.mjs' },
    });
    const meta = r.metafile!; // asked for in OPTIONS
    const inputs = [...projectInputs(meta), ...EXTRA_INPUTS];
    writeFileSync(
      join(tmp, 'pmlcd.stamp.json'),
      `${JSON.stringify({ hash: hashInputs(ROOT, inputs), inputs }, null, 1)}\n`,
    );
    rmSync(join(ROOT, BUNDLE_DIR), { recursive: true, force: true });
    renameSync(tmp, join(ROOT, BUNDLE_DIR));
    const bytes = Object.entries(meta.outputs).reduce((n, [, o]) => n + o.bytes, 0);
    return { file, cached: false, bytes, ms: performance.now() - t0 };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Bundles one more entry the same way (benchmarks run the bridge code as deployed). */
export async function bundleEntry(entry: string, outfile: string): Promise<string> {
  await build({ ...OPTIONS, entryPoints: [entry], outfile: join(ROOT, outfile) });
  return join(ROOT, outfile);
}

/** The checkout's own files that went into the bundle (paths relative to ROOT). */
function projectInputs(meta: Metafile): string[] {
  return Object.keys(meta.inputs).filter((f) => !f.startsWith('node_modules/') && !f.includes(':'));
}

if (import.meta.filename === process.argv[1]) {
  try {
    const r = await buildHost(process.argv.includes('--force'));
    console.log(
      r.cached
        ? `host: up to date -> ${STAMP_FILE}`
        : `host: bundled ${(r.bytes / 1024).toFixed(0)} KB in ${r.ms.toFixed(0)} ms -> ${BUNDLE_FILE}`,
    );
  } catch (e) {
    console.error(`host bundle failed: ${(e as Error).message}`);
    process.exit(1);
  }
}
