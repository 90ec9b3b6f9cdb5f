// WIZnet W5100 on the Uno's SPI (Ethernet shield, chip select D10 = PB2):
// the register file, the 8 KB TX and 8 KB RX buffer memory and the socket
// commands, per the W5100 datasheet v1.2. Socket traffic goes through
// SocketBridge (wiznet-sockets.ts), which sees the chip as a WiznetChip
// (wiznet-chip.ts), to loopback services chosen by NetMap. Sn_TX_WR, Sn_RX_RD,
// Sn_DIPR, Sn_DPORT, Sn_DHAR and Sn_MSSR take effect at a socket command, as
// on the real chip: until then a read returns the committed value
// (wiznet-latch.ts lists each commit point and its source).
//
//   const chip = new W5100(board, { connectLatencyUs: 300 }, { network: '192.168.7.0' });
//   chip.map('192.168.7.2', 80, '127.0.0.1', httpPort, { resetAfter: 1000 });  // faults optional
//   chip.net.listen(80, 0); await chip.listeningPort(n)   // a LISTENing socket's loopback port
//   chip.net.unmapped = 'refuse' | 'timeout'; chip.net.faults = {...}       // global policy
//   chip.dhcp.mode = 'serve' | 'refuse' | 'silent'; chip.dns.add('pmproxy.lan', '192.168.7.2')
//   chip.link = false                                    // PHY down: ARP and DHCP go unanswered
//   chip.stats[n]  {bytesIn, bytesOut, connects, udpDropped, commands: {OPEN: 1, ...}}
//   chip.hostPaused(n)                                   // socket n's peer paused: RX backlog
//   new W5100(other, {}, { net: chip.net, dhcp: chip.dhcp, dns: chip.dns })  // one LAN, two chips
//   chip.dispose()                                       // closes every host socket
// The host (a Board, or a bare CPU + AVRSPI + PORTB) may offer hold() to pause
// simulated time during host I/O, and 'reset' events (power/external resets
// reset the chip too, as the shield's reset line follows the Uno's RESET).
import type { DhcpServer } from './dhcp-server.ts';
import type { DnsServer } from './dns-server.ts';
import type { Faults, LanOptions, Mapping, NetMap } from './netmap.ts';
import { bridgeSockets, newLan, type SocketBridge } from './wiznet-sockets.ts';
import { SocketLatch } from './wiznet-latch.ts';
import { WiznetPort, wiznetConfig, type WiznetConfig, type WiznetHost } from './wiznet-host.ts';
import { newSocketStats, type LanServices, type SocketStats, type WiznetChip } from './wiznet-chip.ts';
import {
  BUF_TOTAL,
  GAR,
  IR,
  MEM_SIZE,
  MR,
  MR_RST,
  PTIMER,
  RCR,
  RMSR,
  RTR,
  RX_BASE,
  SIPR,
  SOCKETS,
  SOCKET_BASE,
  SOCKET_STRIDE,
  SUBR,
  Sn_CR,
  Sn_DHAR,
  Sn_DIPR,
  Sn_DPORT,
  Sn_IR,
  Sn_MR,
  Sn_MR_PROTO,
  Sn_PORT,
  Sn_RX_RD,
  Sn_RX_RSR,
  Sn_RX_WR,
  Sn_SR,
  Sn_TTL,
  Sn_TX_FSR,
  Sn_TX_RD,
  Sn_TX_WR,
  TMSR,
  TX_BASE,
  UIPR,
  UPORT,
  OP_READ,
  OP_WRITE,
  IR_CONFLICT,
  IR_UNREACH,
  IR_PPPOE,
} from './w5100-regs.ts';

export * from './w5100-regs.ts';
export type { SocketStats } from './wiznet-chip.ts';

export type W5100Config = WiznetConfig;
export const w5100Config: W5100Config = wiznetConfig;
/** The board parts the chip is wired to (a Board or a bare avr8js harness). */
export type W5100Host = WiznetHost;

const IR_WRITE_CLEAR = IR_CONFLICT | IR_UNREACH | IR_PPPOE;

