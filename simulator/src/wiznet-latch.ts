// When a written WIZnet socket register takes effect. Some socket registers
// are double-buffered: a write goes to a pending copy, a read returns the
// committed copy, and a socket command commits it. The W5100 and the W5500
// lay these registers out at the same offsets of a socket's register block
// (W5100 datasheet v1.2 section 4.3, W5500 datasheet v1.0.9 section 4.3), so
// both chip models keep one SocketLatch per socket over that block.
//
// Commit points (the evidence is summarised per register below):
//   Sn_TX_WR  at SEND and SEND_MAC, only in a state that can send (UDP, IPRAW,
//             MACRAW, ESTABLISHED, CLOSE_WAIT). W5100 datasheet v1.2.x, Sn_TX_WR
//             (0x0424) caution: "changes only after SEND has executed"; W5500:
//             hardware reports in kellerkindt/w5500 issue #44 and
//             PeterBorisenko/w5500-lwip-freertos issue #4; the Arduino Ethernet
//             library's UDP path (EthernetUdp.cpp write, socket.cpp write_data)
//             only works this way; MAME w5100_socket.cpp command_send.
//   Sn_RX_RD  at RECV. W5200 datasheet p.40 (same caution for Sn_RX_RD); W5500
//             datasheet p.55 (RECV "notifies" the chip of the new RX_RD); MAME
//             command_recv. RECV raises Sn_IR.RECV again while data remains
//             (MAME command_recv).
//   Sn_DIPR,  at CONNECT (TCP), SEND on UDP/IPRAW, SEND_MAC, and OPEN of a
//   Sn_DPORT  multicast UDP socket. WIZnet's answer in forum.wiznet.io topic 232
//             (destination readable after SEND or once CONNECT established);
//             MAME before_send / command_open. For the W5500 no report says
//             either way; its drivers never read them back before the command.
//   Sn_DHAR   at SEND_MAC, SEND on multicast UDP and OPEN of a multicast UDP
//             socket (MAME command_send_mac, before_send, command_open).
//   Sn_MSSR   at OPEN, where 0 or more than the protocol allows becomes the
//             protocol's maximum (TCP 1460, UDP 1472, IPRAW 1480, MACRAW 1514;
//             MAME command_open and its MAX_MSS_* constants).
// OPEN zeroes TX_RD, TX_WR, RX_RD and RX_WR, committed and pending alike
// (W5100 datasheet 4.3 Sn_CR OPEN; W5500 datasheet p.54-55). Zeroing the
// pending RX_RD too is this model's choice (MAME leaves it alone): a reopened
// socket then starts clean whatever the last RX_RD write was. A peer accepted on LISTEN fills
// Sn_DIPR/Sn_DPORT in directly, readable at once (EthernetClient::remoteIP
// reads them).
import {
  CMD,
  SR,
  Sn_DHAR,
  Sn_DIPR,
  Sn_DPORT,
  Sn_MR_IPRAW,
  Sn_MR_MACRAW,
  Sn_MR_MULTI,
  Sn_MR_PROTO,
  Sn_MR_TCP,
  Sn_MR_UDP,
  Sn_MSSR,
  Sn_RX_RD,
  Sn_RX_WR,
  Sn_TX_RD,
  Sn_TX_WR,
} from './wiznet-chip.ts';

const MAX_MSS: Record<number, number> = {
  [Sn_MR_TCP]: 1460,
  [Sn_MR_UDP]: 1472,
  [Sn_MR_IPRAW]: 1480,
  [Sn_MR_MACRAW]: 1514,
};
/** Bytes past the last latched register. */
const SPAN = Sn_RX_RD + 2;
const LATCHED = new Uint8Array(SPAN);
for (const [off, len] of [
  [Sn_DHAR, 6],
  [Sn_DIPR, 4],
  [Sn_DPORT, 2],
  [Sn_MSSR, 2],
  [Sn_TX_WR, 2],
  [Sn_RX_RD, 2],
]) {
  LATCHED.fill(1, off, off + len);
}
const SENDABLE: ReadonlySet<number> = new Set([SR.UDP, SR.IPRAW, SR.MACRAW, SR.ESTABLISHED, SR.CLOSE_WAIT]);

export class SocketLatch {
  private readonly pending = new Uint8Array(SPAN);

  /** regs: the socket's register block as the host reads it (the committed values). */
  constructor(private readonly regs: Uint8Array) {
    this.reset();
  }

  /** After a chip reset: the pending copies equal the committed reset values. */
  reset(): void {
    this.pending.set(this.regs.subarray(0, SPAN));
  }

  /** True if a write to this offset waits for a command. */
  latched(off: number): boolean {
    return off < SPAN && LATCHED[off] === 1;
  }

  write(off: number, value: number): void {
    this.pending[off] = value;
  }

  /** The written-but-not-committed value of a 16-bit register (for inspection). */
  pending16(off: number): number {
    return (this.pending[off] << 8) | this.pending[off + 1];
  }

  /**
   * Commits what cmd commits. sr is Sn_SR and mr is Sn_MR when the command is
   * issued, before the command changes anything.
   */
  command(cmd: number, sr: number, mr: number): void {
    const udp = sr === SR.UDP,
      multicast = udp && (mr & Sn_MR_MULTI) !== 0;
    switch (cmd) {
      case CMD.OPEN: {
        for (const off of [Sn_TX_RD, Sn_TX_WR, Sn_RX_RD, Sn_RX_WR]) {
          this.set16(off, 0);
          this.pending.fill(0, off, off + 2);
        }
        const max = MAX_MSS[mr & Sn_MR_PROTO] ?? 0;
        const mss = this.pending16(Sn_MSSR);
        this.set16(Sn_MSSR, mss === 0 || mss > max ? max : mss);
        if ((mr & Sn_MR_PROTO) === Sn_MR_UDP && mr & Sn_MR_MULTI) this.commit(Sn_DHAR, 6).commit(Sn_DIPR, 6);
        break;
      }
      case CMD.CONNECT:
        if (sr === SR.INIT) this.commit(Sn_DIPR, 6); // DIPR and DPORT are adjacent
        break;
      case CMD.SEND:
        if (!SENDABLE.has(sr)) break;
        this.commit(Sn_TX_WR, 2);
        if (udp || sr === SR.IPRAW) this.commit(Sn_DIPR, 6);
        if (multicast) this.commit(Sn_DHAR, 6);
        break;
      case CMD.SEND_MAC:
        if (!udp && sr !== SR.IPRAW) break;
        this.commit(Sn_TX_WR, 2).commit(Sn_DHAR, 6).commit(Sn_DIPR, 6);
        break;
      case CMD.RECV:
        this.commit(Sn_RX_RD, 2);
        break;
    }
  }

  /** An accepted peer's address, written straight into the committed and pending copies. */
  setDestination(ip: number, port: number): void {
    const bytes = [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255, port >> 8, port & 255];
    this.regs.set(bytes, Sn_DIPR);
    this.pending.set(bytes, Sn_DIPR);
  }

  private commit(off: number, len: number): this {
    this.regs.set(this.pending.subarray(off, off + len), off);
    return this;
  }

  private set16(off: number, v: number) {
    this.regs[off] = (v >> 8) & 0xff;
    this.regs[off + 1] = v & 0xff;
  }
}
