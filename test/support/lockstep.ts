// Lockstep differential testing of the fast dispatch (simulator/src/avr-exec.ts)
// against avr8js's avrInstruction: two CPUs, the same program, one instruction at
// a time, and after every instruction the PC, the cycle count, the whole data
// space (registers, I/O, SREG, SP, RAM) and the log of every hooked read and
// write (address, value, cycle) must be equal.
//
//   referenceDispatch(cpu, counters)         avr8js + the documented manual corrections, as a Dispatch
//   randomLockstep({ seed, instructions })   seeded random instruction streams on bare CPUs
//   boardLockstep({ board, instructions })   two Boards (fast and reference) stepped by their own run loops
//   REWRITE_AND_CALL                          app + boot images: calls a routine, rewrites it by SPM, calls it again
//
// The reference is avr8js with exactly the corrections DOCUMENTED_DIFFERENCES
// lists, computed here independently from the manual's definitions (carry out of
// bit 3 as nibble sums, not the dispatch's bit formulas), so a correction cannot
// hide a different bug. Every correction applied is counted.
import { avrInstruction, CPU } from 'avr8js';
import { FORMS, formOf } from '../../simulator/src/avr-decode.ts';
import { fastDispatch, type Dispatch, type HotState } from '../../simulator/src/avr-exec.ts';
import { Board, type BoardOptions } from '../../simulator/src/board.ts';
import type { Firmware } from '../../simulator/src/hex.ts';

const SREG = 0x5f,
  SPL = 0x5d,
  SPH = 0x5e,
  SMCR = 0x53;
const H = 0x20,
  V = 0x08,
  N = 0x04,
  S = 0x10,
  Z = 0x02;

export interface Corrections {
  [what: string]: number;
}

/**
 * avr8js's avrInstruction followed by the manual's value where DOCUMENTED_DIFFERENCES
 * says avr8js departs from it; run() is the avr8js hot loop (instruction, tick, stack check).
 */
export function referenceDispatch(cpu: CPU, corrections: Corrections, counter = { instructions: 0 }): Dispatch {
  const data = cpu.data,
    prog = cpu.progMem;
  const bump = (what: string) => {
    corrections[what] = (corrections[what] ?? 0) + 1;
  };
  const step = () => {
    counter.instructions++;
    const op = prog[cpu.pc];
    const sreg = data[SREG],
      c = sreg & 1;
    const rd = data[(op >> 4) & 0x1f],
      rr = data[(op & 0xf) | ((op >> 5) & 0x10)];
    const rdHi = data[16 + ((op >> 4) & 0xf)],
      k = (op & 0xf) | ((op >> 4) & 0xf0);
    avrInstruction(cpu);
    let fixed = data[SREG];

    const top6 = op & 0xfc00,
      top4 = op & 0xf000;
    if (top6 === 0x0c00 || top6 === 0x1c00) {
      // ADD, ADC: carry out of bit 3
      fixed = withBit(fixed, H, (rd & 0xf) + (rr & 0xf) + (top6 === 0x1c00 ? c : 0) > 0xf);
    } else if (top6 === 0x1800 || top6 === 0x1400) {
      // SUB, CP: borrow into bit 3
      fixed = withBit(fixed, H, (rd & 0xf) < (rr & 0xf));
    } else if (top4 === 0x5000 || top4 === 0x3000) {
      // SUBI, CPI
      fixed = withBit(fixed, H, (rdHi & 0xf) < (k & 0xf));
    } else if (top6 === 0x0800 || top6 === 0x0400 || top4 === 0x4000) {
      // SBC, CPC, SBCI
      const x = top4 === 0x4000 ? rdHi : rd,
        y = top4 === 0x4000 ? k : rr;
      fixed = withBit(fixed, H, (x & 0xf) < (y & 0xf) + c);
      fixed = withBit(fixed, Z, ((x - y - c) & 0xff) === 0 && (sreg & Z) !== 0);
    } else if ((op & 0xfe0f) === 0x9401) {
      // NEG: H = borrow into bit 3 of 0 - Rd, V = (Rd == 0x80)
      fixed = withBit(fixed, H, (rd & 0xf) !== 0);
      fixed = withBit(fixed, V, rd === 0x80);
      fixed = withBit(fixed, S, ((fixed & N) !== 0) !== ((fixed & V) !== 0));
    } else if ((op & 0xff00) === 0x9700) {
      // SBIW: H not affected
      fixed = withBit(fixed, H, (sreg & H) !== 0);
    } else if ((op & 0xff88) === 0x0388) {
      // FMULSU: Z = result is zero
      fixed = withBit(fixed, Z, (data[0] | data[1]) === 0);
    } else if ((op & 0xff00) === 0x9800) {
      // CBI: 2 cycles on the AVRe core
      cpu.cycles++;
      bump('cbi cycles');
    }
    if (fixed !== data[SREG]) {
      bump(`${formOf(op)?.name ?? '?'} sreg 0x${(fixed ^ data[SREG]).toString(16)}`);
      data[SREG] = fixed;
    }
  };
  return {
    name: 'avr8js',
    step,
    run(state: HotState) {
      let lowest = state.lowestSp;
      try {
        while (cpu.cycles < state.end) {
          if (prog[cpu.pc] === 0x9588 && data[SMCR] & 1) return true;
          step();
          cpu.tick();
          const sp = data[SPL] | (data[SPH] << 8);
          if (sp < lowest) lowest = state.stackDeeper(sp);
        }
        return false;
      } finally {
        state.lowestSp = lowest;
      }
    },
    invalidate() {
      /* decodes every time */
    },
  };
}

