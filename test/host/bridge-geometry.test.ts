// The bridge on every LCD size, against the scripted PMWEBAPI server and the scripted
// board: the size comes from the banner's lcd= (or the lcdSize setting), frames fill every
// row and column, every page fits, and a banner with a size that makes no sense is
// warned about (escaped) and drawn for as a 16x2.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Bridge } from '../../host/src/bridge.ts';
import { resolveConfig, type PageName, PAGE_NAMES } from '../../host/src/config.ts';
import { formatRate } from '../../host/src/format.ts';
import { LCD_SIZES, chooseGeometry, parseLcdSize } from '../../host/src/geometry.ts';
import { createLogger, silentLogger, type Logger } from '../../host/src/log.ts';
import { frameCommands } from '../../host/src/protocol.ts';
import { History } from '../../host/src/rates.ts';
import { renderSlot, alertFor, type ScreenInput } from '../../host/src/screens.ts';
import { SerialLink } from '../../host/src/serial-link.ts';
import type { SourceState } from '../../host/src/source.ts';
import { startFakePmwebapi } from '../support/pmwebapi-fake.ts';
import { FakeBoard, type FakeBoardOptions } from './support/fake-board.ts';

async function until(cond: () => boolean, what: () => string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await sleep(5);
  }
}

async function rig(
  boardOpts: FakeBoardOptions,
  flags: Record<string, string>,
  log: Logger,
  fn: (r: { board: FakeBoard; bridge: Bridge; advance: (sec: number, i: bigint, o: bigint) => void }) => Promise<void>,
) {
  const fake = await startFakePmwebapi();
  const board = new FakeBoard(boardOpts);
  const link = new SerialLink({
    binding: board.binding(),
    findPath: async () => board.path,
    bannerTimeoutMs: 200,
    replyTimeoutMs: 300,
  });
  const cfg = resolveConfig({
    flags: { url: fake.url, iface: 'eth0', 'latency-instance': 'lo', poll: '5', 'timeout-ms': '500', ...flags },
  });
  const bridge = new Bridge({ cfg, link, log });
  link.start();
  const eth0 = fake.state.interfaces.find((i) => i.name === 'eth0')!;
  try {
    await fn({
      board,
      bridge,
      advance: (sec, i, o) => {
        fake.state.timestamp.sec += sec;
        eth0.in += i;
        eth0.out += o;
      },
    });
  } finally {
    await bridge.stop();
    await fake.close();
  }
}

