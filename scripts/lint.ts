// npm run lint (and the first step of npm test): Biome checks the TypeScript and JavaScript
// (format and lint rules from biome.json), clang-format checks the C++ of the firmware, the
// test firmwares and the native test programs. `npm run format` applies both. Comments name no
// tracker numbers: a reference such as "(issue N)" means nothing to a reader of the code.
// Usage: tsx scripts/lint.ts [--fix]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './avr-build.ts';

const fix = process.argv.includes('--fix');
const CPP = ['firmware', 'test/firmware', 'test/native'];

function run(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.error) console.error(`lint: ${cmd}: ${r.error.message}`);
  return r.status === 0;
}

/** git's output lines; exits with a clear message when git is missing or fails (status ok lists it as success). */
function gitOutput(r: ReturnType<typeof spawnSync>, ...ok: number[]): string[] {
  if (r.error || (r.status !== 0 && !ok.includes(r.status ?? -1))) {
    console.error(
      `lint: git failed (${r.error?.message ?? `exit ${r.status}`}); the lint step needs git and a checkout`,
    );
    process.exit(1);
  }
  return String(r.stdout).split('\n');
}

function cppFiles(): string[] {
  const r = spawnSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', ...CPP], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return gitOutput(r).filter((f) => /\.(cpp|h)$/.test(f));
}

/** Source lines that cite a tracker number, as path:line: text. */
function trackerCitations(): string[] {
  const r = spawnSync(
    'git',
    ['grep', '-n', '-I', '-i', '-E', '\\b(issue|task|ticket)s? ?#?[0-9]+', '--', ':!*.json', ':!*.md'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  // "owner/repo issue #4" cites another project's tracker as a source, which is welcome.
  const ours = (line: string) =>
    [...line.matchAll(/(\S*)\s*\b(?:issue|task|ticket)s? ?#?[0-9]+/gi)].some((m) => !/\w\/\w/.test(m[1]));
  return gitOutput(r, 1).filter((l) => l && ours(l.replace(/^[^:]+:\d+:/, '')));
}

const biome = join(ROOT, 'node_modules', '.bin', 'biome');
const okTs = run(biome, fix ? ['check', '--write', '.'] : ['ci', '.']);
const files = cppFiles();
const okCpp = run('clang-format', fix ? ['-i', ...files] : ['--dry-run', '--Werror', ...files]);
const citations = trackerCitations();
for (const c of citations) console.error(`lint: a comment names a tracker number: ${c}`);
const failed = [okTs ? '' : 'TypeScript (biome)', okCpp ? '' : 'C++ (clang-format)', citations.length ? 'comments' : '']
  .filter(Boolean)
  .join(', ');
if (failed) {
  console.error(`lint: ${failed} failed; npm run format fixes layout`);
  process.exit(1);
}
console.error(`lint: ok (biome, clang-format on ${files.length} C++ files)`);
