// The daemon's core: polls every source on a fixed pace (a failing source is backed
// off as docs/backoff.md says), renders the page of the moment for the board's LCD size
// (from its banner, or the lcdSize setting) and hands it to the serial link (which draws
// only what changed).
import { EventEmitter } from 'node:events';
import { Backoff } from './backoff.ts';
import type { Config } from './config.ts';
import { fitLine } from './format.ts';
import { chooseGeometry, geometryName, sameGeometry, type Geometry } from './geometry.ts';
import type { Logger } from './log.ts';
import { Rotation, expandPages, screenNow, type Page, type ScreenInput } from './screens.ts';
import type { Banner } from './protocol.ts';
import type { SerialLink } from './serial-link.ts';
import { Source } from './source.ts';

const DISPLAY_TICK_MS = 500;

export interface BridgeOptions {
  cfg: Config;
  link: SerialLink;
  log: Logger;
  now?: () => number;
  /** Jitter source for the back-off, uniform in [0, 1). */
  random?: () => number;
}

/** Events: 'poll' ({ ms }) after each round of fetches, 'page' (Page) when the shown page changes. */
export class Bridge extends EventEmitter {
  readonly sources: Source[];
  private readonly backoffs: Backoff[];
  private readonly rotation: Rotation;
  private readonly startMs: number;
  private readonly now: () => number;
  private pollTimer: NodeJS.Timeout | null = null;
  private displayTimer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private lastPage: Page | null = null;
  private lastUp = new Map<string, boolean>();
  private running = false;
  /** The LCD size pages are drawn for: the setting, else the banner, else 16x2. */
  geometry: Geometry;

  constructor(private readonly o: BridgeOptions) {
    super();
    this.now = o.now ?? (() => performance.now());
    const c = o.cfg;
    this.sources = c.sources.map(
      (s) =>
        new Source(
          {
            ...s,
            iface: c.iface,
            metricIn: c.metricIn,
            metricOut: c.metricOut,
            latencyMetric: c.latencyMetric,
            latencyInstance: c.latencyInstance,
            pollSec: c.pollSec,
            timeoutMs: c.timeoutMs,
            counters32: c.counters32,
          },
          this.now,
        ),
    );
    this.backoffs = c.sources.map(() => new Backoff({ pollMs: c.pollSec * 1000, random: o.random, now: this.now }));
    this.startMs = this.now();
    this.rotation = new Rotation(expandPages(c.pages, c.iface.length, c.sources.length), this.startMs);
    this.geometry = chooseGeometry(c.lcdSize, undefined).geometry;
    // Each banner (first handshake, every reset) may bring another size; it arrives before
    // the link draws, so the page handed over next already fits.
    let lastWarning = '';
    o.link.on('banner', (b: Banner) => {
      const choice = chooseGeometry(c.lcdSize, b.fields.lcd);
      if (choice.warning && choice.warning !== lastWarning) o.log.warn('lcd size', { err: choice.warning });
      lastWarning = choice.warning ?? '';
      if (c.lcdSize !== 'auto' && b.fields.lcd !== undefined && b.fields.lcd !== c.lcdSize) {
        o.log.debug('lcd size from the setting', { setting: c.lcdSize });
      }
      if (sameGeometry(choice.geometry, this.geometry)) return;
      this.geometry = choice.geometry;
      o.log.info('lcd size', { lcd: geometryName(this.geometry), from: choice.from });
      this.refresh();
    });
    // A board that stays away would repeat the same complaint on every retry: say it once.
    let lastProblem = '';
    o.link.on('problem', (m: string) => {
      if (m === lastProblem) return o.log.debug('serial', { err: m });
      lastProblem = m;
      o.log.warn('serial', { err: m });
    });
    o.link.on('state', (s: string) => {
      if (s === 'ready') {
        lastProblem = '';
        o.log.info('serial ready', { banner: o.link.banner?.raw });
      } else {
        o.log.debug(`serial ${s}`);
      }
    });
    o.link.on('info', (t: string) => o.log.info(`board: ${t}`));
  }

  start(): void {
    this.running = true;
    this.o.link.start();
    this.refresh();
    this.displayTimer = setInterval(() => this.refresh(), DISPLAY_TICK_MS);
    const step = this.o.cfg.pollSec * 1000;
    let next = this.now();
    const tick = () => {
      if (!this.running) return;
      this.inFlight = this.pollDue().finally(() => {
        this.inFlight = null;
      });
      void this.inFlight.then(() => {
        if (!this.running) return;
        // Fixed pace; after a slow round, skip the missed slots instead of bunching.
        next += step;
        const now = this.now();
        if (next < now) next = now + step - ((now - next) % step);
        this.pollTimer = setTimeout(tick, next - now);
      });
    };
    tick();
  }

  /** Polls every source now, back-off or not (tests; the daemon's rounds are pollDue). */
  async pollOnce(): Promise<void> {
    await this.pollSources(this.sources.map(() => true));
  }

  /** One scheduled round: polls the sources whose back-off allows an attempt now. */
  async pollDue(): Promise<void> {
    const now = this.now();
    await this.pollSources(this.backoffs.map((b) => b.due(now)));
  }

  private async pollSources(which: boolean[]): Promise<void> {
    await Promise.all(
      this.sources.map(async (s, i) => {
        if (!which[i]) return;
        // One new PMWEBAPI context per poll at most: a server that keeps losing them is backed off, not flooded.
        s.client.beginPoll();
        await s.poll();
        const b = this.backoffs[i];
        if (s.state().up) {
          b.succeeded();
        } else {
          const wait = b.failed();
          this.o.log.debug('source retry', { source: s.s.name, failures: b.failureCount, waitMs: Math.round(wait) });
        }
      }),
    );
    const done = this.now();
    for (const s of this.sources) {
      const st = s.state();
      if (this.lastUp.get(st.name) !== st.up) {
        if (st.up) this.o.log.info('source up', { source: st.name, api: st.api });
        else this.o.log.warn('source down', { source: st.name, err: st.lastError });
        this.lastUp.set(st.name, st.up);
      }
    }
    this.refresh();
    this.emit('poll', { at: done });
  }

  input(): ScreenInput {
    return {
      cfg: this.o.cfg,
      sources: this.sources.map((s) => s.state()),
      nowMs: this.now(),
      startMs: this.startMs,
      geometry: this.geometry,
    };
  }

  /** Renders the page of the moment and passes it to the link. */
  refresh(): Page {
    const page = screenNow(this.rotation, this.input());
    const prev = this.lastPage;
    if (!prev || prev.lines.join() !== page.lines.join() || prev.backlight !== page.backlight) this.emit('page', page);
    this.lastPage = page;
    this.o.link.show(page);
    return page;
  }

  /** Shows the rotation's next page now (the demo's web page has a button for it); an alert still wins. */
  nextPage(): Page {
    this.rotation.skip(this.now());
    return this.refresh();
  }

  /** The rotation's page now (an alert may be shown in its place). */
  get pageName(): string {
    return this.rotation.current(this.now()).page;
  }

  /** Stops polling, shows "bridge stopped", closes the port. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    if (this.displayTimer) clearInterval(this.displayTimer);
    await this.inFlight;
    const glyphs = this.lastPage?.glyphs;
    const { rows, cols } = this.geometry;
    const lines = Array.from({ length: rows }, (_x, r) => fitLine(r === 0 ? 'bridge stopped' : '', cols));
    await this.o.link.stop(glyphs ? { lines, glyphs, backlight: 1 } : undefined);
  }
}
