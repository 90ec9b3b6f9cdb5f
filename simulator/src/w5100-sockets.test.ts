import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { loopbackConnect, loopbackSend } from './w5100-sockets.ts';

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
    } finally { udp.close(); }
  });

  it('connects to loopback', async () => {
    const srv = createServer((s) => s.end('ok'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const sock = loopbackConnect('127.0.0.1', (srv.address() as { port: number }).port);
      const got = await new Promise<string>((r) => { let s = ''; sock.on('data', (d) => { s += d; }); sock.on('end', () => { sock.end(); r(s); }); });
      assert.equal(got, 'ok');
    } finally { srv.close(); }
  });
});
