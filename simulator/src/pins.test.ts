import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { BOARD_PINS_H, checkLcdPins, loadPinMap, parsePinMap, unoPin } from './pins.ts';

test('Uno pin numbers map to the ATmega328P ports', () => {
  assert.deepEqual(unoPin(0), { port: 'D', bit: 0 });
  assert.deepEqual(unoPin(7), { port: 'D', bit: 7 });
  assert.deepEqual(unoPin(8), { port: 'B', bit: 0 });
  assert.deepEqual(unoPin(13), { port: 'B', bit: 5 });
  assert.deepEqual(unoPin(14), { port: 'C', bit: 0 });
  assert.deepEqual(unoPin(19), { port: 'C', bit: 5 });
  assert.throws(() => unoPin(20), /does not exist/);
});

test('the real board_pins.h parses and every define is mapped', () => {
  const text = readFileSync(BOARD_PINS_H, 'utf8');
  const defines = [...text.matchAll(/^#define PMLCD_PIN_(\w+)\s+(\d+)/gm)];
  const pins = loadPinMap();
  assert.ok(defines.length >= 7);
  assert.equal(pins.size, defines.length);
  for (const [, name, num] of defines) {
    const p = pins.get(name)!;
    assert.equal(p.arduino, Number(num), name);
    assert.deepEqual({ port: p.port, bit: p.bit }, unoPin(Number(num)));
  }
  checkLcdPins(pins);
});

test('A0-A5 names are accepted; junk values are errors with the line', () => {
  assert.equal(parsePinMap('#define PMLCD_PIN_X A2').get('X')!.arduino, 16);
  assert.throws(() => parsePinMap('\n#define PMLCD_PIN_X foo', 'p.h'), /p\.h:2: PMLCD_PIN_X is "foo"/);
  assert.throws(() => parsePinMap('#define PMLCD_PIN_X 3\n#define PMLCD_PIN_X 4'), /defined twice/);
});

const lcdOn = (overrides: Record<string, number>) => {
  const base: Record<string, number> = {
    LCD_RS: 8,
    LCD_E: 9,
    LCD_D4: 14,
    LCD_D5: 15,
    LCD_D6: 16,
    LCD_D7: 17,
    ...overrides,
  };
  return parsePinMap(
    Object.entries(base)
      .map(([k, v]) => `#define PMLCD_PIN_${k} ${v}`)
      .join('\n'),
  );
};

test('LCD pins on the Ethernet shield, the serial port or each other are rejected', () => {
  assert.doesNotThrow(() => checkLcdPins(lcdOn({})));
  assert.throws(() => checkLcdPins(lcdOn({ LCD_D4: 4 })), /PMLCD_PIN_LCD_D4 is D4, which collides with the SD card/);
  assert.throws(() => checkLcdPins(lcdOn({ LCD_E: 11 })), /MOSI/);
  assert.throws(() => checkLcdPins(lcdOn({ LCD_RS: 10 })), /W5100 chip select/);
  assert.throws(() => checkLcdPins(lcdOn({ LCD_RS: 1 })), /USB serial/);
  assert.throws(() => checkLcdPins(lcdOn({ LCD_D7: 16 })), /both D16/);
  assert.throws(() => checkLcdPins(lcdOn({ BACKLIGHT: 12 })), /MISO/);
  const noE = parsePinMap('#define PMLCD_PIN_LCD_RS 8');
  assert.throws(() => checkLcdPins(noE), /no PMLCD_PIN_LCD_E/);
});
