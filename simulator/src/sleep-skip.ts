// While the CPU sleeps nothing reads TCNT, so a timer need not tick every
// prescaler period: its (lazy) count event can jump straight to the next cycle
// where something observable happens (overflow, compare match). avr8js's
// count() catches up over any number of timer steps and sets the flags then.
import type { TimerInternals } from './avr-internals.ts';

// avr8js TimerMode values.
const MODE_NORMAL = 0;
const MODE_CTC = 2;
const MODE_FAST_PWM = 3;

/**
 * The cycle at which this timer's count event should next run while asleep,
 * or -1 to leave it alone. `horizon` is how far a timer that cannot wake the
 * CPU (no interrupt enabled, no output pin) may be pushed.
 */
export function timerWakeCycle(t: TimerInternals, horizon: number): number {
  const divider = t.divider;
  if (!divider || t.tcntUpdated || t.updateDivider) return -1;
  const quiet = (t.TIMSK & 0x07) === 0 && !t.compA && !t.compB;
  if (quiet) return horizon;
  const mode = t.timerMode;
  if (mode !== MODE_NORMAL && mode !== MODE_CTC && mode !== MODE_FAST_PWM) return -1;
  const val = t.tcnt,
    top = t.TOP;
  if (val > top) return -1;
  let steps = top + 1 - val;
  if (t.ocrA > val && t.ocrA <= top) steps = Math.min(steps, t.ocrA - val);
  if (t.ocrB > val && t.ocrB <= top) steps = Math.min(steps, t.ocrB - val);
  return t.lastCycle + steps * divider;
}
