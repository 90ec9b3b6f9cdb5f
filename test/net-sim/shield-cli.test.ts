// Fitting one shield or the other: pmlcd-sim --shield w5100|w5500 (--net
// alone is the W5100), and Board's shield option, seen through the product
// firmware's chip probe, which finds the W5500 and gets an address through it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, buildMainFirmware } from '../../scripts/avr-build.ts';
import { Board } from '../../simulator/src/board.ts';
import { W5100 } from '../../simulator/src/w5100.ts';
import { W5500 } from '../../simulator/src/w5500.ts';
import { consoleText } from '../support/console-text.ts';

test('Board fits the shield it is asked for, on D10', async () => {
  const { hex } = await buildMainFirmware(true);
  const none = new Board({ firmware: hex });
  assert.equal(none.shield, undefined);
  for (const [name, cls] of [
    ['w5100', W5100],
    ['w5500', W5500],
  ] as const) {
    const board = new Board({ firmware: hex, shield: name });
    try {
      assert.ok(board.shield instanceof cls, name);
      assert.equal(board.shield.host, board);
    } finally {
      board.shield?.dispose();
    }
  }
});

test('pmlcd-sim --shield w5500: the firmware finds a W5500 and the statistics name it', async () => {
  const { hex } = await buildMainFirmware(true);
  const child = spawn(process.execPath, [join(ROOT, 'bin/pmlcd-sim.mjs'), '--speed', 'max', '--shield', 'w5500', hex], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
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
    child.stdin.write('M net\n');
    await seen(/192\.168\.7\./, 'the address the W5500 got by DHCP');
    const exit = new Promise<number | null>((r) => child.on('exit', r));
    child.kill('SIGINT');
    assert.equal(await exit, 0);
    assert.match(
      consoleText(out),
      /\[sim\] W5500 socket 1: in \d+ B, out \d+ B/,
      "DHCP went through the W5500's socket 1",
    );
  } finally {
    child.kill('SIGKILL');
  }
});

test('pmlcd-sim refuses a shield it does not have', async () => {
  const child = spawn(process.execPath, [join(ROOT, 'bin/pmlcd-sim.mjs'), '--shield', 'w5200', 'x.hex'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (b: Buffer) => {
    err += b.toString();
  });
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  assert.equal(code, 2);
  assert.match(err, /--shield must be w5100 or w5500, not "w5200"/);
});
