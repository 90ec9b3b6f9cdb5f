// pmlcd-sim as a user runs it: the real firmware, stdin lines to the board,
// the LCD drawn in the terminal, Ctrl-C to leave.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, buildMainFirmware } from '../../scripts/avr-build.ts';

test('pmlcd-sim draws what the firmware shows and exits cleanly on SIGINT', async () => {
  const { hex } = await buildMainFirmware(true);
  const child = spawn(process.execPath, [join(ROOT, 'bin/pmlcd-sim.mjs'), hex], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let wake = () => {};
  child.stdout.on('data', (b: Buffer) => { out += b.toString(); wake(); });
  const seen = (re: RegExp, what: string) => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} in:\n${out}`)), 20_000);
    wake = () => { if (re.test(out)) { clearTimeout(timer); resolve(); } };
    wake();
  });
  try {
    await seen(/PMLCD 1 fw=/, 'banner');
    child.stdin.write('F from the|command line\n');
    await seen(/│ from the {9}│[^]*│ command line {5}│/, 'LCD box with the frame');
    const exit = new Promise<number | null>((r) => child.on('exit', r));
    child.kill('SIGINT');
    assert.equal(await exit, 0);
  } finally {
    child.kill('SIGKILL');
  }
});
