// One PCP source: polls its PMWEBAPI, resolves instances by name (interfaces come
// and go), and keeps rates, latency and history. poll() never throws; failures
// become the source's state so the LCD can say what is wrong.
import type { Config, SourceConfig } from './config.ts';
import { PmwebapiClient } from './pmwebapi.ts';
import { CounterRates, History, gapLimitMs, timestampMs, type RateStatus } from './rates.ts';
import type { PcpValue } from './pmwebapi-json.ts';

export const HISTORY_LENGTH = 20;
/** Polls between lookups of a latency instance that was not there (the PMDA may appear later). */
export const LATENCY_RETRY_POLLS = 30;
/** Latency above this (ms) is not a measurement: a failed sample, kept out of min/avg/max (docs/screens.md). */
export const MAX_LATENCY_MS = 60_000;

/** One source's address plus the metric settings every source shares. */
export type SourceSettings = SourceConfig &
  Pick<
    Config,
    'iface' | 'metricIn' | 'metricOut' | 'latencyMetric' | 'latencyInstance' | 'pollSec' | 'timeoutMs' | 'counters32'
  >;

export interface IfaceState {
  name: string;
  /** What the last accepted sample gave (docs/rates.md); 'first' also while the instance is gone. */
  status: Exclude<RateStatus, 'same'>;
  /** Bytes per second; null unless status is 'rate'. */
  down: bigint | null;
  up: bigint | null;
  present: boolean;
  downHistory: History;
}

export interface LatencyStats {
  minUs: number;
  avgUs: number;
  maxUs: number;
  samples: number;
}

export interface SourceState {
  name: string;
  up: boolean;
  lastError: string | null;
  /** Monotonic ms of the last accepted sample (not a repeat of the one before), null if none yet. */
  lastGoodMs: number | null;
  /** Server sample time of the last good fetch. */
  timestampNs: bigint | null;
  ifaces: IfaceState[];
  /** Latest latency in microseconds; null = failure or not available. */
  latencyUs: number | null;
  latency: LatencyStats | null;
  api: 'pmproxy' | 'pmwebd';
  polls: number;
}

interface Tracked {
  state: IfaceState;
  rates: CounterRates;
}

function asBigInt(v: PcpValue | undefined): bigint | null {
  if (typeof v === 'bigint') return v >= 0n ? v : null;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return BigInt(v);
  return null;
}

export class Source {
  readonly client: PmwebapiClient;
  private ifaceIds: Map<string, number> | null = null;
  private latencyId: number | null | undefined = undefined;
  private readonly tracked: Tracked[];
  private readonly latHistory = new History(30);
  private readonly st: Omit<SourceState, 'ifaces' | 'api'>;

  constructor(
    readonly s: SourceSettings,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.client = new PmwebapiClient({
      url: s.url.replace(/\/+$/, ''),
      hostspec: s.hostspec,
      api: s.api,
      timeoutMs: s.timeoutMs,
      // The context must survive a missed poll or two.
      pollTimeoutSec: Math.max(10, Math.ceil(s.pollSec * 5)),
      maxBodyBytes: 256 * 1024,
    });
    const maxGapMs = gapLimitMs(s.pollSec);
    this.tracked = s.iface.map((name) => ({
      state: { name, status: 'first', down: null, up: null, present: false, downHistory: new History(HISTORY_LENGTH) },
      rates: new CounterRates({ wraps32: s.counters32, maxGapMs }),
    }));
    this.st = {
      name: s.name,
      up: false,
      lastError: null,
      lastGoodMs: null,
      timestampNs: null,
      latencyUs: null,
      latency: null,
      polls: 0,
    };
  }

  state(): SourceState {
    return { ...this.st, ifaces: this.tracked.map((t) => t.state), api: this.client.apiForm };
  }

  /** Metric names fetched each poll. */
  private names(): string[] {
    const n = [this.s.metricIn, this.s.metricOut, this.s.latencyMetric];
    if (this.s.latencyMetric.startsWith('shping.')) n.push('shping.status');
    return n;
  }

  async poll(): Promise<void> {
    this.st.polls++;
    try {
      if (!this.ifaceIds) this.ifaceIds = await this.client.indom(this.s.metricIn);
      if (this.latencyId === null && this.st.polls % LATENCY_RETRY_POLLS === 0) this.latencyId = undefined;
      if (this.latencyId === undefined) {
        try {
          this.latencyId = (await this.client.indom(this.s.latencyMetric)).get(this.s.latencyInstance) ?? null;
        } catch {
          this.latencyId = null; // no such metric (PMDA not installed): latency shows NA
        }
      }
      const r = await this.client.fetch(this.names());
      const tMs = timestampMs(r.timestampNs);
      // The same sample again (a server cache, a stuck agent) is no news: it must not keep the values fresh.
      const repeat = this.st.timestampNs !== null && timestampMs(this.st.timestampNs) === tMs;
      let missing = false;
      for (const t of this.tracked) {
        const id = this.ifaceIds.get(t.state.name);
        const vin = id === undefined ? null : asBigInt(r.values.get(this.s.metricIn)?.get(id));
        const vout = id === undefined ? null : asBigInt(r.values.get(this.s.metricOut)?.get(id));
        if (vin === null || vout === null) {
          // Gone (or never there): forget the baseline and look the names up again next time.
          missing = true;
          t.state.present = false;
          t.state.status = 'first';
          t.state.down = t.state.up = null;
          t.rates.clear();
          continue;
        }
        t.state.present = true;
        const res = t.rates.update(tMs, [vin, vout]);
        if (res.status === 'same') continue;
        // Every other status replaces what is shown: an old rate never stays on as fresh.
        t.state.status = res.status;
        [t.state.down, t.state.up] = res.status === 'rate' ? res.rates : [null, null];
        if (t.state.down !== null) t.state.downHistory.push(Number(t.state.down));
      }
      if (missing) this.ifaceIds = null;
      this.updateLatency(r.values);
      this.st.up = true;
      this.st.lastError = repeat ? 'sample repeated' : null;
      if (!repeat) this.st.lastGoodMs = this.now();
      this.st.timestampNs = r.timestampNs;
    } catch (e) {
      this.st.up = false;
      this.st.lastError = (e as Error).message;
      this.ifaceIds = null;
      this.latencyId = undefined;
    }
  }

  private updateLatency(values: Map<string, Map<number, PcpValue>>): void {
    const id = this.latencyId;
    const v = id == null ? undefined : values.get(this.s.latencyMetric)?.get(id);
    const status = id == null ? undefined : values.get('shping.status')?.get(id);
    const failed =
      typeof v !== 'number' && typeof v !== 'bigint'
        ? true
        : !(Number(v) >= 0 && Number(v) <= MAX_LATENCY_MS) ||
          (status !== undefined && status !== null && Number(status) !== 0);
    this.st.latencyUs = failed ? null : Math.round(Number(v) * 1000);
    if (this.st.latencyUs !== null) this.latHistory.push(this.st.latencyUs);
    const h = this.latHistory.values();
    this.st.latency =
      h.length === 0
        ? null
        : {
            minUs: Math.min(...h),
            maxUs: Math.max(...h),
            avgUs: Math.round(h.reduce((a, b) => a + b, 0) / h.length),
            samples: h.length,
          };
  }
}
