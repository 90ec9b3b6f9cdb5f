// pmlcd-sim's LCD flags: geometry names, parallel or I2C at a PCF8574/PCF8574A
// address, and backpack mappings, each bad value refused with the flag named.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLcdFlags } from './hd44780-options.ts';

test('defaults: a 16x2 on the parallel wiring', () => {
  assert.deepEqual(parseLcdFlags({}), { lcdGeometry: '16x2', lcdBus: { kind: 'parallel' } });
});

test('--lcd 20x4 --lcd-bus i2c:0x27 / i2c:0x3F (PCF8574A) / --lcd-map mjkdz', () => {
  assert.deepEqual(parseLcdFlags({ lcd: '20x4', lcdBus: 'i2c:0x27' }), {
    lcdGeometry: '20x4',
    lcdBus: { kind: 'i2c', address: 0x27, mapping: 'common' },
  });
  assert.deepEqual(parseLcdFlags({ lcdBus: 'i2c:0x3F' }), {
    lcdGeometry: '16x2',
    lcdBus: { kind: 'i2c', address: 0x3f, mapping: 'common' },
  });
  assert.deepEqual(parseLcdFlags({ lcd: '8x1', lcdBus: 'i2c:0x20', lcdMap: 'mjkdz' }), {
    lcdGeometry: '8x1',
    lcdBus: { kind: 'i2c', address: 0x20, mapping: 'mjkdz' },
  });
});

test('refused: unknown geometry, addresses outside both chips, unknown mapping, a mapping without I2C', () => {
  assert.match(parseLcdFlags({ lcd: '24x2' }) as string, /^--lcd must be one of .*40x2/);
  for (const bus of ['i2c:0x28', 'i2c:0x37', 'i2c:0x40', 'i2c:27', 'spi', 'i2c:0x2']) {
    assert.match(parseLcdFlags({ lcdBus: bus }) as string, /^--lcd-bus must be/, bus);
  }
  assert.match(parseLcdFlags({ lcdBus: 'i2c:0x27', lcdMap: 'weird' }) as string, /^--lcd-map must be one of/);
  assert.match(parseLcdFlags({ lcdMap: 'mjkdz' }) as string, /needs --lcd-bus i2c/);
});
