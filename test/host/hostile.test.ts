// What an adversarial PMWEBAPI server can send must not reach a terminal, the logs or
// the glass as anything but plain, escaped text: control sequences in error bodies and
// parse errors, redirects to other hosts, absurd latencies, undisplayable names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFakePmwebapi, type FakePmwebapi } from '../support/pmwebapi-fake.ts';
import { FakeBoard } from './support/fake-board.ts';
import { Bridge } from '../../host/src/bridge.ts';
import { resolveConfig } from '../../host/src/config.ts';
import { createLogger, type LogFormat } from '../../host/src/log.ts';
import { SerialLink } from '../../host/src/serial-link.ts';
import { escapeText } from '../../host/src/protocol.ts';
import { lcdText } from '../../host/src/format.ts';

// ESC[2J clears the screen, ESC]0;...BEL retitles the window, CSI (U+009B) is the 8-bit ESC[.
const HOSTILE = 'x\x1b[2J\x1b]0;pwned\x07\x9b31m\x7fy';
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

interface Rig {
  fake: FakePmwebapi;
  board: FakeBoard;
  bridge: Bridge;
  logs: string[];
}

async function rig(format: LogFormat, flags: Record<string, string>, fn: (r: Rig) => Promise<void>): Promise<void> {
  const fake = await startFakePmwebapi();
  const board = new FakeBoard();
  const link = new SerialLink({
    binding: board.binding(),
    findPath: async () => board.path,
    bannerTimeoutMs: 200,
    replyTimeoutMs: 300,
  });
  const cfg = resolveConfig({
    flags: { url: fake.url, iface: 'eth0', 'latency-instance': 'lo', poll: '5', 'timeout-ms': '500', ...flags },
  });
  const logs: string[] = [];
  const bridge = new Bridge({ cfg, link, log: createLogger(format, (l) => logs.push(l)) });
  link.start();
  try {
    await fn({ fake, board, bridge, logs });
  } finally {
    await bridge.stop();
    await fake.close();
  }
}

async function until(cond: () => boolean, what: () => string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await sleep(5);
  }
}

for (const format of ['pretty', 'json'] as const) {
  test(`control sequences in an HTML error body and a JSON parse error are escaped in ${format} logs`, async () => {
    await rig(format, {}, async ({ fake, bridge, logs }) => {
      fake.state.faults.push({
        path: '/pmapi/',
        status: 500,
        body: `<html><body><h1>500</h1>${HOSTILE}</body></html>`,
      });
      await bridge.pollOnce();
      assert.equal(bridge.sources[0].state().up, false);
      await bridge.pollOnce(); // up again
      // Node's JSON.parse error quotes a snippet of the body, control bytes included.
      fake.state.faults.push({ path: '/pmapi/fetch', status: 200, json: true, body: `{"values":${HOSTILE}` });
      await bridge.pollOnce();
      assert.match(bridge.sources[0].state().lastError ?? '', /JSON/);
      const text = logs.join('');
      const downs = logs.filter((l) => l.includes('source down'));
      assert.equal(downs.length, 2, text);
      for (const l of downs) {
        assert.doesNotMatch(l.slice(0, -1), RAW_CONTROL, `raw control character in ${JSON.stringify(l)}`);
        assert.match(l, format === 'json' ? /\\u001b\[2J/ : /\\x1b\[2J/, 'the escape is shown, not dropped');
      }
      if (format === 'json') for (const l of logs) JSON.parse(l.slice(l.indexOf('>') + 1));
    });
  });
}

test('a redirect is refused and logged, never followed: no data from the other host', async () => {
  const other = await startFakePmwebapi();
  try {
    await rig('pretty', {}, async ({ fake, bridge, logs, board }) => {
      const elsewhere = `http://127.0.0.1:${other.port}/pmapi/context?hostspec=localhost`;
      fake.state.faults.push({ path: '/pmapi/', status: 301, location: elsewhere, times: 1 });
      await bridge.pollOnce();
      const st = bridge.sources[0].state();
      assert.equal(other.requests.length, 0, 'the other host was never asked');
      assert.equal(st.up, false, 'a redirect is a source error');
      assert.equal(st.lastError, `HTTP 301: redirect refused, to ${elsewhere}`);
      assert.match(logs.join(''), /source down .*redirect refused, to http:\/\/127\.0\.0\.1/);
      // The alert alternates with the main page: refresh while waiting.
      await until(
        () => {
          bridge.refresh();
          return board.text()[1].startsWith('301 redirect');
        },
        () => JSON.stringify(board.text()),
        5000,
      );
      await bridge.pollOnce();
      assert.equal(bridge.sources[0].state().up, true, 'the configured source is used again');
      // Credentials in a Location are not repeated in the error or the logs.
      fake.state.faults.push({
        path: '/pmapi/',
        status: 307,
        location: `http://user:hunter2@127.0.0.1:${other.port}/x`,
        times: 1,
      });
      await bridge.pollOnce();
      assert.equal(other.requests.length, 0);
      assert.match(
        bridge.sources[0].state().lastError ?? '',
        /^HTTP 307: redirect refused, to http:\/\/127\.0\.0\.1:\d+\/x$/,
      );
      assert.doesNotMatch(logs.join(''), /hunter2/);
    });
  } finally {
    await other.close();
  }
});

test('undisplayable characters reach the glass as one ? each (docs/screens.md)', async () => {
  await rig('json', {}, async ({ fake, bridge, board }) => {
    // pmproxy escapes control characters in JSON strings; the message must be decoded, then mapped.
    const body = '{"context":1,"message":"eth\\u001b[2J\\u00e9 \\ud83d\\ude00 gone","success":false}\r\n';
    fake.state.faults.push({ path: '/pmapi/', status: 400, json: true, body, times: 1000 });
    await bridge.pollOnce();
    assert.match(
      bridge.sources[0].state().lastError ?? '',
      /eth\x1b\[2J\u00e9 \u{1f600} gone/u,
      'the JSON escapes are decoded',
    );
    await until(
      () => {
        bridge.refresh();
        return board.text()[1] === 'ctx 400 eth?[2J?';
      },
      () => JSON.stringify(board.text()),
      5000,
    );
  });
});

test('the last gate: only glyph codes 0-7, printable ASCII and the full block leave for the board', () => {
  assert.equal(escapeText('a\x1bb\x80\u00e9\u{1f600}\x7f\x08\x1f\xff\x01|', true), 'a?b??????\\xFF\\1\\|');
  assert.equal(lcdText('caf\u00e9 \u{1f600}\x00\x07~\\'), 'caf? ???~\\');
});

test('an absurd latency (1e30 ms, above 60 s, negative) is a failed sample and never enters min/avg/max', async () => {
  await rig('json', {}, async ({ fake, bridge }) => {
    const ping = fake.state.pings[0];
    const sample = async (ms: number) => {
      ping.real = ms;
      fake.state.timestamp.sec += 1;
      await bridge.pollOnce();
      return bridge.sources[0].state();
    };
    assert.equal((await sample(5)).latencyUs, 5000);
    for (const bad of [1e30, 60_001, -3]) {
      const st = await sample(bad);
      assert.equal(st.latencyUs, null, `${bad} ms is a failure`);
      assert.deepEqual(st.latency, { minUs: 5000, avgUs: 5000, maxUs: 5000, samples: 1 }, `${bad} ms is not a sample`);
    }
    const st = await sample(60_000);
    assert.equal(st.latencyUs, 60_000_000, 'the maximum itself is a sample');
    assert.equal(st.latency?.samples, 2);
  });
});
