// The simulated pmlcd board: an Arduino Uno (ATmega328P at 16 MHz in avr8js)
// with the HD44780 16x2 LCD wired as firmware/src/board_pins.h says.
//
// Board API (for model and firmware tests):
//   const board = new Board({ firmware: 'build/x/x.hex', eepromFile?, pinMap?, lcd?, holdTimeoutMs?,
//                             bootloader?, fuses?, signature?, dispatch? });
//   await board.run(ms)                  run that many simulated ms, as fast as possible
//   await board.runUntil(pred, ms, what?) run until pred() is true; throws SimTimeoutError after ms
//   board.start(speed = 1 | 'max') / await board.stop()   free-running, paced to real time
//   board.serial                          UsartWire: write(bytes), onByte(fn), stats, baudMismatch
//   board.shield                          the Ethernet shield's W5100/W5500 model (opts.shield)
//   board.lcd                             HD44780 model (text(), codes(), violations, ...)
//   board.i2c, board.backpack             TWI bus (i2c-bus.ts); the PCF8574 backpack when lcdBus is i2c
//   board.cpu, clock, portB/C/D, timers, spi, usart, eeprom, watchdog   avr8js objects for models
//   board.pins                            parsed pin map (name -> {arduino, port, bit})
//   board.cycles, board.millis            simulated time since power-on
//   board.hold(reason) -> release         pause simulated time while host I/O is pending
//   board.resetExternal()                 RESET pin / DTR auto-reset (MCUSR.EXTRF)
//   board.powerCycle()                    power-on reset of the AVR and the LCD (MCUSR.PORF)
//   board.inReset, board.startMillis      reset time-out holding the CPU; when the last one ended
//   board.fuses, board.spm, board.flash   fuse/lock bytes, self-programming (SPM) state, the flash bytes
//   board.on('reset', (cause) => ...)     'power' | 'external' | 'watchdog'; board.resets counts them
//   board.on('halt', ({pc}) => ...)       SLEEP with interrupts disabled; board.halted
//   board.on('fault', (err) => ...)       StackOverflowError / HoldTimeoutError; run() rejects with it
//   board.stack                           { heapStart, lowestSp, used, headroom } high-water mark
//   board.saveEeprom()                    write the EEPROM file now (also done after each run)
//   board.flashChanged(wordAddr, words)   after writing board.flash directly (SPM does this itself)
//
// Resets (datasheet 7810C §10 "System Control and Reset"): the CPU and every
// peripheral register go back to their reset values (I/O space cleared, ports
// tri-stated, timers stopped, watchdog off), RAM is kept, clock events are
// dropped (models re-arm on 'reset'). The CPU then stays in reset for the time-out
// the low fuse selects (Uno 0xFF: 14 CK + 65 ms, plus 16K CK for the crystal after
// power-on; fuses.ts), executing nothing while clock events still run, and starts
// at the reset vector: 0, or the boot section when BOOTRST is programmed (the
// default with a bootloader, high fuse 0xDE as on an Uno). MCUSR flags accumulate
// (power-on sets PORF alone, other resets OR in their flag); while WDRF is set the
// watchdog is forced on (WDE), and after a watchdog reset it starts in 16 ms reset
// mode (§10.9.2 WDTCSR, "WDE is overridden by WDRF in MCUSR"). The flash and the
// EEPROM survive every reset; the LCD keeps its state and only powerCycle() resets it.
//
// This file is the composition root: it builds the CPU and its peripherals,
// wires the LCD (hd44780-wiring.ts) and owns resets. Running simulated time
// (slices, holds, SLEEP, the stack guard) is run-loop.ts.
import { EventEmitter } from 'node:events';
import {
  AVRClock,
  AVREEPROM,
  AVRIOPort,
  AVRSPI,
  AVRTimer,
  AVRTWI,
  AVRUSART,
  AVRWatchdog,
  CPU,
  clockConfig,
  eepromConfig,
  portBConfig,
  portCConfig,
  portDConfig,
  spiConfig,
  timer0Config,
  timer1Config,
  timer2Config,
  twiConfig,
  usart0Config,
  watchdogConfig,
  type AVRPortConfig,
} from 'avr8js';
import { cpuInternals, watchdogInternals, type CpuInternals } from './avr-internals.ts';
import { FileEEPROM } from './eeprom-file.ts';
import {
  bootStartByte,
  resetHoldCycles,
  resetVectorByte,
  resolveFuses,
  startupDelay,
  type Fuses,
  type StartupDelay,
} from './fuses.ts';
import { PROG_MS, SelfProgramming } from './spm.ts';
import { HD44780, lcdGeometry, type HD44780Config, type LcdGeometryName } from './hd44780.ts';
import { LcdBackpack, type LcdBackpackConfig } from './hd44780-backpack.ts';
import { LcdWiring } from './hd44780-wiring.ts';
import { I2CBus } from './i2c-bus.ts';
import { saveLcdImage } from './lcd-render.ts';
import { FLASH_BYTES, HexFormatError, loadFirmware, type Firmware } from './hex.ts';
import { checkLcdPins, loadPinMap, type PinMap } from './pins.ts';
import { RunLoop, SimTimeoutError, type RunLoopConfig } from './run-loop.ts';
import { fitShield, type Shield, type ShieldName } from './shield.ts';
import { UsartWire } from './usart-wire.ts';

