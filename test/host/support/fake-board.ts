// A scripted stand-in for the board's host-mode firmware, speaking serial protocol
// v1 as docs/protocol.md describes it, behind a serialport BindingInterface so the
// bridge uses its real code path. Fault knobs: no banner, silence, forced ERR
// replies, unplug/replug, reset mid-stream. test/host/fake-board-contract.test.ts
// runs one protocol script against this and against the real firmware in the
// simulator, so the two answer alike. Not modelled: the host-lost timer and its
// "# host lost"/"# host back" lines, network mode beyond its no-shield screen,
// LCDproc mode's drawing (its bytes are read, only the escape back to lines acts).
import type {
  BindingInterface,
  BindingPortInterface,
  OpenOptions,
  PortInfo,
  PortStatus,
} from '@serialport/bindings-interface';
import { firmwareVersion } from '../../support/firmware-source.ts';
import { withOpenDefaults } from '../../../simulator/src/serial-binding.ts';

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
  /** false: a firmware built without network mode (no eth=/ip= banner fields, `M net` refused). */
  network?: boolean;
  /**
   * The banner's lcd= value (default 16x2). A known size also sets the LCD's rows and
   * columns for F and T; anything else (a board that says nonsense) keeps a 16x2 glass.
   * null: no lcd= field at all.
   */
  lcd?: string | null;
}

type Mode = 'host' | 'net' | 'lcdproc';

// ---- settings: keys, defaults and validation as firmware/src/settings.cpp and config.cpp have them ----

/** Canonical text of a valid value, or null. */
type Parse = (v: string) => string | null;
const enumOf =
  (...names: string[]): Parse =>
  (v) =>
    names.includes(v) ? v : null;
const decimal = (v: string, digits: number, min: number, max: number) =>
  new RegExp(`^\\d{1,${digits}}$`).test(v) && Number(v) >= min && Number(v) <= max ? String(Number(v)) : null;
const bool: Parse = (v) => (v === '0' || v === '1' ? v : null);
const ip: Parse = (v) => {
  const parts = v.split('.');
  return parts.length === 4 && parts.every((p) => decimal(p, 3, 0, 255) !== null) ? parts.map(Number).join('.') : null;
};
const mac: Parse = (v) => (/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/.test(v) ? v.toUpperCase() : null);
const u16 =
  (min: number, max: number): Parse =>
  (v) =>
    decimal(v, 5, min, max);
const u32: Parse = (v) => decimal(v, 10, 0, 0xffffffff);
/** Metric characters are A-Z a-z 0-9 . _; name characters add : @ / -. */
const str =
  (kind: 'metric' | 'name', max: number, optional = false): Parse =>
  (v) =>
    (v.length > 0 || optional) &&
    v.length <= max &&
    (kind === 'metric' ? /^[A-Za-z0-9._]*$/ : /^[A-Za-z0-9._:@/-]*$/).test(v)
      ? v
      : null;

const SETTINGS: [key: string, dflt: string, parse: Parse][] = [
  ['mode', 'host', enumOf('host', 'net', 'lcdproc')],
  ['net.dhcp', '1', bool],
  ['net.ip', '192.168.1.177', ip],
  ['net.mask', '255.255.255.0', ip],
  ['net.gw', '192.168.1.1', ip],
  ['net.dns', '192.168.1.1', ip],
  ['net.mac', 'DE:AD:BE:EF:FE:ED', mac],
  ['srv.ip', '192.168.1.1', ip],
  ['srv.port', '44322', u16(1, 65535)],
  ['srv.api', 'auto', enumOf('auto', 'pmproxy', 'pmwebd')],
  ['srv.hostspec', 'localhost', str('name', 31)],
  ['iface', 'ppp0', str('name', 15)],
  ['m.in', 'network.interface.in.bytes', str('metric', 39)],
  ['m.out', 'network.interface.out.bytes', str('metric', 39)],
  ['m.lat', 'shping.time.real', str('metric', 39, true)],
  ['m.latinst', 'ping', str('name', 15, true)],
  ['poll', '2', u16(1, 3600)],
  ['units', 'bits', enumOf('bits', 'bytes')],
  ['cap.down', '20000000', u32],
  ['cap.up', '1000000', u32],
  ['host.timeout', '10', u16(1, 3600)],
  ['host.fallback', '1', bool],
  ['backlight', 'on', enumOf('on', 'off', 'lost-off', 'alert-blink')],
  ['lcd.size', '16x2', enumOf('16x2', '20x2', '16x4', '20x4')],
];
const PARSE = new Map(SETTINGS.map(([k, , p]) => [k, p]));
/** Read-only key: settings saves since the EEPROM was blank. */
const SAVES = 'saves';
/** At most one save per this much uptime; changes in between wait in RAM (firmware/src/config.h). */
const SAVE_HOLDOFF_MS = 60_000;
const defaults = () => new Map(SETTINGS.map(([k, d]) => [k, d]));

