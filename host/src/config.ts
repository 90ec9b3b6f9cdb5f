// Bridge configuration: defaults < JSON file < environment (PMLCD_*) < flags.
// Every setting is validated on start; a bad one is a ConfigError naming it (with its
// exact path, e.g. sources[1].hostpsec) and where it came from (the CLI exits 78), a
// bad command line is a UsageError (64). Nothing that would only fail at poll time
// passes: URLs are parsed here, unknown keys are errors, control characters refused.
import { readFileSync } from 'node:fs';
import type { ApiForm } from './pmwebapi.ts';
import type { Units } from './format.ts';
import { LCD_SIZES } from './geometry.ts';

export const EXIT_USAGE = 64;
export const EXIT_CONFIG = 78;
export const DEFAULT_CONFIG_FILE = '/etc/pmlcd.json';

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    readonly origin: string,
    message: string,
  ) {
    super(`bad setting "${setting}" (${origin}): ${message}`);
  }
}
export class UsageError extends Error {}

export interface SourceConfig {
  name: string;
  url: string;
  hostspec: string;
  api: ApiForm;
}
export type PageName = 'main' | 'iface' | 'host' | 'latency' | 'history' | 'status';
export interface PageConfig {
  page: PageName;
  seconds: number;
}

export interface Config {
  sources: SourceConfig[];
  /** Interface instance names; the first one is the main screen's. */
  iface: string[];
  metricIn: string;
  metricOut: string;
  latencyMetric: string;
  latencyInstance: string;
  pollSec: number;
  timeoutMs: number;
  units: Units;
  /** Link capacity in bit/s, for the bars. */
  capDown: number;
  capUp: number;
  pages: PageConfig[];
  /** Latency above this pre-empts the rotation with an alert page; 0 disables. */
  alertLatencyMs: number;
  /** Serial device; null = find it (by-id, USB ids). */
  serialPort: string | null;
  /** The source's counters are 32 bits wide: wraps at 2^32 count as traffic (docs/rates.md). */
  counters32: boolean;
  /** The LCD's size ('16x2', '20x4', ...); 'auto': what the board's banner says (16x2 if nothing). */
  lcdSize: string;
  logFormat: 'auto' | 'json' | 'pretty';
}

export const PAGE_NAMES: PageName[] = ['main', 'iface', 'host', 'latency', 'history', 'status'];

export function defaults(): Config {
  return {
    sources: [{ name: 'localhost', url: 'http://127.0.0.1:44322', hostspec: 'localhost', api: 'auto' }],
    iface: ['ppp0'],
    metricIn: 'network.interface.in.bytes',
    metricOut: 'network.interface.out.bytes',
    latencyMetric: 'shping.time.real',
    latencyInstance: 'ping',
    pollSec: 2,
    timeoutMs: 1500,
    units: 'bits',
    capDown: 20_000_000,
    capUp: 1_000_000,
    pages: [
      { page: 'main', seconds: 10 },
      { page: 'latency', seconds: 3 },
      { page: 'history', seconds: 3 },
    ],
    alertLatencyMs: 500,
    serialPort: null,
    counters32: false,
    lcdSize: 'auto',
    logFormat: 'auto',
  };
}

type Kind = 'string' | 'number' | 'boolean' | 'list';
interface Setting {
  key: string;
  kind: Kind;
  env: string;
  flag: string;
  help: string;
  check?: (v: never) => string | null;
}

const between = (lo: number, hi: number) => (v: number) =>
  v >= lo && v <= hi ? null : `must be between ${lo} and ${hi}`;
const oneOf =
  (...xs: string[]) =>
  (v: string) =>
    xs.includes(v) ? null : `must be one of ${xs.join(', ')}`;
const nonEmpty = (v: string) => (v.length > 0 ? null : 'must not be empty');
// PCP metric names: dot-separated components of letters, digits and underscores.
const metricName = (v: string) =>
  /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/.test(v) ? null : 'must be a PCP metric name (letters, digits, _ and .)';

