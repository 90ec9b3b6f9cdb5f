// A bare avr8js CPU + SPI + PORTB with a WIZnet chip model on it, driven from
// TypeScript the way a master (the Arduino Ethernet library) would. Simulated
// time advances only through runMs/runUntil, in 1 ms slices with an event-loop
// turn between them and paused while the model holds the clock, like Board.
// SpiBus is the harness; SpiMaster speaks the W5100's frames to a W5100
// (W5500Master in spi-master-w5500.ts speaks the W5500's).
import { AVRIOPort, AVRSPI, CPU, portBConfig, spiConfig } from 'avr8js';
import type { LanOptions } from './netmap.ts';
import type { LanServices } from './wiznet-chip.ts';
import type { WiznetHost } from './wiznet-host.ts';
import {
  CMD,
  OP_READ,
  OP_WRITE,
  SOCKET_BASE,
  SOCKET_STRIDE,
  Sn_CR,
  Sn_RX_RD,
  Sn_RX_RSR,
  Sn_TX_FSR,
  Sn_TX_WR,
  SR,
  Sn_SR,
  W5100,
  type W5100Config,
} from './w5100.ts';

const SPCR_SPE = 0x40,
  SPCR_MSTR = 0x10,
  SPSR_SPIF = 0x80,
  SPSR_SPI2X = 0x01;
const DDRB = 0x24,
  PORTB = 0x25;
const CS = 1 << 2,
  MOSI = 1 << 3,
  SCK = 1 << 5;
const CYCLES_PER_MS = 16_000;
const TICK = 16; // cycles per step: 1 µs

export class SpiBus {
  readonly cpu = new CPU(new Uint16Array(0x4000), 0x800);
  readonly spi = new AVRSPI(this.cpu, spiConfig, 16e6);
  readonly portB = new AVRIOPort(this.cpu, portBConfig);
  holds = 0;
  private wake: (() => void) | undefined;
  /** What a chip model is wired to. */
  protected readonly host: WiznetHost;

  constructor(withHold = true) {
    const cpu = this.cpu;
    cpu.writeData(spiConfig.SPCR, SPCR_SPE | SPCR_MSTR);
    cpu.writeData(spiConfig.SPSR, SPSR_SPI2X); // 8 MHz: 16 cycles per byte, as SPI.beginTransaction(14 MHz) gives
    cpu.writeData(DDRB, CS | MOSI | SCK);
    cpu.writeData(PORTB, CS);
    this.host = { cpu, spi: this.spi, portB: this.portB, hold: withHold ? () => this.hold() : undefined };
  }

  get ms(): number {
    return this.cpu.cycles / CYCLES_PER_MS;
  }

  private hold(): () => void {
    this.holds++;
    let done = false;
    return () => {
      if (!done) {
        done = true;
        this.holds--;
        this.wake?.();
      }
    };
  }

  private async waitHolds() {
    while (this.holds > 0)
      await new Promise<void>((r) => {
        this.wake = r;
      });
    this.wake = undefined;
  }

  /** Advances simulated time by up to `cycles`, running due clock events; stops early when pred() holds. */
  private advance(cycles: number, pred?: () => boolean) {
    const end = this.cpu.cycles + cycles;
    while (this.cpu.cycles < end && this.holds === 0) {
      this.cpu.cycles += TICK;
      this.cpu.tick();
      if (pred?.()) return;
    }
  }