function resetValues(mem: Uint8Array) {
  mem.fill(0);
  mem[RTR] = 0x07;
  mem[RTR + 1] = 0xd0;
  mem[RCR] = 8;
  mem[RMSR] = 0x55;
  mem[TMSR] = 0x55;
  mem[PTIMER] = 0x28;
  for (let n = 0; n < SOCKETS; n++) {
    const b = SOCKET_BASE + n * SOCKET_STRIDE;
    mem.fill(0xff, b + Sn_DHAR, b + Sn_DHAR + 6);
    mem[b + Sn_TTL] = 0x80;
  }
}

export class W5100 implements WiznetChip {
  readonly name = 'W5100';
  readonly socketCount = SOCKETS;
  /** The register file and buffer memory, for inspection (the firmware changes it over SPI). */
  readonly mem = new Uint8Array(MEM_SIZE);
  readonly net: NetMap;
  readonly dhcp: DhcpServer;
  readonly dns: DnsServer;
  readonly stats: readonly SocketStats[];
  /** PHY link. The W5100 has no link-status register: firmware only sees a dead link as timeouts. */
  link = true;
  frames = 0;
  droppedFrames = 0;
  readonly config: W5100Config;

  private readonly sockets: readonly SocketBridge[];
  private readonly txBase = new Uint16Array(SOCKETS);
  private readonly txSize = new Uint16Array(SOCKETS);
  private readonly rxBase = new Uint16Array(SOCKETS);
  private readonly rxSize = new Uint16Array(SOCKETS);
  /** Registers that take effect at a socket command (wiznet-latch.ts), one latch per socket over its block. */
  private readonly latches: readonly SocketLatch[];

  private readonly port: WiznetPort;
  private frameIndex = 0;
  private readonly frameBytes = new Uint8Array(3);

  /** lan: options for a LAN of the chip's own, or the services of one it shares with another chip. */
  constructor(
    readonly host: W5100Host,
    config: Partial<W5100Config> = {},
    lan: Partial<LanOptions> | LanServices = {},
  ) {
    this.config = { ...w5100Config, ...config };
    const services = 'net' in lan ? lan : newLan(lan);
    this.net = services.net;
    this.dhcp = services.dhcp;
    this.dns = services.dns;
    this.stats = Array.from({ length: SOCKETS }, newSocketStats);
    this.latches = Array.from(
      { length: SOCKETS },
      (_, n) => new SocketLatch(this.mem.subarray(this.sreg(n, 0), this.sreg(n, SOCKET_STRIDE))),
    );
    this.sockets = bridgeSockets(this, services, this.config, this.stats);
    this.port = new WiznetPort(host, this.config, this.name, this);
    this.hardReset();
  }

  // ---- host-side API --------------------------------------------------------

  map(simIp: string, simPort: number, host: string, port: number, faults: Faults = {}): Mapping {
    return this.net.map(simIp, simPort, host, port, faults);
  }

  /** Socket n's loopback port while it listens (after LISTEN has bound it). */
  listeningPort(n: number): Promise<number> {
    return this.sockets[n].listening();
  }

  /** True while socket n's loopback peer is paused because the firmware is not reading fast enough. */
  hostPaused(n: number): boolean {
    return this.sockets[n].hostPaused;
  }

  /** Pin reset of the chip (and power-up): every register and socket back to its reset value. */
  hardReset(): void {
    for (const s of this.sockets) s.close();
    this.port.clear();
    resetValues(this.mem);
    for (const l of this.latches) l.reset();
    this.layoutBuffers();
  }

  /** Closes every host socket and server; call when the simulation ends. */
  dispose(): void {
    for (const s of this.sockets) s.close();
  }

  // ---- SPI ------------------------------------------------------------------

  /** CS edge: a frame cut short is dropped. */
  csEdge(_low: boolean): void {
    if (this.frameIndex !== 0) this.droppedFrames++;
    this.frameIndex = 0;
  }

