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

export function pickFormat(setting: 'auto' | LogFormat, isTTY: boolean | undefined): LogFormat {
  return setting === 'auto' ? (isTTY ? 'pretty' : 'json') : setting;
}

export function createLogger(format: LogFormat, write: (line: string) => void = (l) => process.stdout.write(l), debug = false): Logger {
  const emit = (level: Level, msg: string, fields: Record<string, unknown> = {}) => {
    if (level === 'debug' && !debug) return;
    if (format === 'json') {
      write(`<${PRIORITY[level]}>${JSON.stringify({ level, msg, ...fields })}\n`);
    } else {
      const time = new Date().toISOString().slice(11, 19);
      const extra = Object.entries(fields).map(([k, v]) => ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join('');
      write(`${time} ${level.padEnd(5)} ${msg}${extra}\n`);
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
