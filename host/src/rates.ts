// Counter -> rate like pmval/pmrep: (v2 - v1) / (t2 - t1) over the server's own
// sample timestamps. Integer maths throughout (BigInt) so 64-bit counters keep
// every digit.

const NS_PER_S = 1_000_000_000n;
const WRAP_32 = 1n << 32n;

export interface CounterOptions {
  /** The counter is 32 bits wide (PCP type u32, or a 32-bit kernel): a decrease is a wrap. */
  wraps32?: boolean;
  /** A gap longer than this gives no rate (an average over an outage would mislead). */
  maxGapNs?: bigint;
}

export type RateResult =
  | { kind: 'rate'; perSecond: bigint }
  | { kind: 'first' | 'reset' | 'gap' | 'stale-time' };

/** Turns successive samples of one counter into per-second rates. */
export class CounterRate {
  private prev: { value: bigint; ts: bigint } | null = null;

  constructor(private readonly opts: CounterOptions = {}) {}

  update(value: bigint, timestampNs: bigint): RateResult {
    const prev = this.prev;
    if (prev && timestampNs <= prev.ts) return { kind: 'stale-time' }; // same sample again, or clock went back
    this.prev = { value, ts: timestampNs };
    if (!prev) return { kind: 'first' };
    const dt = timestampNs - prev.ts;
    if (this.opts.maxGapNs !== undefined && dt > this.opts.maxGapNs) return { kind: 'gap' };
    let delta = value - prev.value;
    if (delta < 0n) {
      if (!this.opts.wraps32 || prev.value >= WRAP_32) return { kind: 'reset' };
      delta += WRAP_32;
    }
    return { kind: 'rate', perSecond: (delta * NS_PER_S + dt / 2n) / dt };
  }

  /** Forget the baseline (the instance went away). */
  clear(): void {
    this.prev = null;
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
