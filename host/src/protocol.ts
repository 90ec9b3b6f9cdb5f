// Host side of serial protocol v1 (docs/protocol.md): line framing, the banner /
// `V` probe handshake, and strictly one command outstanding so the board's
// 64-byte receive buffer can never overflow. Transport-agnostic: bytes come in
// through feed() and go out through the write callback.
import { EventEmitter } from 'node:events';

export const PROTOCOL_VERSION = 1;
/** Longest command line the board accepts, LF included. */
export const MAX_LINE = 64;

export interface Banner {
  version: number;
  fields: Record<string, string>;
  raw: string;
}

export class BoardError extends Error {
  constructor(
    readonly code: string,
    readonly reason: string,
    readonly command: string,
  ) {
    super(`board refused "${command}": ${code} ${reason}`);
  }
}
export class ReplyTimeoutError extends Error {}
export class BoardResetError extends Error {}
export class LinkClosedError extends Error {}
/** A command the board must never see (it would be split or refused there). */
export class CommandError extends Error {}

/** Why a command cannot be sent as one protocol line, or null: only bytes 0x20-0x7E may go out before the LF. */
export function commandProblem(command: string): string | null {
  const bad = /[^\x20-\x7e]/.exec(command);
  if (!bad) return null;
  const c = bad[0].charCodeAt(0);
  const what = c < 0x20 || (c >= 0x7f && c <= 0x9f) ? 'a control character' : 'a non-ASCII character';
  return `contains ${what} (0x${c.toString(16).toUpperCase().padStart(2, '0')} at position ${bad.index})`;
}

export interface Reply {
  /** Text after "OK " (empty for a bare OK). */
  data: string;
  /** CFG lines that came before the OK (C LIST). */
  cfg: string[];
}

interface Pending {
  command: string;
  cfg: string[];
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export function parseBanner(text: string): Banner | null {
  const m = /^PMLCD (\d+)((?: \S+)*)\s*$/.exec(text);
  if (!m) return null;
  // No prototype: a key such as __proto__ or constructor from the wire is just a key.
  const fields: Record<string, string> = Object.create(null);
  for (const kv of m[2].trim().split(' ')) {
    const i = kv.indexOf('=');
    if (i > 0) fields[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return { version: Number(m[1]), fields, raw: text };
}

/** Events: 'line' (every line received), 'banner' (Banner) after a board (re)start, 'info' (text of a `# ` line), 'noise' (unexpected line). */
export class ProtocolClient extends EventEmitter {
  private rx = '';
  private pending: Pending | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private bannerWaiter: ((b: Banner | null) => void) | null = null;

  constructor(
    private readonly write: (data: string) => void,
    private readonly replyTimeoutMs = 1000,
  ) {
    super();
  }

  feed(chunk: Buffer | string): void {
    this.rx += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    for (let nl = this.rx.indexOf('\n'); nl >= 0; nl = this.rx.indexOf('\n')) {
      const line = this.rx.slice(0, nl).replace(/\r$/, '');
      this.rx = this.rx.slice(nl + 1);
      this.onLine(line);
    }
    // A board that babbles without newlines must not grow memory without bound.
    if (this.rx.length > 4 * MAX_LINE) this.rx = '';
  }

  /** Waits for the banner; if none comes, probes with V. Checks the protocol version. */
  async handshake(bannerTimeoutMs = 3000): Promise<Banner> {
    let banner = await this.waitBanner(bannerTimeoutMs);
    if (!banner) {
      const r = await this.send('V');
      banner = parseBanner(r.data);
      if (!banner) throw new Error(`probe reply is not a PMLCD banner: "${r.data}"`);
    }
    if (banner.version !== PROTOCOL_VERSION) {
      throw new Error(`board speaks protocol ${banner.version}, this bridge speaks ${PROTOCOL_VERSION}`);
    }
    return banner;
  }

  waitBanner(timeoutMs: number): Promise<Banner | null> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.bannerWaiter = null;
        resolve(null);
      }, timeoutMs);
      this.bannerWaiter = (b) => {
        clearTimeout(t);
        this.bannerWaiter = null;
        resolve(b);
      };
    });
  }

  /** Sends one command and resolves with its OK; commands are serialised. */
  send(command: string): Promise<Reply> {
    const run = () => this.sendNow(command);
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Fails the outstanding command (the link went away). */
  close(): void {
    this.closed = true;
    this.failPending(new LinkClosedError('serial link closed'));
    this.bannerWaiter?.(null);
  }

  private sendNow(command: string): Promise<Reply> {
    if (this.closed) return Promise.reject(new LinkClosedError('serial link closed'));
    // A LF inside a value would end the line early and start a second command.
    const problem = commandProblem(command);
    if (problem) return Promise.reject(new CommandError(`command refused: ${problem}`));
    const line = `${command}\n`;
    if (Buffer.byteLength(line, 'latin1') > MAX_LINE) {
      return Promise.reject(new RangeError(`command longer than ${MAX_LINE} bytes: ${command}`));
    }
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = null;
        reject(new ReplyTimeoutError(`no reply to "${command}" within ${this.replyTimeoutMs} ms`));
      }, this.replyTimeoutMs);
      this.pending = { command, cfg: [], resolve, reject, timer };
      try {
        this.write(line);
      } catch (e) {
        this.failPending(e as Error);
      }
    });
  }

  private failPending(e: Error): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    clearTimeout(p.timer);
    p.reject(e);
  }

  private onLine(line: string): void {
    this.emit('line', line);
    if (line.startsWith('PMLCD ')) {
      const b = parseBanner(line);
      if (!b) return void this.emit('noise', line);
      // A banner while a command waits means the board restarted: that reply will never come.
      this.failPending(new BoardResetError('board reset while a command was outstanding'));
      if (this.bannerWaiter) this.bannerWaiter(b);
      this.emit('banner', b);
      return;
    }
    if (line.startsWith('# ')) return void this.emit('info', line.slice(2));
    const p = this.pending;
    if (!p) return void this.emit('noise', line);
    if (line.startsWith('CFG ')) {
      p.cfg.push(line.slice(4));
      return;
    }
    if (line === 'OK' || line.startsWith('OK ')) {
      this.pending = null;
      clearTimeout(p.timer);
      p.resolve({ data: line.slice(3), cfg: p.cfg });
      return;
    }
    if (line.startsWith('ERR ')) {
      const m = /^ERR (\S+) ?(.*)$/.exec(line);
      this.pending = null;
      clearTimeout(p.timer);
      p.reject(new BoardError(m?.[1] ?? 'ERR', m?.[2] ?? '', p.command));
      return;
    }
    this.emit('noise', line);
  }
}

