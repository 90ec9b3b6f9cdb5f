// WIZnet W5500 on the Uno's SPI (a W5500 Ethernet shield, chip select D10 =
// PB2): its SPI frame, common registers, 8 sockets with their register, TX and
// RX buffer blocks, per the W5500 datasheet v1.0.9 ("DS" below, with the
// section). Socket traffic goes through the same SocketBridge as the W5100's
// (wiznet-sockets.ts, seeing the chip as a WiznetChip), so the DHCP and DNS
// servers, the loopback-only rule, fault injection and statistics are shared.
//
//   const chip = new W5500(board);          // or new Board({ ..., shield: 'w5500' })
//   chip.map('192.168.7.2', 80, '127.0.0.1', port); chip.dhcp.mode = ...; chip.link = false
//   chip.stats[n], chip.frames, chip.onFrame = (f) => ...   // one call per SPI frame, for tests
//
// SPI frame (DS 2.2): address high, address low, a control byte
// (BSB[4:0] << 3 | RWB << 2 | OM[1:0]), then data at consecutive offsets. OM 0
// (variable length) lasts while SCSn is low; OM 1/2/3 end after 1/2/4 data
// bytes, and the next byte starts a new frame with SCSn still low. MISO reads
// 0x01 0x02 0x03 during the header (a phase counter seen on scopes, WIZnet
// forum topics 3721 and 8405), then the data of a read, 0x00 during a write.
// A W5100 frame (0xF0/0x0F, address, data) therefore reads offset 0xF0xx or
// 0x0Fxx of the common block (reserved: 0) and never writes, and the W5200
// probe's control byte 0x80 selects a reserved block: the Arduino Ethernet
// library's W5200 and W5100 probes fail cleanly on a W5500.
//
// Commit points (wiznet-latch.ts): Sn_TX_WR at SEND (established for the W5500
// too: kellerkindt/w5500 issue #44, PeterBorisenko/w5500-lwip-freertos issue #4),
// Sn_RX_RD at RECV (DS 4.3 Sn_RX_RD), Sn_DIPR/Sn_DPORT/Sn_DHAR/Sn_MSSR as on the W5100
// (no W5500 report either way).
import type { DhcpServer } from './dhcp-server.ts';
import type { DnsServer } from './dns-server.ts';
import type { Faults, LanOptions, Mapping, NetMap } from './netmap.ts';
import { bridgeSockets, newLan, type SocketBridge } from './wiznet-sockets.ts';
import { SocketLatch } from './wiznet-latch.ts';
import { WiznetPort, wiznetConfig, type WiznetConfig, type WiznetHost } from './wiznet-host.ts';
import {
  Sn_CR,
  Sn_DHAR,
  Sn_IR,
  Sn_MR,
  Sn_MR_MACRAW,
  Sn_MR_PROTO,
  Sn_MR_TCP,
  Sn_MR_UDP,
  Sn_PORT,
  Sn_RX_RD,
  Sn_RX_RSR,
  Sn_RX_WR,
  Sn_SR,
  Sn_TTL,
  Sn_TX_FSR,
  Sn_TX_RD,
  Sn_TX_WR,
  Sn_DIPR,
  Sn_DPORT,
  newSocketStats,
  type LanServices,
  type SocketStats,
  type WiznetChip,
} from './wiznet-chip.ts';

/** The socket registers and codes the two chips share, for the W5500's users. */
export * from './wiznet-chip.ts';

// ---- SPI control byte (DS 2.2.2, "Control Phase") ---------------------------
export const CTRL_BSB_SHIFT = 3,
  CTRL_RWB = 0x04,
  CTRL_OM = 0x03;
/** OM[1:0]: 0 = variable length (VDM), 1/2/3 = fixed 1/2/4 data bytes (FDM). */
export const OM_VDM = 0,
  OM_FDM1 = 1,
  OM_FDM2 = 2,
  OM_FDM4 = 3;
const FDM_LENGTH = [0, 1, 2, 4];
/** BSB[4:0] (DS 2.2.2 table): 0 common; socket n: 4n+1 registers, 4n+2 TX buffer, 4n+3 RX buffer; 4n+4 reserved. */
export const BSB_COMMON = 0x00;
export const bsbReg = (n: number) => 4 * n + 1,
  bsbTx = (n: number) => 4 * n + 2,
  bsbRx = (n: number) => 4 * n + 3;
