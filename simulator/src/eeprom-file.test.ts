// FileEEPROM: programming only clears bits, erasing sets 0xFF, the file is the
// image and a wrong-sized file is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileEEPROM } from './eeprom-file.ts';

test('a write without an erase can only clear bits; an erase sets the byte to 0xFF', () => {
  const ee = new FileEEPROM(16);
  assert.equal(ee.readMemory(3), 0xff);
  ee.writeMemory(3, 0xf0);
  ee.writeMemory(3, 0x3c);
  assert.equal(ee.readMemory(3), 0x30);
  ee.eraseMemory(3);
  assert.equal(ee.readMemory(3), 0xff);
});

test('the image is saved only when changed, and loaded back; a wrong-sized file is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pmlcd-ee-'));
  const file = join(dir, 'ee.bin');
  const ee = new FileEEPROM(16, file);
  ee.save();
  assert.throws(() => readFileSync(file), /ENOENT/, 'nothing written before a change');
  ee.writeMemory(5, 0x42);
  ee.save();
  assert.equal(new FileEEPROM(16, file).readMemory(5), 0x42);
  writeFileSync(file, new Uint8Array(8));
  assert.throws(() => new FileEEPROM(16, file), /8 bytes, expected 16/);
});
