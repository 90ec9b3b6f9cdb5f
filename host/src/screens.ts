// Pages and rotation, for every LCD size of docs/screens.md (16x2, 20x2, 16x4, 20x4).
// The main page follows docs/screens.md exactly (formatScreen, checked against the
// shared vectors); the other pages reuse its 5/6-character fields so columns stay put,
// use the width they get, and on four rows add what fits (bars, a taller sparkline,
// the error in full). Each page names one glyph set. An alert (source down, latency
// over the threshold) pre-empts the rotation until it clears.
import {
  GLYPH_DOWN,
  GLYPH_UP,
  fitLine,
  formatAge,
  formatBar,
  formatLatency,
  formatLatencyShort,
  formatRate,
  formatScreen,
  isStale,
  lcdText,
  shownRate,
  unitLabel,
  type Units,
} from './format.ts';
import { DEFAULT_GEOMETRY, type Geometry } from './geometry.ts';
import { MAIN_GLYPHS, SPARK_GLYPHS, type GlyphSet } from './glyphs.ts';
import type { Config, PageName } from './config.ts';
import type { SourceState } from './source.ts';
import type { Backlight } from './serial-link.ts';

export interface Page {
  /** One string per row of the geometry, each as wide as the LCD. */
  lines: string[];
  glyphs: GlyphSet;
  backlight: Backlight;
}

export interface ScreenInput {
  cfg: Pick<Config, 'units' | 'capDown' | 'capUp' | 'pollSec' | 'alertLatencyMs'>;
  sources: SourceState[];
  /** Monotonic ms now, and when the bridge started (the age of a source never seen). */
  nowMs: number;
  startMs: number;
  /** The LCD's size; 16x2 when not given. */
  geometry?: Geometry;
}

/** A rotation entry: a page, and which interface / source it is about. */
export interface Slot {
  page: PageName;
  index: number;
  seconds: number;
}

function capacity(bitsPerSec: number, units: Units): bigint {
  return BigInt(Math.floor(units === 'bits' ? bitsPerSec : bitsPerSec / 8));
}

export function ageSec(src: SourceState, input: ScreenInput): number {
  return Math.floor((input.nowMs - (src.lastGoodMs ?? input.startMs)) / 1000);
}

function rateOrNA(v: bigint | null, units: Units): string {
  return v === null ? '  NA ' : formatRate(shownRate(v, units));
}

function geometryOf(input: ScreenInput): Geometry {
  return input.geometry ?? DEFAULT_GEOMETRY;
}

/** Rows padded with blank rows up to the geometry's count, each fitted to its width. */
function fill(g: Geometry, rows: string[]): string[] {
  return Array.from({ length: g.rows }, (_x, r) => fitLine(rows[r] ?? '', g.cols));
}

