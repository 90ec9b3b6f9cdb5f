// What the web page shows of a simulated board, as plain JSON-ready objects:
// the LCD (codes, glyph bitmaps from lcd-render's glyphFor, backlight,
// cursor, geometry from the model), the serial console in both directions
// (assembled into lines, the last CONSOLE_LINES kept), and in network mode
// the WIZnet chip's sockets, addresses, DHCP server and fault injection. The
// server (server.ts) turns changes into Server-Sent Events; this file owns
// no HTTP.
import type { Board } from '../board.ts';
import type { DhcpServer } from '../dhcp-server.ts';
import { glyphFor, renderDefaults } from '../lcd-render.ts';
import { formatIp, type Faults, type NetMap } from '../netmap.ts';
import { SR, Sn_MR_IPRAW, Sn_MR_MACRAW, Sn_MR_TCP, Sn_MR_UDP, type SocketStats } from '../wiznet-chip.ts';

/** Console lines kept for a page that connects later (older ones are dropped). */
export const CONSOLE_LINES = 400;
/** A console line longer than this is cut into pieces (binary output, LCDproc mode). */
const MAX_LINE = 200;
/** A partial line is shown after this long without more bytes (wall-clock ms). */
const PARTIAL_FLUSH_MS = 250;

/** The parts of a WIZnet chip model (W5100 and its kin) the page reads and the controls change. */
export interface NetChip {
  readonly name: string;
  readonly socketCount: number;
  link: boolean;
  readonly net: NetMap;
  readonly dhcp: DhcpServer;
  readonly stats: readonly SocketStats[];
  protocol(n: number): number;
  status(n: number): number;
  sourcePort(n: number): number;
  destIp(n: number): number;
  destPort(n: number): number;
  sourceIp(): number;
  subnetMask(): number;
  gatewayIp(): number;
}

export interface LcdState {
  columns: number;
  rows: number;
  displayOn: boolean;
  backlight: boolean;
  cursor: { row: number; col: number } | null;
  cursorOn: boolean;
  blinkOn: boolean;
  /** Blink half-period of the cursor block at the controller's oscillator, in ms. */
  blinkMs: number;
  /** Visible character codes per row (after display shift). */
  codes: number[][];
  /** The same as Unicode text (CGRAM glyphs as circled digits), blank rows while the display is off. */
  text: string[];
  /** code -> 8 row bytes (bit 4 = leftmost dot) for every code on the glass. */
  glyphs: Record<string, number[]>;
  colors: { backlit: typeof renderDefaults.backlit; unlit: typeof renderDefaults.unlit };
}

export type ConsoleDir = 'to-board' | 'from-board' | 'sim';
export interface ConsoleLine {
  seq: number;
  dir: ConsoleDir;
  text: string;
  simMs: number;
}

export interface SocketView {
  n: number;
  protocol: string;
  status: string;
  localPort: number;
  remote: string;
  bytesIn: number;
  bytesOut: number;
  connects: number;
  udpDropped: number;
  commands: Record<string, number>;
}

export interface NetState {
  chip: string;
  link: boolean;
  ip: string;
  mask: string;
  gateway: string;
  dhcp: { mode: string; stats: Record<string, number>; leases: { mac: string; ip: string }[] };
  faults: string;
  sockets: SocketView[];
}

export interface BoardStatus {
  simMs: number;
  resets: Record<string, number>;
  halted: boolean;
  fault: string | null;
}

const SR_NAMES = new Map<number, string>(Object.entries(SR).map(([k, v]) => [v, k]));
const PROTOCOLS: Record<number, string> = {
  [Sn_MR_TCP]: 'TCP',
  [Sn_MR_UDP]: 'UDP',
  [Sn_MR_IPRAW]: 'IPRAW',
  [Sn_MR_MACRAW]: 'MACRAW',
};
const BLINK_MS_AT_250K = 409.6;