  async runMs(ms: number): Promise<void> {
    const end = this.cpu.cycles + ms * CYCLES_PER_MS;
    while (this.cpu.cycles < end) {
      await this.waitHolds();
      this.advance(Math.min(CYCLES_PER_MS, end - this.cpu.cycles));
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Runs until pred() holds; throws after `ms` of simulated time. Checks every simulated microsecond. */
  async runUntil(pred: () => boolean, ms: number, what = 'condition'): Promise<void> {
    const end = this.cpu.cycles + ms * CYCLES_PER_MS;
    while (!pred()) {
      if (this.cpu.cycles >= end) throw new Error(`${what} not reached within ${ms} ms of simulated time`);
      await this.waitHolds();
      this.advance(Math.min(CYCLES_PER_MS, end - this.cpu.cycles), pred);
      await new Promise((r) => setImmediate(r));
    }
  }

  // ---- the SPI byte path ----------------------------------------------------

  cs(low: boolean): void {
    this.cpu.writeData(PORTB, low ? 0 : CS);
  }

  /** One byte through SPDR; returns MISO and the cycles the transfer took. */
  transfer(mosi: number): { miso: number; cycles: number } {
    const cpu = this.cpu,
      t0 = cpu.cycles;
    cpu.writeData(spiConfig.SPDR, mosi);
    while (!(cpu.data[spiConfig.SPSR] & SPSR_SPIF)) {
      cpu.cycles++;
      cpu.tick();
    }
    cpu.data[spiConfig.SPSR] &= ~SPSR_SPIF;
    return { miso: cpu.data[spiConfig.SPDR], cycles: cpu.cycles - t0 };
  }

  /** Bytes through the byte path with CS low for all of them; returns the MISO bytes. */
  transaction(bytes: readonly number[]): number[] {
    this.cs(true);
    const out = bytes.map((b) => this.transfer(b).miso);
    this.cs(false);
    return out;
  }
}

/** A W5100 on the bus, spoken to in W5100 frames. */
export class SpiMaster extends SpiBus {
  readonly chip: W5100;

  constructor(config: Partial<W5100Config> = {}, withHold = true, lan: Partial<LanOptions> | LanServices = {}) {
    super(withHold);
    this.chip = new W5100(this.host, config, lan);
  }

  /** A whole frame through the byte path with CS low; returns the four MISO bytes. */
  spiFrame(b0: number, addr: number, data: number): number[] {
    return this.transaction([b0, addr >> 8, addr & 0xff, data]);
  }

  // ---- register access (frame level) ----------------------------------------

  w(addr: number, v: number): void {
    this.chip.frame(OP_WRITE, addr, v);
  }
  r(addr: number): number {
    return this.chip.frame(OP_READ, addr, 0);
  }
  w16(addr: number, v: number): void {
    this.w(addr, v >> 8);
    this.w(addr + 1, v & 0xff);
  }
  r16(addr: number): number {
    return (this.r(addr) << 8) | this.r(addr + 1);
  }
  wBytes(addr: number, bytes: ArrayLike<number>): void {
    for (let i = 0; i < bytes.length; i++) this.w(addr + i, bytes[i]);
  }
  rBytes(addr: number, n: number): number[] {
    return Array.from({ length: n }, (_, i) => this.r(addr + i));
  }

  sreg(n: number, off: number): number {
    return SOCKET_BASE + n * SOCKET_STRIDE + off;
  }
  status(n: number): number {
    return this.r(this.sreg(n, Sn_SR));
  }

  /** Like the library's execCmdSn: write Sn_CR, then wait until it reads 0. */
  cmd(n: number, c: number): void {
    this.w(this.sreg(n, Sn_CR), c);
    if (this.r(this.sreg(n, Sn_CR)) !== 0) throw new Error('Sn_CR did not read back 0');
  }

  /** socket.cpp write_data + SEND: copies into the TX ring (split at the top) and advances TX_WR. */
  sendData(n: number, data: ArrayLike<number>, base = 0x4000 + n * 0x800, size = 0x800): void {
    if (this.r16(this.sreg(n, Sn_TX_FSR)) < data.length) throw new Error('TX buffer full');
    const wr = this.r16(this.sreg(n, Sn_TX_WR));
    for (let i = 0; i < data.length; i++) this.w(base + ((wr + i) & (size - 1)), data[i]);
    this.w16(this.sreg(n, Sn_TX_WR), (wr + data.length) & 0xffff);
    this.cmd(n, CMD.SEND);
  }

  /**
   * The Arduino Ethernet library's socketBufferData/write_data (what
   * EthernetUdp::write and EthernetClient do before SEND): reads TX_WR, writes
   * the data at TX_WR + offset (split at the top of the ring), then writes
   * TX_WR = the value read + offset + length. No SEND: the caller passes the
   * running offset of earlier chunks and issues SEND once (endPacket).
   */
  bufferData(n: number, offset: number, data: ArrayLike<number>, base = 0x4000 + n * 0x800, size = 0x800): void {
    const ptr = (this.r16(this.sreg(n, Sn_TX_WR)) + offset) & 0xffff;
    for (let i = 0; i < data.length; i++) this.w(base + ((ptr + i) & (size - 1)), data[i]);
    this.w16(this.sreg(n, Sn_TX_WR), (ptr + data.length) & 0xffff);
  }

  /** socket.cpp read_data + RECV: takes everything received so far out of the RX ring. */
  recvData(n: number, base = 0x6000 + n * 0x800, size = 0x800, max = Infinity): number[] {
    const len = Math.min(this.r16(this.sreg(n, Sn_RX_RSR)), max);
    if (len === 0) return [];
    const rd = this.r16(this.sreg(n, Sn_RX_RD));
    const out = Array.from({ length: len }, (_, i) => this.r(base + ((rd + i) & (size - 1))));
    this.w16(this.sreg(n, Sn_RX_RD), (rd + len) & 0xffff);
    this.cmd(n, CMD.RECV);
    return out;
  }

  isOpen(n: number): boolean {
    return this.status(n) !== SR.CLOSED;
  }

  dispose(): void {
    this.chip.dispose();
  }
}

export const ip4 = (s: string) => s.split('.').map(Number);
