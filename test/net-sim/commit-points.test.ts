// When written W5100 pointer registers take effect, seen the way common drivers
// depend on it: the Arduino Ethernet library writes one UDP packet (a DHCP
// DISCOVER, a DNS query, EthernetUdp::write calls) in several chunks, each
// placed at TX_WR read back + the running offset, and each followed by a TX_WR
// write; only endPacket SENDs. That works on the real chip because TX_WR reads
// back the value committed by the last SEND (W5100 datasheet v1.2.x, Sn_TX_WR
// caution). A model that commits the written TX_WR at once spreads the chunks
// apart, leaving gaps in the packet.
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { SpiMaster, ip4 } from '../../simulator/src/spi-master.ts';
import { DISCOVER, REQUEST, dhcpOptions, dhcpRequest } from '../../simulator/src/dhcp-packets.ts';
import {
  CMD,
  GAR,
  SHAR,
  SIPR,
  SR,
  SUBR,
  SnIR_SEND_OK,
  Sn_DIPR,
  Sn_DPORT,
  Sn_IR,
  Sn_MR,
  Sn_PORT,
  Sn_RX_RSR,
} from '../../simulator/src/w5100.ts';

const MAC = [0xde, 0xad, 0xbe, 0xef, 0xfe, 0x05];
const masters: SpiMaster[] = [];
const servers: Server[] = [];
afterEach(() => {
  for (const m of masters.splice(0)) m.dispose();
});
after(() => {
  for (const s of servers) s.close();
});

function master() {
  const m = new SpiMaster();
  masters.push(m);
  m.wBytes(SHAR, MAC);
  return m;
}

function open(m: SpiMaster, mr: number, port: number, n = 0) {
  m.w(m.sreg(n, Sn_MR), mr);
  m.w(m.sreg(n, Sn_IR), 0xff);
  m.w16(m.sreg(n, Sn_PORT), port);
  m.cmd(n, CMD.OPEN);
}

/** Writes data in chunks cut at `cuts` (offsets into data), as EthernetUdp::write would, then one SEND. */
function sendChunked(m: SpiMaster, n: number, data: Uint8Array, cuts: number[]) {
  const edges = [0, ...cuts, data.length];
  for (let i = 0; i + 1 < edges.length; i++) m.bufferData(n, edges[i], data.subarray(edges[i], edges[i + 1]));
  m.cmd(n, CMD.SEND);
}

/** Where Dhcp.cpp's send_DHCP_MESSAGE cuts a request: the fixed header, chaddr, sname/file in 32-byte blocks, options. */
const DHCP_CUTS = [28, 44, 76, 108, 140, 172, 204, 236, 243];

async function receive(m: SpiMaster, n = 0, ms = 50) {
  await m.runUntil(() => m.r16(m.sreg(n, Sn_RX_RSR)) >= 8, ms, 'a datagram');
  const rx = m.recvData(n);
  return Uint8Array.from(rx.slice(8, 8 + ((rx[6] << 8) | rx[7])));
}

describe('W5100 commit points as drivers use them', () => {
  it('a UDP packet written in chunks (EthernetUdp::write) leaves as one contiguous datagram', async () => {
    const peer = createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
    const got: Buffer[] = [];
    peer.on('message', (msg) => got.push(msg));
    try {
      const m = master();
      m.wBytes(SIPR, ip4('192.168.7.50'));
      m.wBytes(SUBR, ip4('255.255.255.0'));
      m.wBytes(GAR, ip4('192.168.7.1'));
      m.chip.map('192.168.7.2', 5000, '127.0.0.1', peer.address().port);
      open(m, 0x02, 4000);
      m.wBytes(m.sreg(0, Sn_DIPR), ip4('192.168.7.2'));
      m.w16(m.sreg(0, Sn_DPORT), 5000);
      const data = Uint8Array.from({ length: 40 }, (_, i) => i + 1);
      sendChunked(m, 0, data, [10, 25]);
      await m.runUntil(() => got.length > 0, 500, 'the datagram');
      assert.deepEqual([...got[0]], [...data]);
      // And again: the second packet starts where the first one's SEND left TX_WR.
      const more = Uint8Array.from({ length: 7 }, (_, i) => 0xa0 + i);
      sendChunked(m, 0, more, [3]);
      await m.runUntil(() => got.length > 1, 500, 'the second datagram');
      assert.deepEqual([...got[1]], [...more]);
    } finally {
      peer.close();
    }
  });

  it('a TCP stream written in chunks before one SEND arrives contiguous', async () => {
    let received = Buffer.alloc(0);
    const srv = createServer((s) =>
      s.on('data', (d) => {
        received = Buffer.concat([received, d]);
      }),
    );
    servers.push(srv);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const m = master();
    m.wBytes(SIPR, ip4('192.168.7.50'));
    m.wBytes(SUBR, ip4('255.255.255.0'));
    m.chip.map('192.168.7.2', 80, '127.0.0.1', (srv.address() as { port: number }).port);
    open(m, 0x21, 49152);
    m.wBytes(m.sreg(0, Sn_DIPR), ip4('192.168.7.2'));
    m.w16(m.sreg(0, Sn_DPORT), 80);
    m.cmd(0, CMD.CONNECT);
    await m.runUntil(() => m.status(0) === SR.ESTABLISHED, 100, 'ESTABLISHED');
    const req = Buffer.from('GET /pmapi/fetch?names=network.interface.in.bytes HTTP/1.1\r\nHost: x\r\n\r\n');
    sendChunked(m, 0, req, [4, 10, 30, 50]);
    sendChunked(m, 0, req, [1, 2, 3]);
    await m.runUntil(() => received.length >= 2 * req.length, 500, 'the stream');
    assert.equal(received.toString(), req.toString() + req.toString());
  });

  it('a DHCP client that writes its messages in chunks gets a lease', async () => {
    const m = master();
    open(m, 0x02, 68);
    m.wBytes(m.sreg(0, Sn_DIPR), [255, 255, 255, 255]);
    m.w16(m.sreg(0, Sn_DPORT), 67);
    sendChunked(m, 0, dhcpRequest(DISCOVER, MAC, 0x1234), DHCP_CUTS);
    await m.runUntil(() => (m.r(m.sreg(0, Sn_IR)) & SnIR_SEND_OK) !== 0, 5, 'SEND_OK');
    const offer = await receive(m);
    assert.deepEqual(dhcpOptions(offer).get(53), [2], 'OFFER');
    const yiaddr = [...offer.subarray(16, 20)];
    sendChunked(m, 0, dhcpRequest(REQUEST, MAC, 0x1235, { requested: yiaddr, serverId: [192, 168, 7, 1] }), DHCP_CUTS);
    const ack = await receive(m);
    assert.deepEqual(dhcpOptions(ack).get(53), [5], 'ACK');
    assert.deepEqual([...ack.subarray(16, 20)], [192, 168, 7, 100]);
    assert.deepEqual(m.chip.dhcp.stats, { discover: 1, request: 1, offer: 1, ack: 1, nak: 0, ignored: 0 });
  });
});
