// Runs every shared rate vector (test/vectors/rates.json, the rule of
// docs/rates.md) through the bridge's CounterRates and line-1 formatting, the
// way host/src/source.ts and host/src/screens.ts use them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CounterRates, gapLimitMs, timestampMs } from '../../host/src/rates.ts';
import { formatRateLine, shownRate, type Units } from '../../host/src/format.ts';

interface RateSample {
  t: string;
  in: string;
  out: string;
  status: string;
  down: string | null;
  up: string | null;
  line1: string;
  note?: string;
}
interface RateVector {
  name: string;
  units: Units;
  pollSec: number;
  width?: 32 | 64;
  samples: RateSample[];
}
const { vectors } = JSON.parse(readFileSync(new URL('../vectors/rates.json', import.meta.url), 'utf8')) as {
  vectors: RateVector[];
};

/** Decimal seconds to nanoseconds, exactly. */
function ns(t: string): bigint {
  const [s, f = ''] = t.split('.');
  return BigInt(s) * 1_000_000_000n + BigInt(f.padEnd(9, '0').slice(0, 9));
}

/** What the bridge shows after each sample: status, rates in bytes/s, line 1. */
function run(v: RateVector): Pick<RateSample, 'status' | 'down' | 'up' | 'line1'>[] {
  const calc = new CounterRates({ wraps32: v.width === 32, maxGapMs: gapLimitMs(v.pollSec) });
  let shown = { down: null as string | null, up: null as string | null, line1: '' };
  return v.samples.map((s) => {
    const r = calc.update(timestampMs(ns(s.t)), [BigInt(s.in), BigInt(s.out)]);
    if (r.status !== 'same') {
      const [down, up] = r.status === 'rate' ? r.rates : [0n, 0n];
      shown = {
        down: r.status === 'rate' ? String(down) : null,
        up: r.status === 'rate' ? String(up) : null,
        line1: formatRateLine(r.status, shownRate(down, v.units), shownRate(up, v.units), v.units),
      };
    }
    return { status: r.status, ...shown };
  });
}

test('the vectors cover every status, both widths, both units', () => {
  const all = vectors.flatMap((v) => v.samples.map((s) => s.status));
  for (const s of ['first', 'same', 'back', 'gap', 'reset', 'rate']) assert.ok(all.includes(s), s);
  assert.ok(
    vectors.some((v) => v.width === 32) &&
      vectors.some((v) => v.units === 'bytes') &&
      vectors.some((v) => v.units === 'bits'),
  );
});

test('every shared rate vector, sample by sample', () => {
  let mismatches = 0;
  const report: string[] = [];
  for (const v of vectors) {
    run(v).forEach((got, i) => {
      const { status, down, up, line1 } = v.samples[i];
      const want = { status, down, up, line1 };
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        mismatches++;
        report.push(`${v.name} #${i}: got ${JSON.stringify(got)} want ${JSON.stringify(want)}`);
      }
    });
  }
  assert.equal(mismatches, 0, report.join('\n'));
});