const withBit = (sreg: number, bit: number, on: boolean) => (on ? sreg | bit : sreg & ~bit);

/** A small fast seeded PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface LockstepResult {
  instructions: number;
  divergences: string[];
  corrections: Corrections;
  /** How often each form ran (random streams). */
  forms: Map<string, number>;
}

/** What one side logs: every hooked read and write, and clock events, as flat numbers. */
type Log = number[];

const WORDS = 0x4000;
const RAM_START = 0x100,
  RAM_END = 0x8ff;

/**
 * A random program filling the whole flash: each word a random form with random
 * operand bits, relative jumps kept inside the flash (avr8js lets a PC go below 0,
 * see DOCUMENTED_DIFFERENCES), JMP/CALL targets inside it, no two-word instruction
 * in the last word.
 */
function randomProgram(rnd: () => number): Uint16Array {
  const prog = new Uint16Array(WORDS);
  for (let w = 0; w < WORDS; ) {
    const f = FORMS[Math.floor(rnd() * FORMS.length)];
    let op = (f.match | (Math.floor(rnd() * 0x10000) & ~f.mask)) & 0xffff;
    if (f.words === 2) {
      if (w + 1 >= WORDS) continue;
      let next = Math.floor(rnd() * 0x10000);
      if (f.name === 'jmp' || f.name === 'call') {
        op &= ~0x01f1; // k21..k16 = 0
        next &= WORDS - 1;
      }
      prog[w] = op;
      prog[w + 1] = next;
      w += 2;
      continue;
    }
    let k: number | null = null;
    if (f.name === 'rjmp' || f.name === 'rcall') k = (op & 0xfff) - (op & 0x800 ? 0x1000 : 0);
    if (f.name === 'brbs' || f.name === 'brbc') k = ((op >> 3) & 0x7f) - (op & 0x200 ? 0x80 : 0);
    if (k !== null && (w + 1 + k < 0 || w + 1 + k >= WORDS)) continue;
    prog[w++] = op;
  }
  return prog;
}

interface Side {
  cpu: CPU;
  log: Log;
  dispatch: Dispatch;
  state: HotState;
}

/**
 * Seeded random instruction streams: a random program over the whole flash,
 * random registers and RAM, logging hooks on most I/O addresses (some swallow the
 * write, one stalls the CPU like the EEPROM, reads return a value that depends on
 * the cycle count so hook timing shows), random clock events that queue
 * interrupts. Before each instruction the harness keeps the state runnable on both
 * CPUs alike: SP inside RAM, pointers of the next instruction inside the data
 * space, a RET's return address and an IJMP's Z inside the flash.
 */
