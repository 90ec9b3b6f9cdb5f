// The board's run loop: simulated time in slices with an event-loop turn
// between them (so serial and network I/O can run), holds that pause simulated
// time while host I/O is pending, SLEEP fast-forwarded from clock event to
// clock event, and the stack high-water mark checked on every instruction.
//
//   const loop = new RunLoop(cpu, timers, { cpuHz, sliceCycles, holdTimeoutMs, heapStart, ramEnd }, report);
//   await loop.run(ms); await loop.runUntil(pred, ms, () => new Error(...))
//   loop.start(speed) / await loop.stop()     free-running, paced to real time
//   loop.hold(reason) -> release              pause simulated time
//   loop.reset(keepFault)                      after a board reset: awake, not halted, slice ended
//   loop.stall(untilCycle)                     execute nothing until then (clock events still run)
//   loop.openWindow()                          look at each opcode while window.open() (SPM)
//   config.spinFrom                            polling loops at or above this byte address are fast-forwarded
//   config.dispatch                            'fast' (default, avr-exec.ts) or 'avr8js' (avrInstruction, the reference;
//                                              also the default with PMLCD_SIM_DISPATCH=avr8js)
//   loop.flashChanged(wordAddr, words)         flash was written (SPM, a new image): decode those words again
//   loop.fault, halted, sleeping, sleeps, lowestSp
import type { AVRTimer, CPU } from 'avr8js';
import { createDispatch, type Dispatch, type DispatchName, type HotState } from './avr-exec.ts';
import { cpuInternals, timerInternals, type CpuInternals, type TimerInternals } from './avr-internals.ts';
import { timerWakeCycle } from './sleep-skip.ts';

// Data-space addresses (datasheet, "Register Summary" + 0x20).
const SMCR = 0x53;
const SMCR_SE = 0x01;
const SPL = 0x5d;
const SPH = 0x5e;
const SREG = 0x5f;
const SREG_I = 0x80;
const OP_SLEEP = 0x9588;
// avr8js TimerMode values (as sleep-skip.ts).
const TIMER_NORMAL = 0;
const TIMER_CTC = 2;
const TIMER_FAST_PWM = 3;

export class StackOverflowError extends Error {
  constructor(
    readonly pc: number,
    readonly sp: number,
    readonly heapStart: number,
    readonly cycle: number,
  ) {
    super(
      `stack overflow at PC 0x${pc.toString(16)} (byte address): SP 0x${sp.toString(16)} reached static data ending at 0x${heapStart.toString(16)}`,
    );
    this.name = 'StackOverflowError';
  }
}
export class HoldTimeoutError extends Error {
  constructor(
    readonly reason: string,
    readonly seconds: number,
  ) {
    super(`simulation held for more than ${seconds} s by "${reason}"`);
    this.name = 'HoldTimeoutError';
  }
}
export class SimTimeoutError extends Error {
  constructor(what: string, ms: number, detail: string) {
    super(`${what} not reached within ${ms} ms of simulated time${detail}`);
    this.name = 'SimTimeoutError';
  }
}

export interface RunLoopConfig {
  cpuHz: number;
  /** Simulated cycles per slice between event-loop turns. */
  sliceCycles: number;
  /** Wall-clock ms a hold may last before it is reported as a fault. */
  holdTimeoutMs: number;
  /** End of static data: the stack reaching it is a fault. */
  heapStart: number;
  /** Top of RAM, where the stack starts. */
  ramEnd: number;
  /**
   * Byte address from which busy polling loops are fast-forwarded (the boot section:
   * Optiboot polls TIFR1 and UCSR0A with interrupts off); undefined: never.
   */
  spinFrom?: number;
  /** How instructions are executed: 'fast' (pre-decoded, the default), 'avr8js', or a dispatch of one's own (tests). */
  dispatch?: DispatchName | ((cpu: CPU) => Dispatch);
}

/** Longest polling loop recognised, in instructions. */
const SPIN_MAX_INSTRUCTIONS = 16;
/** Cycles run between two looks for a polling loop when the last look found none. */
const SPIN_RECHECK_CYCLES = 4096;

/**
 * Instructions the loop must look at one by one for a few cycles (SPM after an
 * SPMCSR write): open() says whether the window is still open, execute() runs
 * the instruction at PC and returns true, or returns false to leave it to avr8js.
 */
