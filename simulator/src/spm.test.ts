// Spec of the self-programming model (spm.ts) against the datasheet (7810C §26):
// small hand-assembled programs run from the boot section of a simulated board,
// and the flash, SPMCSR readings and timing are checked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Board } from './board.ts';
import { bootStartByte, resetHoldCycles, resetVectorByte, resolveFuses, startupDelay, UNO_FUSES } from './fuses.ts';
import type { Firmware } from './hex.ts';
import { PROG_MS } from './spm.ts';

// ---- a tiny assembler for the instructions the programs use -----------------
const ldi = (d: number, k: number) => 0xe000 | ((k & 0xf0) << 4) | ((d - 16) << 4) | (k & 0x0f);
const out = (a: number, r: number) => 0xb800 | ((a & 0x30) << 5) | (r << 4) | (a & 0x0f);
const inp = (r: number, a: number) => 0xb000 | ((a & 0x30) << 5) | (r << 4) | (a & 0x0f);
const mov = (d: number, r: number) => 0x2c00 | ((r & 0x10) << 5) | (d << 4) | (r & 0x0f);
const sbrc = (r: number, b: number) => 0xfc00 | (r << 4) | b;
const rjmp = (k: number) => 0xc000 | (k & 0xfff);
const lpm = (d: number) => 0x9004 | (d << 4);
const NOP = 0x0000,
  SPM = 0x95e8;
const SPMCSR_IO = 0x37,
  SMCR_IO = 0x33;

const setZ = (addr: number) => [ldi(30, addr & 0xff), ldi(31, addr >> 8)];
const spmCmd = (cmd: number) => [ldi(16, cmd), out(SPMCSR_IO, 16), SPM];
/** Busy-wait while SELFPRGEN is 1 (what avr-libc's boot_spm_busy_wait() compiles to). */
const waitSpm = () => [inp(16, SPMCSR_IO), sbrc(16, 0), rjmp(-3)];
/** r1:r0 = word, then a buffer fill at Z. */
const fill = (word: number) => [ldi(16, word & 0xff), mov(0, 16), ldi(16, word >> 8), mov(1, 16), ...spmCmd(0x01)];
/** SE=1, then SLEEP with interrupts off: the board reports a halt. */
const HALT = [ldi(16, 1), out(SMCR_IO, 16), 0x9588];

function image(at: number, code: number[], path: string): Firmware {
  const flash = new Uint8Array(0x8000).fill(0xff);
  code.forEach((w, i) => {
    flash[at + 2 * i] = w & 0xff;
    flash[at + 2 * i + 1] = w >> 8;
  });
  return { path, flash, size: at + 2 * code.length, ram: null };
}

const BLANK = image(0, [], 'blank');

/** Runs `code` from the boot section (BOOTRST programmed) until it halts. */
async function runBoot(code: number[], opts: { lock?: number; app?: Firmware } = {}): Promise<Board> {
  const board = new Board({
    firmware: opts.app ?? BLANK,
    bootloader: image(0x7e00, [...code, ...HALT], 'boot'),
    fuses: { lock: opts.lock ?? UNO_FUSES.lock },
  });
  await board.runUntil(() => board.halted !== null, 200, 'the program to halt');
  return board;
}

const PROG_CYCLES = PROG_MS * 16_000;

test("fuses: the Uno's bytes decode to its reset time-out, boot section and reset vector", () => {
  const d = startupDelay(0xff);
  assert.deepEqual(d, { startupCk: 16384, resetCk: 14, resetMs: 65 }, 'Table 8-4: crystal, slowly rising power');
  assert.equal(resetHoldCycles(d, 16e6, true), 16384 + 14 + 1_040_000);
  assert.equal(resetHoldCycles(d, 16e6, false), 14 + 1_040_000, 'no oscillator start-up after power-on');
  assert.equal(resetHoldCycles(startupDelay(0xdf), 16e6, true), 16384 + 14, 'SUT=01: BOD enabled, no extra delay');
  assert.equal(bootStartByte(0xde), 0x7e00);
  assert.equal(bootStartByte(0xd8), 0x7000, 'BOOTSZ=00: 2048 words');
  assert.equal(resetVectorByte(0xde), 0x7e00, 'BOOTRST programmed');
  assert.equal(resetVectorByte(0xdf), 0);
  assert.equal(resolveFuses(undefined, false).high, 0xdf, 'no bootloader: BOOTRST left unprogrammed');
  assert.equal(resolveFuses(undefined, true).high, 0xde);
  assert.throws(() => startupDelay(0x7f), /CKDIV8/);
  assert.throws(() => startupDelay(0xf2), /not a low-power crystal/);
});

test('RWW page: erase, fill, write; SELFPRGEN busy for the programming time, RWWSB until RWWSRE, then LPM reads the data', async () => {
  const board = await runBoot([
    ...setZ(0x0100),
    ...spmCmd(0x03),
    ...waitSpm(), // erase the page
    ...fill(0x1234),
    ...setZ(0x0102),
    ...fill(0xabcd), // two words into the buffer
    ...setZ(0x0100),
    ...spmCmd(0x05), // page write
    inp(20, SPMCSR_IO), // at once: SELFPRGEN and RWWSB
    ...waitSpm(),
    inp(21, SPMCSR_IO), // done: RWWSB still set
    ...spmCmd(0x11),
    inp(22, SPMCSR_IO), // RWW section re-enabled
    lpm(23),
  ]);
  const d = board.cpu.data;
  assert.equal(d[20], 0x45, 'RWWSB | PGWRT | SELFPRGEN while the write runs');
  assert.equal(d[21], 0x40, 'RWWSB stays until RWWSRE');
  assert.equal(d[22], 0x00);
  assert.equal(d[23], 0x34, 'LPM reads the new low byte');
  assert.deepEqual([...board.flash.subarray(0x100, 0x106)], [0x34, 0x12, 0xcd, 0xab, 0xff, 0xff]);
  assert.deepEqual(board.spm.stats, { fills: 2, erases: 1, writes: 1, rwwEnables: 1, lockSets: 0, ignored: 0 });
  // Two 4.5 ms operations, waited out by the CPU running from the boot section.
  const ran = board.halted!.cycle - board.startMillis * 16_000;
  assert.ok(ran >= 2 * PROG_CYCLES && ran < 2 * PROG_CYCLES + 2000, `ran ${ran} cycles`);
});