export function randomLockstep(opts: {
  seed: number;
  instructions: number;
  maxDivergences?: number;
  /** The dispatch under test (default the fast one); the harness's self-test passes a broken one. */
  candidate?: (cpu: CPU) => Dispatch;
}): LockstepResult {
  const rnd = prng(opts.seed);
  const program = randomProgram(rnd);
  const init = new Uint8Array(RAM_END + 1);
  for (let i = 0; i < init.length; i++) init[i] = Math.floor(rnd() * 256);
  const corrections: Corrections = {};
  const counter = { instructions: 0 };
  type Interrupt = Parameters<CPU['queueInterrupt']>[0];
  const interrupts: Interrupt[] = [1, 3, 7, 13, 21].map((address, i) => ({
    address,
    flagRegister: 0x3c,
    flagMask: 1 << i,
    enableRegister: 0x3d,
    enableMask: 1 << i,
  }));

  const side = (fast: boolean): Side => {
    const cpu = new CPU(new Uint16Array(WORDS), 0x800);
    cpu.progMem.set(program);
    cpu.data.set(init);
    cpu.pc = Math.floor(WORDS / 2);
    const log: Log = [];
    for (let addr = 0x20; addr < 0x100; addr++) {
      if (addr === SREG || addr === SPL || addr === SPH || addr === 0x5b || addr === 0x5c) continue;
      const kind = addr % 7;
      if (kind === 0) continue; // plain memory
      cpu.writeHooks[addr] = (value, old, a, mask) => {
        log.push(1, a, value, old, mask, cpu.cycles, cpu.pc);
        if (kind === 1) return true; // swallowed, as a read-only register's write
        if (kind === 2 && a === 0x3f) cpu.cycles += 2; // stalls the CPU, as an EEPROM write does
        return false;
      };
      if (kind >= 4) {
        cpu.readHooks[addr] = (a) => {
          log.push(2, a, cpu.cycles, cpu.pc);
          if (a === 0x40) cpu.cycles += 4;
          return (a * 13 + cpu.cycles * 7) & 0xff;
        };
      }
    }
    cpu.onWatchdogReset = () => {
      log.push(3, cpu.cycles);
    };
    const state: HotState = { end: 0, lowestSp: RAM_END, stackDeeper: (sp) => sp };
    const dispatch = fast ? (opts.candidate ?? fastDispatch)(cpu) : referenceDispatch(cpu, corrections, counter);
    return { cpu, log, dispatch, state };
  };
  const a = side(true),
    b = side(false);
  const forms = new Map<string, number>();
  const divergences: string[] = [];
  const maxDiv = opts.maxDivergences ?? 20;
  const da = new Uint32Array(a.cpu.data.buffer),
    db = new Uint32Array(b.cpu.data.buffer);

  const sides = [a, b];
  const setWord = (s: Side, r: number, v: number) => {
    s.cpu.data[r] = v & 0xff;
    s.cpu.data[r + 1] = (v >> 8) & 0xff;
  };

  // What the harness needs to know of each word, decoded once.
  const names = FORMS.map((f) => f.name).concat('undefined');
  const formIdx = new Uint8Array(WORDS),
    prep = new Uint8Array(WORDS),
    ptrReg = new Uint8Array(WORDS);
  for (let w = 0; w < WORDS; w++) {
    const f = formOf(program[w]);
    const name = f?.name ?? 'undefined';
    formIdx[w] = names.indexOf(name);
    ptrReg[w] = pointerOf(name);
    prep[w] = /^e?i(jmp|call)$/.test(name) ? 1 : /^reti?$/.test(name) ? 2 : /^e?lpm/.test(name) ? 3 : 0;
    // The second word of a two-word instruction is random and may be reached too: a relative
    // jump from there out of the flash, or a two-word instruction in the last word, is not run.
    const op = program[w];
    let k: number | null = null;
    if (name === 'rjmp' || name === 'rcall') k = (op & 0xfff) - (op & 0x800 ? 0x1000 : 0);
    if (name === 'brbs' || name === 'brbc') k = ((op >> 3) & 0x7f) - (op & 0x200 ? 0x80 : 0);
    if ((k !== null && (w + 1 + k < 0 || w + 1 + k >= WORDS)) || (f?.words === 2 && w === WORDS - 1)) prep[w] = 4;
    // A call whose return address is the end of the flash (documented: it wraps to 0 here, not in avr8js).
    if (/^(r|i|ei)call$/.test(name) && w === WORDS - 1) prep[w] = 4;
    if (name === 'call' && w === WORDS - 2) prep[w] = 4;
  }
  const counts = new Float64Array(names.length);

  for (let n = 0; n < opts.instructions; n++) {
    const cpu = a.cpu,
      data = cpu.data;
    // Now and then somewhere else entirely, so that every form gets to run.
    if ((n & 15) === 0 || prep[a.cpu.pc] === 4) {
      let pc = Math.floor(rnd() * WORDS);
      while (prep[pc] === 4) pc = Math.floor(rnd() * WORDS);
      a.cpu.pc = b.cpu.pc = pc;
    }
    // Keep the state runnable, on both CPUs alike.
    let sp = data[SPL] | (data[SPH] << 8);
    if (sp < RAM_START + 8 || sp > RAM_END - 4) {
      sp = RAM_START + 8 + Math.floor(rnd() * (RAM_END - RAM_START - 12));
      for (const s of sides) setWord(s, SPL, sp);
    }
    const w = cpu.pc,
      op = cpu.progMem[w];
    const name = names[formIdx[w]];
    counts[formIdx[w]]++;
    const ptr = ptrReg[w];
    if (ptr) {
      const v =
        name === 'xch' ? RAM_START + Math.floor(rnd() * (RAM_END + 1 - RAM_START)) : Math.floor(rnd() * (RAM_END + 2));
      for (const s of sides) setWord(s, ptr, v);
    }
    if (prep[w] === 1) {
      const z = Math.floor(rnd() * WORDS);
      for (const s of sides) {
        setWord(s, 30, z);
        s.cpu.data[0x5c] = 0;
      }
    } else if (prep[w] === 2) {
      const ret = Math.floor(rnd() * WORDS);
      for (const s of sides) {
        s.cpu.data[sp + 1] = ret >> 8;
        s.cpu.data[sp + 2] = ret & 0xff;
      }
    } else if (prep[w] === 3) {
      const z = Math.floor(rnd() * 0x10000),
        rampz = rnd() < 0.9 ? 0 : 1;
      for (const s of sides) {
        setWord(s, 30, z);
        s.cpu.data[0x5b] = rampz;
      }
    }
    if (rnd() < 1 / 64) {
      // a clock event in a few cycles, half of them raising an interrupt
      const delay = 1 + Math.floor(rnd() * 40);
      const intr = rnd() < 0.5 ? interrupts[Math.floor(rnd() * interrupts.length)] : null;
      for (const s of sides) {
        s.cpu.addClockEvent(() => {
          s.log.push(4, s.cpu.cycles);
          if (intr) s.cpu.queueInterrupt(intr);
        }, delay);
      }
    }

    // One instruction on each: through the hot loop (run, with its tick), or now and
    // then through step() and an explicit tick, the path the run loop's SPM window uses.
    if (n % 8 === 7) {
      for (const s of sides) {
        s.dispatch.step();
        s.cpu.tick();
      }
    } else {
      let slept = 0;
      for (const s of sides) {
        s.state.end = s.cpu.cycles + 1;
        if (s.dispatch.run(s.state)) {
          // stopped before a SLEEP with SE set: the run loop's enterSleep
          s.cpu.pc++;
          s.cpu.cycles++;
          slept++;
        }
      }
      if (slept === 1) divergences.push(`step ${n}: only one side stopped at SLEEP`);
    }

    // Compare.
    let diff = '';
    if (a.cpu.pc !== b.cpu.pc) diff += ` pc ${a.cpu.pc.toString(16)}/${b.cpu.pc.toString(16)}`;
    if (a.cpu.cycles !== b.cpu.cycles) diff += ` cycles ${a.cpu.cycles}/${b.cpu.cycles}`;
    for (let i = 0; i < da.length; i++) {
      if (da[i] !== db[i]) {
        for (let j = i * 4; j < i * 4 + 4; j++) {
          if (a.cpu.data[j] !== b.cpu.data[j])
            diff += ` data[0x${j.toString(16)}] ${a.cpu.data[j].toString(16)}/${b.cpu.data[j].toString(16)}`;
        }
      }
    }
    let logsDiffer = a.log.length !== b.log.length;
    for (let i = 0; !logsDiffer && i < a.log.length; i++) logsDiffer = a.log[i] !== b.log[i];
    if (logsDiffer) diff += ` hooks [${a.log}] / [${b.log}]`;
    a.log.length = 0;
    b.log.length = 0;
    if (diff) {
      divergences.push(`step ${n}: ${name} (0x${op.toString(16)}):${diff}`);
      if (divergences.length >= maxDiv) break;
      // Carry on from the fast side's state to find further differences.
      b.cpu.data.set(a.cpu.data);
      b.cpu.pc = a.cpu.pc;
      b.cpu.cycles = a.cpu.cycles;
    }
  }
  names.forEach((name, i) => {
    if (counts[i]) forms.set(name, counts[i]);
  });
  return { instructions: counter.instructions, divergences, corrections, forms };
}