export { HoldTimeoutError, SimTimeoutError, StackOverflowError } from './run-loop.ts';

export const CPU_HZ = 16_000_000;
export const SRAM_BYTES = 0x800;
export const RAMEND = 0x8ff;
export const EEPROM_BYTES = 1024;
const CYCLES_PER_MS = CPU_HZ / 1000;

// Data-space addresses (datasheet, "Register Summary" + 0x20).
const MCUSR = 0x54;
export const MCUSR_PORF = 0x01;
export const MCUSR_EXTRF = 0x02;
export const MCUSR_BORF = 0x04;
export const MCUSR_WDRF = 0x08;
const WDTCSR_WDE = 0x08;
const WDTCSR_WDCE = 0x10;
const WDTCSR_WDIE = 0x40;
/** ATmega328P signature bytes (datasheet §27.3.1): 1E 95 0F. */
export const ATMEGA328P_SIGNATURE: readonly [number, number, number] = [0x1e, 0x95, 0x0f];
const IO_END = 0x100;

export type ResetCause = 'power' | 'external' | 'watchdog';
const RESET_FLAG: Record<ResetCause, number> = { power: MCUSR_PORF, external: MCUSR_EXTRF, watchdog: MCUSR_WDRF };

export interface BoardOptions {
  /** .hex (a sibling .elf adds stack checking) or .elf path, or a loaded image. */
  firmware: string | Firmware;
  pinMap?: PinMap;
  /** EEPROM contents are read from and saved to this file. */
  eepromFile?: string;
  lcd?: Partial<HD44780Config>;
  /** The LCD module's size (default 16x2); `lcd` may still override single settings. */
  lcdGeometry?: LcdGeometryName;
  /** How the LCD is attached: board_pins.h's parallel wiring (default) or a PCF8574 backpack on the TWI. */
  lcdBus?: { kind: 'parallel' } | ({ kind: 'i2c' } & Partial<LcdBackpackConfig>);
  /** Wall-clock seconds a hold may last before it is reported as a fault. */
  holdTimeoutSec?: number;
  /** Simulated cycles per slice between event-loop turns (default 1 ms). */
  sliceCycles?: number;
  /** An Ethernet shield on the SPI (chip select D10): its WIZnet chip is board.shield. */
  shield?: ShieldName;
  /**
   * A bootloader (.hex path or image) for the boot section, e.g. Optiboot; it must lie
   * wholly inside the section BOOTSZ selects. With one, BOOTRST is programmed (high 0xDE).
   */
  bootloader?: string | Firmware;
  /** Fuse and lock bytes over the Uno's (fuses.ts UNO_FUSES); e.g. { low: 0xdf } for a ~1 ms start-up. */
  fuses?: Partial<Fuses>;
  /** The signature row's bytes (SIGRD reads); default the ATmega328P's 1E 95 0F. */
  signature?: readonly [number, number, number];
  /**
   * How instructions execute: 'fast' (default: decoded once per flash word, avr-exec.ts) or
   * 'avr8js' (avrInstruction, the reference the lockstep tests hold the fast one to).
   */
  dispatch?: RunLoopConfig['dispatch'];
}

export interface BoardEvents {
  reset: [cause: ResetCause];
  halt: [info: { pc: number; cycle: number }];
  fault: [error: Error];
  warning: [message: string];
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
  readonly twi: AVRTWI;
  readonly i2c: I2CBus;
  readonly backpack: LcdBackpack | null = null;
  readonly pins: PinMap;
  /** The Ethernet shield's chip model, when BoardOptions.shield fitted one (dispose() it when done). */
  readonly shield: Shield | undefined;
  readonly firmware: Firmware;
  readonly bootloader: Firmware | null;
  readonly fuses: Fuses;
  readonly spm: SelfProgramming;
  /** Byte view of the flash: what SPM writes and avrdude reads back. */
  readonly flash: Uint8Array;
  readonly resets: Record<ResetCause, number> = { power: 0, external: 0, watchdog: 0 };

