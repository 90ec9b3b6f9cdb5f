// Counter -> rate by the one rule of docs/rates.md, shared with the firmware's
// network mode (test/vectors/rates.json checks both): whole milliseconds of the
// server's clock, exact 64-bit deltas (BigInt), rounded half up, capped at 2^32-1.

/** The highest rate in bytes/s (the formatter's contract). */
export const RATE_CAP = (1n << 32n) - 1n;

export type RateStatus = 'first' | 'same' | 'back' | 'gap' | 'reset' | 'rate';

export type RateResult = { status: 'rate'; rates: bigint[] } | { status: Exclude<RateStatus, 'rate'> };

export interface RateOptions {
  /** The counters are 32 bits wide (the counters32 setting); else 64. */
  wraps32?: boolean;
  /** The longest interval that still gives a rate, ms (gapLimitMs). */
  maxGapMs: bigint;
}

/** Values older than this many poll intervals are stale; a rate spans at most as long (docs/rates.md). */
export const STALE_POLLS = 3;

/** STALE_POLLS poll intervals in milliseconds. */
export function gapLimitMs(pollSec: number): bigint {
  return BigInt(Math.round(pollSec * 1000)) * BigInt(STALE_POLLS);
}

/** Server time in whole milliseconds, the fraction cut off. */
export function timestampMs(ns: bigint): bigint {
  return ns / 1_000_000n;
}

/** The delta of one counter, or null for a reset (docs/rates.md: wraps and resets). */
function counterDelta(prev: bigint, now: bigint, width: bigint): bigint | null {
  if (now >= prev) return now - prev;
  const range = 1n << width;
  const d = now + range - prev;
  return prev < range && d < range / 2n ? d : null;
}

/** Turns successive samples of an interface's counters into per-second rates. */
export class CounterRates {
  private base: { tMs: bigint; counters: readonly bigint[] } | null = null;

  constructor(private readonly opts: RateOptions) {}

  update(tMs: bigint, counters: readonly bigint[]): RateResult {
    const base = this.base;
    if (base && tMs === base.tMs) return { status: 'same' };
    this.base = { tMs, counters };
    if (!base) return { status: 'first' };
    const dt = tMs - base.tMs;
    if (dt < 0n) return { status: 'back' };
    if (dt > this.opts.maxGapMs) return { status: 'gap' };
    const width = this.opts.wraps32 ? 32n : 64n;
    const deltas = counters.map((v, i) => counterDelta(base.counters[i], v, width));
    if (deltas.some((d) => d === null)) return { status: 'reset' };
    const rates = (deltas as bigint[]).map((d) => {
      const r = (d * 1000n + dt / 2n) / dt;
      return r > RATE_CAP ? RATE_CAP : r;
    });
    return { status: 'rate', rates };
  }

  /** Forget the baseline (the instance went away). */
  clear(): void {
    this.base = null;
  }
}

/** A fixed-size ring of recent values for bars and sparklines. */
export class History {
  private readonly buf: number[];
  private next = 0;
  private count = 0;

  constructor(readonly size: number) {
    this.buf = new Array<number>(size).fill(0);
  }

  push(v: number): void {
    this.buf[this.next] = v;
    this.next = (this.next + 1) % this.size;
    if (this.count < this.size) this.count++;
  }

  /** Oldest first. */
  values(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.buf[(this.next - this.count + i + this.size) % this.size]);
    return out;
  }

  get length(): number {
    return this.count;
  }
}
