// PMWEBAPI client: one context per source, reused across polls. Speaks the modern
// pmproxy form (/pmapi/context + /pmapi/fetch?context=N) and the legacy pmwebd
// form (/pmapi/N/_fetch), detected on the first fetch or fixed by configuration.
import { escapeControl } from './log.ts';
import { errorMessage, parseContext, parseFetch, parseIndom, type FetchResult } from './pmwebapi-json.ts';

export type ApiForm = 'auto' | 'pmproxy' | 'pmwebd';

export interface PmwebapiOptions {
  /** Base URL, e.g. http://127.0.0.1:44322 */
  url: string;
  hostspec: string;
  api: ApiForm;
  /** Per-request timeout. */
  timeoutMs: number;
  /** Context lifetime asked of the server; must outlive the poll interval. */
  pollTimeoutSec: number;
  /** Bodies larger than this are refused (a fetch of a few metrics is < 1 KB). */
  maxBodyBytes: number;
}

export class PmwebapiError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

interface Reply {
  status: number;
  text: string;
  json: boolean;
}

/** Modern and legacy servers both name the lost context in a 400 reply. */
function isContextLost(r: Reply): boolean {
  return r.status === 400 && /(unknown|expired) context identifier|illegal context/i.test(r.text);
}

/** A 404 or an HTML "unknown servlet" means the server does not have this endpoint form. */
function isUnknownEndpoint(r: Reply): boolean {
  return r.status === 404 || (r.status === 400 && !r.json && !/context/i.test(r.text));
}

export class PmwebapiClient {
  private context: number | null = null;
  private form: 'pmproxy' | 'pmwebd';
  private formKnown: boolean;
  /** Contexts this poll may still create; null = no limit (until beginPoll is first called). */
  private contextBudget: number | null = null;

  constructor(readonly opts: PmwebapiOptions) {
    this.form = opts.api === 'pmwebd' ? 'pmwebd' : 'pmproxy';
    this.formKnown = opts.api !== 'auto';
  }

  /** The API form in use ('pmproxy' until detection says otherwise). */
  get apiForm(): 'pmproxy' | 'pmwebd' {
    return this.form;
  }

  get contextId(): number | null {
    return this.context;
  }

  async fetch(names: string[]): Promise<FetchResult> {
    const q = `names=${names.map(encodeURIComponent).join(',')}`;
    const r = await this.withContext((ctx) =>
      this.form === 'pmwebd' ? `/pmapi/${ctx}/_fetch?${q}` : `/pmapi/fetch?context=${ctx}&${q}`,
    );
    // Only a good fetch settles the form: pmproxy answers the legacy indom form too.
    this.formKnown = true;
    return parseFetch(r.text);
  }

  /** Instance name -> id of the metric's instance domain. */
  async indom(metric: string): Promise<Map<string, number>> {
    const q = `name=${encodeURIComponent(metric)}`;
    const r = await this.withContext((ctx) =>
      this.form === 'pmwebd' ? `/pmapi/${ctx}/_indom?${q}` : `/pmapi/indom?context=${ctx}&${q}`,
    );
    return parseIndom(r.text);
  }

  /**
   * Starts a poll: from now on at most one new context per poll (docs/backoff.md), so a
   * server that loses every context is not asked for a new one on every request.
   */
  beginPoll(): void {
    this.contextBudget = 1;
  }

  /** Forgets the context (e.g. after the server was restarted). */
  reset(): void {
    this.context = null;
  }

  private async withContext(path: (ctx: number) => string): Promise<Reply> {
    for (let attempt = 0; ; attempt++) {
      const ctx = await this.ensureContext();
      const r = await this.get(path(ctx));
      if (r.status === 200) return r;
      if (attempt === 0 && isContextLost(r)) {
        this.context = null;
        continue;
      }
      if (attempt === 0 && !this.formKnown && this.form === 'pmproxy' && isUnknownEndpoint(r)) {
        this.form = 'pmwebd';
        this.formKnown = true;
        this.context = null;
        // The legacy form needs its own context; this happens once in a client's life.
        if (this.contextBudget !== null) this.contextBudget++;
        continue;
      }
      throw new PmwebapiError(`HTTP ${r.status}: ${errorMessage(r.text)}`, r.status);
    }
  }

  private async ensureContext(): Promise<number> {
    if (this.context !== null) return this.context;
    if (this.contextBudget !== null) {
      if (this.contextBudget <= 0) throw new PmwebapiError('context: lost again, a new one next poll');
      this.contextBudget--;
    }
    const host = encodeURIComponent(this.opts.hostspec);
    const key = this.form === 'pmwebd' ? 'hostname' : 'hostspec';
    const r = await this.get(`/pmapi/context?${key}=${host}&polltimeout=${this.opts.pollTimeoutSec}`);
    if (r.status !== 200) throw new PmwebapiError(`context: HTTP ${r.status}: ${errorMessage(r.text)}`, r.status);
    try {
      this.context = parseContext(r.text);
    } catch (e) {
      throw new PmwebapiError(`context: ${(e as Error).message}`, r.status);
    }
    return this.context;
  }

  private async get(path: string): Promise<Reply> {
    let res: Response;
    try {
      // Never follow a redirect: its target's data would be shown as this source's.
      res = await fetch(this.opts.url + path, { signal: AbortSignal.timeout(this.opts.timeoutMs), redirect: 'manual' });
    } catch (e) {
      throw new PmwebapiError(describeFetchError(e));
    }
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel().catch(() => {});
      const to = describeLocation(res.headers.get('location'));
      throw new PmwebapiError(`HTTP ${res.status}: redirect refused, to ${to}`, res.status);
    }
    const text = await readBounded(res, this.opts.maxBodyBytes);
    const json = (res.headers.get('content-type') ?? '').includes('json');
    return { status: res.status, text, json };
  }
}

/** A Location for the logs: credentials dropped, control characters escaped, bounded. */
function describeLocation(loc: string | null): string {
  if (loc === null) return '(no Location)';
  let text = loc;
  try {
    const u = new URL(loc);
    if (u.username || u.password) {
      u.username = '';
      u.password = '';
      text = u.href;
    }
  } catch {
    // not an absolute URL: shown as it came, escaped (no credentials can hide in a relative one)
  }
  return escapeControl(text.slice(0, 200));
}

function describeFetchError(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return 'request timed out';
  if (err.cause?.code) return `connection failed: ${err.cause.code}`;
  return `request failed: ${err.cause?.message ?? err.message ?? String(e)}`;
}

async function readBounded(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > max) {
    await res.body?.cancel();
    throw new PmwebapiError(`reply too large: ${declared} bytes (limit ${max})`, res.status);
  }
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > max) {
        await reader.cancel();
        throw new PmwebapiError(`reply too large: over ${max} bytes`, res.status);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof PmwebapiError) throw e;
    throw new PmwebapiError(describeFetchError(e));
  }
  return Buffer.concat(chunks).toString('utf8');
}
