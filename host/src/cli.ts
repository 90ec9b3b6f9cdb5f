// pmlcd command line: run | demo | ports | config get|set|list | flash.
// Exit codes follow sysexits: 64 usage, 69 device unavailable, 78 configuration.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { BindingInterface } from '@serialport/bindings-interface';
import { Bridge } from './bridge.ts';
import {
  CONTROL_CHAR,
  ConfigError,
  DEFAULT_CONFIG_FILE,
  EXIT_CONFIG,
  EXIT_USAGE,
  SETTINGS,
  UsageError,
  readConfigFile,
  resolveConfig,
  type Config,
} from './config.ts';
import { createLogger, escapeControl, pickFormat, type Logger } from './log.ts';
import { listSettings, withBoardSession } from './board-session.ts';
import { byIdCandidates, findBoard, isBoard } from './serial-find.ts';
import { SerialLink } from './serial-link.ts';
import { BoardError, commandProblem } from './protocol.ts';
import { findProjectRoot } from './project-root.ts';
import { avrdudeArgs, checkHex, explainAvrdude, HexFileError, runAvrdude } from './flash.ts';

export const ROOT = findProjectRoot(import.meta.dirname);
const EXIT_UNAVAILABLE = 69;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  isTTY: boolean;
}

export interface Deps {
  /** The serial binding; default: serialport's native auto-detected one. */
  binding?: BindingInterface;
  /** flash: ms of avrdude silence before it is stopped (default 10 s). */
  flashStallMs?: number;
  /** flash: the avrdude executable (default avrdude on PATH). */
  avrdude?: string;
}

const HELP = `pmlcd - PCP network bandwidth and latency on a 16x2 LCD

Usage:
  pmlcd run [options]            run the bridge daemon
  pmlcd demo [--network]         simulated board + local or private PCP, drawn in the terminal
  pmlcd ports                    list serial ports; * marks likely boards
  pmlcd config list              the board's stored settings
  pmlcd config get <key>
  pmlcd config set <key> <value>
  pmlcd flash [--port P] [--hex F] [--dry-run]   write firmware with avrdude
                                 (P: a device or net:HOST:PORT, e.g. the simulator's --serial)
  pmlcd --help | --version

Options (also PMLCD_* environment variables and the JSON config file):
  --config <file>          JSON settings (default ${DEFAULT_CONFIG_FILE} if present; env PMLCD_CONFIG)
  --check-config           validate the merged configuration and exit (0, or 78 naming the setting)
  --print-config           print the merged configuration as JSON and exit
${SETTINGS.map((s) => `  --${`${s.flag} <v>`.padEnd(22)} ${s.help} (${s.env})`).join('\n')}
  --debug                  verbose logs
`;

function version(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Every flag of the pmlcd command line; the demo (demo/main.ts) accepts these too. */
export const CLI_OPTIONS: ParseArgsConfig['options'] = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  config: { type: 'string' },
  'check-config': { type: 'boolean' },
  'print-config': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  hex: { type: 'string' },
  debug: { type: 'boolean' },
  ...Object.fromEntries(SETTINGS.map((s) => [s.flag, { type: s.kind === 'boolean' ? 'boolean' : 'string' } as const])),
};

function parse(argv: string[]): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options: CLI_OPTIONS, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, string | boolean | undefined>, positionals: r.positionals };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function loadConfig(values: Record<string, unknown>, env: NodeJS.ProcessEnv): Config {
  const explicit = (values.config as string | undefined) ?? env.PMLCD_CONFIG;
  const fileName = explicit ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  const file = fileName ? readConfigFile(fileName) : undefined;
  return resolveConfig({ file, fileName, env, flags: values });
}

async function realBinding(): Promise<BindingInterface> {
  const { SerialPort } = await import('serialport');
  return SerialPort.binding as unknown as BindingInterface;
}

