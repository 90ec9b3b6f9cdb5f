// The bridge against test/vectors/screens-geometry.json, the main screen on every LCD size
// (docs/screens.md "Screens for every geometry"), shared with the firmware's native test.
// Every vector must match: a count of mismatches is reported, and must be 0.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { formatBar, formatLatencyShort, formatScreen, type ScreenFields } from '../../host/src/format.ts';
import { LCD_SIZES, parseLcdSize } from '../../host/src/geometry.ts';

interface Vector {
  fn: string;
  geometry?: string;
  in: Record<string, unknown>;
  out: string | string[];
  note?: string;
}
const { vectors } = JSON.parse(readFileSync(new URL('../vectors/screens-geometry.json', import.meta.url), 'utf8')) as {
  vectors: Vector[];
};

function run(v: Vector): string | string[] {
  const a = v.in;
  switch (v.fn) {
    case 'screen': {
      const g = parseLcdSize(v.geometry ?? '');
      if (!g) throw new Error(`vector with an unknown geometry ${v.geometry}`);
      return formatScreen(g, a as unknown as ScreenFields);
    }
    case 'lat4':
      return formatLatencyShort(a.us as number | null);
    case 'bar':
      return formatBar(a.n as number, a.c as number, a.cells as number);
    default:
      throw new Error(`unknown vector fn ${v.fn}`);
  }
}

const label = (v: Vector) =>
  `${v.fn}${v.geometry ? ` ${v.geometry}` : ''} ${JSON.stringify(v.in)}${v.note ? ` (${v.note})` : ''}`;

test('the geometry vectors cover every size, the short latency and the bar widths', () => {
  for (const size of LCD_SIZES) {
    assert.ok(vectors.filter((v) => v.fn === 'screen' && v.geometry === size).length >= 10, size);
  }
  for (const fn of ['lat4', 'bar'])
    assert.ok(
      vectors.some((v) => v.fn === fn),
      fn,
    );
});

test('0 mismatches against test/vectors/screens-geometry.json', () => {
  const mismatches: string[] = [];
  for (const v of vectors) {
    let got: unknown;
    try {
      got = run(v);
    } catch (e) {
      got = `threw ${(e as Error).message}`;
    }
    if (JSON.stringify(got) !== JSON.stringify(v.out))
      mismatches.push(`${label(v)}\n  want ${JSON.stringify(v.out)}\n  got  ${JSON.stringify(got)}`);
  }
  console.log(`# ${vectors.length} vectors, ${mismatches.length} mismatches`);
  assert.equal(mismatches.length, 0, mismatches.join('\n'));
});

test('every screen row is as wide as its LCD and there are as many rows', () => {
  for (const v of vectors.filter((x) => x.fn === 'screen')) {
    const g = parseLcdSize(v.geometry!)!;
    const rows = run(v) as string[];
    assert.equal(rows.length, g.rows, label(v));
    for (const r of rows) assert.equal(r.length, g.cols, label(v));
  }
});
