// Contract between the fake board (test/host/support/fake-board.ts), which the bridge
// tests talk to, and the real firmware: one protocol script (lines sent, lines
// expected back, what the LCD shows) runs against both, through a serial port
// stream, so the fake cannot drift from the firmware unnoticed. A second script
// does the same for a firmware built without network mode.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { SerialPortStream } from '@serialport/stream';
import { FakeBoard, type FakeBoardOptions } from './support/fake-board.ts';
import { bootHostMode, hostOnlyFirmware, withChecksum, type HostModeBoard } from '../support/boot.ts';
import { firmwareVersion } from '../support/firmware-source.ts';

/** One side of the contract: a board behind a serial port. */
interface Target {
  /** Every line received, without the LF (a CR would stay: the firmware sends none). */
  lines: string[];
  write(bytes: string): void;
  /** Lets the board run until pred() holds (3 s at most: the time a host waits for a banner). */
  until(pred: () => boolean, what: string): Promise<void>;
  /** Lets the board run for `ms` (simulated ms; the fake has no clock of its own). */
  wait(ms: number): Promise<void>;
  screen(): number[][];
  glyph(n: number): number[];
  close(): Promise<void>;
}

function firmwareTarget(h: HostModeBoard): Target {
  return {
    lines: h.lines,
    write: (b) => h.write(b),
    until: (pred, what) => h.board.runUntil(pred, 3000, what),
    wait: (ms) => h.board.run(ms),
    screen: () => h.codes(),
    glyph: (n) => Array.from(h.board.lcd.cgram.subarray(n * 8, n * 8 + 8), (b) => b & 0x1f),
    close: () => h.close(),
  };
}

