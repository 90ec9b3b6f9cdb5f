// HD44780U character LCD controller model (Hitachi datasheet ADE-207-272), driven
// pin by pin through setPins() and checked against the datasheet's timing.
//
// Time comes only from the clock object (the avr8js CPU): cycles at cpuHz.
// Execution times scale with the controller oscillator: t = t(270 kHz) * 270 kHz / oscHz.
// Every E falling edge is checked; a problem becomes an LcdViolation (kinds: power-up,
// init-spacing, busy, e-pulse-width, e-cycle, data-setup, data-hold, address-setup,
// address-hold, ddram-hole, function-set-change, nibble-rs-mismatch). Strict mode
// drops a write that had a readiness or bus-timing violation (hold violations come
// after the latch and never drop; function-set-change keeps the old N/F; ddram-hole
// executes). A data write into a 2-line hole address stores nothing but moves AC.
// Reads (RW=1, through an I2C backpack): E high drives BF/AC (RS=0) or the data
// register (RS=1) on the data lines, a nibble per E cycle in 4-bit mode (Table 6,
// Fig. 17 "4-bit transfer example"); the data register follows the datasheet's
// "Registers" section (loaded by an address set or cursor shift, reloaded after each
// read, holding the written byte after a write, so a read straight after a write is
// not RAM data). BF reads 1 for the 10 ms internal reset after power-on ("Initializing
// by Internal Reset Circuit"). An E fall with no E rise since power-on is no cycle: an
// expander powers up with E and RW already high. t_ADD (AC update ~1.5/f_osc after BF
// clears) is ignored: over I2C a read takes hundreds of microseconds.
//
// Geometry (columns x rows; line2FromColumn for a 16x1 built as 8x2): glass row r
// shows DDRAM line r mod 2 from display position cols * floor(r / 2), so rows start
// at 0x00, 0x40, 0x00+cols, 0x40+cols (datasheet Fig. 4-6; 4-row modules are a
// 2-line controller folded). LCD_GEOMETRIES lists the modules sold.
import { a00ToUnicode } from './font-a00.ts';

export { a00ToUnicode } from './font-a00.ts';

export interface HD44780Config {
  columns: number;
  rows: number;
  /** Glass columns from this one on show DDRAM line 2 (a "type 1" 16x1 is an 8x2 inside: 8); 0 = none. */
  line2FromColumn: number;
  /** Controller oscillator; 190 kHz is the datasheet's slowest (worst case) at 5 V. */
  oscHz: number;
  cpuHz: number;
  /** Drop writes that violate timing, as real glass would (otherwise record and execute). */
  strict: boolean;
  /** Wait required from power-on to the first write (datasheet: >40 ms after VCC 2.7 V). */
  powerUpMs: number;
  /** Bus timing minima, write cycle, VCC 2.7-4.5 V worst case (4.5-5.5 V: 230/500/40/80). */
  pwEhNs: number;
  tCycENs: number;
  tAsNs: number;
  tDswNs: number;
  /** Data lines wired: 4 (D4..D7 on bits 4..7, bits 0..3 ignored) or 8. */
  dataBits: 4 | 8;
  /** Violations kept in `violations`; later ones are only counted in stats.violationCounts. */
  maxViolations: number;
}

export const hd44780Config: HD44780Config = {
  columns: 16,
  rows: 2,
  line2FromColumn: 0,
  oscHz: 190_000,
  cpuHz: 16_000_000,
  strict: false,
  powerUpMs: 40,
  pwEhNs: 450,
  tCycENs: 1000,
  tAsNs: 60,
  tDswNs: 195,
  dataBits: 4,
  maxViolations: 1000,
};

/** Modules on the market: glass size and how it maps onto the controller's two DDRAM lines. */
export interface LcdGeometry {
  columns: number;
  rows: number;
  line2FromColumn: number;
  /** Function set N the module needs (1 = 2-line mode, 1/16 duty). */
  twoLine: boolean;
}

