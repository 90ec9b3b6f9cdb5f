// Parsing PMWEBAPI fetch and indom bodies (modern pmproxy and legacy pmwebd/compat
// forms) without losing precision: u64 counters are bare JSON numbers that can
// exceed 2^53, and pmproxy 6.0.3 prints the timestamp's nanoseconds without
// zero padding, so both are quoted as text before JSON.parse sees them.

export type PcpValue = bigint | number | string | null;

export interface FetchResult {
  /** Server sample time in nanoseconds since the epoch. */
  timestampNs: bigint;
  /** metric name -> instance id (-1 for a singular metric) -> value */
  values: Map<string, Map<number, PcpValue>>;
}

export class PmwebapiFormatError extends Error {}

// An integer "value" (no fraction or exponent) is quoted so JSON.parse keeps every digit.
const INTEGER_VALUE = /"value"\s*:\s*(-?\d+)(?=\s*[,}\]])/g;
// The modern timestamp <seconds>.<nanoseconds-as-integer>.
const MODERN_TIMESTAMP = /"timestamp"\s*:\s*(\d+)(?:\.(\d+))?(?=\s*[,}])/;

const NS_PER_S = 1_000_000_000n;

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new PmwebapiFormatError(`${what}: not valid JSON (${(e as Error).message})`);
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function toValue(v: unknown): PcpValue {
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  if (typeof v === 'number' || typeof v === 'string') return v;
  return null;
}

function parseTimestamp(raw: unknown): bigint {
  if (typeof raw === 'string') {
    const [s, ns = '0'] = raw.split('.');
    if (ns.length > 9) throw new PmwebapiFormatError(`timestamp fraction longer than nanoseconds: ${raw}`);
    return BigInt(s) * NS_PER_S + BigInt(ns);
  }
  if (isObject(raw) && typeof raw.s === 'number' && typeof raw.us === 'number') {
    return BigInt(raw.s) * NS_PER_S + BigInt(raw.us) * 1000n;
  }
  throw new PmwebapiFormatError(`fetch reply has no usable timestamp`);
}

/** Parses a /pmapi/fetch (modern) or /pmapi/N/_fetch (legacy) body. */
export function parseFetch(text: string): FetchResult {
  const quoted = text
    .replace(MODERN_TIMESTAMP, (_m, s: string, ns?: string) => `"timestamp":"${s}.${ns ?? '0'}"`)
    .replace(INTEGER_VALUE, (_m, digits: string) => `"value":"${digits}"`);
  const body = parseJson(quoted, 'fetch reply');
  if (!isObject(body) || !Array.isArray(body.values)) throw new PmwebapiFormatError('fetch reply has no "values" list');
  const values = new Map<string, Map<number, PcpValue>>();
  for (const m of body.values) {
    if (!isObject(m) || typeof m.name !== 'string' || !Array.isArray(m.instances)) continue;
    const inst = new Map<number, PcpValue>();
    for (const i of m.instances) {
      if (!isObject(i)) continue;
      const id = typeof i.instance === 'number' ? i.instance : -1;
      inst.set(id, toValue(i.value));
    }
    values.set(m.name, inst);
  }
  return { timestampNs: parseTimestamp(body.timestamp), values };
}

/** Parses a /pmapi/indom or /pmapi/N/_indom body into instance name -> id. */
export function parseIndom(text: string): Map<string, number> {
  const body = parseJson(text, 'indom reply');
  if (!isObject(body) || !Array.isArray(body.instances))
    throw new PmwebapiFormatError('indom reply has no "instances" list');
  const names = new Map<string, number>();
  for (const i of body.instances) {
    if (isObject(i) && typeof i.name === 'string' && typeof i.instance === 'number') names.set(i.name, i.instance);
  }
  return names;
}

/** The context id of a /pmapi/context reply (modern and legacy shapes). */
export function parseContext(text: string): number {
  const body = parseJson(text, 'context reply');
  if (!isObject(body) || typeof body.context !== 'number' || !Number.isInteger(body.context)) {
    throw new PmwebapiFormatError('context reply has no numeric "context"');
  }
  return body.context;
}

/** The "message" of a JSON error body, or the text itself (legacy text/plain, HTML). */
export function errorMessage(text: string): string {
  const m = /"message"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(text);
  if (m) {
    // Decoded, so \u001b is the control character it names (escaped in logs, `?` on the glass).
    try {
      return String(JSON.parse(`"${m[1]}"`)).slice(0, 200);
    } catch {
      return m[1].slice(0, 200);
    }
  }
  return text
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
}