/** Control byte of a frame: block, read or write, mode. */
export const control = (bsb: number, write: boolean, om = OM_VDM) =>
  (bsb << CTRL_BSB_SHIFT) | (write ? CTRL_RWB : 0) | om;

// ---- common register block (DS 3.1, 4.1) ------------------------------------
export const MR = 0x0000,
  GAR = 0x0001,
  SUBR = 0x0005,
  SHAR = 0x0009,
  SIPR = 0x000f,
  INTLEVEL = 0x0013,
  IR = 0x0015,
  IMR = 0x0016,
  SIR = 0x0017,
  SIMR = 0x0018,
  RTR = 0x0019,
  RCR = 0x001b,
  PTIMER = 0x001c,
  PMAGIC = 0x001d,
  PHAR = 0x001e,
  PSID = 0x0024,
  PMRU = 0x0026,
  UIPR = 0x0028,
  UPORTR = 0x002c,
  PHYCFGR = 0x002e,
  VERSIONR = 0x0039;
const COMMON_SIZE = 0x40;
/** MR (DS 4.1): RST resets every register and clears itself; WOL, PB (ping block), PPPoE, FARP (force ARP). */
export const MR_RST = 0x80,
  MR_WOL = 0x20,
  MR_PB = 0x10,
  MR_PPPOE = 0x08,
  MR_FARP = 0x02;
/** IR (DS 4.1): CONFLICT, UNREACH, PPPoE closed, MP (magic packet); write 1 to clear. Bits 3..0 reserved. */
export const IR_CONFLICT = 0x80,
  IR_UNREACH = 0x40,
  IR_PPPOE = 0x20,
  IR_MP = 0x10;
/** PHYCFGR (DS 4.1): RST (active low), OPMD (1: mode from OPMDC), OPMDC[2:0], then read-only DPX, SPD, LNK. */
export const PHYCFGR_RST = 0x80,
  PHYCFGR_OPMD = 0x40,
  PHYCFGR_OPMDC = 0x38,
  PHYCFGR_DPX = 0x04,
  PHYCFGR_SPD = 0x02,
  PHYCFGR_LNK = 0x01;
/** OPMDC 110: power down (DS 4.1 PHYCFGR). */
const OPMDC_POWER_DOWN = 0x30;
/** VERSIONR always reads 0x04 (DS 4.1). */
export const VERSION = 0x04;

// ---- socket register block extras (DS 4.3) ---------------------------------
export const Sn_RXBUF_SIZE = 0x1e,
  Sn_TXBUF_SIZE = 0x1f,
  Sn_IMR = 0x2c,
  Sn_FRAG = 0x2d,
  Sn_KPALVTR = 0x2f;
const SOCKET_REGS = 0x30;
export const SOCKETS = 8;
/** 16 KB of TX and 16 KB of RX memory shared by the sockets (DS 2.3, 4.3 Sn_RXBUF_SIZE). */
export const BUF_TOTAL = 0x4000;
/** Sizes Sn_RXBUF_SIZE/Sn_TXBUF_SIZE may hold, in KB (DS 4.3). */
const BUF_SIZES_KB = new Set([0, 1, 2, 4, 8, 16]);

export type W5500Config = WiznetConfig;
export const w5500Config: W5500Config = wiznetConfig;

/** One SPI frame as the chip saw it (for tests and tracing). */
export interface W5500Frame {
  block: number;
  addr: number;
  write: boolean;
  om: number;
  length: number;
}

const IR_WRITE_CLEAR = IR_CONFLICT | IR_UNREACH | IR_PPPOE | IR_MP;

