// Test helpers around demo/pcp-local.ts: one private PCP per test file, a raw HTTP client
// (node's fetch hides framing), and small PMWEBAPI getters.
import { after, before } from 'node:test';
import { connect } from 'node:net';
import { existsSync } from 'node:fs';
import { startPrivatePcp, type PrivatePcp, type PrivatePcpOptions } from '../../demo/pcp-local.ts';

/** Why the real-PCP tests cannot run here, or null when they can (pass as `skip` to describe/test). */
export function pcpUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (private pmcd starts PMDAs that switch users)';
  if (!existsSync('/usr/lib/pcp/bin/pmproxy')) return 'pcp package not installed';
  return null;
}

/** Starts one private PCP before the file's tests and stops it after; `get()` returns it. */
export function usePrivatePcp(opts?: PrivatePcpOptions): { get(): PrivatePcp; startMs(): number } {
  let pcp: PrivatePcp | undefined;
  let ms = 0;
  before(async () => {
    if (pcpUnavailable()) return;
    const t0 = performance.now();
    pcp = await startPrivatePcp(opts);
    ms = performance.now() - t0;
  });
  after(async () => {
    await pcp?.stop();
  });
  return {
    get() {
      if (!pcp) throw new Error('private PCP not started');
      return pcp;
    },
    startMs: () => ms,
  };
}

export interface RawResponse {
  statusLine: string;
  headers: string[];
  /** body after de-chunking */
  body: string;
  /** exact bytes received */
  raw: Buffer;
  /** the server closed the connection right after the response */
  closed: boolean;
}

/** Sends `request` verbatim on a fresh socket and reads one response (Content-Length or chunked). */
export function rawHttp(port: number, request: string, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let raw = Buffer.alloc(0);
    let done: Omit<RawResponse, 'closed'> | undefined;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no complete response within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      if (done) resolve({ ...done, closed });
      else reject(new Error(`connection closed before a complete response (${raw.length} B)`));
    };
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on('data', (d) => {
      raw = Buffer.concat([raw, d]);
      if (!done) {
        done = parseResponse(raw);
        // an idle server leaves the socket open: give it a moment to show whether it closes
        if (done) setTimeout(() => finish(false), 50);
      }
    });
    sock.on('end', () => finish(true));
    sock.write(request);
  });
}

export function parseResponse(raw: Buffer): Omit<RawResponse, 'closed'> | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine = '', ...headers] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const rest = raw.subarray(end + 4);
  const len = headers.find((h) => /^content-length:/i.test(h));
  if (len) {
    const n = Number(len.split(':')[1]);
    return rest.length >= n ? { statusLine, headers, body: rest.subarray(0, n).toString('utf8'), raw } : undefined;
  }
  if (headers.some((h) => /^transfer-encoding:\s*chunked/i.test(h))) {
    const parts: Buffer[] = [];
    let off = 0;
    for (;;) {
      const nl = rest.indexOf('\r\n', off);
      if (nl < 0) return undefined;
      const size = parseInt(rest.subarray(off, nl).toString('latin1'), 16);
      if (rest.length < nl + 2 + size + 2) return undefined;
      if (size === 0) return { statusLine, headers, body: Buffer.concat(parts).toString('utf8'), raw };
      parts.push(rest.subarray(nl + 2, nl + 2 + size));
      off = nl + 2 + size + 2;
    }
  }
  return undefined;
}

/** GET returning status and parsed JSON (throws on non-JSON bodies). */
export async function getJson<T = Record<string, unknown>>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: (await res.json()) as T };
}

export interface FetchValues {
  context?: number;
  timestamp: unknown;
  values: { pmid: string | number; name: string; instances: { instance: number | null; value: number }[] }[];
}

/** Value of one instance of one metric in a /pmapi/fetch reply, or undefined. */
export function metricValue(reply: FetchValues, name: string, instance: number): number | undefined {
  return reply.values.find((v) => v.name === name)?.instances.find((i) => i.instance === instance)?.value;
}
