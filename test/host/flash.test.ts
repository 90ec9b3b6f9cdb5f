// `pmlcd flash` end to end: the real avrdude talks over loopback TCP to the
// simulated Uno running the real Optiboot (built from Debian's source), writes a
// firmware through SPM, verifies it, and the board then runs it; and the failures
// a user meets (no board, a bad or oversized .hex, the wrong chip, a board pulled
// out mid-write) each end with one clear line and a non-zero exit.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { main } from '../../host/src/cli.ts';
import { buildOptiboot } from '../../scripts/optiboot-build.ts';
import { Board, type BoardOptions } from '../../simulator/src/board.ts';
import { parseIntelHex } from '../../simulator/src/hex.ts';
import { SerialTcpBridge } from '../../simulator/src/serial-tcp.ts';
import { productFirmware, testFirmware } from '../support/boot.ts';

const tmp = mkdtempSync(join(tmpdir(), 'pmlcd-flash-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
/** avrdude silence that counts as a pulled cable (the CLI's default is 10 s). */
const STALL_MS = 3000;

async function flash(port: string, hex: string): Promise<{ code: number; err: string }> {
  let err = '';
  const io = {
    out: (s: string) => {
      err += s;
    },
    err: (s: string) => {
      err += s;
    },
    isTTY: false,
  };
  const code = await main(['flash', '--port', port, '--hex', hex], {} as NodeJS.ProcessEnv, io, {
    flashStallMs: STALL_MS,
  });
  return { code, err };
}

/** A board with Optiboot serving its serial port on loopback, paced to real time. */
async function serveBoard(opts: Partial<BoardOptions> = {}) {
  const board = new Board({
    firmware: (await productFirmware()).hex,
    bootloader: (await buildOptiboot()).hex,
    ...opts,
  });
  let out = '';
  board.serial.onByte((b) => {
    out += String.fromCharCode(b);
  });
  const tcp = new SerialTcpBridge(board, { port: 0 });
  const { port } = await tcp.listen();
  board.start(1);
  return {
    board,
    tcp,
    port: `net:127.0.0.1:${port}`,
    out: () => out,
    close: async () => {
      await board.stop();
      await tcp.close();
    },
  };
}

const lastLine = (s: string) =>
  s
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('pmlcd:'))
    .pop() ?? '';

test('avrdude writes and verifies a new firmware through Optiboot; after the bootloader the board runs it', async () => {
  const next = (await testFirmware('lcd-serial')).hex;
  const b = await serveBoard();
  try {
    const { code, err } = await flash(b.port, next);
    assert.equal(code, 0, err);
    assert.match(err, /4348 bytes of flash verified|bytes of flash verified/);
    assert.match(lastLine(err), /firmware written and verified/);
    // Optiboot's LEAVE_PROGMODE sets the 16 ms watchdog; the reset starts the new app. (Counted
    // from here: the verify's page reads carry the firmware's strings too.)
    const from = b.out().length;
    const banner = () =>
      b
        .out()
        .slice(from)
        .match(/READY lcd-serial mcusr=(\w+)\r\n/);
    const until = Date.now() + 5000;
    while (!banner() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.equal(
      banner()?.[1],
      '0',
      `the new banner, MCUSR 0 (Optiboot 4.4 clears it before the app starts); serial ends ${JSON.stringify(b.out().slice(-60))}`,
    );
    assert.deepEqual(
      b.board.resets,
      { power: 1, external: 1, watchdog: 1 },
      'one reset for the connection, one by the watchdog after Q',
    );
    const image = parseIntelHex(readFileSync(next, 'latin1'));
    assert.deepEqual(
      b.board.flash.subarray(0, image.size),
      image.flash.subarray(0, image.size),
      'the flash holds the file',
    );
    assert.ok(b.board.spm.stats.writes >= Math.ceil(image.size / 128));
  } finally {
    await b.close();
  }
});

test('no board: connection refused, exit 69', async () => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  const { code, err } = await flash(`net:127.0.0.1:${port}`, (await testFirmware('lcd-serial')).hex);
  assert.equal(code, 69, err);
  assert.match(lastLine(err), /no board on net:127\.0\.0\.1:\d+: connection refused/);
});

test('a bad .hex and one larger than the application section are refused before avrdude runs (exit 65)', async () => {
  const bad = join(tmp, 'bad.hex');
  writeFileSync(bad, ':100000000C945C000C946E000C946E000C946E00FF\n:00000001FF\n');
  let r = await flash('net:127.0.0.1:9', bad);
  assert.equal(r.code, 65, r.err);
  assert.match(lastLine(r.err), /bad\.hex line 1: bad checksum/);
  // One record at 0x7E00: inside the bootloader's section.
  const big = join(tmp, 'big.hex');
  const rec = (addr: number, data: number[]) => {
    const bytes = [data.length, addr >> 8, addr & 0xff, 0, ...data];
    const sum = (0x100 - (bytes.reduce((a, b) => a + b, 0) & 0xff)) & 0xff;
    return `:${[...bytes, sum]
      .map((b) => b.toString(16).padStart(2, '0'))
      .join('')
      .toUpperCase()}`;
  };
  writeFileSync(big, `${rec(0, [0x0c, 0x94])}\n${rec(0x7e00, [0xff, 0xcf])}\n:00000001FF\n`);
  r = await flash('net:127.0.0.1:9', big);
  assert.equal(r.code, 65, r.err);
  assert.match(lastLine(r.err), /reaches byte 32,258: the Uno's application section holds 32,256 B/);
  assert.doesNotMatch(r.err, /avrdude/, 'avrdude never ran');
});

test('the wrong chip: an ATmega328 (non-P) board with its own Optiboot gives a signature error, exit 1', async () => {
  const b = await serveBoard({ bootloader: (await buildOptiboot('atmega328')).hex, signature: [0x1e, 0x95, 0x14] });
  try {
    const { code, err } = await flash(b.port, (await testFirmware('lcd-serial')).hex);
    assert.equal(code, 1, err);
    assert.match(lastLine(err), /wrong chip: the board says 0x1e9514 \(m328\), an ATmega328P is 1E 95 0F/);
    assert.equal(b.board.spm.stats.writes, 0, 'nothing was written');
  } finally {
    await b.close();
  }
});

test('the board unplugged halfway through the write: avrdude is stopped, exit 1', async () => {
  const b = await serveBoard();
  const cut = setInterval(() => {
    if (b.board.spm.stats.writes >= 4) {
      clearInterval(cut);
      b.tcp.dropClient();
    }
  }, 2);
  try {
    const { code, err } = await flash(b.port, (await productFirmware()).hex);
    assert.equal(code, 1, err);
    assert.match(lastLine(err), /the board stopped answering on net:127\.0\.0\.1:\d+ \(unplugged\?\)/);
    assert.ok(b.board.spm.stats.writes < 200, 'the write did not complete');
  } finally {
    clearInterval(cut);
    await b.close();
  }
});
