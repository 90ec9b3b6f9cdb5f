// The recording proxy against a local HTTP server: keep-alive with several
// replies per connection, Content-Length, chunked and close-delimited bodies,
// bad framing; and the fetch-body parser's digits.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server } from 'node:net';
import {
  fetchReplies,
  instanceId,
  parseFetchBody,
  startRecordingProxy,
  type RecordingProxy,
} from './recording-proxy.ts';

const MODERN =
  '{"context":7,"timestamp":1795811918.1013862,"values":[{"pmid":"60.3.0","name":"network.interface.in.bytes","instances":[{"instance":0,"value":18446744073709551615},{"instance":3,"value":12}]},{"pmid":"19.0.0","name":"shping.time.real","instances":[{"instance":0,"value":29.878}]}]}\r\n';
const LEGACY =
  '{ "timestamp": { "s":1412888245, "us":443665 }, "values": [{"pmid":251658240,"name":"network.interface.out.bytes","instances":[{"instance":-1,"value":5}]}]}';
const INDOM = '{"indom":"60.3","instances":[{"instance":0,"name":"lo"},{"instance":3,"name":"eth0"}]}';

/** A raw server whose replies the test writes byte for byte. */
function rawServer(reply: (path: string) => string): Promise<Server> {
  const server = createServer((s) => {
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        const out = reply(buf.split(' ')[1]);
        // Byte by byte: the proxy must cope with replies split anywhere.
        for (const ch of out) s.write(ch);
        if (out.includes('Connection: close')) s.end();
        buf = buf.slice(end + 4);
      }
    });
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

function send(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (d) => {
      got += d.toString('latin1');
    });
    s.on('end', () => resolve(got));
    s.on('error', reject);
    s.write(text);
  });
}

describe('recording proxy', () => {
  let server: Server;
  let proxy: RecordingProxy;
  before(async () => {
    server = await rawServer((path) => {
      if (path.startsWith('/pmapi/fetch'))
        return `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(MODERN)}\r\n\r\n${MODERN}`;
      if (path.startsWith('/pmapi/9/_fetch')) {
        const half = LEGACY.length >> 1;
        return (
          `HTTP/1.1 200 OK\r\nTransfer-encoding: chunked\r\n\r\n${half.toString(16)}\r\n${LEGACY.slice(0, half)}\r\n` +
          `${(LEGACY.length - half).toString(16)}\r\n${LEGACY.slice(half)}\r\n0\r\n\r\n`
        );
      }
      if (path.startsWith('/pmapi/indom')) return `HTTP/1.0 200 OK\r\nConnection: close\r\n\r\n${INDOM}`;
      return 'HTTP/1.1 200 OK\r\nTransfer-encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n';
    });
    proxy = await startRecordingProxy((server.address() as { port: number }).port);
  });
  after(async () => {
    await proxy.close();
    server.close();
  });

  it('splits a keep-alive stream into exchanges and forwards the bytes unchanged', async () => {
    const got = await send(
      proxy.port,
      'GET /pmapi/fetch?names=a HTTP/1.1\r\n\r\nGET /pmapi/9/_fetch?names=b HTTP/1.1\r\n\r\nGET /pmapi/indom?name=x HTTP/1.1\r\n\r\n',
    );
    assert.ok(got.endsWith(INDOM), 'the last (close-delimited) body reached the client');
    assert.deepEqual(
      proxy.exchanges.map((e) => [e.conn, e.path, e.status]),
      [
        [1, '/pmapi/fetch?names=a', 200],
        [1, '/pmapi/9/_fetch?names=b', 200],
        [1, '/pmapi/indom?name=x', 200],
      ],
    );
    assert.equal(proxy.exchanges[1].body, LEGACY);
    assert.deepEqual(
      fetchReplies(proxy).map((f) => [f.sample.sec, f.sample.ns]),
      [
        [1795811918n, 1013862n],
        [1412888245n, 443665000n],
      ],
    );
    assert.equal(instanceId(proxy, 'eth0'), 3);
    assert.throws(() => instanceId(proxy, 'wlan0'), /wlan0/);
  });

  it('reports framing it cannot follow and keeps forwarding', async () => {
    const got = await send(proxy.port, 'GET /bad HTTP/1.1\r\n\r\n');
    assert.match(got, /zz/);
    assert.match(proxy.errors.join('\n'), /connection 2: bad chunk size line "zz"/);
  });
});

describe('parseFetchBody', () => {
  it('keeps 64-bit counters whole and reads unpadded nanoseconds as an integer', () => {
    const f = parseFetchBody(MODERN);
    assert.equal(f.values.get('network.interface.in.bytes')?.get(0), 18446744073709551615n);
    assert.equal(f.values.get('network.interface.in.bytes')?.get(3), 12n);
    assert.equal(f.values.get('shping.time.real')?.size, 0, 'non-integer values are left out');
    assert.deepEqual([f.sec, f.ns], [1795811918n, 1013862n]);
  });

  it('reads the legacy {s, us} timestamp and singular instances', () => {
    const f = parseFetchBody(LEGACY);
    assert.deepEqual([f.sec, f.ns], [1412888245n, 443665000n]);
    assert.equal(f.values.get('network.interface.out.bytes')?.get(-1), 5n);
  });

  it('rejects bodies without a usable timestamp or values', () => {
    assert.throws(() => parseFetchBody('{"values":[]}'), /timestamp/);
    assert.throws(() => parseFetchBody('{"timestamp":1.1234567890,"values":[]}'), /longer than nanoseconds/);
    assert.throws(() => parseFetchBody('{"timestamp":1.5}'), /values/);
  });
});