/** Text over `rows` rows of `width` cells, cut at the last cell (names and messages are ROM-safe already). */
function wrap(text: string, width: number, rows: number): string[] {
  return Array.from({ length: rows }, (_x, r) => fitLine(text.slice(r * width, (r + 1) * width), width));
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

/** The main screen of docs/screens.md for the input's geometry. */
export function mainPage(input: ScreenInput): string[] {
  const src = input.sources[0];
  const iface = src.ifaces[0];
  const { units, capDown, capUp, pollSec } = input.cfg;
  const hasRate = iface !== undefined && iface.status === 'rate' && iface.down !== null && iface.up !== null;
  // Fresh data without a rate: row 1 says why (docs/rates.md); a rate status without values is a first sample.
  const status = hasRate ? 'rate' : !iface || iface.status === 'rate' ? 'first' : iface.status;
  const l = src.latency;
  return formatScreen(geometryOf(input), {
    status,
    down: hasRate ? shownRate(iface.down!, units) : 0,
    up: hasRate ? shownRate(iface.up!, units) : 0,
    capDown: capacity(capDown, units),
    capUp: capacity(capUp, units),
    units,
    latencyUs: src.latencyUs,
    minUs: l?.minUs ?? null,
    avgUs: l?.avgUs ?? null,
    maxUs: l?.maxUs ?? null,
    source: lcdText(`${iface?.name ?? ''}@${src.name}`),
    ageSec: ageSec(src, input),
    pollSec,
  });
}

function ifacePage(input: ScreenInput, index: number): string[] {
  const g = geometryOf(input);
  const src = input.sources[0];
  const iface = src.ifaces[index];
  const { units } = input.cfg;
  const age = ageSec(src, input);
  const stale = isStale(age, input.cfg.pollSec);
  const name = lcdText(iface.present ? iface.name : `${iface.name} gone`);
  const down = stale ? null : iface.down;
  const up = stale ? null : iface.up;
  const rows = [
    `${name.slice(0, g.cols - 4).padEnd(g.cols - 4)} ${stale ? formatAge(age) : unitLabel(units)}`,
    `${GLYPH_DOWN}${rateOrNA(down, units)} ${GLYPH_UP}${rateOrNA(up, units)}`,
  ];
  if (g.rows >= 4) {
    // Utilisation bars against the configured capacities, one row each.
    const bar = (v: bigint | null, cap: number) =>
      v === null ? '' : formatBar(shownRate(v, units), capacity(cap, units), g.cols - 1);
    rows.push(`${GLYPH_DOWN}${bar(down, input.cfg.capDown)}`, `${GLYPH_UP}${bar(up, input.cfg.capUp)}`);
  }
  return fill(g, rows);
}

function hostPage(input: ScreenInput, index: number): string[] {
  const g = geometryOf(input);
  const src = input.sources[index];
  const age = ageSec(src, input);
  const stale = isStale(age, input.cfg.pollSec);
  const iface = src.ifaces[0];
  const { units } = input.cfg;
  const rows = [
    `${lcdText(src.name)
      .slice(0, g.cols - 5)
      .padEnd(g.cols - 5)} ${src.up ? '  up' : 'down'}`,
    `${stale ? '  NA  ' : formatLatency(src.latencyUs)} ${GLYPH_DOWN}${rateOrNA(stale ? null : (iface?.down ?? null), units)}${stale ? formatAge(age) : unitLabel(units)}`,
  ];
  if (g.rows >= 4) {
    rows.push(
      `${' '.repeat(7)}${GLYPH_UP}${rateOrNA(stale ? null : (iface?.up ?? null), units)}${unitLabel(units)}`,
      shortError(src.lastError),
    );
  }
  return fill(g, rows);
}

function latencyPage(input: ScreenInput): string[] {
  const g = geometryOf(input);
  const src = input.sources[0];
  const l = src.latency;
  // 16 columns: three fields of 5; 20 columns: three of 6 and the unit.
  const field = g.cols >= 20 ? 6 : 5;
  const values = l
    ? `${[l.minUs, l.avgUs, l.maxUs].map((us) => formatLatencyShort(us).padStart(field)).join('')}${g.cols >= 20 ? 'ms' : ''}`
    : ' no samples';
  const rows = ['ping min/avg/max', values];
  if (g.rows >= 4) rows.push(`last ${formatLatency(src.latencyUs)}`, l ? `${l.samples} samples` : '');
  return fill(g, rows);
}

/**
 * Downlink history: a sparkline, one cell per poll (the newest on the right), scaled to
 * its own maximum; on four rows it is three rows tall (24 levels instead of 8).
 */
function historyPage(input: ScreenInput): string[] {
  const g = geometryOf(input);
  const iface = input.sources[0].ifaces[0];
  const h = (iface?.downHistory.values() ?? []).slice(-g.cols);
  const max = Math.max(0, ...h);
  const top = max === 0 ? '    0' : formatRate(shownRate(BigInt(Math.round(max)), input.cfg.units));
  const tall = g.rows >= 4 ? g.rows - 1 : 1;
  const levels = 8 * tall;
  const heights = h.map((v) => (max === 0 || v <= 0 ? 0 : Math.min(levels, Math.ceil((v * levels) / max))));
  const chart: string[] = [];
  for (let r = tall - 1; r >= 0; r--) {
    // Row r from the bottom holds levels 8r+1 .. 8r+8: glyph n is n+1 pixels high.
    const cells = heights.map((ht) => {
      const inRow = ht - 8 * r;
      return inRow <= 0 ? ' ' : String.fromCharCode(Math.min(8, inRow) - 1);
    });
    chart.push(cells.join('').padStart(g.cols));
  }
  return fill(g, [`rx max ${top}${unitLabel(input.cfg.units)}`, ...chart]);
}

function statusPage(input: ScreenInput): string[] {
  const g = geometryOf(input);
  const up = input.sources.filter((s) => s.up).length;
  const err = input.sources.find((s) => s.lastError)?.lastError ?? null;
  const head = `PCP ${up}/${input.sources.length} up ${input.sources[0].api}`;
  // On four rows the whole message fits more often; two rows keep its useful end.
  const text = g.rows >= 4 && err && lcdText(err).length <= g.cols * (g.rows - 1) ? lcdText(err) : shortError(err);
  return fill(g, [head, ...wrap(text, g.cols, g.rows - 1)]);
}

/** What pre-empts the rotation, if anything. */
export function alertFor(input: ScreenInput): string[] | null {
  const g = geometryOf(input);
  for (const src of input.sources) {
    const age = ageSec(src, input);
    if (!src.up || isStale(age, input.cfg.pollSec)) {
      const why = shortError(src.lastError ?? 'no data');
      const head = `${'!PCP down'.padEnd(g.cols - 3)}${formatAge(age)}`;
      if (g.rows >= 4) {
        return fill(g, [head, lcdText(src.name), ...wrap(lcdText(src.lastError ?? 'no data'), g.cols, g.rows - 2)]);
      }
      return fill(g, [head, input.sources.length > 1 ? `${lcdText(src.name)} ${why}` : why]);
    }
  }
  const lim = input.cfg.alertLatencyMs;
  const src = input.sources[0];
  if (lim > 0 && src.latencyUs !== null && src.latencyUs > lim * 1000) {
    const l = src.latency;
    const rows = ['!LATENCY HIGH', `${formatLatency(src.latencyUs)} > ${lim}ms`];
    if (g.rows >= 4 && l) rows.push('min/avg/max', [l.minUs, l.avgUs, l.maxUs].map(formatLatencyShort).join('/'));
    return fill(g, rows);
  }
  return null;
}

export function renderSlot(slot: Slot, input: ScreenInput): Page {
  const glyphs = slot.page === 'history' ? SPARK_GLYPHS : MAIN_GLYPHS;
  const lines =
    slot.page === 'main'
      ? mainPage(input)
      : slot.page === 'iface'
        ? ifacePage(input, slot.index)
        : slot.page === 'host'
          ? hostPage(input, slot.index)
          : slot.page === 'latency'
            ? latencyPage(input)
            : slot.page === 'history'
              ? historyPage(input)
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

  constructor(
    private readonly slots: Slot[],
    startMs: number,
  ) {
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
