// The chip probe with a W5500 on the bus (a W5500 shield in place of the W5100
// one): the firmware has no W5500 driver, so it must say so plainly, never drive
// the chip with W5100 frames that happen to mean writes, and keep re-probing.
// The simulator's W5500 model answers the probe; a scripted responder stands in
// for a chip that answers W5500 frames with another version. No chip at all is
// covered in netmode-lan.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bootNetworkMode } from '../support/boot.ts';
import { BSB_COMMON, VERSIONR, W5500, type W5500Frame } from '../../simulator/src/w5500.ts';
import { W5500Responder } from './w5500-responder.ts';

async function bootWithW5500() {
  let chip!: W5500;
  const frames: W5500Frame[] = [];
  const nb = await bootNetworkMode({
    noChip: true,
    attach: (board) => {
      chip = new W5500(board);
      chip.onFrame = (f) => frames.push(f);
    },
  });
  return { nb, chip, frames };
}

async function bootWithResponder(version: number) {
  let chip!: W5500Responder;
  const nb = await bootNetworkMode({
    noChip: true,
    attach: (board) => {
      chip = new W5500Responder(board);
      chip.common[VERSIONR] = version;
    },
  });
  return { nb, chip };
}

/** A one-byte read of VERSIONR in a W5500 frame: the firmware's W5500 probe. */
const isVersionRead = (f: { block: number; addr: number; write: boolean }, length: number) =>
  f.block === BSB_COMMON && f.addr === VERSIONR && !f.write && length === 1;
const modelReads = (frames: W5500Frame[]) => frames.filter((f) => isVersionRead(f, f.length));
const responderReads = (chip: W5500Responder) => chip.frames.filter((f) => isVersionRead(f, f.data.length));

describe('network mode with a W5500 on the SPI bus', () => {
  it('shows "W5500: no driver", reports eth=w5500-unsupported, and leaves the chip alone', async () => {
    const { nb, chip, frames } = await bootWithW5500();
    try {
      await nb.until(() => nb.lcd() === 'W5500: no driver|check the shield', 2000, 'W5500 screen');
      const from = nb.out().length;
      await nb.command('V');
      assert.match(nb.out().slice(from), /eth=w5500-unsupported ip=0\.0\.0\.0/);
      assert.ok(modelReads(frames).length >= 1, 'VERSIONR read in a W5500 frame');
      assert.deepEqual(frames.filter((f) => f.write && f.length > 0), [], 'no register of the W5500 written');
      const probes = modelReads(frames).length;
      await nb.board.run(12_000);  // the periodic re-probe
      assert.ok(modelReads(frames).length > probes, 'probed again');
      assert.equal(nb.lcd(), 'W5500: no driver|check the shield');
      assert.equal(nb.board.resets.watchdog, 0);
    } finally { nb.dispose(); chip.dispose(); }
  });

  it('a chip that answers W5500 frames with another version is not taken for a W5500', async () => {
    const { nb, chip } = await bootWithResponder(0x03);
    try {
      await nb.until(() => nb.lcd().startsWith('No W5100 found'), 2000, 'no-chip screen');
      assert.ok(responderReads(chip).length >= 1);
      const from = nb.out().length;
      await nb.command('V');
      assert.match(nb.out().slice(from), /eth=none/);
    } finally { nb.dispose(); }
  });
});
