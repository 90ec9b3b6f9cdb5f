// Boots firmwares on the simulated board for tests and benchmarks, one naming scheme:
//
//   productFirmware() / hostOnlyFirmware() / testFirmware(name)   the builds (cached per process)
//   bootHostMode()       product firmware in host mode, talked to over the serial binding as the bridge does
//   bootNetworkMode()    product firmware with a W5100 (or W5500) shield model, configured over serial, then `M net`
//   bootTestFirmware()   a test firmware from test/firmware/<name>/, serial output captured
//
// and the line helpers that go with them (reply, row, withChecksum, BANNER_RE).
// Host mode runs the LCD model in strict mode, so any timing violation drops the
// write and is recorded in board.lcd.violations.
import { lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { SerialPortStream } from '@serialport/stream';
import {
  BUILD_DIR,
  ROOT,
  buildFirmware,
  buildMainFirmware,
  buildTestFirmware,
  type BuildResult,
} from '../../scripts/avr-build.ts';
import { Board, type BoardOptions } from '../../simulator/src/board.ts';
import { SimSerialBinding } from '../../simulator/src/serial-binding.ts';
import { fitShield, type Shield, type ShieldName } from '../../simulator/src/shield.ts';
import type { Faults } from '../../simulator/src/netmap.ts';
import { firmwareVersion } from './firmware-source.ts';

// ---- builds ----------------------------------------------------------------

let product: Promise<BuildResult> | null = null;
/** The product firmware (build/pmlcd), host and network mode. */
export function productFirmware(): Promise<BuildResult> {
  product ??= buildMainFirmware(true);
  return product;
}

let hostOnly: Promise<BuildResult> | null = null;
/**
 * The product firmware without firmware/src/net/: netmode_stub.cpp's weak
 * definitions take its place, as in a build for a board that never gets a
 * shield. Built from a directory of links to firmware/src's other entries, so
 * the sources are the live ones and the build cache still works.
 */
export function hostOnlyFirmware(): Promise<BuildResult> {
  hostOnly ??= (async () => {
    const src = join(ROOT, 'firmware/src');
    const dir = join(BUILD_DIR, 'src-pmlcd-hostonly');
    mkdirSync(dir, { recursive: true });
    const wanted = readdirSync(src).filter((f) => f !== 'net');
    for (const f of readdirSync(dir)) {
      if (!wanted.includes(f)) rmSync(join(dir, f), { force: true });
    }
    for (const f of wanted) {
      const link = join(dir, f),
        target = join(src, f);
      if (lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink() && readlinkSync(link) === target) continue;
      rmSync(link, { force: true });
      try {
        symlinkSync(target, link);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; // another test process made it
      }
    }
    return buildFirmware({ name: 'pmlcd-hostonly', srcDir: dir, quiet: true });
  })();
  return hostOnly;
}

const tests = new Map<string, Promise<BuildResult>>();
/** A test firmware from test/firmware/<name>/ (it may compile in firmware sources given as extraSources). */
export function testFirmware(name: string, extraSources: string[] = []): Promise<BuildResult> {
  const key = [name, ...extraSources].join('\0');
  let p = tests.get(key);
  if (!p) {
    p = buildTestFirmware(name, extraSources);
    tests.set(key, p);
  }
  return p;
}

// ---- host mode -------------------------------------------------------------

export const SERIAL_PATH = '/dev/pmlcd-test';
/** Simulated ms a reply may take (a C SET writes EEPROM at 3.4 ms per changed byte). */
export const REPLY_MS = 1500;
const V = firmwareVersion();
/** The banner; groups: mode, reset cause, cfg status. */
export const BANNER_RE = new RegExp(
  `^PMLCD ${V.protocol} fw=${V.fw.replace(/\./g, '\\.')} lcd=\\d+x\\d+ mode=(\\w+) reset=(\\w+) cfg=(\\w+)`,
);

export interface HostModeBoard {
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
  /** Every row of the LCD as character codes. */
  codes(): number[][];
  close(): Promise<void>;
}

/** The LCD module and how it is attached (BoardOptions lcdGeometry and lcdBus). */
export type LcdParts = Pick<BoardOptions, 'lcdGeometry' | 'lcdBus'>;

export interface HostModeOptions extends LcdParts {
  /** .hex to run instead of the product firmware (e.g. hostOnlyFirmware()'s). */
  firmware?: string;
  /** EEPROM image to start with (1024 bytes); by default one holding the default settings. */
  eeprom?: Uint8Array;
}

let formatted: Uint8Array | null = null;
/** An EEPROM image holding the defaults, made by the firmware itself from a blank EEPROM. */
export async function defaultsEeprom(): Promise<Uint8Array> {
  if (!formatted) {
    const h = await bootHostMode({ eeprom: new Uint8Array(1024).fill(0xff) });
    formatted = h.board.eepromMemory.memory.slice();
    await h.close();
  }
  return formatted;
}

/** Opens the port (DTR resets the board) and waits for the banner. */
export async function bootHostMode(opts: HostModeOptions = {}): Promise<HostModeBoard> {
  const eeprom = opts.eeprom ?? (await defaultsEeprom());
  const board = new Board({
    firmware: opts.firmware ?? (await productFirmware()).hex,
    lcd: { strict: true },
    lcdGeometry: opts.lcdGeometry,
    lcdBus: opts.lcdBus,
  });
  board.eepromMemory.memory.set(eeprom);
  const binding = new SimSerialBinding();
  binding.attach(SERIAL_PATH, board);
  const port = new SerialPortStream({ binding, path: SERIAL_PATH, baudRate: 115200, autoOpen: false });
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
    await board.runUntil(
      () => {
        found = lines.slice(from).find((l) => re.test(l));
        return found !== undefined;
      },
      timeoutMs,
      `a line matching ${re}`,
    );
    return found!;
  };
  const command = async (line: string, timeoutMs = REPLY_MS) => {
    const from = lines.length;
    write(`${line}\n`);
    await waitLine(/^(OK|ERR)( |$)/, timeoutMs, from);
    return lines.slice(from);
  };
  const hb: HostModeBoard = {
    board,
    binding,
    port,
    lines,
    write,
    command,
    waitLine,
    codes: () => Array.from({ length: board.lcd.config.rows }, (_x, r) => board.lcd.codes(r)),
    close: () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
  };
  await waitLine(BANNER_RE, 3000, 0);
  return hb;
}

