// SocketBridge's loopback guards, and the bridge driven through WiznetChip by a
// tiny fake chip with 8 sockets and its own timers: any chip model that
// implements the interface shares the bridge, the LAN services and the stats.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { DISCOVER, dhcpRequest, dnsQuery } from './dhcp-packets.ts';
import { parseIp } from './netmap.ts';
import { bridgeSockets, loopbackConnect, loopbackSend, newLan, type SocketBridge } from './wiznet-sockets.ts';
import {
  SR,
  Sn_MR_TCP,
  Sn_MR_UDP,
  SnIR_CON,
  SnIR_DISCON,
  SnIR_RECV,
  SnIR_SEND_OK,
  SnIR_TIMEOUT,
  bridgeTiming,
  newSocketStats,
  type LanServices,
  type SocketStats,
  type WiznetChip,
} from './wiznet-chip.ts';

describe('W5100 socket bridge guards', () => {
  it('refuses to connect anywhere but loopback, before any packet leaves', () => {
    for (const host of ['192.0.2.1', '10.0.0.1', 'localhost', '::ffff:192.0.2.1']) {
      assert.throws(() => loopbackConnect(host, 80), /refusing to connect to/, host);
    }
  });

  it('refuses to send datagrams anywhere but loopback', () => {
    const udp = createSocket('udp4');
    try {
      assert.throws(() => loopbackSend(udp, new Uint8Array(1), '192.0.2.1', 53), /refusing to send a datagram/);
    } finally {
      udp.close();
    }
  });

  it('connects to loopback', async () => {
    const srv = createServer((s) => s.end('ok'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const sock = loopbackConnect('127.0.0.1', (srv.address() as { port: number }).port);
      const got = await new Promise<string>((r) => {
        let s = '';
        sock.on('data', (d) => {
          s += d;
        });
        sock.on('end', () => {
          sock.end();
          r(s);
        });
      });
      assert.equal(got, 'ok');
    } finally {
      srv.close();
    }
  });
});

interface FakeSocket {
  proto: number;
  sr: number;
  ir: number;
  port: number;
  dip: number;
  dport: number;
  tx: number[];
  rx: number[];
}

/** The least a chip model needs: plain per-socket fields, array buffers, a clock that moves only when told to. */
class FakeChip implements WiznetChip {
  readonly name = 'FAKE';
  readonly socketCount = 8;
  link = true;
  /** Simulated microseconds. */
  now = 0;
  readonly holdReasons: string[] = [];
  holds = 0;
  readonly s: FakeSocket[] = Array.from({ length: 8 }, () => ({
    proto: 0,
    sr: 0,
    ir: 0,
    port: 0,
    dip: 0,
    dport: 0,
    tx: [],
    rx: [],
  }));
  readonly stats: SocketStats[] = Array.from({ length: 8 }, newSocketStats);
  readonly bridges: SocketBridge[];
  private events: { at: number; fn: () => void }[] = [];

  constructor(
    readonly lan: LanServices,
    readonly ip = '192.168.7.50',
    readonly rxSize = 2048,
  ) {
    this.bridges = bridgeSockets(this, lan, bridgeTiming, this.stats);
  }

  protocol(n: number) {
    return this.s[n].proto;
  }
  status(n: number) {
    return this.s[n].sr;
  }
  setStatus(n: number, sr: number) {
    this.s[n].sr = sr;
  }
  raise(n: number, bits: number) {
    this.s[n].ir |= bits;
  }
  sourcePort(n: number) {
    return this.s[n].port;
  }
  destIp(n: number) {
    return this.s[n].dip;
  }
  destPort(n: number) {
    return this.s[n].dport;
  }
  setDestination(n: number, ip: number, port: number) {
    this.s[n].dip = ip;
    this.s[n].dport = port;
  }
  sourceIp() {
    return parseIp(this.ip);
  }
  subnetMask() {
    return parseIp('255.255.255.0');
  }
  gatewayIp() {
    return parseIp('192.168.7.1');
  }
  arpTimeoutUs() {
    return 7000;
  }
  tcpTimeoutUs() {
    return 90_000;
  }
  takeTx(n: number) {
    return Uint8Array.from(this.s[n].tx.splice(0));
  }
  pushRx(n: number, bytes: Uint8Array) {
    this.s[n].rx.push(...bytes);
  }
  rxFree(n: number) {
    return this.rxSize - this.s[n].rx.length;
  }
  schedule(us: number, fn: () => void) {
    this.events.push({ at: this.now + us, fn });
  }
  hold(reason: string) {
    this.holdReasons.push(reason);
    this.holds++;
    let done = false;
    return () => {
      if (!done) {
        done = true;
        this.holds--;
      }
    };
  }

  // ---- what the firmware and the board would do ------------------------------

  open(n: number, proto: number, port: number, dest?: [string, number]) {
    Object.assign(this.s[n], { proto, port, ir: 0, tx: [], rx: [] });
    if (dest) this.setDestination(n, parseIp(dest[0]), dest[1]);
    this.bridges[n].close();
    this.bridges[n].open(proto);
  }

  send(n: number, data: ArrayLike<number>) {
    this.s[n].tx.push(...Array.from(data));
    this.bridges[n].send();
  }

  /** Runs due events in order, a simulated microsecond at a time. */
  private advance(us: number) {
    const end = this.now + us;
    while (this.now < end && this.holds === 0) {
      this.now++;
      const due = this.events.filter((e) => e.at <= this.now).sort((a, b) => a.at - b.at);
      this.events = this.events.filter((e) => e.at > this.now);
      for (const e of due) e.fn();
    }
  }

  /** Simulated time in 1 ms steps with an event-loop turn between them, stopped while a hold is on. */
  async runUntil(pred: () => boolean, ms: number, what: string) {
    const end = this.now + ms * 1000;
    while (!pred()) {
      if (this.now >= end) throw new Error(`${what} not reached within ${ms} simulated ms`);
      if (this.holds > 0) await new Promise((r) => setTimeout(r, 1));
      else this.advance(1000);
      await new Promise((r) => setImmediate(r));
    }
  }

  dispose() {
    for (const b of this.bridges) b.close();
  }
}

describe('SocketBridge through WiznetChip (a fake chip with 8 sockets)', () => {
  it('carries a TCP exchange on socket 7 to a loopback server, with the chip counting nothing itself', async () => {
    const srv = createServer({ allowHalfOpen: true }, (c) => c.on('data', (d) => c.end(`pong:${d}`)));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const lan = newLan();
    lan.net.map('192.168.7.2', 80, '127.0.0.1', (srv.address() as { port: number }).port);
    const chip = new FakeChip(lan);
    try {
      chip.open(7, Sn_MR_TCP, 40000, ['192.168.7.2', 80]);
      assert.equal(chip.status(7), SR.INIT);
      chip.bridges[7].connect();
      assert.equal(chip.status(7), SR.SYNSENT);
      await chip.runUntil(() => chip.status(7) === SR.ESTABLISHED, 100, 'connected');
      assert.deepEqual(chip.holdReasons, ['FAKE connect'], 'hold reasons name the chip');
      chip.send(7, Buffer.from('ping'));
      await chip.runUntil(() => chip.status(7) === SR.CLOSE_WAIT, 1000, 'peer closed');
      assert.equal(Buffer.from(chip.s[7].rx).toString(), 'pong:ping');
      assert.equal(chip.s[7].ir, SnIR_CON | SnIR_SEND_OK | SnIR_RECV | SnIR_DISCON);
      assert.deepEqual(chip.stats[7], { bytesIn: 9, bytesOut: 4, connects: 1, udpDropped: 0, commands: {} });
      assert.ok(
        chip.stats.slice(0, 7).every((st) => st.connects === 0 && st.bytesOut === 0),
        'other sockets untouched',
      );
    } finally {
      chip.dispose();
      srv.close();
    }
  });

  it("times failures with the chip's own ARP and retransmission timers, and drops events of a closed socket", async () => {
    const lan = newLan();
    const chip = new FakeChip(lan);
    const failAt = async (n: number, dest: [string, number]) => {
      chip.open(n, Sn_MR_TCP, 40000 + n, dest);
      const t0 = chip.now;
      chip.bridges[n].connect();
      await chip.runUntil(() => chip.status(n) === SR.CLOSED, 200, `socket ${n} failed`);
      assert.equal(chip.s[n].ir, SnIR_TIMEOUT);
      return chip.now - t0;
    };
    try {
      lan.net.unmapped = 'timeout';
      assert.equal(await failAt(5, ['192.168.7.2', 80]), chip.tcpTimeoutUs(), 'unmapped: no SYN-ACK');
      assert.equal(await failAt(6, ['192.168.7.77', 80]), chip.arpTimeoutUs(), 'nobody answers ARP');
      chip.link = false;
      assert.equal(await failAt(4, ['192.168.7.2', 80]), chip.arpTimeoutUs(), 'link down');
      chip.link = true;
      lan.net.unmapped = 'refuse';
      chip.open(3, Sn_MR_TCP, 40003, ['192.168.7.2', 80]);
      chip.bridges[3].connect();
      chip.bridges[3].close();
      chip.setStatus(3, SR.CLOSED);
      await chip.runUntil(() => chip.now > 10_000, 20, 'time passed');
      assert.equal(chip.s[3].ir, 0, 'the refusal of a closed socket never lands');
    } finally {
      chip.dispose();
    }
  });

  it('lets two chips share one LAN: one DHCP pool, one DNS table, UDP to whichever socket is bound', async () => {
    const lan = newLan();
    lan.dns.add('pmproxy.lan', '192.168.7.2');
    const a = new FakeChip(lan, '0.0.0.0'),
      b = new FakeChip(lan, '0.0.0.0');
    try {
      const offer = async (chip: FakeChip, n: number, mac: number) => {
        chip.open(n, Sn_MR_UDP, 68, ['255.255.255.255', 67]);
        chip.open(n === 0 ? 1 : 0, Sn_MR_UDP, 5353); // a bystander: not bound to 68
        chip.send(n, dhcpRequest(DISCOVER, [2, 0, 0, 0, 0, mac], mac));
        await chip.runUntil(() => chip.s[n].rx.length > 0, 10, 'offer');
        const rx = chip.s[n].rx;
        assert.deepEqual(rx.slice(0, 6), [192, 168, 7, 1, 0, 67], 'from the DHCP server, port 67');
        assert.equal(chip.s[n === 0 ? 1 : 0].rx.length, 0, 'the bystander got nothing');
        return rx.slice(8 + 16, 8 + 20).join('.');
      };
      const ipA = await offer(a, 6, 1),
        ipB = await offer(b, 0, 2);
      assert.equal(ipA, '192.168.7.100');
      assert.equal(ipB, '192.168.7.101', 'the second chip gets the next address from the same pool');
      assert.equal(lan.dhcp.stats.discover, 2);
      b.open(2, Sn_MR_UDP, 1234, ['192.168.7.1', 53]);
      b.send(2, dnsQuery(9, 'pmproxy.lan'));
      await b.runUntil(() => b.s[2].rx.length > 0, 10, 'DNS answer');
      assert.deepEqual(b.s[2].rx.slice(-4), [192, 168, 7, 2]);
      assert.equal(lan.dns.stats.queries, 1);
      assert.equal(a.stats[6].bytesOut, 300);
      assert.ok(b.stats[2].bytesIn > 0);
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});
