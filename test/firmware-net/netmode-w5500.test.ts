// The chip probe and the W5500 driver: the firmware looks for a W5200, a W5500, then a
// W5100, each in its own framing (the Arduino Ethernet library's order), takes the
// simulator's W5500 model for what it is and drives it (DHCP, the W5500's own retry
// registers), says plainly that a W5200 is not supported, and takes a chip that
// answers W5500 frames with another version for no chip. The W5500 against the
// scripted server and a real pmproxy: parts.test.ts, netmode-pcp.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bootNetworkMode } from '../support/boot.ts';
import { BSB_COMMON, RCR, RTR, VERSIONR, W5500, type W5500Frame } from '../../simulator/src/w5500.ts';
import { W5500Responder } from './w5500-responder.ts';
import { W5200Responder, W5200_VERSIONR } from './w5200-responder.ts';

describe('the chip probe', () => {
  it('finds the W5500 after a harmless W5200 probe, sets it up and gets a DHCP lease', async () => {
    let chip!: W5500;
    const frames: W5500Frame[] = [];
    const nb = await bootNetworkMode({
      noChip: true,
      attach: (board) => {
        chip = new W5500(board);
        chip.onFrame = (f) => frames.push(f);
      },
    });
    try {
      await nb.until(() => nb.lcd().includes('192.168.7.'), 3000, 'the DHCP address');
      assert.equal(chip.dhcp.stats.ack, 1);
      const from = nb.out().length;
      await nb.command('V');
      assert.match(nb.out().slice(from), /eth=w5500 ip=192\.168\.7\.\d+/);
      // The W5200 probe came first; to a W5500 its frames are reads of a reserved block.
      const firstVersionRead = frames.findIndex((f) => f.block === BSB_COMMON && f.addr === VERSIONR && !f.write);
      assert.ok(firstVersionRead > 0, 'VERSIONR read in a W5500 frame');
      assert.ok(
        frames.slice(0, firstVersionRead).some((f) => f.block === 0x10 && !f.write),
        'a W5200 write header first',
      );
      assert.deepEqual(
        frames.filter((f) => f.write && f.block !== BSB_COMMON && (f.block & 3) === 0),
        [],
        'no write to a reserved block',
      );
      // Retransmission: 200 ms x 3, at the W5500's addresses (the W5100's are two lower).
      assert.deepEqual([chip.common[RTR], chip.common[RTR + 1], chip.common[RCR]], [0x07, 0xd0, 3]);
      assert.equal(nb.board.resets.watchdog, 0);
    } finally {
      nb.dispose();
      chip.dispose();
    }
  });

  it('a W5200 is reported plainly and re-probed, never driven', async () => {
    let chip!: W5200Responder;
    const nb = await bootNetworkMode({
      noChip: true,
      attach: (board) => {
        chip = new W5200Responder(board);
      },
    });
    try {
      await nb.until(() => nb.lcd() === 'W5200 found     |not supported   ', 2000, 'the W5200 screen');
      const from = nb.out().length;
      await nb.command('V');
      assert.match(nb.out().slice(from), /eth=w5200 ip=0\.0\.0\.0/);
      // Its own frames came first: nothing else had been sent to it before its probe.
      assert.equal(chip.frames[0].addr, 0);
      assert.ok(chip.frames[0].write);
      const probes = () => chip.frames.filter((f) => f.addr === W5200_VERSIONR).length;
      const before = probes();
      await nb.board.run(12_000); // the periodic re-probe
      assert.ok(probes() > before, 'probed again');
      assert.ok(
        chip.frames.every((f) => f.addr === 0 || f.addr === W5200_VERSIONR || f.addr >= 0x0f00),
        "nothing but MR and VERSIONR in W5200 frames (the others are other chips' frames)",
      );
    } finally {
      nb.dispose();
    }
  });

  it('a chip that answers W5500 frames with another version is not taken for a W5500', async () => {
    let chip!: W5500Responder;
    const nb = await bootNetworkMode({
      noChip: true,
      attach: (board) => {
        chip = new W5500Responder(board, 0x03);
      },
    });
    try {
      await nb.until(() => nb.lcd().startsWith('No W5100/W5500'), 2000, 'no-chip screen');
      assert.ok(chip.frames.some((f) => f.block === BSB_COMMON && f.addr === VERSIONR && !f.write));
      const from = nb.out().length;
      await nb.command('V');
      assert.match(nb.out().slice(from), /eth=none/);
    } finally {
      nb.dispose();
    }
  });
});
