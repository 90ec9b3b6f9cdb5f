// firmware/src/net/screen_format.cpp compiled natively, checked against the
// docs/screens.md examples, the shared vectors (test/vectors/screen-format.json and,
// for every LCD size, test/vectors/screens-geometry.json) and a BigInt transcription
// of the spec over random inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../scripts/avr-build.ts';
import { buildNative, runNative } from './native-build.ts';

const exe = await buildNative('screen-format', [
  'test/native/screen_format_cli.cpp',
  'firmware/src/net/screen_format.cpp',
]);

async function fmt(cmds: string[]): Promise<string[]> {
  const lines = await runNative(exe, `${cmds.join('\n')}\n`);
  assert.equal(lines.length, cmds.length);
  return lines.map((l) =>
    l.includes('" "')
      ? (JSON.parse(`[${l.replaceAll('" "', '","')}]`) as string[]).join('|')
      : (JSON.parse(l) as string),
  );
}

// The spec, literally, with exact integers.
function specRate(n: bigint): string {
  if (n < 1000n) return String(n).padStart(5);
  for (const [u, unit] of [
    [1, 'k'],
    [2, 'M'],
    [3, 'G'],
    [4, 'T'],
  ] as const) {
    const base = 1000n ** BigInt(u);
    if (n < 10n * base) {
      const q = (n * 100n + base / 2n) / base;
      if (q < 1000n) return `${q / 100n}.${String(q % 100n).padStart(2, '0')}${unit}`;
    }
    if (n < 100n * base) {
      const q = (n * 10n + base / 2n) / base;
      if (q < 1000n) return `${q / 10n}.${q % 10n}${unit}`;
    }
    if (n < 1000n * base) {
      const q = (n + base / 2n) / base;
      if (q < 1000n) return `${String(q).padStart(4)}${unit}`;
    }
  }
  throw new Error('unreachable');
}
function specLat(ok: boolean, us: number): string {
  if (!ok) return '  NA  ';
  if (us < 9950) {
    const q = Math.floor((us + 50) / 100);
    return `${`${Math.floor(q / 10)}.${q % 10}`.padStart(4)}ms`;
  }
  if (us < 9999500) return `${String(Math.floor((us + 500) / 1000)).padStart(4)}ms`;
  return '  >10s';
}
function specBar(n: bigint, c: bigint): string {
  if (c === 0n) return ' '.repeat(9);
  let cols = Number((n * 45n) / c);
  if (cols > 45) cols = 45;
  let s = '';
  for (let i = 0; i < 9; i++, cols = Math.max(0, cols - 5))
    s += cols >= 5 ? '\u00ff' : cols > 0 ? String.fromCharCode(1 + cols) : ' ';
  return s;
}

let seed = 12345;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed;
};
const rndU32 = () => {
  const bits = 1 + (rnd() % 32);
  return (rnd() * 65536 + (rnd() % 65536)) % 2 ** bits;
};

test('docs/screens.md examples', async () => {
  const [a, b, c, main] = await fmt([
    'rate 9995',
    'rate 999499',
    'rate 999500',
    'main 12345678 845000 1 23400 0 0 20000000 0',
  ]);
  assert.deepEqual([a, b, c], ['10.0k', ' 999k', '1.00M']);
  assert.equal(main, '\u000012.3M \u0001 845kbps|  23ms \u00ff\u00ff\u00ff\u00ff\u00ff\u0003   ');
});

test('rate matches the spec at every unit boundary and on random values', async () => {
  const ns: number[] = [0, 1, 999, 1000, 4294967295, 4294967294, 4289967296];
  for (const b of [1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9])
    for (const d of [-501, -500, -499, -5, -1, 0, 1, 499, 500]) if (b + d >= 0) ns.push(b + d);
  for (let i = 0; i < 3000; i++) ns.push(rndU32());
  const got = await fmt(ns.map((n) => `rate ${n}`));
  for (const [i, n] of ns.entries()) assert.equal(got[i], specRate(BigInt(n)), `rate ${n}`);
});

test('latency, bar and age match the spec', async () => {
  const lat = [0, 49, 50, 9949, 9950, 9999499, 9999500, 4294967295];
  for (let i = 0; i < 500; i++) lat.push(rndU32());
  const bars: [number, number][] = [
    [0, 0],
    [1, 0],
    [0, 1],
    [1, 45],
    [44, 45],
    [45, 45],
    [2 ** 32 - 1, 1],
    [2 ** 32 - 1, 2 ** 32 - 1],
    [12345678, 20000000],
  ];
  for (let i = 0; i < 500; i++) bars.push([rndU32(), rndU32()]);
  const ages = [0, 9, 59, 60, 3599, 3600, 86399, 86400, 4294967295];
  const cmds = [
    ...lat.map((u) => `lat 1 ${u}`),
    'lat 0 100',
    ...bars.map(([n, c]) => `bar ${n} ${c}`),
    ...ages.map((s) => `age ${s}`),
  ];
  const got = await fmt(cmds);
  let k = 0;
  for (const u of lat) assert.equal(got[k++], specLat(true, u), `lat ${u}`);
  assert.equal(got[k++], '  NA  ');
  for (const [n, c] of bars) assert.equal(got[k++], specBar(BigInt(n), BigInt(c)), `bar ${n} ${c}`);
  assert.deepEqual(got.slice(k), [' 0s', ' 9s', '59s', ' 1m', '59m', ' 1h', '23h', '>1d', '>1d']);
});

