// Runs the product firmware on a simulated board and talks to it through the
// serial binding, as the host bridge does. The LCD model is in strict mode, so
// any timing violation drops the write and is recorded in board.lcd.violations.
import { SerialPortStream } from '@serialport/stream';
import { buildMainFirmware } from '../../scripts/avr-build.ts';
import { Board } from '../../simulator/src/board.ts';
import { SimSerialBinding } from '../../simulator/src/serial-binding.ts';

export const PATH = '/dev/pmlcd-test';
/** Simulated ms a reply may take (a C SET writes EEPROM at 3.4 ms per changed byte). */
export const REPLY_MS = 1500;
export const BANNER_RE = /^PMLCD 1 fw=0\.1\.0 lcd=16x2 mode=(\w+) reset=(\w+) cfg=(\w+)/;

let hexPromise: Promise<string> | null = null;
export function firmwareHex(): Promise<string> {
  hexPromise ??= buildMainFirmware(true).then((r) => r.hex);
  return hexPromise;
}

export interface HostBoard {
  board: Board;
  binding: SimSerialBinding;
  port: SerialPortStream;
  /** Every complete line the board sent, in order (without the LF). */
  lines: string[];
  /** Writes raw bytes (no LF added). */
  write(bytes: string | Uint8Array | readonly number[]): void;
  /** Sends a line and resolves with the lines received up to and including its OK/ERR reply. */
  command(line: string, timeoutMs?: number): Promise<string[]>;
  /** Runs until a line matching re arrives (counting from line index `from`). */
  waitLine(re: RegExp, timeoutMs: number, from?: number): Promise<string>;
  /** The two rows as LCD character codes. */
  codes(): number[][];
  close(): Promise<void>;
}

export interface BootOptions {
  firmware?: string;
  /** EEPROM image to start with (1024 bytes); by default one holding the default settings. */
  eeprom?: Uint8Array;
}

// EEPROM layout (firmware/src/config.h): magic, layout, length, CRC, then Config.
export const EEPROM_LAYOUT_AT = 2;
export const EEPROM_CONFIG_AT = 7;

let formatted: Uint8Array | null = null;
/** An EEPROM image holding the defaults, made by the firmware itself from a blank EEPROM. */
export async function defaultsEeprom(): Promise<Uint8Array> {
  if (!formatted) {
    const h = await bootHost({ eeprom: new Uint8Array(1024).fill(0xff) });
    formatted = h.board.eepromMemory.memory.slice();
    await h.close();
  }
  return formatted;
}

/** Opens the port (DTR resets the board) and waits for the banner. */
export async function bootHost(opts: BootOptions = {}): Promise<HostBoard> {
  const eeprom = opts.eeprom ?? await defaultsEeprom();
  const board = new Board({ firmware: opts.firmware ?? await firmwareHex(), lcd: { strict: true } });
  board.eepromMemory.memory.set(eeprom);
  const binding = new SimSerialBinding();
  binding.attach(PATH, board);
  const port = new SerialPortStream({ binding, path: PATH, baudRate: 115200, autoOpen: false });
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
  const write = (bytes: string | Uint8Array | readonly number[]) => {
    port.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes as Uint8Array));
  };
  const waitLine = async (re: RegExp, timeoutMs: number, from = lines.length) => {
    let found: string | undefined;
    await board.runUntil(() => (found = lines.slice(from).find((l) => re.test(l))) !== undefined, timeoutMs, `a line matching ${re}`);
    return found!;
  };
  const command = async (line: string, timeoutMs = REPLY_MS) => {
    const from = lines.length;
    write(line + '\n');
    await waitLine(/^(OK|ERR)( |$)/, timeoutMs, from);
    return lines.slice(from);
  };
  const hb: HostBoard = {
    board, binding, port, lines, write, command, waitLine,
    codes: () => [board.lcd.codes(0), board.lcd.codes(1)],
    close: () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
  };
  await waitLine(BANNER_RE, 3000, 0);
  return hb;
}

/** The reply line of a command() result (the last line). */
export function reply(lines: string[]): string {
  return lines[lines.length - 1];
}

/** A 16-character row as codes, for comparing with HostBoard.codes(). */
export function row(text: string): number[] {
  return [...text.padEnd(16, ' ')].map((c) => c.charCodeAt(0));
}

/** NMEA-style checksum suffix for a line. */
export function withChecksum(line: string): string {
  let x = 0;
  for (const c of Buffer.from(line, 'latin1')) x ^= c;
  return `${line}*${x.toString(16).toUpperCase().padStart(2, '0')}`;
}