/** The pointer register pair (X 26, Y 28, Z 30) a data-space access of this form goes through. */
function pointerOf(name: string): number {
  if (/^(ld|st) -?x\+?$/.test(name)) return 26;
  if (/^(ld|st) -?y\+?$/.test(name) || name === 'ldd y' || name === 'std y') return 28;
  if (/^(ld|st) -?z\+?$/.test(name) || name === 'ldd z' || name === 'std z' || /^(xch|las|lac|lat)$/.test(name))
    return 30;
  return 0;
}

/** Low fuse SUT=01: a ~1 ms start-up instead of 65 ms, so the instructions go to the firmware. */
const FAST_START = { low: 0xdf };

const SLEEP_STEP = 256;

/** Serial input for a board: bytes written to both boards' serial ports at a simulated time. */
export interface TimedInput {
  atMs: number;
  text: string;
}

/**
 * The firmwares the lockstep runs, with serial input that makes them do their
 * work (commands, a CRC, EEPROM, LCD frames) and their share of instructions.
 */
export const FIRMWARE_SESSIONS: {
  name: string;
  board: Partial<BoardOptions>;
  input: TimedInput[];
  instructions: number;
  /** Firmware sources a test firmware compiles in (as its own build needs them). */
  extraSources?: string[];
}[] = [
  {
    name: 'lcd-serial',
    board: { fuses: FAST_START },
    instructions: 1_000_000,
    input: [
      { atMs: 200, text: 'ms\n' },
      { atMs: 210, text: 'crc 20\n' },
      { atMs: 220, text: 'eew 5 7\n' },
      { atMs: 240, text: 'eer 5\n' },
    ],
  },
  {
    name: 'i2c-lcd',
    board: { fuses: FAST_START, lcdBus: { kind: 'i2c', address: 0x27 }, lcdGeometry: '20x4' },
    instructions: 300_000,
    input: [],
  },
  { name: 'w5100-dhcp', board: { fuses: FAST_START, shield: 'w5100' }, instructions: 300_000, input: [] },
  { name: 'w5100-http', board: { fuses: FAST_START, shield: 'w5100' }, instructions: 300_000, input: [] },
  {
    name: 'net-jsonbench',
    board: { fuses: FAST_START, shield: 'w5100' },
    instructions: 300_000,
    input: [],
    extraSources: ['firmware/src/net/json_stream.cpp', 'firmware/src/net/pmapi_parse.cpp'],
  },
  {
    name: 'pmlcd',
    board: { fuses: FAST_START },
    instructions: 2_000_000,
    input: [
      { atMs: 90, text: 'V\n' },
      { atMs: 95, text: 'F hello|world\n' },
      { atMs: 100, text: 'T 1 3 abc\n' },
      { atMs: 105, text: 'B 2\n' },
      { atMs: 110, text: 'C LIST\n' },
    ],
  },
];