export class W5500 implements WiznetChip {
  readonly name = 'W5500';
  readonly socketCount = SOCKETS;
  readonly common = new Uint8Array(COMMON_SIZE);
  /** Socket n's register block (offsets 0x00-0x2F). */
  readonly regs: readonly Uint8Array[] = Array.from({ length: SOCKETS }, () => new Uint8Array(SOCKET_REGS));
  readonly txMem = new Uint8Array(BUF_TOTAL);
  readonly rxMem = new Uint8Array(BUF_TOTAL);
  readonly net: NetMap;
  readonly dhcp: DhcpServer;
  readonly dns: DnsServer;
  readonly stats: readonly SocketStats[];
  /** The simulated cable: PHYCFGR.LNK follows it; while down, ARP and every datagram go unanswered. */
  link = true;
  /** Frames begun, and frames cut short by SCSn rising inside the header. */
  frames = 0;
  droppedFrames = 0;
  /** Called once per frame when it ends (SCSn high, or the fixed length reached). */
  onFrame: ((f: W5500Frame) => void) | undefined;
  /** Buffer size settings that did not fit 16 KB or were not a size the datasheet allows. */
  readonly warnings: string[] = [];
  readonly config: W5500Config;

  private readonly sockets: readonly SocketBridge[];
  private readonly latches: readonly SocketLatch[];
  private readonly port: WiznetPort;
  private readonly txBase = new Uint16Array(SOCKETS);
  private readonly txSize = new Uint16Array(SOCKETS);
  private readonly rxBase = new Uint16Array(SOCKETS);
  private readonly rxSize = new Uint16Array(SOCKETS);
  // Frame decoder: header bytes seen (0-2; 3 in the data phase), the header, data bytes so far.
  private phase = 0;
  private addr = 0;
  private ctrl = 0;
  private dataCount = 0;

  constructor(
    readonly host: WiznetHost,
    config: Partial<W5500Config> = {},
    lan: Partial<LanOptions> | LanServices = {},
  ) {
    this.config = { ...w5500Config, ...config };
    const services = 'net' in lan ? lan : newLan(lan);
    this.net = services.net;
    this.dhcp = services.dhcp;
    this.dns = services.dns;
    this.stats = Array.from({ length: SOCKETS }, newSocketStats);
    this.latches = this.regs.map((r) => new SocketLatch(r));
    this.sockets = bridgeSockets(this, services, this.config, this.stats);
    this.port = new WiznetPort(host, this.config, this.name, this);
    this.hardReset();
  }

  // ---- host-side API --------------------------------------------------------

  map(simIp: string, simPort: number, host: string, port: number, faults: Faults = {}): Mapping {
    return this.net.map(simIp, simPort, host, port, faults);
  }

  listeningPort(n: number): Promise<number> {
    return this.sockets[n].listening();
  }
  hostPaused(n: number): boolean {
    return this.sockets[n].hostPaused;
  }

  /** RSTn (and power-up), or MR.RST: every register and socket back to its reset value (DS 4.1, 4.3). */
  hardReset(): void {
    for (const s of this.sockets) s.close();
    this.port.clear();
    const c = this.common;
    c.fill(0);
    c[RTR] = 0x07;
    c[RTR + 1] = 0xd0; // 200 ms
    c[RCR] = 8;
    c[PTIMER] = 0x28;
    c[PMRU] = 0xff;
    c[PMRU + 1] = 0xff;
    c[PHYCFGR] = PHYCFGR_RST | PHYCFGR_OPMDC; // 0b10111xxx: all capable, auto-negotiation (DS 4.1)
    c[VERSIONR] = VERSION;
    for (let n = 0; n < SOCKETS; n++) {
      const r = this.regs[n];
      r.fill(0);
      r.fill(0xff, Sn_DHAR, Sn_DHAR + 6);
      r[Sn_TTL] = 0x80;
      r[Sn_RXBUF_SIZE] = 2;
      r[Sn_TXBUF_SIZE] = 2;
      r[Sn_IMR] = 0xff;
      r[Sn_FRAG] = 0x40;
      this.latches[n].reset();
    }
    this.layoutBuffers();
  }

  dispose(): void {
    for (const s of this.sockets) s.close();
  }

  // ---- SPI ------------------------------------------------------------------

  /** SCSn edge: a frame ends (DS 2.2.1: VDM frames are delimited by SCSn). */
  csEdge(_low: boolean): void {
    if (this.phase > 0 && this.phase < 3) this.droppedFrames++;
    else if (this.phase === 3) this.endFrame();
    this.phase = 0;
  }