export interface OpcodeWindow {
  open(): boolean;
  execute(): boolean;
}

/** What the loop tells its board. */
export interface RunLoopReport {
  /** A stack overflow or hold timeout; the loop stops running until reset(false). */
  fault(error: Error): void;
  /** SLEEP with interrupts disabled. */
  halt(info: { pc: number; cycle: number }): void;
  /** After every run, runUntil and free run (the board saves its EEPROM then). */
  afterRun(): void;
}

interface Hold {
  reason: string;
  since: number;
}

/**
 * The cycle at which a running timer next sets a flag (overflow or compare match),
 * or -1 when unsure; unlike sleep-skip's timerWakeCycle it counts flags no
 * interrupt is enabled for, since a polling loop reads them.
 */
function nextTimerFlag(t: TimerInternals): number {
  if (!t.divider || t.tcntUpdated || t.updateDivider) return -1;
  if (t.timerMode !== TIMER_NORMAL && t.timerMode !== TIMER_CTC && t.timerMode !== TIMER_FAST_PWM) return -1;
  const val = t.tcnt,
    top = t.TOP;
  if (val > top) return -1;
  let steps = top + 1 - val;
  if (t.ocrA > val && t.ocrA <= top) steps = Math.min(steps, t.ocrA - val);
  if (t.ocrB > val && t.ocrB <= top) steps = Math.min(steps, t.ocrB - val);
  return t.lastCycle + steps * t.divider;
}

export class RunLoop {
  /** The first fault (stack overflow, hold timeout); the loop refuses to run once set. */
  fault: Error | null = null;
  /** Set while the CPU is stopped by SLEEP with interrupts disabled. */
  halted: { pc: number; cycle: number } | null = null;
  /** True while the CPU is in a sleep mode. */
  sleeping = false;
  /** SLEEP instructions executed (with SE set). */
  sleeps = 0;
  /** Lowest SP seen since the last resetStackMark(). */
  lowestSp: number;

  private readonly internals: CpuInternals;
  private readonly timerByCount: Map<() => void, TimerInternals>;
  private readonly cyclesPerMs: number;
  private readonly spLimit: number;
  private readonly holds = new Set<Hold>();
  private holdWake: (() => void) | null = null;
  /** End of the current slice; 0 ends it after the current instruction (hold, stop, fault, reset). */
  private sliceEnd = 0;
  /** loop.end: end of the current inner loop; sliceEnd, or 0 to go back to runSlice (sliceEnd changed, a window opened). */
  private readonly loop: HotState;
  private readonly dispatch: Dispatch;
  private busy = false;
  private stopRequested = false;
  private freeRun: Promise<void> | null = null;
  /** No instruction runs before this cycle (reset time-out, NRWW programming). */
  private stalledUntil = 0;
  private window: OpcodeWindow | null = null;
  private spinSnapshot: Uint8Array | null = null;
  /** Polling-loop periods skipped (whole iterations' cycles), for tests and benchmarks. */
  spinSkipped = 0;

  constructor(
    private readonly cpu: CPU,
    timers: readonly AVRTimer[],
    private readonly config: RunLoopConfig,
    private readonly report: RunLoopReport,
  ) {
    this.internals = cpuInternals(cpu);
    this.timerByCount = new Map(timers.map((t) => [t.count as () => void, timerInternals(t)]));
    this.cyclesPerMs = config.cpuHz / 1000;
    this.lowestSp = config.ramEnd;
    // SP points below the last pushed byte: the stack has reached static data once SP+1 < heapStart.
    this.spLimit = config.heapStart - 1;
    this.loop = { end: 0, lowestSp: config.ramEnd, stackDeeper: (sp) => this.stackDeeper(sp) };
    // PMLCD_SIM_DISPATCH=avr8js runs every board on the reference (a whole test suite, for comparison).
    const d = config.dispatch ?? (process.env.PMLCD_SIM_DISPATCH === 'avr8js' ? 'avr8js' : 'fast');
    this.dispatch = typeof d === 'function' ? d(cpu) : createDispatch(cpu, d);
  }

  /** Which dispatch executes the instructions. */
  get dispatchName(): DispatchName {
    return this.dispatch.name;
  }

