// firmware/src/net/rate_calc.cpp natively: rates from counter deltas over the
// server's timestamps, 32- and 64-bit wraps, resets without a spike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildNative, runNative } from './native-build.ts';

const exe = await buildNative('rate-calc', ['test/native/rate_calc_cli.cpp', 'firmware/src/net/rate_calc.cpp']);
const run = (lines: string[]) => runNative(exe, lines.join('\n') + '\n');

test('rates over the server timestamps, bits and bytes', async () => {
  const out = await run(['new 0 0', 's 1000 500 100 0', 's 126000 1500 102 500000', 'new 1 0', 's 0 0 5 999999', 's 1000 0 6 999999']);
  // 125000 B over 2.5 s = 50000 B/s; 1000 B / 2.5 s = 400 B/s
  assert.deepEqual(out, ['first', 'ok 50000 400', 'first', 'ok 8000 0']);
});

test('32-bit and 64-bit counter wraps count as traffic, not a spike', async () => {
  const out = await run(['new 0 0', `s ${2 ** 32 - 1000} 10 10 0`, 's 1000 20 12 0',
    'new 0 0', `s ${2n ** 64n - 500n} 0 10 0`, 's 1500 0 11 0']);
  assert.deepEqual(out, ['first', 'ok 1000 5', 'first', 'ok 2000 0']);
});

test('counter reset re-baselines; same timestamp keeps old rates; implausible jump is a reset', async () => {
  const out = await run(['new 0 0', `s ${2 ** 40} 100 10 0`, 's 50 100 12 0', 's 250 300 14 0', 's 260 300 14 0',
    'new 0 1000000', `s ${2 ** 32 - 100} 0 10 0`, 's 5 0 11 0', 's 10 0 12 0']);
  assert.deepEqual(out, ['first', 'reset', 'ok 100 100', 'badtime', 'first', 'ok 105 0', 'ok 5 0']);
  const spike = await run(['new 0 1000000', 's 3000000000 0 10 0', 's 1000 0 11 0', 's 2000 0 12 0']);
  assert.deepEqual(spike, ['first', 'reset', 'ok 1000 0'], 'a reboot of a 32-bit host is not a 1.3 GB/s spike');
});

test('large deltas stay exact in 32-bit arithmetic and saturate', async () => {
  // 3,999,999,999 B over 3.7 s; 2^33 B in 1 s saturates; 1 B over 3600 s rounds down to 0
  const out = await run(['new 0 0', 's 0 0 10 0', 's 3999999999 1 13 700000', 'new 1 0', 's 0 0 1 0', `s ${2 ** 33} 0 2 0`,
    'new 0 0', 's 0 0 0 0', 's 1 7200 3600 0']);
  assert.deepEqual(out, ['first', `ok ${Math.floor(3999999999 * 1000 / 3700)} 0`, 'first', 'ok 4294967295 0', 'first', 'ok 0 2']);
});
