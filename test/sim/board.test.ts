import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  Board,
  HoldTimeoutError,
  MCUSR_EXTRF,
  MCUSR_PORF,
  MCUSR_WDRF,
  SimTimeoutError,
  StackOverflowError,
  type ResetCause,
} from '../../simulator/src/board.ts';
import { parsePinMap } from '../../simulator/src/pins.ts';
import { bootTestFirmware, testFirmware } from '../support/boot.ts';

test('boots the test firmware: banner with PORF, LCD text, no HD44780 timing violations', async () => {
  const { board, output } = await bootTestFirmware('lcd-serial');
  await board.run(20);
  assert.match(output(), new RegExp(`READY lcd-serial mcusr=${MCUSR_PORF.toString(16)}\\r\\n`));
  assert.deepEqual(board.lcd.text(), ['lcd-serial      ', 'ready           ']);
  assert.deepEqual(board.lcd.violations, []);
  assert.equal(board.lcd.backlight, true);
  assert.deepEqual(board.resets, { power: 1, external: 0, watchdog: 0 });
});

test('serial lines are echoed and shown on the LCD', async () => {
  const { board, send, waitFor } = await bootTestFirmware('lcd-serial');
  send('Hello, LCD\n');
  await waitFor('echo Hello, LCD\r\n');
  await board.run(5);
  assert.equal(board.lcd.text()[1], 'Hello, LCD      ');
});

test('SLEEP fast-forwards an idle firmware; millis() stays exact', async () => {
  const { board, send, output, waitFor } = await bootTestFirmware('lcd-serial');
  const sleeps = board.sleeps,
    ms0 = board.millis;
  const wall = performance.now();
  await board.run(10_000);
  const wallMs = performance.now() - wall;
  // Timer0 wakes the idle loop every 1.024 ms.
  assert.ok(board.sleeps - sleeps > 9000, `slept ${board.sleeps - sleeps} times`);
  assert.ok(wallMs < 5000, `10 s simulated took ${wallMs.toFixed(0)} ms wall: not faster than real time`);
  let newlineAt = 0;
  board.serial.onByte((b) => {
    if (b === 10) newlineAt = board.millis;
  });
  send('ms\n');
  await waitFor('ms ', 50);
  await board.run(2);
  const reported = Number(/ms (\d+)\r\n$/.exec(output())![1]);
  // Compared with the board's clock when the reply's last byte went out, counted from the end of
  // the reset time-out (the firmware's own start): millis() truncates and advances in 1.024 ms
  // steps, and the reply takes ~1 ms to send; a lost tick would be >= 1 ms more.
  const sinceStart = newlineAt - board.startMillis;
  assert.ok(
    Math.abs(reported - sinceStart) < 2.5,
    `firmware ${reported} ms, board ${sinceStart.toFixed(2)} ms since start`,
  );
  assert.ok(reported > ms0 - board.startMillis + 10_000 - 3);
});

test('SLEEP with interrupts disabled halts the CPU and is reported with its PC', async () => {
  const { board, send, waitFor } = await bootTestFirmware('lcd-serial');
  const halts: number[] = [];
  board.on('halt', ({ pc }) => halts.push(pc));
  send('halt\n');
  await waitFor('halting\r\n');
  await board.run(5);
  assert.ok(board.halted, 'halted');
  assert.equal(halts.length, 1);
  assert.equal(board.cpu.progMem[halts[0] / 2], 0x9588, 'PC points at the SLEEP instruction');
  const c = board.cycles;
  await assert.rejects(
    board.runUntil(() => false, 10, 'never'),
    (e: Error) => e instanceof SimTimeoutError && /halted at PC/.test(e.message),
  );
  assert.equal(board.cycles, c + 10 * 16000, 'time still passes while halted');
  board.resetExternal();
  assert.equal(board.halted, null);
});

test('deep recursion is reported as a stack overflow with the PC', async () => {
  const { board, send } = await bootTestFirmware('lcd-serial');
  const faults: Error[] = [];
  board.on('fault', (e) => faults.push(e));
  send('recurse 500\n');
  const err = await board.run(100).then(
    () => null,
    (e: Error) => e,
  );
  assert.ok(err instanceof StackOverflowError, `expected a StackOverflowError, got ${err}`);
  assert.equal(faults[0], err);
  assert.ok(err.pc > 0 && err.pc < board.firmware.size, `PC 0x${err.pc.toString(16)} inside the program`);
  assert.ok(err.sp < board.stack.heapStart);
  assert.match(err.message, /stack overflow at PC 0x[0-9a-f]+/);
  await assert.rejects(board.run(1), StackOverflowError, 'a faulted board does not run on');
});

test('the stack high-water mark grows with recursion depth and headroom shrinks', async () => {
  const { board, send, waitFor } = await bootTestFirmware('lcd-serial');
  const before = board.stack;
  assert.ok(before.known && before.used > 0 && before.headroom > 0);
  assert.equal(before.used + before.headroom, 0x900 - before.heapStart);
  send('recurse 20\n');
  await waitFor('recurse ');
  const after = board.stack;
  assert.ok(after.used >= before.used + 20 * 16, `used ${before.used} -> ${after.used}`);
  assert.equal(after.used + after.headroom, before.used + before.headroom);
});

