import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DnsServer, RCODE_FORMERR, RCODE_NXDOMAIN } from './dns-server.ts';
import { dnsQuery } from './dhcp-packets.ts';

describe('DNS server', () => {
  it('answers A queries from its own table, case-insensitively', () => {
    const s = new DnsServer();
    s.add('PMProxy.lan', '192.168.7.2');
    const r = s.handle(dnsQuery(0xbeef, 'pmproxy.LAN'))!;
    const dv = new DataView(r.buffer);
    assert.equal(dv.getUint16(0), 0xbeef);
    assert.equal(dv.getUint16(2) & 0x8000, 0x8000, 'QR');
    assert.equal(dv.getUint16(2) & 0xf, 0, 'NOERROR');
    assert.equal(dv.getUint16(6), 1, 'one answer');
    assert.deepEqual([...r.subarray(r.length - 4)], [192, 168, 7, 2]);
    assert.equal(dv.getUint32(r.length - 10), 300, 'TTL');
  });

  it('says NXDOMAIN for names it does not know (never asks the host resolver)', () => {
    const s = new DnsServer();
    const r = s.handle(dnsQuery(7, 'localhost'))!;
    assert.equal(r[3] & 0xf, RCODE_NXDOMAIN);
    assert.equal(new DataView(r.buffer).getUint16(6), 0);
    assert.equal(s.stats.nxdomain, 1);
  });

  it('answers garbage with FORMERR or not at all, and can go silent', () => {
    const s = new DnsServer();
    assert.equal(s.handle(new Uint8Array(5)), null);
    const bad = dnsQuery(9, 'a.b').slice(0, 15); // label runs off the end
    assert.equal(s.handle(bad)![3] & 0xf, RCODE_FORMERR);
    const loop = Uint8Array.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]); // compression pointer
    assert.equal(s.handle(loop)![3] & 0xf, RCODE_FORMERR);
    s.add('x', '1.2.3.4');
    s.silent = true;
    assert.equal(s.handle(dnsQuery(1, 'x')), null);
  });
});
