// One W5100 socket's life on the host side: TCP connections and listeners on
// loopback, UDP to the built-in DHCP/DNS servers or to mapped loopback ports.
//
// Timing. Everything the firmware can observe changes on simulated time via
// W5100.after (cpu.addClockEvent). Host I/O is asynchronous, so:
// - connect, listen and disconnect pause simulated time (W5100.hold) until the
//   host answers, then the state change lands connectLatencyUs later;
// - after a SEND (or an accept), a firmware that polls Sn_RX_RSR and finds it
//   empty pauses simulated time until the peer's next data, FIN or reset (for
//   at most holdCapMs of wall clock before the reply's first byte, quietHoldMs
//   after it; then the peer counts as quiet until the next SEND: a kept-alive
//   idle connection costs one such wait per request);
// - host events only run between the board's time slices, and whatever they
//   bring lands dataLatencyUs of simulated time later.
// So a firmware sees the same bytes, in the same order, with the same
// timeouts, however loaded the machine is.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { assertLoopback, type Faults, type Mapping } from './netmap.ts';
import type { W5100 } from './w5100.ts';
import {
  GAR, SIPR, SR, SUBR, Sn_DIPR, Sn_DPORT, Sn_MR_IPRAW, Sn_MR_MACRAW, Sn_MR_TCP, Sn_MR_UDP, Sn_PORT, SnIR_CON,
  SnIR_DISCON, SnIR_SEND_OK, SnIR_TIMEOUT,
} from './w5100-regs.ts';

/** Received bytes waiting beyond the RX ring before the host socket is paused. */
const HIGH_WATER = 8192;
const UDP_HEADER = 8;
const DHCP_SERVER_PORT = 67, DHCP_CLIENT_PORT = 68, DNS_PORT = 53;
const BROADCAST = 0xffffffff;

/** net.connect, but only ever to loopback. */
export function loopbackConnect(host: string, port: number): Socket {
  assertLoopback(host, 'connect to');
  return createConnection({ host, port, allowHalfOpen: true });
}

/** dgram send, but only ever to loopback. */
export function loopbackSend(sock: UdpSocket, data: Uint8Array, host: string, port: number): void {
  assertLoopback(host, 'send a datagram to');
  sock.send(data, port, host);
}

export class SocketBridge {
  /** Bumped whenever the socket is opened or closed; stale clock events check it. */
  generation = 0;
  private tcp: Socket | undefined;
  private server: Server | undefined;
  private udp: UdpSocket | undefined;
  private listenPromise: Promise<number> | undefined;
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private paused = false;
  private peerFin = false;
  private hostGone = false;
  private scheduled = false;
  private replyExpected = false;
  private replyStarted = false;
  private releaseHold: (() => void) | undefined;
  /** Holds for connect/listen still waiting on the host; close() lets them go. */
  private readonly opHolds = new Set<() => void>();
  private faults: Faults = {};
  private fromPeer = 0;

  constructor(private readonly chip: W5100, private readonly n: number) {}

  /** True while the host socket is paused because the firmware is not reading fast enough. */
  get hostPaused(): boolean { return this.paused; }

  // ---- commands -------------------------------------------------------------

  open(proto: number): void {
    const sr = proto === Sn_MR_TCP ? SR.INIT : proto === Sn_MR_UDP ? SR.UDP : proto === Sn_MR_IPRAW ? SR.IPRAW
      : proto === Sn_MR_MACRAW && this.n === 0 ? SR.MACRAW : SR.CLOSED;
    this.chip.setStatus(this.n, sr);
  }

  close(): void {
    this.generation++;
    this.tcp?.destroy();
    this.server?.close();
    this.udp?.close();
    this.tcp = this.server = this.udp = this.listenPromise = undefined;
    this.queue.length = 0;
    this.queued = 0;
    this.paused = this.peerFin = this.hostGone = this.scheduled = this.replyExpected = this.replyStarted = false;
    this.fromPeer = 0;
    this.faults = {};
    this.unhold();
    for (const release of this.opHolds) release();
  }

  private holdOp(reason: string): () => void {
    const release = this.chip.hold(reason);
    const done = () => { this.opHolds.delete(done); release(); };
    this.opHolds.add(done);
    return done;
  }

