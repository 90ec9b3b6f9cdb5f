// The deployed form of the bridge: build/host/pmlcd.mjs (scripts/build-host.ts) runs on plain
// node, loads only node builtins, serialport and its own chunks, and the freshness stamp that
// bin/pmlcd.mjs and scripts/setup.mjs trust notices any change to a bundled source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildHost, EXTERNAL } from '../../scripts/build-host.ts';
import { ROOT } from '../../scripts/avr-build.ts';
import { BUNDLE_DIR, STAMP_FILE, freshBundle, hashInputs } from '../../scripts/host-bundle.mjs';

const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

test('the bundle runs on plain node and imports nothing it should have bundled', async () => {
  const { file } = await buildHost();
  assert.equal(freshBundle(ROOT).path, file);
  assert.equal(execFileSync(process.execPath, [file, '--version'], { encoding: 'utf8' }), `pmlcd ${version}\n`);
  const check = spawnSync(process.execPath, [file, '--check-config', '--url', 'http://127.0.0.1:1', '--poll', 'abc'], {
    encoding: 'utf8',
  });
  assert.equal(check.status, 78, check.stderr);
  assert.match(check.stderr, /pollSec/);
  const allowed = (spec: string) =>
    spec.startsWith('node:') ||
    spec.startsWith('./chunk-') ||
    EXTERNAL.some((x) => (x.endsWith('/*') ? spec.startsWith(x.slice(0, -1)) : spec === x || spec.startsWith(`${x}/`)));
  for (const f of readdirSync(join(ROOT, BUNDLE_DIR)).filter((n) => n.endsWith('.mjs'))) {
    const text = readFileSync(join(ROOT, BUNDLE_DIR, f), 'utf8');
    const specs = [...text.matchAll(/(?:^import[^'"]*|\bimport\()\s*["']([^"']+)["']/gm)].map((m) => m[1]);
    for (const s of specs) assert.ok(allowed(s), `${f} imports ${s}`);
    assert.doesNotMatch(text, /\bfrom ["'](tsx|typescript|esbuild)/, f);
  }
});

test('bin/pmlcd.mjs answers through the bundle and through tsx alike', () => {
  for (const env of [{}, { PMLCD_BUNDLE: '0' }]) {
    const out = execFileSync(process.execPath, [join(ROOT, 'bin/pmlcd.mjs'), '--version'], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    assert.equal(out, `pmlcd ${version}\n`);
  }
});

test('the stamp goes stale when a listed source changes, appears or vanishes', () => {
  const root = mkdtempSync(join(tmpdir(), 'pmlcd-stamp-'));
  try {
    mkdirSync(join(root, BUNDLE_DIR), { recursive: true });
    mkdirSync(join(root, 'host/src'), { recursive: true });
    writeFileSync(join(root, 'host/src/a.ts'), 'export const a = 1;\n');
    writeFileSync(join(root, 'package-lock.json'), '{}');
    assert.equal(freshBundle(root).why, 'not built');
    writeFileSync(join(root, BUNDLE_DIR, 'pmlcd.mjs'), '');
    const inputs = ['host/src/a.ts', 'package-lock.json'];
    writeFileSync(join(root, STAMP_FILE), JSON.stringify({ hash: hashInputs(root, inputs), inputs }));
    assert.equal(freshBundle(root).path, join(root, BUNDLE_DIR, 'pmlcd.mjs'));
    writeFileSync(join(root, 'host/src/a.ts'), 'export const a = 2;\n');
    assert.equal(freshBundle(root).why, 'sources changed');
    writeFileSync(join(root, 'host/src/a.ts'), 'export const a = 1;\n');
    assert.ok(freshBundle(root).path);
    rmSync(join(root, 'host/src/a.ts'));
    assert.equal(freshBundle(root).why, 'sources changed');
    writeFileSync(join(root, STAMP_FILE), '{"hash": 1');
    assert.equal(freshBundle(root).why, 'unreadable stamp');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
