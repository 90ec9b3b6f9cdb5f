// UDP through the W5100 model at register level: the 8-byte RX header, the
// built-in DHCP and DNS servers, mapped loopback datagrams.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { SpiMaster, ip4 } from '../../simulator/src/spi-master.ts';
import { DISCOVER, REQUEST, dhcpOptions, dhcpRequest, dnsQuery } from '../../simulator/src/dhcp-packets.ts';
import {
  CMD,
  SHAR,
  SR,
  SnIR_SEND_OK,
  SnIR_TIMEOUT,
  Sn_DIPR,
  Sn_DPORT,
  Sn_IR,
  Sn_MR,
  Sn_PORT,
  Sn_RX_RSR,
} from '../../simulator/src/w5100.ts';

const MAC = [0xde, 0xad, 0xbe, 0xef, 0xfe, 0x03];
const masters: SpiMaster[] = [];
afterEach(() => {
  for (const m of masters.splice(0)) m.dispose();
});

function openUdp(port: number, n = 0) {
  const m = new SpiMaster();
  masters.push(m);
  m.wBytes(SHAR, MAC);
  m.w(m.sreg(n, Sn_MR), 0x02);
  m.w16(m.sreg(n, Sn_PORT), port);
  m.cmd(n, CMD.OPEN);
  assert.equal(m.status(n), SR.UDP);
  return m;
}

function sendTo(m: SpiMaster, ip: string, port: number, data: ArrayLike<number>, n = 0) {
  m.wBytes(m.sreg(n, Sn_DIPR), ip4(ip));
  m.w16(m.sreg(n, Sn_DPORT), port);
  m.sendData(n, data);
}

/** Reads one datagram: the header the chip wrote, then the payload. */
async function receive(m: SpiMaster, n = 0, ms = 50) {
  await m.runUntil(() => m.r16(m.sreg(n, Sn_RX_RSR)) >= 8, ms, 'a datagram');
  const rx = m.recvData(n);
  const len = (rx[6] << 8) | rx[7];
  assert.equal(rx.length, 8 + len, 'exactly one datagram, header included');
  return { ip: rx.slice(0, 4).join('.'), port: (rx[4] << 8) | rx[5], data: Uint8Array.from(rx.slice(8)) };
}

describe('W5100 UDP', () => {
  it('DHCP at register level: DISCOVER/OFFER, REQUEST/ACK from 192.168.7.1:67', async () => {
    const m = openUdp(68);
    sendTo(m, '255.255.255.255', 67, dhcpRequest(DISCOVER, MAC, 42));
    await m.runUntil(() => (m.r(m.sreg(0, Sn_IR)) & SnIR_SEND_OK) !== 0, 5);
    const offer = await receive(m);
    assert.equal(offer.ip, '192.168.7.1');
    assert.equal(offer.port, 67);
    assert.deepEqual(dhcpOptions(offer.data).get(53), [2]);
    const yiaddr = [...offer.data.subarray(16, 20)];
    assert.deepEqual(yiaddr, [192, 168, 7, 100]);
    sendTo(m, '255.255.255.255', 67, dhcpRequest(REQUEST, MAC, 43, { requested: yiaddr, serverId: [192, 168, 7, 1] }));
    const ack = await receive(m);
    assert.deepEqual(dhcpOptions(ack.data).get(53), [5]);
    assert.deepEqual(dhcpOptions(ack.data).get(51), [0, 1, 0x51, 0x80]);
  });

  it('DNS queries to the configured server are answered from its table, never the host resolver', async () => {
    const m = openUdp(1030);
    m.chip.dns.add('pmproxy.lan', '192.168.7.2');
    sendTo(m, '192.168.7.1', 53, dnsQuery(1, 'pmproxy.lan'));
    const a = await receive(m);
    assert.equal(a.ip, '192.168.7.1');
    assert.equal(a.port, 53);
    assert.deepEqual([...a.data.subarray(a.data.length - 4)], [192, 168, 7, 2]);
    sendTo(m, '192.168.7.1', 53, dnsQuery(2, 'localhost'));
    assert.equal((await receive(m)).data[3] & 0xf, 3, 'NXDOMAIN, though the host knows localhost');
  });

  it('mapped datagrams reach a loopback socket and replies come back with the simulated source', async () => {
    const peer = createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
    peer.on('message', (msg, rinfo) => peer.send(Buffer.concat([Buffer.from('re:'), msg]), rinfo.port, rinfo.address));
    try {
      const m = openUdp(4000);
      m.chip.map('192.168.7.2', 5000, '127.0.0.1', peer.address().port);
      sendTo(m, '192.168.7.2', 5000, Buffer.from('abc'));
      const r = await receive(m, 0, 500);
      assert.equal(r.ip, '192.168.7.2');
      assert.equal(r.port, 5000);
      assert.equal(Buffer.from(r.data).toString(), 're:abc');
      assert.equal(m.chip.stats[0].bytesOut, 3);
      assert.equal(m.chip.stats[0].bytesIn, 6);
    } finally {
      peer.close();
    }
  });

  it('drops datagrams that do not fit the RX buffer, as the chip does', async () => {
    const m = openUdp(68);
    for (let i = 0; i < 8; i++) sendTo(m, '255.255.255.255', 67, dhcpRequest(DISCOVER, MAC, i)); // 308 B each
    await m.runMs(5);
    assert.equal(m.r16(m.sreg(0, Sn_RX_RSR)), 6 * 308);
    assert.equal(m.chip.stats[0].udpDropped, 2);
  });

  it('unicast to nobody: ARP fails and SEND ends in TIMEOUT after RTR x (RCR+1)', async () => {
    const m = openUdp(4000);
    sendTo(m, '192.168.7.77', 9, [1]);
    await m.runMs(1790);
    assert.equal(m.r(m.sreg(0, Sn_IR)), 0);
    await m.runMs(20);
    assert.equal(m.r(m.sreg(0, Sn_IR)), SnIR_TIMEOUT);
    assert.equal(m.status(0), SR.UDP, 'the socket stays open');
  });
});
