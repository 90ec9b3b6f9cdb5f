// Keeps the board showing the latest wanted screen. Owns the connection life
// cycle: find, open (which auto-resets an Uno), handshake, sync, keep-alive, and
// on unplug or silence back off and start over. Nothing is written while the
// link is down: show() only replaces the wanted state, so stale frames are
// dropped and the newest one is drawn in full after every (re)connect or reset.
import { EventEmitter } from 'node:events';
import { SerialPortStream } from '@serialport/stream';
import type { BindingInterface } from '@serialport/bindings-interface';
import type { GlyphSet } from './glyphs.ts';
import {
  BoardError,
  BoardResetError,
  LinkClosedError,
  ProtocolClient,
  ReplyTimeoutError,
  frameCommands,
  glyphCommand,
  type Banner,
} from './protocol.ts';

export type Backlight = 0 | 1 | 2;

export interface Display {
  /** One string per LCD row, each as wide as the LCD (the geometry the bridge chose from the banner). */
  lines: readonly string[];
  glyphs: GlyphSet;
  backlight: Backlight;
}

export type LinkState = 'idle' | 'searching' | 'opening' | 'handshake' | 'ready' | 'stopped';

export interface SerialLinkOptions {
  binding: BindingInterface;
  /** Where the board is now (null: not connected). */
  findPath: () => Promise<string | null>;
  baudRate?: number;
  bannerTimeoutMs?: number;
  replyTimeoutMs?: number;
  /** Send P when idle this long, well inside the board's host.timeout. */
  keepAliveMs?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** Every line sent ('tx') or received ('rx'), for logs and the demo's serial pane. */
  onTraffic?: (dir: 'tx' | 'rx', line: string) => void;
}

interface BoardView {
  glyphs: string | null;
  lines: string | null;
  backlight: Backlight | null;
}
const UNKNOWN: BoardView = { glyphs: null, lines: null, backlight: null };

/**
 * Events: 'state' (LinkState), 'error' is never emitted; 'problem' (message), 'info' (board `# ` text),
 * 'banner' (Banner) after the handshake and after every board reset, before anything is drawn,
 * so a listener can re-render for the board's LCD size first.
 */
export class SerialLink extends EventEmitter {
  state: LinkState = 'idle';
  lastError: string | null = null;
  banner: Banner | null = null;
  /** Commands answered OK / ERR, and sessions opened, since start. */
  readonly counters = { ok: 0, err: 0, sessions: 0, resets: 0 };

  private desired: Display | null = null;
  private desiredKey = '';
  private board: BoardView = { ...UNKNOWN };
  private running = false;
  private wake: (() => void) | null = null;
  private wakeBackoff: (() => void) | null = null;
  private port: SerialPortStream | null = null;
  private loop: Promise<void> | null = null;
  private readonly o: Required<Omit<SerialLinkOptions, 'onTraffic'>> & Pick<SerialLinkOptions, 'onTraffic'>;