test('stale screen shows NA and the age, byte label', async () => {
  const [stale, bytes] = await fmt(['main 5 5 1 1000 1 125 100 0', 'main 1500 0 0 0 0 0 0 1']);
  assert.equal(stale, '\u0000  NA  \u0001  NA  2m|  NA            ');
  assert.equal(bytes, '\u00001.50k \u0001    0B/s|  NA            ');
});

const vectorsFile = join(ROOT, 'test/vectors/screen-format.json');
test('shared vectors (test/vectors/screen-format.json)', async () => {
  const v = JSON.parse(readFileSync(vectorsFile, 'utf8')) as Record<string, unknown>;
  const checked = await checkVectors(v);
  assert.ok(checked > 0, 'no vector recognised');
});

interface Vector {
  fn: string;
  in: Record<string, number | string | null>;
  out: string | string[];
}

// Turns each vector into a driver command; an unknown fn fails the test.
async function checkVectors(v: Record<string, unknown>): Promise<number> {
  const vectors = v.vectors as Vector[];
  const cmd = ({ fn, in: i }: Vector): string => {
    const lat = (us: unknown) => (typeof us === 'number' && us >= 0 ? `1 ${us}` : '0 0');
    switch (fn) {
      case 'rate':
        return `rate ${i.n}`;
      case 'latency':
        return `lat ${lat(i.us)}`;
      case 'bar':
        return `bar ${i.n} ${i.c}`;
      case 'age':
        return `age ${i.s}`;
      case 'screen': {
        const stale = Number(i.ageSec) > 3 * Number(i.pollSec) ? 1 : 0;
        return `main ${i.down} ${i.up} ${lat(i.latencyUs)} ${stale} ${i.ageSec} ${i.capDown} ${i.units === 'bytes' ? 1 : 0}`;
      }
      default:
        throw new Error(`unknown vector fn ${fn}`);
    }
  };
  const got = await fmt(vectors.map(cmd));
  for (const [k, x] of vectors.entries()) {
    assert.equal(got[k], Array.isArray(x.out) ? x.out.join('|') : x.out, JSON.stringify(x));
  }
  return vectors.length;
}

// RateStatus (firmware/src/net/rate_calc.h) and ScreenSize (screen_format.h) by name.
const RATE_STATUS: Record<string, number> = { rate: 0, first: 1, back: 3, gap: 4, reset: 5 };
const SCREEN_SIZE: Record<string, number> = { '16x2': 0, '20x2': 1, '16x4': 2, '20x4': 3 };

interface GeometryVector {
  fn: string;
  geometry?: string;
  in: Record<string, number | string | null>;
  out: string | string[];
}

function geometryCommand({ fn, geometry, in: i }: GeometryVector): string {
  const opt = (v: unknown) => (typeof v === 'number' ? `1 ${v}` : '0 0');
  switch (fn) {
    case 'lat4':
      return `lat4 ${opt(i.us)}`;
    case 'bar':
      return `bar ${i.n} ${i.c} ${i.cells}`;
    case 'screen': {
      const size = SCREEN_SIZE[geometry!],
        status = RATE_STATUS[String(i.status)];
      assert.ok(size !== undefined && status !== undefined, `geometry ${geometry}, status ${i.status}`);
      const stats = typeof i.minUs === 'number' ? `1 ${i.minUs} ${i.avgUs} ${i.maxUs}` : '0 0 0 0';
      const stale = Number(i.ageSec) > 3 * Number(i.pollSec) ? 1 : 0;
      assert.match(String(i.source), /^[\x21-\x7e]+$/, 'the driver reads the source as one word');
      return `screen ${size} ${i.down} ${i.up} ${i.capDown} ${i.capUp} ${i.units === 'bytes' ? 1 : 0} ${status} ${opt(i.latencyUs)} ${stats} ${stale} ${i.ageSec} ${i.source}`;
    }
    default:
      throw new Error(`unknown vector fn ${fn}`);
  }
}

test('every LCD size (test/vectors/screens-geometry.json)', async () => {
  const { vectors } = JSON.parse(readFileSync(join(ROOT, 'test/vectors/screens-geometry.json'), 'utf8')) as {
    vectors: GeometryVector[];
  };
  const got = await fmt(vectors.map(geometryCommand));
  for (const [k, x] of vectors.entries()) {
    assert.equal(got[k], Array.isArray(x.out) ? x.out.join('|') : x.out, JSON.stringify(x));
  }
  // Every size is covered.
  for (const g of Object.keys(SCREEN_SIZE))
    assert.ok(
      vectors.some((x) => x.geometry === g),
      `no ${g} vector`,
    );
});
