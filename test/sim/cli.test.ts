// pmlcd-sim as a user runs it: the real firmware, stdin lines to the board,
// the LCD drawn in the terminal, Ctrl-C to leave.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, buildMainFirmware, buildTestFirmware } from '../../scripts/avr-build.ts';
import { startFakePmwebapi } from '../support/pmwebapi-fake.ts';
import { consoleText } from '../support/console-text.ts';

test('pmlcd-sim draws what the firmware shows and exits cleanly on SIGINT', async () => {
  const { hex } = await buildMainFirmware(true);
  const child = spawn(process.execPath, [join(ROOT, 'bin/pmlcd-sim.mjs'), hex], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let wake = () => {};
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    wake();
  });
  const seen = (re: RegExp, what: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} in:\n${out}`)), 20_000);
      wake = () => {
        if (re.test(out) || re.test(consoleText(out))) {
          clearTimeout(timer);
          resolve();
        }
      };
      wake();
    });
  try {
    await seen(/PMLCD 1 fw=/, 'banner');
    child.stdin.write('F from the|command line\n');
    await seen(/│ from the {9}│[\s\S]*│ command line {5}│/, 'LCD box with the frame');
    const exit = new Promise<number | null>((r) => child.on('exit', r));
    child.kill('SIGINT');
    assert.equal(await exit, 0);
  } finally {
    child.kill('SIGKILL');
  }
});

test('pmlcd-sim --net: the firmware reaches a mapped loopback server and the socket statistics are printed', async () => {
  const { hex } = await buildMainFirmware(true);
  const fake = await startFakePmwebapi();
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'bin/pmlcd-sim.mjs'),
      '--speed',
      'max',
      '--net',
      '--map',
      `192.168.7.2:44322=127.0.0.1:${fake.port}`,
      hex,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  let wake = () => {};
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString();
    wake();
  });
  const seen = (re: RegExp, what: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} in:\n${out.slice(-3000)}`)), 30_000);
      wake = () => {
        if (re.test(out) || re.test(consoleText(out))) {
          clearTimeout(timer);
          resolve();
        }
      };
      wake();
    });
  try {
    await seen(/PMLCD 1 fw=/, 'banner');
    child.stdin.write('C SET srv.ip 192.168.7.2\nC SET iface eth0\nM net\n');
    // The firmware's own DHCP, context and fetch requests reach the loopback server.
    for (let waited = 0; !fake.requests.some((r) => r.path.includes('fetch')); waited += 100) {
      assert.ok(
        waited < 30_000,
        `no fetch reached the server; it saw ${fake.requests.map((r) => r.target).join(', ')}`,
      );
      await new Promise((r) => setTimeout(r, 100));
    }
    const exit = new Promise<number | null>((r) => child.on('exit', r));
    child.kill('SIGINT');
    assert.equal(await exit, 0);
    const stats = /\[sim\] W5100 socket \d: in (\d+) B, out (\d+) B, connects (\d+), .*CONNECT=\d+/.exec(
      consoleText(out),
    );
    assert.ok(stats, `no socket statistics in:\n${out.slice(-2000)}`);
    assert.ok(Number(stats[1]) > 0 && Number(stats[2]) > 0 && Number(stats[3]) > 0, stats[0]);
  } finally {
    child.kill('SIGKILL');
    await fake.close();
  }
});

test('pmlcd-sim refuses a mapping off loopback', async () => {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin/pmlcd-sim.mjs'), '--net', '--map', '192.168.7.2:80=10.0.0.1:80', 'x.hex'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (b: Buffer) => {
    err += b.toString();
  });
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  assert.equal(code, 2);
  assert.match(err, /only reaches loopback/);
});

test('pmlcd-sim --lcd 20x4 --lcd-bus i2c:0x27: a 20x4 behind a PCF8574 backpack shows what the firmware wrote over I2C', async () => {
  const { hex } = await buildTestFirmware('i2c-lcd');
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin/pmlcd-sim.mjs'), '--speed', 'max', '--lcd', '20x4', '--lcd-bus', 'i2c:0x27', hex],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let out = '';
  const seen = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 20x4 box with hello in:\n${out.slice(-3000)}`)), 20_000);
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (/│ hello {15} │[\s\S]*│ {22}│[\s\S]*│ {22}│[\s\S]*│ {22}│/.test(out) && /AC 05/.test(consoleText(out))) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  try {
    await seen;
    const exit = new Promise<number | null>((r) => child.on('exit', r));
    child.kill('SIGINT');
    assert.equal(await exit, 0);
  } finally {
    child.kill('SIGKILL');
  }
});

test('pmlcd-sim refuses an I2C address no PCF8574 or PCF8574A can have', async () => {
  const child = spawn(process.execPath, [join(ROOT, 'bin/pmlcd-sim.mjs'), '--lcd-bus', 'i2c:0x30', 'x.hex'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (b: Buffer) => {
    err += b.toString();
  });
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  assert.equal(code, 2);
  assert.match(err, /--lcd-bus must be parallel or i2c:0x20-0x27/);
});
