// The shared screen formatting rules of docs/screens.md. The firmware's network
// mode implements the same rules in C++; both are checked against
// test/vectors/screen-format.json, so every function here is integer-only.
import { type Geometry, geometryName } from './geometry.ts';
import { RATE_CAP, type RateStatus, STALE_POLLS } from './rates.ts';

export { STALE_POLLS };

/** CGRAM codes of glyph set "main" (docs/screens.md). */
export const GLYPH_DOWN = '\x00';
export const GLYPH_UP = '\x01';
/** Glyph 2..5 are bars of 1..4 columns. */
const GLYPH_BAR_FIRST = 2;
/** The ROM's all-pixels-on character. */
export const FULL_BLOCK = '\xff';

export const LINE_WIDTH = 16;
export const BAR_CELLS = 9;
const COLUMNS_PER_CELL = 5;

export type Units = 'bits' | 'bytes';

const UNIT_PREFIXES = ['k', 'M', 'G', 'T'];

/** A rate per second in 5 characters with SI steps of 1000 (0 <= n < 2^32 in the contract). */
export function formatRate(n: number | bigint): string {
  const v = BigInt(n);
  if (v < 0n) throw new RangeError(`rate must not be negative: ${n}`);
  if (v < 1000n) return v.toString().padStart(5);
  let base = 1n;
  for (const unit of UNIT_PREFIXES) {
    base *= 1000n;
    if (v < 10n * base) {
      const q = (v * 100n + base / 2n) / base;
      if (q < 1000n) return `${q / 100n}.${(q % 100n).toString().padStart(2, '0')}${unit}`;
    }
    if (v < 100n * base) {
      const q = (v * 10n + base / 2n) / base;
      if (q < 1000n) return `${q / 10n}.${q % 10n}${unit}`;
    }
    if (v < 1000n * base) {
      const q = (v + base / 2n) / base;
      if (q < 1000n) return `${q.toString().padStart(4)}${unit}`;
    }
  }
  throw new RangeError(`rate too large to show: ${n}`);
}

/** Latency in integer microseconds in 6 characters; null or negative is a failure. */
export function formatLatency(us: number | null): string {
  if (us === null || !Number.isFinite(us) || us < 0) return '  NA  ';
  const v = Math.trunc(us);
  if (v < 9950) {
    const q = Math.trunc((v + 50) / 100);
    return `${`${Math.trunc(q / 10)}.${q % 10}`.padStart(4)}ms`;
  }
  if (v < 9999500) return `${String(Math.trunc((v + 500) / 1000)).padStart(4)}ms`;
  return '  >10s';
}

/** Latency in 4 characters for min/avg/max (docs/screens.md "Latency, short"): no unit, `>10s`, `  NA`. */
export function formatLatencyShort(us: number | null): string {
  const l = formatLatency(us);
  return l === '  >10s' ? '>10s' : l.slice(0, 4);
}

/** A bar of `cells` cells (9 on the 16x2 main screen) of n against capacity c (same units). */
export function formatBar(n: number | bigint, c: number | bigint, cells = BAR_CELLS): string {
  const cap = BigInt(c);
  if (cap <= 0n) return ' '.repeat(cells);
  const maxCols = BigInt(cells * COLUMNS_PER_CELL);
  let cols = (BigInt(n) * maxCols) / cap;
  if (cols > maxCols) cols = maxCols;
  if (cols < 0n) cols = 0n;
  const full = (Number(cols) / COLUMNS_PER_CELL) | 0;
  const rest = Number(cols) % COLUMNS_PER_CELL;
  let s = FULL_BLOCK.repeat(full);
  if (rest > 0) s += String.fromCharCode(GLYPH_BAR_FIRST + rest - 1);
  return s.padEnd(cells);
}

/** Seconds since the last good sample in 3 characters. */
export function formatAge(s: number): string {
  const v = Math.max(0, Math.trunc(s));
  if (v < 60) return `${String(v).padStart(2)}s`;
  if (v < 3600) return `${String(Math.trunc(v / 60)).padStart(2)}m`;
  if (v < 86400) return `${String(Math.trunc(v / 3600)).padStart(2)}h`;
  return '>1d';
}

/** A rate in bytes/s as shown: bytes, or bits capped at 2^32-1 (docs/rates.md). */
export function shownRate(bytesPerSec: bigint, units: Units): bigint {
  const v = units === 'bits' ? bytesPerSec * 8n : bytesPerSec;
  return v > RATE_CAP ? RATE_CAP : v;
}

export function unitLabel(units: Units): string {
  return units === 'bits' ? 'bps' : 'B/s';
}

export interface MainScreenInput {
  /** Rates and capacity in the displayed unit (bit/s or byte/s). */
  down: number | bigint;
  up: number | bigint;
  capDown: number | bigint;
  units: Units;
  /** Latency in microseconds; null or negative = failure. */
  latencyUs: number | null;
  /** Seconds since the last good sample, and the poll interval: stale when age > 3 * poll. */
  ageSec: number;
  pollSec: number;
}

export function isStale(ageSec: number, pollSec: number): boolean {
  return ageSec > STALE_POLLS * pollSec;
}

/** Line 1 instead of the rates after a sample that gave none (docs/rates.md). */
const NO_RATE_LINE: Record<'reset' | 'back' | 'gap', string> = {
  reset: 'counter reset',
  back: 'clock went back',
  gap: 'time jump or gap',
};

