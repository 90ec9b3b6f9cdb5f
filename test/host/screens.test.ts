// Pages, rotation and alerts (host-only pages; the main page is also covered by the shared vectors).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Rotation,
  alertFor,
  expandPages,
  renderSlot,
  screenNow,
  shortError,
  type ScreenInput,
} from '../../host/src/screens.ts';
import { History } from '../../host/src/rates.ts';
import type { SourceState } from '../../host/src/source.ts';
import { defaults } from '../../host/src/config.ts';

function source(over: Partial<SourceState> = {}): SourceState {
  const downHistory = new History(16);
  return {
    name: 'localhost',
    up: true,
    lastError: null,
    lastGoodMs: 10_000,
    timestampNs: 1n,
    latencyUs: 23_400,
    latency: { minUs: 1_200, avgUs: 23_400, maxUs: 120_000, samples: 3 },
    api: 'pmproxy',
    polls: 3,
    ifaces: [{ name: 'ppp0', status: 'rate', down: 1_543_210n, up: 105_625n, present: true, downHistory }],
    ...over,
  };
}

function input(over: Partial<ScreenInput> = {}, src: Partial<SourceState> = {}): ScreenInput {
  return { cfg: defaults(), sources: [source(src)], nowMs: 11_000, startMs: 0, ...over };
}

const slot = (page: Parameters<typeof renderSlot>[0]['page'], index = 0) => ({ page, index, seconds: 5 });

test('main page: byte counters shown as bits, bar against the downlink capacity', () => {
  const p = renderSlot(slot('main'), input());
  assert.deepEqual(p.lines, ['\x0012.3M \x01 845kbps', `  23ms ${'\xff'.repeat(5)}\x03   `]);
  assert.equal(p.glyphs.name, 'main');
});

test('main page: first sample shows NA rates but the latency', () => {
  const i = input(
    {},
    { ifaces: [{ name: 'ppp0', status: 'first', down: null, up: null, present: true, downHistory: new History(4) }] },
  );
  assert.deepEqual(renderSlot(slot('main'), i).lines, ['\x00  NA  \x01  NA bps', `  23ms ${' '.repeat(9)}`]);
});

test('main page: a sample without a rate says why on line 1 (docs/rates.md)', () => {
  const no = (status: 'reset' | 'back' | 'gap') =>
    input({}, { ifaces: [{ name: 'ppp0', status, down: null, up: null, present: true, downHistory: new History(4) }] });
  assert.deepEqual(renderSlot(slot('main'), no('back')).lines, ['clock went back ', `  23ms ${' '.repeat(9)}`]);
  assert.equal(renderSlot(slot('main'), no('gap')).lines[0], 'time jump or gap');
  assert.equal(renderSlot(slot('main'), no('reset')).lines[0], 'counter reset   ');
});

test('main page: stale after 3 poll intervals, with the age', () => {
  const p = renderSlot(slot('main'), input({ nowMs: 10_000 + 125_000 }));
  assert.deepEqual(p.lines, ['\x00  NA  \x01  NA  2m', `  NA   ${' '.repeat(9)}`]);
});

test('other pages are 16 characters per line', () => {
  const h = new History(16);
  for (const v of [0, 100, 400, 800]) h.push(v);
  const i = input(
    {},
    {
      ifaces: [
        { name: 'ppp0', status: 'rate', down: 800n, up: 5n, present: true, downHistory: h },
        { name: 'eth0', status: 'first', down: null, up: null, present: false, downHistory: new History(2) },
      ],
    },
  );
  const pages = {
    iface: renderSlot(slot('iface', 1), i),
    host: renderSlot(slot('host'), i),
    latency: renderSlot(slot('latency'), i),
    history: renderSlot(slot('history'), i),
    status: renderSlot(slot('status'), i),
  };
  for (const [name, p] of Object.entries(pages))
    for (const l of p.lines) assert.equal(l.length, 16, `${name}: ${JSON.stringify(l)}`);
  assert.deepEqual(pages.iface.lines, ['eth0 gone    bps', '\x00  NA  \x01  NA    ']);
  assert.deepEqual(pages.latency.lines, ['ping min/avg/max', '  1.2   23  120 ']);
  assert.equal(pages.history.glyphs.name, 'spark');
  assert.equal(pages.history.lines[0], 'rx max 6.40kbps ');
  // 0 -> blank, 100/800 -> 1 row (glyph 0), 400/800 -> 4 rows (glyph 3), 800 -> full (glyph 7)
  assert.equal(pages.history.lines[1], `${' '.repeat(12)} \x00\x03\x07`);
  assert.deepEqual(pages.status.lines, ['PCP 1/1 up pmpro', 'no errors       ']);
});

test('rotation follows per-page durations and expands per-interface / per-host pages', () => {
  const slots = expandPages(
    [
      { page: 'main', seconds: 10 },
      { page: 'iface', seconds: 2 },
    ],
    2,
    1,
  );
  assert.deepEqual(
    slots.map((s) => `${s.page}${s.index}`),
    ['main0', 'iface0', 'iface1'],
  );
  const r = new Rotation(slots, 0);
  assert.equal(r.current(0).page, 'main');
  assert.equal(r.current(9_999).page, 'main');
  assert.deepEqual([r.current(10_000).page, r.current(10_000).index], ['iface', 0]);
  assert.equal(r.current(12_000).index, 1);
  assert.equal(r.current(14_000).page, 'main');
  assert.equal(r.current(154_000).page, 'main', 'ten whole cycles later');
});

test("skip: the next page at once, with its whole time (the demo web page's page switch)", () => {
  const r = new Rotation(
    [
      { page: 'main', index: 0, seconds: 10 },
      { page: 'latency', index: 0, seconds: 4 },
    ],
    0,
  );
  assert.equal(r.skip(3_000).page, 'latency');
  assert.equal(r.current(6_999).page, 'latency', 'its 4 s count from the switch');
  assert.equal(r.current(7_000).page, 'main');
  assert.equal(r.skip(8_000).page, 'latency');
  assert.equal(r.skip(8_500).page, 'main', 'and round again');
});

test('alerts pre-empt the rotation: source down, then latency over the threshold', () => {
  const r = new Rotation([{ page: 'status', index: 0, seconds: 5 }], 0);
  const down = screenNow(r, input({ nowMs: 12_000 }, { up: false, lastError: 'connection failed: ECONNREFUSED' }));
  assert.deepEqual(down.lines, ['!PCP down     2s', 'ECONNREFUSED    ']);
  assert.equal(down.backlight, 2);
  // it alternates with the main page, marked stale once 3 polls old
  const later = screenNow(r, input({ nowMs: 19_000 }, { up: false, lastError: 'x' }));
  assert.deepEqual(later.lines, ['\x00  NA  \x01  NA  9s', `  NA   ${' '.repeat(9)}`]);
  assert.equal(later.backlight, 2);
  const slow = alertFor(input({}, { latencyUs: 600_000 }));
  assert.deepEqual(slow, ['!LATENCY HIGH   ', ' 600ms > 500ms  ']);
  assert.equal(alertFor(input({ cfg: { ...defaults(), alertLatencyMs: 0 } }, { latencyUs: 600_000 })), null);
  assert.equal(screenNow(r, input()).lines[0].startsWith('PCP 1/1'), true);
});

test('short errors keep the useful end', () => {
  assert.equal(shortError('HTTP 400: cannot connect to PMCD: Connection refused'), '400 Connection refused');
  assert.equal(shortError('request timed out'), 'request timed out');
  assert.equal(shortError(null), 'no errors');
});
