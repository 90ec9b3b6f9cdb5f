import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { byIdCandidates, findBoard, isBoard } from '../../host/src/serial-find.ts';
import { lcdPreview } from '../../demo/terminal-view.ts';
import { FakeBoard } from './support/fake-board.ts';

test('USB ids of Unos and CH340 clones', () => {
  assert.equal(isBoard({ vendorId: '2341', productId: '0043' }), true);
  assert.equal(isBoard({ vendorId: '1A86', productId: '7523' }), true);
  assert.equal(isBoard({ vendorId: '0403', productId: '6001' }), false);
  assert.equal(isBoard({ vendorId: undefined, productId: undefined }), false);
});

test('configured path, then /dev/serial/by-id, then the port list', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pmlcd-byid-'));
  try {
    const binding = new FakeBoard({ path: '/dev/ttyACM7' }).binding();
    assert.equal(await findBoard(binding, '/dev/mine', dir), '/dev/mine');
    assert.equal(await findBoard(binding, null, dir), '/dev/ttyACM7');
    writeFileSync(join(dir, 'usb-FTDI_Something-if00-port0'), '');
    writeFileSync(join(dir, 'usb-Arduino__www.arduino.cc__0043_85736323-if00'), '');
    assert.deepEqual(byIdCandidates(dir), [join(dir, 'usb-Arduino__www.arduino.cc__0043_85736323-if00')]);
    assert.equal(await findBoard(binding, null, dir), join(dir, 'usb-Arduino__www.arduino.cc__0043_85736323-if00'));
    const gone = new FakeBoard();
    gone.unplug();
    assert.equal(await findBoard(gone.binding(), null, join(dir, 'nope')), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('terminal preview maps glyphs of the active set', () => {
  const row = [0, 0x31, 1, 0x32, 0xff, 5, 0x5c];
  assert.deepEqual(lcdPreview([row], 'main'), ['┌───────┐', '│▼1▲2█▌¥│', '└───────┘']);
  assert.equal(lcdPreview([[0, 7]], 'spark')[1], '│▁█│');
});
