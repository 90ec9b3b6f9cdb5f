// The loader on a real avr-gcc build: the .hex and the .elf give the same flash, and RAM symbols
// come only from the ELF. Lives here because it builds a firmware (scripts/), which the
// simulator's own specs may not import.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildTestFirmware } from '../../scripts/avr-build.ts';
import { loadFirmware } from '../../simulator/src/hex.ts';

test('a built .hex and its .elf load the same flash; symbols come from the ELF', async () => {
  const fw = await buildTestFirmware('lcd-serial');
  const fromHex = loadFirmware(fw.hex);
  const fromElf = loadFirmware(fw.elf);
  assert.equal(fromHex.size, fw.size.flash);
  assert.deepEqual(fromElf.flash, fromHex.flash);
  assert.ok(fromElf.ram && fromHex.ram, 'RAM symbols found');
  assert.equal(fromElf.ram.heapStart, 0x100 + fw.size.ram, '__heap_start = end of .data+.bss');

  const dir = mkdtempSync(join(tmpdir(), 'pmlcd-hex-'));
  const lone = join(dir, 'lone.hex');
  writeFileSync(lone, readFileSync(fw.hex));
  assert.equal(loadFirmware(lone).ram, null, 'no sibling .elf, no symbols');
});
