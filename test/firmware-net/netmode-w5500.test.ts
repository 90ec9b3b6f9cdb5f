// The chip probe with a W5500 on the bus (a W5500 shield in place of the W5100
// one): the firmware has no W5500 driver, so it must say so plainly, never drive
// the chip with W5100 frames that happen to mean writes, and keep re-probing.
// No chip at all is covered in netmode-lan.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bootNetworkMode } from '../support/boot.ts';
import { BSB_COMMON, VERSIONR, W5500Responder } from './w5500-responder.ts';

async function bootWithW5500(version?: number) {
  let chip!: W5500Responder;
  const nb = await bootNetworkMode({
    noChip: true,
    attach: (board) => {
      chip = new W5500Responder(board);
      if (version !== undefined) chip.common[VERSIONR] = version;
    },
  });
  return { nb, chip };
}

const versionReads = (chip: W5500Responder) =>
  chip.frames.filter((f) => f.block === BSB_COMMON && f.addr === VERSIONR && !f.write && f.data.length === 1);

describe('network mode with a W5500 on the SPI bus', () => {
  it('shows "W5500: no driver", reports eth=w5500-unsupported, and leaves the chip alone', async () => {
    const { nb, chip } = await bootWithW5500();
    try {
      await nb.until(() => nb.lcd() === 'W5500: no driver|check the shield', 2000, 'W5500 screen');
      const from = nb.out().length;
      await nb.command('V');
      assert.match(nb.out().slice(from), /eth=w5500-unsupported ip=0\.0\.0\.0/);
      assert.ok(versionReads(chip).length >= 1, 'VERSIONR read in a W5500 frame');
      assert.deepEqual(chip.writes, [], 'no register of the W5500 written');
      const probes = versionReads(chip).length;
      await nb.board.run(12_000);  // the periodic re-probe
      assert.ok(versionReads(chip).length > probes, 'probed again');
      assert.equal(nb.lcd(), 'W5500: no driver|check the shield');
      assert.equal(nb.board.resets.watchdog, 0);
    } finally { nb.dispose(); }
  });

  it('a chip that answers W5500 frames with another version is not taken for a W5500', async () => {
    const { nb, chip } = await bootWithW5500(0x03);
    try {
      await nb.until(() => nb.lcd().startsWith('No W5100 found'), 2000, 'no-chip screen');
      assert.ok(versionReads(chip).length >= 1);
      const from = nb.out().length;
      await nb.command('V');
      assert.match(nb.out().slice(from), /eth=none/);
    } finally { nb.dispose(); }
  });
});
