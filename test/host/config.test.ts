// Configuration layers, validation, and the CLI's exit codes (spawned for real).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, resolveConfig } from '../../host/src/config.ts';
import { main, type Io } from '../../host/src/cli.ts';
import { FakeBoard } from './support/fake-board.ts';

const BIN = new URL('../../bin/pmlcd.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'pmlcd-cfg-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function cli(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PMLCD_')));
  return spawnSync(process.execPath, [BIN, ...args], { env: { ...clean, ...env }, encoding: 'utf8', timeout: 20_000 });
}

test('defaults < file < environment < flags', () => {
  const fileLayer = { pollSec: 5, units: 'bytes', iface: ['eth0'], capDown: 1000 };
  assert.equal(resolveConfig({}).pollSec, 2);
  assert.equal(resolveConfig({ file: fileLayer }).pollSec, 5);
  const c = resolveConfig({ file: fileLayer, env: { PMLCD_POLL: '7', PMLCD_UNITS: 'bits' }, flags: { poll: '9' } });
  assert.equal(c.pollSec, 9, 'flag beats env');
  assert.equal(c.units, 'bits', 'env beats file');
  assert.deepEqual(c.iface, ['eth0'], 'file beats default');
  assert.equal(c.capDown, 1000);
  assert.deepEqual(resolveConfig({ env: { PMLCD_IFACE: 'ppp0, eth1' } }).iface, ['ppp0', 'eth1']);
});

test('url/hostspec/api address the first source; a file may list several', () => {
  const c = resolveConfig({
    file: {
      sources: [
        { url: 'http://127.0.0.1:1', hostspec: 'a' },
        { name: 'b', url: 'http://127.0.0.2:2' },
      ],
    },
    flags: { hostspec: 'router' },
  });
  assert.equal(c.sources.length, 2);
  assert.equal(c.sources[0].hostspec, 'router');
  assert.equal(c.sources[1].name, 'b');
  assert.equal(c.sources[1].api, 'auto');
});

test('bad values name the setting and where it came from', () => {
  const bad: [Parameters<typeof resolveConfig>[0], RegExp][] = [
    [{ flags: { poll: '0' } }, /"pollSec" \(flag --poll\): must be between/],
    [{ env: { PMLCD_UNITS: 'nibbles' } }, /"units" \(environment PMLCD_UNITS\)/],
    [{ file: { pollSec: 'fast' } }, /"pollSec" \(config file\): "fast" is not a number/],
    [{ file: { nosuch: 1 } }, /"nosuch".*unknown setting/],
    [{ file: { url: 'ftp://x' } }, /"url".*http/],
    [{ file: { pages: [{ page: 'weather' }] } }, /"pages\[0\]\.page".*must be one of/],
    [{ file: { sources: [] } }, /"sources"/],
    [{ file: { iface: [] } }, /"iface"/],
    [{ flags: { poll: '1', 'timeout-ms': '5000' } }, /"timeoutMs".*shorter than 4 poll/],
  ];
  for (const [input, re] of bad)
    assert.throws(
      () => resolveConfig(input),
      (e: unknown) => e instanceof ConfigError && re.test(e.message),
      re.source,
    );
});

test('URLs: credentials, bad ports and malformed hosts are refused up front, the password never echoed', () => {
  const bad: [string, RegExp][] = [
    ['http://user:secret@host:44322', /user name or password/],
    ['http://user@host', /user name or password/],
    ['http://host:99999', /port must be between 1 and 65535/],
    ['http://host:0', /port must be between 1 and 65535/],
    ['http://a b', /not a valid URL/],
    ['http://', /not a valid URL/],
    ['http://host:44322/?x=1', /query or fragment/],
    ['file:///etc/passwd', /http/],
  ];
  for (const [url, re] of bad) {
    for (const input of [{ flags: { url } }, { file: { sources: [{ url }] } }, { env: { PMLCD_URL: url } }]) {
      assert.throws(
        () => resolveConfig(input),
        (e: unknown) => e instanceof ConfigError && re.test(e.message) && !/secret/.test(e.message),
        `${url} in ${JSON.stringify(input)}`,
      );
    }
  }
  assert.equal(resolveConfig({ flags: { url: 'https://[::1]:44322/' } }).sources[0].url, 'https://[::1]:44322/');
});

test('the exact path of a bad entry in sources[] and pages[] is named', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [
      { sources: [{ url: 'http://a:1' }, { url: 'http://b:2', hostpsec: 'x' }] },
      /"sources\[1\]\.hostpsec".*unknown setting/,
    ],
    [{ pages: [{ page: 'main', secs: 5 }] }, /"pages\[0\]\.secs".*unknown setting/],
    [{ sources: [{ url: 'http://a:1', name: '' }] }, /"sources\[0\]\.name".*must not be empty/],
    [{ sources: [{ url: 'http://a:1', hostspec: '' }] }, /"sources\[0\]\.hostspec".*must not be empty/],
    [{ sources: [{ url: 'http://a:1', api: 'soap' }] }, /"sources\[0\]\.api".*one of/],
    [{ sources: [{ name: 'x' }] }, /"sources\[0\]\.url"/],
    [{ sources: ['http://a:1'] }, /"sources\[0\]".*object/],
    [{ pages: [{ page: 'main', seconds: 0 }] }, /"pages\[0\]\.seconds"/],
    [{ pages: [{ page: 'weather' }] }, /"pages\[0\]\.page"/],
    [{ iface: [''] }, /"iface\[0\]".*must not be empty/],
    [{ iface: ['eth0', 'eth1\n'] }, /"iface\[1\]".*control character/],
    [{ hostspec: 'a\u001b[2J' }, /"hostspec".*control character/],
    [{ metricIn: 'network interface' }, /"metricIn".*metric name/],
  ];
  for (const [file, re] of bad) {
    assert.throws(
      () => resolveConfig({ file }),
      (e: unknown) => e instanceof ConfigError && re.test(e.message),
      `${JSON.stringify(file)} -> ${re.source}`,
    );
  }
  assert.throws(
    () => resolveConfig({ env: { PMLCD_IFACE: 'eth0,\u0007' } }),
    /"iface\[1\]" \(environment PMLCD_IFACE\).*control character/,
  );
  assert.throws(() => resolveConfig({ flags: { iface: ',' } }), /"iface"/);
});

