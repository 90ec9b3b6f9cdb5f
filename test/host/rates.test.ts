import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CounterRate, History } from '../../host/src/rates.ts';

const S = 1_000_000_000n;

function rate(r: ReturnType<CounterRate['update']>): bigint {
  assert.equal(r.kind, 'rate', JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
  return (r as { perSecond: bigint }).perSecond;
}

test('first sample gives no rate, then delta over server time', () => {
  const c = new CounterRate();
  assert.equal(c.update(1000n, 10n * S).kind, 'first');
  assert.equal(rate(c.update(3000n, 12n * S)), 1000n);
  // a sub-second interval: 500 bytes in 0.25 s
  assert.equal(rate(c.update(3500n, 12n * S + S / 4n)), 2000n);
});

test('rounds to the nearest integer rate', () => {
  const c = new CounterRate();
  c.update(0n, 0n);
  assert.equal(rate(c.update(2n, 3n * S)), 1n); // 0.667 -> 1
  assert.equal(rate(c.update(3n, 6n * S)), 0n); // 0.333 -> 0
});

test('64-bit counters above 2^53 and near 2^64 keep every digit', () => {
  const c = new CounterRate();
  const base = (1n << 64n) - 10_000_001n;
  c.update(base, S);
  assert.equal(rate(c.update(base + 10_000_001n - 1n, 2n * S)), 10_000_000n);
  const d = new CounterRate();
  d.update(9007199254740993n, S); // 2^53 + 1: a double would read 2^53
  assert.equal(rate(d.update(9007199254740995n, 2n * S)), 2n);
});

test('a decrease on a 64-bit counter is a reset: no spike, next sample is a rate again', () => {
  const c = new CounterRate();
  c.update(5_000_000n, S);
  assert.equal(c.update(100n, 2n * S).kind, 'reset');
  assert.equal(rate(c.update(1100n, 3n * S)), 1000n);
});

test('a decrease on a 32-bit counter is a wrap', () => {
  const c = new CounterRate({ wraps32: true });
  c.update(4294967000n, S);
  assert.equal(rate(c.update(704n, 2n * S)), 1000n);
  // a value that could not have come from a 32-bit counter is still a reset
  const d = new CounterRate({ wraps32: true });
  d.update(1n << 40n, S);
  assert.equal(d.update(5n, 2n * S).kind, 'reset');
});

test('gaps longer than the limit give no rate; repeated timestamps are ignored', () => {
  const c = new CounterRate({ maxGapNs: 10n * S });
  c.update(0n, S);
  assert.equal(c.update(1000n, 20n * S).kind, 'gap');
  assert.equal(rate(c.update(2000n, 21n * S)), 1000n);
  assert.equal(c.update(2000n, 21n * S).kind, 'stale-time');
  assert.equal(c.update(2000n, 20n * S).kind, 'stale-time');
  c.clear();
  assert.equal(c.update(9n, 30n * S).kind, 'first');
});

test('history keeps the newest values, oldest first', () => {
  const h = new History(3);
  assert.deepEqual(h.values(), []);
  for (const v of [1, 2, 3, 4, 5]) h.push(v);
  assert.deepEqual(h.values(), [3, 4, 5]);
  assert.equal(h.length, 3);
});
