// Logging: JSON lines with a syslog priority prefix (<3> error ... <7> debug),
// which journald turns into PRIORITY; a readable line on a terminal.
export type Level = 'error' | 'warn' | 'info' | 'debug';
const PRIORITY: Record<Level, number> = { error: 3, warn: 4, info: 6, debug: 7 };

export interface Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}

export type LogFormat = 'json' | 'pretty';

// C0 controls, DEL and the C1 controls (U+0080-U+009F, which some terminals obey as
// 8-bit CSI/OSC): text from the network, the board or a config file must not move a
// terminal's cursor, retitle its window or forge a log line.
const CONTROL = /[\x00-\x1f\x7f-\x9f]/g;

/** Makes control characters visible as \xHH (pretty logs, the demo's panes). */
export function escapeControl(s: string): string {
  return s.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** JSON.stringify escapes C0 but leaves DEL and C1 raw: escape those as \u00XX too. */
function jsonLine(v: unknown): string {
  return (JSON.stringify(v) ?? 'null').replace(
    /[\x7f-\x9f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export function pickFormat(setting: 'auto' | LogFormat, isTTY: boolean | undefined): LogFormat {
  return setting === 'auto' ? (isTTY ? 'pretty' : 'json') : setting;
}

export function createLogger(
  format: LogFormat,
  write: (line: string) => void = (l) => process.stdout.write(l),
  debug = false,
): Logger {
  const emit = (level: Level, msg: string, fields: Record<string, unknown> = {}) => {
    if (level === 'debug' && !debug) return;
    if (format === 'json') {
      write(`<${PRIORITY[level]}>${jsonLine({ level, msg, ...fields })}\n`);
    } else {
      const time = new Date().toISOString().slice(11, 19);
      const extra = Object.entries(fields)
        .map(([k, v]) => ` ${escapeControl(k)}=${escapeControl(typeof v === 'string' ? v : jsonLine(v))}`)
        .join('');
      write(`${time} ${level.padEnd(5)} ${escapeControl(msg)}${extra}\n`);
    }
  };
  return {
    error: (m, f) => emit('error', m, f),
    warn: (m, f) => emit('warn', m, f),
    info: (m, f) => emit('info', m, f),
    debug: (m, f) => emit('debug', m, f),
  };
}

export const silentLogger: Logger = { error() {}, warn() {}, info() {}, debug() {} };
