// Spec of the pre-decoded dispatch (avr-exec.ts) and its decoder (avr-decode.ts):
// the form table is unambiguous, every documented difference from avr8js is real
// and goes the manual's way, hooks see avr8js's PC and cycle count, and flash
// written from outside is decoded again. The lockstep proof is test/sim/lockstep.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { avrInstruction, CPU } from 'avr8js';
import { FORMS, formOf } from './avr-decode.ts';
import { DOCUMENTED_DIFFERENCES, fastDispatch } from './avr-exec.ts';
import { Board } from './board.ts';
import type { Firmware } from './hex.ts';

const SREG = 0x5f,
  H = 0x20,
  V = 0x08,
  Z = 0x02,
  C = 0x01;

test('decoder: no opcode matches two forms, every form decodes to itself, names are unique', () => {
  for (let op = 0; op < 0x10000; op++) {
    const hits = FORMS.filter((f) => (op & f.mask) === f.match);
    assert.ok(hits.length <= 1, `0x${op.toString(16)} is ${hits.map((f) => f.name)}`);
    assert.equal(formOf(op), hits[0]);
  }
  assert.equal(new Set(FORMS.map((f) => f.name)).size, FORMS.length);
  for (const d of DOCUMENTED_DIFFERENCES)
    for (const f of d.forms)
      assert.ok(
        FORMS.some((x) => x.name === f),
        f,
      );
});

/** One instruction from the same state on avr8js and on the fast dispatch. */
function both(words: number[], setup: (cpu: CPU) => void, at = 0): { ref: CPU; fast: CPU } {
  const make = () => {
    const cpu = new CPU(new Uint16Array(0x4000), 0x800);
    cpu.progMem.set(words, at);
    cpu.pc = at;
    setup(cpu);
    return cpu;
  };
  const ref = make(),
    fast = make();
  avrInstruction(ref);
  fastDispatch(fast).step();
  return { ref, fast };
}

test('documented difference: ADD/SUB-family H is the carry out of bit 3, not bit 0', () => {
  const { ref, fast } = both([0x0f01], (c) => {
    c.data[16] = 0x08;
    c.data[17] = 0x08;
  }); // add r16, r17
  assert.equal(fast.data[16], 0x10);
  assert.equal(fast.data[SREG] & H, H, 'manual: Rd3 & Rr3 carries');
  assert.equal(ref.data[SREG] & H, 0, 'avr8js takes bit 0');
});

test('documented difference: SBC keeps Z when Rd - Rr - C is -256 (8-bit result 0)', () => {
  const { ref, fast } = both([0x0b01], (c) => {
    c.data[16] = 0;
    c.data[17] = 0xff;
    c.data[SREG] = Z | C;
  }); // sbc r16, r17
  assert.equal(fast.data[16], 0);
  assert.equal(fast.data[SREG] & Z, Z);
  assert.equal(ref.data[SREG] & Z, 0);
});

test('documented difference: NEG 0x80 sets V', () => {
  const { ref, fast } = both([0x9501], (c) => {
    c.data[16] = 0x80;
  }); // neg r16
  assert.equal(fast.data[SREG] & V, V);
  assert.equal(ref.data[SREG] & V, 0);
});

test('documented difference: SBIW leaves H alone', () => {
  const { ref, fast } = both([0x9701], (c) => {
    c.data[24] = 0x11;
    c.data[SREG] = H;
  }); // sbiw r24, 1
  assert.equal(fast.data[24], 0x10);
  assert.equal(fast.data[SREG] & H, H);
  assert.equal(ref.data[SREG] & H, 0);
});

test('documented difference: FMULSU of zero sets Z', () => {
  const { ref, fast } = both([0x0389], (c) => {
    c.data[16] = 0;
    c.data[17] = 5;
  }); // fmulsu r16, r17
  assert.equal(fast.data[SREG] & Z, Z);
  assert.equal(ref.data[SREG] & Z, 0);
});

test('documented difference: CBI takes 2 cycles', () => {
  const { ref, fast } = both([0x9828], () => {}); // cbi 0x05, 0
  assert.equal(fast.cycles, 2);
  assert.equal(ref.cycles, 1);
});

