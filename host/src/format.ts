// The shared screen formatting rules of docs/screens.md. The firmware's network
// mode implements the same rules in C++; both are checked against
// test/vectors/screen-format.json, so every function here is integer-only.
import { type RateStatus, STALE_POLLS } from './rates.ts';

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
    return `${Math.trunc(q / 10)}.${q % 10}`.padStart(4) + 'ms';
  }
  if (v < 9999500) return String(Math.trunc((v + 500) / 1000)).padStart(4) + 'ms';
  return '  >10s';
}

/** A 9-cell bar of n against capacity c (same units). */
export function formatBar(n: number | bigint, c: number | bigint): string {
  const cap = BigInt(c);
  if (cap <= 0n) return ' '.repeat(BAR_CELLS);
  const maxCols = BigInt(BAR_CELLS * COLUMNS_PER_CELL);
  let cols = (BigInt(n) * maxCols) / cap;
  if (cols > maxCols) cols = maxCols;
  if (cols < 0n) cols = 0n;
  const full = Number(cols) / COLUMNS_PER_CELL | 0;
  const rest = Number(cols) % COLUMNS_PER_CELL;
  let s = FULL_BLOCK.repeat(full);
  if (rest > 0) s += String.fromCharCode(GLYPH_BAR_FIRST + rest - 1);
  return s.padEnd(BAR_CELLS);
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
  return v > MAX_SHOWN ? MAX_SHOWN : v;
}
const MAX_SHOWN = (1n << 32n) - 1n;

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
  reset: 'counter reset', back: 'clock went back', gap: 'time jump or gap',
};

/** Line 1 of the main screen after a sample with this status; down/up in the displayed unit. */
export function formatRateLine(status: Exclude<RateStatus, 'same'>, down: number | bigint, up: number | bigint, units: Units): string {
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

/** Pads or cuts text to exactly one LCD line. */
export function fitLine(s: string): string {
  return s.length >= LINE_WIDTH ? s.slice(0, LINE_WIDTH) : s.padEnd(LINE_WIDTH);
}
