// A scripted stand-in for the board's host-mode firmware, speaking serial protocol
// v1 exactly as docs/protocol.md describes it, behind a serialport
// BindingInterface so the bridge uses its real code path. Fault knobs: no
// banner, silence, forced ERR replies, unplug/replug, reset mid-stream.
import type { BindingInterface, BindingPortInterface, OpenOptions, PortInfo, PortStatus } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' };

export interface FakeBoardOptions {
  path?: string;
  /** Send the banner on open (auto-reset). false: a board with auto-reset disabled. */
  banner?: boolean;
  bannerDelayMs?: number;
  /** Protocol version the board claims. */
  version?: number;
  /** Never answer anything (a board that is not running pmlcd firmware). */
  mute?: boolean;
  /** Commands matching this are answered with ERR VAL. */
  errFor?: RegExp;
  /** Delay before each reply. */
  replyDelayMs?: number;
}

const DEFAULT_SETTINGS: [string, string][] = [['mode', 'host'], ['iface', 'ppp0'], ['poll', '2'], ['units', 'bits']];

class Cancel extends Error {
  canceled = true;
}

export class FakeBoard {
  readonly path: string;
  readonly received: string[] = [];
  lcd: number[][] = [blankRow(), blankRow()];
  glyphsDefined = 0;
  backlight = 1;
  settings = new Map(DEFAULT_SETTINGS);
  plugged = true;
  opens = 0;
  private port: FakePort | null = null;

  constructor(readonly opts: FakeBoardOptions = {}) {
    this.path = opts.path ?? '/dev/ttyFAKE0';
  }

  /** The LCD as text; glyph n is the character with code n, 0xFF the full block. */
  text(): [string, string] {
    return [String.fromCharCode(...this.lcd[0]), String.fromCharCode(...this.lcd[1])];
  }

  binding(): BindingInterface {
    return {
      list: async (): Promise<PortInfo[]> => (this.plugged
        ? [{ path: this.path, vendorId: '2341', productId: '0043', manufacturer: 'Arduino', serialNumber: 'FAKE', pnpId: undefined, locationId: undefined }]
        : []),
      open: async (o: OpenOptions) => {
        if (!this.plugged || o.path !== this.path) throw new Error(`Error: No such file or directory, cannot open ${o.path}`);
        this.opens++;
        this.port = new FakePort(this, o);
        this.boot('power');
        return this.port;
      },
    };
  }

  unplug(): void {
    this.plugged = false;
    this.port?.fail(new Error('device disconnected (EIO)'));
    this.port = null;
  }

  replug(): void {
    this.plugged = true;
  }

  /** The board restarts on its own (watchdog): clears the LCD, sends a new banner. */
  resetBoard(): void {
    this.boot('watchdog');
  }

  private boot(reason: string): void {
    this.lcd = [blankRow(), blankRow()];
    this.glyphsDefined = 0;
    if (this.opts.banner === false || this.opts.mute) return;
    const port = this.port;
    setTimeout(() => port?.push(`${this.bannerText()} reset=${reason} cfg=ok\r\n`), this.opts.bannerDelayMs ?? 5);
  }

  private bannerText(): string {
    return `PMLCD ${this.opts.version ?? 1} fw=0.1.0 lcd=16x2 mode=host`;
  }

  /** One complete line from the host; returns the reply lines. */
  handle(raw: string): string[] {
    if (this.opts.mute) return [];
    this.received.push(raw);
    if (raw.length + 1 > 64) return ['ERR LINE line too long'];
    if (/[^\x20-\x7e]/.test(raw)) return ['ERR CHAR non-ASCII byte'];
    let line = raw;
    const cs = /^(.*)\*([0-9A-Fa-f]{2})$/.exec(raw);
    if (cs) {
      let x = 0;
      for (const c of cs[1]) x ^= c.charCodeAt(0);
      if (x !== parseInt(cs[2], 16)) return ['ERR CSUM bad checksum'];
      line = cs[1];
    }
    if (this.opts.errFor?.test(line)) return ['ERR VAL forced by test'];
    const [cmd, ...rest] = line.split(' ');
    const args = rest.join(' ');
    switch (cmd) {
      case 'V': return [`OK ${this.bannerText()}`];
      case 'P': return ['OK'];
      case 'F': {
        const parts = splitFrame(args);
        const rows = parts?.map(unescape);
        if (!rows || rows.some((r) => r === null)) return ['ERR ESC bad escape'];
        if (rows.some((r) => r!.length > 16)) return ['ERR ARG text too long'];
        this.lcd = rows.map((r) => pad(r!));
        return ['OK'];
      }
      case 'T': {
        const m = /^([01]) (\d+) (.*)$/.exec(args);
        if (!m || Number(m[2]) > 15) return ['ERR ARG bad position'];
        const t = unescape(m[3]);
        if (t === null) return ['ERR ESC bad escape'];
        const col = Number(m[2]);
        if (col + t.length > 16) return ['ERR ARG text too long'];
        t.forEach((c, i) => { this.lcd[Number(m[1])][col + i] = c; });
        return ['OK'];
      }
      case 'G':
        if (!/^[0-7] [0-9A-Fa-f]{16}$/.test(args)) return ['ERR ARG bad glyph'];
        this.glyphsDefined++;
        return ['OK'];
      case 'B':
        if (!/^[012]$/.test(args)) return ['ERR ARG bad backlight'];
        this.backlight = Number(args);
        return ['OK'];
      case 'C': {
        const [sub, key, ...val] = rest;
        if (sub === 'LIST') return [...[...this.settings].map(([k, v]) => `CFG ${k}=${v}`), `OK ${this.settings.size}`];
        if (sub === 'GET') return this.settings.has(key) ? [`OK ${key}=${this.settings.get(key)}`] : ['ERR KEY unknown setting'];
        if (sub === 'SET') {
          if (!this.settings.has(key)) return ['ERR KEY unknown setting'];
          if (key === 'poll' && !/^\d+$/.test(val.join(' '))) return ['ERR VAL bad value'];
          this.settings.set(key, val.join(' '));
          return ['OK'];
        }
        if (sub === 'RESET') {
          this.settings = new Map(DEFAULT_SETTINGS);
          return ['OK'];
        }
        return ['ERR ARG bad C command'];
      }
      case 'R':
        setTimeout(() => this.boot('command'), 1);
        return ['OK'];
      default: return ['ERR CMD unknown command'];
    }
  }
}