  /** One byte clocked in while CS is low; returns what the chip drives on MISO. */
  spiByte(mosi: number): number {
    const i = this.frameIndex;
    if (i < 3) {
      this.frameBytes[i] = mosi;
      this.frameIndex = i + 1;
      const op = this.frameBytes[0];
      return i > 0 && (op === OP_WRITE || op === OP_READ) ? i : 0;
    }
    this.frameIndex = 0;
    const [op, hi, lo] = this.frameBytes;
    return this.frame(op, (hi << 8) | lo, mosi);
  }

  /** A whole 4-byte frame; returns the 4th MISO byte. Foreign opcodes (W5200/W5500 probes) read as 0. */
  frame(op: number, addr: number, data: number): number {
    this.frames++;
    if (op === OP_WRITE) {
      this.write(addr, data);
      return 3;
    }
    if (op === OP_READ) return this.read(addr);
    return 0;
  }

  // ---- registers ------------------------------------------------------------

  private read(addr: number): number {
    const mem = this.mem;
    if (addr >= MEM_SIZE) return 0;
    if (addr === IR) return (mem[IR] & IR_WRITE_CLEAR) | this.socketInterrupts();
    if (addr >= SOCKET_BASE && addr < SOCKET_BASE + SOCKETS * SOCKET_STRIDE) {
      const n = (addr - SOCKET_BASE) >> 8,
        off = addr & 0xff;
      if (off === Sn_TX_FSR || off === Sn_TX_FSR + 1) return this.byteOf(this.txFree(n), off - Sn_TX_FSR);
      if (off === Sn_RX_RSR || off === Sn_RX_RSR + 1) {
        const rsr = this.rxUsed(n);
        if (rsr === 0) this.sockets[n].waitingForData();
        return this.byteOf(rsr, off - Sn_RX_RSR);
      }
    }
    return mem[addr];
  }

  private write(addr: number, value: number): void {
    const mem = this.mem;
    if (addr >= MEM_SIZE) return;
    if (addr === MR) {
      if (value & MR_RST) this.hardReset();
      else mem[MR] = value;
      return;
    }
    if (addr === IR) {
      mem[IR] &= ~(value & IR_WRITE_CLEAR);
      return;
    }
    if (addr === RMSR || addr === TMSR) {
      mem[addr] = value;
      this.layoutBuffers();
      return;
    }
    if (addr >= UIPR && addr < UPORT + 2) return; // read-only
    if (addr >= SOCKET_BASE && addr < SOCKET_BASE + SOCKETS * SOCKET_STRIDE) {
      const n = (addr - SOCKET_BASE) >> 8,
        off = addr & 0xff;
      if (this.latches[n].latched(off)) {
        this.latches[n].write(off, value);
        return;
      }
      switch (off) {
        case Sn_CR:
          this.command(n, value);
          return;
        case Sn_IR:
          mem[addr] &= ~value;
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
      }
    }
    mem[addr] = value;
  }

  private byteOf(v: number, i: number) {
    return i === 0 ? v >> 8 : v & 0xff;
  }

  private socketInterrupts() {
    let bits = 0;
    for (let n = 0; n < SOCKETS; n++) if (this.mem[this.sreg(n, Sn_IR)]) bits |= 1 << n;
    return bits;
  }

  /** RMSR/TMSR: 2 bits per socket (1, 2, 4 or 8 KB), allocated in order from socket 0 until 8 KB are used. */
  private layoutBuffers() {
    const alloc = (msr: number, base: Uint16Array, size: Uint16Array, start: number) => {
      let used = 0;
      for (let n = 0; n < SOCKETS; n++) {
        const want = 1024 << ((msr >> (2 * n)) & 3);
        const got = used + want <= BUF_TOTAL ? want : 0;
        base[n] = start + used;
        size[n] = got;
        used += got;
      }
    };
    alloc(this.mem[TMSR], this.txBase, this.txSize, TX_BASE);
    alloc(this.mem[RMSR], this.rxBase, this.rxSize, RX_BASE);
  }

