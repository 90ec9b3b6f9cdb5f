// Checks host/src/format.ts against every shared vector of docs/screens.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  formatAge,
  formatBar,
  formatLatency,
  formatMainScreen,
  formatRate,
  type MainScreenInput,
} from '../../host/src/format.ts';

interface Vector {
  fn: string;
  in: Record<string, unknown>;
  out: string | string[];
  note?: string;
}
const { vectors } = JSON.parse(readFileSync(new URL('../vectors/screen-format.json', import.meta.url), 'utf8')) as {
  vectors: Vector[];
};

function run(v: Vector): string | string[] {
  const a = v.in;
  switch (v.fn) {
    case 'rate':
      return formatRate(a.n as number);
    case 'latency':
      return formatLatency(a.us as number | null);
    case 'bar':
      return formatBar(a.n as number, a.c as number);
    case 'age':
      return formatAge(a.s as number);
    case 'screen':
      return formatMainScreen(a as unknown as MainScreenInput);
    default:
      throw new Error(`unknown vector fn ${v.fn}`);
  }
}

test('the shared vector table covers every rule', () => {
  assert.ok(vectors.length >= 40);
  for (const fn of ['rate', 'latency', 'bar', 'age', 'screen'])
    assert.ok(
      vectors.some((v) => v.fn === fn),
      fn,
    );
});

for (const v of vectors) {
  test(`${v.fn} ${JSON.stringify(v.in)}${v.note ? ` (${v.note})` : ''}`, () => {
    assert.deepEqual(run(v), v.out);
  });
}

test('every screen line is 16 characters', () => {
  for (const v of vectors.filter((x) => x.fn === 'screen')) {
    for (const l of run(v) as string[]) assert.equal(l.length, 16);
  }
});

test('rates beyond the contract are refused, not mangled', () => {
  assert.throws(() => formatRate(-1), RangeError);
  assert.throws(() => formatRate(10n ** 16n), RangeError);
});
