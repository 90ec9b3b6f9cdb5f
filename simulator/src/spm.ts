// Self-programming of the ATmega328P (datasheet 7810C §26 "Boot Loader Support –
// Read-While-Write Self-Programming"), which avr8js does not implement: SPMCSR
// (data address 0x57), the temporary page buffer, page erase and page write with
// their 3.7-4.5 ms programming time, the RWW section's busy flag and its
// re-enable, the boot-lock rules, and the signature/fuse reads by LPM.
//
// It costs the normal instruction path nothing: SPM only does something within
// four cycles of an SPMCSR write that sets SELFPRGEN (§26.9.1, bit 0), so the
// SPMCSR write hook tells the run loop (onArm), which then looks at each opcode
// only while that window is open (windowOpen, execute). Everything else runs in
// avr8js's own loop, where SPM is a no-op as on a chip without SELFPRGEN set.
//
//   const spm = new SelfProgramming(cpu, { bootStart: 0x7e00, lock: 0x0f, fuses, signature, progCycles }, host);
//   spm.windowOpen() / spm.execute()   for the run loop
//   spm.reset()                         on every chip reset
//   spm.stats                           fills, erases, writes, rwwEnables, ignored
import type { CPU } from 'avr8js';
import { spmMayWriteAppSection, spmMayWriteBootSection, type Fuses } from './fuses.ts';

/** SPMCSR: I/O 0x37, data address 0x57 (§26.9.1; avr-libc iom328p.h). */
export const SPMCSR = 0x57;
export const SPMCSR_SELFPRGEN = 0x01;
export const SPMCSR_PGERS = 0x02;
export const SPMCSR_PGWRT = 0x04;
export const SPMCSR_BLBSET = 0x08;
export const SPMCSR_RWWSRE = 0x10;
export const SPMCSR_SIGRD = 0x20;
export const SPMCSR_RWWSB = 0x40;
export const SPMCSR_SPMIE = 0x80;
const COMMAND_BITS = 0x3f;

export const OP_SPM = 0x95e8;
const OP_LPM_R0 = 0x95c8;

/** 64 words = 128 bytes per page (§26.8.14 Table 26-9: PCWORD = Z6:Z1, PCPAGE = Z14:Z7). */
export const PAGE_BYTES = 128;
const PAGE_WORDS = PAGE_BYTES / 2;
/** The No-Read-While-Write section: words 0x3800-0x3FFF (Table 26-8), whatever the boot size. */
export const NRWW_START = 0x7000;
const FLASH_BYTES = 0x8000;

/** §26.8.15 Table 26-10 (Table 27-6 in DS40002061A): 3.7 ms min, 4.5 ms max; the worst case, as avrdude.conf's min_write_delay. */
export const PROG_MS = 4.5;

/** SPM only acts when it starts within 4 cycles of the SPMCSR write (SELFPRGEN, §26.9.1). */
const SPM_WINDOW = 4;
/** SIGRD and BLBSET reads: the LPM must come within 3 cycles (§26.8.9, §26.8.10). */
const LPM_WINDOW = 3;

export interface SpmConfig {
  /** First byte of the boot section (from BOOTSZ): SPM works only from there up (§26.3). */
  bootStart: number;
  fuses: Fuses;
  /** Signature row bytes 0, 2, 4 (ATmega328P: 1E 95 0F, §27.3). */
  signature: readonly [number, number, number];
  /** Signature row byte 1: the factory RC oscillator calibration. */
  calibration: number;
  progCycles: number;
}

export interface SpmHost {
  /** SELFPRGEN was written: look at opcodes until the window closes. */
  onArm(): void;
  /** The CPU is halted until this cycle (an NRWW erase or write); clock events still run. */
  stall(untilCycle: number): void;
  /** Flash words were erased or written (the run loop's decoded instructions there are stale). */
  flashChanged(wordAddr: number, words: number): void;
  warn(message: string): void;
}

export interface SpmStats {
  fills: number;
  erases: number;
  writes: number;
  rwwEnables: number;
  lockSets: number;
  ignored: number;
}

export class SelfProgramming {
  /** The lock byte; BLBSET can only program (clear) its boot-lock bits. */
  lock: number;
  readonly stats: SpmStats = { fills: 0, erases: 0, writes: 0, rwwEnables: 0, lockSets: 0, ignored: 0 };
  private armedAt = -Infinity;
  private busy = false;
  private readonly buffer = new Uint16Array(PAGE_WORDS).fill(0xffff);
  private readonly loaded = new Uint8Array(PAGE_WORDS);
  private warnedApp = false;