  /** Flash words [wordAddr, wordAddr + words) were written (SPM, a new image): the dispatch decodes them again. */
  flashChanged(wordAddr: number, words: number): void {
    this.dispatch.invalidate(wordAddr, words);
  }

  /** Pauses simulated time until the returned release function is called. */
  hold(reason: string): () => void {
    const h: Hold = { reason, since: Date.now() };
    this.holds.add(h);
    this.endSlice();
    return () => {
      if (this.holds.delete(h) && this.holds.size === 0) this.holdWake?.();
    };
  }

  /** Runs `ms` of simulated time as fast as possible. */
  async run(ms: number): Promise<void> {
    await this.exclusive(async () => {
      const target = this.cpu.cycles + Math.round(ms * this.cyclesPerMs);
      while (this.cpu.cycles < target) await this.step(target);
    });
  }

  /** Runs until pred() holds (checked every slice); throws timedOut() after `timeoutMs` simulated ms. */
  async runUntil(pred: () => boolean, timeoutMs: number, timedOut: () => Error): Promise<void> {
    await this.exclusive(async () => {
      const target = this.cpu.cycles + Math.round(timeoutMs * this.cyclesPerMs);
      while (!pred()) {
        if (this.cpu.cycles >= target) throw timedOut();
        await this.step(target);
      }
    });
  }

  /** Free-running mode: `speed` 1 paces to real time (catching up at most 100 ms), 'max' runs flat out. */
  start(speed: number | 'max' = 1): void {
    if (this.freeRun) return;
    this.stopRequested = false;
    // Faults are reported through report.fault (and this.fault) in this mode.
    this.freeRun = this.exclusive(() => this.freeRunLoop(speed))
      .catch((e: Error) => {
        if (e !== this.fault) this.report.fault(e);
      })
      .finally(() => {
        this.freeRun = null;
      });
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    this.endSlice();
    this.holdWake?.();
    await this.freeRun;
  }

  /** After a board reset: awake, not halted, the slice ended; a fault is cleared unless keepFault. */
  reset(keepFault: boolean): void {
    this.stalledUntil = 0;
    this.sleeping = false;
    this.halted = null;
    this.endSlice();
    if (!keepFault) this.fault = null;
  }

  /** Executes nothing until `untilCycle`; clock events (timers, the UART's shift register) still run. */
  stall(untilCycle: number): void {
    this.stalledUntil = Math.max(this.stalledUntil, untilCycle);
    this.loop.end = 0;
  }

  /** The cycle before which no instruction runs (0 when not stalled). */
  get stalled(): number {
    return this.stalledUntil > this.cpu.cycles ? this.stalledUntil : 0;
  }

  /** The window whose opcodes the loop checks one by one while it is open (see OpcodeWindow). */
  setWindow(window: OpcodeWindow): void {
    this.window = window;
  }

  /** The window just opened: leave the hot loop after the current instruction. */
  openWindow(): void {
    this.loop.end = 0;
  }

  /** Power-on: the stack high-water mark starts again. */
  resetStackMark(): void {
    this.lowestSp = this.config.ramEnd;
  }

  private async exclusive(fn: () => Promise<void>): Promise<void> {
    if (this.busy) throw new Error('the board is already running (one run/runUntil/start at a time)');
    if (this.fault) throw this.fault;
    this.busy = true;
    try {
      await fn();
    } finally {
      this.busy = false;
      this.report.afterRun();
    }
  }

  /**
   * One slice, then a turn of the event loop so serial/network I/O can run.
   * Not an async function: V8 inlined the hot loop into it and the async
   * frame then cost ~5% (profiled).
   */
  private step(target: number): Promise<void> {
    if (this.holds.size > 0) return this.waitHolds().then(() => this.step(target));
    this.runSlice(Math.min(target, this.cpu.cycles + this.config.sliceCycles));
    if (this.fault) return Promise.reject(this.fault);
    return new Promise<void>((r) => setImmediate(r));
  }