  connect(): void {
    const { chip, n } = this;
    if (chip.status(n) !== SR.INIT || chip.protocol(n) !== Sn_MR_TCP) return;
    const ip = chip.get32(n, Sn_DIPR), port = chip.get16(n, Sn_DPORT);
    chip.setStatus(n, SR.SYNSENT);
    chip.stats[n].connects++;
    const fail = (us: number) => chip.after(n, us, () => { chip.setStatus(n, SR.CLOSED); chip.raise(n, SnIR_TIMEOUT); });
    if (!this.arpResolves(ip)) { fail(chip.arpTimeoutUs()); return; }
    const m = chip.net.lookup(ip, port);
    const faults = chip.net.faultsFor(m);
    if (!m) { fail(chip.net.unmapped === 'timeout' ? chip.tcpTimeoutUs() : chip.config.connectLatencyUs); return; }
    if (faults.timeout) { fail(chip.tcpTimeoutUs()); return; }
    if (faults.refuse) { fail(chip.config.connectLatencyUs); return; }
    this.faults = faults;
    const release = this.holdOp('W5100 connect');
    const sock = loopbackConnect(m.host, m.port);
    this.tcp = sock;
    let connected = false;
    sock.once('connect', () => {
      connected = true;
      release();
      chip.after(n, chip.config.connectLatencyUs, () => {
        chip.setStatus(n, SR.ESTABLISHED);
        chip.raise(n, SnIR_CON);
        this.kick();
      });
    });
    sock.once('close', () => {
      release();
      if (connected || this.tcp !== sock) return;
      this.tcp = undefined;
      fail(chip.config.connectLatencyUs); // refused (RST to the SYN)
    });
    this.attach(sock);
  }

