// A scripted WIZnet W5200 on the Uno's SPI: just enough chip to answer a probe the
// way a real one does, so the firmware's report of a W5200 (found, not supported)
// can be tested. Not a simulator model: no sockets, no network.
//
// W5200 datasheet v1.x, "SPI frame": address high, address low, then the write bit
// (bit 7) with the data length's high 7 bits, the length's low byte, then that many
// data bytes at consecutive addresses. Only MR (0x0000) and VERSIONR (0x001F = 3)
// hold anything. Every byte is recorded, so a test can see which other chip's
// frames the W5200 was sent before it was probed.
import type { SpiHost } from './w5500-responder.ts';
import { PinState } from 'avr8js';

export const W5200_MR = 0x0000,
  W5200_VERSIONR = 0x001f,
  W5200_VERSION = 3;
const MR_RST = 0x80;

export interface W5200Frame {
  addr: number;
  write: boolean;
  data: number[];
}

export class W5200Responder {
  readonly frames: W5200Frame[] = [];
  mr = 0;
  private csLow = false;
  private head: number[] = [];
  private frame: W5200Frame | undefined;

  constructor(host: SpiHost) {
    const { cpu, spi, portB } = host;
    const csBit = host.pins?.get('ETH_CS')?.bit ?? 2;
    portB.addListener(() => {
      const low = portB.pinState(csBit) === PinState.Low;
      if (low !== this.csLow) {
        this.csLow = low;
        this.head = [];
        this.frame = undefined;
      }
    });
    const next = spi.onByte;
    spi.onByte = (mosi) => {
      if (!this.csLow) {
        next(mosi);
        return;
      }
      const miso = this.byte(mosi);
      cpu.addClockEvent(() => spi.completeTransfer(miso), spi.transferCycles);
    };
  }

  private byte(mosi: number): number {
    if (!this.frame) {
      this.head.push(mosi);
      if (this.head.length < 4) return 0;
      const [hi, lo, op] = this.head;
      this.frame = { addr: (hi << 8) | lo, write: (op & 0x80) !== 0, data: [] };
      this.frames.push(this.frame);
      return 0;
    }
    const f = this.frame;
    const addr = f.addr + f.data.length;
    f.data.push(mosi);
    if (f.write) {
      if (addr === W5200_MR) this.mr = mosi & MR_RST ? 0 : mosi; // RST clears itself
      return 0;
    }
    return addr === W5200_MR ? this.mr : addr === W5200_VERSIONR ? W5200_VERSION : 0;
  }
}
