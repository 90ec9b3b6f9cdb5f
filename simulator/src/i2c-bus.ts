// The I2C bus behind the ATmega328P's TWI master (avr8js AVRTWI): routes each
// transaction to the slave model whose address matches (absent addresses NACK,
// as the pulled-up SDA reads during the acknowledge clock), and makes every bus
// step take its time on the wire, which avr8js does not model (it would finish a
// byte one CPU cycle after the TWCR write).
//
// Timing (ATmega328P datasheet 22.5.2 "Bit Rate Generator Unit"):
//   SCL = F_CPU / (16 + 2 * TWBR * 4^TWPS), i.e. one SCL period is 16 + 2*TWBR*4^TWPS CPU cycles
//   (TWBR 72 -> 100 kHz, TWBR 12 -> 400 kHz at 16 MHz, as Arduino's Wire sets them).
// An address or data byte is 8 bits + acknowledge = 9 SCL periods (I2C spec UM10204 3.1.6).
// START, repeated START and STOP take one SCL period each (set-up + hold: UM10204 Table 10,
// t_SU;STA + t_HD;STA, t_SU;STO, about one period in standard and fast mode), and a START
// after a STOP first waits the bus-free time t_BUF (also about one period).
// The period is read from TWBR/TWPS when each step starts, so firmware may change the rate.
//
// Slaves see a transaction at the acknowledge clock of each byte: connect() when the
// address byte ends (its answer is the ACK), write() when a data byte ends (the ACK),
// read() when the byte the slave sends ends (it returns that byte; `more` is the
// master's ACK). A STOP or a new START ends the transaction for the selected slave.
//
// TWSR's status bits TWS7..3 are read-only on silicon (datasheet 22.9.2); avr8js stores
// whatever firmware writes, so `TWSR = 0` (common in bare-metal drivers) would make the
// next START report 0x10 (repeated). The bus keeps them read-only with a write hook.
//
// avr8js's TWI keeps `busy` private; a board reset needs it cleared (the pending step
// is dropped with the CPU's clock events), so reset() reaches it through avr-internals.ts.
import { twiConfig, type AVRTWI, type CPU, type TWIConfig, type TWIEventHandler } from 'avr8js';
import { twiInternals } from './avr-internals.ts';

/** SCL periods per bus step. */
export const BYTE_PERIODS = 9;
export const START_PERIODS = 1;
export const STOP_PERIODS = 1;
export const BUS_FREE_PERIODS = 1;

/** TWI register values after any reset (ATmega328P datasheet 22.9 "Register Description"). */
const TWBR_RESET = 0x00;
const TWSR_RESET = 0xf8;
const TWAR_RESET = 0xfe;
const TWDR_RESET = 0xff;
const TWCR_RESET = 0x00;
const TWAMR_RESET = 0x00;
const TWSR_TWPS_MASK = 0x03;

/** A slave on the bus. Every method is called at the acknowledge clock of its byte. */
export interface I2CDevice {
  /** True when this 7-bit address is the device's. */
  answers(address: number): boolean;
  /** The address byte matched; `write` is the R/W bit = 0. Returns the ACK. */
  connect(write: boolean): boolean;
  /** A data byte from the master; returns the ACK. */
  write(value: number): boolean;
  /** The byte the device sent in this read; `more` = the master ACKed (wants another). */
  read(more: boolean): number;
  /** STOP, or a repeated START that ends this device's transaction. */
  stop(): void;
}

export interface I2CBusStats {
  starts: number;
  /** Address bytes nobody acknowledged. */
  nacks: number;
  /** Address and data bytes on the wire. */
  bytes: number;
  /** Highest SCL frequency a byte was sent at (Hz). */
  maxSclHz: number;
}

export class I2CBus implements TWIEventHandler {
  readonly devices: I2CDevice[] = [];
  stats: I2CBusStats = { starts: 0, nacks: 0, bytes: 0, maxSclHz: 0 };
  private selected: I2CDevice | null = null;
  /** Cycle from which a START may begin (t_BUF after the last STOP). */
  private busFreeAt = 0;

  constructor(
    readonly cpu: CPU,
    readonly twi: AVRTWI,
    readonly cpuHz: number,
    readonly config: TWIConfig = twiConfig,
  ) {
    twi.eventHandler = this;
    cpu.writeHooks[config.TWSR] = (value) => {
      cpu.data[config.TWSR] = (cpu.data[config.TWSR]! & ~TWSR_TWPS_MASK) | (value & TWSR_TWPS_MASK);
      return true;
    };
  }

  attach(device: I2CDevice): void {
    this.devices.push(device);
  }

  /** CPU cycles in one SCL period now (datasheet 22.5.2). */
  get periodCycles(): number {
    const data = this.cpu.data;
    return 16 + 2 * data[this.config.TWBR]! * 4 ** (data[this.config.TWSR]! & TWSR_TWPS_MASK);
  }

  get sclHz(): number {
    return this.cpuHz / this.periodCycles;
  }

  start(): void {
    this.stats.starts++;
    this.endTransaction();
    const period = this.periodCycles;
    const wait = Math.max(0, this.busFreeAt - this.requestedAt());
    this.after(wait + START_PERIODS * period, () => this.twi.completeStart());
  }

  stop(): void {
    this.endTransaction();
    const period = this.periodCycles;
    this.after(STOP_PERIODS * period, () => {
      this.busFreeAt = this.cpu.cycles + BUS_FREE_PERIODS * period;
      this.twi.completeStop();
    });
  }

  connectToSlave(address: number, write: boolean): void {
    this.byte(() => {
      const device = this.devices.find((d) => d.answers(address));
      const ack = device?.connect(write) === true;
      this.selected = ack && device ? device : null;
      if (!ack) this.stats.nacks++;
      this.twi.completeConnect(ack);
    });
  }

  writeByte(value: number): void {
    this.byte(() => this.twi.completeWrite(this.selected?.write(value) === true));
  }

  readByte(more: boolean): void {
    // Nobody drives SDA: the pull-up reads 1s.
    this.byte(() => this.twi.completeRead(this.selected ? this.selected.read(more) & 0xff : 0xff));
  }

  /** After an AVR reset: the TWI back to its reset values, no transaction in flight. */
  reset(): void {
    const { data } = this.cpu,
      c = this.config;
    data[c.TWBR] = TWBR_RESET;
    data[c.TWSR] = TWSR_RESET;
    data[c.TWAR] = TWAR_RESET;
    data[c.TWDR] = TWDR_RESET;
    data[c.TWCR] = TWCR_RESET;
    data[c.TWAMR] = TWAMR_RESET;
    twiInternals(this.twi).busy = false;
    this.endTransaction();
    this.busFreeAt = 0;
  }

  private endTransaction(): void {
    this.selected?.stop();
    this.selected = null;
  }

  private byte(done: () => void): void {
    this.stats.bytes++;
    const period = this.periodCycles;
    this.stats.maxSclHz = Math.max(this.stats.maxSclHz, this.cpuHz / period);
    this.after(BYTE_PERIODS * period, done);
  }

  /** The cycle of the TWCR write that asked for this step: avr8js calls the handler one cycle later. */
  private requestedAt(): number {
    return this.cpu.cycles - 1;
  }

  /** Runs fn `cycles` after the TWCR write. */
  private after(cycles: number, fn: () => void): void {
    this.cpu.addClockEvent(fn, this.requestedAt() + cycles - this.cpu.cycles);
  }
}