export const LCD_GEOMETRIES = {
  /** One controller alone: 8 characters, 1/8 duty (HD44780U Fig. 3). */
  '8x1': { columns: 8, rows: 1, line2FromColumn: 0, twoLine: false },
  /** "Type 1", the common 16x1: an 8x2 inside, columns 8-15 at 0x40 (needs N=1; LCDproc hd44780.c special-cases it). */
  '16x1': { columns: 16, rows: 1, line2FromColumn: 8, twoLine: true },
  /** "Type 2" 16x1 with an extension driver: 0x00-0x0F on one line, N=0. */
  '16x1-linear': { columns: 16, rows: 1, line2FromColumn: 0, twoLine: false },
  '16x2': { columns: 16, rows: 2, line2FromColumn: 0, twoLine: true },
  '20x2': { columns: 20, rows: 2, line2FromColumn: 0, twoLine: true },
  /** Rows 3/4 continue lines 1/2: 0x10 and 0x50 (MC41605 datasheet, via Arduino PR #2273). */
  '16x4': { columns: 16, rows: 4, line2FromColumn: 0, twoLine: true },
  /** A 40x2 cut in half and stacked: 0x00, 0x40, 0x14, 0x54. */
  '20x4': { columns: 20, rows: 4, line2FromColumn: 0, twoLine: true },
  /** All 80 DDRAM bytes visible (HD44780U Fig. 4). */
  '40x2': { columns: 40, rows: 2, line2FromColumn: 0, twoLine: true },
} as const satisfies Record<string, LcdGeometry>;

export type LcdGeometryName = keyof typeof LCD_GEOMETRIES;

/** The model config for a named module ("20x4"); throws on an unknown name. */
export function lcdGeometry(name: string): Pick<HD44780Config, 'columns' | 'rows' | 'line2FromColumn'> {
  const g = (LCD_GEOMETRIES as Record<string, LcdGeometry>)[name];
  if (!g) throw new Error(`unknown LCD geometry "${name}" (known: ${Object.keys(LCD_GEOMETRIES).join(', ')})`);
  return { columns: g.columns, rows: g.rows, line2FromColumn: g.line2FromColumn };
}

export type LcdViolationKind =
  | 'power-up'
  | 'init-spacing'
  | 'busy'
  | 'e-pulse-width'
  | 'e-cycle'
  | 'data-setup'
  | 'data-hold'
  | 'address-setup'
  | 'address-hold'
  | 'ddram-hole'
  | 'function-set-change'
  | 'nibble-rs-mismatch';

export interface LcdViolation {
  cycle: number;
  kind: LcdViolationKind | string;
  /** The byte being written (for the high nibble of a 4-bit transfer: nibble << 4). */
  instruction?: number;
  message: string;
}

export interface HD44780Stats {
  /** E falling edges seen (every nibble, read or write). */
  pulses: number;
  instructions: number;
  dataWrites: number;
  ddramWrites: number;
  cgramWrites: number;
  /** Latches with RW=1 (reads: BF/AC or data). */
  reads: number;
  /** Writes not executed because of a violation in strict mode. */
  dropped: number;
  violationCounts: Record<string, number>;
}

/** Instruction bits (datasheet Table 6), decoded by the highest set bit. */
const SET_DDRAM = 0x80;
const SET_CGRAM = 0x40;
const FUNCTION_SET = 0x20;
const FS_DL = 0x10;
const FS_N = 0x08;
const FS_F = 0x04;
const SHIFT = 0x10;
const SHIFT_SC = 0x08;
const SHIFT_RL = 0x04;
const DISPLAY_CONTROL = 0x08;
const DC_D = 0x04;
const DC_C = 0x02;
const DC_B = 0x01;
const ENTRY_MODE = 0x04;
const EM_ID = 0x02;
const EM_S = 0x01;
const RETURN_HOME = 0x02;
const CLEAR_DISPLAY = 0x01;

const DDRAM_SIZE = 80;
const CGRAM_SIZE = 64;
const LINE_LENGTH = 40;
const LINE2_BASE = 0x40;
const SPACE = 0x20;

/** Datasheet execution times at f_osc = 270 kHz. */
const T_SHORT_US = 37;
const T_LONG_US = 1520;
const REF_OSC_HZ = 270_000;
/** Initialising by instruction: waits after the 1st and 2nd 0x3 (absolute, not oscillator-scaled). */
const T_INIT1_US = 4100;
const T_INIT2_US = 100;
/** Internal reset: BF stays 1 for 10 ms after VCC reaches 4.5 V ("Initializing by Internal Reset Circuit"). */
const T_RESET_BUSY_MS = 10;

