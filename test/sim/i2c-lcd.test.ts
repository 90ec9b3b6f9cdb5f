// A firmware's own TWI driver writing through the simulated PCF8574 backpack: the
// test/firmware/i2c-lcd firmware initialises the HD44780 at 0x27, prints "hello"
// and reads BF/AC back through the expander, on the board with lcdBus i2c.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootTestFirmware } from '../support/boot.ts';

test('"hello" through the I2C backpack at 0x27: on the glass, no timing violation, AC read back as 5', async () => {
  const { board, waitFor, output } = await bootTestFirmware('i2c-lcd', {
    lcdBus: { kind: 'i2c', address: 0x27 },
    lcdGeometry: '20x4',
    lcd: { strict: true },
  });
  await waitFor('AC ', 1000);
  await waitFor('\n');
  assert.match(output(), /AC 05/);
  assert.deepEqual(board.lcd.text(), [`hello${' '.repeat(15)}`, ' '.repeat(20), ' '.repeat(20), ' '.repeat(20)]);
  assert.deepEqual(board.lcd.violations, []);
  assert.equal(board.lcd.backlight, true);
  assert.ok(board.i2c.stats.maxSclHz === 100_000, `SCL ${board.i2c.stats.maxSclHz} Hz`);
});

test('a PCF8574A backpack at 0x3F does not answer at 0x27; the parallel board has nothing on the bus', async () => {
  for (const lcdBus of [{ kind: 'i2c' as const, address: 0x3f }, { kind: 'parallel' as const }]) {
    const { board, waitFor } = await bootTestFirmware('i2c-lcd', { lcdBus });
    await waitFor('NACK', 500);
    assert.equal(board.i2c.stats.nacks, 1);
    assert.deepEqual(board.lcd.text(), [' '.repeat(16), ' '.repeat(16)]);
  }
});