  private async freeRunLoop(speed: number | 'max'): Promise<void> {
    const CAP = 100 * this.cyclesPerMs;
    let wall0 = performance.now(),
      cyc0 = this.cpu.cycles;
    while (!this.stopRequested) {
      if (this.holds.size > 0) {
        await this.waitHolds();
        wall0 = performance.now();
        cyc0 = this.cpu.cycles;
      }
      let target: number;
      if (speed === 'max') target = this.cpu.cycles + this.config.sliceCycles;
      else {
        target = cyc0 + (performance.now() - wall0) * this.cyclesPerMs * speed;
        if (target - this.cpu.cycles > CAP) {
          cyc0 -= target - this.cpu.cycles - CAP;
          target = this.cpu.cycles + CAP;
        }
        if (target <= this.cpu.cycles) {
          await new Promise((r) => setTimeout(r, 2));
          continue;
        }
      }
      this.runSlice(Math.min(target, this.cpu.cycles + this.config.sliceCycles));
      if (this.fault) return;
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  private async waitHolds(): Promise<void> {
    const timeoutMs = this.config.holdTimeoutMs;
    while (this.holds.size > 0 && !this.stopRequested) {
      const oldest = Math.min(...[...this.holds].map((h) => h.since));
      const left = oldest + timeoutMs - Date.now();
      if (left <= 0) {
        const h = [...this.holds].find((x) => x.since === oldest)!;
        this.fault = new HoldTimeoutError(h.reason, timeoutMs / 1000);
        this.report.fault(this.fault);
        throw this.fault;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.holdWake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.holdWake = null;
    }
  }

  /**
   * Runs until `end`, or until hold/stop/fault/reset ends the slice early. The
   * dispatch's hot loop costs one SP compare per instruction (stack high-water
   * mark) on top of the bare core, and stops in front of a SLEEP with SE set.
   */
  private runSlice(end: number): void {
    const cpu = this.cpu;
    this.sliceEnd = end;
    while (cpu.cycles < this.sliceEnd) {
      if (cpu.cycles < this.stalledUntil) {
        this.stallTo();
        continue;
      }
      if (this.window?.open()) {
        this.windowSteps();
        continue;
      }
      if (this.sleeping) {
        this.sleepUntil();
        continue;
      }
      this.loop.end = this.sliceEnd;
      if (this.config.spinFrom !== undefined && cpu.pc * 2 >= this.config.spinFrom) {
        if (this.skipSpin()) continue;
        this.loop.end = Math.min(this.sliceEnd, cpu.cycles + SPIN_RECHECK_CYCLES);
        if (cpu.cycles >= this.loop.end || cpu.cycles < this.stalledUntil || this.window?.open()) continue;
      }
      this.loop.lowestSp = this.lowestSp;
      if (this.dispatch.run(this.loop)) this.enterSleep();
    }
  }

  /**
   * The CPU executes nothing; clock events run at their cycles as cpu.tick() would
   * run them, but no interrupt is taken (the core is halted or in reset).
   */
  private stallTo(): void {
    const cpu = this.cpu,
      internals = this.internals;
    for (;;) {
      const end = Math.min(this.stalledUntil, this.sliceEnd);
      const ev = internals.nextClockEvent;
      if (ev === null || ev.cycles > end) {
        if (cpu.cycles < end) cpu.cycles = end;
        return;
      }
      if (ev.cycles > cpu.cycles) cpu.cycles = ev.cycles;
      ev.callback();
      internals.nextClockEvent = ev.next;
    }
  }

  /**
   * A busy polling loop (Optiboot's `while (!(UCSR0A & RXC0))`, `while (!(TIFR1 & TOV1))`)
   * runs identically until a clock event changes what it polls: two periods are run
   * instruction by instruction and, when the whole data space (registers, I/O, RAM)
   * is the same after the second as after the first and no clock event came in
   * between, the CPU is moved on by whole periods to just before the next event or
   * the slice end. Exact: the loop would have done nothing else; only host CPU time
   * is saved. Returns true when periods were skipped.
   */
  private skipSpin(): boolean {
    const cpu = this.cpu,
      data = cpu.data;
    const next = () => Math.min(this.internals.nextClockEvent?.cycles ?? Infinity, this.sliceEnd);
    const limit = next();
    const pc0 = cpu.pc;
    const period = (): number => {
      const c0 = cpu.cycles;
      for (let i = 0; i < SPIN_MAX_INSTRUCTIONS; i++) {
        // Leave the last few cycles before an event to the normal path.
        if (cpu.cycles + 8 >= limit || cpu.cycles < this.stalledUntil) return -1;
        if (cpu.progMem[cpu.pc] === OP_SLEEP && data[SMCR] & SMCR_SE) return -1; // the hot loop's to enter
        this.dispatch.step();
        cpu.tick();
        const sp = data[SPL] | (data[SPH] << 8);
        if (sp < this.lowestSp) this.stackDeeper(sp);
        if (this.window?.open() || this.fault || this.sliceEnd === 0) return -1;
        if (cpu.pc === pc0) return cpu.cycles - c0;
      }
      return -1;
    };
    if (period() < 0) return false;
    this.spinSnapshot ??= new Uint8Array(data.length);
    const snap = this.spinSnapshot;
    snap.set(data);
    const p = period();
    if (p <= 0) return false;
    for (let i = 0; i < data.length; i++) if (snap[i] !== data[i]) return false;
    // A pure loop sees a timer only through its flags (a TCNT read catches the count up
    // itself), so a timer's count event may move to the next flag change.
    for (let ev = this.internals.nextClockEvent; ev; ) {
      const timer = this.timerByCount.get(ev.callback);
      const at = timer ? nextTimerFlag(timer) : -1;
      if (at <= ev.cycles) break;
      cpu.updateClockEvent(ev.callback, at - cpu.cycles);
      ev = this.internals.nextClockEvent;
    }
    const n = Math.floor((next() - 8 - cpu.cycles) / p);
    if (n <= 0) return false;
    cpu.cycles += n * p;
    this.spinSkipped += n;
    return true;
  }

  /** One instruction at a time while the opcode window is open. */
  private windowSteps(): void {
    const cpu = this.cpu,
      data = cpu.data,
      w = this.window!;
    while (cpu.cycles < this.sliceEnd && cpu.cycles >= this.stalledUntil && w.open()) {
      if (cpu.progMem[cpu.pc] === OP_SLEEP && data[SMCR] & SMCR_SE) {
        this.enterSleep();
        return;
      }
      if (!w.execute()) this.dispatch.step();
      cpu.tick();
      const sp = data[SPL] | (data[SPH] << 8);
      if (sp < this.lowestSp) this.stackDeeper(sp);
    }
  }

  /** A new stack high-water mark; returns the mark the hot loop compares against next. */
  private stackDeeper(sp: number): number {
    if (sp < this.lowestSp) this.lowestSp = sp;
    if (sp < this.spLimit) this.stackOverflow(sp);
    return this.lowestSp;
  }

  private endSlice(): void {
    this.sliceEnd = 0;
    this.loop.end = 0;
  }

  private stackOverflow(sp: number): void {
    if (this.fault) return;
    this.lowestSp = Math.min(this.lowestSp, sp);
    this.fault = new StackOverflowError(this.cpu.pc * 2, sp, this.config.heapStart, this.cpu.cycles);
    this.endSlice();
    this.report.fault(this.fault);
  }

  private enterSleep(): void {
    const cpu = this.cpu;
    cpu.pc++;
    cpu.cycles++;
    this.sleeping = true;
    this.sleeps++;
    if (!(cpu.data[SREG] & SREG_I)) {
      this.halted = { pc: (cpu.pc - 1) * 2, cycle: cpu.cycles };
      this.report.halt(this.halted);
    }
  }

  /** Asleep: skip straight from clock event to clock event until an interrupt (or a reset) moves the PC. */
  private sleepUntil(): void {
    const cpu = this.cpu,
      internals = this.internals,
      data = cpu.data;
    const pc = cpu.pc;
    for (;;) {
      if (cpu.pc !== pc || !this.sleeping) {
        this.sleeping = false;
        return;
      }
      if (internals.nextInterrupt >= 0 && data[SREG] & SREG_I) {
        cpu.tick();
        continue;
      }
      const ev = internals.nextClockEvent;
      const end = this.sliceEnd;
      if (ev === null || ev.cycles >= end) {
        if (cpu.cycles < end) cpu.cycles = end;
        return;
      }
      const timer = this.timerByCount.get(ev.callback);
      if (timer) {
        const wake = timerWakeCycle(timer, end);
        if (wake > ev.cycles) {
          cpu.updateClockEvent(ev.callback, wake - cpu.cycles);
          continue;
        }
      }
      if (ev.cycles > cpu.cycles) cpu.cycles = ev.cycles;
      cpu.tick();
    }
  }
}
