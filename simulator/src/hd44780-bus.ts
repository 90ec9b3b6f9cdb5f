// Drives an HD44780 model the way correct firmware would, on a fake clock: for
// tests, benchmarks and the sample image. Timing margins follow the datasheet
// worst case (PW_EH 450 ns, t_cycE 1000 ns, t_AS 60 ns, t_DSW 195 ns).
import type { HD44780 } from './hd44780.ts';

/** A clock the caller advances by hand (the model only reads `cycles`). */
export class FakeClock {
  cycles = 0;
  constructor(readonly hz = 16_000_000) {}
  advance(cycles: number): void {
    this.cycles += Math.ceil(cycles);
  }
  advanceUs(us: number): void {
    this.advance((us * this.hz) / 1e6);
  }
}

export interface BusTiming {
  /** Cycles from RS/data set-up to E rising (t_AS; data set-up runs on through the pulse). */
  setup: number;
  /** Cycles E stays high (PW_EH). */
  high: number;
  /** Cycles after E falls before the next bus change (t_H, rest of t_cycE). */
  hold: number;
}

/** 16 MHz: 1 cycle setup (62.5 ns), 8 high (500 ns), 8 after (500 ns) => 17 cycles per pulse (1062 ns). */
export const safeTiming: BusTiming = { setup: 1, high: 8, hold: 8 };

export class LcdBus {
  rs = false;
  data = 0;
  constructor(
    readonly lcd: HD44780,
    readonly clock: FakeClock,
    readonly timing: BusTiming = safeTiming,
    readonly fourBit = lcd.config.dataBits === 4,
  ) {}

  /** One E pulse with RS and the whole data byte (4-bit wiring: only bits 7..4 reach the glass). */
  pulse(rs: boolean, data: number): void {
    const { lcd, clock, timing } = this;
    this.rs = rs;
    this.data = data & 0xff;
    lcd.setPins(rs, false, false, this.data);
    clock.advance(timing.setup);
    lcd.setPins(rs, false, true, this.data);
    clock.advance(timing.high);
    lcd.setPins(rs, false, false, this.data);
    clock.advance(timing.hold);
  }

  /** A single 4-bit nibble on D7..D4 (as during init, where it is a whole 8-bit-mode instruction). */
  nibble(rs: boolean, n: number): void {
    this.pulse(rs, (n & 0x0f) << 4);
  }

  /** A byte as the current interface width sends it, without waiting. */
  send(rs: boolean, byte: number): void {
    if (this.fourBit && !this.lcd.eightBit) {
      this.nibble(rs, byte >> 4);
      this.nibble(rs, byte);
    } else {
      this.pulse(rs, byte);
    }
  }

  /** A byte, then wait the worst-case execution time (clear/home: the long one). */
  write(rs: boolean, byte: number): void {
    this.send(rs, byte);
    const { short, long } = this.lcd.executionCycles;
    this.clock.advance(!rs && (byte === 1 || byte === 2 || byte === 3) ? long : short);
  }

  command(byte: number): void {
    this.write(false, byte);
  }

  /** Data bytes (strings are sent as char codes, i.e. Latin-1/ASCII). */
  print(text: string | number[]): void {
    const codes = typeof text === 'string' ? Array.from(text, (c) => c.charCodeAt(0)) : text;
    for (const c of codes) this.write(true, c);
  }

  waitUs(us: number): void {
    this.clock.advanceUs(us);
  }

  /** Datasheet Fig. 24 (4-bit) or Fig. 23 (8-bit) initialisation by instruction, then display on, clear, entry I/D=1. */
  init(twoLine = true): void {
    const n = twoLine ? 0x08 : 0;
    this.waitUs(this.lcd.config.powerUpMs * 1000 + 1000);
    const resync = (b: number) => (this.fourBit ? this.nibble(false, b >> 4) : this.pulse(false, b));
    resync(0x30);
    this.waitUs(4100 + 100);
    resync(0x30);
    this.waitUs(100 + 10);
    resync(0x30);
    this.clock.advance(this.lcd.executionCycles.short);
    if (this.fourBit) {
      this.nibble(false, 0x2);
      this.clock.advance(this.lcd.executionCycles.short);
      this.command(0x20 | n);
    } else {
      this.command(0x30 | n);
    }
    this.command(0x08);
    this.command(0x01);
    this.command(0x06);
    this.command(0x0c);
  }

  /** Defines custom glyph n (8 rows, bit 4 = leftmost) and returns to DDRAM address 0. */
  defineGlyph(n: number, rows: readonly number[]): void {
    this.command(0x40 | ((n & 7) << 3));
    for (const r of rows) this.write(true, r);
    this.command(0x80);
  }
}