/**
 * Two Boards with the same options, one on the fast dispatch and one on the
 * reference, stepped one instruction at a time through their own run loops
 * (stall, SPM window, SLEEP fast-forward, polling-loop skip, interrupts: the
 * same paths a normal run takes), with the same serial input at the same cycle.
 * While both sleep, a step runs SLEEP_STEP cycles.
 */
export function boardLockstep(opts: {
  board: BoardOptions;
  instructions: number;
  input?: TimedInput[];
  maxDivergences?: number;
  /** Stop early once the CPU halts (SLEEP with interrupts off). */
  untilHalt?: boolean;
}): LockstepResult & { fast: Board; reference: Board } {
  const corrections: Corrections = {};
  const counter = { instructions: 0 };
  const a = new Board({ ...opts.board, dispatch: 'fast' });
  const b = new Board({ ...opts.board, dispatch: (cpu) => referenceDispatch(cpu, corrections, counter) });
  const logs: [Log, Log] = [[], []];
  [a, b].forEach((board, i) => {
    const cpu = board.cpu,
      log = logs[i];
    for (let addr = 0; addr < cpu.data.length; addr++) {
      const write = cpu.writeHooks[addr],
        read = cpu.readHooks[addr];
      if (write) {
        cpu.writeHooks[addr] = (value, old, at, mask) => {
          log.push(1, at, value, old, mask, cpu.cycles, cpu.pc);
          return write(value, old, at, mask);
        };
      }
      if (read) {
        cpu.readHooks[addr] = (at) => {
          const v = read(at);
          log.push(2, at, v, cpu.cycles, cpu.pc);
          return v;
        };
      }
    }
  });
  // The run loops' own slice runner: one instruction (or a stretch of sleep) per call.
  type Slicer = { runSlice(end: number): void; internals: { nextClockEvent: { cycles: number } | null } };
  const la = (a as unknown as { loop: Slicer }).loop,
    lb = (b as unknown as { loop: Slicer }).loop;
  const input = [...(opts.input ?? [])].sort((x, y) => x.atMs - y.atMs);
  const divergences: string[] = [];
  const maxDiv = opts.maxDivergences ?? 20;
  const da = new Uint32Array(a.cpu.data.buffer),
    db = new Uint32Array(b.cpu.data.buffer);
  let steps = 0;
  while (counter.instructions < opts.instructions && !(opts.untilHalt && a.halted && b.halted)) {
    while (input.length && a.cpu.cycles >= input[0].atMs * 16_000) {
      const bytes = Buffer.from(input.shift()!.text);
      a.serial.write(bytes);
      b.serial.write(bytes);
    }
    const ev = la.internals.nextClockEvent;
    // Asleep, the run loop moves from clock event to clock event; a timer's own events
    // come every few cycles, so a sleeping step spans up to 256 cycles (the instructions
    // of an interrupt that wakes the CPU inside it are compared at its end).
    const end = a.sleeping && b.sleeping && ev ? a.cpu.cycles + SLEEP_STEP : a.cpu.cycles + 1;
    const before = a.cpu.cycles;
    la.runSlice(end);
    lb.runSlice(end);
    steps++;
    let diff = '';
    if (a.cpu.pc !== b.cpu.pc) diff += ` pc ${a.cpu.pc.toString(16)}/${b.cpu.pc.toString(16)}`;
    if (a.cpu.cycles !== b.cpu.cycles) diff += ` cycles ${a.cpu.cycles}/${b.cpu.cycles}`;
    if (a.sleeping !== b.sleeping) diff += ` sleeping ${a.sleeping}/${b.sleeping}`;
    for (let i = 0; i < da.length; i++) {
      if (da[i] === db[i]) continue;
      for (let j = i * 4; j < i * 4 + 4; j++) {
        if (a.cpu.data[j] !== b.cpu.data[j])
          diff += ` data[0x${j.toString(16)}] ${a.cpu.data[j].toString(16)}/${b.cpu.data[j].toString(16)}`;
      }
    }
    const [x, y] = logs;
    let logsDiffer = x.length !== y.length;
    for (let i = 0; !logsDiffer && i < x.length; i++) logsDiffer = x[i] !== y[i];
    if (logsDiffer) diff += ` hooks [${x}] / [${y}]`;
    x.length = 0;
    y.length = 0;
    if (diff) {
      divergences.push(`step ${steps} from cycle ${before}:${diff}`);
      if (divergences.length >= maxDiv) break;
      b.cpu.data.set(a.cpu.data);
      b.cpu.pc = a.cpu.pc;
      b.cpu.cycles = a.cpu.cycles;
    }
  }
  return { instructions: counter.instructions, divergences, corrections, forms: new Map(), fast: a, reference: b };
}