async function boardPath(binding: BindingInterface, cfg: Config): Promise<string> {
  const p = await findBoard(binding, cfg.serialPort);
  if (!p) throw Object.assign(new Error('no board found (set --port or PMLCD_PORT)'), { exit: EXIT_UNAVAILABLE });
  return p;
}

/** Runs the daemon until SIGTERM/SIGINT. */
async function runDaemon(cfg: Config, binding: BindingInterface, log: Logger): Promise<number> {
  const link = new SerialLink({ binding, findPath: () => findBoard(binding, cfg.serialPort) });
  const bridge = new Bridge({ cfg, link, log });
  log.info('bridge starting', { version: version(), sources: cfg.sources.map((s) => s.url), iface: cfg.iface });
  bridge.start();
  await new Promise<void>((resolveStop) => {
    const onSignal = (sig: string) => {
      log.info('shutting down', { signal: sig });
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolveStop();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  // systemd's TimeoutStopSec is the outer bound; this one keeps a hung port from blocking exit.
  const hard = setTimeout(() => process.exit(70), 8000);
  hard.unref();
  await bridge.stop();
  log.info('bridge stopped');
  return 0;
}

async function configCommand(args: string[], cfg: Config, binding: BindingInterface, io: Io): Promise<number> {
  const [sub, key, ...rest] = args;
  const cmd =
    sub === 'list'
      ? 'C LIST'
      : sub === 'get' && key && rest.length === 0
        ? `C GET ${key}`
        : sub === 'set' && key && rest.length > 0
          ? `C SET ${key} ${rest.join(' ')}`
          : null;
  if (!cmd) throw new UsageError('usage: pmlcd config list | get <key> | set <key> <value>');
  // Checked before the port is opened: a newline in a value would be a second command.
  const problem = commandProblem(cmd);
  if (problem)
    throw new ConfigError(
      key ?? sub,
      'command line',
      `the ${sub === 'set' && !CONTROL_CHAR.test(key) ? 'value' : 'key'} ${problem.replace(/ at position \d+/, '')}`,
    );
  const path = await boardPath(binding, cfg);
  return withBoardSession(binding, path, async (client) => {
    try {
      if (sub === 'list') {
        for (const [k, v] of await listSettings(client)) io.out(`${escapeControl(`${k}=${v}`)}\n`);
      } else {
        const r = await client.send(cmd);
        io.out(`${escapeControl(sub === 'get' ? r.data.slice(key.length + 1) : `${key} set`)}\n`);
      }
      return 0;
    } catch (e) {
      if (e instanceof BoardError) {
        io.err(`pmlcd: the board refused: ${escapeControl(`${e.code} ${e.reason}`)}\n`);
        return e.code === 'KEY' || e.code === 'VAL' ? EXIT_CONFIG : 1;
      }
      throw e;
    }
  });
}

async function portsCommand(binding: BindingInterface, io: Io): Promise<number> {
  for (const p of byIdCandidates()) io.out(`* ${p}\n`);
  try {
    for (const p of await binding.list()) {
      io.out(
        `${isBoard(p) ? '*' : ' '} ${p.path}${p.vendorId ? ` ${p.vendorId}:${p.productId}` : ''}${p.manufacturer ? ` ${p.manufacturer}` : ''}\n`,
      );
    }
  } catch (e) {
    io.err(`pmlcd: cannot list ports: ${(e as Error).message}\n`);
    return EXIT_UNAVAILABLE;
  }
  return 0;
}

export { avrdudeArgs } from './flash.ts';

/** sysexits EX_DATAERR: the .hex is not usable. */
const EXIT_DATA = 65;
/** Seconds of avrdude silence after which a flash is given up (see runAvrdude). */
const FLASH_STALL_MS = 10_000;

/**
 * Writes the .hex through the board's bootloader. The port is a device (found like the
 * bridge finds one when not given) or avrdude's net:HOST:PORT, e.g. the simulator's
 * `pmlcd-sim --serial tcp:127.0.0.1:PORT`.
 */
async function flashCommand(values: Record<string, unknown>, cfg: Config, deps: Deps, io: Io): Promise<number> {
  const hex = resolve((values.hex as string | undefined) ?? join(ROOT, 'build', 'pmlcd', 'pmlcd.hex'));
  const given = cfg.serialPort;
  const port = given ?? (values['dry-run'] ? '<port>' : await boardPath(deps.binding ?? (await realBinding()), cfg));
  const args = avrdudeArgs(port, hex);
  if (values['dry-run']) {
    io.out(`avrdude ${args.join(' ')}\n`);
    return 0;
  }
  if (!existsSync(hex))
    throw Object.assign(new Error(`no firmware at ${hex} (npm run build:firmware)`), { exit: EXIT_UNAVAILABLE });
  try {
    const { end } = checkHex(hex);
    io.err(`pmlcd: writing ${hex} (${end.toLocaleString('en')} B) to ${port}\n`);
  } catch (e) {
    if (e instanceof HexFileError) {
      io.err(`pmlcd: ${escapeControl(e.message)}\n`);
      return EXIT_DATA;
    }
    throw e;
  }
  const stallMs = deps.flashStallMs ?? FLASH_STALL_MS;
  let run: Awaited<ReturnType<typeof runAvrdude>>;
  try {
    run = await runAvrdude(args, { stallMs, onOutput: (s) => io.err(s), command: deps.avrdude });
    if (run.output && !run.output.endsWith('\n')) io.err('\n'); // a progress bar cut short
  } catch (e) {
    io.err(`pmlcd: cannot run avrdude: ${(e as Error).message}\n`);
    return EXIT_UNAVAILABLE;
  }
  const why = explainAvrdude(run, port, stallMs);
  if (!why) {
    io.err(`pmlcd: ${port}: firmware written and verified\n`);
    return 0;
  }
  io.err(`pmlcd: flash failed: ${escapeControl(why.message)}\n`);
  return why.noBoard ? EXIT_UNAVAILABLE : 1;
}

export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  io: Io = defaultIo(),
  deps: Deps = {},
): Promise<number> {
  try {
    const { values, positionals } = parse(argv);
    if (values.help) {
      io.out(HELP);
      return 0;
    }
    if (values.version) {
      io.out(`pmlcd ${version()}\n`);
      return 0;
    }
    const [command = 'run', ...args] = positionals;
    if (command === 'demo') throw new UsageError('the demo runs from a checkout: npm start, or bin/pmlcd.mjs demo');
    const cfg = loadConfig(values, env);
    if (values['check-config']) {
      io.out('configuration ok\n');
      return 0;
    }
    if (values['print-config']) {
      io.out(`${JSON.stringify(cfg, null, 2)}\n`);
      return 0;
    }
    const log = createLogger(pickFormat(cfg.logFormat, io.isTTY), (l) => io.out(l), Boolean(values.debug));
    switch (command) {
      case 'run':
        if (args.length) throw new UsageError(`run takes no arguments: ${args.join(' ')}`);
        return await runDaemon(cfg, deps.binding ?? (await realBinding()), log);
      case 'ports':
        return await portsCommand(deps.binding ?? (await realBinding()), io);
      case 'config':
        return await configCommand(args, cfg, deps.binding ?? (await realBinding()), io);
      case 'flash':
        return await flashCommand(values, cfg, deps, io);
      default:
        throw new UsageError(`unknown command "${command}" (see pmlcd --help)`);
    }
  } catch (e) {
    // Messages quote the command line, the environment, config files and the board: escaped.
    if (e instanceof UsageError) {
      io.err(`pmlcd: ${escapeControl(e.message)}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof ConfigError) {
      io.err(`pmlcd: ${escapeControl(e.message)}\n`);
      return EXIT_CONFIG;
    }
    io.err(`pmlcd: ${escapeControl((e as Error).message)}\n`);
    return (e as { exit?: number }).exit ?? 1;
  }
}

function defaultIo(): Io {
  return {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    isTTY: Boolean(process.stdout.isTTY),
  };
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('host/src/cli.ts')) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
