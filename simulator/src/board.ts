// The simulated pmlcd board: an Arduino Uno (ATmega328P at 16 MHz in avr8js)
// with the HD44780 16x2 LCD wired as firmware/src/board_pins.h says.
//
// Board API (for model and firmware tests):
//   const board = new Board({ firmware: 'build/x/x.hex', eepromFile?, pinMap?, lcd?, holdTimeoutMs? });
//   await board.run(ms)                  run that many simulated ms, as fast as possible
//   await board.runUntil(pred, ms, what?) run until pred() is true; throws SimTimeoutError after ms
//   board.start(speed = 1 | 'max') / await board.stop()   free-running, paced to real time
//   board.serial                          UsartWire: write(bytes), onByte(fn), stats, baudMismatch
//   board.lcd                             HD44780 model (text(), codes(), violations, ...)
//   board.cpu, clock, portB/C/D, timers, spi, usart, eeprom, watchdog   avr8js objects for models
//   board.pins                            parsed pin map (name -> {arduino, port, bit})
//   board.cycles, board.millis            simulated time since power-on
//   board.hold(reason) -> release         pause simulated time while host I/O is pending
//   board.resetExternal()                 RESET pin / DTR auto-reset (MCUSR.EXTRF)
//   board.powerCycle()                    power-on reset of the AVR and the LCD (MCUSR.PORF)
//   board.on('reset', (cause) => ...)     'power' | 'external' | 'watchdog'; board.resets counts them
//   board.on('halt', ({pc}) => ...)       SLEEP with interrupts disabled; board.halted
//   board.on('fault', (err) => ...)       StackOverflowError / HoldTimeoutError; run() rejects with it
//   board.stack                           { heapStart, lowestSp, used, headroom } high-water mark
//   board.saveEeprom()                    write the EEPROM file now (also done after each run)
//
// Resets: the CPU and every peripheral register go back to their reset values
// (I/O space cleared, ports tri-stated, timers stopped, watchdog off), RAM is
// kept, clock events are dropped (models re-arm on 'reset'). There is no
// bootloader: the app starts at 0, with the watchdog off as Optiboot leaves it.
// The LCD keeps its state; only powerCycle() resets it.
import { EventEmitter } from 'node:events';
import {
  AVRClock, AVREEPROM, AVRIOPort, AVRSPI, AVRTimer, AVRUSART, AVRWatchdog, CPU, avrInstruction,
  clockConfig, eepromConfig, portBConfig, portCConfig, portDConfig, spiConfig,
  timer0Config, timer1Config, timer2Config, usart0Config, watchdogConfig, type AVRPortConfig,
} from 'avr8js';
import { cpuInternals, timerInternals, watchdogInternals, type CpuInternals, type TimerInternals } from './avr-internals.ts';
import { FileEEPROM } from './eeprom-file.ts';
import { HD44780, type HD44780Config } from './hd44780.ts';
import { saveLcdImage } from './lcd-render.ts';
import { FLASH_BYTES, loadFirmware, type Firmware } from './hex.ts';
import { timerWakeCycle } from './sleep-skip.ts';
import { LCD_PINS, checkLcdPins, loadPinMap, type PinMap, type PortLetter } from './pins.ts';
import { UsartWire } from './usart-wire.ts';

export const CPU_HZ = 16_000_000;
export const SRAM_BYTES = 0x800;
export const RAMEND = 0x8ff;
export const EEPROM_BYTES = 1024;
const CYCLES_PER_MS = CPU_HZ / 1000;

// Data-space addresses (datasheet, "Register Summary" + 0x20).
const SMCR = 0x53;
const SMCR_SE = 0x01;
const MCUSR = 0x54;
const SPL = 0x5d;
const SPH = 0x5e;
const SREG = 0x5f;
const SREG_I = 0x80;
export const MCUSR_PORF = 0x01;
export const MCUSR_EXTRF = 0x02;
export const MCUSR_BORF = 0x04;
export const MCUSR_WDRF = 0x08;
const OP_SLEEP = 0x9588;
const WDTCSR_WDE = 0x08;
const WDTCSR_WDIE = 0x40;
const IO_END = 0x100;

export type ResetCause = 'power' | 'external' | 'watchdog';
const RESET_FLAG: Record<ResetCause, number> = { power: MCUSR_PORF, external: MCUSR_EXTRF, watchdog: MCUSR_WDRF };