/** The reply line of a command() result (the last line). */
export function reply(lines: string[]): string {
  return lines[lines.length - 1];
}

/** A 16-character row as codes, for comparing with HostModeBoard.codes(). */
export function row(text: string): number[] {
  return [...text.padEnd(16, ' ')].map((c) => c.charCodeAt(0));
}

/** NMEA-style checksum suffix for a line. */
export function withChecksum(line: string): string {
  let x = 0;
  for (const c of Buffer.from(line, 'latin1')) x ^= c;
  return `${line}*${x.toString(16).toUpperCase().padStart(2, '0')}`;
}

// ---- network mode ----------------------------------------------------------

/** Where the board finds the PMWEBAPI server on its simulated LAN. */
export const SRV_IP = '192.168.7.2';
export const SRV_PORT = 44322;

export interface NetworkModeBoard {
  board: Board;
  chip: Shield;
  out: () => string;
  /** The LCD as text, glyphs as ①..⑧, rows joined by '|'. */
  lcd: () => string;
  /** Runs until pred() holds, checking every `stepMs` simulated ms, calling tick() first each step. */
  until: (pred: () => boolean, ms: number, what: string, tick?: () => void, stepMs?: number) => Promise<void>;
  /** Sends a protocol line; throws unless the reply is OK. */
  command: (line: string) => Promise<void>;
  dispose: () => void;
}

export interface NetworkModeOptions extends LcdParts {
  /** The Ethernet shield's chip (default w5100). */
  shield?: ShieldName;
  /** Loopback port the server at SRV_IP:SRV_PORT maps to. */
  port?: number;
  /** Settings sent with C SET before M net (over the defaults below). */
  settings?: Record<string, string>;
  faults?: Faults;
  /** false: no address mapping at all. */
  map?: boolean;
  /** No Ethernet shield on the board at all. */
  noChip?: boolean;
  /** Adjusts the chip (DHCP mode, link) before network mode starts. */
  setup?: (chip: Shield) => void;
  /** Wires another part to the board before it boots (e.g. a scripted SPI device in place of the W5100). */
  attach?: (board: Board) => void;
}

