// The protocol client and the serial link against the scripted fake firmware.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeBoard, type FakeBoardOptions } from './support/fake-board.ts';
import { SerialLink, type Display } from '../../host/src/serial-link.ts';
import { MAIN_GLYPHS, SPARK_GLYPHS } from '../../host/src/glyphs.ts';
import { ProtocolClient, escapeText, frameCommands, glyphCommand, parseBanner } from '../../host/src/protocol.ts';

const screen = (a: string, b: string, glyphs = MAIN_GLYPHS): Display => ({
  lines: [a.padEnd(16), b.padEnd(16)],
  glyphs,
  backlight: 1,
});

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

function link(board: FakeBoard, extra: Partial<ConstructorParameters<typeof SerialLink>[0]> = {}) {
  const l = new SerialLink({
    binding: board.binding(),
    findPath: async () => (board.plugged ? board.path : null),
    bannerTimeoutMs: 150,
    replyTimeoutMs: 500,
    keepAliveMs: 500,
    backoffMinMs: 20,
    backoffMaxMs: 100,
    ...extra,
  });
  const problems: string[] = [];
  l.on('problem', (m: string) => problems.push(m));
  return { l, problems };
}

async function withBoard(
  opts: FakeBoardOptions,
  fn: (b: FakeBoard, l: SerialLink, problems: string[]) => Promise<void>,
) {
  const b = new FakeBoard(opts);
  const { l, problems } = link(b);
  l.start();
  try {
    await fn(b, l, problems);
  } finally {
    await l.stop();
  }
}

test('escapes and frames follow docs/protocol.md', () => {
  assert.equal(escapeText('\x00a|b\\\xff', true), '\\0a\\|b\\\\\\xFF');
  assert.equal(escapeText('a|b', false), 'a|b');
  assert.deepEqual(frameCommands(['\x0012.3M \x01 845kbps', '  23ms \xff\xff\x03      ']), [
    'F \\012.3M \\1 845kbps|  23ms \\xFF\\xFF\\3      ',
  ]);
  // a full bar does not fit one 64-byte line: two T commands instead
  const full = frameCommands(['\x0012.3M \x01 845kbps', `  >10s ${'\xff'.repeat(9)}`]);
  assert.equal(full.length, 2);
  assert.ok(full.every((c) => c.length < 64));
  assert.equal(glyphCommand(0, MAIN_GLYPHS.rows[0]), 'G 0 04040404150E0400');
  assert.deepEqual(parseBanner('PMLCD 1 fw=0.1.0 lcd=16x2 mode=host reset=power cfg=ok')?.fields.reset, 'power');
  assert.equal(parseBanner('PMLCDX'), null);
});

test('the encoder refuses a command with a control character or a non-ASCII byte before writing anything', async () => {
  const written: string[] = [];
  const client = new ProtocolClient((d) => written.push(d), 200);
  for (const cmd of [
    'C SET iface eth0\nC SET poll 99',
    'C SET iface a\rb',
    'F a\x00|b',
    'T 0 0 \x1b[2J',
    'T 0 0 caf\xe9',
    'P\x7f',
  ]) {
    await assert.rejects(client.send(cmd), /control character|non-ASCII/, JSON.stringify(cmd));
  }
  assert.deepEqual(written, []);
});

test('banner, glyphs once per set, frame drawn', async () => {
  await withBoard({}, async (b, l) => {
    l.show(screen('hello', 'world'));
    await until(() => b.text()[0].startsWith('hello'), 'frame');
    assert.equal(b.glyphsDefined, 8);
    assert.equal(l.banner?.fields.mode, 'host');
    l.show(screen('again', 'world'));
    await until(() => b.text()[0].startsWith('again'), 'second frame');
    assert.equal(b.glyphsDefined, 8, 'same glyph set is not resent');
    l.show(screen('spark', '\x00\x07', SPARK_GLYPHS));
    await until(() => b.text()[0].startsWith('spark'), 'spark page');
    assert.equal(b.glyphsDefined, 16);
    const g = b.received.findIndex((c) => c.startsWith('G 7 1F1F'));
    const f = b.received.findIndex((c) => c.startsWith('F spark'));
    assert.ok(g >= 0 && g < f, 'glyphs are defined before the frame that uses them');
  });
});

test('full bar goes out as two T lines and the LCD shows it', async () => {
  await withBoard({}, async (b, l) => {
    l.show(screen('\x00 4.29G', `  >10s ${'\xff'.repeat(9)}`));
    await until(() => b.text()[1].endsWith('\xff'.repeat(9)), 'bar');
  });
});