async function fakeTarget(opts: FakeBoardOptions = {}): Promise<Target> {
  const fake = new FakeBoard(opts);
  const port = new SerialPortStream({ binding: fake.binding(), path: fake.path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  const lines: string[] = [];
  let partial = '';
  port.on('data', (chunk: Buffer) => {
    partial += chunk.toString('latin1');
    for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n')) {
      lines.push(partial.slice(0, nl));
      partial = partial.slice(nl + 1);
    }
  });
  return {
    lines,
    write: (b) => {
      port.write(Buffer.from(b, 'latin1'));
    },
    until: async (pred, what) => {
      for (const end = Date.now() + 3000; !pred(); await sleep(2)) {
        if (Date.now() > end)
          throw new Error(`timed out waiting for ${what}; lines ${JSON.stringify(lines.slice(-5))}`);
      }
    },
    wait: () => sleep(20),
    screen: () => fake.lcd.map((r) => [...r]),
    glyph: (n) => fake.glyphs[n] ?? [],
    close: () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
  };
}

/**
 * A step: [line, ...lines expected back] sends the line with an LF and expects exactly
 * those lines, the OK/ERR reply last. The objects send raw bytes, expect silence, wait,
 * or check the LCD: screen rows as text, \xHH for codes, ♥ for a heartbeat cell
 * (glyph 6 or a blank: it blinks).
 */
type Step =
  | [string, ...string[]]
  | { raw: string; expect: string[] }
  | { silent: string }
  | { banner: string }
  | { wait: number }
  | { screen: [string, string] }
  | { glyph: number; rows: number[] };

const V = firmwareVersion();
const ID = `PMLCD ${V.protocol} fw=${V.fw} lcd=16x2`;
/** How the LCD is attached (docs/protocol.md): the simulated board wires it in parallel. */
const BUS = ' lcdbus=parallel';
const NET = ' eth=none ip=0.0.0.0'; // network-mode firmware on a board without a shield
const BAD = 'ERR ARG bad arguments';
const CMD = 'ERR CMD unknown command';
const LIST_DEFAULTS = [
  'CFG mode=host',
  'CFG net.dhcp=1',
  'CFG net.ip=192.168.1.177',
  'CFG net.mask=255.255.255.0',
  'CFG net.gw=192.168.1.1',
  'CFG net.dns=192.168.1.1',
  'CFG net.mac=DE:AD:BE:EF:FE:ED',
  'CFG srv.ip=192.168.1.1',
  'CFG srv.port=44322',
  'CFG srv.api=auto',
  'CFG srv.hostspec=localhost',
  'CFG iface=ppp0',
  'CFG m.in=network.interface.in.bytes',
  'CFG m.out=network.interface.out.bytes',
  'CFG m.lat=shping.time.real',
  'CFG m.latinst=ping',
  'CFG poll=2',
  'CFG units=bits',
  'CFG cap.down=20000000',
  'CFG cap.up=1000000',
  'CFG host.timeout=10',
  'CFG host.fallback=1',
  'CFG backlight=on',
  'CFG lcd.size=16x2',
];
/** C LIST of the default settings; `saves` counts the saves since the EEPROM was blank. */
const listDefaults = (saves: number) => [...LIST_DEFAULTS, `CFG saves=${saves}`, `OK ${LIST_DEFAULTS.length + 1}`];
const BOOT_SCREEN: [string, string] = [`pmlcd ${V.fw}`, 'waiting for host'];

/** The product firmware (host and network mode), from power-on with the default settings. */
const MAIN_SCRIPT: Step[] = [
  { banner: `${ID} mode=host reset=power cfg=ok${BUS}${NET}` },
  { screen: BOOT_SCREEN },
  ['V', `OK ${ID} mode=host cfg=ok${BUS}${NET}`],
  ['P', 'OK'],
  ['V x', BAD],
  ['P x', BAD],
  ['R x', BAD],
  // Frames and text escapes.
  ['F hello|world', 'OK'],
  { screen: ['hello', 'world'] },
  ['F \\0\\7\\xDF\\xe4\\\\\\||\\xFF~', 'OK'],
  { screen: ['\x00\x07\xdf\xe4\xa4|', '\xff~'] },
  ['F up\\h|', 'OK'],
  { screen: ['up♥', ''] },
  ['F 5*x|*Z', 'OK'],
  { screen: ['5*x', '*Z'] },
  [`F ${'\\x41'.repeat(15)}|`, 'OK'],
  { screen: ['A'.repeat(15), ''] },
  ['F before|error', 'OK'],
  ['F nobar', 'ERR ARG missing |'],
  ['F ', 'ERR ARG missing |'],
  ['F', BAD],
  ['F a|b|c', 'ERR ARG too many rows'],
  ['F 12345678901234567|', 'ERR ARG text too long'],
  ['F |12345678901234567', 'ERR ARG text too long'],
  ['F 1234567890123456\\q|', 'ERR ARG text too long'],
  [`F \\q${'x'.repeat(20)}|`, 'ERR ESC bad escape'],
  ['F \\q|', 'ERR ESC bad escape'],
  ['F \\x4|', 'ERR ESC bad escape'],
  ['F \\xG0|', 'ERR ESC bad escape'],
  ['F a|\\', 'ERR ESC bad escape'],
  ['F \\8|', 'ERR ESC bad escape'],
  { screen: ['before', 'error'] },
  // Partial updates.
  ['F aaaaaaaaaaaaaaaa|bbbbbbbbbbbbbbbb', 'OK'],
  ['T 1 5 XYZ', 'OK'],
  ['T 0 15 !', 'OK'],
  ['T 0 3 ', 'OK'],
  ['T 0 09 \\xFF', 'OK'],
  { screen: ['aaaaaaaaa\xffaaaaa!', 'bbbbbXYZbbbbbbbb'] },
  ['T 0 15 ab', 'ERR ARG text too long'],
  ['T 2 0 x', BAD],
  ['T 0 16 x', BAD],
  ['T 0 0', BAD],
  ['T x 0 a', BAD],
  ['T 0 1x a', BAD],
  ['T 0 005 a', BAD],
  ['T', BAD],
  ['T 0 0 \\', 'ERR ESC bad escape'],
  { screen: ['aaaaaaaaa\xffaaaaa!', 'bbbbbXYZbbbbbbbb'] },
  // Glyphs and backlight.
  ['G 3 1F11111111111F00', 'OK'],
  { glyph: 3, rows: [0x1f, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1f, 0x00] },
  ['G 7 FFFFFFFFFFFFFFFF', 'OK'],
  { glyph: 7, rows: Array(8).fill(0x1f) },
  ['G 8 0000000000000000', BAD],
  ['G 0 00', BAD],
  ['G 0 000000000000000G', BAD],
  ['G 0 00000000000000000', BAD],
  ['G', BAD],
  ['B 0', 'OK'],
  ['B 1', 'OK'],
  ['B 3', BAD],
  ['B 11', BAD],
  ['B', BAD],
  // Settings.
  ['C LIST', ...listDefaults(1)],
  ['C GET iface', 'OK iface=ppp0'],
  ['C GET nope', 'ERR KEY unknown setting'],
  ['C GET', BAD],
  ['C list', BAD],
  ['C FOO', BAD],
  ['C', BAD],
  ['C SET saves 5', 'ERR VAL bad value'],
  ['C SET saves', 'ERR ARG missing value'],
  // The first change is saved at once; later ones within a minute of uptime wait in RAM.
  ['C SET poll 05', 'OK'],
  ['C GET poll', 'OK poll=5'],
  ['C GET saves', 'OK saves=2'],
  ['C SET poll 0', 'ERR VAL bad value'],
  ['C SET poll x', 'ERR VAL bad value'],
  ['C SET poll', 'ERR ARG missing value'],
  ['C SET nope 1', 'ERR KEY unknown setting'],
  ['C SET net.mac 02:00:0a:Bc:00:01', 'OK'],
  ['C GET net.mac', 'OK net.mac=02:00:0A:BC:00:01'],
  ['C SET srv.ip 010.0.0.1', 'OK'],
  ['C GET srv.ip', 'OK srv.ip=10.0.0.1'],
  ['C SET srv.ip 1.2.3', 'ERR VAL bad value'],
  ['C SET m.lat ', 'OK'],
  ['C GET m.lat', 'OK m.lat='],
  ['C SET iface ', 'ERR VAL bad value'],
  ['C SET iface a b', 'ERR VAL bad value'],
  ['C SET m.in a-b', 'ERR VAL bad value'],
  ['C SET srv.hostspec pcp://h-1:44321', 'OK'],
  ['C SET cap.down 4294967295', 'OK'],
  ['C SET cap.down 4294967296', 'ERR VAL bad value'],
  ['C SET mode lcd', 'ERR VAL bad value'],
  ['C RESET', 'OK'],
  ['C LIST', ...listDefaults(2)],
  // Line framing: length, bytes, checksum, command letter.
  ['', 'ERR CMD empty line'],
  [' ', CMD],
  ['*00', 'ERR CMD empty line'],
  ['Z', CMD],
  ['VV', CMD],
  ['f a|b', CMD],
  ['FOO bar', CMD],
  ['P*50', 'OK'],
  [withChecksum('F sum|ok'), 'OK'],
  { screen: ['sum', 'ok'] },
  ['P*51', 'ERR CSUM bad checksum'],
  ['P\r', 'OK'],
  ['P\r\r', 'ERR CHAR non-ASCII byte'],
  ['F a\rb|', 'ERR CHAR non-ASCII byte'],
  ['F caf\xe9|', 'ERR CHAR non-ASCII byte'],
  [`F ${'x'.repeat(61)}`, 'ERR ARG text too long'],
  [`F ${'x'.repeat(61)}\r`, 'ERR LINE line too long'], // the CR counts
  [`F ${'x'.repeat(62)}`, 'ERR LINE line too long'],
  [`F ${'\xe9'.repeat(70)}`, 'ERR LINE line too long'],
  { raw: 'P\nV\n', expect: ['OK', `OK ${ID} mode=host cfg=ok${BUS}${NET}`] },
  // Modes.
  ['M', BAD],
  ['M bogus', 'ERR ARG unknown mode'],
  ['M host', 'OK'],
  ['M net', 'OK'],
  { wait: 500 },
  { screen: ['No W5100/W5500', 'check the shield'] },
  ['V', `OK ${ID} mode=net cfg=ok${BUS}${NET}`],
  ['C GET mode', 'OK mode=net'],
  ['M host', 'OK'],
  ['C GET mode', 'OK mode=host'],
  ['F hi|there', 'OK'],
  ['M lcdproc', 'OK'],
  { screen: ['LCDproc mode', 'waiting for LCDd'] },
  { silent: 'P\n' },
  { raw: '\xfe\x00V\n', expect: [`OK ${ID} mode=lcdproc cfg=ok${BUS}${NET}`] },
  { raw: '\xfe\x00M host\n', expect: ['OK'] },
  { screen: ['LCDproc mode', 'waiting for LCDd'] }, // its own screen, not the host's last frame, until the host draws
  ['V', `OK ${ID} mode=host cfg=ok${BUS}${NET}`],
  ['C SET mode net', 'OK'],
  ['V', `OK ${ID} mode=net cfg=ok${BUS}${NET}`],
  ['C SET mode host', 'OK'],
  // Reboot: settings kept, boot screen, glyphs back to the firmware's own.
  ['C SET iface eth0', 'OK'],
  ['F before|reboot', 'OK'],
  ['R', 'OK'],
  { banner: `${ID} mode=host reset=command cfg=ok${BUS}${NET}` },
  { screen: BOOT_SCREEN },
  ['C GET iface', 'OK iface=eth0'],
  ['C GET saves', 'OK saves=2'],
];

/** A firmware built without network mode (firmware/src/net/ left out). */
const HOST_ONLY_SCRIPT: Step[] = [
  { banner: `${ID} mode=host reset=power cfg=ok${BUS}` },
  ['V', `OK ${ID} mode=host cfg=ok${BUS}`],
  ['M net', 'ERR ARG mode not available'],
  ['C SET mode net', 'ERR VAL mode not available'],
  ['C GET mode', 'OK mode=host'],
  ['F still|host', 'OK'],
  { screen: ['still', 'host'] },
  ['M lcdproc', 'OK'],
  { raw: '\xfe\x00M host\n', expect: ['OK'] },
  ['V', `OK ${ID} mode=host cfg=ok${BUS}`],
];

const isReply = (l: string) => /^(OK|ERR)( |$)/.test(l);
const show = (codes: number[][]) => codes.map((r) => String.fromCharCode(...r)).join('|');

async function runScript(t: Target, script: Step[]): Promise<void> {
  let banners = 0;
  for (const step of script) {
    const at = JSON.stringify(step);
    if (Array.isArray(step) || 'raw' in step) {
      const [bytes, expect] = Array.isArray(step) ? [`${step[0]}\n`, step.slice(1)] : [step.raw, step.expect];
      const from = t.lines.length;
      t.write(bytes);
      // As many replies as expected (a C LIST's CFG lines come before its one reply).
      const replies = expect.filter(isReply).length;
      await t.until(() => t.lines.slice(from).filter(isReply).length >= replies, `${replies} replies to ${at}`);
      assert.deepEqual(t.lines.slice(from), expect, at);
    } else if ('silent' in step) {
      const from = t.lines.length;
      t.write(step.silent);
      await t.wait(200);
      assert.deepEqual(t.lines.slice(from), [], `${at}: no reply`);
    } else if ('banner' in step) {
      // The first banner is the one sent at power-on; later ones follow a reset.
      const from = banners++ === 0 ? 0 : t.lines.length;
      await t.until(() => t.lines.slice(from).some((l) => l.startsWith('PMLCD ')), 'a banner');
      assert.equal(
        t.lines.slice(from).find((l) => l.startsWith('PMLCD ')),
        step.banner,
      );
    } else if ('wait' in step) {
      await t.wait(step.wait);
    } else if ('screen' in step) {
      const got = t.screen();
      const want = step.screen.map((r) => [...r.padEnd(16)]);
      const ok = want.every((r, y) =>
        r.every((c, x) => (c === '♥' ? [6, 0x20].includes(got[y][x]) : got[y][x] === c.charCodeAt(0))),
      );
      assert.ok(ok, `${at}: LCD shows ${JSON.stringify(show(got))}`);
    } else {
      assert.deepEqual(t.glyph(step.glyph), step.rows, at);
    }
  }
}

describe('fake board and firmware answer the same protocol script', () => {
  for (const side of ['firmware', 'fake'] as const) {
    describe(side, () => {
      let t: Target;
      before(async () => {
        t = side === 'firmware' ? firmwareTarget(await bootHostMode()) : await fakeTarget();
      });
      after(() => t.close());
      test('main build: banner, frames, escapes, glyphs, settings, line errors, modes, reboot', () =>
        runScript(t, MAIN_SCRIPT));
    });
  }
});

describe('fake board and a firmware without network mode answer the same script', () => {
  for (const side of ['firmware', 'fake'] as const) {
    describe(side, () => {
      let t: Target;
      before(async () => {
        t =
          side === 'firmware'
            ? firmwareTarget(await bootHostMode({ firmware: (await hostOnlyFirmware()).hex }))
            : await fakeTarget({ network: false });
      });
      after(() => t.close());
      test('host-only build: no network fields, M net and C SET mode net refused', () =>
        runScript(t, HOST_ONLY_SCRIPT));
    });
  }
});