export type NibblePhase = 'high' | 'low';

export class HD44780 {
  readonly config: HD44780Config;
  readonly violations: LcdViolation[] = [];
  readonly ddram = new Uint8Array(DDRAM_SIZE);
  readonly cgram = new Uint8Array(CGRAM_SIZE);
  onChange: (() => void) | null = null;
  lastWriteCycle = -1;
  stats: HD44780Stats = newStats();

  // Controller state (datasheet names).
  displayOn = false;
  cursorOn = false;
  blinkOn = false;
  /** Display shift: the ring column shown at the left edge (0..39, or 0..79 in 1-line mode). */
  shift = 0;
  /** Address counter: a DDRAM address (7 bits) or, when addressingCgram, a CGRAM address (6 bits). */
  ac = 0;
  addressingCgram = false;
  eightBit = true;
  twoLine = false;
  font5x10 = false;
  entryIncrement = true;
  entryShift = false;
  /** 4-bit transfers: which nibble the next E pulse carries. */
  nibblePhase: NibblePhase = 'high';
  /** 4-bit byte pairs whose nibbles had different RS: the nibble phase was off by one. */
  orphanNibbles = 0;
  powerOnCycle = 0;
  /** Data register: the byte a data read returns ("Registers": loaded by address set / cursor shift and after each read; a write leaves the written byte). */
  dr = SPACE;

  private _backlight = true;
  private readonly dataMask: number;
  private readonly c: {
    pwEh: number;
    tCycE: number;
    tAs: number;
    tDsw: number;
    short: number;
    long: number;
    init1: number;
    init2: number;
    powerUp: number;
    resetBusy: number;
  };
  // Bus state and the cycle of each line's last change.
  private rs = false;
  private rw = false;
  private e = false;
  private data = 0;
  private rsChangedAt = -Infinity;
  private dataChangedAt = -Infinity;
  private eRoseAt = -Infinity;
  private prevERoseAt = -Infinity;
  private eFellAt = -Infinity;
  /** E rose since power-on, so its fall ends a bus cycle. */
  private eCycleOpen = false;
  private busyUntil = 0;
  private highNibble = 0;
  private highNibbleRs = false;
  /** N/F locked by the first 4-bit function set after (re)initialisation. */
  private nfLocked = false;
  /** Position in an init-by-instruction run of 8-bit 0x3 writes (0 = none). */
  private initStep = 0;
  private lastInstructionAt = -Infinity;
  /** Violations found during the pulse being latched (strict mode drops the write). */
  private pulseFaults = 0;

  constructor(
    readonly clock: { readonly cycles: number },
    config?: Partial<HD44780Config>,
  ) {
    this.config = { ...hd44780Config, ...config };
    const { cpuHz, oscHz } = this.config;
    const nsToCycles = (ns: number) => (ns * cpuHz) / 1e9;
    const usToCycles = (us: number) => (us * cpuHz) / 1e6;
    this.c = {
      pwEh: nsToCycles(this.config.pwEhNs),
      tCycE: nsToCycles(this.config.tCycENs),
      tAs: nsToCycles(this.config.tAsNs),
      tDsw: nsToCycles(this.config.tDswNs),
      short: usToCycles((T_SHORT_US * REF_OSC_HZ) / oscHz),
      long: usToCycles((T_LONG_US * REF_OSC_HZ) / oscHz),
      init1: usToCycles(T_INIT1_US),
      init2: usToCycles(T_INIT2_US),
      powerUp: usToCycles(this.config.powerUpMs * 1000),
      resetBusy: usToCycles(T_RESET_BUSY_MS * 1000),
    };
    this.dataMask = this.config.dataBits === 8 ? 0xff : 0xf0;
    this.powerOn();
  }

  get backlight(): boolean {
    return this._backlight;
  }

  set backlight(on: boolean) {
    if (on === this._backlight) return;
    this._backlight = on;
    this.onChange?.();
  }

