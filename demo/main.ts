// `pmlcd demo` and `npm start`: the entry of the demo, apart from the daemon so that the
// daemon never loads the simulator. It takes the daemon's flags plus --network.
import { parseArgs } from 'node:util';
import { CLI_OPTIONS } from '../host/src/cli.ts';
import { runDemo } from './demo.ts';

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const args = argv[0] === 'demo' ? argv.slice(1) : argv;
  let values: Record<string, string | boolean | undefined>;
  try {
    const r = parseArgs({ args, options: { ...CLI_OPTIONS, network: { type: 'boolean' } }, strict: true });
    values = r.values as Record<string, string | boolean | undefined>;
  } catch (e) {
    process.stderr.write(`pmlcd demo: ${(e as Error).message}\n`);
    return 64;
  }
  const { network, ...rest } = values;
  return runDemo({ network: Boolean(network), values: rest, env });
}

if (process.argv[1]?.endsWith('demo/main.ts')) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
