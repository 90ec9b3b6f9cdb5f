// The serial line between the host (USB-serial chip) and USART0. Host bytes go
// in back to back, each taking one character time at the firmware's UBRR baud
// rate (10 bits for 8N1). The receiver holds what the chip holds (datasheet 7810C
// §19.7.4 "Receiving Frames with 5 to 8 Data Bits" and §19.7.6 "Receiver Error
// Flags"): UDR0 with a second FIFO level, plus the shift register. avr8js keeps
// only UDR0 (a second byte would overwrite an unread one), so the next two bytes
// wait here and move up when the firmware reads UDR0; a byte completing while all
// three are full is lost and DOR0 is set (a data overrun). Bytes arriving while
// the receiver is disabled (during reset, before Serial.begin) are lost, as on a
// real Uno.
import type { AVRUSART, CPU } from 'avr8js';

/** Beyond this relative difference a real UART would see framing errors. */
export const BAUD_TOLERANCE = 0.045;

/** UCSR0A (data address 0xC0): RXC0 bit 7, DOR0 bit 3; UDR0 at 0xC6. */
const UCSR0A = 0xc0,
  RXC0 = 0x80,
  DOR0 = 0x08,
  UDR0 = 0xc6;
/** Received bytes waiting behind UDR0: the FIFO's second level and the shift register. */
const HELD_MAX = 2;

export interface BaudMismatch {
  host: number;
  firmware: number;
}

export class UsartWire {
  /** Host baud rate, as set by the serial port that is open (or the last one). */
  hostBaud = 115200;
  /** Byte counts; lastRxCycle is when the last host byte landed in UDR0. */
  readonly stats = { delivered: 0, dropped: 0, overruns: 0, sent: 0, lastRxCycle: 0 };
  /** Set while host and firmware baud rates differ by more than BAUD_TOLERANCE. */
  baudMismatch: BaudMismatch | null = null;
  onWarning: ((message: string) => void) | null = null;

  private readonly queue: number[] = [];
  private inFlight = false;
  private flightByte = 0;
  /** Complete bytes behind an unread UDR0. */
  private readonly held: number[] = [];
  private readonly listeners = new Set<(byte: number) => void>();
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly cpu: CPU,
    private readonly usart: AVRUSART,
    private readonly freqHz: number,
  ) {
    usart.onByteTransmit = (b) => {
      this.stats.sent++;
      for (const l of this.listeners) l(b);
    };
    usart.onRxComplete = () => {
      this.stats.delivered++;
      this.stats.lastRxCycle = this.cpu.cycles;
    };
    // Reading UDR0 frees the top of the FIFO: the next held byte moves up (RXC0 stays set).
    const readUdr = cpu.readHooks[UDR0];
    cpu.readHooks[UDR0] = (addr) => {
      const value = readUdr(addr);
      cpu.data[UCSR0A] &= ~DOR0;
      const next = this.held.shift();
      if (next !== undefined) usart.writeByte(next, true);
      return value;
    };
    usart.onConfigurationChange = () => {
      this.checkBaud();
      this.pump();
    };
  }

  /** Queues host-to-board bytes. */
  write(bytes: Uint8Array | readonly number[]): void {
    for (const b of bytes) this.queue.push(b & 0xff);
    this.pump();
  }

  /** Subscribes to board-to-host bytes; returns the unsubscribe function. */
  onByte(listener: (byte: number) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Resolves once every queued host byte has reached the board (or was lost). */
  whenIdle(): Promise<void> {
    if (this.queue.length === 0 && !this.inFlight) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  setHostBaud(baud: number): void {
    this.hostBaud = baud;
    this.checkBaud();
  }

  /** The board reset: clock events are gone, so the byte in flight is lost, and so is the receive buffer. */
  afterReset(): void {
    if (this.inFlight) {
      this.inFlight = false;
      this.stats.dropped++;
    }
    this.held.length = 0;
    this.baudMismatch = null;
    this.pump();
  }

  private pump(): void {
    if (this.inFlight) return;
    if (this.queue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
      return;
    }
    const { usart } = this;
    this.flightByte = this.queue.shift()!;
    this.inFlight = true;
    if (usart.rxEnable)
      this.cpu.addClockEvent(this.received, (usart as unknown as { cyclesPerChar: number }).cyclesPerChar);
    else this.cpu.addClockEvent(this.dropOne, Math.round((this.freqHz * 10) / this.hostBaud));
  }

  /** The stop bit of the byte in flight: into UDR0 if it is free, else behind it, else overrun. */
  private readonly received = () => {
    this.inFlight = false;
    const { usart, cpu } = this,
      b = this.flightByte;
    if (!usart.rxEnable) this.stats.dropped++;
    else if (!(cpu.data[UCSR0A] & RXC0) && this.held.length === 0) usart.writeByte(b, true);
    else if (this.held.length < HELD_MAX) this.held.push(b);
    else {
      cpu.data[UCSR0A] |= DOR0;
      this.stats.overruns++;
      this.stats.dropped++;
    }
    this.pump();
  };

  private readonly dropOne = () => {
    this.inFlight = false;
    this.stats.dropped++;
    this.pump();
  };

  private checkBaud(): void {
    const { usart } = this;
    if (!usart.rxEnable && !usart.txEnable) return;
    const firmware = usart.baudRate;
    const off = Math.abs(firmware - this.hostBaud) / this.hostBaud > BAUD_TOLERANCE;
    const was = this.baudMismatch;
    this.baudMismatch = off ? { host: this.hostBaud, firmware } : null;
    if (off && (!was || was.firmware !== firmware || was.host !== this.hostBaud)) {
      this.onWarning?.(`serial baud mismatch: host ${this.hostBaud}, firmware ${firmware}; bytes are still delivered`);
    }
  }
}