  listen(): void {
    const { chip, n } = this;
    if (chip.status(n) !== SR.INIT || chip.protocol(n) !== Sn_MR_TCP) return;
    chip.setStatus(n, SR.LISTEN);
    const simPort = chip.get16(n, Sn_PORT);
    const server = createServer({ allowHalfOpen: true });
    this.server = server;
    const release = this.holdOp('W5100 listen');
    const host = '127.0.0.1';
    assertLoopback(host, 'listen on');
    this.listenPromise = new Promise<number>((resolve, reject) => {
      server.once('error', (e) => { release(); reject(e); });
      server.listen(chip.net.listenPort(simPort) ?? 0, host, () => {
        release();
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : 0);
      });
    });
    this.listenPromise.catch(() => {}); // reported to whoever awaits listening()
    server.once('connection', (sock) => {
      server.close(); // a W5100 socket takes one peer; later SYNs are refused
      this.server = undefined;
      if (this.tcp || chip.status(n) !== SR.LISTEN) { sock.destroy(); return; }
      this.tcp = sock;
      this.faults = chip.net.faults;
      this.attach(sock);
      chip.after(n, chip.config.connectLatencyUs, () => {
        const ip = chip.net.lan.peer, a = chip.sreg(n, Sn_DIPR);
        chip.mem.set([ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255], a);
        chip.set16(n, Sn_DPORT, sock.remotePort ?? 0);
        chip.setStatus(n, SR.ESTABLISHED);
        chip.raise(n, SnIR_CON);
        this.replyExpected = true;
        this.kick();
      });
    });
  }

  listening(): Promise<number> {
    return this.listenPromise ?? Promise.reject(new Error(`W5100 socket ${this.n} is not listening`));
  }

  disconnect(): void {
    const { chip, n } = this;
    const sr = chip.status(n);
    if (sr === SR.ESTABLISHED || sr === SR.CLOSE_WAIT) {
      chip.setStatus(n, sr === SR.ESTABLISHED ? SR.FIN_WAIT : SR.LAST_ACK);
      if (this.tcp && !this.hostGone) {
        this.unhold();
        this.releaseHold = chip.hold('W5100 disconnect');
        this.tcp.end();
      } else {
        chip.after(n, chip.config.connectLatencyUs, () => chip.setStatus(n, SR.CLOSED));
      }
    } else if (sr === SR.SYNSENT || sr === SR.LISTEN || sr === SR.INIT) {
      this.close();
      chip.setStatus(n, SR.CLOSED);
    }
  }

  send(): void {
    const { chip, n } = this;
    const sr = chip.status(n);
    if (sr === SR.UDP) { this.sendUdp(chip.takeTx(n)); return; }
    if (sr !== SR.ESTABLISHED && sr !== SR.CLOSE_WAIT) return;
    const data = chip.takeTx(n);
    if (this.tcp && !this.hostGone && !this.tcp.destroyed) this.tcp.write(data);
    this.replyExpected = true;
    this.replyStarted = false;
    chip.after(n, this.sendUs(data.length), () => chip.raise(n, SnIR_SEND_OK));
  }

  /** RECV: the firmware freed RX space. */
  received(): void {
    if (this.queued > 0) this.kick();
  }

  /** The firmware found Sn_RX_RSR empty: if a reply is due, stop the clock until the peer says something. */
  waitingForData(): void {
    if (!this.replyExpected || this.releaseHold || this.scheduled || this.queued > 0) return;
    if (!this.tcp || this.hostGone || this.peerFin || this.chip.status(this.n) !== SR.ESTABLISHED) return;
    const cfg = this.chip.config;
    this.releaseHold = this.chip.hold('W5100 waiting for peer', () => {
      this.releaseHold = undefined;
      this.replyExpected = false; // the peer is quiet: don't stop the clock again until the next SEND
    }, this.replyStarted ? cfg.quietHoldMs : cfg.holdCapMs);
  }

  // ---- TCP data path --------------------------------------------------------

  private attach(sock: Socket) {
    sock.setNoDelay(true);
    sock.on('error', () => {}); // a reset shows up as 'close' without 'end'
    sock.on('data', (b: Buffer) => this.incoming(sock, b));
    sock.on('end', () => { if (this.tcp === sock) { this.peerFin = true; this.unhold(); this.kick(); } });
    sock.on('close', () => { if (this.tcp === sock) { this.hostGone = true; this.unhold(); this.kick(); } });
  }

  private incoming(sock: Socket, b: Buffer) {
    if (this.tcp !== sock) return;
    this.unhold();
    const limit = this.faults.resetAfter ?? this.faults.closeAfter;
    if (limit !== undefined && this.fromPeer + b.length >= limit) {
      b = b.subarray(0, Math.max(0, limit - this.fromPeer));
      // The peer goes away right after these bytes: with a reset, or with a FIN.
      this.peerFin = this.faults.resetAfter === undefined;
      this.hostGone = true;
      sock.destroy();
    }
    this.fromPeer += b.length;
    this.replyStarted = true;
    if (b.length > 0) { this.queue.push(b); this.queued += b.length; }
    if (this.queued > HIGH_WATER && !this.paused && !this.hostGone) { sock.pause(); this.paused = true; }
    this.kick();
  }

  /** Delivers queued data (and then any FIN or reset) dataLatencyUs from now. */
  private kick(us = this.chip.config.dataLatencyUs) {
    if (this.scheduled) return;
    this.scheduled = true;
    this.chip.after(this.n, us, () => { this.scheduled = false; this.deliver(); });
  }

  private deliver() {
    const { chip, n } = this;
    const sr = chip.status(n);
    if (sr !== SR.ESTABLISHED && sr !== SR.CLOSE_WAIT && sr !== SR.FIN_WAIT && sr !== SR.LAST_ACK) return;
    const drip = this.faults.dripBytesPerMs;
    let budget = Math.min(chip.rxFree(n), this.queued, drip ?? Infinity);
    while (budget > 0) {
      const head = this.queue[0];
      const take = Math.min(head.length, budget);
      chip.pushRx(n, head.subarray(0, take));
      chip.stats[n].bytesIn += take;
      if (take === head.length) this.queue.shift(); else this.queue[0] = head.subarray(take);
      this.queued -= take;
      budget -= take;
    }
    if (this.paused && this.queued <= HIGH_WATER / 2 && this.tcp && !this.hostGone) { this.tcp.resume(); this.paused = false; }
    if (this.queued > 0) {
      if (drip !== undefined && chip.rxFree(n) > 0) this.kick(1000);
      return; // the rest waits for RECV
    }
    this.settle(sr);
  }

  /** The peer's FIN or reset, once every byte before it is in the RX buffer. */
  private settle(sr: number) {
    const { chip, n } = this;
    if (!this.peerFin && this.hostGone) {
      chip.setStatus(n, SR.CLOSED);
      chip.raise(n, SnIR_DISCON);
      this.close();
    } else if (this.peerFin && sr === SR.ESTABLISHED) {
      chip.setStatus(n, SR.CLOSE_WAIT);
      chip.raise(n, SnIR_DISCON);
    } else if (this.hostGone && (sr === SR.FIN_WAIT || sr === SR.LAST_ACK)) {
      chip.setStatus(n, SR.CLOSED);
      if (sr === SR.FIN_WAIT) chip.raise(n, SnIR_DISCON);
      this.close();
    }
  }

  private unhold() {
    const r = this.releaseHold;
    this.releaseHold = undefined;
    r?.();
  }

  private sendUs(bytes: number) {
    return this.chip.config.sendLatencyUs + (bytes * 8) / this.chip.config.linkMbps;
  }

  // ---- UDP ------------------------------------------------------------------

  /** Whether the next hop for ip answers ARP (the gateway for off-subnet addresses). */
  private arpResolves(ip: number): boolean {
    const { chip } = this;
    if (!chip.link) return false;
    const sipr = chip.common32(SIPR), subr = chip.common32(SUBR);
    const hop = ((ip ^ sipr) & subr) === 0 ? ip : chip.common32(GAR);
    return chip.net.inSubnet(hop) && chip.net.answersArp(hop);
  }

  private sendUdp(data: Uint8Array) {
    const { chip, n } = this;
    const ip = chip.get32(n, Sn_DIPR), port = chip.get16(n, Sn_DPORT), myPort = chip.get16(n, Sn_PORT);
    const lan = chip.net.lan;
    const broadcast = ip === BROADCAST || (ip | lan.mask) >>> 0 === BROADCAST && chip.net.inSubnet(ip);
    if (!broadcast && !this.arpResolves(ip)) {
      chip.after(n, chip.arpTimeoutUs(), () => chip.raise(n, SnIR_TIMEOUT));
      return;
    }
    chip.after(n, this.sendUs(data.length), () => chip.raise(n, SnIR_SEND_OK));
    if (!chip.link) return; // a broadcast leaves the chip, but nobody hears it
    const reply = (from: number, fromPort: number, to: number, r: Uint8Array | null) => {
      if (r) chip.after(n, chip.config.serverLatencyUs, () => chip.deliverUdp(to, from, fromPort, r));
    };
    if (port === DHCP_SERVER_PORT && (broadcast || ip === chip.dhcp.serverIp)) {  // unicast: a renewal
      reply(chip.dhcp.serverIp, DHCP_SERVER_PORT, DHCP_CLIENT_PORT, chip.dhcp.handle(data, !broadcast));
    } else if (ip === lan.dns && port === DNS_PORT) {
      reply(lan.dns, DNS_PORT, myPort, chip.dns.handle(data));
    } else {
      const m = chip.net.lookup(ip, port);
      if (m) this.udpToLoopback(m, data);
    }
  }

  private udpToLoopback(m: Mapping, data: Uint8Array) {
    if (!this.udp) {
      const udp = createSocket('udp4');
      this.udp = udp;
      udp.on('error', () => {});
      udp.on('message', (msg, rinfo) => {
        const from = this.chip.net.reverse(rinfo.address, rinfo.port);
        if (from && this.udp === udp) {
          this.chip.after(this.n, this.chip.config.dataLatencyUs, () => this.datagram(from.simIp, from.simPort, msg));
        }
      });
      udp.bind(0, '127.0.0.1');
    }
    loopbackSend(this.udp, data, m.host, m.port);
  }

  /** A datagram for this socket: the 8-byte header (source IP, port, length) and the payload, or dropped if it doesn't fit. */
  datagram(ip: number, port: number, data: Uint8Array): void {
    const { chip, n } = this;
    const out = new Uint8Array(UDP_HEADER + data.length);
    out.set([ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255, port >> 8, port & 255, data.length >> 8, data.length & 255]);
    out.set(data, UDP_HEADER);
    if (chip.rxFree(n) < out.length) { chip.stats[n].udpDropped++; return; }
    chip.pushRx(n, out);
    chip.stats[n].bytesIn += data.length;
  }
}
