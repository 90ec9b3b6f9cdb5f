// The serial line between the host (USB-serial chip) and USART0. Host bytes go
// in one at a time, each taking one character time; avr8js loses bytes if
// writeByte is called while a byte is still in flight, so the next byte is only
// sent from onRxComplete. Bytes arriving while the receiver is disabled (during
// reset, before Serial.begin) are lost, as on a real Uno.
import type { AVRUSART, CPU } from 'avr8js';

/** Beyond this relative difference a real UART would see framing errors. */
export const BAUD_TOLERANCE = 0.045;

export interface BaudMismatch { host: number; firmware: number }

export class UsartWire {
  /** Host baud rate, as set by the serial port that is open (or the last one). */
  hostBaud = 115200;
  /** Byte counts; lastRxCycle is when the last host byte landed in UDR0. */
  readonly stats = { delivered: 0, dropped: 0, sent: 0, lastRxCycle: 0 };
  /** Set while host and firmware baud rates differ by more than BAUD_TOLERANCE. */
  baudMismatch: BaudMismatch | null = null;
  onWarning: ((message: string) => void) | null = null;

  private readonly queue: number[] = [];
  private inFlight = false;
  private readonly listeners = new Set<(byte: number) => void>();
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly cpu: CPU, private readonly usart: AVRUSART, private readonly freqHz: number) {
    usart.onByteTransmit = (b) => {
      this.stats.sent++;
      for (const l of this.listeners) l(b);
    };
    usart.onRxComplete = () => {
      this.inFlight = false;
      this.stats.delivered++;
      this.stats.lastRxCycle = this.cpu.cycles;
      this.pump();
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
    return () => { this.listeners.delete(listener); };
  }

  get pending(): number { return this.queue.length; }

  /** Resolves once every queued host byte has reached the board (or was lost). */
  whenIdle(): Promise<void> {
    if (this.queue.length === 0 && !this.inFlight) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  setHostBaud(baud: number): void {
    this.hostBaud = baud;
    this.checkBaud();
  }

  /** The board reset: clock events are gone, so the byte in flight is lost. */
  afterReset(): void {
    if (this.inFlight) {
      this.inFlight = false;
      this.stats.dropped++;
    }
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
    if (usart.rxEnable) {
      if (usart.rxBusy) return;
      if (usart.writeByte(this.queue[0])) {
        this.queue.shift();
        this.inFlight = true;
      }
      return;
    }
    this.queue.shift();
    this.inFlight = true;
    this.cpu.addClockEvent(this.dropOne, Math.round((this.freqHz * 10) / this.hostBaud));
  }

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
