// Host-lost handling: NO DATA mm:ss counting up, "# host lost"/"# host back",
// the backlight policy, and the last frame coming back with the host.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { W5100 } from '../../simulator/src/w5100.ts';
import { bootHostMode, reply, row, type HostModeBoard } from '../support/boot.ts';

async function setup(h: HostModeBoard, settings: string[]) {
  for (const s of settings) assert.equal(reply(await h.command(`C SET ${s}`)), 'OK', s);
}

test('no command for host.timeout s: NO DATA counting up; the next command brings the frame back', async () => {
  const h = await bootHostMode();
  await setup(h, ['host.timeout 2', 'host.fallback 0', 'backlight lost-off']);
  assert.equal(reply(await h.command('F down 1.23M|up 45k')), 'OK');
  const from = h.lines.length;
  await h.board.run(1900);
  assert.deepEqual(h.lines.slice(from), [], 'not lost before the timeout');
  assert.equal(h.board.lcd.backlight, true);
  await h.waitLine(/^# host lost$/, 300, from);
  await h.board.run(50);
  assert.deepEqual(h.codes(), [row('NO DATA 00:02'), row('waiting for host')]);
  assert.equal(h.board.lcd.backlight, false, 'lost-off');
  await h.board.run(61_000);
  assert.deepEqual(h.codes()[0], row('NO DATA 01:03'));
  await h.write('F x|\\q\n'); // an invalid command does not count
  await h.board.run(100);
  assert.ok(h.lines.at(-1)!.startsWith('ERR ESC'));
  assert.deepEqual(h.codes()[0], row('NO DATA 01:03'));
  const r = await h.command('P');
  assert.deepEqual(r, ['# host back', 'OK']);
  assert.deepEqual(h.codes(), [row('down 1.23M'), row('up 45k')]);
  assert.equal(h.board.lcd.backlight, true);
  assert.deepEqual(h.board.lcd.violations, []);
  await h.close();
});

test('backlight alert-blink blinks while the host is lost', async () => {
  const h = await bootHostMode();
  await setup(h, ['host.timeout 1', 'host.fallback 0', 'backlight alert-blink']);
  await h.waitLine(/^# host lost$/, 1500);
  const seen = new Set<boolean>();
  for (let i = 0; i < 8; i++) {
    await h.board.run(250);
    seen.add(h.board.lcd.backlight);
  }
  assert.equal(seen.size, 2, 'both on and off seen');
  await h.command('P');
  await h.board.run(600);
  assert.equal(h.board.lcd.backlight, true);
  await h.close();
});

test('host.fallback 1 hands the display to network mode while the host is lost, on a board with a shield', async () => {
  const h = await bootHostMode();
  const chip = new W5100(h.board);
  try {
    await setup(h, ['host.timeout 1', 'host.fallback 1']);
    assert.equal(reply(await h.command('F host|frame')), 'OK');
    await h.waitLine(/^# host lost$/, 1500);
    await h.board.run(2000);
    const text = h.codes();
    assert.notDeepEqual(text[0], row('NO DATA 00:03'), 'network mode draws instead of NO DATA');
    assert.ok(
      chip.stats.some((s) => (s.commands.OPEN ?? 0) > 0) || chip.dhcp.stats.discover > 0,
      'network mode used the chip',
    );
    assert.equal(reply(await h.command('F host|again')), 'OK');
    assert.deepEqual(h.codes(), [row('host'), row('again')]);
    assert.deepEqual(h.board.lcd.violations, []);
  } finally {
    chip.dispose();
    await h.close();
  }
});

test('host.fallback 1 without an Ethernet shield keeps saying NO DATA', async () => {
  const h = await bootHostMode();
  await setup(h, ['host.timeout 1', 'host.fallback 1']);
  assert.equal(reply(await h.command('F host|frame')), 'OK');
  await h.waitLine(/^# host lost$/, 1500);
  await h.board.run(2000);
  assert.deepEqual(h.codes()[0], row('NO DATA 00:03'));
  assert.equal(reply(await h.command('F host|again')), 'OK');
  assert.deepEqual(h.codes(), [row('host'), row('again')]);
  assert.deepEqual(h.board.lcd.violations, []);
  await h.close();
});