  private readonly internals: CpuInternals;
  private readonly loop: RunLoop;
  private readonly heapStart: number;
  private readonly startup: StartupDelay;
  private readonly resetVector: number;
  private resetUntil = 0;

  constructor(opts: BoardOptions) {
    super();
    this.firmware = typeof opts.firmware === 'string' ? loadFirmware(opts.firmware) : opts.firmware;
    this.pins = opts.pinMap ?? loadPinMap();
    checkLcdPins(this.pins);

    this.bootloader =
      opts.bootloader === undefined
        ? null
        : typeof opts.bootloader === 'string'
          ? loadBootloader(opts.bootloader)
          : opts.bootloader;
    this.fuses = resolveFuses(opts.fuses, this.bootloader !== null);
    this.startup = startupDelay(this.fuses.low);
    const bootStart = bootStartByte(this.fuses.high);
    this.resetVector = resetVectorByte(this.fuses.high);

    // One flash array for the board's life: instruction fetch (progMem) and LPM
    // (progBytes) are views of it, so what SPM writes is what runs next.
    const cpu = new CPU(new Uint16Array(FLASH_BYTES / 2), SRAM_BYTES);
    this.cpu = cpu;
    this.flash = cpu.progBytes;
    if (this.bootloader) {
      placeImages(this.flash, this.firmware, this.bootloader, bootStart);
    } else {
      this.flash.set(this.firmware.flash.subarray(0, this.flash.length));
    }
    this.internals = cpuInternals(cpu);
    this.clock = new AVRClock(cpu, CPU_HZ, clockConfig);
    this.portB = new AVRIOPort(cpu, portBConfig);
    this.portC = new AVRIOPort(cpu, portCConfig);
    this.portD = new AVRIOPort(cpu, portDConfig);
    this.timers = [timer0Config, timer1Config, timer2Config].map((c) => new AVRTimer(cpu, c));
    this.spi = new AVRSPI(cpu, spiConfig, CPU_HZ);
    this.usart = new AVRUSART(cpu, usart0Config, CPU_HZ);
    this.eepromMemory = new FileEEPROM(EEPROM_BYTES, opts.eepromFile);
    this.eeprom = new AVREEPROM(cpu, this.eepromMemory, eepromConfig);
    this.watchdog = new AVRWatchdog(cpu, watchdogConfig, this.clock);
    this.serial = new UsartWire(cpu, this.usart, CPU_HZ);
    this.serial.onWarning = (m) => this.emit('warning', m);
    this.spm = new SelfProgramming(
      cpu,
      {
        bootStart,
        fuses: this.fuses,
        signature: opts.signature ?? ATMEGA328P_SIGNATURE,
        calibration: 0x9c,
        progCycles: Math.round(PROG_MS * CYCLES_PER_MS),
      },
      {
        onArm: () => this.loop.openWindow(),
        stall: (until) => this.loop.stall(until),
        flashChanged: (wordAddr, words) => this.loop.flashChanged(wordAddr, words),
        warn: (m) => this.emit('warning', m),
      },
    );

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
    // avr8js re-arms its time-out check only when none is pending, so shortening the
    // time-out (wdt_enable(WDTO_15MS) while a 2 s one runs) took effect at the old
    // deadline; the chip resets at the new one. WDRF also forces WDE (§10.9.2).
    const wdHook = cpu.writeHooks[watchdogConfig.WDTCSR];
    cpu.writeHooks[watchdogConfig.WDTCSR] = (value, old, addr, mask) => {
      const r = wdHook(value, old, addr, mask);
      if (cpu.data[MCUSR] & MCUSR_WDRF && !(cpu.data[watchdogConfig.WDTCSR] & WDTCSR_WDE)) {
        cpu.data[watchdogConfig.WDTCSR] |= WDTCSR_WDE;
        wd.enabledValue = true;
      }
      cpu.clearClockEvent(wd.checkWatchdog);
      wd.scheduled = wd.enabledValue;
      if (wd.enabledValue) {
        const c = cpu.cycles;
        if (wd.watchdogTimeout <= c) wd.watchdogTimeout = c + 1;
        cpu.addClockEvent(wd.checkWatchdog, wd.watchdogTimeout - c);
      }
      return r;
    };

    this.heapStart = this.firmware.ram?.heapStart ?? IO_END;
    this.loop = new RunLoop(
      cpu,
      this.timers,
      {
        cpuHz: CPU_HZ,
        sliceCycles: opts.sliceCycles ?? CYCLES_PER_MS,
        holdTimeoutMs: (opts.holdTimeoutSec ?? 10) * 1000,
        heapStart: this.heapStart,
        ramEnd: RAMEND,
        // Only the bootloader's polling loops are fast-forwarded (run-loop.ts skipSpin).
        spinFrom: this.bootloader ? bootStart : undefined,
        dispatch: opts.dispatch,
      },
      {
        fault: (e) => this.emit('fault', e),
        halt: (info) => this.emit('halt', info),
        afterRun: () => this.eepromMemory.save(),
      },
    );
    this.loop.setWindow({ open: () => this.spm.windowOpen(), execute: () => this.spm.execute() });

    this.twi = new AVRTWI(cpu, twiConfig, CPU_HZ);
    this.i2c = new I2CBus(cpu, this.twi, CPU_HZ);
    const geometry = opts.lcdGeometry ? lcdGeometry(opts.lcdGeometry) : {};
    this.lcd = new HD44780(cpu, { cpuHz: CPU_HZ, ...geometry, ...opts.lcd });
    const { kind, ...backpack } = opts.lcdBus ?? { kind: 'parallel' };
    if (kind === 'i2c') this.backpack = new LcdBackpack(this.lcd, backpack).attachTo(this.i2c);
    else new LcdWiring(this.lcd, this.pins, { B: this.portB, C: this.portC, D: this.portD });
    this.lcd.powerOn();
    // Every reset puts the TWI back to its reset values; a power cycle also powers the backpack up again (latch FF).
    this.on('reset', (cause) => {
      this.i2c.reset();
      if (cause === 'power') this.backpack?.powerOn();
    });
    this.reset('power');
    this.shield = opts.shield ? fitShield(this, opts.shield) : undefined;
  }

