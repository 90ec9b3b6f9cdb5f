// The w5100-dhcp test firmware gets its address from the model's DHCP server
// and resolves names with its DNS server, running in the Board.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, buildFirmware } from '../../scripts/avr-build.ts';
import { Board } from '../../simulator/src/board.ts';
import { W5100 } from '../../simulator/src/w5100.ts';

let hex = '';
before(async () => {
  // It shares w5100_io.h with w5100-http: that directory is an include dir so edits there rebuild it.
  hex = (
    await buildFirmware({
      name: 'test-w5100-dhcp',
      srcDir: join(ROOT, 'test/firmware/w5100-dhcp'),
      quiet: true,
      includeDirs: [join(ROOT, 'firmware/src'), join(ROOT, 'test/firmware/w5100-http')],
    })
  ).hex;
});

async function boot(setup: (chip: W5100) => void = () => {}) {
  const board = new Board({ firmware: hex });
  const chip = new W5100(board);
  let text = '';
  board.serial.onByte((b) => {
    text += String.fromCharCode(b);
  });
  setup(chip);
  try {
    await board.runUntil(() => text.includes('DONE'), 6000, 'DONE');
    return { text, chip };
  } finally {
    chip.dispose();
  }
}

describe('w5100-dhcp firmware over the W5100 model', () => {
  it("obtains an address by DHCP and resolves names from the simulator's table", async () => {
    const { text, chip } = await boot((c) => c.dns.add('pmproxy.lan', '192.168.7.2'));
    assert.match(
      text,
      /IP=192\.168\.7\.100 MASK=255\.255\.255\.0 GW=192\.168\.7\.1 DNS=192\.168\.7\.1 LEASE=86400 SERVER=192\.168\.7\.1\r\n/,
    );
    assert.match(text, /DNS pmproxy\.lan=192\.168\.7\.2\r\n/);
    assert.match(text, /DNS nope\.lan NXDOMAIN\r\n/);
    assert.deepEqual(chip.dhcp.stats, { discover: 1, request: 1, offer: 1, ack: 1, nak: 0, ignored: 0 });
    assert.equal(chip.dns.stats.queries, 2);
    assert.deepEqual([...chip.mem.subarray(0x0f, 0x13)], [192, 168, 7, 100], 'the firmware wrote SIPR');
  });

  it('honours a configured LAN and pool', async () => {
    const board = new Board({ firmware: hex });
    const chip = new W5100(board, undefined, {
      network: '10.9.0.0',
      mask: '255.255.0.0',
      gateway: '10.9.0.254',
      dns: '10.9.0.53',
      poolStart: '10.9.1.10',
      poolEnd: '10.9.1.20',
      leaseSeconds: 600,
    });
    let text = '';
    board.serial.onByte((b) => {
      text += String.fromCharCode(b);
    });
    try {
      await board.runUntil(() => text.includes('DONE'), 6000, 'DONE');
    } finally {
      chip.dispose();
    }
    assert.match(text, /IP=10\.9\.1\.10 MASK=255\.255\.0\.0 GW=10\.9\.0\.254 DNS=10\.9\.0\.53 LEASE=600/);
    assert.match(text, /DNS pmproxy\.lan NXDOMAIN/);
  });

  it('a refusing server NAKs the request', async () => {
    const { text, chip } = await boot((c) => {
      c.dhcp.mode = 'refuse';
    });
    assert.match(text, /DHCP NAK/);
    assert.equal(chip.dhcp.stats.nak, 1);
  });

  it('a silent server (or a dead link) leaves the firmware to time out', async () => {
    const silent = await boot((c) => {
      c.dhcp.mode = 'silent';
    });
    assert.match(silent.text, /DHCP TIMEOUT/);
    assert.equal(silent.chip.dhcp.stats.discover, 1);
    const down = await boot((c) => {
      c.link = false;
    });
    assert.match(down.text, /DHCP TIMEOUT/);
    assert.equal(down.chip.dhcp.stats.discover, 0, 'nothing reached the server');
  });
});
