// The shipped systemd unit: systemd-analyze accepts it, its sandbox scores at or below
// the exposure the README reports, and the ordering on network-online.target is paired
// with a Wants= (After= alone does not pull the target in). Skipped only without systemd-analyze.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const UNIT = new URL('../../deploy/pmlcd.service', import.meta.url).pathname;
const README = new URL('../../README.md', import.meta.url).pathname;
const analyzer = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
const skip = analyzer.error ? 'systemd-analyze is not installed' : false;

function run(args: string[]) {
  return spawnSync('systemd-analyze', args, {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, SYSTEMD_LOG_COLOR: '0', NO_COLOR: '1' },
  });
}

test('After=network-online.target comes with Wants=network-online.target', () => {
  const unit = readFileSync(UNIT, 'utf8');
  assert.match(unit, /^After=.*\bnetwork-online\.target\b/m);
  assert.match(unit, /^Wants=.*\bnetwork-online\.target\b/m);
  for (const line of ['SystemCallFilter=@system-service', 'ProtectProc=invisible', 'ProcSubset=pid'])
    assert.ok(unit.includes(`\n${line}\n`), line);
  assert.match(
    unit,
    /^RestrictAddressFamilies=(?=.*\bAF_UNIX\b)(?=.*\bAF_NETLINK\b)(?=.*\bAF_INET\b)(?=.*\bAF_INET6\b).*$/m,
  );
  assert.doesNotMatch(unit, /^PrivateDevices=yes/m, 'the serial devices must stay visible');
});

test('systemd-analyze verify accepts the unit', { skip }, () => {
  const r = run(['verify', UNIT]);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /pmlcd\.service:/, r.stderr);
});

test('systemd-analyze security: exposure at or below what the README reports', { skip }, () => {
  const readme = readFileSync(README, 'utf8');
  const reported = /exposure score of (\d+\.\d)/.exec(readme);
  assert.ok(reported, 'the README states the exposure score');
  const r = run(['security', '--offline=yes', '--no-pager', UNIT]);
  const m = /Overall exposure level for pmlcd\.service: (\d+\.\d)/.exec(r.stdout);
  assert.ok(m, `no score in ${r.stdout}${r.stderr}`);
  console.error(`# exposure ${m[1]} (README: ${reported[1]})`);
  assert.ok(Number(m[1]) <= Number(reported[1]), `exposure ${m[1]} is above the README's ${reported[1]}`);
});