  /** One byte clocked in while SCSn is low; returns what the chip drives on MISO. */
  spiByte(mosi: number): number {
    switch (this.phase) {
      case 0:
        this.addr = mosi << 8;
        this.phase = 1;
        return 0x01;
      case 1:
        this.addr |= mosi;
        this.phase = 2;
        return 0x02;
      case 2:
        this.ctrl = mosi;
        this.dataCount = 0;
        this.frames++;
        this.phase = 3;
        return 0x03;
    }
    const ctrl = this.ctrl,
      addr = (this.addr + this.dataCount) & 0xffff;
    this.dataCount++;
    let miso = 0;
    if (ctrl & CTRL_RWB) this.write(ctrl >> CTRL_BSB_SHIFT, addr, mosi);
    else miso = this.read(ctrl >> CTRL_BSB_SHIFT, addr);
    const om = ctrl & CTRL_OM;
    if (om !== OM_VDM && this.dataCount === FDM_LENGTH[om]) {
      this.endFrame();
      this.phase = 0;
    }
    return miso;
  }

  private endFrame() {
    const ctrl = this.ctrl;
    this.onFrame?.({
      block: ctrl >> CTRL_BSB_SHIFT,
      addr: this.addr,
      write: (ctrl & CTRL_RWB) !== 0,
      om: ctrl & CTRL_OM,
      length: this.dataCount,
    });
  }

  // ---- registers and buffers --------------------------------------------------

  /** A read of one byte at offset addr of block bsb. */
  read(bsb: number, addr: number): number {
    if (bsb === BSB_COMMON) return this.readCommon(addr);
    const n = bsb >> 2;
    switch (bsb & 3) {
      case 1:
        return this.readSocket(n, addr);
      case 2:
        return this.txSize[n] ? this.txMem[this.txBase[n] + (addr & (this.txSize[n] - 1))] : 0;
      case 3:
        return this.rxSize[n] ? this.rxMem[this.rxBase[n] + (addr & (this.rxSize[n] - 1))] : 0;
      default:
        return 0; // reserved block
    }
  }

  /** A write of one byte at offset addr of block bsb. */
  write(bsb: number, addr: number, value: number): void {
    if (bsb === BSB_COMMON) {
      this.writeCommon(addr, value);
      return;
    }
    const n = bsb >> 2;
    switch (bsb & 3) {
      case 1:
        this.writeSocket(n, addr, value);
        return;
      // The offset is the pointer itself; the chip takes it modulo the socket's buffer size (DS 4.3 Sn_TX_WR, Sn_RX_RD).
      case 2:
        if (this.txSize[n]) this.txMem[this.txBase[n] + (addr & (this.txSize[n] - 1))] = value;
        return;
      case 3:
        if (this.rxSize[n]) this.rxMem[this.rxBase[n] + (addr & (this.rxSize[n] - 1))] = value;
        return;
    }
  }

  private readCommon(addr: number): number {
    if (addr >= COMMON_SIZE) return 0;
    if (addr === SIR) return this.socketInterrupts();
    if (addr === PHYCFGR) return this.common[PHYCFGR] | this.phyStatus();
    return this.common[addr];
  }

  private writeCommon(addr: number, value: number): void {
    if (addr >= COMMON_SIZE) return;
    switch (addr) {
      case MR:
        if (value & MR_RST)
          this.hardReset(); // reads back 0 once done
        else this.common[MR] = value;
        return;
      case IR:
        this.common[IR] &= ~(value & IR_WRITE_CLEAR);
        return;
      // Read-only: SIR (a write of the W5100's RTR high byte lands here and is lost), UIPR, UPORTR, VERSIONR.
      case SIR:
      case VERSIONR:
        return;
      case PHYCFGR:
        this.common[PHYCFGR] = value & ~(PHYCFGR_DPX | PHYCFGR_SPD | PHYCFGR_LNK);
        return;
    }
    if (addr >= UIPR && addr < UPORTR + 2) return;
    if (addr > PHYCFGR) return; // reserved up to VERSIONR
    this.common[addr] = value;
  }

  /**
   * PHYCFGR's read-only bits: 100 Mb/s full duplex with the link up (reads 0xBF
   * by default), 0xBA with the cable out, as seen on real boards (WIZnet forum
   * topics 1828, 6238). The PHY is down while held in reset (RST = 0) or
   * powered down (OPMD with OPMDC 110).
   */
  private phyStatus(): number {
    const cfg = this.common[PHYCFGR];
    const powerDown = (cfg & PHYCFGR_OPMD) !== 0 && (cfg & PHYCFGR_OPMDC) === OPMDC_POWER_DOWN;
    if (!(cfg & PHYCFGR_RST) || powerDown) return 0;
    return this.link ? PHYCFGR_DPX | PHYCFGR_SPD | PHYCFGR_LNK : PHYCFGR_SPD;
  }

