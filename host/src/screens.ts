// Pages and rotation. The main page follows docs/screens.md exactly; the other
// pages reuse its 5/6-character fields so columns stay put. Each page names one
// glyph set. An alert (source down, latency over the threshold) pre-empts the
// rotation until it clears.
import {
  GLYPH_DOWN, GLYPH_UP, fitLine, lcdText, formatAge, formatLatency, formatMainScreen, formatRate, formatRateLine, isStale, shownRate,
  unitLabel, type Units,
} from './format.ts';
import { MAIN_GLYPHS, SPARK_GLYPHS, type GlyphSet } from './glyphs.ts';
import type { Config, PageName } from './config.ts';
import type { SourceState } from './source.ts';
import type { Backlight } from './serial-link.ts';

export interface Page {
  lines: [string, string];
  glyphs: GlyphSet;
  backlight: Backlight;
}

export interface ScreenInput {
  cfg: Pick<Config, 'units' | 'capDown' | 'capUp' | 'pollSec' | 'alertLatencyMs'>;
  sources: SourceState[];
  /** Monotonic ms now, and when the bridge started (the age of a source never seen). */
  nowMs: number;
  startMs: number;
}

/** A rotation entry: a page, and which interface / source it is about. */
export interface Slot { page: PageName; index: number; seconds: number }

function capacity(bitsPerSec: number, units: Units): bigint {
  return BigInt(Math.floor(units === 'bits' ? bitsPerSec : bitsPerSec / 8));
}

export function ageSec(src: SourceState, input: ScreenInput): number {
  return Math.floor((input.nowMs - (src.lastGoodMs ?? input.startMs)) / 1000);
}

function rateOrNA(v: bigint | null, units: Units): string {
  return v === null ? '  NA ' : formatRate(shownRate(v, units));
}

/** A short reason for the LCD: the last part of an error chain. */
export function shortError(msg: string | null): string {
  if (!msg) return 'no errors';
  // Server messages may carry anything: mapped to what the ROM can show first.
  msg = lcdText(msg);
  // Context failures say so: "ctx 400 ..." rather than a bare server message.
  if (msg.startsWith('context: ')) return `ctx ${shortError(msg.slice(9))}`;
  const http = /^HTTP (\d+): (.*)$/.exec(msg);
  if (http) return `${http[1]} ${shortError(http[2])}`;
  const parts = msg.split(': ').filter(Boolean);
  return parts[parts.length - 1] ?? msg;
}

export function mainPage(input: ScreenInput): [string, string] {
  const src = input.sources[0];
  const iface = src.ifaces[0];
  const { units, capDown, pollSec } = input.cfg;
  const age = ageSec(src, input);
  if (!isStale(age, pollSec) && iface && iface.down !== null && iface.up !== null) {
    return formatMainScreen({
      down: shownRate(iface.down, units), up: shownRate(iface.up, units), capDown: capacity(capDown, units), units,
      latencyUs: src.latencyUs, ageSec: age, pollSec,
    });
  }
  if (isStale(age, pollSec)) {
    return formatMainScreen({ down: 0, up: 0, capDown: 0, units, latencyUs: null, ageSec: age, pollSec });
  }
  // Fresh data without a rate: line 1 says why (docs/rates.md).
  const why = !iface || iface.status === 'rate' ? 'first' : iface.status;
  return [formatRateLine(why, 0, 0, units), `${formatLatency(src.latencyUs)} ${' '.repeat(9)}`];
}

function ifacePage(input: ScreenInput, index: number): [string, string] {
  const src = input.sources[0];
  const iface = src.ifaces[index];
  const { units } = input.cfg;
  const age = ageSec(src, input);
  const stale = isStale(age, input.cfg.pollSec);
  const name = lcdText(iface.present ? iface.name : `${iface.name} gone`);
  return [
    `${name.slice(0, 12).padEnd(12)} ${stale ? formatAge(age) : unitLabel(units)}`,
    `${GLYPH_DOWN}${rateOrNA(stale ? null : iface.down, units)} ${GLYPH_UP}${rateOrNA(stale ? null : iface.up, units)}   `,
  ];
}

function hostPage(input: ScreenInput, index: number): [string, string] {
  const src = input.sources[index];
  const age = ageSec(src, input);
  const stale = isStale(age, input.cfg.pollSec);
  const iface = src.ifaces[0];
  return [
    fitLine(`${lcdText(src.name).slice(0, 12).padEnd(12)} ${src.up ? ' up' : 'down'}`),
    `${stale ? '  NA  ' : formatLatency(src.latencyUs)} ${GLYPH_DOWN}${rateOrNA(stale ? null : iface?.down ?? null, input.cfg.units)}${stale ? formatAge(age) : unitLabel(input.cfg.units)}`,
  ];
}