  private sreg(n: number, off: number): number {
    return SOCKET_BASE + n * SOCKET_STRIDE + off;
  }
  private get16(n: number, off: number): number {
    const a = this.sreg(n, off);
    return (this.mem[a] << 8) | this.mem[a + 1];
  }
  private set16(n: number, off: number, v: number): void {
    const a = this.sreg(n, off);
    this.mem[a] = (v >> 8) & 0xff;
    this.mem[a + 1] = v & 0xff;
  }
  private get16c(addr: number) {
    return (this.mem[addr] << 8) | this.mem[addr + 1];
  }
  private get32c(addr: number): number {
    const m = this.mem;
    return ((m[addr] << 24) | (m[addr + 1] << 16) | (m[addr + 2] << 8) | m[addr + 3]) >>> 0;
  }

  private txFree(n: number): number {
    return (this.txSize[n] - ((this.get16(n, Sn_TX_WR) - this.get16(n, Sn_TX_RD)) & 0xffff)) & 0xffff;
  }
  private rxUsed(n: number): number {
    return (this.get16(n, Sn_RX_WR) - this.get16(n, Sn_RX_RD)) & 0xffff;
  }

  // ---- WiznetChip: what SocketBridge sees -------------------------------------

  protocol(n: number): number {
    return this.mem[this.sreg(n, Sn_MR)] & Sn_MR_PROTO;
  }
  status(n: number): number {
    return this.mem[this.sreg(n, Sn_SR)];
  }
  setStatus(n: number, sr: number): void {
    this.mem[this.sreg(n, Sn_SR)] = sr;
  }
  raise(n: number, bits: number): void {
    this.mem[this.sreg(n, Sn_IR)] |= bits;
  }
  sourcePort(n: number): number {
    return this.get16(n, Sn_PORT);
  }
  destIp(n: number): number {
    return this.get32c(this.sreg(n, Sn_DIPR));
  }
  destPort(n: number): number {
    return this.get16(n, Sn_DPORT);
  }
  setDestination(n: number, ip: number, port: number): void {
    this.latches[n].setDestination(ip, port);
  }

  sourceIp(): number {
    return this.get32c(SIPR);
  }
  subnetMask(): number {
    return this.get32c(SUBR);
  }
  gatewayIp(): number {
    return this.get32c(GAR);
  }

  /** W5100 datasheet: ARP gives up after RTR x (RCR + 1). In microseconds. */
  arpTimeoutUs(): number {
    return this.get16c(RTR) * 100 * (this.mem[RCR] + 1);
  }

  /** W5100 datasheet: TCP retransmissions double RTR (capped below 0x10000) for RCR + 1 tries. In microseconds. */
  tcpTimeoutUs(): number {
    let rto = this.get16c(RTR),
      total = 0;
    for (let i = 0; i <= this.mem[RCR]; i++) {
      total += rto;
      if (rto * 2 <= 0xffff) rto *= 2;
    }
    return total * 100;
  }

  /** Takes the bytes between TX_RD and TX_WR out of the TX ring and advances TX_RD (the SEND command). */
  takeTx(n: number): Uint8Array {
    const rd = this.get16(n, Sn_TX_RD),
      wr = this.get16(n, Sn_TX_WR);
    const len = Math.min((wr - rd) & 0xffff, this.txSize[n]);
    const out = new Uint8Array(len),
      mask = this.txSize[n] - 1;
    for (let i = 0; i < len; i++) out[i] = this.mem[this.txBase[n] + ((rd + i) & mask)];
    this.set16(n, Sn_TX_RD, (rd + len) & 0xffff);
    return out;
  }

  /** Appends bytes to the RX ring at RX_WR. */
  pushRx(n: number, bytes: Uint8Array): void {
    const wr = this.get16(n, Sn_RX_WR),
      mask = this.rxSize[n] - 1;
    for (let i = 0; i < bytes.length; i++) this.mem[this.rxBase[n] + ((wr + i) & mask)] = bytes[i];
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

  // ---- commands -------------------------------------------------------------

  private command(n: number, cmd: number) {
    this.latches[n].command(cmd, this.status(n), this.mem[this.sreg(n, Sn_MR)]);
    this.sockets[n].command(cmd, this.rxUsed(n) > 0);
  }
}