  /** Execution time of instructions, in CPU cycles: [37 us, 1.52 ms] scaled to oscHz. */
  get executionCycles(): { short: number; long: number } {
    return { short: this.c.short, long: this.c.long };
  }

  /** True while the controller is still executing the last instruction or its internal reset (BF = 1). */
  get busy(): boolean {
    const now = this.clock.cycles;
    return now < this.busyUntil || now - this.powerOnCycle < this.c.resetBusy;
  }

  /** Internal reset circuit: as after VCC rises. */
  powerOn(): void {
    const now = this.clock.cycles;
    this.powerOnCycle = now;
    this.ddram.fill(SPACE);
    this.cgram.fill(0);
    this.displayOn = this.cursorOn = this.blinkOn = false;
    this.shift = this.ac = 0;
    this.addressingCgram = false;
    this.eightBit = true;
    this.twoLine = this.font5x10 = false;
    this.entryIncrement = true;
    this.entryShift = false;
    this.nibblePhase = 'high';
    this.nfLocked = false;
    this.initStep = 0;
    this.eCycleOpen = false;
    this.dr = this.ddram[0]!;
    this.busyUntil = now;
    this.lastInstructionAt = -Infinity;
    this.onChange?.();
  }

  /**
   * Bus pins, called on every change of any of them. data = DB7..DB0 as a byte
   * (4-bit wiring: D4..D7 on bits 4..7). Cheap when nothing relevant changed.
   */
  setPins(rs: boolean, rw: boolean, e: boolean, data: number): void {
    const d = data & this.dataMask;
    if (rs === this.rs && rw === this.rw && e === this.e && d === this.data) return;
    const now = this.clock.cycles;
    if (this.e && !e) {
      // Falling edge: latch the levels held up to now; changes in this same write come after it.
      this.e = false;
      if (this.eCycleOpen) {
        this.eFellAt = now;
        this.latch(this.data, now);
      }
      this.eCycleOpen = false;
    }
    if (rs !== this.rs || rw !== this.rw) {
      if (now === this.eFellAt)
        this.violation('address-hold', undefined, 'RS/RW changed in the same cycle as E fell (t_AH >= 20 ns)');
      this.rs = rs;
      this.rw = rw;
      this.rsChangedAt = now;
    }
    if (d !== this.data) {
      if (now === this.eFellAt)
        this.violation('data-hold', undefined, 'data changed in the same cycle as E fell (t_H >= 10 ns)');
      this.data = d;
      this.dataChangedAt = now;
    }
    if (e && !this.e) {
      this.e = true;
      this.eCycleOpen = true;
      this.prevERoseAt = this.eRoseAt;
      this.eRoseAt = now;
    }
  }

  /**
   * What the controller drives on DB7..DB0 while RW=1 and E=1 (null otherwise): BF and AC
   * (RS=0) or the data register (RS=1), Table 6. 4-bit: the nibble of this E cycle in bits 7..4.
   */
  busOutput(): number | null {
    if (!this.rw || !this.e) return null;
    const byte = this.rs ? this.dr : (this.busy ? 0x80 : 0) | (this.ac & 0x7f);
    if (this.eightBit) return byte;
    return this.nibblePhase === 'high' ? byte & 0xf0 : (byte << 4) & 0xf0;
  }

  private latch(data: number, now: number): void {
    this.stats.pulses++;
    this.pulseFaults = 0;
    const high = !this.eightBit && this.nibblePhase === 'high';
    const partial = this.eightBit
      ? data
      : this.nibblePhase === 'high'
        ? data & 0xf0
        : (this.highNibble << 4) | (data >> 4);
    this.checkBus(now, partial);
    if (this.rw) {
      this.stats.reads++;
      if (!this.eightBit && high) {
        this.nibblePhase = 'low';
      } else {
        this.nibblePhase = 'high';
        if (this.rs) this.finishRead();
      }
      return;
    }
    this.checkController(now, partial);
    if (this.pulseFaults > 0 && this.config.strict) {
      this.stats.dropped++;
      return;
    }
    this.lastWriteCycle = now;
    if (this.eightBit) {
      this.execute(this.rs, data, now);
    } else if (high) {
      this.highNibble = data >> 4;
      this.highNibbleRs = this.rs;
      this.nibblePhase = 'low';
    } else {
      this.nibblePhase = 'high';
      if (this.highNibbleRs !== this.rs) {
        this.orphanNibbles++;
        this.violation(
          'nibble-rs-mismatch',
          partial,
          `4-bit byte 0x${hex(partial)}: high nibble had RS=${+this.highNibbleRs}, low nibble RS=${+this.rs} (nibble phase off by one?)`,
        );
      }
      this.execute(this.rs, partial, now);
    }
  }