  get cycles(): number {
    return this.cpu.cycles;
  }
  /** True while the reset time-out holds the CPU (nothing runs; RXEN is 0, so serial input is lost). */
  get inReset(): boolean {
    return this.cpu.cycles < this.resetUntil;
  }
  /** Simulated ms at which the CPU left the last reset (its first instruction). */
  get startMillis(): number {
    return this.resetUntil / CYCLES_PER_MS;
  }
  /** The reset vector in bytes: 0, or the boot section's start when BOOTRST is programmed. */
  get resetVectorByte(): number {
    return this.resetVector;
  }
  get millis(): number {
    return this.cpu.cycles / CYCLES_PER_MS;
  }
  /** Set while the CPU is stopped by SLEEP with interrupts disabled. */
  get halted(): { pc: number; cycle: number } | null {
    return this.loop.halted;
  }
  /** The first fault (stack overflow, hold timeout); the board stops running once set. */
  get fault(): Error | null {
    return this.loop.fault;
  }
  /** True while the CPU is in a sleep mode. */
  get sleeping(): boolean {
    return this.loop.sleeping;
  }
  /** SLEEP instructions executed (with SE set). */
  get sleeps(): number {
    return this.loop.sleeps;
  }

  /** Stack high-water mark: lowest SP seen since power-on. */
  get stack() {
    const lowestSp = this.loop.lowestSp;
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
    return this.loop.hold(reason);
  }

  /** A pulse on the RESET pin, e.g. the DTR auto-reset capacitor of an Uno. */
  resetExternal(): void {
    this.reset('external');
  }

  /** Power off and on: RAM and LCD are cleared too; the EEPROM keeps its contents. */
  powerCycle(): void {
    this.cpu.data.fill(0);
    this.loop.resetStackMark();
    this.lcd.powerOn();
    this.reset('power');
  }

  /** Runs `ms` of simulated time as fast as possible. */
  run(ms: number): Promise<void> {
    return this.loop.run(ms);
  }

  /** Runs until pred() holds (checked every slice); throws SimTimeoutError after `timeoutMs` simulated ms. */
  runUntil(pred: () => boolean, timeoutMs: number, what = 'condition'): Promise<void> {
    return this.loop.runUntil(pred, timeoutMs, () => {
      const halted = this.halted ? ` (the CPU halted at PC 0x${this.halted.pc.toString(16)})` : '';
      return new SimTimeoutError(what, timeoutMs, `${halted}${this.lcdEvidence(what)}`);
    });
  }

