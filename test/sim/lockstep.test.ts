// Lockstep proof of the pre-decoded dispatch (simulator/src/avr-exec.ts): it and
// avr8js's avrInstruction (with the manual's value where avr8js departs from it,
// avr-exec.ts DOCUMENTED_DIFFERENCES) run the same program one instruction at a
// time and must agree on PC, cycles, the whole data space and every hooked
// access after each one (test/support/lockstep.ts). Seeded random streams cover
// every instruction form; every test firmware and the product firmware run on
// two full boards through the run loop (interrupts, SLEEP, SPM, stalls).
//
// This share takes ~15 s; PMLCD_LOCKSTEP_INSTRUCTIONS=<n> runs n instructions per
// stream and per firmware instead (scripts/lockstep-soak.ts does 10^9 in all).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CPU } from 'avr8js';
import { FORMS } from '../../simulator/src/avr-decode.ts';
import { fastDispatch, type Dispatch } from '../../simulator/src/avr-exec.ts';
import { Board } from '../../simulator/src/board.ts';
import { productFirmware, testFirmware } from '../support/boot.ts';
import { boardLockstep, FIRMWARE_SESSIONS, randomLockstep, REWRITE_AND_CALL } from '../support/lockstep.ts';

const SOAK = Number(process.env.PMLCD_LOCKSTEP_INSTRUCTIONS ?? 0);
const SREG = 0x5f;

test('random instruction streams: every form, 0 divergences', () => {
  const per = SOAK || 400_000;
  const seen = new Set<string>();
  let total = 0;
  for (const seed of [1, 2]) {
    const r = randomLockstep({ seed, instructions: per });
    assert.deepEqual(r.divergences, [], `seed ${seed}`);
    total += r.instructions;
    for (const name of r.forms.keys()) seen.add(name);
  }
  assert.deepEqual(
    FORMS.map((f) => f.name).filter((n) => !seen.has(n)),
    [],
    'forms never run',
  );
  assert.ok(total >= per * 2 * 0.99, `${total} instructions`);
});

test('the harness finds a dispatch that gets one flag wrong', () => {
  const broken = (cpu: CPU): Dispatch => {
    const d = fastDispatch(cpu);
    return {
      ...d,
      step: () => {
        const op = cpu.progMem[cpu.pc];
        d.step();
        if ((op & 0xfc00) === 0x2400) cpu.data[SREG] ^= 0x40; // EOR also flips T
      },
      run: (state) => {
        const op = cpu.progMem[cpu.pc];
        state.end = Math.min(state.end, cpu.cycles + 1);
        const slept = d.run(state);
        if ((op & 0xfc00) === 0x2400) cpu.data[SREG] ^= 0x40;
        return slept;
      },
    };
  };
  const r = randomLockstep({ seed: 7, instructions: 100_000, candidate: broken, maxDivergences: 3 });
  assert.equal(r.divergences.length, 3);
  assert.match(r.divergences[0], /eor .*data\[0x5f\]/);
});

test('SPM rewrites code that already ran: the new instructions run, in lockstep with avr8js', async () => {
  const run = async (dispatch?: (cpu: CPU) => Dispatch) => {
    const board = new Board({ firmware: REWRITE_AND_CALL.app, bootloader: REWRITE_AND_CALL.boot, dispatch });
    await board.runUntil(() => board.halted !== null, 200, 'the program to halt');
    return board;
  };
  const board = await run();
  assert.equal(board.cpu.data[21], 0x11, 'first call: the old routine');
  assert.equal(board.cpu.data[20], 0x22, 'second call: the rewritten routine');
  const stale = await run((cpu) => ({ ...fastDispatch(cpu), invalidate() {} }));
  assert.equal(stale.cpu.data[20], 0x11, 'a dispatch that ignores flash writes runs the old code (the test can fail)');

  const r = boardLockstep({
    board: { firmware: REWRITE_AND_CALL.app, bootloader: REWRITE_AND_CALL.boot },
    instructions: 1_000_000,
    untilHalt: true,
  });
  assert.deepEqual(r.divergences, []);
  assert.equal(r.fast.cpu.data[20], 0x22);
  assert.ok(r.fast.spm.stats.writes === 1 && r.fast.spm.stats.erases === 1);
});

for (const session of FIRMWARE_SESSIONS) {
  test(`firmware ${session.name}: 0 divergences over ${SOAK || session.instructions} instructions`, async () => {
    const fw =
      session.name === 'pmlcd' ? await productFirmware() : await testFirmware(session.name, session.extraSources);
    const r = boardLockstep({
      board: { firmware: fw.hex, ...session.board },
      instructions: SOAK || session.instructions,
      input: session.input,
    });
    try {
      assert.deepEqual(r.divergences, []);
      assert.deepEqual(r.fast.lcd.text(), r.reference.lcd.text());
    } finally {
      r.fast.shield?.dispose();
      r.reference.shield?.dispose();
    }
  });
}