  /** Bus timing of the pulse that just ended (datasheet Fig. 25, write operation). */
  private checkBus(now: number, byte: number): void {
    const width = now - this.eRoseAt;
    if (width < this.c.pwEh) {
      this.violation(
        'e-pulse-width',
        byte,
        `E high for ${width} cycles (${this.ns(width)} ns) < PW_EH ${this.config.pwEhNs} ns`,
      );
    }
    const period = this.eRoseAt - this.prevERoseAt;
    if (period < this.c.tCycE) {
      this.violation(
        'e-cycle',
        byte,
        `E cycle ${period} cycles (${this.ns(period)} ns) < t_cycE ${this.config.tCycENs} ns`,
      );
    }
    const setup = now - this.dataChangedAt;
    if (setup < this.c.tDsw && !this.rw) {
      this.violation(
        'data-setup',
        byte,
        `data settled ${setup} cycles (${this.ns(setup)} ns) before E fell < t_DSW ${this.config.tDswNs} ns`,
      );
    }
    const rsSetup = this.eRoseAt - this.rsChangedAt;
    if (rsSetup < this.c.tAs) {
      const what =
        rsSetup < 0
          ? 'RS/RW changed while E was high'
          : `RS/RW settled ${rsSetup} cycles (${this.ns(rsSetup)} ns) before E rose`;
      this.violation('address-setup', byte, `${what} (t_AS >= ${this.config.tAsNs} ns)`);
    }
  }

  /** Controller readiness: power-up wait, init spacing and busy. */
  private checkController(now: number, byte: number): void {
    if (now - this.powerOnCycle < this.c.powerUp) {
      this.violation(
        'power-up',
        byte,
        `write ${this.ms(now - this.powerOnCycle)} ms after power-on < ${this.config.powerUpMs} ms`,
      );
      return;
    }
    const since = now - this.lastInstructionAt;
    if (this.initStep === 1 && since < this.c.init1) {
      this.violation('init-spacing', byte, `write ${this.ms(since)} ms after the first 0x3 function set < 4.1 ms`);
    } else if (this.initStep === 2 && since < this.c.init2) {
      this.violation('init-spacing', byte, `write ${this.ms(since)} ms after the second 0x3 function set < 0.1 ms`);
    } else if (now < this.busyUntil) {
      this.violation(
        'busy',
        byte,
        `write while busy: ${this.ms(this.busyUntil - now)} ms before the previous instruction ends (f_osc ${this.config.oscHz} Hz)`,
      );
    }
  }

  private execute(rs: boolean, byte: number, now: number): void {
    const first = this.lastInstructionAt === -Infinity;
    this.lastInstructionAt = now;
    if (rs) {
      this.busyUntil = now + this.c.short;
      this.initStep = 0;
      this.writeData(byte);
      this.onChange?.();
      return;
    }
    this.stats.instructions++;
    // Init by instruction (Fig. 23/24) assumes the power-on state: a run of 8-bit function sets
    // starting with the first instruction after power-on needs 4.1 ms after the 1st and 100 us
    // after the 2nd. A resync from 4-bit mode is only checked against the busy time.
    const resync = (byte & 0xe0) === FUNCTION_SET && (byte & FS_DL) !== 0;
    if (!resync) this.initStep = 0;
    else if (this.initStep > 0) this.initStep++;
    else this.initStep = first ? 1 : 0;
    this.busyUntil = now + (byte < 0x04 && byte !== 0 ? this.c.long : this.c.short);
    this.instruction(byte);
    this.onChange?.();
  }