class FakePort implements BindingPortInterface {
  isOpen = true;
  readonly openOptions: Required<OpenOptions>;
  private out: Buffer[] = [];
  private reader: { resolve: (n: number) => void; reject: (e: Error) => void; buf: Buffer; offset: number; length: number } | null = null;
  private inbox = '';

  constructor(private readonly board: FakeBoard, o: OpenOptions) {
    this.openOptions = { dataBits: 8, lock: true, stopBits: 1, parity: 'none', rtscts: false, xon: false, xoff: false, xany: false, hupcl: true, ...o };
  }

  push(s: string): void {
    if (!this.isOpen) return;
    this.out.push(Buffer.from(s, 'latin1'));
    this.serve();
  }

  fail(e: Error): void {
    this.isOpen = false;
    const r = this.reader;
    this.reader = null;
    r?.reject(e);
  }

  private serve(): void {
    const r = this.reader;
    if (!r || this.out.length === 0) return;
    this.reader = null;
    const chunk = Buffer.concat(this.out);
    const n = Math.min(chunk.length, r.length);
    chunk.copy(r.buf, r.offset, 0, n);
    this.out = n < chunk.length ? [chunk.subarray(n)] : [];
    r.resolve(n);
  }

  async read(buffer: Buffer, offset: number, length: number) {
    if (!this.isOpen) throw new Cancel('port closed');
    const bytesRead = await new Promise<number>((resolve, reject) => {
      this.reader = { resolve, reject, buf: buffer, offset, length };
      this.serve();
    });
    return { buffer, bytesRead };
  }

  async write(buffer: Buffer): Promise<void> {
    if (!this.isOpen) throw new Cancel('port closed');
    this.inbox += buffer.toString('latin1');
    for (let nl = this.inbox.indexOf('\n'); nl >= 0; nl = this.inbox.indexOf('\n')) {
      const line = this.inbox.slice(0, nl).replace(/\r$/, '');
      this.inbox = this.inbox.slice(nl + 1);
      const replies = this.board.handle(line);
      if (replies.length) {
        setTimeout(() => this.push(replies.map((r) => `${r}\r\n`).join('')), this.board.opts.replyDelayMs ?? 0);
      }
    }
  }

  async close(): Promise<void> {
    this.isOpen = false;
    const r = this.reader;
    this.reader = null;
    r?.reject(new Cancel('port closed'));
  }

  async update(): Promise<void> {}
  async set(): Promise<void> {}
  async get(): Promise<PortStatus> { return { cts: true, dsr: true, dcd: true }; }
  async getBaudRate() { return { baudRate: this.openOptions.baudRate }; }
  async flush(): Promise<void> {}
  async drain(): Promise<void> {}
}

function blankRow(): number[] {
  return new Array<number>(16).fill(0x20);
}

function pad(r: number[]): number[] {
  return [...r, ...new Array<number>(16 - r.length).fill(0x20)];
}

/** Splits "a|b" at the unescaped bar. */
function splitFrame(s: string): [string, string] | null {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '|') return [s.slice(0, i), s.slice(i + 1)];
  }
  return null;
}

/** docs/protocol.md text escapes -> character codes, or null for a bad escape. */
function unescape(s: string): number[] | null {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') { out.push(s.charCodeAt(i)); continue; }
    const e = s[++i];
    if (e >= '0' && e <= '7') out.push(Number(e));
    else if (e === '\\') out.push(0x5c);
    else if (e === '|') out.push(0x7c);
    else if (e === 'h') out.push(0x06);
    else if (e === 'x' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) { out.push(parseInt(s.slice(i + 1, i + 3), 16)); i += 2; }
    else return null;
  }
  return out;
}