/** The product firmware with an Ethernet shield, switched to network mode over serial. */
export async function bootNetworkMode(opts: NetworkModeOptions = {}): Promise<NetworkModeBoard> {
  const fw = await productFirmware();
  const board = new Board({ firmware: fw.hex, lcdGeometry: opts.lcdGeometry, lcdBus: opts.lcdBus });
  opts.attach?.(board);
  const chip = opts.noChip ? (undefined as unknown as Shield) : fitShield(board, opts.shield ?? 'w5100');
  if (chip) opts.setup?.(chip);
  if (chip && opts.map !== false && opts.port) chip.map(SRV_IP, SRV_PORT, '127.0.0.1', opts.port, opts.faults);
  let out = '';
  board.serial.onByte((b) => {
    out += String.fromCharCode(b);
  });
  const lcd = () => board.lcd.text().join('|');
  const until = async (pred: () => boolean, ms: number, what: string, tick?: () => void, stepMs = 50) => {
    const end = board.millis + ms;
    while (!pred()) {
      if (board.millis >= end)
        throw new Error(`timed out after ${ms} simulated ms waiting for ${what}; LCD "${lcd()}"`);
      tick?.();
      await board.run(stepMs);
    }
  };
  const command = async (line: string) => {
    const from = out.length;
    board.serial.write(Buffer.from(`${line}\n`, 'latin1'));
    await until(() => /\n(OK|ERR)[^\n]*\n/.test(`\n${out.slice(from)}`), 1000, `reply to ${line}`);
    const reply = out.slice(from);
    if (!reply.includes('OK')) throw new Error(`${line}: ${reply}`);
  };
  await until(() => out.includes('PMLCD 1'), 3000, 'banner');
  const settings = {
    'srv.ip': SRV_IP,
    'srv.port': String(SRV_PORT),
    iface: 'eth0',
    'm.latinst': 'lo',
    poll: '2',
    ...opts.settings,
  };
  for (const [k, v] of Object.entries(settings)) await command(`C SET ${k} ${v}`);
  await command('M net');
  return { board, chip, out: () => out, lcd, until, command, dispose: () => chip?.dispose() };
}

/** A fake PMWEBAPI server whose sample clock follows the board's simulated time
 * (a frozen clock gives no rates): call the returned tick() between runs. */
export function followSimClock(
  fake: { state: { timestamp: { sec: number; nsec: number } } },
  board: { millis: number },
): () => void {
  let last = board.millis;
  return () => {
    const ms = Math.floor(board.millis - last);
    if (ms <= 0) return;
    last += ms;
    const ns = fake.state.timestamp.nsec + ms * 1e6;
    fake.state.timestamp = { sec: fake.state.timestamp.sec + Math.floor(ns / 1e9), nsec: ns % 1e9 };
  };
}

// ---- test firmwares --------------------------------------------------------

export interface TestFirmwareBoard {
  board: Board;
  /** Everything the firmware sent on serial so far. */
  output: () => string;
  send: (text: string) => void;
  /** Runs until `text` appears in the output after this call (it may straddle the call). */
  waitFor: (text: string, ms?: number) => Promise<void>;
}

export interface TestFirmwareOptions extends Partial<Omit<BoardOptions, 'firmware'>> {
  /** Firmware sources compiled in (see testFirmware). */
  extraSources?: string[];
  /** Output that says the firmware is up (default "READY"); null: do not wait. */
  ready?: string | null;
}

/** Boots test/firmware/<name>/ and waits for its ready line. */
export async function bootTestFirmware(name: string, opts: TestFirmwareOptions = {}): Promise<TestFirmwareBoard> {
  const { extraSources, ready = 'READY', ...boardOpts } = opts;
  const board = new Board({ firmware: (await testFirmware(name, extraSources)).hex, ...boardOpts });
  let out = '';
  board.serial.onByte((b) => {
    out += String.fromCharCode(b);
  });
  const waitFor = (text: string, ms = 500) => {
    const from = out.length;
    return board.runUntil(() => out.indexOf(text, Math.max(0, from - text.length)) >= 0, ms, `serial output "${text}"`);
  };
  if (ready !== null) await board.runUntil(() => out.includes(ready), 500, `${ready} banner`);
  return { board, output: () => out, send: (t) => board.serial.write(Buffer.from(t, 'latin1')), waitFor };
}