test('no banner (auto-reset disabled): V probe after the banner timeout', async () => {
  await withBoard({ banner: false }, async (b, l) => {
    l.show(screen('probed', ''));
    await until(() => b.text()[0].startsWith('probed'), 'frame');
    assert.equal(b.received[0], 'V');
  });
});

test('commands are paced: never a second line before the reply', async () => {
  await withBoard({ replyDelayMs: 20 }, async (b, l) => {
    const sent: number[] = [];
    const orig = b.handle.bind(b);
    let outstanding = 0;
    b.handle = (line) => {
      outstanding++;
      sent.push(outstanding);
      setTimeout(() => outstanding--, 19);
      return orig(line);
    };
    l.show(screen('paced', 'x'));
    await until(() => b.text()[0].startsWith('paced'), 'frame');
    assert.ok(sent.length >= 9);
    assert.ok(
      sent.every((n) => n === 1),
      `outstanding counts ${sent}`,
    );
  });
});

test('ERR replies are reported and do not spin', async () => {
  await withBoard({ errFor: /^F / }, async (b, l, problems) => {
    l.show(screen('refused', ''));
    await until(() => problems.some((p) => p.includes('ERR') || p.includes('VAL')), 'problem');
    await sleep(100);
    const frames = b.received.filter((c) => c.startsWith('F ')).length;
    assert.equal(frames, 1, 'a refused frame is not resent in a loop');
    assert.equal(l.state, 'ready');
    assert.equal(l.counters.err, 1);
  });
});

test('a board that never answers: no banner, probe times out, keeps retrying without hanging', async () => {
  await withBoard({ mute: true }, async (b, l, problems) => {
    l.show(screen('x', 'y'));
    await until(() => b.opens >= 2, 'a second attempt');
    assert.notEqual(l.state, 'ready');
    assert.ok(
      problems.some((p) => /no reply to "V"/.test(p)),
      problems.join('; '),
    );
  });
});

test('wrong protocol version is refused with a clear message', async () => {
  await withBoard({ version: 2 }, async (b, l, problems) => {
    l.show(screen('x', 'y'));
    await until(() => problems.some((p) => /protocol 2/.test(p)), 'version problem');
    assert.equal(b.received.filter((c) => c.startsWith('F')).length, 0);
  });
});

test('board reset mid-stream: glyphs and screen are sent again', async () => {
  await withBoard({}, async (b, l) => {
    l.show(screen('before', 'reset'));
    await until(() => b.text()[0].startsWith('before'), 'frame');
    b.resetBoard();
    await until(() => b.text()[1] === 'waiting for host', 'boot screen');
    await until(() => b.text()[0].startsWith('before'), 'redraw after reset');
    assert.equal(b.glyphsDefined, 8);
    assert.equal(l.counters.resets, 1);
  });
});

test('unplug and replug: nothing written while gone, latest screen drawn after', async () => {
  await withBoard({}, async (b, l) => {
    l.show(screen('one', ''));
    await until(() => b.text()[0].startsWith('one'), 'frame');
    b.unplug();
    await until(() => l.state !== 'ready', 'link down');
    const count = b.received.length;
    l.show(screen('two', ''));
    l.show(screen('three', ''));
    await sleep(150);
    assert.equal(b.received.length, count, 'no writes while unplugged');
    b.replug();
    await until(() => b.text()[0].startsWith('three'), 'latest frame after replug');
    assert.ok(!b.received.slice(count).some((c) => c.startsWith('F two')), 'stale frame dropped');
    assert.equal(b.opens, 2);
  });
});

test('keep-alive P when the screen does not change', async () => {
  await withBoard({}, async (b, l) => {
    l.show(screen('idle', ''));
    await until(() => b.received.includes('P'), 'keep-alive', 2000);
  });
});

test('stop shows the final screen, then closes', async () => {
  const b = new FakeBoard();
  const { l } = link(b);
  l.start();
  l.show(screen('running', ''));
  await until(() => b.text()[0].startsWith('running'), 'frame');
  await l.stop(screen('bridge stopped', ''));
  assert.equal(b.text()[0], 'bridge stopped  ');
  assert.equal(l.state, 'stopped');
});

test('stop during a handshake does not wait out the banner timeout', async () => {
  const b = new FakeBoard({ mute: true });
  const { l } = link(b, { bannerTimeoutMs: 3000, replyTimeoutMs: 3000 });
  l.start();
  await until(() => l.state === 'handshake', 'handshake');
  const t0 = Date.now();
  await l.stop();
  assert.ok(Date.now() - t0 < 500, `stop took ${Date.now() - t0} ms`);
});