  /** What the glass showed when a wait failed: the text, and an image a test run keeps. */
  private lcdEvidence(what: string): string {
    const text = this.lcd
      .text()
      .map((l) => JSON.stringify(l))
      .join(' / ');
    let image = '';
    try {
      image = `, image ${saveLcdImage(this.lcd, `timeout-${what.replace(/[^\w.-]+/g, '_').slice(0, 60)}-${process.pid}-${Date.now()}`)}`;
    } catch {
      /* evidence only: a read-only tree must not hide the real failure */
    }
    return `; LCD showed ${text}${image}`;
  }

  /** Free-running mode: `speed` 1 paces to real time (catching up at most 100 ms), 'max' runs flat out. */
  start(speed: number | 'max' = 1): void {
    this.loop.start(speed);
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  saveEeprom(): void {
    this.eepromMemory.save();
  }

  /** Flash words [wordAddr, wordAddr + words) were written from outside the CPU: decode them again. */
  flashChanged(wordAddr: number, words: number): void {
    this.loop.flashChanged(wordAddr, words);
  }

  private reset(cause: ResetCause): void {
    const cpu = this.cpu,
      data = cpu.data;
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
    this.spm.reset();
    data[MCUSR] = flags | RESET_FLAG[cause];
    cpu.reset();
    cpu.pc = this.resetVector >> 1;
    // A new start clears a fault (a watchdog reset does not: it is the firmware's own doing).
    this.loop.reset(cause === 'watchdog');
    const hold = resetHoldCycles(this.startup, CPU_HZ, cause === 'power');
    this.resetUntil = cpu.cycles + hold;
    if (hold > 0) this.loop.stall(this.resetUntil);
    // The watchdog counts from the end of the time-out (WDRF: forced on at 16 ms).
    if (data[MCUSR] & MCUSR_WDRF) cpu.addClockEvent(this.watchdogAfterReset, Math.max(1, hold));
    this.resets[cause]++;
    this.serial.afterReset();
    this.emit('reset', cause);
    if (cause === 'watchdog' && executing) executing.next = this.internals.nextClockEvent;
  }

  /** WDRF set: WDTCSR = WDE with prescaler 0 (16 ms, reset mode), written as software would (WDCE first). */
  private readonly watchdogAfterReset = () => {
    if (!(this.cpu.data[MCUSR] & MCUSR_WDRF)) return;
    this.cpu.writeData(watchdogConfig.WDTCSR, WDTCSR_WDCE | WDTCSR_WDE);
    this.cpu.writeData(watchdogConfig.WDTCSR, WDTCSR_WDE);
  };
}

/** A bootloader image; Debian's 532-byte Optiboot overflows the flash end and is refused here. */
function loadBootloader(path: string): Firmware {
  try {
    return loadFirmware(path);
  } catch (e) {
    if (e instanceof HexFormatError && /outside the/.test(e.message)) {
      throw new Error(
        `bootloader ${path} does not fit in flash (${e.message}); Debian's optiboot_atmega328.hex is 532 B ` +
          'and runs past 0x7FFF: use a build that ends at or below 0x7FFF (the project builds one into build/optiboot/)',
      );
    }
    throw e;
  }
}

/** The app below the boot section, the bootloader inside it; either one straying is an error. */
function placeImages(flash: Uint8Array, app: Firmware, boot: Firmware, bootStart: number): void {
  const firstUsed = (f: Uint8Array, from: number, to: number) => {
    for (let i = from; i < to; i++) if (f[i] !== 0xff) return i;
    return -1;
  };
  const low = firstUsed(boot.flash, 0, bootStart);
  if (low >= 0)
    throw new Error(
      `bootloader ${boot.path} has code at 0x${low.toString(16)}, below the boot section at 0x${bootStart.toString(16)}`,
    );
  const high = firstUsed(app.flash, bootStart, FLASH_BYTES);
  if (high >= 0)
    throw new Error(
      `firmware ${app.path} has code at 0x${high.toString(16)}, inside the boot section at 0x${bootStart.toString(16)} (the Uno's limit is ${bootStart} B)`,
    );
  flash.set(app.flash.subarray(0, bootStart));
  flash.set(boot.flash.subarray(bootStart, FLASH_BYTES), bootStart);
}