/** Control characters (C0, DEL, C1) as \xHH: serial bytes are the firmware's to choose. */
export function escapeControl(s: string): string {
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function lcdState(board: Board): LcdState {
  const lcd = board.lcd;
  const { columns, rows, oscHz } = lcd.config;
  const codes: number[][] = [];
  const glyphs: Record<string, number[]> = {};
  for (let r = 0; r < rows; r++) {
    const row = lcd.codes(r);
    codes.push(row);
    for (const c of row) glyphs[c] ??= glyphFor(lcd, c);
  }
  return {
    columns,
    rows,
    displayOn: lcd.displayOn,
    backlight: lcd.backlight,
    cursor: lcd.displayOn && (lcd.cursorOn || lcd.blinkOn) ? lcd.cursorCell() : null,
    cursorOn: lcd.cursorOn,
    blinkOn: lcd.blinkOn,
    blinkMs: BLINK_MS_AT_250K * (250_000 / oscHz),
    codes,
    text: lcd.text(),
    glyphs,
    colors: { backlit: renderDefaults.backlit, unlit: renderDefaults.unlit },
  };
}

/** Fault injection in words, as the page shows it. */
export function describeFaults(f: Faults): string {
  const parts: string[] = [];
  if (f.refuse) parts.push('connections refused');
  if (f.timeout) parts.push('connections dropped (no answer)');
  if (f.dripBytesPerMs !== undefined) parts.push(`replies delayed (${f.dripBytesPerMs} B/ms)`);
  if (f.closeAfter !== undefined) parts.push(`replies truncated after ${f.closeAfter} B`);
  if (f.resetAfter !== undefined) parts.push(`connections reset after ${f.resetAfter} B`);
  return parts.length ? parts.join(', ') : 'none';
}

export function netState(chip: NetChip): NetState {
  const sockets: SocketView[] = [];
  for (let n = 0; n < chip.socketCount; n++) {
    const s = chip.stats[n]!;
    const status = chip.status(n);
    const remote = chip.destIp(n) ? `${formatIp(chip.destIp(n))}:${chip.destPort(n)}` : '';
    sockets.push({
      n,
      protocol: PROTOCOLS[chip.protocol(n)] ?? (chip.protocol(n) ? `0x${chip.protocol(n).toString(16)}` : '-'),
      status: SR_NAMES.get(status) ?? `0x${status.toString(16).padStart(2, '0')}`,
      localPort: chip.sourcePort(n),
      remote,
      bytesIn: s.bytesIn,
      bytesOut: s.bytesOut,
      connects: s.connects,
      udpDropped: s.udpDropped,
      commands: { ...s.commands },
    });
  }
  return {
    chip: chip.name,
    link: chip.link,
    ip: formatIp(chip.sourceIp()),
    mask: formatIp(chip.subnetMask()),
    gateway: formatIp(chip.gatewayIp()),
    dhcp: {
      mode: chip.dhcp.mode,
      stats: { ...chip.dhcp.stats },
      leases: [...chip.dhcp.leases].map(([mac, ip]) => ({ mac, ip: formatIp(ip) })),
    },
    faults: describeFaults(chip.net.faults),
    sockets,
  };
}

/**
 * The serial console: bytes from the board (USART TX) and to it (every
 * board.serial.write, whoever the host is), cut into lines per direction.
 */
export class SerialConsole {
  readonly lines: ConsoleLine[] = [];
  private seq = 0;
  private readonly partial: Record<'to-board' | 'from-board', string> = { 'to-board': '', 'from-board': '' };
  private timer: NodeJS.Timeout | null = null;
  private readonly undo: (() => void)[] = [];

  constructor(
    private readonly board: Board,
    private readonly onLines: (lines: ConsoleLine[]) => void,
  ) {
    this.undo.push(board.serial.onByte((b) => this.byte('from-board', b)));
    // UsartWire tells listeners about the board's bytes only; the host's go through write().
    const serial = board.serial;
    const write = serial.write;
    serial.write = (bytes) => {
      for (const b of bytes) this.byte('to-board', b);
      write.call(serial, bytes);
    };
    this.undo.push(() => {
      serial.write = write;
    });
    const onReset = (cause: string) => this.note(`reset (${cause})`);
    board.on('reset', onReset);
    this.undo.push(() => board.off('reset', onReset));
  }

  /** A line from the simulator itself (resets, controls used). */
  note(text: string): void {
    this.flush();
    this.emit([this.line('sim', text)]);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const u of this.undo.splice(0)) u();
  }

  private byte(dir: 'to-board' | 'from-board', b: number): void {
    if (b === 0x0d) return; // CR LF line ends: the LF ends the line
    if (b === 0x0a) {
      const text = this.partial[dir];
      this.partial[dir] = '';
      this.emit([this.line(dir, text)]);
      return;
    }
    this.partial[dir] += String.fromCharCode(b);
    if (this.partial[dir].length >= MAX_LINE) {
      const text = this.partial[dir];
      this.partial[dir] = '';
      this.emit([this.line(dir, text)]);
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flush();
    }, PARTIAL_FLUSH_MS);
    this.timer.unref?.();
  }

  private flush(): void {
    const out: ConsoleLine[] = [];
    for (const dir of ['from-board', 'to-board'] as const) {
      if (this.partial[dir]) out.push(this.line(dir, this.partial[dir]));
      this.partial[dir] = '';
    }
    if (out.length) this.emit(out);
  }

  private line(dir: ConsoleDir, raw: string): ConsoleLine {
    return { seq: ++this.seq, dir, text: escapeControl(raw), simMs: Math.round(this.board.millis) };
  }

  private emit(lines: ConsoleLine[]): void {
    this.lines.push(...lines);
    if (this.lines.length > CONSOLE_LINES) this.lines.splice(0, this.lines.length - CONSOLE_LINES);
    this.onLines(lines);
  }
}

export function boardStatus(board: Board): BoardStatus {
  return {
    simMs: Math.round(board.millis),
    resets: { ...board.resets },
    halted: board.halted !== null,
    fault: board.fault ? escapeControl(board.fault.message) : null,
  };
}
