// firmware/src/net/http_client.cpp compiled natively against a scripted socket:
// how it reads the status line, and that a good reply still gets through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildNative, runNative } from './native-build.ts';

const exe = await buildNative(
  'http-client',
  ['test/native/http_client_cli.cpp', 'firmware/src/net/http_client.cpp'],
  ['test/native/stub'],
);

// HttpErr codes of http_client.h.
const E = { none: 0, protocol: 4 };
interface Result {
  phase: 'done' | 'failed';
  err: number;
  status: number;
  body: string;
}

async function get(statusLines: string[]): Promise<Result[]> {
  const replies = statusLines.map(
    (s) => `${s}\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}`,
  );
  return (await runNative(exe, replies.join('\0'))).map((l) => JSON.parse(l) as Result);
}

test('well-formed status lines: HTTP/1.x, three digits, then a space or the line end', async () => {
  const ok: [string, number][] = [
    ['HTTP/1.1 200 OK', 200],
    ['HTTP/1.0 200 OK', 200],
    ['HTTP/1.1 400 Bad Request', 400],
    ['HTTP/1.1 200', 200],
    ['HTTP/1.1 200 ', 200],
    ['HTTP/1.1 503 Service Unavailable, and a reason phrase longer than the line buffer', 503],
  ];
  const rs = await get(ok.map((c) => c[0]));
  ok.forEach(([line, status], i) => {
    assert.deepEqual(rs[i], { phase: 'done', err: E.none, status, body: '{}' }, line);
  });
});

test('anything else in the status line is a protocol error, never a status', async () => {
  const bad = [
    'HTTP/1.1 2000 OK',
    'HTTP/1.1 2000',
    'HTTP/1.1 200OK',
    'HTTP/1.1 20 OK',
    'HTTP/1.1 20',
    'HTTP/1.1  200 OK',
    'HTTP/1.1 2x0 OK',
    'HTTP/1.x 200 OK',
    'HTTP/1. 200 OK',
    'HTTP/1.11 200 OK',
    'HTTP/2 200',
    'HTTP/1.1 200\tOK',
    'HTTP/1.1 -20 OK',
    'HTTP/1.1 099 Low',
    'HTTP/1.1 600 High',
    'ICY 200 OK',
    '',
  ];
  const rs = await get(bad);
  bad.forEach((line, i) => {
    assert.deepEqual([rs[i].phase, rs[i].err, rs[i].body], ['failed', E.protocol, ''], JSON.stringify(line));
  });
});
