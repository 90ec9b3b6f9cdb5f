// avr8js 0.21 keeps a few things the board needs private: the clock-event list
// (to fast-forward through SLEEP), the pending interrupt (to know when a sleep
// ends), the watchdog's enable state (to stop it on reset) and the TWI's busy
// flag (a reset drops the bus step it waits for). They are reached
// only through these typed views; avr-internals.test.ts fails if a new avr8js
// release changes the shape.
import type { AVRTimer, AVRTWI, AVRWatchdog, CPU } from 'avr8js';

export interface ClockEventEntry {
  cycles: number;
  callback: () => void;
  next: ClockEventEntry | null;
}

export interface CpuInternals {
  nextClockEvent: ClockEventEntry | null;
  nextInterrupt: number;
}

export interface WatchdogInternals {
  enabledValue: boolean;
  scheduled: boolean;
  watchdogTimeout: number;
  checkWatchdog: () => void;
}

export function cpuInternals(cpu: CPU): CpuInternals {
  const c = cpu as unknown as CpuInternals;
  if (!('nextClockEvent' in c) || typeof c.nextInterrupt !== 'number') {
    throw new Error('avr8js CPU internals changed: nextClockEvent/nextInterrupt not found');
  }
  return c;
}

export function watchdogInternals(wd: AVRWatchdog): WatchdogInternals {
  const w = wd as unknown as WatchdogInternals;
  if (
    typeof w.enabledValue !== 'boolean' ||
    typeof w.scheduled !== 'boolean' ||
    typeof w.watchdogTimeout !== 'number' ||
    typeof w.checkWatchdog !== 'function'
  ) {
    throw new Error(
      'avr8js watchdog internals changed: enabledValue/scheduled/watchdogTimeout/checkWatchdog not found',
    );
  }
  return w;
}

/** AVRTimer state read while the CPU sleeps (see sleep-skip.ts). */
export interface TimerInternals {
  tcnt: number;
  lastCycle: number;
  divider: number;
  timerMode: number;
  ocrA: number;
  ocrB: number;
  compA: number;
  compB: number;
  tcntUpdated: boolean;
  updateDivider: boolean;
  readonly TOP: number;
  readonly TIMSK: number;
  count: () => void;
}

export function timerInternals(timer: AVRTimer): TimerInternals {
  const t = timer as unknown as TimerInternals;
  for (const k of ['tcnt', 'lastCycle', 'divider', 'timerMode', 'ocrA', 'ocrB', 'compA', 'compB'] as const) {
    if (typeof t[k] !== 'number') throw new Error(`avr8js timer internals changed: ${k} not found`);
  }
  return t;
}

/** AVRTWI's "a bus step is under way" flag: TWCR writes are ignored while it is set. */
export interface TwiInternals {
  busy: boolean;
}

export function twiInternals(twi: AVRTWI): TwiInternals {
  const t = twi as unknown as TwiInternals;
  if (typeof t.busy !== 'boolean') throw new Error('avr8js TWI internals changed: busy not found');
  return t;
}
