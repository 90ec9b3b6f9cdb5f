import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DhcpServer, DHCPACK, DHCPNAK, DHCPOFFER, parseRequest } from './dhcp-server.ts';
import { NetMap } from './netmap.ts';
import { DISCOVER, REQUEST, dhcpOptions, dhcpRequest } from './dhcp-packets.ts';

const MAC = [2, 0, 0, 0, 0, 1];
const server = () => new DhcpServer(new NetMap().lan);

describe('DHCP server', () => {
  it('offers an address from the pool with mask, router, DNS, lease and server id, then ACKs it', () => {
    const s = server();
    const offer = s.handle(dhcpRequest(DISCOVER, MAC, 0x1234))!;
    assert.equal(offer[0], 2, 'BOOTREPLY');
    assert.deepEqual([...offer.subarray(4, 8)], [0, 0, 0x12, 0x34], 'xid');
    assert.deepEqual([...offer.subarray(16, 20)], [192, 168, 7, 100], 'yiaddr');
    assert.deepEqual([...offer.subarray(28, 34)], MAC, 'chaddr');
    const o = dhcpOptions(offer);
    assert.deepEqual(o.get(53), [DHCPOFFER]);
    assert.deepEqual(o.get(1), [255, 255, 255, 0]);
    assert.deepEqual(o.get(3), [192, 168, 7, 1]);
    assert.deepEqual(o.get(6), [192, 168, 7, 1]);
    assert.deepEqual(o.get(54), [192, 168, 7, 1]);
    assert.deepEqual(o.get(51), [0, 1, 0x51, 0x80], '86400 s');
    const ack = s.handle(
      dhcpRequest(REQUEST, MAC, 0x1235, { requested: [192, 168, 7, 100], serverId: [192, 168, 7, 1] }),
    )!;
    assert.deepEqual(dhcpOptions(ack).get(53), [DHCPACK]);
    assert.deepEqual([...ack.subarray(16, 20)], [192, 168, 7, 100]);
    assert.deepEqual(s.stats, { discover: 1, request: 1, offer: 1, ack: 1, nak: 0, ignored: 0 });
  });

  it('gives each MAC its own address and keeps it', () => {
    const s = server();
    const a = s.handle(dhcpRequest(DISCOVER, MAC, 1))!;
    const b = s.handle(dhcpRequest(DISCOVER, [2, 0, 0, 0, 0, 2], 2))!;
    const a2 = s.handle(dhcpRequest(DISCOVER, MAC, 3))!;
    assert.equal(a[19], 100);
    assert.equal(b[19], 101);
    assert.equal(a2[19], 100);
  });

  it('NAKs a request for another address, and every request when told to refuse', () => {
    const s = server();
    s.handle(dhcpRequest(DISCOVER, MAC, 1));
    const nak = s.handle(dhcpRequest(REQUEST, MAC, 2, { requested: [192, 168, 7, 150] }))!;
    assert.deepEqual(dhcpOptions(nak).get(53), [DHCPNAK]);
    s.mode = 'refuse';
    const nak2 = s.handle(dhcpRequest(REQUEST, MAC, 3, { requested: [192, 168, 7, 100] }))!;
    assert.deepEqual(dhcpOptions(nak2).get(53), [DHCPNAK]);
    assert.deepEqual([...nak2.subarray(16, 20)], [0, 0, 0, 0]);
  });

  it('stays silent when told to, and ignores requests meant for another server', () => {
    const s = server();
    s.mode = 'silent';
    assert.equal(s.handle(dhcpRequest(DISCOVER, MAC, 1)), null);
    s.mode = 'serve';
    assert.equal(
      s.handle(dhcpRequest(REQUEST, MAC, 1, { requested: [192, 168, 7, 100], serverId: [10, 0, 0, 1] })),
      null,
    );
  });

  it('sends the configured lease, T1 and T2 (default 1/2 and 7/8), and reports each request', () => {
    const s = server();
    const seen: unknown[] = [];
    s.onRequest = (r) => seen.push(r);
    s.lease = { seconds: 60 };
    const o = dhcpOptions(s.handle(dhcpRequest(DISCOVER, MAC, 1))!);
    assert.deepEqual(
      [o.get(51), o.get(58), o.get(59)],
      [
        [0, 0, 0, 60],
        [0, 0, 0, 30],
        [0, 0, 0, 52],
      ],
    );
    s.lease = { seconds: 600, t1: 100, t2: 200 };
    const renew = dhcpRequest(REQUEST, MAC, 2);
    renew.set([192, 168, 7, 100], 12); // ciaddr, no options 50/54: RENEWING
    const ack = dhcpOptions(s.handle(renew, true)!);
    assert.deepEqual(ack.get(53), [DHCPACK]);
    assert.deepEqual(
      [ack.get(51), ack.get(58), ack.get(59)],
      [
        [0, 0, 2, 0x58],
        [0, 0, 0, 100],
        [0, 0, 0, 200],
      ],
    );
    assert.deepEqual(seen, [
      { type: DISCOVER, ciaddr: 0, unicast: false },
      { type: REQUEST, ciaddr: 0xc0a80764, unicast: true },
    ]);
  });

  it('ignores malformed packets without throwing', () => {
    const s = server();
    const good = dhcpRequest(DISCOVER, MAC, 1);
    const noCookie = good.slice();
    noCookie[236] = 0;
    const truncatedOption = good.slice(0, 243); // 53, len 1, then cut
    const reply = good.slice();
    reply[0] = 2;
    for (const p of [new Uint8Array(0), good.slice(0, 100), noCookie, truncatedOption, reply]) {
      assert.equal(parseRequest(p), undefined);
      assert.equal(s.handle(p), null);
    }
    assert.equal(s.stats.ignored, 5);
  });
});