test('NRWW page: the CPU is halted for the programming time, then SELFPRGEN reads 0 at once', async () => {
  const board = await runBoot([...setZ(0x7100), ...spmCmd(0x03), inp(20, SPMCSR_IO)]);
  assert.equal(board.cpu.data[20], 0x00, 'the next instruction runs only after the erase');
  const ran = board.halted!.cycle - board.startMillis * 16_000;
  assert.ok(ran >= PROG_CYCLES && ran < PROG_CYCLES + 100, `ran ${ran} cycles`);
  assert.equal(board.spm.stats.erases, 1);
});

test('SPM must start within four cycles of the SPMCSR write', async () => {
  const ok = await runBoot([...setZ(0x0200), ldi(16, 0x03), out(SPMCSR_IO, 16), NOP, NOP, NOP, SPM, ...waitSpm()]);
  assert.equal(ok.spm.stats.erases, 1, 'three cycles between: erased');
  const late = await runBoot([
    ...setZ(0x0200),
    ldi(16, 0x03),
    out(SPMCSR_IO, 16),
    NOP,
    NOP,
    NOP,
    NOP,
    SPM,
    inp(20, SPMCSR_IO),
  ]);
  assert.equal(late.spm.stats.erases, 0, 'four cycles between: nothing');
  assert.equal(late.cpu.data[20], 0, 'the command bits cleared themselves');
});

test('a page write ANDs with the old contents; each buffer word is taken once until the buffer clears', async () => {
  const app = image(0x0300, [0x0ff0], 'app');
  const board = await runBoot(
    [
      ...setZ(0x0300),
      ...fill(0x3c3c),
      ...fill(0xffff), // second fill of word 0 is ignored
      ...spmCmd(0x05),
      ...waitSpm(),
      ...spmCmd(0x11),
    ],
    { app },
  );
  assert.deepEqual([...board.flash.subarray(0x300, 0x302)], [0x30, 0x0c], '0x0ff0 & 0x3c3c without an erase');
});

test("boot lock 0x0F (the Uno's) keeps SPM off the boot section; lock 0x3F allows it", async () => {
  const prog = [...setZ(0x7f80), ...spmCmd(0x03)];
  const run = async (lock: number) => {
    const boot = image(0x7e00, [...prog, ...HALT], 'boot');
    boot.flash[0x7f80] = 0x42; // a byte in the page the program erases
    const board = new Board({ firmware: BLANK, bootloader: boot, fuses: { lock } });
    await board.runUntil(() => board.halted !== null, 200, 'halt');
    return board;
  };
  const locked = await run(0x0f);
  assert.equal(locked.flash[0x7f80], 0x42, 'BLB1 mode 3: not erased');
  assert.equal(locked.spm.stats.ignored, 1);
  const open = await run(0x3f);
  assert.equal(open.flash[0x7f80], 0xff, 'BLB1 mode 1: erased');
  assert.equal(open.spm.stats.erases, 1);
});

test('SPM from the application section does nothing (and says so)', async () => {
  const app = image(0, [...setZ(0x0400), ...spmCmd(0x03), ...HALT], 'app');
  const board = new Board({ firmware: app });
  const warnings: string[] = [];
  board.on('warning', (m) => warnings.push(m));
  await board.runUntil(() => board.halted !== null, 200, 'halt');
  assert.equal(board.spm.stats.erases, 0);
  assert.equal(board.spm.stats.ignored, 1);
  assert.match(warnings.join('\n'), /SPM at 0x[0-9a-f]+ is outside the boot section/);
});

test('SIGRD and BLBSET reads by LPM: the signature row and the fuse bytes', async () => {
  const read = (cmd: number, z: number, reg: number) => [...setZ(z), ldi(16, cmd), out(SPMCSR_IO, 16), lpm(reg)];
  const prog = [
    ...read(0x21, 0, 20),
    ...read(0x21, 2, 21),
    ...read(0x21, 4, 22),
    ...read(0x09, 0, 23),
    ...read(0x09, 3, 24),
    ...read(0x09, 1, 25),
    ...setZ(0x0000),
    lpm(26),
  ];
  const board = await runBoot(prog);
  assert.deepEqual([...board.cpu.data.subarray(20, 27)], [0x1e, 0x95, 0x0f, 0xff, 0xde, 0x0f, 0xff]);
  const other = new Board({
    firmware: BLANK,
    bootloader: image(0x7e00, [...prog, ...HALT], 'boot'),
    signature: [0x1e, 0x95, 0x14],
  });
  await other.runUntil(() => other.halted !== null, 200, 'halt');
  assert.equal(other.cpu.data[22], 0x14, 'the signature is configurable');
});
