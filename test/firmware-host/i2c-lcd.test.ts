// Host mode on a 20x4 LCD behind an I2C backpack (a PCF8574 at 0x27): the firmware finds
// the backpack at boot and says so in the banner, takes its size from lcd.size, and
// draws what the host sends on every row (F with up to four rows, T anywhere on the
// glass, the heartbeat, the backlight through the backpack's P3), in strict timing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { bootHostMode, reply, type HostModeBoard } from '../support/boot.ts';

const row20 = (text: string) => [...text.padEnd(20, ' ')].map((c) => c.charCodeAt(0));

describe('host mode on a 20x4 I2C LCD', () => {
  let h: HostModeBoard;
  before(async () => {
    h = await bootHostMode({ lcdGeometry: '20x4', lcdBus: { kind: 'i2c', address: 0x27 } });
  });
  after(async () => {
    assert.deepEqual(h.board.lcd.violations, []);
    await h.close();
  });

  test('the banner names the backpack; lcd.size 20x4 takes effect at once', async () => {
    assert.match(h.lines[0], / lcd=16x2 mode=host reset=\w+ cfg=ok lcdbus=i2c:0x27 eth=none /);
    assert.equal(reply(await h.command('F sixteen columns|only')), 'OK');
    assert.deepEqual(h.codes().slice(0, 2), [row20('sixteen columns'), row20('only')]);
    assert.equal(reply(await h.command('C SET lcd.size 20x4')), 'OK');
    assert.deepEqual(h.codes(), [row20(''), row20(''), row20(''), row20('')], 'initialised again and cleared');
    assert.match(reply(await h.command('V')), / lcd=20x4 mode=host cfg=ok lcdbus=i2c:0x27 /);
  });

  test('F draws up to four rows of twenty, the rows not given blank', async () => {
    assert.equal(
      reply(await h.command('F 01234567890123456789|row two|row three|row four, col 19 -> !')),
      'ERR ARG text too long',
    );
    assert.equal(reply(await h.command('F 01234567890123456789|row two|row three|twenty on row four!!')), 'OK');
    assert.deepEqual(h.codes(), [
      row20('01234567890123456789'),
      row20('row two'),
      row20('row three'),
      row20('twenty on row four!!'),
    ]);
    assert.equal(reply(await h.command('F a|b|c|d|e')), 'ERR ARG too many rows');
    assert.equal(reply(await h.command('F top|second')), 'OK');
    assert.deepEqual(h.codes(), [row20('top'), row20('second'), row20(''), row20('')]);
  });

  test('T writes anywhere on the glass and nowhere past it', async () => {
    assert.equal(reply(await h.command('T 3 19 Z')), 'OK');
    assert.equal(reply(await h.command('T 2 0 row 3')), 'OK');
    assert.deepEqual(h.codes(), [row20('top'), row20('second'), row20('row 3'), row20('Z'.padStart(20))]);
    for (const bad of ['T 4 0 x', 'T 3 20 x']) assert.equal(reply(await h.command(bad)), 'ERR ARG bad arguments', bad);
    assert.equal(reply(await h.command('T 3 18 xyz')), 'ERR ARG text too long');
  });

  test('the heartbeat blinks on row four; codes 8-15 show glyphs 0-7', async () => {
    assert.equal(reply(await h.command('F a|b|c|\\x08\\x0F\\h')), 'OK');
    const cell = () => h.codes()[3][2];
    const seen = new Set<number>();
    for (let i = 0; i < 6; i++) {
      seen.add(cell());
      await h.board.run(250);
    }
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      [6, 0x20],
    );
    assert.deepEqual(h.codes()[3].slice(0, 2), [0, 7]);
  });

  test('the backlight follows B through the backpack', async () => {
    assert.equal(reply(await h.command('B 0')), 'OK');
    assert.equal(h.board.lcd.backlight, false);
    assert.equal(reply(await h.command('B 1')), 'OK');
    assert.equal(h.board.lcd.backlight, true);
    assert.equal(reply(await h.command('C SET lcd.size 16x2')), 'OK');
  });
});
