// A TypeScript SPI master speaking the W5500's frames (address, control byte,
// data; W5500 datasheet 2.2) to the W5500 model on a bare avr8js bus
// (SpiBus), every byte through the AVR's SPI with chip select on D10, the way
// the Arduino Ethernet library drives the chip: whole buffers and multi-byte
// registers in one variable-length frame, buffer offsets = the pointers
// themselves (the chip wraps them inside the socket's buffer).
import type { LanOptions } from './netmap.ts';
import type { LanServices } from './wiznet-chip.ts';
import { SpiBus } from './spi-master.ts';
import {
  BSB_COMMON,
  CMD,
  OM_VDM,
  Sn_CR,
  Sn_RX_RD,
  Sn_RX_RSR,
  Sn_SR,
  Sn_TX_FSR,
  Sn_TX_WR,
  W5500,
  bsbReg,
  bsbRx,
  bsbTx,
  control,
  type W5500Config,
} from './w5500.ts';

export class W5500Master extends SpiBus {
  readonly chip: W5500;

  constructor(config: Partial<W5500Config> = {}, withHold = true, lan: Partial<LanOptions> | LanServices = {}) {
    super(withHold);
    this.chip = new W5500(this.host, config, lan);
  }

  // ---- frames ---------------------------------------------------------------

  /** One frame with CS low around it: header, then `data` (a write) or `n` dummy bytes (a read); returns the data-phase MISO. */
  frame(bsb: number, addr: number, write: boolean, data: readonly number[], om = OM_VDM): number[] {
    return this.transaction([addr >> 8, addr & 0xff, control(bsb, write, om), ...data]).slice(3);
  }

  read(bsb: number, addr: number, n: number): number[] {
    return this.frame(bsb, addr, false, new Array<number>(n).fill(0));
  }
  write(bsb: number, addr: number, bytes: ArrayLike<number>): void {
    this.frame(bsb, addr, true, Array.from(bytes));
  }

  // ---- common registers -----------------------------------------------------

  r(addr: number): number {
    return this.read(BSB_COMMON, addr, 1)[0];
  }
  w(addr: number, v: number): void {
    this.write(BSB_COMMON, addr, [v]);
  }
  r16(addr: number): number {
    const [h, l] = this.read(BSB_COMMON, addr, 2);
    return (h << 8) | l;
  }
  w16(addr: number, v: number): void {
    this.write(BSB_COMMON, addr, [v >> 8, v & 0xff]);
  }

  // ---- socket registers -----------------------------------------------------

  sr(n: number, off: number): number {
    return this.read(bsbReg(n), off, 1)[0];
  }
  sw(n: number, off: number, v: number): void {
    this.write(bsbReg(n), off, [v]);
  }
  sr16(n: number, off: number): number {
    const [h, l] = this.read(bsbReg(n), off, 2);
    return (h << 8) | l;
  }
  sw16(n: number, off: number, v: number): void {
    this.write(bsbReg(n), off, [v >> 8, v & 0xff]);
  }
  status(n: number): number {
    return this.sr(n, Sn_SR);
  }

  /** Like the library's execCmdSn: write Sn_CR, then wait until it reads 0. */
  cmd(n: number, c: number): void {
    this.sw(n, Sn_CR, c);
    if (this.sr(n, Sn_CR) !== 0) throw new Error('Sn_CR did not read back 0');
  }

  /**
   * socket.cpp write_data on a W5500 (socketBufferData, EthernetUdp::write):
   * reads TX_WR, writes the data in one frame at offset TX_WR + offset, then
   * TX_WR = the value read + offset + length. No SEND.
   */
  bufferData(n: number, offset: number, data: ArrayLike<number>): void {
    const ptr = (this.sr16(n, Sn_TX_WR) + offset) & 0xffff;
    this.write(bsbTx(n), ptr, data);
    this.sw16(n, Sn_TX_WR, (ptr + data.length) & 0xffff);
  }

  /** One whole message: bufferData, then SEND. */
  sendData(n: number, data: ArrayLike<number>): void {
    if (this.sr16(n, Sn_TX_FSR) < data.length) throw new Error('TX buffer full');
    this.bufferData(n, 0, data);
    this.cmd(n, CMD.SEND);
  }

  /** socket.cpp read_data + RECV: everything received so far (at most max), in one frame. */
  recvData(n: number, max = Infinity): number[] {
    const len = Math.min(this.sr16(n, Sn_RX_RSR), max);
    if (len === 0) return [];
    const rd = this.sr16(n, Sn_RX_RD);
    const out = this.read(bsbRx(n), rd, len);
    this.sw16(n, Sn_RX_RD, (rd + len) & 0xffff);
    this.cmd(n, CMD.RECV);
    return out;
  }

  dispose(): void {
    this.chip.dispose();
  }
}