/** C0, DEL and C1 controls: in a setting they can only be a mistake or an injection. */
export const CONTROL_CHAR = /[\x00-\x1f\x7f-\x9f]/;

/**
 * The PMWEBAPI base URL. Credentials are refused outright (the bridge has no safe
 * place to keep them, and they would end up in logs); the message never repeats the
 * value, which may hold a password.
 */
export function checkUrl(v: string): string | null {
  const m = /^(https?):\/\/([^/?#]*)/i.exec(v);
  if (!m) return 'must be an http:// or https:// URL';
  if (m[2].includes('@')) return 'must not contain a user name or password (credentials in URLs are refused)';
  const port = /:(\d*)$/.exec(m[2].replace(/^\[[^\]]*\]/, ''));
  if (port && port[1] !== '' && !(Number(port[1]) >= 1 && Number(port[1]) <= 65535))
    return 'port must be between 1 and 65535';
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return 'not a valid URL';
  }
  if (u.hostname === '') return 'not a valid URL (no host)';
  if (u.search !== '' || u.hash !== '' || /[?#]/.test(v)) return 'must not have a query or fragment';
  return null;
}

/** Scalar settings; url/hostspec/api address the first source. */
export const SETTINGS: Setting[] = [
  {
    key: 'url',
    kind: 'string',
    env: 'PMLCD_URL',
    flag: 'url',
    help: 'PMWEBAPI base URL (pmproxy)',
    check: checkUrl as never,
  },
  {
    key: 'hostspec',
    kind: 'string',
    env: 'PMLCD_HOSTSPEC',
    flag: 'hostspec',
    help: 'PCP host to fetch from',
    check: nonEmpty as never,
  },
  {
    key: 'api',
    kind: 'string',
    env: 'PMLCD_API',
    flag: 'api',
    help: 'auto | pmproxy | pmwebd',
    check: oneOf('auto', 'pmproxy', 'pmwebd') as never,
  },
  { key: 'iface', kind: 'list', env: 'PMLCD_IFACE', flag: 'iface', help: 'interface names, comma separated' },
  {
    key: 'metricIn',
    kind: 'string',
    env: 'PMLCD_METRIC_IN',
    flag: 'metric-in',
    help: 'receive byte counter metric',
    check: metricName as never,
  },
  {
    key: 'metricOut',
    kind: 'string',
    env: 'PMLCD_METRIC_OUT',
    flag: 'metric-out',
    help: 'transmit byte counter metric',
    check: metricName as never,
  },
  {
    key: 'latencyMetric',
    kind: 'string',
    env: 'PMLCD_LATENCY_METRIC',
    flag: 'latency-metric',
    help: 'latency metric (ms)',
    check: metricName as never,
  },
  {
    key: 'latencyInstance',
    kind: 'string',
    env: 'PMLCD_LATENCY_INSTANCE',
    flag: 'latency-instance',
    help: 'latency instance name',
    check: nonEmpty as never,
  },
  {
    key: 'pollSec',
    kind: 'number',
    env: 'PMLCD_POLL',
    flag: 'poll',
    help: 'poll interval, seconds',
    check: between(0.25, 3600) as never,
  },
  {
    key: 'timeoutMs',
    kind: 'number',
    env: 'PMLCD_TIMEOUT_MS',
    flag: 'timeout-ms',
    help: 'per-request timeout',
    check: between(50, 60000) as never,
  },
  {
    key: 'units',
    kind: 'string',
    env: 'PMLCD_UNITS',
    flag: 'units',
    help: 'bits | bytes',
    check: oneOf('bits', 'bytes') as never,
  },
  {
    key: 'capDown',
    kind: 'number',
    env: 'PMLCD_CAP_DOWN',
    flag: 'cap-down',
    help: 'downlink capacity, bit/s',
    check: between(0, 2 ** 40) as never,
  },
  {
    key: 'capUp',
    kind: 'number',
    env: 'PMLCD_CAP_UP',
    flag: 'cap-up',
    help: 'uplink capacity, bit/s',
    check: between(0, 2 ** 40) as never,
  },
  {
    key: 'alertLatencyMs',
    kind: 'number',
    env: 'PMLCD_ALERT_LATENCY_MS',
    flag: 'alert-latency-ms',
    help: 'latency alert threshold (0: off)',
    check: between(0, 600000) as never,
  },
  { key: 'serialPort', kind: 'string', env: 'PMLCD_PORT', flag: 'port', help: 'serial device (default: find it)' },
  {
    key: 'counters32',
    kind: 'boolean',
    env: 'PMLCD_COUNTERS32',
    flag: 'counters32',
    help: 'counters are 32 bits wide: wraps at 2^32 are traffic (docs/rates.md)',
  },
  {
    key: 'lcdSize',
    kind: 'string',
    env: 'PMLCD_LCD_SIZE',
    flag: 'lcd-size',
    help: `LCD size: auto (the board's banner) | ${LCD_SIZES.join(' | ')}`,
    check: oneOf('auto', ...LCD_SIZES) as never,
  },
  {
    key: 'logFormat',
    kind: 'string',
    env: 'PMLCD_LOG_FORMAT',
    flag: 'log-format',
    help: 'auto | json | pretty',
    check: oneOf('auto', 'json', 'pretty') as never,
  },
];

type Raw = Record<string, unknown>;

function coerce(s: Setting, value: unknown, origin: string, path: string = s.key): unknown {
  let v = value;
  if (typeof v === 'string') {
    if (s.kind === 'number') {
      if (!/^\s*-?\d+(\.\d+)?\s*$/.test(v)) throw new ConfigError(s.key, origin, `"${v}" is not a number`);
      v = Number(v);
    } else if (s.kind === 'boolean') {
      if (!/^(1|0|true|false|yes|no)$/i.test(v)) throw new ConfigError(s.key, origin, `"${v}" is not a boolean`);
      v = /^(1|true|yes)$/i.test(v);
    } else if (s.kind === 'list') {
      v = v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
    }
  }
  const ok =
    s.kind === 'list'
      ? Array.isArray(v) && v.every((x) => typeof x === 'string') && v.length > 0
      : s.kind === 'number'
        ? typeof v === 'number' && Number.isFinite(v)
        : typeof v === s.kind || (s.key === 'serialPort' && v === null);
  if (!ok) throw new ConfigError(path, origin, `must be a ${s.kind === 'list' ? 'non-empty list of strings' : s.kind}`);
  if (s.kind === 'list') {
    (v as string[]).forEach((x, i) => {
      const problem = nonEmpty(x) ?? (CONTROL_CHAR.test(x) ? 'must not contain a control character' : null);
      if (problem) throw new ConfigError(`${path}[${i}]`, origin, problem);
    });
  }
  if (typeof v === 'string' && CONTROL_CHAR.test(v))
    throw new ConfigError(path, origin, 'must not contain a control character');
  const problem = s.check && v !== null ? s.check(v as never) : null;
  if (problem) throw new ConfigError(path, origin, problem);
  return v;
}

const setting = (key: string) => SETTINGS.find((s) => s.key === key)!;

function checkKeys(r: Raw, allowed: string[], path: string, origin: string): void {
  for (const k of Object.keys(r))
    if (!allowed.includes(k))
      throw new ConfigError(`${path}.${k}`, origin, `unknown setting (known: ${allowed.join(', ')})`);
}

function applyScalar(cfg: Config, s: Setting, v: unknown): void {
  if (s.key === 'url' || s.key === 'hostspec' || s.key === 'api') {
    const first = cfg.sources[0];
    cfg.sources[0] = { ...first, [s.key]: v };
    if (s.key === 'hostspec') cfg.sources[0].name = v as string;
  } else {
    (cfg as unknown as Raw)[s.key] = v;
  }
}

function parseSources(v: unknown, origin: string): SourceConfig[] {
  if (!Array.isArray(v) || v.length === 0) throw new ConfigError('sources', origin, 'must be a non-empty list');
  return v.map((x, i) => {
    const path = `sources[${i}]`;
    if (typeof x !== 'object' || x === null || Array.isArray(x))
      throw new ConfigError(path, origin, 'must be an object');
    const r = x as Raw;
    checkKeys(r, ['name', 'url', 'hostspec', 'api'], path, origin);
    const src: Raw = { api: 'auto', hostspec: 'localhost', ...r };
    for (const key of ['url', 'hostspec', 'api']) coerce(setting(key), src[key], origin, `${path}.${key}`);
    if (r.name !== undefined) {
      const problem =
        typeof r.name !== 'string'
          ? 'must be a string'
          : (nonEmpty(r.name) ?? (CONTROL_CHAR.test(r.name) ? 'must not contain a control character' : null));
      if (problem) throw new ConfigError(`${path}.name`, origin, problem);
    }
    return {
      name: typeof r.name === 'string' ? r.name : String(src.hostspec),
      url: src.url as string,
      hostspec: src.hostspec as string,
      api: src.api as ApiForm,
    };
  });
}

function parsePages(v: unknown, origin: string): PageConfig[] {
  if (!Array.isArray(v) || v.length === 0) throw new ConfigError('pages', origin, 'must be a non-empty list');
  return v.map((x, i) => {
    const path = `pages[${i}]`;
    const r = (typeof x === 'string' ? { page: x, seconds: 5 } : x) as Raw;
    if (typeof r !== 'object' || r === null || Array.isArray(r))
      throw new ConfigError(path, origin, 'must be a page name or an object');
    checkKeys(r, ['page', 'seconds'], path, origin);
    if (!PAGE_NAMES.includes(r.page as PageName)) {
      throw new ConfigError(`${path}.page`, origin, `must be one of ${PAGE_NAMES.join(', ')}`);
    }
    const seconds = r.seconds ?? 5;
    if (typeof seconds !== 'number' || !(seconds >= 1 && seconds <= 3600)) {
      throw new ConfigError(`${path}.seconds`, origin, 'must be between 1 and 3600');
    }
    return { page: r.page as PageName, seconds };
  });
}

export function readConfigFile(path: string): Raw {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError('config', path, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ConfigError('config', path, `not valid JSON: ${(e as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new ConfigError('config', path, 'must be a JSON object');
  return data as Raw;
}

export interface ConfigInputs {
  file?: Raw;
  fileName?: string;
  env?: NodeJS.ProcessEnv;
  flags?: Record<string, unknown>;
}

/** Merges the layers in order and validates the result. */
export function resolveConfig({ file, fileName = 'config file', env = {}, flags = {} }: ConfigInputs): Config {
  const cfg = defaults();
  if (file) {
    const known = new Set([...SETTINGS.map((s) => s.key), 'sources', 'pages']);
    for (const k of Object.keys(file)) if (!known.has(k)) throw new ConfigError(k, fileName, 'unknown setting');
    if (file.sources !== undefined) cfg.sources = parseSources(file.sources, fileName);
    if (file.pages !== undefined) cfg.pages = parsePages(file.pages, fileName);
    for (const s of SETTINGS) if (file[s.key] !== undefined) applyScalar(cfg, s, coerce(s, file[s.key], fileName));
  }
  for (const s of SETTINGS) {
    const v = env[s.env];
    if (v !== undefined && v !== '') applyScalar(cfg, s, coerce(s, v, `environment ${s.env}`));
  }
  for (const s of SETTINGS) {
    const v = flags[s.flag];
    if (v !== undefined) applyScalar(cfg, s, coerce(s, v, `flag --${s.flag}`));
  }
  if (cfg.timeoutMs >= cfg.pollSec * 1000 * 4) {
    throw new ConfigError('timeoutMs', 'merged', `must be shorter than 4 poll intervals (${cfg.pollSec * 4000} ms)`);
  }
  return cfg;
}
