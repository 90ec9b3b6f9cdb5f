// Network mode when the LAN misbehaves: no shield, DHCP refused or silent,
// static addressing, link down. Each case shows a readable screen, retries, and
// never hangs or trips the watchdog.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startFakePmwebapi, type FakePmwebapi } from '../support/pmwebapi-fake.ts';
import { bootNetworkMode, followSimClock } from '../support/boot.ts';

let fake: FakePmwebapi;
before(async () => {
  fake = await startFakePmwebapi();
});

after(async () => {
  await fake.close();
});

describe('network mode on a bad LAN', () => {
  it('no Ethernet chip: says so on the LCD and in the banner fields', async () => {
    const nb = await bootNetworkMode({ noChip: true });
    try {
      await nb.until(() => nb.lcd().startsWith('No W5100/W5500'), 2000, 'no-chip screen');
      await nb.command('V');
      assert.match(nb.out(), /eth=none/);
      await nb.board.run(12000); // the periodic re-probe does not hang
      assert.equal(nb.board.resets.watchdog, 0);
    } finally {
      nb.dispose();
    }
  });

  it('DHCP refused (NAK) and silent: error screen, back-off, then success when the server serves', async () => {
    for (const mode of ['refuse', 'silent'] as const) {
      const nb = await bootNetworkMode({
        port: fake.port,
        setup: (c) => {
          c.dhcp.mode = mode;
        },
      });
      try {
        const text = mode === 'refuse' ? 'DHCP refused' : 'no DHCP lease';
        await nb.until(() => nb.lcd().startsWith(text), 20000, text);
        const tries = nb.chip.dhcp.stats.discover;
        await nb.board.run(20000);
        assert.ok(nb.chip.dhcp.stats.discover > tries, 'retried');
        assert.ok(nb.chip.dhcp.stats.discover < tries + 12, 'with back-off, not a flood');
        nb.chip.dhcp.mode = 'serve';
        await nb.until(() => nb.lcd().includes('bps'), 90000, 'rates after DHCP works', followSimClock(fake, nb.board));
        assert.equal(nb.board.resets.watchdog, 0);
      } finally {
        nb.dispose();
      }
    }
  });

  it('static address from the configuration, no DHCP traffic', async () => {
    const nb = await bootNetworkMode({
      port: fake.port,
      settings: { 'net.dhcp': '0', 'net.ip': '192.168.7.50', 'net.mask': '255.255.255.0', 'net.gw': '192.168.7.1' },
    });
    try {
      await nb.until(() => nb.lcd().includes('192.168.7.50'), 3000, 'static IP on the LCD');
      await nb.until(() => nb.lcd().includes('bps'), 15000, 'rates', followSimClock(fake, nb.board));
      assert.equal(nb.chip.dhcp.stats.discover, 0);
    } finally {
      nb.dispose();
    }
  });

  it('link down: connect failures are shown, retried, and the display recovers with the link', async () => {
    const nb = await bootNetworkMode({ port: fake.port, settings: { poll: '1' } });
    try {
      const tick = followSimClock(fake, nb.board);
      await nb.until(() => nb.lcd().includes('bps'), 15000, 'rates', tick);
      nb.chip.link = false;
      fake.state.faults.push({ reset: true }); // drop the kept-alive connection so a new connect is needed
      await nb.until(() => nb.lcd().includes('NA'), 15000, 'stale display', tick);
      await nb.board.run(5000);
      assert.equal(nb.board.resets.watchdog, 0);
      nb.chip.link = true;
      await nb.until(() => /\d(bps)/.test(nb.lcd()) && !nb.lcd().includes('NA'), 70000, 'rates again', tick);
    } finally {
      nb.dispose();
    }
  });

  it('a host frame takes the display over; network mode resumes when the host goes quiet', async () => {
    const nb = await bootNetworkMode({ port: fake.port, settings: { poll: '1', 'host.timeout': '3' } });
    try {
      const tick = followSimClock(fake, nb.board);
      await nb.until(() => nb.lcd().includes('bps'), 15000, 'rates', tick);
      await nb.command('F hello from|the host');
      await nb.until(() => nb.lcd().startsWith('hello from'), 500, 'host frame', tick);
      await nb.board.run(1500);
      assert.ok(nb.lcd().startsWith('hello from'), 'network mode keeps off while the host is active');
      await nb.until(() => nb.lcd().includes('bps'), 10000, 'network mode again', tick);
    } finally {
      nb.dispose();
    }
  });
});