  private instruction(b: number): void {
    if (b & SET_DDRAM) {
      this.addressingCgram = false;
      this.ac = b & 0x7f;
      if (this.twoLine ? (this.ac & 0x3f) >= LINE_LENGTH : this.ac >= DDRAM_SIZE) {
        this.violation(
          'ddram-hole',
          b,
          `Set DDRAM address 0x${hex(this.ac)} is outside DDRAM (${this.twoLine ? '2-line: 0x00-0x27, 0x40-0x67' : '1-line: 0x00-0x4F'})`,
        );
      }
      this.loadDr();
    } else if (b & SET_CGRAM) {
      this.addressingCgram = true;
      this.ac = b & 0x3f;
      this.loadDr();
    } else if (b & FUNCTION_SET) {
      this.functionSet(b);
    } else if (b & SHIFT) {
      const right = (b & SHIFT_RL) !== 0;
      if (b & SHIFT_SC) this.shiftDisplay(!right);
      else this.moveAc(right);
      this.loadDr();
    } else if (b & DISPLAY_CONTROL) {
      this.displayOn = (b & DC_D) !== 0;
      this.cursorOn = (b & DC_C) !== 0;
      this.blinkOn = (b & DC_B) !== 0;
    } else if (b & ENTRY_MODE) {
      this.entryIncrement = (b & EM_ID) !== 0;
      this.entryShift = (b & EM_S) !== 0;
    } else if (b & RETURN_HOME) {
      this.ac = this.shift = 0;
      this.addressingCgram = false;
    } else if (b & CLEAR_DISPLAY) {
      this.ddram.fill(SPACE);
      this.ac = this.shift = 0;
      this.addressingCgram = false;
      this.entryIncrement = true;
    }
  }

  private functionSet(b: number): void {
    const fourBitByte = !this.eightBit;
    this.eightBit = (b & FS_DL) !== 0;
    if (this.eightBit) this.nibblePhase = 'high';
    const twoLine = (b & FS_N) !== 0;
    const font5x10 = (b & FS_F) !== 0;
    // DL=1 writes are (re)initialisation: they reopen N/F. The first function set sent as two
    // nibbles fixes N and F ("cannot be changed after this point", datasheet Fig. 24).
    if (this.eightBit) this.nfLocked = false;
    if (fourBitByte && !this.eightBit) {
      if (this.nfLocked && (twoLine !== this.twoLine || font5x10 !== this.font5x10)) {
        this.violation(
          'function-set-change',
          b,
          `function set 0x${hex(b)} changes N/F after initialisation (N=${+this.twoLine} F=${+this.font5x10} -> N=${+twoLine} F=${+font5x10})`,
        );
        if (this.config.strict) return;
      }
      this.nfLocked = true;
    }
    this.twoLine = twoLine;
    this.font5x10 = font5x10;
  }

  private writeData(b: number): void {
    this.stats.dataWrites++;
    this.dr = b;
    if (this.addressingCgram) {
      this.stats.cgramWrites++;
      this.cgram[this.ac & 0x3f] = b;
      this.moveAc(this.entryIncrement);
      return;
    }
    this.stats.ddramWrites++;
    const i = this.ddramIndex(this.ac);
    if (i >= 0) this.ddram[i] = b;
    this.moveAc(this.entryIncrement);
    if (this.entryShift) this.shiftDisplay(this.entryIncrement);
  }

  /** DR <- RAM at AC (a 2-line hole reads as a space: it has no cells). */
  private loadDr(): void {
    this.dr = this.addressingCgram ? this.cgram[this.ac & 0x3f]! : (this.ddram[this.ddramIndex(this.ac)] ?? SPACE);
  }

  /** A completed data read moves AC like a write (without display shift) and fetches the next byte into DR. */
  private finishRead(): void {
    this.moveAc(this.entryIncrement);
    this.loadDr();
  }

  /** DDRAM array index of an address, or -1 in the 2-line holes. */
  ddramIndex(addr: number): number {
    if (!this.twoLine) return addr < DDRAM_SIZE ? addr : -1;
    const col = addr & 0x3f;
    if (col >= LINE_LENGTH) return -1;
    return (addr & LINE2_BASE ? LINE_LENGTH : 0) + col;
  }

