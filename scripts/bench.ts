// npm run bench [-- filter]: runs every bench/*.bench.ts in its own process.
// Each prints JSON lines {"name":…,"value":…,"unit":…} on stdout; anything else
// a benchmark prints goes to stderr. Exits non-zero if any benchmark fails.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './avr-build.ts';

const filters = process.argv.slice(2);
const files = readdirSync(join(ROOT, 'bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
let failed = 0;
for (const f of files) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', f)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  for (const line of r.stdout.split('\n')) {
    if (!line.trim()) continue;
    try {
      const m = JSON.parse(line) as { name?: unknown; value?: unknown; unit?: unknown };
      if (typeof m.name === 'string' && typeof m.value === 'number' && typeof m.unit === 'string') {
        console.log(JSON.stringify(m));
        continue;
      }
    } catch {
      /* not a result line */
    }
    console.error(`${f}: ${line}`);
  }
  if (r.status !== 0) {
    failed++;
    console.error(`${f}: exited ${r.status}`);
  }
}
process.exit(failed ? 1 : 0);