/**
 * Escapes LCD text for F and T commands; glyph codes 0-7 become \0..\7, the full block
 * 0xFF \xFF. Anything else outside printable ASCII is not a character the A00 ROM can
 * show as meant: it goes out as the placeholder `?` (docs/screens.md), one per code point.
 */
export function escapeText(text: string, inFrame: boolean): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c <= 7) out += `\\${c}`;
    else if (ch === '\\') out += '\\\\';
    else if (ch === '|' && inFrame) out += '\\|';
    else if (c >= 0x20 && c <= 0x7e) out += ch;
    else if (c === 0xff) out += '\\xFF';
    else out += '?';
  }
  return out;
}

/**
 * The commands that draw a full screen of 2 to 4 rows (docs/protocol.md): one atomic F
 * if it fits in a line; else F with each row's trailing spaces left off (F pads every
 * row with spaces) if that fits; else one T per row (a 20x4 frame full of bars or
 * escapes seldom fits 64 bytes).
 */
export function frameCommands(lines: readonly string[]): string[] {
  if (lines.length < 2 || lines.length > 4) throw new RangeError(`a frame has 2 to 4 rows, not ${lines.length}`);
  const f = `F ${lines.map((l) => escapeText(l, true)).join('|')}`;
  if (f.length + 1 <= MAX_LINE) return [f];
  const trimmed = `F ${lines.map((l) => escapeText(l.replace(/ +$/, ''), true)).join('|')}`;
  if (trimmed.length + 1 <= MAX_LINE) return [trimmed];
  return lines.flatMap((l, r) => rowCommands(r, l));
}

/** One row as T commands: one if it fits a line, else several, each starting where the last one ended. */
function rowCommands(row: number, text: string): string[] {
  const out: string[] = [];
  const cells = [...text];
  let col = 0;
  while (col < cells.length || (col === 0 && out.length === 0)) {
    const prefix = `T ${row} ${col} `;
    let body = '';
    let end = col;
    while (end < cells.length) {
      const e = escapeText(cells[end], false);
      if (prefix.length + body.length + e.length + 1 > MAX_LINE) break;
      body += e;
      end++;
    }
    out.push(prefix + body);
    if (end === col) break; // nothing fits after the prefix: cannot happen with 4-byte escapes and 64-byte lines
    col = end;
  }
  return out;
}

/** Eight rows of 5 pixels as the 16 hex digits of a G command. */
export function glyphCommand(n: number, rows: readonly number[]): string {
  if (rows.length !== 8) throw new RangeError('a glyph has 8 rows');
  return `G ${n} ${rows.map((r) => (r & 0x1f).toString(16).toUpperCase().padStart(2, '0')).join('')}`;
}
