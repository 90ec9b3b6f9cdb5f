// RunLoop on a bare avr8js CPU with hand-assembled programs: slices and holds,
// the SLEEP fast-forward to the next clock event, a halt, the stack guard and
// the end-of-run report. The full board's behaviour is test/sim/board.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AVRTimer, CPU, timer0Config } from 'avr8js';
import { HoldTimeoutError, RunLoop, StackOverflowError } from './run-loop.ts';

const RJMP_SELF = 0xcfff,
  SLEEP = 0x9588,
  NOP = 0x0000;
const CONFIG = { cpuHz: 16e6, sliceCycles: 16_000, holdTimeoutMs: 10_000, heapStart: 0x200, ramEnd: 0x8ff };

function rig(program: number[], config: Partial<typeof CONFIG> = {}) {
  const cpu = new CPU(new Uint16Array(0x4000), 0x800);
  cpu.progMem.set(program);
  const timer = new AVRTimer(cpu, timer0Config);
  const seen = { faults: [] as Error[], halts: [] as number[], runs: 0 };
  const loop = new RunLoop(
    cpu,
    [timer],
    { ...CONFIG, ...config },
    {
      fault: (e) => seen.faults.push(e),
      halt: ({ pc }) => seen.halts.push(pc),
      afterRun: () => {
        seen.runs++;
      },
    },
  );
  cpu.reset();
  return { cpu, loop, seen };
}

test('run() advances exactly the simulated time asked for, and reports the end of each run', async () => {
  const { cpu, loop, seen } = rig([RJMP_SELF]);
  await loop.run(3.5);
  assert.ok(cpu.cycles >= 56_000 && cpu.cycles < 56_002, `${cpu.cycles} cycles`);
  assert.equal(seen.runs, 1);
  await assert.rejects(Promise.all([loop.run(1), loop.run(1)]), /already running/);
});

test('SLEEP with SE set sleeps through to the next clock event; with interrupts off it halts', async () => {
  // ldi r16, 1; out SMCR, r16 (SE, idle); sleep; rjmp .-2
  const { cpu, loop, seen } = rig([0xe001, 0xbf03, SLEEP, 0xcffe]);
  let fired = 0;
  cpu.addClockEvent(() => {
    fired = cpu.cycles;
  }, 8000);
  await loop.run(1);
  assert.equal(loop.sleeping, true);
  assert.ok(loop.sleeps >= 1);
  assert.equal(fired, 8000, 'the clock event ran at its own cycle, not a slice boundary');
  assert.deepEqual(seen.halts, [4], 'SLEEP at byte address 4 with I clear');
  assert.deepEqual(loop.halted, { pc: 4, cycle: loop.halted!.cycle });
  loop.reset(false);
  assert.equal(loop.halted, null);
  assert.equal(loop.sleeping, false);
});

test('a hold pauses simulated time until released; an endless one is a fault', async () => {
  const { cpu, loop } = rig([RJMP_SELF]);
  const release = loop.hold('host I/O');
  const running = loop.run(1);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(cpu.cycles, 0, 'no simulated time while held');
  release();
  await running;
  assert.ok(cpu.cycles >= 16_000);
  const stuck = rig([RJMP_SELF], { holdTimeoutMs: 50 });
  stuck.loop.hold('stuck');
  await assert.rejects(stuck.loop.run(1), HoldTimeoutError);
  assert.ok(stuck.seen.faults[0] instanceof HoldTimeoutError);
  await assert.rejects(stuck.loop.run(1), HoldTimeoutError, 'a faulted loop refuses to run');
});

test('the stack reaching static data is a fault with the PC; the high-water mark is kept', async () => {
  // ldi r16, 0xff; out SPL; ldi r16, 0x08; out SPH (SP = 0x8ff); rcall .+0 forever: each pushes 2 bytes.
  const { loop, seen } = rig([0xef0f, 0xbf0d, 0xe008, 0xbf0e, 0xd000, 0xcffe, NOP]);
  await assert.rejects(loop.run(10), StackOverflowError);
  const err = seen.faults[0] as StackOverflowError;
  assert.ok(err instanceof StackOverflowError);
  assert.ok(err.sp < 0x200 && loop.lowestSp === err.sp, `SP 0x${err.sp.toString(16)}`);
  assert.ok(err.pc === 8 || err.pc === 10, `PC 0x${err.pc.toString(16)} in the loop`);
  loop.reset(true);
  assert.equal(loop.fault, err, 'a watchdog-style reset keeps the fault');
  loop.reset(false);
  assert.equal(loop.fault, null);
  loop.resetStackMark();
  assert.equal(loop.lowestSp, 0x8ff);
});
