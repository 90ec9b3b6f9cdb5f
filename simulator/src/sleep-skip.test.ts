import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TimerInternals } from './avr-internals.ts';
import { timerWakeCycle } from './sleep-skip.ts';

const timer = (over: Partial<TimerInternals>): TimerInternals => ({
  tcnt: 0,
  lastCycle: 1000,
  divider: 64,
  timerMode: 3,
  ocrA: 0,
  ocrB: 0,
  compA: 0,
  compB: 0,
  tcntUpdated: false,
  updateDivider: false,
  TOP: 255,
  TIMSK: 1,
  count: () => {},
  ...over,
});

test('a timer with an interrupt enabled jumps to its next overflow or compare match', () => {
  assert.equal(timerWakeCycle(timer({ tcnt: 10 }), 1e9), 1000 + (256 - 10) * 64, 'overflow');
  assert.equal(timerWakeCycle(timer({ tcnt: 10, ocrA: 100 }), 1e9), 1000 + 90 * 64, 'OCRA first');
  assert.equal(timerWakeCycle(timer({ tcnt: 10, ocrA: 100, ocrB: 50 }), 1e9), 1000 + 40 * 64, 'OCRB first');
  assert.equal(timerWakeCycle(timer({ tcnt: 10, ocrA: 5 }), 1e9), 1000 + 246 * 64, 'passed OCRA: overflow');
  assert.equal(timerWakeCycle(timer({ tcnt: 10, timerMode: 2, TOP: 99, ocrA: 99 }), 1e9), 1000 + 89 * 64, 'CTC');
});

test('a timer that cannot wake the CPU is pushed to the horizon; unclear states are left alone', () => {
  assert.equal(timerWakeCycle(timer({ TIMSK: 0 }), 5000), 5000);
  assert.equal(timerWakeCycle(timer({ TIMSK: 0, compB: 2 }), 5000), 1000 + 256 * 64, 'PWM pin: still stepped');
  assert.equal(timerWakeCycle(timer({ timerMode: 1 }), 5000), -1, 'phase-correct with interrupt');
  assert.equal(timerWakeCycle(timer({ divider: 0 }), 5000), -1, 'stopped');
  assert.equal(timerWakeCycle(timer({ tcntUpdated: true }), 5000), -1);
  assert.equal(timerWakeCycle(timer({ updateDivider: true }), 5000), -1);
});