/** Latency in 5 characters without the unit, for the three-column page. */
function latency5(us: number | null): string {
  return formatLatency(us).slice(0, 4).padStart(5);
}

function latencyPage(input: ScreenInput): [string, string] {
  const l = input.sources[0].latency;
  return ['ping min/avg/max', l ? `${latency5(l.minUs)}${latency5(l.avgUs)}${latency5(l.maxUs)} ` : fitLine(' no samples')];
}

/** Downlink history: a 16-cell sparkline scaled to its own maximum. */
function historyPage(input: ScreenInput): [string, string] {
  const iface = input.sources[0].ifaces[0];
  const h = iface?.downHistory.values() ?? [];
  const max = Math.max(0, ...h);
  const cells = h.map((v) => (max === 0 || v <= 0 ? ' ' : String.fromCharCode(Math.min(7, Math.ceil((v * 8) / max) - 1))));
  const top = max === 0 ? '    0' : formatRate(shownRate(BigInt(Math.round(max)), input.cfg.units));
  return [fitLine(`rx max ${top}${unitLabel(input.cfg.units)}`), cells.join('').padStart(16)];
}

function statusPage(input: ScreenInput, linkNote?: string): [string, string] {
  const up = input.sources.filter((s) => s.up).length;
  const err = input.sources.find((s) => s.lastError)?.lastError ?? linkNote ?? null;
  return [fitLine(`PCP ${up}/${input.sources.length} up ${input.sources[0].api}`), fitLine(shortError(err))];
}

/** What pre-empts the rotation, if anything. */
export function alertFor(input: ScreenInput): [string, string] | null {
  for (const src of input.sources) {
    const age = ageSec(src, input);
    if (!src.up || isStale(age, input.cfg.pollSec)) {
      const why = shortError(src.lastError ?? 'no data');
      return [fitLine(`!PCP down    ${formatAge(age)}`), fitLine(input.sources.length > 1 ? `${lcdText(src.name)} ${why}` : why)];
    }
  }
  const lim = input.cfg.alertLatencyMs;
  const src = input.sources[0];
  if (lim > 0 && src.latencyUs !== null && src.latencyUs > lim * 1000) {
    return [fitLine('!LATENCY HIGH'), fitLine(`${formatLatency(src.latencyUs)} > ${lim}ms`)];
  }
  return null;
}

export function renderSlot(slot: Slot, input: ScreenInput): Page {
  const glyphs = slot.page === 'history' ? SPARK_GLYPHS : MAIN_GLYPHS;
  const lines = slot.page === 'main' ? mainPage(input)
    : slot.page === 'iface' ? ifacePage(input, slot.index)
      : slot.page === 'host' ? hostPage(input, slot.index)
        : slot.page === 'latency' ? latencyPage(input)
          : slot.page === 'history' ? historyPage(input)
            : statusPage(input);
  return { lines, glyphs, backlight: 1 };
}

/** Expands the configured pages: one iface page per interface, one host page per source. */
export function expandPages(pages: Config['pages'], ifaces: number, sources: number): Slot[] {
  return pages.flatMap((p) => {
    const n = p.page === 'iface' ? ifaces : p.page === 'host' ? sources : 1;
    return Array.from({ length: n }, (_x, index) => ({ page: p.page, index, seconds: p.seconds }));
  });
}

/** Cycles through the slots by their durations. */
export class Rotation {
  private i = 0;
  private since: number;

  constructor(private readonly slots: Slot[], startMs: number) {
    if (slots.length === 0) throw new Error('no pages to show');
    this.since = startMs;
  }

  current(nowMs: number): Slot {
    while (nowMs - this.since >= this.slots[this.i].seconds * 1000) {
      this.since += this.slots[this.i].seconds * 1000;
      this.i = (this.i + 1) % this.slots.length;
    }
    return this.slots[this.i];
  }

  /** Moves to the next slot now, which then gets its whole time (a page switch asked for from outside). */
  skip(nowMs: number): Slot {
    this.current(nowMs);
    this.i = (this.i + 1) % this.slots.length;
    this.since = nowMs;
    return this.slots[this.i];
  }
}

/** While an alert lasts, it alternates with the main page (which then shows NA and the age). */
export const ALERT_ALTERNATE_MS = 2000;

/** The page to show now: during an alert (blinking) the alert and the main page, else the rotation's. */
export function screenNow(rotation: Rotation, input: ScreenInput): Page {
  const alert = alertFor(input);
  if (!alert) return renderSlot(rotation.current(input.nowMs), input);
  const showMain = Math.floor(input.nowMs / ALERT_ALTERNATE_MS) % 2 === 1;
  return { lines: showMain ? mainPage(input) : alert, glyphs: MAIN_GLYPHS, backlight: 2 };
}