// ---- replies, word for word as firmware/src/protocol.cpp sends them ----

const BAD_ARGS = 'ERR ARG bad arguments';
const UNKNOWN_COMMAND = 'ERR CMD unknown command';
const UNKNOWN_SETTING = 'ERR KEY unknown setting';
/** What the firmware draws on its own (firmware/src/main.cpp, net/netmode.cpp without a W5100). */
const LCDPROC_SCREEN = ['LCDproc mode', 'waiting for LCDd'];
const NO_SHIELD_SCREEN = ['No W5100/W5500', 'check the shield'];
const LINE_MAX = 63; // bytes before the LF
const HEART = 6; // \h: glyph 6, blinking with a blank on the real LCD
const BACKSLASH = 0xa4; // \\: the A00 ROM has a yen sign at 0x5C

class Cancel extends Error {
  canceled = true;
}

export class FakeBoard {
  readonly path: string;
  /** Every line the host sent in line mode (without the LF and a CR before it). */
  readonly received: string[] = [];
  /** The glass's size, from opts.lcd, then the lcd.size setting. */
  cols: number;
  rows: number;
  /** What the host asked to show: codes per row (a \h cell holds glyph 6, it does not blink here). */
  lcd: number[][];
  /** G commands since the last reset. */
  glyphsDefined = 0;
  /** Rows of the glyphs defined with G since the last reset (5 low bits kept), by glyph number. */
  glyphs: (number[] | undefined)[] = [];
  backlight = 1;
  settings = defaults();
  /** The `saves` key: 1 for a board that stored its defaults at its first boot. */
  saves = 1;
  mode: Mode = 'host';
  plugged = true;
  opens = 0;
  private port: FakePort | null = null;
  private rx = { line: '', lcdproc: 'data' as 'data' | 'instruction' | 'line' };
  // The settings as last saved and when: uptime, and a waiting change, survive the fake's resets.
  private stored = defaults();
  private lastSaveMs = -Infinity;

  constructor(readonly opts: FakeBoardOptions = {}) {
    this.path = opts.path ?? '/dev/ttyFAKE0';
    const size = /^(16|20)x([24])$/.exec(opts.lcd ?? '');
    this.cols = size ? Number(size[1]) : 16;
    this.rows = size ? Number(size[2]) : 2;
    if (size) this.settings.set('lcd.size', size[0]);
    this.lcd = this.blankGlass();
  }

  /** lcd.size takes effect at once: the LCD is initialised again and cleared. */
  private resize(size: string): void {
    [this.cols, this.rows] = size.split('x').map(Number);
    this.lcd = this.blankGlass();
  }

  /** The LCD as text, one string per row; glyph n is the character with code n, 0xFF the full block. */
  text(): string[] {
    return this.lcd.map((r) => String.fromCharCode(...r));
  }

  private blankGlass(): number[][] {
    return Array.from({ length: this.rows }, () => blankRow(this.cols));
  }

  /** Rows as the firmware draws its own screens: the given text from the top, the rest blank. */
  private screen(lines: string[]): number[][] {
    return Array.from({ length: this.rows }, (_x, r) => row(lines[r] ?? '', this.cols));
  }

