// The parser that reads the firmware version and EEPROM layout from the firmware's
// headers: it must find them (a renamed define fails here, not as a confusing
// banner or EEPROM mismatch elsewhere) and read C the way avr-gcc does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  eepromLayout,
  evalInt,
  firmwareDefines,
  firmwareVersion,
  parseDefines,
  parseStruct,
} from './firmware-source.ts';

test('version.h gives the firmware and protocol versions', () => {
  const v = firmwareVersion();
  assert.match(v.fw, /^\d+\.\d+\.\d+/);
  assert.match(v.protocol, /^\d+$/);
});

test('config.h gives the EEPROM header and the settings block after it', () => {
  const e = eepromLayout();
  assert.ok(Number.isInteger(e.magic) && e.magic > 0, 'CFG_MAGIC');
  assert.ok(e.layoutVersion >= 1, 'CFG_LAYOUT_VERSION');
  assert.equal(e.magicAt, e.base);
  assert.ok(e.magicAt < e.layoutAt && e.layoutAt < e.lengthAt && e.lengthAt < e.crcAt && e.crcAt < e.configAt);
  assert.ok(e.configFields.size >= 20, 'the Config fields');
  assert.ok(e.configAt + e.configSize <= 1024, 'fits the Uno EEPROM');
  const last = [...e.configFields.values()].at(-1)!;
  assert.equal(last.at + last.size, e.configAt + e.configSize);
});

test('finding nothing is an error, not an empty answer', () => {
  assert.throws(
    () => parseDefines('// only a comment\nint x;\n', 'empty.h'),
    /no #define or constexpr found in empty.h/,
  );
  assert.throws(() => parseDefines('// #define COMMENTED_OUT 1\n/* #define ALSO 2 */\n'), /no #define/);
  assert.throws(() => parseStruct('struct A { int x; };', 'B'), /struct B not found/);
  assert.throws(() => parseStruct('struct A { float x; };', 'A'), /cannot size/);
  assert.throws(() => evalInt('MISSING + 1'), /unknown name MISSING/);
  assert.throws(() => firmwareDefines('no-such-header.h'), /ENOENT/);
});

test('defines, constexprs and packed structs as avr-gcc reads them', () => {
  const defs = parseDefines(
    [
      '#define A 7  // trailing comment',
      '#define B (A + 1)',
      '#define F(x) x',
      '  #  define HEX 0x4C50u',
      'static constexpr uint8_t C = 3;',
      'constexpr uint16_t D{4};',
      '#define S "1.2.3"',
    ].join('\n'),
  );
  assert.deepEqual([...defs.keys()].sort(), ['A', 'B', 'C', 'D', 'HEX', 'S']);
  assert.equal(evalInt('B * 2', defs), 16);
  assert.equal(evalInt('HEX', defs), 0x4c50);
  assert.equal(evalInt('C + D', defs), 7);
  const s = parseStruct(
    'struct P {\n  uint8_t a;  // one\n  uint16_t b, c[A];\n  char name[B + 1];\n  uint32_t d;\n};',
    'P',
    defs,
  );
  assert.deepEqual(
    s.fields.map((f) => [f.name, f.offset, f.size]),
    [
      ['a', 0, 1],
      ['b', 1, 2],
      ['c', 3, 14],
      ['name', 17, 9],
      ['d', 26, 4],
    ],
  );
  assert.equal(s.size, 30);
});
