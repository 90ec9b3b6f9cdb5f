// The layer rules of .dependency-cruiser.cjs hold on the whole tree, and the same check fails on
// a probe tree (test/fixtures/layers) that breaks each rule once.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

function cruise(cwd: string, dirs: string[]): Violation[] {
  const r = spawnSync(DEPCRUISE, ['--config', CONFIG, '--output-type', 'json', ...dirs], { cwd, encoding: 'utf8' });
  assert.ok(r.stdout, `depcruise printed nothing: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

test('the tree keeps its layers: no forbidden import, no cycle, nothing unresolved', () => {
  const found = cruise(ROOT, ['host', 'simulator', 'demo', 'test', 'scripts', 'bench', 'bin']);
  assert.deepEqual(
    found.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`),
    [],
  );
});

test('a forbidden import or a type-only cycle fails the check', () => {
  const found = cruise(join(ROOT, 'test', 'fixtures', 'layers'), ['host', 'simulator', 'demo', 'test']);
  const names = found.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
  assert.deepEqual(names, [
    'daemon-stands-alone: host/src/daemon.ts -> simulator/src/chip.ts',
    'no-cycles: demo/a.ts -> demo/b.ts',
    'simulator-stands-alone: simulator/src/chip.ts -> test/helper.ts',
  ]);
});
