// Shared set-up for the simulator tests: the lcd-serial test firmware on a Board
// with its serial output captured.
import { buildTestFirmware } from '../../scripts/avr-build.ts';
import { Board, type BoardOptions } from '../../simulator/src/board.ts';

export async function lcdSerialHex(): Promise<string> {
  return (await buildTestFirmware('lcd-serial')).hex;
}

export interface TestBoard { board: Board; output: () => string; send: (text: string) => void; waitFor: (text: string, ms?: number) => Promise<void> }

export async function bootLcdSerial(opts: Partial<BoardOptions> = {}): Promise<TestBoard> {
  const board = new Board({ firmware: await lcdSerialHex(), ...opts });
  let out = '';
  board.serial.onByte((b) => { out += String.fromCharCode(b); });
  const waitFor = (text: string, ms = 500) => {
    const from = out.length;
    return board.runUntil(() => out.indexOf(text, Math.max(0, from - text.length)) >= 0, ms, `serial output "${text}"`);
  };
  await board.runUntil(() => out.includes('READY'), 500, 'READY banner');
  return { board, output: () => out, send: (t) => board.serial.write(Buffer.from(t, 'latin1')), waitFor };
}
