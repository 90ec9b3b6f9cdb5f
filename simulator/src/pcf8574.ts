// NXP/TI PCF8574 and PCF8574A remote 8-bit I/O expander on the I2C bus (i2c-bus.ts),
// as the chip behaves (NXP PCF8574/PCF8574A data sheet Rev. 5, TI SCPS068):
//
// - Address: 0100 A2 A1 A0 (0x20-0x27) for the PCF8574, 0111 A2 A1 A0 (0x38-0x3F) for
//   the PCF8574A (NXP 7.1, Tables 4-5). The general call is ignored (TI SCPS068 8.3).
// - No registers: every data byte of a write replaces the whole port latch, any number
//   per transaction; the outputs change at the acknowledge clock (t_v(Q) <= 4 us, Table 10).
// - Reads: each byte is a sample of the pin levels taken at the acknowledge clock of the
//   byte before it (the address byte, or the previous data byte the master ACKed; NXP 8.2,
//   Fig. 12), so changes between two samples are lost.
// - Quasi-bidirectional pins (NXP 8.1): a latch 1 is a weak pull-up (~100 uA) that anything
//   outside can pull low; a latch 0 is a strong sink. So a pin reads latch AND the outside:
//   a 1 written and held low reads 0, a 0 always reads 0.
// - Power-on reset sets the latch to FF (Table 9, note 1).
// The INT output is not modelled (the usual LCD backpack header does not bring it out).
import type { I2CDevice } from './i2c-bus.ts';

export const PCF8574_BASE = 0x20;
export const PCF8574A_BASE = 0x38;
/** A2..A0 select one of eight addresses above the base. */
const ADDRESS_PINS_MASK = 0x07;
/** Latch after power-on reset. */
export const PORT_RESET = 0xff;

export type Pcf8574Variant = 'PCF8574' | 'PCF8574A';

/** The circuit on the port pins: sees every latch change, and says which pins it pulls low. */
export interface Pcf8574Load {
  /** The latch changed (also at power-on). */
  portWritten(latch: number): void;
  /** Pins the outside pulls low now (bit set = held low), for a read's sample. */
  pulledLow(): number;
}

export interface Pcf8574Config {
  /** 7-bit address: 0x20-0x27 (PCF8574) or 0x38-0x3F (PCF8574A). */
  address: number;
}

export const pcf8574Config: Pcf8574Config = { address: 0x27 };

export interface Pcf8574Stats {
  writes: number;
  reads: number;
}

export class PCF8574 implements I2CDevice {
  readonly config: Pcf8574Config;
  readonly variant: Pcf8574Variant;
  latch = PORT_RESET;
  stats: Pcf8574Stats = { writes: 0, reads: 0 };
  /** The sample the next read byte shifts out. */
  private sample = PORT_RESET;

  constructor(
    readonly load: Pcf8574Load,
    config?: Partial<Pcf8574Config>,
  ) {
    this.config = { ...pcf8574Config, ...config };
    const { address } = this.config;
    const base = address & ~ADDRESS_PINS_MASK;
    if (base === PCF8574_BASE) this.variant = 'PCF8574';
    else if (base === PCF8574A_BASE) this.variant = 'PCF8574A';
    else {
      throw new Error(
        `PCF8574 address 0x${address.toString(16)} is neither 0x20-0x27 (PCF8574) nor 0x38-0x3F (PCF8574A)`,
      );
    }
    this.powerOn();
  }

  /** Power-on reset: all pins weakly high. */
  powerOn(): void {
    this.latch = PORT_RESET;
    this.load.portWritten(this.latch);
  }

  /** The pin levels now: the latch, less what the outside pulls low. */
  pins(): number {
    return this.latch & ~this.load.pulledLow() & 0xff;
  }

  answers(address: number): boolean {
    return address === this.config.address;
  }

  connect(write: boolean): boolean {
    if (!write) this.sample = this.pins();
    return true;
  }

  write(value: number): boolean {
    this.stats.writes++;
    this.latch = value & 0xff;
    this.load.portWritten(this.latch);
    return true;
  }

  read(more: boolean): number {
    this.stats.reads++;
    const value = this.sample;
    if (more) this.sample = this.pins();
    return value;
  }

  stop(): void {}
}
