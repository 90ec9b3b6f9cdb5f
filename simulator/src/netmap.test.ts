import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NetMap, formatIp, isLoopback, parseIp } from './netmap.ts';

describe('address mapping', () => {
  it('parses and formats IPv4 addresses, and rejects junk', () => {
    assert.equal(parseIp('192.168.7.1'), 0xc0a80701);
    assert.equal(formatIp(0xc0a80701), '192.168.7.1');
    for (const bad of ['256.1.1.1', '1.2.3', 'example.com', '']) assert.throws(() => parseIp(bad), /not an IPv4/);
  });

  it('maps simulated ip:port to loopback and back', () => {
    const n = new NetMap();
    n.map('192.168.7.2', 44322, '127.0.0.1', 45123, { refuse: true });
    const m = n.lookup(parseIp('192.168.7.2'), 44322)!;
    assert.equal(m.port, 45123);
    assert.equal(n.lookup(parseIp('192.168.7.2'), 80), undefined);
    assert.equal(n.reverse('127.0.0.1', 45123), m);
    assert.deepEqual(n.faultsFor(m), { refuse: true });
    n.faults = { timeout: true };
    assert.deepEqual(n.faultsFor(undefined), { timeout: true });
  });

  it('knows the default LAN: 192.168.7.0/24, gateway and DNS .1, pool .100-.199', () => {
    const n = new NetMap();
    assert.equal(formatIp(n.lan.gateway), '192.168.7.1');
    assert.equal(formatIp(n.lan.poolStart), '192.168.7.100');
    assert.equal(formatIp(n.lan.poolEnd), '192.168.7.199');
    assert.ok(n.inSubnet(parseIp('192.168.7.254')));
    assert.ok(!n.inSubnet(parseIp('192.168.8.1')));
    assert.ok(n.answersArp(parseIp('192.168.7.1')));
    assert.ok(!n.answersArp(parseIp('192.168.7.77')));
  });

  it('refuses any mapping off loopback, names included', () => {
    const n = new NetMap();
    for (const host of ['10.0.0.1', '8.8.8.8', 'localhost', 'example.com', '::2', '0.0.0.0']) {
      assert.throws(() => n.map('192.168.7.2', 80, host, 80), /only loopback/, host);
    }
    assert.ok(isLoopback('127.0.0.1') && isLoopback('127.9.9.9') && isLoopback('::1'));
    assert.throws(() => n.map('192.168.7.2', 80, '127.0.0.1', 0), /not a port/);
  });
});
