// How the simulated Uno starts: the reset time-out of its fuses before the first
// instruction (so the LCD's power-up wait counts from power-on), the watchdog
// paths, and the real Optiboot in the boot section (built from Debian's source;
// Debian's own 532-byte hex is refused because it runs past the end of flash).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, buildFirmware } from '../../scripts/avr-build.ts';
import { DEBIAN_OPTIBOOT_HEX, buildOptiboot } from '../../scripts/optiboot-build.ts';
import { Board } from '../../simulator/src/board.ts';
import { bootHostMode, testFirmware } from '../support/boot.ts';

/** lcd-serial with its LCD power-up wait cut to 10 ms (less than the HD44780's 40 ms). */
const earlyLcd = () =>
  buildFirmware({
    name: 'test-lcd-serial-early',
    srcDir: join(ROOT, 'test/firmware/lcd-serial'),
    includeDirs: [join(ROOT, 'firmware/src')],
    defines: ['-DLCD_POWER_UP_MS=10'],
    quiet: true,
  });

function capture(board: Board) {
  let out = '';
  board.serial.onByte((b) => {
    out += String.fromCharCode(b);
  });
  return () => out;
}

test("the Uno's 65 ms start-up delay comes before the firmware: an LCD written 10 ms after the start is past its 40 ms power-up", async () => {
  const board = new Board({ firmware: (await earlyLcd()).hex });
  const out = capture(board);
  await board.runUntil(() => out().includes('READY'), 500, 'READY');
  assert.ok(
    board.startMillis > 66 && board.startMillis < 67,
    `first instruction at ${board.startMillis} ms (16K CK + 14 CK + 65 ms)`,
  );
  assert.deepEqual(board.lcd.violations, []);
  assert.deepEqual(board.lcd.text(), ['lcd-serial      ', 'ready           ']);
});

test("with a short start-up fuse (SUT=01: 16K CK + 14 CK) the same firmware violates the LCD's power-up wait", async () => {
  const board = new Board({ firmware: (await earlyLcd()).hex, fuses: { low: 0xdf } });
  const out = capture(board);
  await board.runUntil(() => out().includes('READY'), 500, 'READY');
  assert.ok(board.startMillis < 1.1, `first instruction at ${board.startMillis} ms`);
  assert.equal(board.lcd.violations[0]?.kind, 'power-up');
});

test('R reboots through a 15 ms watchdog in ~80 ms, not at the old 2 s deadline (software shortening the time-out)', async () => {
  const h = await bootHostMode();
  const resetAt: number[] = [];
  h.board.on('reset', () => resetAt.push(h.board.millis));
  const t0 = h.board.millis;
  const from = h.lines.length;
  h.write('R\n');
  await h.waitLine(/^PMLCD /, 1000, from);
  assert.ok(
    resetAt[0] - t0 < 30,
    `watchdog reset ${(resetAt[0] - t0).toFixed(1)} ms after R (WDTO_15MS is 16 ms in the chip's 128 kHz count)`,
  );
  assert.equal(h.board.resets.watchdog, 1);
  await h.close();
});

test('Optiboot: after power-on the app starts at once; after an external reset it waits ~1 s for avrdude, then the app starts through its watchdog with MCUSR cleared', async () => {
  const board = new Board({
    firmware: (await testFirmware('lcd-serial')).hex,
    bootloader: (await buildOptiboot()).hex,
  });
  assert.equal(board.resetVectorByte, 0x7e00);
  const out = capture(board);
  await board.runUntil(() => /READY.*\r\n/.test(out()), 500, 'READY after power-on');
  assert.match(out(), /READY lcd-serial mcusr=0\r\n/, 'Optiboot 4.4 clears MCUSR and passes nothing on');
  assert.ok(board.millis < 200, `app up ${board.millis} ms after power-on`);
  const t0 = board.millis,
    from = out().length;
  board.resetExternal();
  const cpu0 = process.cpuUsage();
  await board.runUntil(
    () => out().includes('\r\n', out().indexOf('READY', from)) && out().includes('READY', from),
    3000,
    'READY after the external reset',
  );
  const cpu = process.cpuUsage(cpu0);
  const ms = board.millis - t0;
  // t_TOUT, 3 LED flashes (~375 ms), the 1 s watchdog, t_TOUT again, the app's 50 ms LCD wait.
  assert.ok(ms > 1450 && ms < 1700, `app up ${ms.toFixed(0)} ms after the reset`);
  assert.deepEqual(board.resets, { power: 1, external: 1, watchdog: 1 });
  assert.deepEqual(board.lcd.violations, []);
  assert.ok(
    (cpu.user + cpu.system) / 1000 < 1500,
    `the bootloader's wait cost ${(cpu.user + cpu.system) / 1000} ms of CPU (polling loops are skipped)`,
  );
  // A stray byte makes Optiboot give up at once (verifySpace: 16 ms watchdog), as on a board.
  const t1 = board.millis,
    from2 = out().length;
  board.resetExternal();
  await board.run(500);
  board.serial.write([0x30, 0x41]); // GET_SYNC without its 0x20
  await board.runUntil(() => out().includes('READY', from2), 3000, 'READY after a stray byte');
  assert.ok(board.millis - t1 < 800, `app up ${(board.millis - t1).toFixed(0)} ms after the reset`);
});

test("Debian's optiboot_atmega328.hex runs past 0x7FFF and is refused with the reason", () => {
  assert.throws(
    () =>
      new Board({
        firmware: { path: 'blank', flash: new Uint8Array(0x8000).fill(0xff), size: 0, ram: null },
        bootloader: DEBIAN_OPTIBOOT_HEX,
      }),
    /does not fit in flash .*532 B/,
  );
});
