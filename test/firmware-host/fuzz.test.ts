// 10,000 random and mutated lines (seeded, reproducible): every line gets
// exactly one OK/ERR reply, with no crash, no stack overflow (the board's stack
// guard faults the run), no watchdog reset and no LCD timing violation; a valid
// frame still displays correctly afterwards.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootHostMode, reply, row, withChecksum } from '../support/boot.ts';
import { mulberry32 } from '../support/prng.ts';

const LINES = Number(process.env.PMLCD_FUZZ_LINES ?? 10_000);
const SEED = Number(process.env.PMLCD_FUZZ_SEED ?? 0x5eed);

function prng(seed: number) {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}

const SEEDS = [
  'V',
  'P',
  'B 1',
  'B 2',
  'F hello|world',
  'F \\0\\1\\x41\\\\\\|\\h|\\xFF\\xff',
  'T 1 3 abc',
  'T 0 15 \\h',
  'G 3 1F11111111111F00',
  'C GET poll',
  'C LIST',
  'C SET poll 5',
  'C SET net.ip 10.1.2.3',
  'C SET net.mac 02:00:00:00:00:01',
  'C SET m.in network.interface.in.bytes',
  'C SET cap.down 100000000',
  'C SET backlight on',
  withChecksum('F sum|ok'),
  'T 0 0 \\x',
  'F a|b|c',
  'C SET units bytes',
];
const SPECIAL = ['\\', '|', '*', ' ', 'x', '0', 'F', '\r', '\x00', '\xfe', '\x7f', '\x80'];

// Commands whose effect is meant to disrupt the session (reboot, mode switch,
// the host timeout shorter than the run) are left out; everything else goes.
function disruptive(line: string): boolean {
  const l = line.replace(/\*[0-9A-Fa-f]{2}$/, '').replace(/\r$/, '');
  return /^(R|X)$/.test(l) || /^M /.test(l) || /^C (RESET|SET (mode|host\.))/.test(l);
}

function makeLine(rnd: () => number): string {
  const int = (n: number) => Math.floor(rnd() * n);
  const byte = () => String.fromCharCode(rnd() < 0.7 ? 0x20 + int(95) : int(256));
  let s: string;
  if (rnd() < 0.3) {
    s = Array.from({ length: int(90) }, byte).join('');
  } else {
    s = SEEDS[int(SEEDS.length)];
    for (let m = 1 + int(4); m > 0; m--) {
      const at = int(s.length + 1);
      switch (int(6)) {
        case 0:
          s = s.slice(0, at) + byte() + s.slice(at + 1);
          break;
        case 1:
          s = s.slice(0, at) + SPECIAL[int(SPECIAL.length)] + s.slice(at);
          break;
        case 2:
          s = s.slice(0, at) + s.slice(at + 1 + int(3));
          break;
        case 3:
          s = s.slice(0, at) + s.slice(int(s.length));
          break;
        case 4:
          s += s.slice(int(s.length)).repeat(1 + int(3));
          break;
        default:
          s = withChecksum(s);
          break;
      }
    }
  }
  return s.replace(/\n/g, ' ');
}

test(`fuzz: ${LINES} random and mutated lines (seed ${SEED})`, { timeout: 600_000 }, async () => {
  const h = await bootHostMode();
  const rnd = prng(SEED);
  let sent = 0,
    oks = 0;
  while (sent < LINES) {
    const line = makeLine(rnd);
    if (disruptive(line)) continue;
    sent++;
    const from = h.lines.length;
    const r = await h.command(line, 2000).catch((e: Error) => {
      throw new Error(`line ${sent} ${JSON.stringify(line)}: ${e.message}`);
    });
    const replies = r.filter((l) => /^(OK|ERR)( |$)/.test(l));
    assert.equal(replies.length, 1, `line ${sent} ${JSON.stringify(line)} got ${JSON.stringify(h.lines.slice(from))}`);
    assert.ok(!r.some((l) => l.startsWith('PMLCD ')), `line ${sent} ${JSON.stringify(line)} reset the board`);
    if (reply(r).startsWith('OK')) oks++;
  }
  assert.equal(h.board.fault, null);
  assert.deepEqual(h.board.resets, { power: 1, external: 1, watchdog: 0 });
  assert.deepEqual(h.board.lcd.violations, []);
  assert.ok(oks > LINES / 20, `some mutated lines were still valid (${oks})`);
  assert.ok(h.board.stack.headroom >= 300, `stack headroom ${h.board.stack.headroom} B`);
  assert.equal(reply(await h.command('F after fuzz|\\0 all good \\1')), 'OK');
  assert.deepEqual(h.codes(), [row('after fuzz'), [0, ...row(' all good ').slice(0, 10), 1, ...row('').slice(12)]]);
  console.log(
    `fuzz: ${sent} lines, ${oks} OK, ${h.board.millis.toFixed(0)} ms simulated, stack headroom ${h.board.stack.headroom} B`,
  );
  await h.close();
});
