// Serial protocol v1 (docs/protocol.md): every command and every error path,
// through the serial binding, with the LCD model in strict timing mode.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { firmwareVersion } from '../support/firmware-source.ts';
import {
  bootHostMode,
  hostOnlyFirmware,
  reply,
  row,
  withChecksum,
  BANNER_RE,
  type HostModeBoard,
} from '../support/boot.ts';

describe('protocol v1', () => {
  let h: HostModeBoard;
  before(async () => {
    h = await bootHostMode();
  });
  after(async () => {
    assert.deepEqual(h.board.lcd.violations, [], 'no LCD timing violations');
    await h.close();
  });

  const ok = async (line: string) => assert.equal(reply(await h.command(line)), 'OK', line);
  /** The command fails with `code` and leaves the display exactly as it was. */
  const fails = async (line: string, code: string) => {
    await ok('F before|error');
    const before = h.codes();
    const r = await h.command(line);
    assert.equal(r.length, 1, `one reply line for ${JSON.stringify(line)}`);
    assert.match(r[0], new RegExp(`^ERR ${code} \\S`), JSON.stringify(line));
    assert.deepEqual(h.codes(), before, `display unchanged by ${JSON.stringify(line)}`);
  };

  test('banner after the port opens, V and P', async () => {
    assert.match(h.lines[0], BANNER_RE);
    const v = firmwareVersion();
    assert.equal(
      reply(await h.command('V')),
      `OK PMLCD ${v.protocol} fw=${v.fw} lcd=16x2 mode=host cfg=ok lcdbus=parallel eth=none ip=0.0.0.0`,
    );
    await ok('P');
  });

  test('F shows both lines at once, padded', async () => {
    await ok('F hello|world');
    assert.deepEqual(h.codes(), [row('hello'), row('world')]);
    await ok('F 0123456789abcdef|');
    assert.deepEqual(h.codes(), [row('0123456789abcdef'), row('')]);
  });

  test('text escapes: glyphs, raw codes, backslash, bar', async () => {
    await ok('F \\0\\7\\xDF\\xe4\\\\\\||\\xFF~');
    assert.deepEqual(h.codes()[0], [0, 7, 0xdf, 0xe4, 0xa4, 0x7c, ...row('').slice(6)]);
    assert.deepEqual(h.codes()[1], [0xff, 0x7e, ...row('').slice(2)]);
  });

  test('T updates only the given cells', async () => {
    await ok('F aaaaaaaaaaaaaaaa|bbbbbbbbbbbbbbbb');
    await ok('T 1 5 XYZ');
    await ok('T 0 15 !');
    await ok('T 0 3 ');
    assert.deepEqual(h.codes(), [row('aaaaaaaaaaaaaaa!'), row('bbbbbXYZbbbbbbbb')]);
  });

  test('G defines a glyph; cells showing it change, text after it still lands in DDRAM', async () => {
    await ok('F \\3\\3|');
    await ok('G 3 1F11111111111F00');
    assert.deepEqual([...h.board.lcd.cgram.subarray(24, 32)], [0x1f, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1f, 0x00]);
    await ok('T 0 2 ok');
    assert.deepEqual(h.codes()[0], [3, 3, ...row('ok').slice(0, 14)]);
    await ok('G 7 FFFFFFFFFFFFFFFF');
    assert.deepEqual([...h.board.lcd.cgram.subarray(56, 64)], Array(8).fill(0x1f), 'only the 5 low bits are kept');
  });

  test('B switches the backlight off, on and blinking', async () => {
    await ok('B 0');
    assert.equal(h.board.lcd.backlight, false);
    await ok('B 1');
    assert.equal(h.board.lcd.backlight, true);
    await ok('B 2');
    const seen = new Set<boolean>();
    for (let i = 0; i < 8; i++) {
      await h.board.run(250);
      seen.add(h.board.lcd.backlight);
    }
    assert.deepEqual([...seen].sort(), [false, true]);
    await ok('B 1');
  });

  test('\\h cells blink the heartbeat glyph while the host is alive', async () => {
    await ok('F up\\h|');
    const seen = new Set<number>();
    for (let i = 0; i < 6; i++) {
      await h.board.run(200);
      seen.add(h.codes()[0][2]);
    }
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      [6, 0x20],
    );
    assert.deepEqual(h.codes()[0].slice(0, 2), row('up').slice(0, 2));
  });

  test('optional checksum: verified when present, CRLF accepted', async () => {
    await ok(withChecksum('F sum|ok'));
    assert.deepEqual(h.codes(), [row('sum'), row('ok')]);
    await ok(withChecksum('P').toLowerCase().replace('p', 'P'));
    await ok('P\r');
    await fails('F sum|bad*00', 'CSUM');
    await fails(`${withChecksum('F a|b').slice(0, -1)}F`, 'CSUM');
  });

  test('a * without two hex digits is text', async () => {
    await ok('F 5*x|*Z');
    assert.deepEqual(h.codes(), [row('5*x'), row('*Z')]);
  });

  test('line errors: too long, non-ASCII, stray CR', async () => {
    const max = `F ${'\\x41'.repeat(15)}|`;
    assert.equal(max.length, 63);
    await ok(max);
    assert.deepEqual(h.codes()[0], row('A'.repeat(15)));
    await fails(`${max}x`, 'LINE');
    await fails(`F ${'x'.repeat(200)}`, 'LINE');
    await fails('F caf\xe9|', 'CHAR');
    await fails('F a\x01|', 'CHAR');
    await fails('F a\rb|', 'CHAR');
    await fails('P\r\r', 'CHAR');
  });

  test('escape errors', async () => {
    for (const bad of ['F \\q|', 'F \\x4|', 'F \\xG0|', 'F a|\\', 'F \\8|', 'T 0 0 \\']) await fails(bad, 'ESC');
  });

  test('argument errors', async () => {
    for (const bad of [
      'F no bar',
      'F a|b|c',
      'F',
      'F 12345678901234567|',
      'F |12345678901234567',
      'T 0 15 ab',
      'T 2 0 x',
      'T 0 16 x',
      'T 0 0',
      'T x 0 a',
      'T 0 1x a',
      'T',
      'G 8 0000000000000000',
      'G 0 00',
      'G 0 000000000000000G',
      'G 0 00000000000000000',
      'G',
      'B 3',
      'B 11',
      'B',
      'M',
      'M bogus',
      'C',
      'C FOO',
      'C SET mode',
      'V x',
      'P x',
      'R x',
    ]) {
      await fails(bad, 'ARG');
    }
  });

  test('unknown commands and empty lines', async () => {
    for (const bad of ['Z', 'VV', 'f a|b', 'FOO bar', '', ' ', '*00']) await fails(bad, 'CMD');
  });

  test('M switches modes: this build has network mode, so M net is OK', async () => {
    await ok('M host');
    await ok('M net');
    assert.match(reply(await h.command('V')), /^OK PMLCD .* mode=net /);
    await ok('M host');
    assert.match(reply(await h.command('V')), /^OK PMLCD .* mode=host /);
  });

  test('R answers OK, then reboots with reset=command', async () => {
    const from = h.lines.length;
    assert.equal(reply(await h.command('R')), 'OK');
    const banner = await h.waitLine(BANNER_RE, 2000, from);
    assert.equal(BANNER_RE.exec(banner)![2], 'command');
    await ok('F after|reboot');
    assert.deepEqual(h.codes(), [row('after'), row('reboot')]);
  });
});

// The same sources without firmware/src/net/ (netmode_stub.cpp's weak definitions
// instead): what a board that never gets a shield could run.
describe('a build without network mode', () => {
  let h: HostModeBoard;
  before(async () => {
    h = await bootHostMode({ firmware: (await hostOnlyFirmware()).hex });
  });
  after(async () => {
    await h.close();
  });

  test('no network fields in the banner; M net and C SET mode net are refused, nothing changes', async () => {
    assert.match(h.lines[0], BANNER_RE);
    assert.doesNotMatch(h.lines[0], / eth=| ip=/);
    assert.equal(reply(await h.command('F still|host')), 'OK');
    assert.equal(reply(await h.command('M net')), 'ERR ARG mode not available');
    assert.equal(reply(await h.command('C SET mode net')), 'ERR VAL mode not available');
    assert.equal(reply(await h.command('C GET mode')), 'OK mode=host');
    assert.match(reply(await h.command('V')), /^OK PMLCD .* mode=host cfg=\w+ lcdbus=parallel$/);
    assert.deepEqual(h.codes(), [row('still'), row('host')]);
  });
});
