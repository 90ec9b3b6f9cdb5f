// No setting can hold a control character: C SET with a value containing a
// byte below 0x20 or 0x7F is refused with ERR and stores nothing, whether the
// line arrives in host mode, with a checksum, or through LCDproc mode's
// 0xFE 0x00 line escape.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootHostMode, reply, withChecksum, type HostModeBoard } from '../support/boot.ts';

// Control bytes other than LF (which ends the line at the serial layer, so it
// can never be inside one) in the middle and at the end of a value, CR included.
const CONTROLS = [...Array.from({ length: 0x20 }, (_, i) => i).filter((b) => b !== 0x0a), 0x7f];

async function list(h: HostModeBoard): Promise<string[]> {
  return (await h.command('C LIST')).filter((l) => l.startsWith('CFG '));
}

test('C SET refuses a value containing a control byte, for every key, and stores nothing', {
  timeout: 300_000,
}, async () => {
  const h = await bootHostMode();
  const before = await list(h);
  const keys = before.map((l) => /^CFG ([^=]+)=/.exec(l)![1]).filter((k) => k !== 'saves');
  for (const key of keys) {
    // A control byte where a plausible value would otherwise be accepted.
    for (const b of CONTROLS) {
      const c = String.fromCharCode(b);
      // A CR right before the LF is the line ending (stripped, checked below), not part of the value.
      for (const value of b === 0x0d ? [`eth${c}0`, `${c}x`] : [`eth${c}0`, `eth0${c}`, `${c}`]) {
        for (const line of [`C SET ${key} ${value}`, withChecksum(`C SET ${key} ${value}`)]) {
          const r = reply(await h.command(line));
          assert.match(r, /^ERR /, `${key} ${JSON.stringify(value)} ${JSON.stringify(line)}`);
        }
      }
    }
  }
  assert.deepEqual(await list(h), before);
  // Through LCDproc mode's line escape as well.
  assert.equal(reply(await h.command('M lcdproc')), 'OK');
  const from = h.lines.length;
  h.write([0xfe, 0x00, ...Buffer.from('C SET iface a\x01b\n', 'latin1')]);
  assert.match(await h.waitLine(/^(OK|ERR)/, 500, from), /^ERR /);
  h.write([0xfe, 0x00, ...Buffer.from('C SET iface ab\x7f\n', 'latin1')]);
  assert.match(await h.waitLine(/^(OK|ERR)/, 500, from + 1), /^ERR /);
  h.write([0xfe, 0x00, ...Buffer.from('M host\n', 'latin1')]);
  await h.waitLine(/^OK$/, 500, from + 2);
  const after = await list(h);
  assert.deepEqual(
    after.filter((l) => !l.startsWith('CFG mode=') && !l.startsWith('CFG saves=')),
    before.filter((l) => !l.startsWith('CFG mode=') && !l.startsWith('CFG saves=')),
  );
  // "eth1\r\n" is the line "eth1" with a CR-LF ending: what is stored has no CR.
  assert.equal(reply(await h.command('C SET iface eth1\r')), 'OK');
  assert.equal(reply(await h.command('C GET iface')), 'OK iface=eth1');
  assert.deepEqual(h.board.lcd.violations, []);
  await h.close();
});
