// `pmlcd demo` and `npm start`: the entry of the demo, apart from the daemon so that the
// daemon never loads the simulator. It takes the daemon's flags plus --network and
// --web [--web-port N] (the board's page on 127.0.0.1).
import { parseArgs } from 'node:util';
import { CLI_OPTIONS } from '../host/src/cli.ts';
import { runDemo } from './demo.ts';

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const args = argv[0] === 'demo' ? argv.slice(1) : argv;
  let values: Record<string, string | boolean | undefined>;
  try {
    const r = parseArgs({
      args,
      options: {
        ...CLI_OPTIONS,
        network: { type: 'boolean' },
        web: { type: 'boolean' },
        'web-port': { type: 'string' },
      },
      strict: true,
    });
    values = r.values as Record<string, string | boolean | undefined>;
  } catch (e) {
    process.stderr.write(`pmlcd demo: ${(e as Error).message}\n`);
    return 64;
  }
  const { network, web, 'web-port': webPortArg, ...rest } = values;
  if (webPortArg !== undefined && !web) {
    process.stderr.write('pmlcd demo: --web-port needs --web\n');
    return 64;
  }
  const webPort =
    typeof webPortArg === 'string' && /^\d{1,5}$/.test(webPortArg)
      ? Number(webPortArg)
      : webPortArg === undefined
        ? 0
        : -1;
  if (webPort < 0 || webPort > 65535) {
    process.stderr.write(`pmlcd demo: --web-port must be a port number (0 = any), not ${JSON.stringify(webPortArg)}\n`);
    return 64;
  }
  return runDemo({ network: Boolean(network), values: rest, env, web: web ? { port: webPort } : undefined });
}

if (process.argv[1]?.endsWith('demo/main.ts')) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
