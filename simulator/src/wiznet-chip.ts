// The contract between a WIZnet chip model's register file (W5100 today, a
// W5500 next) and SocketBridge (wiznet-sockets.ts), which carries the chip's
// sockets to loopback. The bridge sees a socket only by meaning (its mode,
// status, ports, destination, interrupt bits, TX and RX buffers) and never a
// register address, an SPI frame or a buffer layout: those differ between
// chips, the socket state machine does not. The LAN around the chip (NetMap
// with its fault injection, the DHCP and DNS servers) and the statistics are
// handed to the bridge explicitly, so chips can share them.
import type { DhcpServer } from './dhcp-server.ts';
import type { DnsServer } from './dns-server.ts';
import type { NetMap } from './netmap.ts';

// Codes the WIZnet family shares (W5100 datasheet v1.2 section 4.2, W5500
// datasheet v1.0.9 section 4.2): Sn_MR protocol, Sn_SR status, Sn_IR bits.
export const Sn_MR_CLOSE = 0,
  Sn_MR_TCP = 1,
  Sn_MR_UDP = 2,
  Sn_MR_IPRAW = 3,
  Sn_MR_MACRAW = 4;
export const SR = {
  CLOSED: 0x00,
  INIT: 0x13,
  LISTEN: 0x14,
  SYNSENT: 0x15,
  SYNRECV: 0x16,
  ESTABLISHED: 0x17,
  FIN_WAIT: 0x18,
  CLOSING: 0x1a,
  TIME_WAIT: 0x1b,
  CLOSE_WAIT: 0x1c,
  LAST_ACK: 0x1d,
  UDP: 0x22,
  IPRAW: 0x32,
  MACRAW: 0x42,
} as const;
export const SnIR_SEND_OK = 0x10,
  SnIR_TIMEOUT = 0x08,
  SnIR_RECV = 0x04,
  SnIR_DISCON = 0x02,
  SnIR_CON = 0x01;
// Socket register offsets within a socket's register block, the same on both
// chips (W5100 datasheet 4.3 from 0x0400 + n * 0x100; W5500 datasheet 4.3 in
// block BSB 4n+1); Sn_PROTO (W5100 0x14) and the W5500's extras are per chip.
export const Sn_MR = 0x00,
  Sn_CR = 0x01,
  Sn_IR = 0x02,
  Sn_SR = 0x03,
  Sn_PORT = 0x04,
  Sn_DHAR = 0x06,
  Sn_DIPR = 0x0c,
  Sn_DPORT = 0x10,
  Sn_MSSR = 0x12,
  Sn_TOS = 0x15,
  Sn_TTL = 0x16,
  Sn_TX_FSR = 0x20,
  Sn_TX_RD = 0x22,
  Sn_TX_WR = 0x24,
  Sn_RX_RSR = 0x26,
  Sn_RX_RD = 0x28,
  Sn_RX_WR = 0x2a;
/** Sn_MR protocol, low nibble (Arduino writes 0x21: TCP with the no-delayed-ACK flag). */
export const Sn_MR_PROTO = 0x0f;
/** Sn_MR bit 7: MULTI, multicast for a UDP socket. */
export const Sn_MR_MULTI = 0x80;
/** Socket commands written to Sn_CR (both datasheets, section 4.3). */
export const CMD = {
  OPEN: 0x01,
  LISTEN: 0x02,
  CONNECT: 0x04,
  DISCON: 0x08,
  CLOSE: 0x10,
  SEND: 0x20,
  SEND_MAC: 0x21,
  SEND_KEEP: 0x22,
  RECV: 0x40,
} as const;

/** What a chip's register file offers its sockets' host side. Socket numbers run from 0 to socketCount - 1. */
export interface WiznetChip {
  /** The chip's name in hold reasons and errors ('W5100'). */
  readonly name: string;
  readonly socketCount: number;
  /** PHY link: while down, ARP and every datagram go unanswered. */
  readonly link: boolean;

