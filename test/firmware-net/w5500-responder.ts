// A scripted WIZnet W5500 on the Uno's SPI: just enough chip to answer a
// probe the way a real one does, so the firmware's W5500 detection can be
// tested. Not a simulator model: no sockets, no network.
//
// W5500 datasheet v1.0.x, 2.2 "SPI frame": address high, address low, a control
// byte (BSB[4:0] << 3 | RWB << 2 | OM[1:0]), then data bytes at consecutive
// addresses. In variable length mode (OM 0) the frame lasts while CS is low;
// in the fixed modes (OM 1, 2, 3 = 1, 2, 4 bytes) it ends after that many.
// Only the common register block (BSB 0) holds anything: MR and VERSIONR = 4.
// A W5100 frame (0xF0/0x0F, addr16, data) reads as a W5500 read at 0xF0xx or
// 0x0Fxx: the reserved part of the common block, which reads 0.
//
//   const w = new W5500Responder(board);   // before the firmware probes
//   w.frames   // [{ block, addr, write, data: [...] }] one per frame
import type { AVRIOPort, AVRSPI, CPU } from 'avr8js';
import { PinState } from 'avr8js';

export const BSB_SHIFT = 3;
export const CTRL_RWB = 0x04; // 1 = write
export const CTRL_OM = 0x03;
const FIXED_LENGTH = [0, 1, 2, 4]; // by OM
export const BSB_COMMON = 0;
export const MR = 0x0000,
  MR_RST = 0x80;
export const VERSIONR = 0x0039,
  VERSION = 0x04;
const COMMON_SIZE = 0x40;

export interface W5500Frame {
  block: number;
  addr: number;
  write: boolean;
  data: number[];
}

export interface SpiHost {
  cpu: CPU;
  spi: AVRSPI;
  portB: AVRIOPort;
  pins?: ReadonlyMap<string, { port: string; bit: number }>;
}

export class W5500Responder {
  readonly common = new Uint8Array(COMMON_SIZE);
  readonly frames: W5500Frame[] = [];
  /** What VERSIONR reads, a soft reset included. */
  version = VERSION;
  private csLow = false;
  private head: number[] = [];
  private frame: W5500Frame | undefined;

  constructor(host: SpiHost, version = VERSION) {
    this.version = version;
    this.reset();
    const { cpu, spi, portB } = host;
    const csBit = host.pins?.get('ETH_CS')?.bit ?? 2;
    portB.addListener(() => {
      const low = portB.pinState(csBit) === PinState.Low;
      if (low !== this.csLow) {
        this.csLow = low;
        this.endFrame();
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

  /** Writes that reached a register (W5100-style probes must cause none). */
  get writes(): W5500Frame[] {
    return this.frames.filter((f) => f.write && f.data.length > 0);
  }

  private reset() {
    this.common.fill(0);
    this.common[VERSIONR] = this.version;
  }

  private endFrame() {
    this.head = [];
    this.frame = undefined;
  }

  /** One byte clocked in while CS is low; returns what goes out on MISO. */
  private byte(mosi: number): number {
    if (!this.frame) {
      this.head.push(mosi);
      if (this.head.length < 3) return 0;
      const [hi, lo, ctrl] = this.head;
      this.frame = { block: ctrl >> BSB_SHIFT, addr: (hi << 8) | lo, write: (ctrl & CTRL_RWB) !== 0, data: [] };
      this.frames.push(this.frame);
      return 0;
    }
    const f = this.frame;
    const addr = (f.addr + f.data.length) & 0xffff;
    f.data.push(mosi);
    let miso = 0;
    if (f.block === BSB_COMMON && addr < COMMON_SIZE) {
      if (f.write) this.writeCommon(addr, mosi);
      else miso = this.common[addr];
    }
    const om = this.head[2] & CTRL_OM;
    if (om && f.data.length === FIXED_LENGTH[om]) this.endFrame();
    return miso;
  }

  private writeCommon(addr: number, value: number) {
    if (addr === MR && value & MR_RST) {
      this.reset();
      return;
    } // RST clears itself
    this.common[addr] = value;
  }
}
