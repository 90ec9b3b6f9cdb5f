// The daemon as systemd runs it: no device, no PCP, JSON logs with priorities,
// SIGTERM -> exit 0; and `npm start`'s demo leaves nothing running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { pcpUnavailable } from '../support/pcp.ts';

const BIN = new URL('../../bin/pmlcd.mjs', import.meta.url).pathname;

function start(args: string[], env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PMLCD_')));
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  return { child, output: () => out };
}

async function waitFor(get: () => string, re: RegExp, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!re.test(get())) {
    if (Date.now() > end) throw new Error(`no ${re} in output:\n${get()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('run without a board or a pmproxy keeps retrying, logs for journald, exits 0 on SIGTERM', async () => {
  const { child, output } = start(['run'], {
    PMLCD_PORT: '/dev/pmlcd-test-does-not-exist',
    PMLCD_URL: 'http://127.0.0.1:9',
    PMLCD_POLL: '0.5',
    PMLCD_TIMEOUT_MS: '200',
  });
  await waitFor(output, /source down/, 10_000);
  await waitFor(output, /cannot open \/dev\/pmlcd-test-does-not-exist/, 10_000);
  assert.equal(child.exitCode, null, 'still running');
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, output());
  const lines = output().trim().split('\n');
  for (const l of lines) assert.match(l, /^<[3-7]>\{.*\}$/, `journald line: ${l}`);
  const parsed = lines.map((l) => JSON.parse(l.slice(3)) as { level: string; msg: string });
  assert.ok(parsed.some((p) => p.level === 'warn' && p.msg === 'source down'));
  assert.equal(parsed.at(-1)?.msg, 'bridge stopped');
});

test('demo runs the simulated board and leaves nothing running', {
  skip: pcpUnavailable() ?? false,
  timeout: 120_000,
}, async () => {
  const { child, output } = start(['demo'], { PMLCD_DEMO_SECONDS: '8' });
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, output());
  assert.match(output(), /┌─{16}┐\n│▼.{5} ▲.{5}(bps|B\/s)│/);
  assert.match(output(), /> F /, 'serial log below the LCD');
  assert.match(output(), /demo stopped/);
  const priv = /private pmcd pid (\d+), pmproxy pid (\d+), in (\S+)/.exec(output());
  if (priv) {
    // this machine had no pmproxy on 44322: the private one must be gone
    for (const pid of [Number(priv[1]), Number(priv[2])]) {
      assert.throws(() => process.kill(pid, 0), /ESRCH/, `pid ${pid} still running`);
    }
    assert.equal(existsSync(priv[3]), false, `${priv[3]} left behind`);
  } else {
    assert.match(output(), /using the local pmproxy/);
  }
});
