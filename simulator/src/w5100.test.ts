// Register-level spec of the W5100 model, from the W5100 datasheet v1.2: a
// TypeScript SPI master drives it as the Arduino Ethernet library would.
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { SpiMaster, ip4 } from './spi-master.ts';
import { dnsQuery } from './dhcp-packets.ts';
import {
  CMD,
  GAR,
  IMR,
  IR,
  MR,
  MR_RST,
  PTIMER,
  RCR,
  RMSR,
  RTR,
  SHAR,
  SIPR,
  SR,
  SUBR,
  SnIR_CON,
  SnIR_DISCON,
  SnIR_RECV,
  SnIR_SEND_OK,
  SnIR_TIMEOUT,
  Sn_CR,
  Sn_DHAR,
  Sn_DIPR,
  Sn_DPORT,
  Sn_IR,
  Sn_MR,
  Sn_PORT,
  Sn_RX_RSR,
  Sn_RX_WR,
  Sn_TTL,
  Sn_TX_FSR,
  Sn_TX_RD,
  TMSR,
  Sn_TX_WR,
  Sn_RX_RD,
  Sn_MSSR,
} from './w5100.ts';

const servers: Server[] = [];
const masters: SpiMaster[] = [];
afterEach(() => {
  for (const m of masters.splice(0)) m.dispose();
});
after(() => {
  for (const s of servers) s.close();
});

function master(cfg = {}) {
  const m = new SpiMaster(cfg);
  masters.push(m);
  return m;
}

