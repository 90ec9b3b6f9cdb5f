// One WIZnet socket's life on the host side: TCP connections and listeners on
// loopback, UDP to the built-in DHCP/DNS servers or to mapped loopback ports.
// It sees the chip only through WiznetChip (wiznet-chip.ts), so every chip
// model shares it.
//
// Timing. Everything the firmware can observe changes on simulated time via
// WiznetChip.schedule (cpu.addClockEvent). Host I/O is asynchronous, so:
// - connect, listen and disconnect pause simulated time (WiznetChip.hold) until
//   the host answers, then the state change lands connectLatencyUs later;
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
import { DhcpServer } from './dhcp-server.ts';
import { DnsServer } from './dns-server.ts';
import { NetMap, assertLoopback, type Faults, type LanOptions, type Mapping } from './netmap.ts';
import {
  CMD,
  SR,
  Sn_MR_IPRAW,
  Sn_MR_MACRAW,
  Sn_MR_TCP,
  Sn_MR_UDP,
  SnIR_CON,
  SnIR_DISCON,
  SnIR_RECV,
  SnIR_SEND_OK,
  SnIR_TIMEOUT,
  type BridgeTiming,
  type LanServices,
  type SocketStats,
  type WiznetChip,
} from './wiznet-chip.ts';

/** Command names by code, for the per-socket statistics. */
const CMD_NAMES = new Map<number, string>(Object.entries(CMD).map(([k, v]) => [v, k]));

/** Received bytes waiting beyond the RX ring before the host socket is paused. */
const HIGH_WATER = 8192;
const UDP_HEADER = 8;
const DHCP_SERVER_PORT = 67,
  DHCP_CLIENT_PORT = 68,
  DNS_PORT = 53;
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

/** A LAN of its own: a NetMap with these options, its DHCP server and a DNS server. */
export function newLan(options: Partial<LanOptions> = {}): LanServices {
  const net = new NetMap(options);
  return { net, dhcp: new DhcpServer(net.lan), dns: new DnsServer() };
}

/**
 * One bridge per socket of chip, on lan; stats[n] is socket n's. A datagram
 * one socket's server answers reaches whichever socket of the chip is bound
 * to its destination port, so the bridges know each other.
 */
export function bridgeSockets(
  chip: WiznetChip,
  lan: LanServices,
  timing: BridgeTiming,
  stats: readonly SocketStats[],
): SocketBridge[] {
  const bridges: SocketBridge[] = [];
  const deliverUdp = (dstPort: number, srcIp: number, srcPort: number, data: Uint8Array) => {
    for (const b of bridges) b.offer(dstPort, srcIp, srcPort, data);
  };
  for (let n = 0; n < chip.socketCount; n++) bridges.push(new SocketBridge(chip, n, lan, timing, stats[n], deliverUdp));
  return bridges;
}

export class SocketBridge {
  /** Bumped whenever the socket is opened or closed; stale clock events check it. */
  private generation = 0;
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

  constructor(
    private readonly chip: WiznetChip,
    private readonly n: number,
    private readonly lan: LanServices,
    private readonly timing: BridgeTiming,
    private readonly stats: SocketStats,
    /** Hands a datagram from a built-in server to the chip's sockets bound to dstPort. */
    private readonly deliverUdp: (dstPort: number, srcIp: number, srcPort: number, data: Uint8Array) => void,
  ) {}

  /** True while the host socket is paused because the firmware is not reading fast enough. */
  get hostPaused(): boolean {
    return this.paused;
  }

  // ---- commands -------------------------------------------------------------

  /**
   * A write to Sn_CR, carried out as both chips do it (W5100 DS 4.2, W5500 DS
   * 4.3 Sn_CR), once the chip has latched its pointers for it. unread: received
   * data is still unread after the new Sn_RX_RD, so RECV raises RECV again
   * (MAME w5100_socket.cpp command_recv). Sn_CR reads back 0 afterwards: the
   * chips never store it.
   */
  command(cmd: number, unread: boolean): void {
    const name = CMD_NAMES.get(cmd) ?? `0x${cmd.toString(16)}`;
    this.stats.commands[name] = (this.stats.commands[name] ?? 0) + 1;
    switch (cmd) {
      case CMD.OPEN:
        this.close();
        this.open(this.chip.protocol(this.n));
        break;
      case CMD.LISTEN:
        this.listen();
        break;
      case CMD.CONNECT:
        this.connect();
        break;
      case CMD.DISCON:
        this.disconnect();
        break;
      case CMD.CLOSE:
        this.close();
        this.chip.setStatus(this.n, SR.CLOSED);
        break;
      case CMD.SEND:
      case CMD.SEND_MAC:
        this.send();
        break;
      case CMD.RECV:
        if (unread) this.chip.raise(this.n, SnIR_RECV);
        this.received();
        break;
      // SEND_KEEP: keep-alives are the host's TCP stack's business.
    }
  }