  private readSocket(n: number, off: number): number {
    if (off >= SOCKET_REGS) return 0;
    switch (off) {
      case Sn_CR:
        return 0; // reads 0 once the command is accepted (DS 4.3 Sn_CR)
      case Sn_TX_FSR:
      case Sn_TX_FSR + 1:
        return this.byteOf(this.txFree(n), off - Sn_TX_FSR);
      case Sn_RX_RSR:
      case Sn_RX_RSR + 1: {
        const rsr = this.rxUsed(n);
        if (rsr === 0) this.sockets[n].waitingForData();
        return this.byteOf(rsr, off - Sn_RX_RSR);
      }
    }
    return this.regs[n][off];
  }

  private writeSocket(n: number, off: number, value: number): void {
    if (off >= SOCKET_REGS) return;
    const latch = this.latches[n];
    if (latch.latched(off)) {
      latch.write(off, value);
      return;
    }
    const r = this.regs[n];
    switch (off) {
      case Sn_CR:
        this.command(n, value);
        return;
      case Sn_IR:
        r[Sn_IR] &= ~value;
        return;
      case Sn_SR:
      case Sn_TX_FSR:
      case Sn_TX_FSR + 1:
      case Sn_TX_RD:
      case Sn_TX_RD + 1:
      case Sn_RX_RSR:
      case Sn_RX_RSR + 1:
      case Sn_RX_WR:
      case Sn_RX_WR + 1:
        return; // read-only
      case 0x14:
      case 0x17:
      case 0x18:
      case 0x19:
      case 0x1a:
      case 0x1b:
      case 0x1c:
      case 0x1d:
        return; // reserved
      case Sn_RXBUF_SIZE:
      case Sn_TXBUF_SIZE:
        r[off] = value;
        this.layoutBuffers();
        return;
    }
    r[off] = value;
  }

  private byteOf(v: number, i: number) {
    return i === 0 ? v >> 8 : v & 0xff;
  }

  /** SIR bit n: socket n has an event its Sn_IMR lets through (DS 4.1 SIR, 4.3 Sn_IMR). */
  private socketInterrupts() {
    let bits = 0;
    for (let n = 0; n < SOCKETS; n++) if (this.regs[n][Sn_IR] & this.regs[n][Sn_IMR]) bits |= 1 << n;
    return bits;
  }

  /**
   * Socket n's buffers sit in the 16 KB memories in socket order (DS 2.3). A
   * total over 16 KB, or a size the datasheet does not list, is undefined on
   * the chip: here the sockets that do not fit (or ask for such a size) get no
   * buffer, and a warning is kept.
   */
  private layoutBuffers() {
    const alloc = (off: number, base: Uint16Array, size: Uint16Array, what: string) => {
      let used = 0;
      for (let n = 0; n < SOCKETS; n++) {
        const kb = this.regs[n][off];
        let got = kb * 1024;
        if (!BUF_SIZES_KB.has(kb)) {
          this.warnings.push(`socket ${n}: ${what} size ${kb} KB is not 0, 1, 2, 4, 8 or 16`);
          got = 0;
        }
        if (used + got > BUF_TOTAL) {
          this.warnings.push(`socket ${n}: ${what} buffers total more than 16 KB`);
          got = 0;
        }
        base[n] = used;
        size[n] = got;
        used += got;
      }
    };
    alloc(Sn_TXBUF_SIZE, this.txBase, this.txSize, 'TX');
    alloc(Sn_RXBUF_SIZE, this.rxBase, this.rxSize, 'RX');
  }

  private get16(n: number, off: number): number {
    const r = this.regs[n];
    return (r[off] << 8) | r[off + 1];
  }
  private set16(n: number, off: number, v: number): void {
    const r = this.regs[n];
    r[off] = (v >> 8) & 0xff;
    r[off + 1] = v & 0xff;
  }
  private get32(a: Uint8Array, off: number): number {
    return ((a[off] << 24) | (a[off + 1] << 16) | (a[off + 2] << 8) | a[off + 3]) >>> 0;
  }
  private common16(off: number): number {
    return (this.common[off] << 8) | this.common[off + 1];
  }

