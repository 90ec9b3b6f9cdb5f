// LCDproc compatibility: the byte stream LCDd's hd44780 driver sends with
// ConnectionType=lcdserializer (0xFE + instruction, other bytes are data), as
// produced by its common_init() and flush for a 16x2.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cgramGlyph } from '../../simulator/src/hd44780.ts';
import { bootHostMode, reply, row, BANNER_RE } from '../support/boot.ts';

const I = (b: number) => [0xfe, b];
const text = (s: string) => [...Buffer.from(s, 'latin1')];
// common_init(IF_8BIT): function set 8-bit 2-line, display on, clear, entry mode, home.
const LCDD_INIT = [...I(0x38), ...I(0x0c), ...I(0x01), ...I(0x06), ...I(0x02)];
const HEART = [0x00, 0x0a, 0x1f, 0x1f, 0x0e, 0x04, 0x00, 0x00];

test('LCDd lcdserializer stream: init, custom glyph, text on both rows, then back to host mode', async () => {
  const h = await bootHostMode();
  assert.equal(reply(await h.command('M lcdproc')), 'OK');
  assert.deepEqual(h.codes(), [row('LCDproc mode'), row('waiting for LCDd')]);
  const from = h.lines.length;
  h.write([
    ...LCDD_INIT,
    ...I(0x40 | (3 << 3)),
    ...HEART,
    ...I(0x80),
    ...text('LCDproc'),
    0x03,
    ...I(0xc0 + 2),
    ...text('Up 3d 12:04'),
    ...I(0x0c),
  ]);
  await h.board.run(30);
  assert.deepEqual(h.codes(), [[...row('LCDproc').slice(0, 7), 3, ...row('').slice(8)], row('  Up 3d 12:04')]);
  assert.deepEqual(cgramGlyph(h.board.lcd, 3), HEART);
  assert.equal(h.board.lcd.eightBit, false, 'the 8-bit function set was not passed on');
  assert.deepEqual(h.lines.slice(from), [], 'LCDd gets no replies');

  // Persisted, and no host-lost timeout: LCDd may stay quiet.
  await h.board.run(12_000);
  assert.deepEqual(h.lines.slice(from), []);
  const b0 = h.lines.length;
  h.board.resetExternal();
  assert.equal(BANNER_RE.exec(await h.waitLine(BANNER_RE, 2000, b0))![1], 'lcdproc');

  // 0xFE 0x00 starts one protocol line: the documented way out.
  const v0 = h.lines.length;
  h.write([0xfe, 0x00, ...text('V\n')]);
  assert.match(await h.waitLine(/^OK /, 200, v0), /mode=lcdproc/);
  h.write([0xfe, 0x00, ...text('M host\n')]);
  await h.waitLine(/^OK$/, 500, v0 + 1);
  assert.equal(reply(await h.command('F host|again')), 'OK');
  assert.deepEqual(h.codes(), [row('host'), row('again')]);
  assert.deepEqual(h.board.lcd.violations, []);
  await h.close();
});

test('LCDd text streamed back to back right after a clear is not lost', async () => {
  const h = await bootHostMode();
  assert.equal(reply(await h.command('C SET mode lcdproc')), 'OK');
  const line = 'abcdefghijklmnop';
  h.write([...I(0x01), ...text(line), ...I(0xc0), ...text(line.toUpperCase()), ...I(0x01), ...I(0x80), ...text(line)]);
  await h.board.run(30);
  assert.deepEqual(h.codes(), [row(line), row('')]);
  assert.deepEqual(h.board.lcd.violations, []);
  await h.close();
});
