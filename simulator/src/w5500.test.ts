// Register-level spec of the W5500 model, from the W5500 datasheet v1.0.9: a
// TypeScript SPI master (spi-master-w5500.ts) drives it byte by byte through
// the AVR's SPI as the Arduino Ethernet library would, against loopback
// servers and the built-in DHCP server.
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { W5500Master } from './spi-master-w5500.ts';
import { SpiMaster, ip4 } from './spi-master.ts';
import { DISCOVER, REQUEST, dhcpOptions, dhcpRequest } from './dhcp-packets.ts';
import { MR as W5100_MR } from './w5100.ts';
import {
  BSB_COMMON,
  CMD,
  GAR,
  IMR,
  IR,
  MR,
  MR_RST,
  OM_FDM1,
  OM_FDM2,
  OM_FDM4,
  PHYCFGR,
  PMRU,
  PTIMER,
  RCR,
  RTR,
  SHAR,
  SIMR,
  SIPR,
  SIR,
  SR,
  SUBR,
  SnIR_CON,
  SnIR_RECV,
  SnIR_SEND_OK,
  SnIR_TIMEOUT,
  Sn_DHAR,
  Sn_DIPR,
  Sn_FRAG,
  Sn_IMR,
  Sn_IR,
  Sn_MR,
  Sn_PORT,
  Sn_RXBUF_SIZE,
  Sn_RX_RD,
  Sn_RX_RSR,
  Sn_RX_WR,
  Sn_TTL,
  Sn_TXBUF_SIZE,
  Sn_TX_FSR,
  Sn_TX_RD,
  Sn_TX_WR,
  UIPR,
  VERSIONR,
  bsbReg,
  bsbRx,
  bsbTx,
  control,
  type W5500Frame,
} from './w5500.ts';

const MAC = [0xde, 0xad, 0xbe, 0xef, 0xfe, 0x55];
const servers: Server[] = [];
const masters: { dispose(): void }[] = [];
afterEach(() => {
  for (const m of masters.splice(0)) m.dispose();
});
after(() => {
  for (const s of servers) s.close();
});

