// The banner after every kind of reset, including a real hang caught by the
// watchdog. The hang needs a way to hang: a test build of the product sources
// with PMLCD_TEST_HOOKS adds an `X` command that spins with interrupts on.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildFirmware, ROOT } from '../../scripts/avr-build.ts';
import { bootHostMode, reply, row, BANNER_RE, type HostModeBoard } from '../support/boot.ts';

async function nextBanner(h: HostModeBoard, how: () => void, ms = 3000): Promise<string[]> {
  const from = h.lines.length;
  how();
  return BANNER_RE.exec(await h.waitLine(BANNER_RE, ms, from))!.slice(1);
}

test('banner names the reset cause: power, external, command', async () => {
  const h = await bootHostMode();
  assert.deepEqual(await nextBanner(h, () => h.board.powerCycle()), ['host', 'power', 'ok']);
  assert.deepEqual(await nextBanner(h, () => h.board.resetExternal()), ['host', 'external', 'ok']);
  assert.deepEqual(await nextBanner(h, () => h.write('R\n')), ['host', 'command', 'ok']);
  assert.equal(h.board.resets.watchdog, 1, 'R reboots through the watchdog');
  assert.deepEqual(h.board.lcd.violations, []);
  await h.close();
});

test('a hang is ended by the watchdog within its 2 s, and the banner says reset=watchdog', async () => {
  const hooks = await buildFirmware({
    name: 'pmlcd-testhooks',
    srcDir: join(ROOT, 'firmware/src'),
    defines: ['-DPMLCD_TEST_HOOKS'],
    quiet: true,
  });
  const h = await bootHostMode({ firmware: hooks.hex });
  assert.equal(reply(await h.command('F before|hang')), 'OK');
  const t0 = h.board.millis;
  const [mode, cause] = await nextBanner(h, () => h.write('X\n'), 3000);
  const took = h.board.millis - t0;
  assert.deepEqual([mode, cause], ['host', 'watchdog']);
  assert.ok(took > 1500 && took < 2700, `watchdog reset after ${took.toFixed(0)} ms`);
  assert.equal(h.board.resets.watchdog, 1);
  // The LCD kept its power: the firmware initialises it again without a violation.
  assert.equal(reply(await h.command('F after|watchdog')), 'OK');
  assert.deepEqual(h.codes(), [row('after'), row('watchdog')]);
  assert.deepEqual(h.board.lcd.violations, []);
  await h.close();
});
