// Power cuts in the middle of a C SET's EEPROM writes, against the real firmware:
// after the cut the board boots with cfg=ok and either the old or the new
// settings, complete. The EEPROM model is frozen at the cut: the byte being
// written is left old, new or garbage and nothing after it reaches the cells.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootHostMode, reply, BANNER_RE, type HostModeBoard } from '../support/boot.ts';
import { mulberry32 } from '../support/prng.ts';

const SEED = 7;
const HOLDOFF_MS = 60_000;

function prng(seed: number): (n: number) => number {
  const next = mulberry32(seed);
  return (n) => next() % n;
}

async function list(h: HostModeBoard): Promise<Record<string, string>> {
  const cfg = (await h.command('C LIST')).filter((l) => l.startsWith('CFG ') && !l.startsWith('CFG saves='));
  return Object.fromEntries(
    cfg.map((l) => {
      const m = /^CFG ([^=]+)=(.*)$/.exec(l)!;
      return [m[1], m[2]];
    }),
  );
}

/** Arms a cut at the n-th byte programmed from now; resolves true once it happened. */
function armCut(h: HostModeBoard, n: number, rnd: (n: number) => number) {
  const mem = h.board.eepromMemory;
  const erase = mem.eraseMemory.bind(mem),
    write = mem.writeMemory.bind(mem);
  let ops = 0,
    cutAddr = -1,
    old = 0,
    frozen = false;
  mem.eraseMemory = (addr: number) => {
    if (frozen) return;
    if (ops++ === n) {
      cutAddr = addr;
      old = mem.memory[addr];
    }
    erase(addr);
  };
  mem.writeMemory = (addr: number, value: number) => {
    if (frozen) return;
    write(addr, value);
    if (addr !== cutAddr) return;
    const how = rnd(3);
    if (how === 0) mem.memory[addr] = old;
    else if (how === 2) mem.memory[addr] = rnd(256);
    frozen = true;
  };
  return {
    cut: () => frozen,
    disarm: () => {
      mem.eraseMemory = erase;
      mem.writeMemory = write;
    },
  };
}

test(`power cuts in the middle of C SET saves on the real firmware (seed ${SEED})`, { timeout: 300_000 }, async () => {
  const rnd = prng(SEED);
  const h = await bootHostMode();
  const results = { old: 0, new: 0 };
  for (let i = 0; i < 8; i++) {
    await h.board.run(HOLDOFF_MS + 1000); // so this save is written at once
    const before = await list(h);
    // A value that differs in many bytes, so the cut can land anywhere in the slot.
    const change =
      i % 2 ? `m.in cut.${i}.${'abcdefghij'.slice(0, 1 + rnd(10))}` : `srv.hostspec host-${i}-${rnd(100000)}`;
    const [key, value] = change.split(' ');
    const after = { ...before, [key]: value };
    const c = armCut(h, rnd(24), rnd);
    h.write(`C SET ${change}\n`);
    for (let ms = 0; ms < 500 && !c.cut(); ms++) await h.board.run(1);
    c.disarm();
    assert.ok(c.cut(), `cut ${i} happened`);
    const from = h.lines.length;
    h.board.powerCycle();
    const b = BANNER_RE.exec(await h.waitLine(BANNER_RE, 3000, from))!;
    assert.equal(b[3], 'ok', `cut ${i}: cfg=${b[3]}, settings lost`);
    const now = await list(h);
    if (JSON.stringify(now) === JSON.stringify(before)) results.old++;
    else if (JSON.stringify(now) === JSON.stringify(after)) results.new++;
    else assert.fail(`cut ${i}: half-applied: ${JSON.stringify(now)}`);
  }
  assert.equal(results.old + results.new, 8);
  assert.equal(reply(await h.command('P')), 'OK');
  await h.close();
});