  // ---- one socket's registers, by meaning ----------------------------------
  /** Sn_MR's protocol (Sn_MR_TCP, Sn_MR_UDP, ...). */
  protocol(n: number): number;
  /** Sn_SR. */
  status(n: number): number;
  setStatus(n: number, sr: number): void;
  /** Sets bits in Sn_IR (SnIR_CON, SnIR_RECV, ...). */
  raise(n: number, bits: number): void;
  /** Sn_PORT: the socket's own port. */
  sourcePort(n: number): number;
  /** Sn_DIPR as a 32-bit address. */
  destIp(n: number): number;
  /** Sn_DPORT. */
  destPort(n: number): number;
  /** Sn_DIPR and Sn_DPORT, as an accepted peer fills them in. */
  setDestination(n: number, ip: number, port: number): void;

  // ---- the chip's own addressing and retry timers ----------------------------
  /** SIPR, SUBR and GAR as 32-bit addresses. */
  sourceIp(): number;
  subnetMask(): number;
  gatewayIp(): number;
  /** Simulated time until an unanswered ARP request gives up (RTR, RCR), in microseconds. */
  arpTimeoutUs(): number;
  /** Simulated time until an unanswered SYN gives up (RTR doubling, RCR), in microseconds. */
  tcpTimeoutUs(): number;

  // ---- buffers ------------------------------------------------------------------
  /** SEND: the bytes between TX_RD and TX_WR; advances TX_RD past them. */
  takeTx(n: number): Uint8Array;
  /** Appends bytes to the RX buffer at RX_WR and advances it; the caller checks rxFree first and raises RECV. */
  pushRx(n: number, bytes: Uint8Array): void;
  /** Free bytes in socket n's RX buffer. */
  rxFree(n: number): number;

  // ---- time -------------------------------------------------------------------
  /** Runs fn after us of simulated time; a chip reset drops it. */
  schedule(us: number, fn: () => void): void;
  /** Pauses simulated time until the returned function is called; undefined if the host cannot pause. */
  hold(reason: string): (() => void) | undefined;
}

/** The LAN a chip sits on: shared by every socket, and by every chip on the same simulated network. */
export interface LanServices {
  /** Addresses, mappings to loopback and fault injection. */
  readonly net: NetMap;
  readonly dhcp: DhcpServer;
  readonly dns: DnsServer;
}

/** Simulated latencies and wall-clock caps of the host side. */
export interface BridgeTiming {
  /** Simulated time from a loopback connect (or accept) completing to Sn_SR changing. */
  connectLatencyUs: number;
  /** Simulated time from data reaching the host socket to it appearing in the RX buffer. */
  dataLatencyUs: number;
  /** Simulated time from SEND to SEND_OK, plus the wire time of the payload at linkMbps. */
  sendLatencyUs: number;
  linkMbps: number;
  /** Simulated round trip to the built-in DHCP and DNS servers. */
  serverLatencyUs: number;
  /** Wall-clock cap on a pause of simulated time waiting for a loopback peer (connect, first byte of a reply). */
  holdCapMs: number;
  /** Shorter cap once a reply has started: a peer quiet this long has probably finished (keep-alive). */
  quietHoldMs: number;
}

export const bridgeTiming: BridgeTiming = {
  connectLatencyUs: 300,
  dataLatencyUs: 100,
  sendLatencyUs: 20,
  linkMbps: 100,
  serverLatencyUs: 1000,
  holdCapMs: 500,
  quietHoldMs: 50,
};

/** Per-socket counters; the chip counts commands, the bridge the traffic. */
export interface SocketStats {
  bytesIn: number;
  bytesOut: number;
  connects: number;
  udpDropped: number;
  commands: Record<string, number>;
}

export const newSocketStats = (): SocketStats => ({
  bytesIn: 0,
  bytesOut: 0,
  connects: 0,
  udpDropped: 0,
  commands: {},
});