  open(proto: number): void {
    const sr =
      proto === Sn_MR_TCP
        ? SR.INIT
        : proto === Sn_MR_UDP
          ? SR.UDP
          : proto === Sn_MR_IPRAW
            ? SR.IPRAW
            : proto === Sn_MR_MACRAW && this.n === 0
              ? SR.MACRAW
              : SR.CLOSED;
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

  /** Runs fn after us of simulated time, unless the socket was reopened or closed meanwhile. */
  private after(us: number, fn: () => void): void {
    const gen = this.generation;
    this.chip.schedule(us, () => {
      if (this.generation === gen) fn();
    });
  }

  /** Pauses simulated time (if the host can) for at most capMs of wall clock. */
  private hold(reason: string, onCap?: () => void, capMs = this.timing.holdCapMs): () => void {
    const release = this.chip.hold(`${this.chip.name} ${reason}`);
    if (!release) return () => {};
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        clearTimeout(timer);
        release();
      }
    };
    const timer = setTimeout(() => {
      finish();
      onCap?.();
    }, capMs);
    timer.unref();
    return finish;
  }

  private holdOp(reason: string): () => void {
    const release = this.hold(reason);
    const done = () => {
      this.opHolds.delete(done);
      release();
    };
    this.opHolds.add(done);
    return done;
  }

  connect(): void {
    const { chip, n } = this;
    if (chip.status(n) !== SR.INIT || chip.protocol(n) !== Sn_MR_TCP) return;
    const { net } = this.lan,
      { connectLatencyUs } = this.timing;
    const ip = chip.destIp(n),
      port = chip.destPort(n);
    chip.setStatus(n, SR.SYNSENT);
    this.stats.connects++;
    const fail = (us: number) =>
      this.after(us, () => {
        chip.setStatus(n, SR.CLOSED);
        chip.raise(n, SnIR_TIMEOUT);
      });
    if (!this.arpResolves(ip)) {
      fail(chip.arpTimeoutUs());
      return;
    }
    const m = net.lookup(ip, port);
    const faults = net.faultsFor(m);
    if (!m) {
      fail(net.unmapped === 'timeout' ? chip.tcpTimeoutUs() : connectLatencyUs);
      return;
    }
    if (faults.timeout) {
      fail(chip.tcpTimeoutUs());
      return;
    }
    if (faults.refuse) {
      fail(connectLatencyUs);
      return;
    }
    this.faults = faults;
    const release = this.holdOp('connect');
    const sock = loopbackConnect(m.host, m.port);
    this.tcp = sock;
    let connected = false;
    sock.once('connect', () => {
      connected = true;
      release();
      this.after(connectLatencyUs, () => {
        chip.setStatus(n, SR.ESTABLISHED);
        chip.raise(n, SnIR_CON);
        this.kick();
      });
    });
    sock.once('close', () => {
      release();
      if (connected || this.tcp !== sock) return;
      this.tcp = undefined;
      fail(connectLatencyUs); // refused (RST to the SYN)
    });
    this.attach(sock);
  }

  listen(): void {
    const { chip, n } = this;
    if (chip.status(n) !== SR.INIT || chip.protocol(n) !== Sn_MR_TCP) return;
    const { net } = this.lan;
    chip.setStatus(n, SR.LISTEN);
    const simPort = chip.sourcePort(n);
    const server = createServer({ allowHalfOpen: true });
    this.server = server;
    const release = this.holdOp('listen');
    const host = '127.0.0.1';
    assertLoopback(host, 'listen on');
    this.listenPromise = new Promise<number>((resolve, reject) => {
      server.once('error', (e) => {
        release();
        reject(e);
      });
      server.listen(net.listenPort(simPort) ?? 0, host, () => {
        release();
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : 0);
      });
    });
    this.listenPromise.catch(() => {}); // reported to whoever awaits listening()
    server.once('connection', (sock) => {
      server.close(); // a WIZnet socket takes one peer; later SYNs are refused
      this.server = undefined;
      if (this.tcp || chip.status(n) !== SR.LISTEN) {
        sock.destroy();
        return;
      }
      this.tcp = sock;
      this.faults = net.faults;
      this.attach(sock);
      this.after(this.timing.connectLatencyUs, () => {
        chip.setDestination(n, net.lan.peer, sock.remotePort ?? 0);
        chip.setStatus(n, SR.ESTABLISHED);
        chip.raise(n, SnIR_CON);
        this.replyExpected = true;
        this.kick();
      });
    });
  }

  listening(): Promise<number> {
    return this.listenPromise ?? Promise.reject(new Error(`${this.chip.name} socket ${this.n} is not listening`));
  }

  disconnect(): void {
    const { chip, n } = this;
    const sr = chip.status(n);
    if (sr === SR.ESTABLISHED || sr === SR.CLOSE_WAIT) {
      chip.setStatus(n, sr === SR.ESTABLISHED ? SR.FIN_WAIT : SR.LAST_ACK);
      if (this.tcp && !this.hostGone) {
        this.unhold();
        this.releaseHold = this.hold('disconnect');
        this.tcp.end();
      } else {
        this.after(this.timing.connectLatencyUs, () => chip.setStatus(n, SR.CLOSED));
      }
    } else if (sr === SR.SYNSENT || sr === SR.LISTEN || sr === SR.INIT) {
      this.close();
      chip.setStatus(n, SR.CLOSED);
    }
  }

  send(): void {
    const { chip, n } = this;
    const sr = chip.status(n);
    if (sr === SR.UDP) {
      this.sendUdp(this.takeTx());
      return;
    }
    if (sr !== SR.ESTABLISHED && sr !== SR.CLOSE_WAIT) return;
    const data = this.takeTx();
    if (this.tcp && !this.hostGone && !this.tcp.destroyed) this.tcp.write(data);
    this.replyExpected = true;
    this.replyStarted = false;
    this.after(this.sendUs(data.length), () => chip.raise(n, SnIR_SEND_OK));
  }

  private takeTx(): Uint8Array {
    const data = this.chip.takeTx(this.n);
    this.stats.bytesOut += data.length;
    return data;
  }

  /** RECV: the firmware freed RX space. */
  received(): void {
    if (this.queued > 0) this.kick();
  }

  /** The firmware found Sn_RX_RSR empty: if a reply is due, stop the clock until the peer says something. */
  waitingForData(): void {
    if (!this.replyExpected || this.releaseHold || this.scheduled || this.queued > 0) return;
    if (!this.tcp || this.hostGone || this.peerFin || this.chip.status(this.n) !== SR.ESTABLISHED) return;
    const cfg = this.timing;
    this.releaseHold = this.hold(
      'waiting for peer',
      () => {
        this.releaseHold = undefined;
        this.replyExpected = false; // the peer is quiet: don't stop the clock again until the next SEND
      },
      this.replyStarted ? cfg.quietHoldMs : cfg.holdCapMs,
    );
  }

  // ---- TCP data path --------------------------------------------------------

  private attach(sock: Socket) {
    sock.setNoDelay(true);
    sock.on('error', () => {}); // a reset shows up as 'close' without 'end'
    sock.on('data', (b: Buffer) => this.incoming(sock, b));
    sock.on('end', () => {
      if (this.tcp === sock) {
        this.peerFin = true;
        this.unhold();
        this.kick();
      }
    });
    sock.on('close', () => {
      if (this.tcp === sock) {
        this.hostGone = true;
        this.unhold();
        this.kick();
      }
    });
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
    if (b.length > 0) {
      this.queue.push(b);
      this.queued += b.length;
    }
    if (this.queued > HIGH_WATER && !this.paused && !this.hostGone) {
      sock.pause();
      this.paused = true;
    }
    this.kick();
  }

  /** Delivers queued data (and then any FIN or reset) dataLatencyUs from now. */
  private kick(us = this.timing.dataLatencyUs) {
    if (this.scheduled) return;
    this.scheduled = true;
    this.after(us, () => {
      this.scheduled = false;
      this.deliver();
    });
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
      chip.raise(n, SnIR_RECV);
      this.stats.bytesIn += take;
      if (take === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(take);
      this.queued -= take;
      budget -= take;
    }
    if (this.paused && this.queued <= HIGH_WATER / 2 && this.tcp && !this.hostGone) {
      this.tcp.resume();
      this.paused = false;
    }
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
    return this.timing.sendLatencyUs + (bytes * 8) / this.timing.linkMbps;
  }

  // ---- UDP ------------------------------------------------------------------

  /** Whether the next hop for ip answers ARP (the gateway for off-subnet addresses). */
  private arpResolves(ip: number): boolean {
    const { chip } = this,
      { net } = this.lan;
    if (!chip.link) return false;
    const hop = ((ip ^ chip.sourceIp()) & chip.subnetMask()) === 0 ? ip : chip.gatewayIp();
    return net.inSubnet(hop) && net.answersArp(hop);
  }

  private sendUdp(data: Uint8Array) {
    const { chip, n } = this;
    const { net, dhcp, dns } = this.lan;
    const ip = chip.destIp(n),
      port = chip.destPort(n),
      myPort = chip.sourcePort(n);
    const lan = net.lan;
    const broadcast = ip === BROADCAST || ((ip | lan.mask) >>> 0 === BROADCAST && net.inSubnet(ip));
    if (!broadcast && !this.arpResolves(ip)) {
      this.after(chip.arpTimeoutUs(), () => chip.raise(n, SnIR_TIMEOUT));
      return;
    }
    this.after(this.sendUs(data.length), () => chip.raise(n, SnIR_SEND_OK));
    if (!chip.link) return; // a broadcast leaves the chip, but nobody hears it
    const reply = (from: number, fromPort: number, to: number, r: Uint8Array | null) => {
      if (r) this.after(this.timing.serverLatencyUs, () => this.deliverUdp(to, from, fromPort, r));
    };
    if (port === DHCP_SERVER_PORT && (broadcast || ip === dhcp.serverIp)) {
      // unicast: a renewal
      reply(dhcp.serverIp, DHCP_SERVER_PORT, DHCP_CLIENT_PORT, dhcp.handle(data, !broadcast));
    } else if (ip === lan.dns && port === DNS_PORT) {
      reply(lan.dns, DNS_PORT, myPort, dns.handle(data));
    } else {
      const m = net.lookup(ip, port);
      if (m) this.udpToLoopback(m, data);
    }
  }

  private udpToLoopback(m: Mapping, data: Uint8Array) {
    if (!this.udp) {
      const udp = createSocket('udp4');
      this.udp = udp;
      udp.on('error', () => {});
      udp.on('message', (msg, rinfo) => {
        const from = this.lan.net.reverse(rinfo.address, rinfo.port);
        if (from && this.udp === udp) {
          this.after(this.timing.dataLatencyUs, () => this.datagram(from.simIp, from.simPort, msg));
        }
      });
      udp.bind(0, '127.0.0.1');
    }
    loopbackSend(this.udp, data, m.host, m.port);
  }

  /** A datagram on the LAN for UDP port dstPort: taken if this socket is bound to it. */
  offer(dstPort: number, srcIp: number, srcPort: number, data: Uint8Array): void {
    if (this.chip.status(this.n) === SR.UDP && this.chip.sourcePort(this.n) === dstPort)
      this.datagram(srcIp, srcPort, data);
  }

  /** A datagram for this socket: the 8-byte header (source IP, port, length) and the payload, or dropped if it doesn't fit. */
  private datagram(ip: number, port: number, data: Uint8Array): void {
    const { chip, n } = this;
    const out = new Uint8Array(UDP_HEADER + data.length);
    out.set([
      ip >>> 24,
      (ip >>> 16) & 255,
      (ip >>> 8) & 255,
      ip & 255,
      port >> 8,
      port & 255,
      data.length >> 8,
      data.length & 255,
    ]);
    out.set(data, UDP_HEADER);
    if (chip.rxFree(n) < out.length) {
      this.stats.udpDropped++;
      return;
    }
    chip.pushRx(n, out);
    chip.raise(n, SnIR_RECV);
    this.stats.bytesIn += data.length;
  }
}