async function tcpServer(onConn: (s: Socket) => void): Promise<number> {
  const srv = createServer((s) => {
    s.on('error', () => {});
    onConn(s);
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return (srv.address() as { port: number }).port;
}

/** Static addressing as Ethernet.begin(mac, ip) leaves it. */
function configure(m: SpiMaster, ip = '192.168.7.50') {
  m.wBytes(GAR, ip4('192.168.7.1'));
  m.wBytes(SUBR, ip4('255.255.255.0'));
  m.wBytes(SHAR, [0xde, 0xad, 0xbe, 0xef, 0xfe, 0x01]);
  m.wBytes(SIPR, ip4(ip));
}

function openTcp(m: SpiMaster, n: number, dip: string, dport: number) {
  m.w(m.sreg(n, Sn_MR), 0x21);
  m.w(m.sreg(n, Sn_IR), 0xff);
  m.w16(m.sreg(n, Sn_PORT), 49152 + n);
  m.cmd(n, CMD.OPEN);
  assert.equal(m.status(n), SR.INIT);
  m.wBytes(m.sreg(n, Sn_DIPR), ip4(dip));
  m.w16(m.sreg(n, Sn_DPORT), dport);
  m.cmd(n, CMD.CONNECT);
}

describe('W5100 registers', () => {
  it('has the datasheet reset values', () => {
    const m = master();
    assert.equal(m.r(MR), 0);
    assert.equal(m.r16(RTR), 0x07d0);
    assert.equal(m.r(RCR), 8);
    assert.equal(m.r(RMSR), 0x55);
    assert.equal(m.r(TMSR), 0x55);
    assert.equal(m.r(PTIMER), 0x28);
    for (let n = 0; n < 4; n++) {
      assert.equal(m.status(n), SR.CLOSED);
      assert.equal(m.r(m.sreg(n, Sn_TTL)), 0x80);
      assert.deepEqual(m.rBytes(m.sreg(n, Sn_DHAR), 6), [255, 255, 255, 255, 255, 255]);
      assert.equal(m.r16(m.sreg(n, Sn_TX_FSR)), 0x0800);
      assert.equal(m.r16(m.sreg(n, Sn_RX_RSR)), 0);
    }
  });

  it('speaks the SPI frame format byte by byte, gated by CS on D10', () => {
    const m = master();
    assert.deepEqual(m.spiFrame(0xf0, GAR, 0xc0), [0, 1, 2, 3], 'write frame MISO');
    assert.deepEqual(m.spiFrame(0x0f, GAR, 0), [0, 1, 2, 0xc0], 'read frame returns the data');
    assert.deepEqual(m.spiFrame(0x00, MR, 0x08), [0, 0, 0, 0], 'a W5500-style frame gets zeros');
    assert.deepEqual(m.spiFrame(0x0f, 0x0039, 0), [0, 1, 2, 0], 'no W5500 VERSIONR');
    // Each byte takes the SPI's transfer time (16 cycles at fosc/2), not zero.
    m.cs(true);
    assert.equal(m.transfer(0x0f).cycles, m.spi.transferCycles);
    // CS rising mid-frame drops it: the next frame starts from scratch.
    m.transfer(0x00);
    m.cs(false);
    m.cs(true);
    assert.deepEqual(
      [0xf0, 0, 0x02, 0x77].map((b) => m.transfer(b).miso),
      [0, 1, 2, 3],
    );
    m.cs(false);
    assert.equal(m.r(0x0002), 0x77);
    assert.equal(m.r(0x0001), 0xc0, 'the dropped frame changed nothing');
    assert.equal(m.chip.droppedFrames, 1);
    // With CS high the chip stays off the bus but the transfer still completes.
    const before = m.chip.frames;
    assert.equal(m.transfer(0xf0).miso, 0);
    for (const b of [0, 1, 0x55]) m.transfer(b);
    assert.equal(m.chip.frames, before);
    assert.equal(m.r(0x0001), 0xc0);
  });

  it('rejects the W5200 and W5500 probes and passes the W5100 one (Ethernet library init)', () => {
    const m = master();
    // W5500: MR written with block-select framing, read back must be 0x08 to pass; the chip answers 0.
    m.spiFrame(0x00, 0x0000, 0x04); // addr 0, control: write common block, data follows
    assert.notEqual(m.spiFrame(0x00, 0x0000, 0x00)[3], 0x08);
    // W5100: MR reset self-clears, then MR reads back what was written.
    m.w(MR, MR_RST);
    assert.equal(m.r(MR), 0);
    for (const v of [0x10, 0x12, 0x00]) {
      m.w(MR, v);
      assert.equal(m.r(MR), v);
    }
  });

  it('soft reset (MR.RST) self-clears and resets every register and socket', async () => {
    const port = await tcpServer(() => {});
    const m = master();
    configure(m);
    m.chip.map('192.168.7.2', 80, '127.0.0.1', port);
    m.w16(RTR, 1234);
    m.w(RCR, 3);
    m.w(RMSR, 0x03);
    m.w(IMR, 0xff);
    openTcp(m, 0, '192.168.7.2', 80);
    await m.runUntil(() => m.status(0) === SR.ESTABLISHED, 100);
    m.w(MR, MR_RST);
    assert.equal(m.r(MR), 0);
    assert.equal(m.r16(RTR), 0x07d0);
    assert.equal(m.r(RCR), 8);
    assert.equal(m.r(RMSR), 0x55);
    assert.equal(m.r(IMR), 0);
    assert.deepEqual(m.rBytes(SIPR, 4), [0, 0, 0, 0]);
    assert.equal(m.status(0), SR.CLOSED);
    assert.equal(m.r(m.sreg(0, Sn_IR)), 0);
  });

  it('shrugs off bad input: unknown commands, addresses past 0x7FFF, writes to read-only registers', () => {
    const m = master();
    m.cmd(0, 0x99);
    assert.equal(m.chip.stats[0].commands['0x99'], 1);
    assert.equal(m.status(0), SR.CLOSED);
    m.w(0xffff, 0x12);
    assert.equal(m.r(0xffff), 0);
    m.w(m.sreg(0, Sn_TX_FSR), 0);
    m.w(m.sreg(0, Sn_RX_RSR), 5);
    assert.equal(m.r16(m.sreg(0, Sn_TX_FSR)), 0x0800);
    assert.equal(m.r16(m.sreg(0, Sn_RX_RSR)), 0);
    m.cmd(0, CMD.SEND); // SEND on a closed socket: nothing happens
    m.cmd(0, CMD.CONNECT);
    assert.equal(m.status(0), SR.CLOSED);
  });

  it('Sn_CR reads 0, Sn_IR is write-1-to-clear and IR mirrors the sockets', async () => {
    const m = master();
    configure(m);
    openTcp(m, 1, '192.168.7.99', 80); // nobody at .99: ARP gives up
    assert.equal(m.r(m.sreg(1, Sn_CR)), 0);
    assert.equal(m.status(1), SR.SYNSENT);
    await m.runUntil(() => m.status(1) === SR.CLOSED, 3000);
    assert.equal(m.r(m.sreg(1, Sn_IR)), SnIR_TIMEOUT);
    assert.equal(m.r(IR), 0x02, 'S1_INT');
    m.w(m.sreg(1, Sn_IR), SnIR_CON); // not set: no effect
    assert.equal(m.r(m.sreg(1, Sn_IR)), SnIR_TIMEOUT);
    m.w(m.sreg(1, Sn_IR), SnIR_TIMEOUT);
    assert.equal(m.r(m.sreg(1, Sn_IR)), 0);
    assert.equal(m.r(IR), 0);
  });

  it('honours RMSR/TMSR: sizes and bases allocated in order within 8 KB', async () => {
    const m = master();
    m.w(TMSR, 0x03); // S0 8 KB, nothing left for S1-S3
    m.w(RMSR, 0x0a); // S0 4 KB, S1 4 KB
    assert.equal(m.r16(m.sreg(0, Sn_TX_FSR)), 8192);
    assert.equal(m.r16(m.sreg(1, Sn_TX_FSR)), 0);
    // A datagram for socket 1 lands at RX base 0x6000 + 4 KB.
    const peer = createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
    try {
      configure(m);
      m.chip.map('192.168.7.2', 9000, '127.0.0.1', peer.address().port);
      peer.on('message', (msg, rinfo) => peer.send(msg, rinfo.port, rinfo.address));
      m.w(TMSR, 0x05); // S0 2 KB, S1 2 KB: S1 transmits from 0x4800
      m.w(m.sreg(1, Sn_MR), 0x02);
      m.w16(m.sreg(1, Sn_PORT), 5000);
      m.cmd(1, CMD.OPEN);
      assert.equal(m.status(1), SR.UDP);
      m.wBytes(m.sreg(1, Sn_DIPR), ip4('192.168.7.2'));
      m.w16(m.sreg(1, Sn_DPORT), 9000);
      m.sendData(1, [0x42, 0x43], 0x4800, 2048);
      await m.runUntil(() => m.r16(m.sreg(1, Sn_RX_RSR)) >= 10, 200, 'echo');
      // header: source IP, source port 9000, length 2 (big-endian), then the payload
      assert.deepEqual(m.rBytes(0x7000, 10), [192, 168, 7, 2, 0x23, 0x28, 0, 2, 0x42, 0x43]);
    } finally {
      peer.close();
    }
  });
});

describe('W5100 TCP client over loopback', () => {
  it('OPEN, CONNECT, SEND, RECV, peer FIN, DISCON against a real server', async () => {
    const port = await tcpServer((s) => s.on('data', (d) => s.end(`echo:${d}`)));
    const m = master();
    configure(m);
    m.chip.map('192.168.7.2', 7, '127.0.0.1', port);
    openTcp(m, 0, '192.168.7.2', 7);
    assert.equal(m.status(0), SR.SYNSENT);
    await m.runUntil(() => m.status(0) !== SR.SYNSENT, 100);
    assert.equal(m.status(0), SR.ESTABLISHED);
    assert.equal(m.r(m.sreg(0, Sn_IR)) & SnIR_CON, SnIR_CON);
    m.sendData(0, Buffer.from('hi'));
    assert.equal(m.r16(m.sreg(0, Sn_TX_RD)), 2, 'SEND moves TX_RD to TX_WR');
    await m.runUntil(() => (m.r(m.sreg(0, Sn_IR)) & SnIR_SEND_OK) !== 0, 10, 'SEND_OK');
    await m.runUntil(() => m.status(0) === SR.CLOSE_WAIT, 1000, 'peer FIN');
    assert.equal(m.r(m.sreg(0, Sn_IR)) & (SnIR_RECV | SnIR_DISCON), SnIR_RECV | SnIR_DISCON);
    assert.equal(Buffer.from(m.recvData(0)).toString(), 'echo:hi');
    assert.equal(m.r16(m.sreg(0, Sn_RX_RSR)), 0);
    m.cmd(0, CMD.DISCON);
    await m.runUntil(() => m.status(0) === SR.CLOSED, 1000, 'CLOSED');
    const st = m.chip.stats[0];
    assert.equal(st.bytesOut, 2);
    assert.equal(st.bytesIn, 7);
    assert.equal(st.connects, 1);
    assert.equal(st.commands.SEND, 1);
    assert.equal(st.commands.DISCON, 1);
  });

  it('refused: CLOSED with Sn_IR TIMEOUT', async () => {
    const port = await tcpServer(() => {});
    servers.pop()!.close(); // nothing listens there any more
    const m = master();
    configure(m);
    m.chip.map('192.168.7.2', 80, '127.0.0.1', port);
    openTcp(m, 0, '192.168.7.2', 80);
    await m.runUntil(() => m.status(0) === SR.CLOSED, 100);
    assert.equal(m.r(m.sreg(0, Sn_IR)), SnIR_TIMEOUT);
  });

  it('shares one LAN with another chip: mappings and faults set through one apply to the other', async () => {
    const port = await tcpServer(() => {});
    const a = master();
    const b = new SpiMaster({}, true, { net: a.chip.net, dhcp: a.chip.dhcp, dns: a.chip.dns });
    masters.push(b);
    assert.equal(b.chip.dns, a.chip.dns);
    configure(b, '192.168.7.51');
    a.chip.map('192.168.7.2', 80, '127.0.0.1', port);
    openTcp(b, 3, '192.168.7.2', 80);
    await b.runUntil(() => b.status(3) === SR.ESTABLISHED, 100);
    a.chip.net.faults = { refuse: true };
    openTcp(b, 2, '192.168.7.2', 80);
    await b.runUntil(() => b.status(2) === SR.CLOSED, 100);
    assert.equal(b.r(b.sreg(2, Sn_IR)), SnIR_TIMEOUT, 'refused');
    assert.equal(b.chip.stats[3].connects, 1);
    assert.equal(a.chip.stats[3].connects, 0, 'statistics stay per chip');
  });

  it('makes the connect deterministic: ESTABLISHED connectLatencyUs after CONNECT in simulated time', async () => {
    const port = await tcpServer(() => {});
    const m = master({ connectLatencyUs: 250 });
    configure(m);
    m.chip.map('192.168.7.2', 80, '127.0.0.1', port);
    const t0 = m.cpu.cycles;
    openTcp(m, 0, '192.168.7.2', 80);
    await m.runUntil(() => m.status(0) === SR.ESTABLISHED, 100);
    assert.equal(Math.round((m.cpu.cycles - t0) / 16), 250);
  });

  it('wraps the free-running 16-bit pointers through 0xFFFF and the 2 KB rings (70 KB echoed)', async () => {
    const port = await tcpServer((s) => s.pipe(s));
    const m = master();
    configure(m);
    m.chip.map('192.168.7.2', 7, '127.0.0.1', port);
    openTcp(m, 0, '192.168.7.2', 7);
    await m.runUntil(() => m.status(0) === SR.ESTABLISHED, 100);
    const total = 70_000;
    const data = Buffer.alloc(total, 0).map((_, i) => (i * 7 + (i >> 8)) & 0xff);
    const got: number[] = [];
    let sent = 0;
    while (got.length < total) {
      if (sent < total && m.r16(m.sreg(0, Sn_TX_FSR)) >= 1500) {
        const chunk = data.subarray(sent, Math.min(total, sent + 1500));
        m.sendData(0, chunk);
        sent += chunk.length;
      }
      got.push(...m.recvData(0));
      await m.runMs(1);
      assert.ok(m.ms < 5000, 'echo stalled');
    }
    assert.ok(Buffer.from(got).equals(data), 'every byte back, in order');
    assert.equal(m.r16(m.sreg(0, Sn_TX_RD)), total & 0xffff);
    assert.equal(m.r16(m.sreg(0, Sn_RX_WR)), total & 0xffff);
  });

  it('back-pressure: a 20 KB burst never overflows the RX ring and arrives whole after RECVs', async () => {
    const body = Buffer.alloc(20_000).map((_, i) => (i * 13) & 0xff);
    const port = await tcpServer((s) => s.end(body));
    const m = master({ dataLatencyUs: 50 });
    configure(m);
    m.chip.map('192.168.7.2', 80, '127.0.0.1', port);
    openTcp(m, 0, '192.168.7.2', 80);
    await m.runUntil(() => m.status(0) === SR.ESTABLISHED, 100);
    await m.runMs(20); // the peer has sent everything; nobody reads yet
    assert.equal(m.r16(m.sreg(0, Sn_RX_RSR)), 2048, 'the ring is full, not overfull');
    assert.equal(m.status(0), SR.ESTABLISHED, 'no FIN before the data behind it');
    const got: number[] = [];
    while (m.status(0) !== SR.CLOSE_WAIT || m.r16(m.sreg(0, Sn_RX_RSR)) > 0) {
      assert.ok(m.r16(m.sreg(0, Sn_RX_RSR)) <= 2048);
      got.push(...m.recvData(0, undefined, undefined, 700));
      await m.runMs(1);
      assert.ok(m.ms < 2000, 'stalled');
    }
    assert.ok(Buffer.from(got).equals(body));
    assert.equal(m.chip.stats[0].bytesIn, body.length);
  });

  it('pauses the host socket while data waits beyond the ring', async () => {
    const big = Buffer.alloc(16 << 20, 0x61); // more than the kernel's loopback buffers hold
    let serverSock: Socket | undefined;
    const port = await tcpServer((s) => {
      serverSock = s;
      s.write(big);
    });
    const m = master();
    configure(m);
    m.chip.map('192.168.7.2', 80, '127.0.0.1', port);
    openTcp(m, 0, '192.168.7.2', 80);
    await m.runUntil(() => m.status(0) === SR.ESTABLISHED, 100);
    await m.runMs(50);
    assert.equal(m.chip.hostPaused(0), true);
    assert.ok(serverSock!.writableLength > 0, 'the peer is held back by TCP flow control');
    assert.equal(m.r16(m.sreg(0, Sn_RX_RSR)), 2048);
  });
});

describe('W5100 TCP server', () => {
  it('LISTEN accepts one loopback peer on the mapped port', async () => {
    const m = master();
    configure(m);
    m.chip.net.listen(80, 0);
    m.w(m.sreg(2, Sn_MR), 0x01);
    m.w16(m.sreg(2, Sn_PORT), 80);
    m.cmd(2, CMD.OPEN);
    m.cmd(2, CMD.LISTEN);
    assert.equal(m.status(2), SR.LISTEN);
    const port = await m.chip.listeningPort(2);
    const { connect } = await import('node:net');
    const client = connect(port, '127.0.0.1');
    const reply = new Promise<string>((r) => {
      let s = '';
      client.on('data', (d) => {
        s += d;
      });
      client.on('end', () => r(s));
    });
    client.write('ping');
    await m.runUntil(() => m.status(2) === SR.ESTABLISHED && m.r16(m.sreg(2, Sn_RX_RSR)) === 4, 1000);
    assert.deepEqual(m.rBytes(m.sreg(2, Sn_DIPR), 4), [192, 168, 7, 2]);
    assert.equal(Buffer.from(m.recvData(2)).toString(), 'ping');
    m.sendData(2, Buffer.from('pong'), 0x5000);
    m.cmd(2, CMD.DISCON);
    await m.runUntil(() => m.status(2) === SR.CLOSED, 1000);
    assert.equal(await reply, 'pong');
    client.destroy();
  });
});

describe('W5100 commit points (wiznet-latch.ts)', () => {
  it('Sn_TX_WR reads back the value of the last SEND until the next SEND', async () => {
    const peer = createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
    const got: Buffer[] = [];
    peer.on('message', (msg) => got.push(msg));
    try {
      const m = master();
      configure(m);
      m.chip.map('192.168.7.2', 9000, '127.0.0.1', peer.address().port);
      m.w(m.sreg(0, Sn_MR), 0x02);
      m.w16(m.sreg(0, Sn_PORT), 5000);
      m.cmd(0, CMD.OPEN);
      m.wBytes(0x4000, [1, 2, 3]);
      m.w16(m.sreg(0, Sn_TX_WR), 3);
      assert.equal(m.r16(m.sreg(0, Sn_TX_WR)), 0, 'not committed before SEND');
      assert.equal(m.r16(m.sreg(0, Sn_TX_FSR)), 2048, 'free space counts committed data only');
      m.wBytes(m.sreg(0, Sn_DIPR), ip4('192.168.7.2'));
      m.w16(m.sreg(0, Sn_DPORT), 9000);
      m.cmd(0, CMD.SEND);
      assert.equal(m.r16(m.sreg(0, Sn_TX_WR)), 3);
      assert.equal(m.r16(m.sreg(0, Sn_TX_RD)), 3);
      await m.runUntil(() => got.length === 1, 500, 'the datagram');
      assert.deepEqual([...got[0]], [1, 2, 3]);
    } finally {
      peer.close();
    }
  });

  it('SEND in a state that cannot send commits nothing; OPEN zeroes the pending TX_WR', () => {
    const m = master();
    m.w(m.sreg(0, Sn_MR), 0x01);
    m.cmd(0, CMD.OPEN);
    assert.equal(m.status(0), SR.INIT);
    m.w16(m.sreg(0, Sn_TX_WR), 0x0123);
    m.cmd(0, CMD.SEND);
    assert.equal(m.r16(m.sreg(0, Sn_TX_WR)), 0, 'INIT: SEND is ignored');
    m.w(m.sreg(0, Sn_MR), 0x02);
    m.cmd(0, CMD.OPEN);
    m.cmd(0, CMD.SEND); // UDP: commits the pending value, which OPEN zeroed
    assert.equal(m.r16(m.sreg(0, Sn_TX_WR)), 0);
  });

  it('Sn_RX_RD takes effect at RECV, which raises RECV again while data remains', async () => {
    const m = master();
    m.wBytes(SHAR, [0xde, 0xad, 0xbe, 0xef, 0xfe, 0x01]);
    m.w(m.sreg(0, Sn_MR), 0x02);
    m.w16(m.sreg(0, Sn_PORT), 1030);
    m.cmd(0, CMD.OPEN);
    m.chip.dns.add('a.lan', '192.168.7.2');
    m.wBytes(m.sreg(0, Sn_DIPR), ip4('192.168.7.1'));
    m.w16(m.sreg(0, Sn_DPORT), 53);
    m.sendData(0, dnsQuery(1, 'a.lan'));
    await m.runUntil(() => m.r16(m.sreg(0, Sn_RX_RSR)) > 8, 50, 'the answer');
    const rsr = m.r16(m.sreg(0, Sn_RX_RSR));
    m.w(m.sreg(0, Sn_IR), 0xff);
    m.w16(m.sreg(0, Sn_RX_RD), 8);
    assert.equal(m.r16(m.sreg(0, Sn_RX_RD)), 0, 'not committed before RECV');
    assert.equal(m.r16(m.sreg(0, Sn_RX_RSR)), rsr);
    m.cmd(0, CMD.RECV);
    assert.equal(m.r16(m.sreg(0, Sn_RX_RD)), 8);
    assert.equal(m.r16(m.sreg(0, Sn_RX_RSR)), rsr - 8);
    assert.equal(m.r(m.sreg(0, Sn_IR)) & SnIR_RECV, SnIR_RECV, 'data remains: RECV raised again');
    m.w(m.sreg(0, Sn_IR), 0xff);
    m.w16(m.sreg(0, Sn_RX_RD), rsr);
    m.cmd(0, CMD.RECV);
    assert.equal(m.r16(m.sreg(0, Sn_RX_RSR)), 0);
    assert.equal(m.r(m.sreg(0, Sn_IR)), 0, 'drained: no RECV');
  });

  it('Sn_DIPR and Sn_DPORT take effect at CONNECT; Sn_MSSR at OPEN, 0 meaning the protocol maximum', async () => {
    const port = await tcpServer(() => {});
    const m = master();
    configure(m);
    m.chip.map('192.168.7.2', 80, '127.0.0.1', port);
    m.w(m.sreg(0, Sn_MR), 0x21);
    m.w16(m.sreg(0, Sn_MSSR), 536);
    assert.equal(m.r16(m.sreg(0, Sn_MSSR)), 0, 'MSSR waits for OPEN');
    m.cmd(0, CMD.OPEN);
    assert.equal(m.r16(m.sreg(0, Sn_MSSR)), 536);
    m.wBytes(m.sreg(0, Sn_DIPR), ip4('192.168.7.2'));
    m.w16(m.sreg(0, Sn_DPORT), 80);
    assert.deepEqual(m.rBytes(m.sreg(0, Sn_DIPR), 6), [0, 0, 0, 0, 0, 0], 'destination waits for CONNECT');
    m.cmd(0, CMD.CONNECT);
    assert.deepEqual(m.rBytes(m.sreg(0, Sn_DIPR), 6), [192, 168, 7, 2, 0, 80]);
    await m.runUntil(() => m.status(0) === SR.ESTABLISHED, 100, 'connected to the committed destination');
    m.w16(m.sreg(1, Sn_MSSR), 0);
    m.w(m.sreg(1, Sn_MR), 0x21);
    m.cmd(1, CMD.OPEN);
    assert.equal(m.r16(m.sreg(1, Sn_MSSR)), 1460, 'TCP maximum');
    m.w16(m.sreg(2, Sn_MSSR), 9000);
    m.w(m.sreg(2, Sn_MR), 0x02);
    m.cmd(2, CMD.OPEN);
    assert.equal(m.r16(m.sreg(2, Sn_MSSR)), 1472, 'UDP maximum');
  });
});

describe('W5100 link', () => {
  it('link down: CONNECT times out after RTR x (RCR+1) of ARP, and the firmware sees only that', async () => {
    const port = await tcpServer(() => {});
    const m = master();
    configure(m);
    m.chip.map('192.168.7.2', 80, '127.0.0.1', port);
    m.chip.link = false;
    m.w16(RTR, 1000);
    m.w(RCR, 2); // 100 ms x 3
    openTcp(m, 0, '192.168.7.2', 80);
    await m.runMs(290);
    assert.equal(m.status(0), SR.SYNSENT);
    await m.runMs(20);
    assert.equal(m.status(0), SR.CLOSED);
    assert.equal(m.r(m.sreg(0, Sn_IR)), SnIR_TIMEOUT);
  });
});