/** Line 1 of the main screen after a sample with this status; down/up in the displayed unit. */
export function formatRateLine(
  status: Exclude<RateStatus, 'same'>,
  down: number | bigint,
  up: number | bigint,
  units: Units,
): string {
  if (status === 'rate') return `${GLYPH_DOWN}${formatRate(down)} ${GLYPH_UP}${formatRate(up)}${unitLabel(units)}`;
  if (status === 'first') return `${GLYPH_DOWN}  NA  ${GLYPH_UP}  NA ${unitLabel(units)}`;
  return NO_RATE_LINE[status].padEnd(LINE_WIDTH);
}

/** The main screen of docs/screens.md as two 16-character lines. */
export function formatMainScreen(i: MainScreenInput): [string, string] {
  if (isStale(i.ageSec, i.pollSec)) {
    return [`${GLYPH_DOWN}  NA  ${GLYPH_UP}  NA ${formatAge(i.ageSec)}`, `  NA   ${' '.repeat(BAR_CELLS)}`];
  }
  return [
    formatRateLine('rate', i.down, i.up, i.units),
    `${formatLatency(i.latencyUs)} ${formatBar(i.down, i.capDown)}`,
  ];
}

export interface ScreenFields {
  /** What the last sample gave (docs/rates.md): 'rate', or why there is none. */
  status: Exclude<RateStatus, 'same'>;
  /** Rates and capacities in the displayed unit (bit/s or byte/s). */
  down: number | bigint;
  up: number | bigint;
  capDown: number | bigint;
  capUp: number | bigint;
  units: Units;
  /** Latency and its min/avg/max over the last 30 good samples, in microseconds; null = failed / none. */
  latencyUs: number | null;
  minUs: number | null;
  avgUs: number | null;
  maxUs: number | null;
  /** `<iface>@<host>`, already ROM-safe (lcdText). */
  source: string;
  ageSec: number;
  pollSec: number;
}

/**
 * The main screen for any of the LCD sizes of docs/screens.md ("Screens for every
 * geometry"): one string per row, each as wide as the LCD. The 16x2 one is
 * formatMainScreen's screen; test/vectors/screens-geometry.json holds them all.
 */
export function formatScreen(g: Geometry, i: ScreenFields): string[] {
  const stale = isStale(i.ageSec, i.pollSec);
  const rates = !stale && i.status === 'rate';
  const rate = (n: number | bigint) => (rates ? formatRate(n) : '  NA ');
  const bar = (n: number | bigint, c: number | bigint, cells: number) =>
    rates ? formatBar(n, c, cells) : ' '.repeat(cells);
  const lat = stale ? '  NA  ' : formatLatency(i.latencyUs);
  const short = (us: number | null) => (stale ? '  NA' : formatLatencyShort(us));
  const label = unitLabel(i.units);
  const age = formatAge(i.ageSec);
  // reset / back / gap put their text in the first 16 cells of row 1; stale wins over them.
  const why = !stale && i.status !== 'rate' && i.status !== 'first' ? NO_RATE_LINE[i.status].padEnd(LINE_WIDTH) : null;
  const size = geometryName(g);
  switch (size) {
    case '16x2':
      if (stale) return formatMainScreen({ ...i, latencyUs: null });
      return [
        why ?? `${GLYPH_DOWN}${rate(i.down)} ${GLYPH_UP}${rate(i.up)}${label}`,
        `${lat} ${bar(i.down, i.capDown, BAR_CELLS)}`,
      ];
    case '20x2':
      return [
        `${why ?? `${GLYPH_DOWN}${rate(i.down)} ${GLYPH_UP}${rate(i.up)}${label}`} ${age}`,
        `${lat}${GLYPH_DOWN}${bar(i.down, i.capDown, 6)}${GLYPH_UP}${bar(i.up, i.capUp, 6)}`,
      ];
    case '16x4':
      return [
        why ?? `${GLYPH_DOWN}${rate(i.down)}${label} ${bar(i.down, i.capDown, 6)}`,
        `${GLYPH_UP}${rate(i.up)}${label} ${bar(i.up, i.capUp, 6)}`,
        `${lat} ${short(i.minUs)}/${short(i.maxUs)}`,
        `${i.source.slice(0, 12).padEnd(12)} ${age}`,
      ];
    case '20x4':
      return [
        why ? why.padEnd(20) : `${GLYPH_DOWN}${rate(i.down)}${label} ${bar(i.down, i.capDown, 10)}`,
        `${GLYPH_UP}${rate(i.up)}${label} ${bar(i.up, i.capUp, 10)}`,
        `${lat}${short(i.minUs)}/${short(i.avgUs)}/${short(i.maxUs)}`,
        `${i.source.slice(0, 16).padEnd(16)} ${age}`,
      ];
    default:
      throw new RangeError(`no main screen for a ${size} LCD`);
  }
}

/** The one placeholder for a character the HD44780 A00 ROM cannot show (docs/screens.md). */
export const PLACEHOLDER = '?';

/**
 * Text from outside (names, server messages) as the glass can show it: printable ASCII
 * stays, every other code point (controls, DEL, non-ASCII, an emoji) becomes one `?`.
 */
export function lcdText(s: string): string {
  let out = '';
  for (const ch of s) out += ch.length === 1 && ch >= ' ' && ch <= '~' ? ch : PLACEHOLDER;
  return out;
}

/** Pads or cuts text to exactly one LCD line of `width` cells. */
export function fitLine(s: string, width = LINE_WIDTH): string {
  return s.length >= width ? s.slice(0, width) : s.padEnd(width);
}