// ---- a program that rewrites code it already ran (SPM) ----------------------

const ldi = (d: number, k: number) => 0xe000 | ((k & 0xf0) << 4) | ((d - 16) << 4) | (k & 0x0f);
const out = (a: number, r: number) => 0xb800 | ((a & 0x30) << 5) | (r << 4) | (a & 0x0f);
const inp = (r: number, a: number) => 0xb000 | ((a & 0x30) << 5) | (r << 4) | (a & 0x0f);
const mov = (d: number, r: number) => 0x2c00 | ((r & 0x10) << 5) | (d << 4) | (r & 0x0f);
const sbrc = (r: number, b: number) => 0xfc00 | (r << 4) | b;
const rjmp = (k: number) => 0xc000 | (k & 0xfff);
const ICALL = 0x9509,
  RET = 0x9508,
  SPM = 0x95e8,
  SLEEP = 0x9588;
const SPMCSR_IO = 0x37,
  SMCR_IO = 0x33;
const setZ = (addr: number) => [ldi(30, addr & 0xff), ldi(31, addr >> 8)];
const spmCmd = (cmd: number) => [ldi(16, cmd), out(SPMCSR_IO, 16), SPM];
const waitSpm = () => [inp(16, SPMCSR_IO), sbrc(16, 0), rjmp(-3)];
const fill = (word: number) => [ldi(16, word & 0xff), mov(0, 16), ldi(16, word >> 8), mov(1, 16), ...spmCmd(0x01)];