test('CLI: credentials in a URL exit 78 without echoing the password; control characters in errors are escaped', () => {
  const r = cli(['--check-config', '--url', 'http://user:secret@host']);
  assert.equal(r.status, 78, r.stderr);
  assert.match(r.stderr, /"url" \(flag --url\)/);
  assert.doesNotMatch(r.stderr + r.stdout, /secret/);
  for (const args of [
    ['--check-config', '--url', 'http://h:99999'],
    ['--check-config', '--url', 'http://a b'],
    [
      '--check-config',
      '--config',
      file('typo.json', JSON.stringify({ sources: [{ url: 'http://a:1', hostpsec: 'x' }] })),
    ],
  ]) {
    const c = cli(args);
    assert.equal(c.status, 78, `${args.join(' ')}: ${c.stderr}`);
  }
  // Node's JSON parse error quotes the file: a terminal escape in it must come out escaped.
  const hostile = cli(['--check-config', '--config', file('esc.json', '\u001b[2J\u001b]0;x\u0007')]);
  assert.equal(hostile.status, 78);
  assert.doesNotMatch(hostile.stderr, /[\x00-\x09\x0b-\x1f\x7f]/, JSON.stringify(hostile.stderr));
});

test('CLI: --check-config exits 0 on a good file, 78 naming the setting on a bad one', () => {
  const good = file('good.json', JSON.stringify({ iface: ['eth0'], pollSec: 3 }));
  assert.equal(cli(['--check-config', '--config', good]).status, 0);
  const cases: [string, RegExp][] = [
    [file('syntax.json', '{"pollSec": 3,'), /not valid JSON/],
    [file('value.json', '{"units": "nibbles"}'), /"units"/],
    [file('array.json', '[1,2]'), /JSON object/],
    [join(dir, 'missing.json'), /cannot read: ENOENT/],
  ];
  for (const [path, re] of cases) {
    const r = cli(['--check-config', '--config', path]);
    assert.equal(r.status, 78, `${path}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  const env = cli(['--check-config'], { PMLCD_POLL: 'soon' });
  assert.equal(env.status, 78);
  assert.match(env.stderr, /PMLCD_POLL/);
});

test('CLI: bad usage exits 64; --help, --version, --print-config, flash --dry-run', () => {
  for (const args of [['--bogus'], ['frobnicate'], ['config', 'get'], ['run', 'extra']]) {
    const r = cli(args);
    assert.equal(r.status, 64, `${args.join(' ')}: ${r.stderr}`);
  }
  assert.match(cli(['--help']).stdout, /pmlcd run/);
  assert.match(cli(['--version']).stdout, /^pmlcd \d+\.\d+\.\d+/);
  const printed = JSON.parse(cli(['--print-config', '--units', 'bytes'], { PMLCD_IFACE: 'eth9' }).stdout);
  assert.equal(printed.units, 'bytes');
  assert.deepEqual(printed.iface, ['eth9']);
  const flash = cli(['flash', '--dry-run', '--port', '/dev/ttyACM0', '--hex', '/tmp/x.hex']);
  assert.equal(
    flash.stdout.trim(),
    'avrdude -p atmega328p -c arduino -P /dev/ttyACM0 -b 115200 -D -U flash:w:/tmp/x.hex:i',
  );
});

function captureIo(): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    isTTY: false,
    out: (s: string) => {
      io.stdout += s;
    },
    err: (s: string) => {
      io.stderr += s;
    },
  };
  return io;
}

test('config get/set/list talk C commands to the board', async () => {
  const board = new FakeBoard();
  const deps = { binding: board.binding() };
  const env = { PMLCD_PORT: board.path };
  let io = captureIo();
  assert.equal(await main(['config', 'set', 'iface', 'eth0'], env, io, deps), 0, io.stderr);
  assert.equal(board.settings.get('iface'), 'eth0');
  io = captureIo();
  assert.equal(await main(['config', 'get', 'iface'], env, io, deps), 0, io.stderr);
  assert.equal(io.stdout, 'eth0\n');
  io = captureIo();
  assert.equal(await main(['config', 'list'], env, io, deps), 0);
  assert.match(io.stdout, /^mode=host\n/);
  assert.match(io.stdout, /^iface=eth0$/m);
  io = captureIo();
  assert.equal(await main(['config', 'get', 'nosuch'], env, io, deps), 78);
  assert.match(io.stderr, /KEY/);
  io = captureIo();
  assert.equal(
    await main(['config', 'list'], {}, io, { binding: new FakeBoard({ path: '/dev/other' }).binding() }),
    0,
    'found by USB id',
  );
  board.unplug();
  io = captureIo();
  assert.equal(await main(['config', 'list'], { PMLCD_PORT: board.path }, io, deps), 1);
  assert.match(io.stderr, /cannot open/);
});

test('config set refuses control characters: a newline cannot smuggle a second command to the board', async () => {
  const board = new FakeBoard();
  const deps = { binding: board.binding() };
  const env = { PMLCD_PORT: board.path };
  const pollBefore = board.settings.get('poll');
  for (const args of [
    ['set', 'iface', 'eth0\nC SET poll 99'],
    ['set', 'iface', 'eth0\rC SET poll 99'],
    ['set', 'iface\nC', 'x'],
    ['get', 'poll\x1b'],
  ]) {
    const io = captureIo();
    assert.equal(await main(['config', ...args], env, io, deps), 78, `${JSON.stringify(args)}: ${io.stderr}`);
    assert.match(io.stderr, /control character/);
    assert.doesNotMatch(io.stderr, /[\x00-\x09\x0b-\x1f]/);
  }
  assert.equal(board.settings.get('poll'), pollBefore);
  assert.equal(board.settings.get('iface'), 'ppp0');
});

test('the shipped example config and the systemd unit agree with the CLI', () => {
  const example = new URL('../../deploy/pmlcd.example.json', import.meta.url).pathname;
  const r = cli(['--check-config', '--config', example]);
  assert.equal(r.status, 0, r.stderr);
  const unit = readFileSync(new URL('../../deploy/pmlcd.service', import.meta.url), 'utf8');
  const exec = /^ExecStart=\S+ \S+bin\/pmlcd\.mjs (.*)$/m.exec(unit);
  assert.ok(exec, 'ExecStart runs bin/pmlcd.mjs');
  const args = exec[1].split(' ').map((a) => (a === '/etc/pmlcd.json' ? example : a));
  const checked = cli([...args, '--check-config']);
  assert.equal(checked.status, 0, checked.stderr);
  assert.match(unit, /RestartPreventExitStatus=64 78/);
  assert.doesNotMatch(unit, /PrivateDevices=yes/);
});

test('ports lists devices and marks the board', async () => {
  const io = captureIo();
  assert.equal(await main(['ports'], {}, io, { binding: new FakeBoard().binding() }), 0);
  assert.match(io.stdout, /^\* \/dev\/ttyFAKE0 2341:0043 Arduino$/m);
  const failing = {
    ...new FakeBoard().binding(),
    list: async () => {
      throw new Error('spawn udevadm ENOENT');
    },
  };
  const bad = captureIo();
  assert.equal(await main(['ports'], {}, bad, { binding: failing }), 69, 'a failed listing is not a success');
  assert.match(bad.stderr, /cannot list ports: spawn udevadm ENOENT/);
});
