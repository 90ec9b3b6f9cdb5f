import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SerialPortStream } from '@serialport/stream';
import { MCUSR_EXTRF, MCUSR_PORF } from '../../simulator/src/board.ts';
import { SimSerialBinding } from '../../simulator/src/serial-binding.ts';
import { bootTestFirmware } from '../support/boot.ts';

const PATH = '/dev/pmlcd-sim0';

async function setup() {
  const tb = await bootTestFirmware('lcd-serial');
  const binding = new SimSerialBinding();
  binding.attach(PATH, tb.board);
  return { ...tb, binding };
}

function openStream(binding: SimSerialBinding, opts: { hupcl?: boolean } = {}) {
  const port = new SerialPortStream({ binding, path: PATH, baudRate: 115200, autoOpen: false, ...opts });
  let text = '';
  port.on('data', (d: Buffer) => {
    text += d.toString('latin1');
  });
  const opened = new Promise<Error | null>((resolve) => port.open((err) => resolve(err)));
  return { port, opened, text: () => text };
}

const writeAll = (port: SerialPortStream, s: string) =>
  new Promise<void>((resolve, reject) => port.write(Buffer.from(s, 'latin1'), (e) => (e ? reject(e) : resolve())));

test('opening the port resets the board (DTR) and host code sees the banner and echo', async () => {
  const { board, binding } = await setup();
  assert.deepEqual(
    (await binding.list()).map((p) => p.path),
    [PATH],
  );
  const s = openStream(binding);
  assert.equal(await s.opened, null);
  assert.equal(board.resets.external, 1, 'DTR auto-reset on open');
  await board.runUntil(() => s.text().includes('\r\n'), 500, 'banner');
  assert.equal(s.text(), `READY lcd-serial mcusr=${MCUSR_EXTRF.toString(16)}\r\n`);
  await writeAll(s.port, 'via serialport\n');
  await board.runUntil(() => s.text().includes('echo via serialport\r\n'), 100, 'echo');
  await new Promise<void>((r) => s.port.close(() => r()));
});

test('host bytes arrive one at a time at the baud rate: 100 bytes take ~8.5 ms', async () => {
  const { board, binding } = await setup();
  const s = openStream(binding);
  await s.opened;
  await board.runUntil(() => s.text().includes('READY'), 500, 'banner');
  await board.run(5);
  const delivered = board.serial.stats.delivered,
    c0 = board.cycles;
  const line = `${'x'.repeat(99)}\n`;
  await writeAll(s.port, line);
  await board.runUntil(() => s.text().includes(`echo ${'x'.repeat(99)}\r\n`), 100, 'echo of 100 bytes');
  assert.equal(board.serial.stats.delivered - delivered, 100, 'no byte lost');
  // Serial.begin(115200) really runs at 16 MHz / (8 * 17) = 117647 baud: 10 bits per byte.
  const ms = (board.serial.stats.lastRxCycle - c0) / 16000;
  const expected = (100 * 10 * 1000) / 117647;
  assert.ok(Math.abs(ms - expected) < 0.1, `100 bytes took ${ms.toFixed(3)} ms, expected ${expected.toFixed(3)}`);
  assert.equal(board.serial.baudMismatch, null, '115200 vs 117647 is within tolerance');
  await new Promise<void>((r) => s.port.close(() => r()));
});

test('bytes sent before the firmware enables its receiver are lost, like on a real Uno', async () => {
  const { board, binding } = await setup();
  const s = openStream(binding);
  await s.opened;
  await writeAll(s.port, 'early\n');
  await board.runUntil(() => s.text().includes('READY'), 500, 'banner');
  await board.run(10);
  assert.ok(board.serial.stats.dropped >= 1);
  assert.doesNotMatch(s.text(), /echo early/);
  await new Promise<void>((r) => s.port.close(() => r()));
});

test('a baud mismatch still delivers bytes but is recorded and warned about', async () => {
  const { board, binding } = await setup();
  const warnings: string[] = [];
  board.on('warning', (w) => warnings.push(w));
  const port = new SerialPortStream({ binding, path: PATH, baudRate: 9600, autoOpen: false });
  let text = '';
  port.on('data', (d: Buffer) => {
    text += d.toString('latin1');
  });
  await new Promise<void>((r, j) => port.open((e) => (e ? j(e) : r())));
  await board.runUntil(() => text.includes('READY'), 500, 'banner');
  assert.deepEqual(board.serial.baudMismatch, { host: 9600, firmware: 117647 });
  assert.match(warnings.join('\n'), /baud mismatch: host 9600, firmware 117647/);
  await new Promise<void>((r) => port.close(() => r()));
});

test('unplug fails the open port as disconnected; opens fail until replug; the board keeps running', async () => {
  const { board, binding } = await setup();
  const s = openStream(binding);
  await s.opened;
  await board.runUntil(() => s.text().includes('READY'), 500, 'banner');
  const closed = new Promise<{ disconnected?: boolean } | null>((r) =>
    s.port.on('close', (e: { disconnected?: boolean } | null) => r(e)),
  );
  binding.unplug(PATH);
  const err = await closed;
  assert.equal(err?.disconnected, true);
  assert.deepEqual(await binding.list(), []);

  const c = board.cycles;
  board.serial.write(Buffer.from('alone\n'));
  await board.run(20);
  assert.ok(board.cycles > c, 'still running');
  assert.ok(board.serial.stats.sent > 0);

  const again = openStream(binding);
  assert.match(String(await again.opened), /No such device/);

  binding.replug(PATH);
  const third = openStream(binding);
  assert.equal(await third.opened, null);
  await board.runUntil(() => third.text().includes('READY'), 500, 'banner after replug');
  assert.equal(board.resets.external, 2);
  await new Promise<void>((r) => third.port.close(() => r()));
});

test('closing rejects a pending read as canceled; hupcl:false keeps DTR so reopening does not reset', async () => {
  const { board, binding } = await setup();
  const s = openStream(binding, { hupcl: false });
  await s.opened;
  await board.runUntil(() => s.text().includes('READY'), 500, 'banner');
  await new Promise<void>((r) => s.port.close(() => r()));
  assert.equal(board.resets.external, 1);

  const raw = await binding.open({ path: PATH, baudRate: 115200 });
  assert.equal(board.resets.external, 1, 'DTR was still asserted');
  const pending = raw.read(Buffer.alloc(8), 0, 8);
  await raw.close();
  await assert.rejects(pending, (e: { canceled?: boolean }) => e.canceled === true);
  assert.equal(board.resets.power, 1);
  assert.notEqual(MCUSR_PORF, 0);
});
