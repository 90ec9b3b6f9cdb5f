// Retry pacing for a failing PMWEBAPI source, the rule of docs/backoff.md (the
// firmware's network mode follows the same rule): after the n-th failure in a row
// wait a uniformly random time in [d/2, d] with d = min(cap, poll * 2^(n-1)); a
// success goes back to the poll interval. Pure: the clock and the random source
// are injected, so tests can check the bounds exactly.

/** The longest back-off step, whatever the poll interval. */
export const BACKOFF_CAP_MS = 60_000;

export interface BackoffOptions {
  /** The poll interval: the base delay. */
  pollMs: number;
  capMs?: number;
  /** Uniform in [0, 1). */
  random?: () => number;
  now?: () => number;
}

/** d for the n-th consecutive failure (n >= 1): min(cap, poll * 2^(n-1)). */
export function backoffStepMs(failures: number, pollMs: number, capMs = BACKOFF_CAP_MS): number {
  if (failures < 1) return pollMs;
  // 2^(n-1) overflows to Infinity long after the cap wins; min() keeps it finite.
  return Math.min(capMs, pollMs * 2 ** Math.min(failures - 1, 1023));
}

export class Backoff {
  private failures = 0;
  private nextMs: number | null = null;
  private readonly capMs: number;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(private readonly o: BackoffOptions) {
    this.capMs = o.capMs ?? BACKOFF_CAP_MS;
    this.random = o.random ?? Math.random;
    this.now = o.now ?? (() => performance.now());
  }

  /** Consecutive failures so far (0 after a success). */
  get failureCount(): number {
    return this.failures;
  }

  /** When the next attempt may start (monotonic ms); null = at the next poll. */
  get nextAttemptMs(): number | null {
    return this.nextMs;
  }

  /** May an attempt start now? */
  due(nowMs = this.now()): boolean {
    return this.nextMs === null || nowMs >= this.nextMs;
  }

  /** Records a failed attempt; returns the wait before the next one. */
  failed(nowMs = this.now()): number {
    this.failures++;
    const d = backoffStepMs(this.failures, this.o.pollMs, this.capMs);
    // A broken random source must not shorten the wait below d/2 or stretch it past d.
    const x = this.random();
    const r = Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 1;
    const wait = d / 2 + r * (d / 2);
    this.nextMs = nowMs + wait;
    return wait;
  }

  /** Records a good attempt: back to the poll interval. */
  succeeded(): void {
    this.failures = 0;
    this.nextMs = null;
  }
}
