// The firmware's own USART driver (firmware/src/uart.cpp): bytes that arrive
// while the main loop is busy wait in the 64-byte receive ring the protocol
// promises, and nothing of a full-length line is lost.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { bootHostMode, reply, type HostModeBoard } from '../support/boot.ts';

let h: HostModeBoard;
before(async () => {
  h = await bootHostMode();
});
after(async () => {
  assert.deepEqual(h.board.lcd.violations, [], 'no LCD timing violations');
  await h.close();
});

test('a 64-byte line sent during a long EEPROM save is received whole', async () => {
  // C RESET then rewrites these 31 bytes at 3.4 ms each: ~100 ms without reading
  // serial, while the next line takes 64 x 87 us = 5.6 ms to arrive.
  assert.equal(reply(await h.command(`C SET srv.hostspec ${'h'.repeat(31)}`)), 'OK');
  // 63 bytes before the LF: 15 cells, 14 of them as 4-byte escapes, so a single
  // lost byte breaks an escape or the count.
  const text = `${'\\x41'.repeat(14)}B`;
  const line = `T 0 0 ${text}`;
  assert.equal(line.length + 1, 64);
  const from = h.lines.length;
  h.write(`C RESET\n${line}\n`);
  const replies = () => h.lines.slice(from).filter((l) => /^(OK|ERR)/.test(l)).length;
  await h.board.runUntil(() => replies() >= 2, 3000, 'both replies');
  assert.deepEqual(h.lines.slice(from), ['OK', 'OK']);
  assert.equal(String.fromCharCode(...h.codes()[0].slice(0, 15)), `${'A'.repeat(14)}B`);
  assert.equal(reply(await h.command('C GET srv.hostspec')), 'OK srv.hostspec=localhost');
});