for (const size of LCD_SIZES) {
  test(`${size} from the banner: the main screen fills the glass`, async () => {
    await rig({ lcd: size }, {}, silentLogger, async ({ board, bridge, advance }) => {
      const g = parseLcdSize(size)!;
      await bridge.pollOnce();
      advance(2, 3_086_419n, 211_250n);
      await bridge.pollOnce();
      const down = formatRate(Math.round((3_086_419 * 8) / 2));
      await until(
        () => board.text()[0].includes(down),
        () => `${down} on row 1, got ${JSON.stringify(board.text())}`,
      );
      assert.deepEqual(bridge.geometry, g);
      assert.equal(board.text().length, g.rows);
      // The glass shows what the bridge composed, all of it (T commands may draw a frame row by row).
      const same = () => JSON.stringify(board.text()) === JSON.stringify(bridge.refresh().lines);
      await until(
        same,
        () => `the glass ${JSON.stringify(board.text())} = the page ${JSON.stringify(bridge.refresh().lines)}`,
      );
      const rows = board.text();
      for (const r of rows) assert.equal(r.length, g.cols);
      if (g.rows === 4) {
        assert.match(rows[3], /^eth0@localho(st)? +\d+s$/, 'row 4: source and age');
        assert.match(rows[2], /ms .*\/|ms.*\/.*\//, 'row 3: latency and min/max');
      }
      if (g.cols === 20 && g.rows === 2) assert.match(rows[0], / +\d+s$/, 'the 20x2 shows the age');
    });
  });
}

test('the lcdSize setting wins over the banner; a board without lcd= uses it too', async () => {
  await rig({ lcd: '16x2' }, { 'lcd-size': '20x4' }, silentLogger, async ({ bridge, board }) => {
    await bridge.pollOnce();
    await until(
      () => bridge.geometry.rows === 4,
      () => 'geometry from the setting',
    );
    // The fake's glass is 16x2: a 20x4 frame is refused there, which is what a wrong setting does.
    assert.equal(board.cols, 16);
  });
  await rig({ lcd: null }, { 'lcd-size': '20x2' }, silentLogger, async ({ bridge, board }) => {
    await bridge.pollOnce();
    assert.deepEqual(bridge.geometry, { cols: 20, rows: 2 });
    assert.equal(board.rows, 2);
  });
  assert.throws(
    () => resolveConfig({ flags: { 'lcd-size': '40x4' } }),
    /lcdSize.*must be one of auto, 16x2, 20x2, 16x4, 20x4/,
  );
  assert.throws(() => resolveConfig({ env: { PMLCD_LCD_SIZE: '20X4' } }), /PMLCD_LCD_SIZE/);
  assert.equal(resolveConfig({ env: { PMLCD_LCD_SIZE: '16x4' } }).lcdSize, '16x4');
});

test('a banner with an absurd lcd= is warned about once, escaped, and drawn for as 16x2', async () => {
  const logged: string[] = [];
  const log = createLogger('pretty', (l) => logged.push(l));
  await rig({ lcd: '9999x9999\x1b[2J' }, {}, log, async ({ bridge, board }) => {
    await bridge.pollOnce();
    await until(
      () => logged.some((l) => l.includes('lcd size')),
      () => 'a warning',
    );
    await until(
      () => board.text()[0] !== '',
      () => 'a frame',
    );
    assert.deepEqual(bridge.geometry, { cols: 16, rows: 2 });
    const warning = logged.filter((l) => l.includes('warn') && l.includes('lcd size'));
    assert.equal(warning.length, 1, logged.join(''));
    assert.ok(!warning[0].includes('\x1b'), 'the escape character is not printed raw');
    assert.match(warning[0], /lcd=9999x9999\\x1b\[2J/);
    board.resetBoard();
    await sleep(100);
    assert.equal(
      logged.filter((l) => l.includes('warn') && l.includes('lcd size')).length,
      1,
      'said once, not per reset',
    );
  });
  for (const bad of ['', '16x', 'x2', '0x0', '16x2x2', '-16x2', '16 x2', '1'.repeat(500), '__proto__', 'constructor']) {
    const c = chooseGeometry('auto', bad);
    assert.deepEqual(c.geometry, { cols: 16, rows: 2 }, bad);
    assert.ok(c.warning && c.warning.length < 200, bad);
  }
  assert.equal(chooseGeometry('auto', undefined).warning, undefined, 'no lcd= at all is no warning');
});

function source(): SourceState {
  const h = new History(20);
  for (let v = 1; v <= 20; v++) h.push(v * 1000);
  return {
    name: 'a-rather-long-source-name.example.org',
    up: true,
    lastError: 'HTTP 500: context: something went wrong on the server side',
    lastGoodMs: 10_000,
    timestampNs: 1n,
    latencyUs: 600_000,
    latency: { minUs: 1_200, avgUs: 23_400, maxUs: 15_000_000, samples: 30 },
    api: 'pmproxy',
    polls: 3,
    ifaces: [
      { name: 'enp3s0f1-very-long', status: 'rate', down: 1_543_210n, up: 105_625n, present: true, downHistory: h },
    ],
  };
}

test('every page and alert fits every size, row for row', () => {
  for (const size of LCD_SIZES) {
    const g = parseLcdSize(size)!;
    for (const [name, over] of [
      ['fresh', {}],
      ['down', { up: false }],
    ] as const) {
      const input: ScreenInput = {
        cfg: resolveConfig({}),
        sources: [{ ...source(), ...over }],
        nowMs: over.up === false ? 60_000 : 11_000,
        startMs: 0,
        geometry: g,
      };
      const pages = PAGE_NAMES.map(
        (page: PageName) => [page, renderSlot({ page, index: 0, seconds: 5 }, input).lines] as const,
      );
      const alert = alertFor(input);
      assert.ok(alert, `${size} ${name}: an alert (latency high or source down)`);
      for (const [page, lines] of [...pages, ['alert', alert] as const]) {
        assert.equal(lines.length, g.rows, `${size} ${name} ${page}`);
        for (const l of lines) assert.equal(l.length, g.cols, `${size} ${name} ${page}: ${JSON.stringify(l)}`);
        // Whatever a page holds, it goes out in lines the board accepts.
        for (const c of frameCommands(lines)) assert.ok(c.length < 64, `${size} ${page}: ${c}`);
      }
    }
  }
});

test('four rows: the history is three rows tall, the interface page has bars, the status page the whole error', () => {
  const g = { cols: 20, rows: 4 };
  const src = { ...source(), latencyUs: 2_000, lastError: 'connection failed: ECONNREFUSED' };
  const input: ScreenInput = { cfg: resolveConfig({}), sources: [src], nowMs: 11_000, startMs: 0, geometry: g };
  const history = renderSlot({ page: 'history', index: 0, seconds: 5 }, input).lines;
  // 20 values 1..20 (k): the last is full height (glyph 7 on all three chart rows), the first 2 of 24 levels.
  assert.equal(history[1].at(-1), '\x07');
  assert.equal(history[3].at(-1), '\x07');
  assert.equal(history[1][0], ' ');
  assert.equal(history[3][0], '\x01', 'the first sample, 2 pixels high');
  const iface = renderSlot({ page: 'iface', index: 0, seconds: 5 }, input).lines;
  assert.match(iface[2], /^\x00\xff+/);
  const status = renderSlot({ page: 'status', index: 0, seconds: 5 }, input).lines;
  assert.equal(status.slice(1).join('').trim(), 'connection failed: ECONNREFUSED');
  // On two rows the status page keeps the useful end, as before.
  const two = renderSlot({ page: 'status', index: 0, seconds: 5 }, { ...input, geometry: { cols: 16, rows: 2 } }).lines;
  assert.equal(two[1], 'ECONNREFUSED    ');
});