function master(cfg = {}) {
  const m = new W5500Master(cfg);
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

/** Ethernet.begin(mac, ip): the addresses in one burst each. */
function configure(m: W5500Master, ip = '192.168.7.50') {
  m.write(BSB_COMMON, GAR, [...ip4('192.168.7.1'), ...ip4('255.255.255.0'), ...MAC, ...ip4(ip)]);
}

function open(m: W5500Master, n: number, mr: number, port: number) {
  m.sw(n, Sn_MR, mr);
  m.sw(n, Sn_IR, 0xff);
  m.sw16(n, Sn_PORT, port);
  m.cmd(n, CMD.OPEN);
}

function openTcp(m: W5500Master, n: number, dip: string, dport: number) {
  open(m, n, 0x21, 49152 + n);
  assert.equal(m.status(n), SR.INIT);
  m.write(bsbReg(n), Sn_DIPR, [...ip4(dip), dport >> 8, dport & 0xff]);
  m.cmd(n, CMD.CONNECT);
}

/** The Arduino Ethernet library's probe order (utility/w5100.cpp init): W5200, then W5500, then W5100. */
function probe(bus: { transaction(b: readonly number[]): number[] }): 'W5200' | 'W5500' | 'W5100' | 'none' {
  const soft = (wr: (v: number) => void, rd: () => number) => {
    wr(0x80);
    return rd() === 0;
  };
  const readsBack = (wr: (v: number) => void, rd: () => number, vs: number[]) =>
    vs.every((v) => {
      wr(v);
      return rd() === v;
    });
  // W5200 frames: address, 0x80 | length high (write) or length high, length low, data.
  const w52 = (v: number) => bus.transaction([0, 0, 0x80, 1, v]);
  const r52 = (a = 0) => bus.transaction([a >> 8, a & 0xff, 0, 1, 0])[4];
  if (soft(w52, r52) && readsBack(w52, r52, [0x08, 0x10, 0x00]) && r52(0x1f) === 3) return 'W5200';
  // W5500 frames: address, control (common block), data.
  const w55 = (v: number) => bus.transaction([0, 0, 0x04, v]);
  const r55 = (a = 0) => bus.transaction([a >> 8, a & 0xff, 0x00, 0])[3];
  if (soft(w55, r55) && readsBack(w55, r55, [0x08, 0x10, 0x00]) && r55(0x39) === 4) return 'W5500';
  // W5100 frames: 0xF0 write / 0x0F read, address, data.
  const w51 = (v: number) => bus.transaction([0xf0, 0, 0, v]);
  const r51 = () => bus.transaction([0x0f, 0, 0, 0])[3];
  if (soft(w51, r51) && readsBack(w51, r51, [0x10, 0x12, 0x00])) return 'W5100';
  return 'none';
}

describe('W5500 SPI frame', () => {
  it('clocks out 01 02 03 during the header; a VDM frame auto-increments while CS is low', () => {
    const m = master();
    const addrs = [...ip4('192.168.7.1'), ...ip4('255.255.255.0'), ...MAC, ...ip4('192.168.7.50')];
    assert.deepEqual(m.transaction([0x00, GAR, control(BSB_COMMON, true), ...addrs]).slice(0, 4), [1, 2, 3, 0]);
    assert.deepEqual(m.transaction([0x00, 0x39, control(BSB_COMMON, false), 0]), [1, 2, 3, 4], 'VERSIONR');
    assert.deepEqual(m.read(BSB_COMMON, GAR, 18), addrs, 'one read frame over GAR..SIPR');
    assert.equal(m.chip.frames, 3);
  });

  it('fixed-length modes end after 1, 2 or 4 data bytes with SCSn held low', () => {
    const m = master();
    const frames: W5500Frame[] = [];
    m.chip.onFrame = (f) => frames.push(f);
    // Three FDM frames back to back in one CS-low transaction: write GAR (4), write SUBR[0..1] (2), read GAR[0] (1).
    const miso = m.transaction([
      0x00,
      GAR,
      control(BSB_COMMON, true, OM_FDM4),
      10,
      0,
      0,
      1,
      0x00,
      SUBR,
      control(BSB_COMMON, true, OM_FDM2),
      255,
      255,
      0x00,
      GAR,
      control(BSB_COMMON, false, OM_FDM1),
      0,
    ]);
    assert.equal(miso[miso.length - 1], 10);
    assert.deepEqual(
      frames.map((f) => [f.addr, f.write, f.om, f.length]),
      [
        [GAR, true, OM_FDM4, 4],
        [SUBR, true, OM_FDM2, 2],
        [GAR, false, OM_FDM1, 1],
      ],
    );
    assert.deepEqual(m.read(BSB_COMMON, GAR, 6), [10, 0, 0, 1, 255, 255]);
  });

  it('a frame cut inside its header changes nothing; reserved blocks read 0 and ignore writes', () => {
    const m = master();
    m.cs(true);
    m.transfer(0x00);
    m.transfer(GAR);
    m.cs(false); // no control byte
    m.write(BSB_COMMON, GAR, [7]);
    assert.equal(m.chip.droppedFrames, 1);
    assert.equal(m.r(GAR), 7);
    m.write(4, 0x0000, [1, 2, 3]); // BSB 00100: reserved
    assert.deepEqual(m.read(4, 0x0000, 3), [0, 0, 0]);
    assert.deepEqual(m.read(BSB_COMMON, 0x0040, 2), [0, 0], 'past the common registers');
    assert.equal(m.r(GAR), 7);
  });
});

describe('W5500 common registers', () => {
  it('has the datasheet reset values, VERSIONR 0x04, and socket defaults (2 KB buffers)', () => {
    const m = master();
    assert.equal(m.r(MR), 0);
    assert.equal(m.r16(RTR), 0x07d0);
    assert.equal(m.r(RCR), 8);
    assert.equal(m.r(PTIMER), 0x28);
    assert.equal(m.r16(PMRU), 0xffff);
    assert.equal(m.r(VERSIONR), 0x04);
    m.w(VERSIONR, 0x55);
    assert.equal(m.r(VERSIONR), 0x04, 'read-only');
    for (let n = 0; n < 8; n++) {
      assert.equal(m.status(n), SR.CLOSED);
      assert.equal(m.sr(n, Sn_TTL), 0x80);
      assert.deepEqual(m.read(bsbReg(n), Sn_DHAR, 6), [255, 255, 255, 255, 255, 255]);
      assert.equal(m.sr(n, Sn_RXBUF_SIZE), 2);
      assert.equal(m.sr(n, Sn_TXBUF_SIZE), 2);
      assert.equal(m.sr16(n, Sn_TX_FSR), 0x0800);
      assert.equal(m.sr(n, Sn_IMR), 0xff);
      assert.equal(m.sr16(n, Sn_FRAG), 0x4000);
    }
  });

  it('PHYCFGR: LNK follows the cable and the PHY reset; the status bits are read-only', () => {
    const m = master();
    assert.equal(m.r(PHYCFGR), 0xbf, '100 Mb/s full duplex, link up');
    m.chip.link = false;
    assert.equal(m.r(PHYCFGR) & 0x01, 0, 'cable out');
    m.chip.link = true;
    m.w(PHYCFGR, 0x38); // RST low: PHY held in reset
    assert.equal(m.r(PHYCFGR) & 0x01, 0);
    m.w(PHYCFGR, 0xb8);
    assert.equal(m.r(PHYCFGR), 0xbf);
    m.w(PHYCFGR, 0xb8 & ~0x07);
    assert.equal(m.r(PHYCFGR) & 0x07, 0x07, "DPX/SPD/LNK are the PHY's, not the host's");
  });

  it('MR.RST self-clears and resets every register and socket', async () => {
    const port = await tcpServer(() => {});
    const m = master();
    configure(m);
    m.chip.map('192.168.7.2', 80, '127.0.0.1', port);
    m.w16(RTR, 1234);
    m.w(RCR, 3);
    m.w(IMR, 0xf0);
    m.sw(3, Sn_TXBUF_SIZE, 4);
    openTcp(m, 0, '192.168.7.2', 80);
    await m.runUntil(() => m.status(0) === SR.ESTABLISHED, 100);
    m.w(MR, MR_RST);
    assert.equal(m.r(MR), 0);
    assert.equal(m.r16(RTR), 0x07d0);
    assert.equal(m.r(RCR), 8);
    assert.equal(m.r(IMR), 0);
    assert.equal(m.sr(3, Sn_TXBUF_SIZE), 2);
    assert.deepEqual(m.read(BSB_COMMON, SIPR, 4), [0, 0, 0, 0]);
    assert.equal(m.status(0), SR.CLOSED);
  });

  it('IR is write-1-to-clear; SIR is read-only and shows Sn_IR & Sn_IMR; UIPR is read-only', async () => {
    const m = master();
    configure(m);
    open(m, 2, 0x02, 4000);
    m.write(bsbReg(2), Sn_DIPR, [...ip4('192.168.7.77'), 0, 9]); // nobody: ARP gives up
    m.sendData(2, [1]);
    await m.runUntil(() => m.sr(2, Sn_IR) !== 0, 2000, 'TIMEOUT');
    assert.equal(m.sr(2, Sn_IR), SnIR_TIMEOUT);
    assert.equal(m.r(SIR), 0x04, 'socket 2');
    m.sw(2, Sn_IMR, SnIR_CON);
    assert.equal(m.r(SIR), 0, 'masked by Sn_IMR');
    m.sw(2, Sn_IMR, 0xff);
    m.w(SIR, 0);
    assert.equal(m.r(SIR), 0x04, 'writing SIR does nothing');
    m.sw(2, Sn_IR, SnIR_TIMEOUT);
    assert.equal(m.r(SIR), 0);
    m.w(IR, 0xf0);
    assert.equal(m.r(IR), 0);
    m.write(BSB_COMMON, UIPR, [1, 2, 3, 4]);
    assert.deepEqual(m.read(BSB_COMMON, UIPR, 4), [0, 0, 0, 0]);
  });

  it("the library's W5100 addresses land on the W5500's: RTR at 0x0017 hits SIR/SIMR, RCR at 0x0019 hits RTR", () => {
    const m = master();
    // Ethernet.setRetransmissionTimeout(100): 1000 (0x03E8) written at 0x0017-0x0018 in one frame.
    m.write(BSB_COMMON, 0x0017, [0x03, 0xe8]);
    // Ethernet.setRetransmissionCount(3): 3 written at 0x0019.
    m.w(0x0019, 3);
    assert.equal(m.r(SIR), 0, 'SIR is read-only');
    assert.equal(m.r(SIMR), 0xe8, 'the low byte enables socket interrupts instead');
    assert.equal(m.r16(RTR), 0x03d0, 'RTR high byte = the count');
    assert.equal(m.r(RCR), 8, 'RCR untouched');
    assert.equal(m.chip.arpTimeoutUs(), 0x03d0 * 100 * 9);
  });
});

describe('W5500 chip detection', () => {
  it("the Arduino library's probe order finds a W5500 on the W5500 and a W5100 on the W5100", () => {
    const a = master();
    assert.equal(probe(a), 'W5500');
    const b = new SpiMaster();
    masters.push(b);
    assert.equal(probe(b), 'W5100');
  });

  it('a W5100-first probe fails cleanly on a W5500: its frames read reserved space and write nothing', () => {
    const m = master();
    configure(m);
    const before = [...m.chip.common];
    const frames: W5500Frame[] = [];
    m.chip.onFrame = (f) => frames.push(f);
    for (const v of [0x80, 0x10, 0x12, 0x00]) {
      m.transaction([0xf0, 0, W5100_MR, v]);
      assert.equal(m.transaction([0x0f, 0, W5100_MR, 0])[3], 0, 'MR reads back 0, never what was written');
    }
    assert.ok(
      frames.every((f) => !f.write),
      'every W5100 frame is a W5500 read',
    );
    assert.deepEqual([...m.chip.common], before, 'no register changed');
  });
});

describe('W5500 buffers', () => {
  it('offsets are the pointers themselves: a burst wraps inside the socket buffer', () => {
    const m = master();
    m.write(bsbTx(1), 0x1ffe, [0xa1, 0xa2, 0xa3, 0xa4]);
    assert.deepEqual(m.read(bsbTx(1), 0x07fe, 4), [0xa1, 0xa2, 0xa3, 0xa4], 'offset mod 2 KB');
    assert.deepEqual([...m.chip.txMem.subarray(0x0ffe, 0x1002)], [0xa1, 0xa2, 0, 0], 'socket 1 sits at 2 KB');
    assert.deepEqual([...m.chip.txMem.subarray(0x0800, 0x0802)], [0xa3, 0xa4], 'the burst wrapped to its start');
    m.write(bsbRx(0), 0xffff, [1, 2]); // the 16-bit offset wraps too
    assert.deepEqual(m.read(bsbRx(0), 0x07ff, 2), [1, 2]);
  });

  it('Sn_TXBUF_SIZE/Sn_RXBUF_SIZE move the buffers; over 16 KB is refused with a warning', () => {
    const m = master();
    m.sw(0, Sn_TXBUF_SIZE, 8);
    assert.equal(m.sr16(0, Sn_TX_FSR), 8192);
    m.write(bsbTx(1), 0, [0x77]);
    assert.equal(m.chip.txMem[8192], 0x77, 'socket 1 now starts at 8 KB');
    m.sw(7, Sn_TXBUF_SIZE, 16);
    assert.equal(m.sr16(7, Sn_TX_FSR), 0, '8 + 6 x 2 + 16 KB does not fit');
    assert.match(m.chip.warnings.join('\n'), /socket 7: TX buffers total more than 16 KB/);
    m.sw(6, Sn_RXBUF_SIZE, 3);
    assert.match(m.chip.warnings.join('\n'), /socket 6: RX size 3 KB/);
  });
});

describe('W5500 sockets over loopback', () => {
  it('UDP to a mapped loopback echo server, replies with the simulated source', async () => {
    const peer = createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
    peer.on('message', (msg, rinfo) => peer.send(Buffer.concat([Buffer.from('re:'), msg]), rinfo.port, rinfo.address));
    try {
      const m = master();
      configure(m);
      m.chip.map('192.168.7.2', 5000, '127.0.0.1', peer.address().port);
      open(m, 5, 0x02, 4000);
      assert.equal(m.status(5), SR.UDP);
      m.write(bsbReg(5), Sn_DIPR, [...ip4('192.168.7.2'), 0x13, 0x88]);
      m.sendData(5, Buffer.from('abc'));
      await m.runUntil(() => m.sr16(5, Sn_RX_RSR) >= 8, 500, 'the echo');
      const rx = m.recvData(5);
      assert.deepEqual(rx.slice(0, 8), [192, 168, 7, 2, 0x13, 0x88, 0, 6]);
      assert.equal(Buffer.from(rx.slice(8)).toString(), 're:abc');
      assert.equal(m.chip.stats[5].bytesOut, 3);
    } finally {
      peer.close();
    }
  });

  it('TCP: CONNECT to a loopback server, SEND, RECV, peer FIN, DISCON; 70 KB echoed through wrapping pointers', async () => {
    const port = await tcpServer((s) => s.pipe(s));
    const m = master();
    configure(m);
    m.chip.map('192.168.7.2', 7, '127.0.0.1', port);
    openTcp(m, 3, '192.168.7.2', 7);
    assert.equal(m.status(3), 0x15, 'SYNSENT');
    await m.runUntil(() => m.status(3) === SR.ESTABLISHED, 100, 'ESTABLISHED');
    assert.equal(m.sr(3, Sn_IR) & SnIR_CON, SnIR_CON);
    const total = 70_000;
    const data = Buffer.alloc(total).map((_, i) => (i * 7 + (i >> 8)) & 0xff);
    const got: number[] = [];
    let sent = 0;
    while (got.length < total) {
      if (sent < total && m.sr16(3, Sn_TX_FSR) >= 1500) {
        const chunk = data.subarray(sent, Math.min(total, sent + 1500));
        m.sendData(3, chunk);
        sent += chunk.length;
      }
      got.push(...m.recvData(3));
      await m.runMs(1);
      assert.ok(m.ms < 5000, 'echo stalled');
    }
    assert.ok(Buffer.from(got).equals(data), 'every byte back, in order');
    assert.equal(m.sr16(3, Sn_TX_RD), total & 0xffff);
    assert.equal(m.sr16(3, Sn_RX_WR), total & 0xffff);
    m.cmd(3, CMD.DISCON);
    await m.runUntil(() => m.status(3) === SR.CLOSED, 1000, 'CLOSED');
    assert.equal(m.chip.stats[3].connects, 1);
  });

  it('DHCP lease from the built-in server, each message written in chunks and sent once (commit at SEND)', async () => {
    const m = master();
    m.write(BSB_COMMON, SHAR, MAC);
    open(m, 0, 0x02, 68);
    m.write(bsbReg(0), Sn_DIPR, [255, 255, 255, 255, 0, 67]);
    const sendChunked = (p: Uint8Array) => {
      const cuts = [0, 28, 44, 76, 108, 140, 172, 204, 236, 243, p.length];
      for (let i = 0; i + 1 < cuts.length; i++) m.bufferData(0, cuts[i], p.subarray(cuts[i], cuts[i + 1]));
      assert.equal(m.sr16(0, Sn_TX_WR), m.sr16(0, Sn_TX_RD), 'TX_WR reads the committed value until SEND');
      m.cmd(0, CMD.SEND);
    };
    const receive = async () => {
      await m.runUntil(() => m.sr16(0, Sn_RX_RSR) >= 8, 50, 'a reply');
      const rx = m.recvData(0);
      return Uint8Array.from(rx.slice(8));
    };
    sendChunked(dhcpRequest(DISCOVER, MAC, 7));
    const offer = await receive();
    assert.deepEqual(dhcpOptions(offer).get(53), [2], 'OFFER');
    sendChunked(dhcpRequest(REQUEST, MAC, 8, { requested: [...offer.subarray(16, 20)], serverId: [192, 168, 7, 1] }));
    const ack = await receive();
    assert.deepEqual(dhcpOptions(ack).get(53), [5], 'ACK');
    assert.deepEqual([...ack.subarray(16, 20)], [192, 168, 7, 100]);
    assert.equal(m.chip.dhcp.stats.ignored, 0);
    m.chip.link = false;
    sendChunked(dhcpRequest(DISCOVER, MAC, 9));
    await m.runMs(20);
    assert.equal(m.sr16(0, Sn_RX_RSR), 0, 'cable out: nobody answers');
    assert.equal(m.chip.dhcp.stats.discover, 1);
  });

  it('RX_RD takes effect at RECV; RECV raises RECV again while data remains', async () => {
    const m = master();
    m.write(BSB_COMMON, SHAR, MAC);
    open(m, 0, 0x02, 68);
    m.write(bsbReg(0), Sn_DIPR, [255, 255, 255, 255, 0, 67]);
    m.sendData(0, dhcpRequest(DISCOVER, MAC, 7));
    await m.runUntil(() => (m.sr(0, Sn_IR) & SnIR_SEND_OK) !== 0 && m.sr16(0, Sn_RX_RSR) > 0, 50, 'OFFER');
    const rsr = m.sr16(0, Sn_RX_RSR);
    m.sw(0, Sn_IR, 0xff);
    m.sw16(0, Sn_RX_RD, 8);
    assert.equal(m.sr16(0, Sn_RX_RD), 0);
    assert.equal(m.sr16(0, Sn_RX_RSR), rsr);
    m.cmd(0, CMD.RECV);
    assert.equal(m.sr16(0, Sn_RX_RSR), rsr - 8);
    assert.equal(m.sr(0, Sn_IR), SnIR_RECV);
  });

  it('has no IPRAW: Sn_MR 0x03 opens nothing; MACRAW only on socket 0', () => {
    const m = master();
    open(m, 1, 0x03, 0);
    assert.equal(m.status(1), SR.CLOSED);
    open(m, 1, 0x04, 0);
    assert.equal(m.status(1), SR.CLOSED);
    open(m, 0, 0x04, 0);
    assert.equal(m.status(0), SR.MACRAW);
  });

  it('refuses mappings to anything but loopback', () => {
    const m = master();
    assert.throws(() => m.chip.map('192.168.7.2', 80, '10.0.0.1', 80), /refusing to map to "10\.0\.0\.1"/);
    assert.throws(() => m.chip.map('192.168.7.2', 80, 'localhost', 80), /only loopback/);
  });

  it('cable out: CONNECT times out after RTR x (RCR+1) of ARP', async () => {
    const port = await tcpServer(() => {});
    const m = master();
    configure(m);
    m.chip.map('192.168.7.2', 80, '127.0.0.1', port);
    m.chip.link = false;
    m.w16(RTR, 1000);
    m.w(RCR, 2);
    openTcp(m, 0, '192.168.7.2', 80);
    await m.runMs(290);
    assert.equal(m.status(0), 0x15);
    await m.runMs(20);
    assert.equal(m.status(0), SR.CLOSED);
    assert.equal(m.sr(0, Sn_IR), SnIR_TIMEOUT);
  });
});