  constructor(
    private readonly cpu: CPU,
    private readonly config: SpmConfig,
    private readonly host: SpmHost,
  ) {
    this.lock = config.fuses.lock;
    cpu.writeHooks[SPMCSR] = (value) => {
      const data = cpu.data;
      // RWWSB is read-only; during an erase or write the command bits hold (SELFPRGEN reads 1 until done).
      if (this.busy) {
        data[SPMCSR] = (data[SPMCSR] & ~SPMCSR_SPMIE) | (value & SPMCSR_SPMIE);
        return true;
      }
      data[SPMCSR] = (value & ~SPMCSR_RWWSB) | (data[SPMCSR] & SPMCSR_RWWSB);
      if (value & SPMCSR_SELFPRGEN) {
        this.armedAt = cpu.cycles;
        cpu.clearClockEvent(this.expire);
        cpu.addClockEvent(this.expire, SPM_WINDOW + 1);
        host.onArm();
      }
      return true;
    };
  }

  /** True while an SPM (or a SIGRD/BLBSET LPM) could still act on the last SPMCSR write. */
  windowOpen(): boolean {
    return this.cpu.cycles - this.armedAt <= SPM_WINDOW;
  }

  /** An erase or write is running (SELFPRGEN stays 1 until it ends). */
  get programming(): boolean {
    return this.busy;
  }

  /** RWWSB: the RWW section is unreadable until RWWSRE re-enables it. */
  get rwwBusy(): boolean {
    return (this.cpu.data[SPMCSR] & SPMCSR_RWWSB) !== 0;
  }

  /** The temporary page buffer (for tests): words and which were loaded. */
  get pageBuffer(): { words: Uint16Array; loaded: Uint8Array } {
    return { words: this.buffer, loaded: this.loaded };
  }

  /**
   * Runs the instruction at PC if it is one the window changes (SPM, or LPM after
   * SIGRD/BLBSET); returns false to let avr8js run it.
   */
  execute(): boolean {
    const cpu = this.cpu,
      op = cpu.progMem[cpu.pc];
    if (op === OP_SPM) {
      this.spm();
      return true;
    }
    if (op === OP_LPM_R0 || (op & 0xfe0e) === 0x9004) return this.lpm(op);
    return false;
  }

  /** A reset: the window closes and the buffer is lost; an erase or write under way has
   * already changed the flash (§27.8.11: it completes if the supply is good). */
  reset(): void {
    this.armedAt = -Infinity;
    this.busy = false;
    this.clearBuffer();
    this.cpu.data[SPMCSR] = 0;
  }

  private spm(): void {
    const cpu = this.cpu,
      data = cpu.data;
    const pcByte = cpu.pc * 2;
    cpu.pc += 1;
    cpu.cycles += 1;
    const cmd = data[SPMCSR] & 0x1f;
    if (this.busy || this.cpu.cycles - 1 - this.armedAt > SPM_WINDOW || !(cmd & SPMCSR_SELFPRGEN)) return;
    this.armedAt = -Infinity;
    cpu.clearClockEvent(this.expire);
    // §26.3: "the SPM instruction can only be executed from the Boot Loader section" (on silicon
    // an SPM in the application section does nothing).
    if (pcByte < this.config.bootStart) {
      this.stats.ignored++;
      if (!this.warnedApp) {
        this.warnedApp = true;
        this.host.warn(
          `SPM at 0x${pcByte.toString(16)} is outside the boot section (0x${this.config.bootStart.toString(16)}): ignored, as on the chip`,
        );
      }
      data[SPMCSR] &= ~COMMAND_BITS;
      return;
    }
    const z = cpu.dataView.getUint16(30, true) & (FLASH_BYTES - 1);
    switch (cmd) {
      case SPMCSR_SELFPRGEN: {
        // §26.8.4 Filling the temporary buffer: R1:R0 at PCWORD, once per word
        const w = (z >> 1) & (PAGE_WORDS - 1);
        if (!this.loaded[w]) {
          this.buffer[w] = data[0] | (data[1] << 8);
          this.loaded[w] = 1;
        }
        this.stats.fills++;
        data[SPMCSR] &= ~(COMMAND_BITS | SPMCSR_RWWSB); // a page load clears RWWSB (§26.9.1 bit 6)
        return;
      }
      case SPMCSR_SELFPRGEN | SPMCSR_PGERS:
      case SPMCSR_SELFPRGEN | SPMCSR_PGWRT:
        this.program(z & ~(PAGE_BYTES - 1), cmd === (SPMCSR_SELFPRGEN | SPMCSR_PGERS));
        return;
      case SPMCSR_SELFPRGEN | SPMCSR_RWWSRE: // §26.8.7: re-enables RWW reads; also clears the buffer
        this.stats.rwwEnables++;
        this.clearBuffer();
        data[SPMCSR] &= ~(COMMAND_BITS | SPMCSR_RWWSB);
        return;
      case SPMCSR_SELFPRGEN | SPMCSR_BLBSET: // §26.8.8: R0 programs boot-lock bits (0 = programmed); nothing else
        this.lock &= data[0] | 0xc3;
        this.stats.lockSets++;
        data[SPMCSR] &= ~COMMAND_BITS;
        return;
      default: // only the patterns above have an effect (§26.9.1)
        data[SPMCSR] &= ~COMMAND_BITS;
    }
  }

