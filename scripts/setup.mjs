#!/usr/bin/env node
// One idempotent set-up step, run before `npm start` and `npm test`:
// Debian packages when missing, npm dependencies when the lock file changed,
// the firmware and the bundled bridge (build/host) when their sources changed.
// Plain JS: it runs before tsx exists.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshBundle } from './host-bundle.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// avr toolchain + Arduino core for the firmware; pcp for pmcd/pmproxy in tests and
// the demo; iputils-ping for the shping PMDA's loopback probe; avrdude for `pmlcd flash`;
// g++ for the native unit tests of the firmware's portable modules; clang-format for the
// firmware's layout check; chromium for the web page's browser tests (playwright-core drives
// Debian's build, it downloads no browser); arduino-builder (the Arduino IDE's build engine)
// and the arduino-ctags it runs, to check that firmware/firmware.ino builds as an IDE sketch;
// libsimavr-dev for `npm run bench`'s simavr reference (bench/simavr/harness.c, built with the
// cc that g++ brings and pkg-config; simavr.pc requires libelf-dev's libelf.pc); git for the
// lint step's file list; systemd for systemd-analyze, which checks the service unit.
const DEBIAN_PACKAGES = [
  'gcc-avr',
  'binutils-avr',
  'avr-libc',
  'arduino-core-avr',
  'pcp',
  'iputils-ping',
  'avrdude',
  'g++',
  'clang-format',
  'chromium',
  'arduino-builder',
  'arduino-ctags',
  'libsimavr-dev',
  'libelf-dev',
  'pkg-config',
  'git',
  'systemd',
];

const say = (m) => console.error(`setup: ${m}`);
const fail = (m) => {
  console.error(`setup: ERROR: ${m}`);
  process.exit(1);
};

function checkNode() {
  const [maj, min] = process.versions.node.split('.').map(Number);
  if (maj < 20 || (maj === 20 && min < 19)) fail(`Node ${process.versions.node} is too old: pmlcd needs Node >= 20.19`);
}

function missingPackages() {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} format, not a template
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Abbrev}\n', ...DEBIAN_PACKAGES], {
    encoding: 'utf8',
  });
  if (r.error) fail("dpkg-query not found: pmlcd's set-up supports Debian and its derivatives");
  const ok = new Set(
    r.stdout
      .split('\n')
      .filter((l) => /\sii\s*$/.test(l))
      .map((l) => l.split(' ')[0]),
  );
  return DEBIAN_PACKAGES.filter((p) => !ok.has(p));
}

function installPackages(pkgs) {
  const isRoot = process.getuid?.() === 0;
  const sudo = isRoot ? [] : ['sudo', '-n'];
  if (!isRoot && spawnSync('sudo', ['-n', 'true']).status !== 0) {
    fail(
      `missing Debian packages: ${pkgs.join(' ')}\n` +
        `  not root and no password-less sudo. Install them yourself:\n` +
        `  sudo SYSTEMD_OFFLINE=1 apt-get install -y ${pkgs.join(' ')}`,
    );
  }
  say(`installing Debian packages: ${pkgs.join(' ')}`);
  // pcp's postinst calls systemctl, which fails where systemd is not PID 1 (containers, CI);
  // SYSTEMD_OFFLINE=1 makes systemctl skip, as in a chroot.
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', SYSTEMD_OFFLINE: '1' };
  const aptRun = (args) =>
    spawnSync(
      sudo[0] ?? args[0],
      sudo.length
        ? [...sudo.slice(1), 'env', 'DEBIAN_FRONTEND=noninteractive', 'SYSTEMD_OFFLINE=1', ...args]
        : args.slice(1),
      { stdio: ['ignore', 'inherit', 'inherit'], env },
    );
  if (aptRun(['apt-get', 'update', '-q']).status !== 0) say('apt-get update failed; trying the install anyway');
  let r = aptRun(['apt-get', 'install', '-y', '-q', ...pkgs]);
  if (r.status !== 0) {
    aptRun(['dpkg', '--configure', '-a']);
    r = aptRun(['apt-get', 'install', '-y', '-q', ...pkgs]);
  }
  const still = missingPackages();
  if (still.length) fail(`could not install: ${still.join(' ')}`);
}

function hashFile(f) {
  return createHash('sha256').update(readFileSync(f)).digest('hex');
}

function npmInstall() {
  const lock = join(ROOT, 'package-lock.json');
  const stamp = join(ROOT, 'node_modules', '.pmlcd-lock-hash');
  const want = hashFile(lock);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return;
  say('installing npm dependencies (package-lock.json changed)');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) fail('npm ci failed');
  writeFileSync(stamp, want);
}

function buildFirmware() {
  const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');
  try {
    execFileSync(tsx, [join(ROOT, 'scripts', 'build-firmware.ts')], { cwd: ROOT, stdio: 'inherit' });
  } catch {
    fail('firmware build failed');
  }
}

function buildHost() {
  if (freshBundle(ROOT).path) return; // checked here: spawning tsx costs more than the check
  try {
    execFileSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'scripts', 'build-host.ts')], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  } catch {
    fail('host bundle build failed (npm run build:host)');
  }
}

checkNode();
const missing = missingPackages();
if (missing.length) installPackages(missing);
npmInstall();
buildFirmware();
buildHost();