export class StackOverflowError extends Error {
  constructor(readonly pc: number, readonly sp: number, readonly heapStart: number, readonly cycle: number) {
    super(`stack overflow at PC 0x${pc.toString(16)} (byte address): SP 0x${sp.toString(16)} reached static data ending at 0x${heapStart.toString(16)}`);
    this.name = 'StackOverflowError';
  }
}
export class HoldTimeoutError extends Error {
  constructor(readonly reason: string, readonly seconds: number) {
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

export interface BoardOptions {
  /** .hex (a sibling .elf adds stack checking) or .elf path, or a loaded image. */
  firmware: string | Firmware;
  pinMap?: PinMap;
  /** EEPROM contents are read from and saved to this file. */
  eepromFile?: string;
  lcd?: Partial<HD44780Config>;
  /** Wall-clock seconds a hold may last before it is reported as a fault. */
  holdTimeoutSec?: number;
  /** Simulated cycles per slice between event-loop turns (default 1 ms). */
  sliceCycles?: number;
}

export interface BoardEvents {
  reset: [cause: ResetCause];
  halt: [info: { pc: number; cycle: number }];
  fault: [error: Error];
  warning: [message: string];
}

interface Hold { reason: string; since: number }

interface LoopState { end: number }
interface HotLoops { awake: () => void; sleepEnabled: () => void }

/**
 * The per-instruction loops; they run while cpu.cycles < state.end, which a
 * hook or clock event sets to 0 to stop them after the current instruction.
 * Closures made by a plain function, not methods reading this.cpu: with one
 * board per process V8 specialises them to its CPU (measured 8-12% faster).
 */
function hotLoops(cpu: CPU, state: LoopState, stackDeeper: (sp: number) => number, enterSleep: () => void): HotLoops {
  const data = cpu.data, prog = cpu.progMem;
  return {
    // SE clear: a SLEEP is a no-op, so only the stack is checked.
    awake() {
      let lowest = RAMEND + 1;
      while (cpu.cycles < state.end) {
        avrInstruction(cpu);
        cpu.tick();
        const sp = data[SPL] | (data[SPH] << 8);
        if (sp < lowest) lowest = stackDeeper(sp);
      }
    },
    // SE set: the next SLEEP puts the CPU to sleep.
    sleepEnabled() {
      let lowest = RAMEND + 1;
      while (cpu.cycles < state.end) {
        if (prog[cpu.pc] === OP_SLEEP && data[SMCR] & SMCR_SE) {
          enterSleep();
          return;
        }
        avrInstruction(cpu);
        cpu.tick();
        const sp = data[SPL] | (data[SPH] << 8);
        if (sp < lowest) lowest = stackDeeper(sp);
      }
    },
  };
}

export class Board extends EventEmitter<BoardEvents> {
  readonly cpu: CPU;
  readonly clock: AVRClock;
  readonly portB: AVRIOPort;
  readonly portC: AVRIOPort;
  readonly portD: AVRIOPort;
  readonly timers: readonly AVRTimer[];
  readonly spi: AVRSPI;
  readonly usart: AVRUSART;
  readonly eeprom: AVREEPROM;
  readonly eepromMemory: FileEEPROM;
  readonly watchdog: AVRWatchdog;
  readonly serial: UsartWire;
  readonly lcd: HD44780;
  readonly pins: PinMap;
  readonly firmware: Firmware;
  readonly resets: Record<ResetCause, number> = { power: 0, external: 0, watchdog: 0 };
  /** Set while the CPU is stopped by SLEEP with interrupts disabled. */
  halted: { pc: number; cycle: number } | null = null;
  /** The first fault (stack overflow, hold timeout); the board stops running once set. */
  fault: Error | null = null;
  /** True while the CPU is in a sleep mode. */
  sleeping = false;
  /** SLEEP instructions executed (with SE set). */
  sleeps = 0;

  private readonly internals: CpuInternals;
  private readonly timerByCount: Map<() => void, TimerInternals>;
  private readonly portList: readonly AVRIOPort[];
  private readonly holds = new Set<Hold>();
  private holdWake: (() => void) | null = null;
  private readonly holdTimeoutMs: number;
  private readonly sliceCycles: number;
  private readonly heapStart: number;
  private readonly spLimit: number;
  private lowestSp = RAMEND;
  /** End of the current slice; 0 ends it after the current instruction (hold, stop, fault, reset). */
  private sliceEnd = 0;
  /** loop.end: end of the current inner loop; sliceEnd, or 0 to go back to runSlice (SE changed, or sliceEnd did). */
  private readonly loop: LoopState = { end: 0 };
  private readonly hot: HotLoops;
  private busy = false;
  private stopRequested = false;
  private freeRun: Promise<void> | null = null;

  constructor(opts: BoardOptions) {
    super();
    this.firmware = typeof opts.firmware === 'string' ? loadFirmware(opts.firmware) : opts.firmware;
    this.pins = opts.pinMap ?? loadPinMap();
    checkLcdPins(this.pins);
    this.holdTimeoutMs = (opts.holdTimeoutSec ?? 10) * 1000;
    this.sliceCycles = opts.sliceCycles ?? CYCLES_PER_MS;

    const cpu = new CPU(new Uint16Array(FLASH_BYTES / 2), SRAM_BYTES);
    this.cpu = cpu;
    cpu.progBytes.set(this.firmware.flash.subarray(0, cpu.progBytes.length));
    this.internals = cpuInternals(cpu);
    this.clock = new AVRClock(cpu, CPU_HZ, clockConfig);
    this.portB = new AVRIOPort(cpu, portBConfig);
    this.portC = new AVRIOPort(cpu, portCConfig);
    this.portD = new AVRIOPort(cpu, portDConfig);
    this.portList = [this.portB, this.portC, this.portD];
    this.timers = [timer0Config, timer1Config, timer2Config].map((c) => new AVRTimer(cpu, c));
    this.timerByCount = new Map(this.timers.map((t) => [t.count as () => void, timerInternals(t)]));
    this.spi = new AVRSPI(cpu, spiConfig, CPU_HZ);
    this.usart = new AVRUSART(cpu, usart0Config, CPU_HZ);
    this.eepromMemory = new FileEEPROM(EEPROM_BYTES, opts.eepromFile);
    this.eeprom = new AVREEPROM(cpu, this.eepromMemory, eepromConfig);
    this.watchdog = new AVRWatchdog(cpu, watchdogConfig, this.clock);
    this.serial = new UsartWire(cpu, this.usart, CPU_HZ);
    this.serial.onWarning = (m) => this.emit('warning', m);

    // avr8js's watchdog would only call cpu.reset(); take over its time-out so a
    // watchdog reset is a full board reset. (Patching cpu.reset instead would
    // change the CPU object's shape and slow every instruction.)
    const wd = watchdogInternals(this.watchdog);
    const check = wd.checkWatchdog;
    wd.checkWatchdog = () => {
      const wdtcsr = cpu.data[watchdogConfig.WDTCSR];
      if (wd.enabledValue && cpu.cycles >= wd.watchdogTimeout && wdtcsr & WDTCSR_WDE && !(wdtcsr & WDTCSR_WDIE)) {
        this.reset('watchdog');
      } else check();
    };

    // Only while SE is set can a SLEEP do anything, so only then does the hot
    // loop look at opcodes: a change of SE sends it back to runSlice to switch loops.
    cpu.writeHooks[SMCR] = (value, old) => {
      if ((value ^ old) & SMCR_SE) this.loop.end = 0;
    };

    this.heapStart = this.firmware.ram?.heapStart ?? IO_END;
    // SP points below the last pushed byte: the stack has reached static data once SP+1 < heapStart.
    this.spLimit = this.heapStart - 1;

    this.hot = hotLoops(cpu, this.loop, (sp) => this.stackDeeper(sp), () => this.enterSleep());

    this.lcd = new HD44780(cpu, { cpuHz: CPU_HZ, ...opts.lcd });
    this.wireLcd();
    this.lcd.powerOn();
    this.reset('power');
  }

  get cycles(): number { return this.cpu.cycles; }
  get millis(): number { return this.cpu.cycles / CYCLES_PER_MS; }

  /** Stack high-water mark: lowest SP seen since power-on. */
  get stack() {
    const lowestSp = this.lowestSp;
    return {
      heapStart: this.heapStart,
      lowestSp,
      /** Bytes of RAM the stack has used at its deepest. */
      used: RAMEND - lowestSp,
      /** Free bytes left between the end of static data and the deepest stack byte. */
      headroom: lowestSp + 1 - this.heapStart,
      /** False when no ELF symbols were found (headroom is then relative to 0x100). */
      known: this.firmware.ram !== null,
    };
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

  /** A pulse on the RESET pin, e.g. the DTR auto-reset capacitor of an Uno. */
  resetExternal(): void { this.reset('external'); }

  /** Power off and on: RAM and LCD are cleared too; the EEPROM keeps its contents. */
  powerCycle(): void {
    this.cpu.data.fill(0);
    this.lowestSp = RAMEND;
    this.lcd.powerOn();
    this.reset('power');
  }

  /** Runs `ms` of simulated time as fast as possible. */
  async run(ms: number): Promise<void> {
    await this.exclusive(async () => {
      const target = this.cpu.cycles + Math.round(ms * CYCLES_PER_MS);
      while (this.cpu.cycles < target) await this.step(target);
    });
  }

  /** Runs until pred() holds (checked every slice); throws SimTimeoutError after `timeoutMs` simulated ms. */
  async runUntil(pred: () => boolean, timeoutMs: number, what = 'condition'): Promise<void> {
    await this.exclusive(async () => {
      const target = this.cpu.cycles + Math.round(timeoutMs * CYCLES_PER_MS);
      while (!pred()) {
        if (this.cpu.cycles >= target) {
          const halted = this.halted ? ` (the CPU halted at PC 0x${this.halted.pc.toString(16)})` : '';
          throw new SimTimeoutError(what, timeoutMs, `${halted}${this.lcdEvidence(what)}`);
        }
        await this.step(target);
      }
    });
  }

  /** What the glass showed when a wait failed: the text, and an image a test run keeps. */
  private lcdEvidence(what: string): string {
    const text = this.lcd.text().map((l) => JSON.stringify(l)).join(' / ');
    let image = '';
    try {
      image = `, image ${saveLcdImage(this.lcd, `timeout-${what.replace(/[^\w.-]+/g, '_').slice(0, 60)}-${process.pid}-${Date.now()}`)}`;
    } catch { /* evidence only: a read-only tree must not hide the real failure */ }
    return `; LCD showed ${text}${image}`;
  }

  /** Free-running mode: `speed` 1 paces to real time (catching up at most 100 ms), 'max' runs flat out. */
  start(speed: number | 'max' = 1): void {
    if (this.freeRun) return;
    this.stopRequested = false;
    // Faults are reported through the 'fault' event (and board.fault) in this mode.
    this.freeRun = this.exclusive(() => this.freeRunLoop(speed))
      .catch((e: Error) => { if (e !== this.fault) this.emit('fault', e); })
      .finally(() => { this.freeRun = null; });
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    this.endSlice();
    this.holdWake?.();
    await this.freeRun;
  }

  saveEeprom(): void { this.eepromMemory.save(); }

  private async exclusive(fn: () => Promise<void>): Promise<void> {
    if (this.busy) throw new Error('the board is already running (one run/runUntil/start at a time)');
    if (this.fault) throw this.fault;
    this.busy = true;
    try {
      await fn();
    } finally {
      this.busy = false;
      this.eepromMemory.save();
    }
  }

  /**
   * One slice, then a turn of the event loop so serial/network I/O can run.
   * Not an async function: V8 inlined the hot loop into it and the async
   * frame then cost ~5% (profiled).
   */
  private step(target: number): Promise<void> {
    if (this.holds.size > 0) return this.waitHolds().then(() => this.step(target));
    this.runSlice(Math.min(target, this.cpu.cycles + this.sliceCycles));
    if (this.fault) return Promise.reject(this.fault);
    return new Promise<void>((r) => setImmediate(r));
  }

  private async freeRunLoop(speed: number | 'max'): Promise<void> {
    const CAP = 100 * CYCLES_PER_MS;
    let wall0 = performance.now(), cyc0 = this.cpu.cycles;
    while (!this.stopRequested) {
      if (this.holds.size > 0) {
        await this.waitHolds();
        wall0 = performance.now();
        cyc0 = this.cpu.cycles;
      }
      let target: number;
      if (speed === 'max') target = this.cpu.cycles + this.sliceCycles;
      else {
        target = cyc0 + (performance.now() - wall0) * CYCLES_PER_MS * speed;
        if (target - this.cpu.cycles > CAP) {
          cyc0 -= target - this.cpu.cycles - CAP;
          target = this.cpu.cycles + CAP;
        }
        if (target <= this.cpu.cycles) {
          await new Promise((r) => setTimeout(r, 2));
          continue;
        }
      }
      this.runSlice(Math.min(target, this.cpu.cycles + this.sliceCycles));
      if (this.fault) return;
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  private async waitHolds(): Promise<void> {
    while (this.holds.size > 0 && !this.stopRequested) {
      const oldest = Math.min(...[...this.holds].map((h) => h.since));
      const left = oldest + this.holdTimeoutMs - Date.now();
      if (left <= 0) {
        const h = [...this.holds].find((x) => x.since === oldest)!;
        this.fault = new HoldTimeoutError(h.reason, this.holdTimeoutMs / 1000);
        this.emit('fault', this.fault);
        throw this.fault;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.holdWake = () => { clearTimeout(t); resolve(); };
      });
      this.holdWake = null;
    }
  }

  /**
   * Runs until `end`, or until hold/stop/fault/reset ends the slice early. The
   * inner loops cost one SP compare per instruction (stack high-water mark) on
   * top of bare avr8js; the SLEEP opcode is looked at only while SMCR.SE is set.
   */
  private runSlice(end: number): void {
    const cpu = this.cpu, data = cpu.data;
    this.sliceEnd = end;
    while (cpu.cycles < this.sliceEnd) {
      if (this.sleeping) {
        this.sleepUntil();
        continue;
      }
      this.loop.end = this.sliceEnd;
      if (data[SMCR] & SMCR_SE) this.hot.sleepEnabled();
      else this.hot.awake();
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
    this.fault = new StackOverflowError(this.cpu.pc * 2, sp, this.heapStart, this.cpu.cycles);
    this.endSlice();
    this.emit('fault', this.fault);
  }

  private enterSleep(): void {
    const cpu = this.cpu;
    cpu.pc++;
    cpu.cycles++;
    this.sleeping = true;
    this.sleeps++;
    if (!(cpu.data[SREG] & SREG_I)) {
      this.halted = { pc: (cpu.pc - 1) * 2, cycle: cpu.cycles };
      this.emit('halt', this.halted);
    }
  }

  /** Asleep: skip straight from clock event to clock event until an interrupt (or a reset) moves the PC. */
  private sleepUntil(): void {
    const cpu = this.cpu, internals = this.internals, data = cpu.data;
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

  private reset(cause: ResetCause): void {
    const cpu = this.cpu, data = cpu.data;
    // A watchdog reset runs inside cpu.tick(), which afterwards sets the event
    // list to the executing entry's `next`: point that at the new list.
    const executing = this.internals.nextClockEvent;
    const flags = cause === 'power' ? 0 : data[MCUSR];
    data.fill(0, 0, IO_END);
    for (const t of this.timers) t.reset();
    // Through the write hooks, so timers drop their pin overrides and ports tell their listeners.
    for (const c of [timer0Config, timer1Config, timer2Config]) {
      cpu.writeData(c.TCCRA, 0);
      cpu.writeData(c.TCCRB, 0);
    }
    for (const p of [portBConfig, portCConfig, portDConfig] as AVRPortConfig[]) {
      cpu.writeData(p.DDR, 0);
      cpu.writeData(p.PORT, 0);
    }
    if (this.clock.prescaler !== 1) {
      cpu.writeData(clockConfig.CLKPR, 0x80);
      cpu.writeData(clockConfig.CLKPR, 0);
    }
    const wd = watchdogInternals(this.watchdog);
    wd.enabledValue = false;
    wd.scheduled = false;
    this.usart.reset();
    this.spi.reset();
    data[MCUSR] = flags | RESET_FLAG[cause];
    cpu.reset();
    this.sleeping = false;
    this.halted = null;
    this.endSlice();
    // A new start clears a fault (a watchdog reset does not: it is the firmware's own doing).
    if (cause !== 'watchdog') this.fault = null;
    this.resets[cause]++;
    this.serial.afterReset();
    this.emit('reset', cause);
    if (cause === 'watchdog' && executing) executing.next = this.internals.nextClockEvent;
  }

  /** Feeds every change of the LCD's pins to the model (RW is grounded on this board). */
  private wireLcd(): void {
    const ports: Record<PortLetter, number> = { B: 0, C: 1, D: 2 };
    const roles = [...LCD_PINS].map((r) => this.pins.get(r)!);
    const bl = this.pins.get('BACKLIGHT');
    const levels = [0, 0, 0];
    const masks = [0, 0, 0];
    for (const p of roles) masks[ports[p.port]] |= 1 << p.bit;
    const [rs, e, d4, d5, d6, d7] = roles.map((p) => ({ port: ports[p.port], mask: 1 << p.bit }));
    const lcd = this.lcd;
    const update = () => {
      const data = ((levels[d4.port] & d4.mask) ? 0x10 : 0) | ((levels[d5.port] & d5.mask) ? 0x20 : 0)
        | ((levels[d6.port] & d6.mask) ? 0x40 : 0) | ((levels[d7.port] & d7.mask) ? 0x80 : 0);
      lcd.setPins((levels[rs.port] & rs.mask) !== 0, false, (levels[e.port] & e.mask) !== 0, data);
    };
    const blPort = bl ? ports[bl.port] : -1, blMask = bl ? 1 << bl.bit : 0;
    this.portList.forEach((port, i) => {
      port.addListener((value, old) => {
        levels[i] = value;
        if ((value ^ old) & masks[i]) update();
        if (i === blPort && (value ^ old) & blMask) lcd.backlight = (value & blMask) !== 0;
      });
    });
    if (!bl) lcd.backlight = true;
  }
}