  private txFree(n: number): number {
    return Math.max(0, this.txSize[n] - ((this.get16(n, Sn_TX_WR) - this.get16(n, Sn_TX_RD)) & 0xffff));
  }
  private rxUsed(n: number): number {
    return (this.get16(n, Sn_RX_WR) - this.get16(n, Sn_RX_RD)) & 0xffff;
  }

  // ---- WiznetChip: what SocketBridge sees -------------------------------------

  /**
   * Sn_MR's protocol. The W5500 has TCP, UDP and MACRAW (socket 0) but no
   * IPRAW (DS 4.3 Sn_MR P[3:0]): any other value opens nothing.
   */
  protocol(n: number): number {
    const p = this.regs[n][Sn_MR] & Sn_MR_PROTO;
    return p === Sn_MR_TCP || p === Sn_MR_UDP || p === Sn_MR_MACRAW ? p : 0;
  }
  status(n: number): number {
    return this.regs[n][Sn_SR];
  }
  setStatus(n: number, sr: number): void {
    this.regs[n][Sn_SR] = sr;
  }
  raise(n: number, bits: number): void {
    this.regs[n][Sn_IR] |= bits;
  }
  sourcePort(n: number): number {
    return this.get16(n, Sn_PORT);
  }
  destIp(n: number): number {
    return this.get32(this.regs[n], Sn_DIPR);
  }
  destPort(n: number): number {
    return this.get16(n, Sn_DPORT);
  }
  setDestination(n: number, ip: number, port: number): void {
    this.latches[n].setDestination(ip, port);
  }

  sourceIp(): number {
    return this.get32(this.common, SIPR);
  }
  subnetMask(): number {
    return this.get32(this.common, SUBR);
  }
  gatewayIp(): number {
    return this.get32(this.common, GAR);
  }

  /** ARP gives up after RTR x (RCR + 1) (DS 4.1 RTR, RCR). In microseconds. */
  arpTimeoutUs(): number {
    return this.common16(RTR) * 100 * (this.common[RCR] + 1);
  }

  /** TCP retransmissions double RTR (capped below 0x10000) for RCR + 1 tries (DS 4.1 RTR). In microseconds. */
  tcpTimeoutUs(): number {
    let rto = this.common16(RTR),
      total = 0;
    for (let i = 0; i <= this.common[RCR]; i++) {
      total += rto;
      if (rto * 2 <= 0xffff) rto *= 2;
    }
    return total * 100;
  }

  takeTx(n: number): Uint8Array {
    const rd = this.get16(n, Sn_TX_RD),
      wr = this.get16(n, Sn_TX_WR),
      size = this.txSize[n];
    const len = Math.min((wr - rd) & 0xffff, size);
    const out = new Uint8Array(len),
      base = this.txBase[n],
      mask = size - 1;
    for (let i = 0; i < len; i++) out[i] = this.txMem[base + ((rd + i) & mask)];
    this.set16(n, Sn_TX_RD, (rd + len) & 0xffff);
    return out;
  }

  pushRx(n: number, bytes: Uint8Array): void {
    const wr = this.get16(n, Sn_RX_WR),
      base = this.rxBase[n],
      mask = this.rxSize[n] - 1;
    for (let i = 0; i < bytes.length; i++) this.rxMem[base + ((wr + i) & mask)] = bytes[i];
    this.set16(n, Sn_RX_WR, (wr + bytes.length) & 0xffff);
  }

  rxFree(n: number): number {
    return this.rxSize[n] - this.rxUsed(n);
  }

  schedule(us: number, fn: () => void): void {
    this.port.schedule(us, fn);
  }
  hold(reason: string): (() => void) | undefined {
    return this.port.hold(reason);
  }

  // ---- commands (DS 4.3 Sn_CR) ---------------------------------------------

  private command(n: number, cmd: number) {
    this.latches[n].command(cmd, this.status(n), this.regs[n][Sn_MR]);
    this.sockets[n].command(cmd, this.rxUsed(n) > 0);
  }
}
