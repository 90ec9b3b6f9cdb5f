// The bridge's serial link against the simulated Uno booting the real Optiboot:
// opening the port resets the board, Optiboot waits ~1 s for a programmer before
// the firmware starts, and the link must wait that out (its 3 s banner time-out)
// without sending anything the bootloader would take for a command; after a later
// reset it must notice the new banner and redraw the screen.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAIN_GLYPHS } from '../../host/src/glyphs.ts';
import { SerialLink } from '../../host/src/serial-link.ts';
import { buildOptiboot } from '../../scripts/optiboot-build.ts';
import { Board } from '../../simulator/src/board.ts';
import { SimSerialBinding } from '../../simulator/src/serial-binding.ts';
import { defaultsEeprom, productFirmware } from '../support/boot.ts';

const PATH = '/dev/pmlcd-optiboot';

async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`${what} not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("banner after Optiboot's wait, screen drawn, and redrawn after a reset (real time, bootloader included)", async () => {
  const board = new Board({
    firmware: (await productFirmware()).hex,
    bootloader: (await buildOptiboot()).hex,
    lcd: { strict: true },
  });
  board.eepromMemory.memory.set(await defaultsEeprom());
  const binding = new SimSerialBinding();
  binding.attach(PATH, board);
  const link = new SerialLink({ binding, findPath: async () => PATH });
  board.start(1);
  try {
    const t0 = Date.now();
    link.start();
    link.show({ lines: ['optiboot first  ', 'screen          '], glyphs: MAIN_GLYPHS, backlight: 1 });
    await until(() => link.synced, 6000, 'the first screen');
    const took = Date.now() - t0;
    assert.ok(took > 1000, `drawn ${took} ms after the open: Optiboot's ~1.5 s comes first`);
    assert.equal(
      board.resets.watchdog,
      1,
      "the app started through Optiboot's watchdog time-out, not a protocol error",
    );
    assert.deepEqual(board.lcd.text(), ['optiboot first  ', 'screen          ']);
    // Optiboot 4.4 clears MCUSR and passes nothing in r2, so the firmware cannot know the cause.
    assert.equal(link.banner?.fields.reset, 'unknown');
    board.resetExternal();
    await until(
      () => link.counters.resets >= 1 && link.synced && board.lcd.text()[0] === 'optiboot first  ',
      6000,
      'the redraw after a reset',
    );
    assert.deepEqual(board.lcd.violations, []);
  } finally {
    await link.stop();
    await board.stop();
  }
});