test('EEPROM contents persist in a file across board instances', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'pmlcd-ee-')), 'eeprom.bin');
  const first = await bootTestFirmware('lcd-serial', { eepromFile: file });
  first.send('eew 10 42\n');
  await first.waitFor('ok\r\n', 100);
  assert.ok(existsSync(file));
  assert.equal(readFileSync(file)[10], 42);
  assert.equal(readFileSync(file)[11], 0xff);

  const second = await bootTestFirmware('lcd-serial', { eepromFile: file });
  second.send('eer 10\n');
  await second.waitFor('ee 42\r\n', 100);
});

test('a watchdog reset restarts the firmware with WDRF set', async () => {
  const { board, send, waitFor } = await bootTestFirmware('lcd-serial');
  const causes: ResetCause[] = [];
  board.on('reset', (c) => causes.push(c));
  send('wdt\n');
  await waitFor('wdt on');
  send('hang\n');
  await waitFor('hanging');
  await waitFor(`READY lcd-serial mcusr=${MCUSR_WDRF.toString(16)}\r\n`, 300);
  assert.deepEqual(causes, ['watchdog']);
  assert.equal(board.resets.watchdog, 1);
  // The LCD keeps power: it still shows the text while the firmware re-initialises it.
  await board.run(200);
  assert.deepEqual(board.lcd.text(), ['lcd-serial      ', 'ready           ']);
  // After the reset the watchdog is off again: no second reset.
  await board.run(300);
  assert.equal(board.resets.watchdog, 1);
});

test('an external reset sets EXTRF; a power cycle resets the LCD too', async () => {
  const { board, send, waitFor } = await bootTestFirmware('lcd-serial');
  send('changed\n');
  await waitFor('echo changed');
  board.resetExternal();
  await waitFor(`mcusr=${MCUSR_EXTRF.toString(16)}\r\n`);
  board.powerCycle();
  assert.deepEqual(board.lcd.text(), [' '.repeat(16), ' '.repeat(16)], 'LCD blank after power-on');
  await waitFor(`mcusr=${MCUSR_PORF.toString(16)}\r\n`);
  assert.deepEqual(board.resets, { power: 2, external: 1, watchdog: 0 });
});

test('hold() pauses simulated time until released; an endless hold is a reported fault', async () => {
  const { board } = await bootTestFirmware('lcd-serial', { holdTimeoutSec: 0.3 });
  const release = board.hold('socket connect');
  const c = board.cycles;
  const run = board.run(2);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(board.cycles, c, 'no simulated time passed while held');
  release();
  await run;
  assert.equal(board.cycles, c + 2 * 16000);

  board.hold('stuck dns');
  await assert.rejects(board.run(1), (e: Error) => e instanceof HoldTimeoutError && /stuck dns/.test(e.message));
});

test('hold() from a clock event mid-slice stops the CPU after that instruction', async () => {
  const { board, send } = await bootTestFirmware('lcd-serial');
  send('crc 1000\n');
  await board.run(2);
  assert.equal(board.sleeping, false, 'busy in the CRC loop, not asleep');
  let release = () => {};
  let heldAt = 0;
  board.cpu.addClockEvent(() => {
    heldAt = board.cycles;
    release = board.hold('mid-slice');
  }, 5000);
  const run = board.run(3);
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(heldAt > 0, 'the clock event ran');
  assert.ok(board.cycles - heldAt <= 4, `ran ${board.cycles - heldAt} cycles past the hold`);
  release();
  await run;
});

test('a pin map that puts the LCD on the Ethernet shield is refused', async () => {
  const pinMap = parsePinMap(
    '#define PMLCD_PIN_LCD_RS 8\n#define PMLCD_PIN_LCD_E 9\n#define PMLCD_PIN_LCD_D4 4\n' +
      '#define PMLCD_PIN_LCD_D5 5\n#define PMLCD_PIN_LCD_D6 6\n#define PMLCD_PIN_LCD_D7 7',
  );
  const firmware = (await testFirmware('lcd-serial')).hex;
  assert.throws(() => new Board({ firmware, pinMap }), /LCD_D4 is D4, which collides with the SD card/);
});

test('free-running mode is paced to real time', async () => {
  const { board } = await bootTestFirmware('lcd-serial');
  const c = board.cycles;
  board.start(1);
  await new Promise((r) => setTimeout(r, 300));
  await board.stop();
  const simMs = (board.cycles - c) / 16000;
  assert.ok(simMs > 100 && simMs < 420, `300 ms wall ran ${simMs.toFixed(0)} ms simulated`);
});

test('a failed wait names what the LCD showed and keeps an image of it', async () => {
  const { board } = await bootTestFirmware('lcd-serial');
  const shown = board.lcd.text();
  const err = await board
    .runUntil(() => false, 5, 'never true')
    .then(
      () => null,
      (e: Error) => e,
    );
  assert.ok(err instanceof SimTimeoutError, String(err));
  assert.ok(err.message.includes(JSON.stringify(shown[0])), err.message);
  const image = /image (\S+\.svg)/.exec(err.message)?.[1];
  assert.ok(image && existsSync(image), err.message);
  assert.match(readFileSync(image, 'utf8'), /<svg[\s\S]*data-row="1" data-col="15"/);
  rmSync(image);
});