  constructor(opts: SerialLinkOptions) {
    super();
    this.o = {
      baudRate: 115200,
      bannerTimeoutMs: 3000,
      replyTimeoutMs: 1000,
      keepAliveMs: 3000,
      backoffMinMs: 250,
      backoffMaxMs: 10_000,
      ...opts,
    };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Replaces the wanted screen; drawn as soon as the link is ready. */
  show(d: Display): void {
    this.desired = d;
    this.desiredKey = d.lines.join('\n');
    this.kick();
  }

  /** The glyph set the board holds now (null: unknown). */
  get lastGlyphSet(): string | null {
    return this.board.glyphs;
  }

  /** True when the board is known to show the wanted screen. */
  get synced(): boolean {
    const d = this.desired;
    return (
      this.state === 'ready' &&
      d !== null &&
      this.board.lines === this.desiredKey &&
      this.board.glyphs === d.glyphs.name &&
      this.board.backlight === d.backlight
    );
  }

  /** Shows a last screen if the board is there, then closes the port and ends the loop. */
  async stop(final?: Display, timeoutMs = 2000): Promise<void> {
    if (final) this.show(final);
    const until = Date.now() + timeoutMs;
    while (final && this.state === 'ready' && !this.synced && Date.now() < until) await sleep(10);
    this.running = false;
    this.kick();
    this.wakeBackoff?.();
    // A handshake in progress would otherwise sit out its banner timeout.
    if (this.state !== 'ready' && this.port?.isOpen) this.port.close();
    await this.loop;
    this.setState('stopped');
  }

  private kick(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(
        () => {
          this.wake = null;
          resolve();
        },
        Math.max(0, ms),
      );
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private setState(s: LinkState): void {
    if (this.state === s) return;
    this.state = s;
    this.emit('state', s);
  }

  private problem(msg: string): void {
    this.lastError = msg;
    this.emit('problem', msg);
  }

  private async run(): Promise<void> {
    let delay = this.o.backoffMinMs;
    while (this.running) {
      let worked = false;
      try {
        worked = await this.session();
      } catch (e) {
        this.problem((e as Error).message);
      }
      if (!this.running) break;
      if (worked) delay = this.o.backoffMinMs;
      this.setState('searching');
      // New screens must not cut the back-off short; only stop() does.
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        this.wakeBackoff = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wakeBackoff = null;
      delay = Math.min(delay * 2, this.o.backoffMaxMs);
    }
  }

  /** One connection, from open to close. Resolves true if it ever got ready. */
  private async session(): Promise<boolean> {
    this.setState('searching');
    const path = await this.o.findPath();
    if (!path) throw new Error('no board found');
    if (!this.running) return false;
    this.setState('opening');
    const port = new SerialPortStream({ binding: this.o.binding, path, baudRate: this.o.baudRate, autoOpen: false });
    port.on('error', (e: Error) => this.problem(`serial: ${e.message}`));
    await new Promise<void>((resolve, reject) =>
      port.open((e) => (e ? reject(new Error(`cannot open ${path}: ${e.message}`)) : resolve())),
    );
    this.counters.sessions++;
    this.port = port;
    const traffic = this.o.onTraffic;
    const client = new ProtocolClient((s) => {
      traffic?.('tx', s.slice(0, -1));
      port.write(s, 'latin1');
    }, this.o.replyTimeoutMs);
    port.on('data', (b: Buffer) => client.feed(b));
    if (traffic) client.on('line', (l: string) => traffic('rx', l));
    client.on('info', (t: string) => this.emit('info', t));
    port.once('close', () => {
      client.close();
      this.kick();
    });
    let ready = false;
    try {
      this.setState('handshake');
      this.board = { ...UNKNOWN };
      this.banner = await client.handshake(this.o.bannerTimeoutMs);
      this.emit('banner', this.banner);
      client.on('banner', (b: Banner) => {
        // The board restarted (watchdog, brown-out, R): its screen and glyphs are gone.
        this.banner = b;
        this.counters.resets++;
        this.board = { ...UNKNOWN };
        this.emit('banner', b);
        this.kick();
      });
      ready = true;
      this.setState('ready');
      let lastTx = Date.now();
      while (this.running && port.isOpen) {
        const step = this.nextCommands();
        const quiet = Date.now() - lastTx;
        if (step.length === 0 && quiet < this.o.keepAliveMs) {
          await this.idle(this.o.keepAliveMs - quiet);
          continue;
        }
        const cmds = step.length > 0 ? step : [{ cmd: 'P', done: () => {} }];
        for (const c of cmds) {
          const ok = await this.exchange(client, c.cmd);
          lastTx = Date.now();
          if (ok === 'closed') return ready;
          if (ok === 'reset') break;
          c.done();
        }
      }
    } finally {
      this.port = null;
      client.close();
      await closePort(port);
    }
    return ready;
  }

  /** Commands that bring the board from what it shows to what is wanted, in order. */
  private nextCommands(): { cmd: string; done: () => void }[] {
    const d = this.desired;
    if (!d) return [];
    const out: { cmd: string; done: () => void }[] = [];
    if (this.board.glyphs !== d.glyphs.name) {
      for (const [n, rows] of d.glyphs.rows.entries()) out.push({ cmd: glyphCommand(n, rows), done: () => {} });
      out[out.length - 1].done = () => {
        this.board.glyphs = d.glyphs.name;
      };
      return out;
    }
    if (this.board.lines !== this.desiredKey) {
      const key = this.desiredKey;
      const cmds = frameCommands(d.lines);
      for (const cmd of cmds) out.push({ cmd, done: () => {} });
      out[out.length - 1].done = () => {
        this.board.lines = key;
      };
      return out;
    }
    if (this.board.backlight !== d.backlight) {
      const b = d.backlight;
      out.push({
        cmd: `B ${b}`,
        done: () => {
          this.board.backlight = b;
        },
      });
    }
    return out;
  }

  /** Sends one command; ERR is logged and counted as handled so a bad frame cannot spin. */
  private async exchange(client: ProtocolClient, cmd: string): Promise<'ok' | 'reset' | 'closed'> {
    try {
      await client.send(cmd);
      this.counters.ok++;
      return 'ok';
    } catch (e) {
      if (e instanceof BoardError) {
        this.counters.err++;
        this.problem(e.message);
        return 'ok';
      }
      if (e instanceof BoardResetError) return 'reset';
      if (e instanceof LinkClosedError) return 'closed';
      if (e instanceof ReplyTimeoutError) {
        // Lost sync (noise, a dropped byte): probe, and redraw everything if the board answers.
        this.problem(e.message);
        try {
          await client.send('V');
        } catch {
          throw new Error('board stopped answering');
        }
        this.board = { ...UNKNOWN };
        return 'reset';
      }
      throw e;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function closePort(port: SerialPortStream): Promise<void> {
  if (!port.isOpen) return;
  await new Promise<void>((r) => port.drain(() => r()));
  if (!port.isOpen) return;
  await new Promise<void>((r) => port.close(() => r()));
}
