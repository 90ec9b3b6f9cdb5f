// firmware/src/config.cpp natively against an EEPROM that loses power mid-save
// (test/native/config_store_cli.cpp): no power cut loses the settings or leaves
// half of a change, and the hold-off bounds the worst host's wear.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildNative, runNative } from './native-build.ts';

const exe = await buildNative('config-store', ['test/native/config_store_cli.cpp', 'firmware/src/config.cpp']);
const kv = (line: string) =>
  Object.fromEntries(
    line
      .split(' ')
      .map((f) => f.split('='))
      .map(([k, v]) => [k, Number(v)]),
  );
const run = async (...args: string[]) => kv((await runNative(exe, '', args))[0]);

const SEED = 20261202;
const CUTS = 10_000;
const ENDURANCE = 100_000; // ATmega328P datasheet: EEPROM write/erase cycles per cell
const SLOTS = 4;
const HOLDOFF_S = 60;
// Worst host: one save per hold-off of uptime, each rewriting one slot's cells.
const LIFETIME_S = ENDURANCE * SLOTS * HOLDOFF_S;

test(`${CUTS} power cuts at random points of random saves (seed ${SEED}): old or new settings, never defaults, never half`, async () => {
  const r = await run('cuts', String(SEED), String(CUTS));
  assert.equal(r.cuts, CUTS);
  assert.equal(r.lost, 0, 'settings lost');
  assert.equal(r.half, 0, 'half-applied configurations');
  assert.equal(r.old + r.new + r.blankboots, CUTS);
  assert.ok(r.new > 0 && r.old > 0, 'cuts landed both before and after the commit point');
});

test('the same across the 32-bit wrap of the sequence number', async () => {
  const r = await run('cuts', String(SEED + 1), '2000', 'wrap');
  assert.equal(r.lost + r.half, 0);
  assert.equal(r.seqfrom, 0xfffffff0);
  assert.ok(r.seqto > 0 && r.seqto < 0xfffffff0, `wrapped to ${r.seqto}`);
});

test(`worst host, 72 C SET/s with new values for 6 h: one save a minute, lifetime ${(LIFETIME_S / 86400).toFixed(0)} days`, async () => {
  const seconds = 6 * 3600;
  const r = await run('wear', String(seconds), '72');
  assert.equal(r.stored, 1, 'the last value reached EEPROM after the hold-off');
  assert.ok(r.saves <= seconds / HOLDOFF_S + 1, `${r.saves} saves`);
  // One write per cell per slot visit; the first save (at once) and the last (after the run) are the +1.
  assert.ok(r.maxcell <= Math.ceil(seconds / HOLDOFF_S / SLOTS) + 1, `most-written cell ${r.maxcell} writes`);
  const lifetime = (ENDURANCE * seconds) / (r.maxcell - 1);
  assert.ok(
    lifetime >= LIFETIME_S * 0.99,
    `most-written cell ${r.maxcell} writes in ${seconds} s: ${(lifetime / 86400).toFixed(1)} days`,
  );
  assert.ok(LIFETIME_S / 86400 > 270, 'documented as about 278 days');
});

test('a host that resets the board (RAM kept) before every C SET gets no more saves, and the last value is kept', async () => {
  const seconds = 6 * 3600;
  const r = await run('resetloop', String(seconds));
  assert.equal(r.stored, 1);
  assert.ok(r.saves <= seconds / HOLDOFF_S + 1, `${r.saves} saves`);
  assert.ok((ENDURANCE * seconds) / (r.maxcell - 1) >= LIFETIME_S * 0.99, `most-written cell ${r.maxcell} writes`);
});