  binding(): BindingInterface {
    return {
      list: async (): Promise<PortInfo[]> =>
        this.plugged
          ? [
              {
                path: this.path,
                vendorId: '2341',
                productId: '0043',
                manufacturer: 'Arduino',
                serialNumber: 'FAKE',
                pnpId: undefined,
                locationId: undefined,
              },
            ]
          : [],
      open: async (o: OpenOptions) => {
        if (!this.plugged || o.path !== this.path)
          throw new Error(`Error: No such file or directory, cannot open ${o.path}`);
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

  /** The board restarts on its own (watchdog): boot screen, a new banner. */
  resetBoard(): void {
    this.boot('watchdog');
  }

  private boot(reason: string): void {
    this.lcd = this.screen([`pmlcd ${firmwareVersion().fw}`, 'waiting for host']);
    this.glyphs = [];
    this.glyphsDefined = 0;
    this.rx = { line: '', lcdproc: 'data' };
    this.enterMode(this.settings.get('mode') as Mode);
    if (this.opts.banner === false || this.opts.mute) return;
    const port = this.port;
    setTimeout(() => port?.push(`${this.fields(reason)}\n`), this.opts.bannerDelayMs ?? 5);
  }

  /** Banner fields; V sends them without reset=. */
  private fields(reset?: string): string {
    const v = firmwareVersion();
    // opts.lcd may be a value no firmware sends (or null: none at all), to test the bridge.
    const said =
      this.opts.lcd === undefined || /^(16|20)x[24]$/.test(this.opts.lcd ?? '')
        ? this.settings.get('lcd.size')
        : this.opts.lcd;
    const lcd = said === null ? '' : ` lcd=${said}`;
    return (
      `PMLCD ${this.opts.version ?? v.protocol} fw=${v.fw}${lcd} mode=${this.mode}${reset ? ` reset=${reset}` : ''} cfg=ok lcdbus=parallel` +
      (this.opts.network === false ? '' : ' eth=none ip=0.0.0.0')
    );
  }

  private enterMode(m: Mode): void {
    this.mode = m;
    this.rx.lcdproc = 'data';
    if (m === 'net' && this.opts.network !== false) this.lcd = this.screen(NO_SHIELD_SCREEN);
    if (m === 'lcdproc') this.lcd = this.screen(LCDPROC_SCREEN);
  }

  private switchMode(m: Mode): void {
    this.enterMode(m);
    this.settings.set('mode', m);
    this.save();
  }

  /** Bytes from the host, as the firmware's serial loop reads them; returns the replies. */
  receive(bytes: string): string[] {
    const out: string[] = [];
    for (const b of bytes) {
      if (this.mode === 'lcdproc' && this.rx.lcdproc !== 'line') {
        // lcdserializer: 0xFE then an instruction byte; 0xFE 0x00 starts one protocol line.
        if (this.rx.lcdproc === 'data') this.rx.lcdproc = b === '\xfe' ? 'instruction' : 'data';
        else this.rx.lcdproc = b === '\x00' ? 'line' : 'data';
        continue;
      }
      if (b !== '\n') {
        if (this.rx.line.length <= LINE_MAX) this.rx.line += b; // one byte past the limit marks it too long
        continue;
      }
      const line = this.rx.line;
      this.rx.line = '';
      if (this.mode === 'lcdproc') this.rx.lcdproc = 'data';
      out.push(...this.handle(line));
    }
    return out;
  }

  /** One complete line from the host (without its LF); returns the reply lines. */
  handle(raw: string): string[] {
    if (this.opts.mute) return [];
    this.save();
    const tooLong = raw.length > LINE_MAX;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    this.received.push(text);
    if (tooLong) return ['ERR LINE line too long'];
    if (/[^\x20-\x7e]/.test(text)) return ['ERR CHAR non-ASCII byte'];
    let line = text;
    const cs = /^(.*)\*([0-9A-Fa-f]{2})$/.exec(text);
    if (cs) {
      let x = 0;
      for (const c of cs[1]) x ^= c.charCodeAt(0);
      if (x !== parseInt(cs[2], 16)) return ['ERR CSUM bad checksum'];
      line = cs[1];
    }
    if (this.opts.errFor?.test(line)) return ['ERR VAL forced by test'];
    if (line === '') return ['ERR CMD empty line'];
    if (line.length > 1 && line[1] !== ' ') return [UNKNOWN_COMMAND];
    const arg = line.length > 1 ? line.slice(2) : null;
    switch (line[0]) {
      case 'V':
        return arg === null ? [`OK ${this.fields()}`] : [BAD_ARGS];
      case 'P':
        return arg === null ? ['OK'] : [BAD_ARGS];
      case 'R':
        if (arg !== null) return [BAD_ARGS];
        setTimeout(() => this.boot('command'), 1);
        return ['OK'];
      case 'F':
        return arg === null ? [BAD_ARGS] : [this.frame(arg)];
      case 'T':
        return arg === null ? [BAD_ARGS] : [this.cells(arg)];
      case 'G':
        return arg === null ? [BAD_ARGS] : [this.glyph(arg)];
      case 'B':
        if (arg === null || !/^[012]$/.test(arg)) return [BAD_ARGS];
        this.backlight = Number(arg);
        return ['OK'];
      case 'M': {
        if (arg === null) return [BAD_ARGS];
        if (!PARSE.get('mode')!(arg)) return ['ERR ARG unknown mode'];
        if (arg === 'net' && this.opts.network === false) return ['ERR ARG mode not available'];
        this.switchMode(arg as Mode);
        return ['OK'];
      }
      case 'C':
        return arg === null ? [BAD_ARGS] : this.config(arg);
      default:
        return [UNKNOWN_COMMAND];
    }
  }

  // F <row 1>|<row 2>[|<row 3>[|<row 4>]]: rows not given are blanked (checked in firmware/src/protocol.cpp's order)
  private frame(arg: string): string {
    const rows: number[][] = [];
    for (let at = 0; ; ) {
      const r = decode(arg, at, '|', this.cols);
      if (typeof r === 'string') return r;
      rows.push(r.codes);
      if (r.end >= arg.length) {
        if (rows.length === 1) return 'ERR ARG missing |';
        break;
      }
      if (rows.length >= this.rows) return 'ERR ARG too many rows';
      at = r.end + 1;
    }
    this.lcd = Array.from({ length: this.rows }, (_x, i) => pad(rows[i] ?? [], this.cols));
    return 'OK';
  }

  // T <row> <col> <text>: col is one or two digits
  private cells(arg: string): string {
    const m = /^(\d) (\d\d?) /.exec(arg);
    if (!m || Number(m[1]) >= this.rows || Number(m[2]) >= this.cols) return BAD_ARGS;
    const col = Number(m[2]);
    const t = decode(arg, m[0].length, null, this.cols - col);
    if (typeof t === 'string') return t;
    t.codes.forEach((c, i) => {
      this.lcd[Number(m[1])][col + i] = c;
    });
    return 'OK';
  }

  // G <n> <16 hex digits>
  private glyph(arg: string): string {
    if (!/^[0-7] [0-9A-Fa-f]{16}$/.test(arg)) return BAD_ARGS;
    this.glyphs[Number(arg[0])] = Array.from(
      { length: 8 },
      (_, i) => parseInt(arg.slice(2 + 2 * i, 4 + 2 * i), 16) & 0x1f,
    );
    this.glyphsDefined++;
    return 'OK';
  }

  /** Stores changed settings, at once or when the hold-off since the last save has passed. */
  private save(): void {
    if ([...this.settings].every(([k, v]) => this.stored.get(k) === v)) return;
    const now = performance.now();
    if (now - this.lastSaveMs < SAVE_HOLDOFF_MS) return;
    this.stored = new Map(this.settings);
    this.saves++;
    this.lastSaveMs = now;
  }

  private config(arg: string): string[] {
    if (arg === 'LIST') {
      const all = [...this.settings, [SAVES, String(this.saves)]];
      return [...all.map(([k, v]) => `CFG ${k}=${v}`), `OK ${all.length}`];
    }
    if (arg === 'RESET') {
      this.settings = defaults();
      this.save();
      if (this.mode !== 'host') this.enterMode('host');
      return ['OK'];
    }
    if (arg.startsWith('GET ')) {
      const key = arg.slice(4);
      if (key === SAVES) return [`OK ${key}=${this.saves}`];
      return this.settings.has(key) ? [`OK ${key}=${this.settings.get(key)}`] : [UNKNOWN_SETTING];
    }
    if (!arg.startsWith('SET ')) return [BAD_ARGS];
    const rest = arg.slice(4);
    const sp = rest.indexOf(' ');
    const key = sp < 0 ? rest : rest.slice(0, sp);
    const parse = key === SAVES ? () => null : PARSE.get(key);
    if (!parse) return [UNKNOWN_SETTING];
    if (sp < 0) return ['ERR ARG missing value'];
    const value = parse(rest.slice(sp + 1));
    if (value === null) return ['ERR VAL bad value'];
    if (key === 'mode' && value === 'net' && this.opts.network === false) return ['ERR VAL mode not available'];
    const resize = key === 'lcd.size' && value !== this.settings.get(key);
    this.settings.set(key, value);
    this.save();
    if (resize) this.resize(value);
    if (key === 'mode' && value !== this.mode) this.enterMode(value as Mode);
    return ['OK'];
  }
}

class FakePort implements BindingPortInterface {
  isOpen = true;
  readonly openOptions: Required<OpenOptions>;
  private out: Buffer[] = [];
  private reader: {
    resolve: (n: number) => void;
    reject: (e: Error) => void;
    buf: Buffer;
    offset: number;
    length: number;
  } | null = null;

  constructor(
    private readonly board: FakeBoard,
    o: OpenOptions,
  ) {
    this.openOptions = withOpenDefaults(o);
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
    const replies = this.board.receive(buffer.toString('latin1'));
    if (replies.length) {
      setTimeout(() => this.push(replies.map((r) => `${r}\n`).join('')), this.board.opts.replyDelayMs ?? 0);
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
  async get(): Promise<PortStatus> {
    return { cts: true, dsr: true, dcd: true };
  }
  async getBaudRate() {
    return { baudRate: this.openOptions.baudRate };
  }
  async flush(): Promise<void> {}
  async drain(): Promise<void> {}
}

function blankRow(cols = 16): number[] {
  return new Array<number>(cols).fill(0x20);
}

function pad(r: number[], cols = 16): number[] {
  return [...r, ...new Array<number>(cols - r.length).fill(0x20)];
}

function row(text: string, cols = 16): number[] {
  return pad(
    [...text].map((c) => c.charCodeAt(0)),
    cols,
  );
}

/**
 * docs/protocol.md text escapes from s[from] up to `stop` (or the end) into at most
 * max codes, checked in the firmware's order (firmware/src/text.cpp): a text that
 * is too long fails as such even if a bad escape follows.
 */
function decode(s: string, from: number, stop: string | null, max: number): { codes: number[]; end: number } | string {
  const codes: number[] = [];
  let i = from;
  const hex = (c: string | undefined) => (c !== undefined && /^[0-9A-Fa-f]$/.test(c) ? parseInt(c, 16) : -1);
  while (i < s.length && s[i] !== stop) {
    if (codes.length === max) return 'ERR ARG text too long';
    const c = s[i++];
    if (c !== '\\') {
      codes.push(c.charCodeAt(0));
      continue;
    }
    const e = s[i++];
    if (e >= '0' && e <= '7') codes.push(Number(e));
    else if (e === 'x' && hex(s[i]) >= 0 && hex(s[i + 1]) >= 0) {
      codes.push(hex(s[i]) * 16 + hex(s[i + 1]));
      i += 2;
    } else if (e === '\\') codes.push(BACKSLASH);
    else if (e === '|') codes.push(0x7c);
    else if (e === 'h') codes.push(HEART);
    else return 'ERR ESC bad escape';
  }
  return { codes, end: i };
}