test('documented difference: a relative jump below word 0 wraps to the end of the flash', () => {
  const { ref, fast } = both([0xcffc], () => {}, 1); // word 1: rjmp .-8 (to word -2)
  assert.equal(fast.pc, 0x3ffe);
  assert.equal(ref.pc, -2);
});

test('documented difference: a call from the last flash word pushes the wrapped return address', () => {
  const { ref, fast } = both(
    [0x9509],
    (c) => {
      c.data[0x5d] = 0xff;
      c.data[0x5e] = 0x08;
    },
    0x3fff,
  ); // icall at 0x3fff
  assert.deepEqual([fast.data[0x8fe], fast.data[0x8ff]], [0x00, 0x00], 'return address 0x3fff + 1 wraps to 0');
  assert.deepEqual([ref.data[0x8fe], ref.data[0x8ff]], [0x40, 0x00], 'avr8js pushes 0x4000');
});

test('documented difference: XCH with Z on an I/O address goes through the hooks', () => {
  const seen: number[] = [];
  const { ref, fast } = both([0x9304], (c) => {
    // xch Z, r16
    c.data[30] = 0x25; // PORTB
    c.data[16] = 0xaa;
    c.writeHooks[0x25] = (v) => {
      seen.push(v);
      return false;
    };
  });
  assert.deepEqual(seen, [0xaa], 'one hooked write, from the fast dispatch');
  assert.equal(fast.data[0x25], 0xaa);
  assert.equal(ref.data[0x25], 0xaa);
});

test('hooks see the PC of the instruction and the cycle count avr8js shows them (loads one cycle in)', () => {
  const seen: string[] = [];
  const { ref, fast } = both([0x9100, 0x0060, 0x9300, 0x0060], (c) => {
    // lds r16, 0x60; sts 0x60, r16
    c.cycles = 10;
    c.readHooks[0x60] = () => {
      seen.push(`r pc=${c.pc} cyc=${c.cycles}`);
      return 7;
    };
    c.writeHooks[0x60] = (v) => {
      seen.push(`w pc=${c.pc} cyc=${c.cycles} v=${v}`);
      return false;
    };
  });
  avrInstruction(ref);
  fastDispatch(fast).step();
  assert.deepEqual(seen, ['r pc=0 cyc=11', 'r pc=0 cyc=11', 'w pc=2 cyc=12 v=7', 'w pc=2 cyc=12 v=7']);
  assert.equal(fast.cycles, ref.cycles);
  assert.equal(fast.pc, ref.pc);
});

// ---- flash changes (SPM rewriting code that already ran: test/sim/lockstep.test.ts) ----

const ldi = (d: number, k: number) => 0xe000 | ((k & 0xf0) << 4) | ((d - 16) << 4) | (k & 0x0f);
const out = (a: number, r: number) => 0xb800 | ((a & 0x30) << 5) | (r << 4) | (a & 0x0f);
const SLEEP = 0x9588,
  SMCR_IO = 0x33;

function image(at: number, code: number[], path: string): Firmware {
  const flash = new Uint8Array(0x8000).fill(0xff);
  code.forEach((w, i) => {
    flash[at + 2 * i] = w & 0xff;
    flash[at + 2 * i + 1] = w >> 8;
  });
  return { path, flash, size: at + 2 * code.length, ram: null };
}

test('board.flashChanged(): words written from outside are decoded again', async () => {
  // word 0: ldi r20, 1; sleep (SE set by the loop below) ; rjmp back
  const prog = [ldi(16, 1), out(SMCR_IO, 16), ldi(20, 1), 0x94f8 /* cli */, SLEEP];
  const board = new Board({ firmware: image(0, prog, 'p'), fuses: { low: 0xdf } });
  await board.runUntil(() => board.halted !== null, 50, 'halt');
  assert.equal(board.cpu.data[20], 1);
  board.flash[4] = 0x42 & 0xff; // ldi r20, 0x42 (low byte 0x42: K low nibble 2, K high 4)
  board.flash[5] = 0xe4;
  board.flashChanged(2, 1);
  board.resetExternal();
  await board.runUntil(() => board.halted !== null && board.cpu.data[20] === 0x42, 200, 'halt after the change');
});