function image(at: number, code: number[], path: string): Firmware {
  const flash = new Uint8Array(0x8000).fill(0xff);
  code.forEach((w, i) => {
    flash[at + 2 * i] = w & 0xff;
    flash[at + 2 * i + 1] = w >> 8;
  });
  return { path, flash, size: at + 2 * code.length, ram: null };
}

/**
 * A boot-section program that calls a routine at word 0x80 (ldi r20, 0x11; ret), then
 * rewrites that page by SPM (ldi r20, 0x22; ret) and calls it again: r20 shows which ran.
 */
export const REWRITE_AND_CALL = {
  app: image(0x100, [ldi(20, 0x11), RET], 'app'),
  boot: image(
    0x7e00,
    [
      ...setZ(0x80),
      ICALL,
      mov(21, 20), // r21 = what the first call left
      ...setZ(0x0100),
      ...spmCmd(0x03),
      ...waitSpm(), // erase the page
      ...fill(ldi(20, 0x22)),
      ...setZ(0x0102),
      ...fill(RET), // the new routine into the buffer
      ...setZ(0x0100),
      ...spmCmd(0x05),
      ...waitSpm(), // page write
      ...spmCmd(0x11), // RWW section readable again
      ...setZ(0x80),
      ICALL, // call the rewritten routine
      ldi(16, 1),
      out(SMCR_IO, 16),
      SLEEP, // halt
    ],
    'boot',
  ),
};
