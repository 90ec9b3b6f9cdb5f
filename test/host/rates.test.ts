// host/src/rates.ts beyond the shared vectors (test/host/rates-vectors.test.ts):
// the gap limit from the poll interval, millisecond timestamps, forgetting a
// baseline, and the history ring.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CounterRates, History, gapLimitMs, timestampMs } from '../../host/src/rates.ts';

test('the gap limit is 3 poll intervals in ms, fractional polls included', () => {
  assert.equal(gapLimitMs(2), 6000n);
  assert.equal(gapLimitMs(0.5), 1500n);
  assert.equal(gapLimitMs(3600), 10_800_000n);
});

test('nanosecond timestamps are cut to whole milliseconds', () => {
  assert.equal(timestampMs(1_795_811_302_161_999_999n), 1_795_811_302_161n);
  assert.equal(timestampMs(999_999n), 0n);
});

test('one sample stamped an hour ahead costs two polls, not an hour', () => {
  const c = new CounterRates({ maxGapMs: 6000n });
  const h = 3_600_000n;
  assert.equal(c.update(100_000n, [0n, 0n]).status, 'first');
  assert.equal(c.update(102_000n + h, [10n, 10n]).status, 'gap');
  assert.equal(c.update(104_000n, [20n, 20n]).status, 'back');
  assert.deepEqual(c.update(106_000n, [2020n, 20n]), { status: 'rate', rates: [1000n, 0n] });
});

test('a repeated sample leaves the baseline alone; clear() forgets it', () => {
  const c = new CounterRates({ maxGapMs: 6000n });
  c.update(1000n, [0n, 0n]);
  assert.equal(c.update(1000n, [500n, 500n]).status, 'same');
  assert.deepEqual(c.update(2000n, [1000n, 1000n]), { status: 'rate', rates: [1000n, 1000n] });
  c.clear();
  assert.equal(c.update(3000n, [9n, 9n]).status, 'first');
});

test('history keeps the newest values, oldest first', () => {
  const h = new History(3);
  assert.deepEqual(h.values(), []);
  for (const v of [1, 2, 3, 4, 5]) h.push(v);
  assert.deepEqual(h.values(), [3, 4, 5]);
  assert.equal(h.length, 3);
});