  /** §26.8.5/26.8.6 page erase and page write, with the boot-lock rules (§26.5) and RWW/NRWW timing (§26.4). */
  private program(page: number, erase: boolean): void {
    const cpu = this.cpu,
      data = cpu.data;
    const boot = page >= this.config.bootStart;
    const allowed = boot ? spmMayWriteBootSection(this.lock) : spmMayWriteAppSection(this.lock);
    if (!allowed) {
      this.stats.ignored++;
      data[SPMCSR] &= ~COMMAND_BITS;
      return;
    }
    const words = cpu.progMem,
      first = page >> 1;
    if (erase) {
      words.fill(0xffff, first, first + PAGE_WORDS);
      this.stats.erases++;
    } else {
      // Flash cells only go from 1 to 0: a write without an erase gives old AND new.
      for (let i = 0; i < PAGE_WORDS; i++) words[first + i] &= this.buffer[i];
      this.clearBuffer(); // §26.8.6: the buffer is cleared by a page write
      this.stats.writes++;
    }
    this.host.flashChanged(first, PAGE_WORDS);
    // The cells change at the start: until the end they are unreadable (RWW) or the CPU is
    // halted (NRWW), so correct code cannot tell, and a reset mid-way still completes (§27.8.11).
    this.busy = true;
    const until = cpu.cycles + this.config.progCycles;
    if (page < NRWW_START) {
      data[SPMCSR] |= SPMCSR_RWWSB; // the CPU runs on from the NRWW section
    } else {
      this.host.stall(until); // §26.4.2: "the CPU is halted during the entire operation"
    }
    cpu.addClockEvent(this.done, until - cpu.cycles);
  }

  private lpm(op: number): boolean {
    const cpu = this.cpu,
      data = cpu.data;
    const cmd = data[SPMCSR] & COMMAND_BITS;
    if (this.cpu.cycles - this.armedAt > LPM_WINDOW) return false;
    const z = cpu.dataView.getUint16(30, true);
    let value: number;
    if (cmd === (SPMCSR_SIGRD | SPMCSR_SELFPRGEN)) {
      // §26.8.10 Reading the signature row
      const { signature, calibration } = this.config;
      value = z === 1 ? calibration : z & 1 ? 0xff : (signature[z >> 1] ?? 0xff);
    } else if (cmd === (SPMCSR_BLBSET | SPMCSR_SELFPRGEN)) {
      // §26.8.9 Reading the fuse and lock bits
      const f = this.config.fuses;
      value = [f.low, this.lock, f.extended, f.high][z] ?? 0xff;
    } else return false;
    const rd = op === OP_LPM_R0 ? 0 : (op & 0x1f0) >> 4;
    data[rd] = value;
    if ((op & 0xfe0f) === 0x9005) cpu.dataView.setUint16(30, (z + 1) & 0xffff, true);
    cpu.pc += 1;
    cpu.cycles += 3;
    this.armedAt = -Infinity;
    cpu.clearClockEvent(this.expire);
    data[SPMCSR] &= ~COMMAND_BITS;
    return true;
  }

  /** No SPM came within the window: SELFPRGEN and the command bits clear themselves. */
  private readonly expire = () => {
    if (!this.busy) this.cpu.data[SPMCSR] &= ~COMMAND_BITS;
  };

  /** The erase or write ended: SELFPRGEN and PGERS/PGWRT clear; RWWSB stays until RWWSRE. */
  private readonly done = () => {
    this.busy = false;
    this.cpu.data[SPMCSR] &= ~COMMAND_BITS;
  };

  private clearBuffer(): void {
    this.buffer.fill(0xffff);
    this.loaded.fill(0);
  }
}