  private moveAc(forward: boolean): void {
    if (this.addressingCgram) {
      this.ac = (this.ac + (forward ? 1 : -1)) & 0x3f;
      return;
    }
    const a = this.ac;
    if (!this.twoLine) {
      this.ac = forward ? (a >= DDRAM_SIZE - 1 ? 0 : a + 1) : a === 0 ? DDRAM_SIZE - 1 : a - 1;
    } else if (forward) {
      this.ac = a === 0x27 ? 0x40 : a === 0x67 ? 0x00 : (a + 1) & 0x7f;
    } else {
      this.ac = a === 0x40 ? 0x27 : a === 0x00 ? 0x67 : (a - 1) & 0x7f;
    }
  }

  /** left = content moves left (the window moves right over the ring). */
  private shiftDisplay(left: boolean): void {
    const ring = this.twoLine ? LINE_LENGTH : DDRAM_SIZE;
    this.shift = (this.shift + (left ? 1 : ring - 1)) % ring;
  }

  /**
   * DDRAM address shown at glass cell (row, col) now, with the display shift and N
   * applied; -1 when that cell's line is not driven (line 2 cells in 1-line mode) or
   * the cell is off the glass.
   */
  cellAddress(row: number, col: number): number {
    const { columns, rows, line2FromColumn: split } = this.config;
    if (row < 0 || row >= rows || col < 0 || col >= columns) return -1;
    let line = row & 1;
    let pos = (row >> 1) * columns + col;
    if (split > 0 && col >= split) {
      line = 1;
      pos -= split;
    }
    if (!this.twoLine) return line ? -1 : (pos + this.shift) % DDRAM_SIZE;
    return line * LINE2_BASE + ((pos + this.shift) % LINE_LENGTH);
  }

  /** Character codes on visible row `row` (after display shift; ignores D so a dark display can still be inspected). */
  codes(row: number): number[] {
    const { columns } = this.config;
    const out = new Array<number>(columns).fill(SPACE);
    for (let c = 0; c < columns; c++) {
      const a = this.cellAddress(row, c);
      if (a >= 0) out[c] = this.ddram[this.ddramIndex(a)]!;
    }
    return out;
  }

  /** What the glass shows, one string per row (A00 mapping; CGRAM chars as ①..⑧; blank when D=0). */
  text(): string[] {
    const lines: string[] = [];
    for (let r = 0; r < this.config.rows; r++) {
      lines.push(this.displayOn ? this.codes(r).map(a00ToUnicode).join('') : ' '.repeat(this.config.columns));
    }
    return lines;
  }

  /** Visible cursor position, or null when the cursor is off-window or AC points into CGRAM. */
  cursorCell(): { row: number; col: number } | null {
    if (this.addressingCgram) return null;
    const { columns, rows } = this.config;
    for (let row = 0; row < rows; row++) {
      for (let col = 0; col < columns; col++) if (this.cellAddress(row, col) === this.ac) return { row, col };
    }
    return null;
  }

  private violation(kind: LcdViolationKind, instruction: number | undefined, message: string): void {
    const v: LcdViolation = { cycle: this.clock.cycles, kind, message };
    if (instruction !== undefined) v.instruction = instruction;
    this.pulseFaults++;
    const counts = this.stats.violationCounts;
    counts[kind] = (counts[kind] ?? 0) + 1;
    if (this.violations.length < this.config.maxViolations) this.violations.push(v);
  }

  private ns(cycles: number): number {
    return Math.round((cycles * 1e9) / this.config.cpuHz);
  }

  private ms(cycles: number): string {
    return ((cycles * 1000) / this.config.cpuHz).toFixed(3);
  }
}

/** Custom glyph n (0-7; 8-15 mirror) as 8 row bytes, bit 4 = leftmost pixel. */
export function cgramGlyph(lcd: HD44780, n: number): number[] {
  const at = (n & 7) * 8;
  return Array.from(lcd.cgram.subarray(at, at + 8), (b) => b & 0x1f);
}

function newStats(): HD44780Stats {
  return {
    pulses: 0,
    instructions: 0,
    dataWrites: 0,
    ddramWrites: 0,
    cgramWrites: 0,
    reads: 0,
    dropped: 0,
    violationCounts: {},
  };
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}
