// firmware/src/net/rate_calc.cpp and line 1 of screen_format.cpp natively,
// against every shared rate vector (test/vectors/rates.json, the rule of
// docs/rates.md) that the bridge's test runs too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../scripts/avr-build.ts';
import { buildNative, runNative } from './native-build.ts';

const exe = await buildNative('rate-calc', [
  'test/native/rate_calc_cli.cpp',
  'firmware/src/net/rate_calc.cpp',
  'firmware/src/net/screen_format.cpp',
]);
interface RateSample {
  t: string;
  in: string;
  out: string;
  status: string;
  down: string | null;
  up: string | null;
  line1: string;
}
interface RateVector {
  name: string;
  units: 'bits' | 'bytes';
  pollSec: number;
  width?: 32 | 64;
  samples: RateSample[];
}
const { vectors } = JSON.parse(readFileSync(join(ROOT, 'test/vectors/rates.json'), 'utf8')) as {
  vectors: RateVector[];
};

/** Decimal seconds as the PMWEBAPI parser hands them over: seconds and microseconds. */
function secUs(t: string): string {
  const [s, f = ''] = t.split('.');
  return `${s} ${Number(f.padEnd(6, '0').slice(0, 6))}`;
}

test('every shared rate vector, sample by sample', async () => {
  const cmds: string[] = [];
  for (const v of vectors) {
    cmds.push(`new ${v.width ?? 64} ${v.pollSec} ${v.units === 'bytes' ? 1 : 0}`);
    for (const s of v.samples) cmds.push(`s ${secUs(s.t)} ${s.in} ${s.out}`);
  }
  const lines = await runNative(exe, `${cmds.join('\n')}\n`);
  let k = 0,
    mismatches = 0;
  const report: string[] = [];
  for (const v of vectors) {
    v.samples.forEach((s, i) => {
      const m = /^(\w+) (\w+) (\w+) (".*")$/.exec(lines[k++] ?? '');
      const got = m
        ? {
            status: m[1],
            down: m[2] === 'null' ? null : m[2],
            up: m[3] === 'null' ? null : m[3],
            line1: JSON.parse(m[4]) as string,
          }
        : null;
      const want = { status: s.status, down: s.down, up: s.up, line1: s.line1 };
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        mismatches++;
        report.push(`${v.name} #${i}: got ${JSON.stringify(got)} want ${JSON.stringify(want)}`);
      }
    });
  }
  assert.equal(lines.length, k, 'one line per sample');
  assert.equal(mismatches, 0, report.join('\n'));
});
