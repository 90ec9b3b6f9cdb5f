// Instruction decoding for the pre-decoded dispatch (avr-exec.ts): each flash word
// is matched once to its form and its operands packed into one integer, so
// executing it is a jump-table switch instead of a chain of opcode tests. The
// encodings are those of Microchip's "AVR Instruction Set Manual" (DS40002198);
// the form table also drives the random instruction streams of the lockstep
// test (every form, every operand field).
//
//   formOf(word) -> Form | undefined                undefined: no AVR has it (runs as a NOP)
//   packOperands(form, word, nextWord)              the operands (see Form.pack)
//   FORMS                                           every instruction form: mask/match, fields
//   isTwoWord(word)                                 LDS, STS, JMP, CALL

/** One instruction form: the opcode bits it fixes (mask/match) and how its operands are packed. */
export interface Form {
  /** Unique; avr-exec.ts maps it to the instruction's implementation. */
  name: string;
  mask: number;
  match: number;
  /** Two-word instructions take their second word (an address) as operand. */
  words: 1 | 2;
  /** Packed operands; `skip` is the size of the following instruction (1 or 2) for skips. */
  pack: (op: number, next: number, skip: number) => number;
}

// Operand fields (manual, "Instruction Set Nomenclature" and each instruction's encoding).
const d5 = (op: number) => (op >> 4) & 0x1f;
const r5 = (op: number) => (op & 0xf) | ((op >> 5) & 0x10);
const d4hi = (op: number) => 16 + ((op >> 4) & 0xf);
const K8 = (op: number) => (op & 0xf) | ((op >> 4) & 0xf0);
const ioA6 = (op: number) => (op & 0xf) | ((op >> 5) & 0x30);
const ioA5 = (op: number) => (op >> 3) & 0x1f;
const bit = (op: number) => op & 7;
const q6 = (op: number) => (op & 7) | ((op >> 7) & 0x18) | ((op >> 8) & 0x20);
const k7 = (op: number) => ((op >> 3) & 0x7f) - (op & 0x200 ? 0x80 : 0);
const k12 = (op: number) => (op & 0xfff) - (op & 0x800 ? 0x1000 : 0);
const k22 = (op: number, next: number) => next | ((op & 1) << 16) | ((op & 0x1f0) << 13);

const dr = (op: number) => d5(op) | (r5(op) << 8);
const dK = (op: number) => d4hi(op) | (K8(op) << 8);
const dOnly = (op: number) => d5(op);
const none = () => 0;

/**
 * Every form. No two overlap: LD/ST Y and Z are LDD/STD with q = 0 (the same
 * instruction), and BSET/BCLR's fixed low nibble 8 keeps IJMP/EIJMP (9) apart.
 */
export const FORMS: readonly Form[] = [
  { name: 'nop', mask: 0xffff, match: 0x0000, words: 1, pack: none },
  {
    name: 'movw',
    mask: 0xff00,
    match: 0x0100,
    words: 1,
    pack: (op) => (((op >> 4) & 0xf) * 2) | (((op & 0xf) * 2) << 8),
  },
  { name: 'muls', mask: 0xff00, match: 0x0200, words: 1, pack: (op) => d4hi(op) | ((16 + (op & 0xf)) << 8) },
  {
    name: 'mulsu',
    mask: 0xff88,
    match: 0x0300,
    words: 1,
    pack: (op) => (16 + ((op >> 4) & 7)) | ((16 + (op & 7)) << 8),
  },
  {
    name: 'fmul',
    mask: 0xff88,
    match: 0x0308,
    words: 1,
    pack: (op) => (16 + ((op >> 4) & 7)) | ((16 + (op & 7)) << 8),
  },
  {
    name: 'fmuls',
    mask: 0xff88,
    match: 0x0380,
    words: 1,
    pack: (op) => (16 + ((op >> 4) & 7)) | ((16 + (op & 7)) << 8),
  },
  {
    name: 'fmulsu',
    mask: 0xff88,
    match: 0x0388,
    words: 1,
    pack: (op) => (16 + ((op >> 4) & 7)) | ((16 + (op & 7)) << 8),
  },
  { name: 'cpc', mask: 0xfc00, match: 0x0400, words: 1, pack: dr },
  { name: 'sbc', mask: 0xfc00, match: 0x0800, words: 1, pack: dr },
  { name: 'add', mask: 0xfc00, match: 0x0c00, words: 1, pack: dr },
  { name: 'cpse', mask: 0xfc00, match: 0x1000, words: 1, pack: (op, _n, skip) => dr(op) | (skip << 16) },
  { name: 'cp', mask: 0xfc00, match: 0x1400, words: 1, pack: dr },
  { name: 'sub', mask: 0xfc00, match: 0x1800, words: 1, pack: dr },
  { name: 'adc', mask: 0xfc00, match: 0x1c00, words: 1, pack: dr },
  { name: 'and', mask: 0xfc00, match: 0x2000, words: 1, pack: dr },
  { name: 'eor', mask: 0xfc00, match: 0x2400, words: 1, pack: dr },
  { name: 'or', mask: 0xfc00, match: 0x2800, words: 1, pack: dr },
  { name: 'mov', mask: 0xfc00, match: 0x2c00, words: 1, pack: dr },
  { name: 'cpi', mask: 0xf000, match: 0x3000, words: 1, pack: dK },
  { name: 'sbci', mask: 0xf000, match: 0x4000, words: 1, pack: dK },
  { name: 'subi', mask: 0xf000, match: 0x5000, words: 1, pack: dK },
  { name: 'ori', mask: 0xf000, match: 0x6000, words: 1, pack: dK },
  { name: 'andi', mask: 0xf000, match: 0x7000, words: 1, pack: dK },
  // LD/ST through Y and Z with displacement q (q = 0 is plain LD/ST Y or Z).
  { name: 'ldd z', mask: 0xd208, match: 0x8000, words: 1, pack: (op) => d5(op) | (q6(op) << 8) },
  { name: 'ldd y', mask: 0xd208, match: 0x8008, words: 1, pack: (op) => d5(op) | (q6(op) << 8) },
  { name: 'std z', mask: 0xd208, match: 0x8200, words: 1, pack: (op) => d5(op) | (q6(op) << 8) },
  { name: 'std y', mask: 0xd208, match: 0x8208, words: 1, pack: (op) => d5(op) | (q6(op) << 8) },
  { name: 'lds', mask: 0xfe0f, match: 0x9000, words: 2, pack: (op, next) => d5(op) | (next << 8) },
  { name: 'ld z+', mask: 0xfe0f, match: 0x9001, words: 1, pack: dOnly },
  { name: 'ld -z', mask: 0xfe0f, match: 0x9002, words: 1, pack: dOnly },
  { name: 'lpm rd', mask: 0xfe0f, match: 0x9004, words: 1, pack: dOnly },
  { name: 'lpm rd z+', mask: 0xfe0f, match: 0x9005, words: 1, pack: dOnly },
  { name: 'elpm rd', mask: 0xfe0f, match: 0x9006, words: 1, pack: dOnly },
  { name: 'elpm rd z+', mask: 0xfe0f, match: 0x9007, words: 1, pack: dOnly },
  { name: 'ld y+', mask: 0xfe0f, match: 0x9009, words: 1, pack: dOnly },
  { name: 'ld -y', mask: 0xfe0f, match: 0x900a, words: 1, pack: dOnly },
  { name: 'ld x', mask: 0xfe0f, match: 0x900c, words: 1, pack: dOnly },
  { name: 'ld x+', mask: 0xfe0f, match: 0x900d, words: 1, pack: dOnly },
  { name: 'ld -x', mask: 0xfe0f, match: 0x900e, words: 1, pack: dOnly },
  { name: 'pop', mask: 0xfe0f, match: 0x900f, words: 1, pack: dOnly },
  { name: 'sts', mask: 0xfe0f, match: 0x9200, words: 2, pack: (op, next) => d5(op) | (next << 8) },
  { name: 'st z+', mask: 0xfe0f, match: 0x9201, words: 1, pack: dOnly },
  { name: 'st -z', mask: 0xfe0f, match: 0x9202, words: 1, pack: dOnly },
  { name: 'xch', mask: 0xfe0f, match: 0x9204, words: 1, pack: dOnly },
  { name: 'las', mask: 0xfe0f, match: 0x9205, words: 1, pack: dOnly },
  { name: 'lac', mask: 0xfe0f, match: 0x9206, words: 1, pack: dOnly },
  { name: 'lat', mask: 0xfe0f, match: 0x9207, words: 1, pack: dOnly },
  { name: 'st y+', mask: 0xfe0f, match: 0x9209, words: 1, pack: dOnly },
  { name: 'st -y', mask: 0xfe0f, match: 0x920a, words: 1, pack: dOnly },
  { name: 'st x', mask: 0xfe0f, match: 0x920c, words: 1, pack: dOnly },
  { name: 'st x+', mask: 0xfe0f, match: 0x920d, words: 1, pack: dOnly },
  { name: 'st -x', mask: 0xfe0f, match: 0x920e, words: 1, pack: dOnly },
  { name: 'push', mask: 0xfe0f, match: 0x920f, words: 1, pack: dOnly },
  { name: 'com', mask: 0xfe0f, match: 0x9400, words: 1, pack: dOnly },
  { name: 'neg', mask: 0xfe0f, match: 0x9401, words: 1, pack: dOnly },
  { name: 'swap', mask: 0xfe0f, match: 0x9402, words: 1, pack: dOnly },
  { name: 'inc', mask: 0xfe0f, match: 0x9403, words: 1, pack: dOnly },
  { name: 'asr', mask: 0xfe0f, match: 0x9405, words: 1, pack: dOnly },
  { name: 'lsr', mask: 0xfe0f, match: 0x9406, words: 1, pack: dOnly },
  { name: 'ror', mask: 0xfe0f, match: 0x9407, words: 1, pack: dOnly },
  { name: 'dec', mask: 0xfe0f, match: 0x940a, words: 1, pack: dOnly },
  { name: 'bset', mask: 0xff8f, match: 0x9408, words: 1, pack: (op) => 1 << ((op >> 4) & 7) },
  { name: 'bclr', mask: 0xff8f, match: 0x9488, words: 1, pack: (op) => 1 << ((op >> 4) & 7) },
  { name: 'ijmp', mask: 0xffff, match: 0x9409, words: 1, pack: none },
  { name: 'eijmp', mask: 0xffff, match: 0x9419, words: 1, pack: none },
  { name: 'icall', mask: 0xffff, match: 0x9509, words: 1, pack: none },
  { name: 'eicall', mask: 0xffff, match: 0x9519, words: 1, pack: none },
  { name: 'ret', mask: 0xffff, match: 0x9508, words: 1, pack: none },
  { name: 'reti', mask: 0xffff, match: 0x9518, words: 1, pack: none },
  { name: 'sleep', mask: 0xffff, match: 0x9588, words: 1, pack: none },
  // BREAK: a NOP with on-chip debugging off (manual, BREAK).
  { name: 'break', mask: 0xffff, match: 0x9598, words: 1, pack: none },
  { name: 'wdr', mask: 0xffff, match: 0x95a8, words: 1, pack: none },
  { name: 'lpm', mask: 0xffff, match: 0x95c8, words: 1, pack: none },
  { name: 'elpm', mask: 0xffff, match: 0x95d8, words: 1, pack: none },
  // SPM does something only inside the board's SPMCSR window (spm.ts), which runs it
  // instead of the dispatch; elsewhere it is a no-op, as on a chip with SELFPRGEN clear.
  { name: 'spm', mask: 0xffff, match: 0x95e8, words: 1, pack: none },
  { name: 'spm z+', mask: 0xffff, match: 0x95f8, words: 1, pack: none },
  { name: 'jmp', mask: 0xfe0e, match: 0x940c, words: 2, pack: (op, next) => k22(op, next) },
  { name: 'call', mask: 0xfe0e, match: 0x940e, words: 2, pack: (op, next) => k22(op, next) },
  {
    name: 'adiw',
    mask: 0xff00,
    match: 0x9600,
    words: 1,
    pack: (op) => (24 + ((op >> 4) & 3) * 2) | (((op & 0xf) | ((op >> 2) & 0x30)) << 8),
  },
  {
    name: 'sbiw',
    mask: 0xff00,
    match: 0x9700,
    words: 1,
    pack: (op) => (24 + ((op >> 4) & 3) * 2) | (((op & 0xf) | ((op >> 2) & 0x30)) << 8),
  },
  { name: 'cbi', mask: 0xff00, match: 0x9800, words: 1, pack: (op) => (ioA5(op) + 0x20) | ((1 << bit(op)) << 8) },
  {
    name: 'sbic',
    mask: 0xff00,
    match: 0x9900,
    words: 1,
    pack: (op, _n, skip) => (ioA5(op) + 0x20) | ((1 << bit(op)) << 8) | (skip << 16),
  },
  { name: 'sbi', mask: 0xff00, match: 0x9a00, words: 1, pack: (op) => (ioA5(op) + 0x20) | ((1 << bit(op)) << 8) },
  {
    name: 'sbis',
    mask: 0xff00,
    match: 0x9b00,
    words: 1,
    pack: (op, _n, skip) => (ioA5(op) + 0x20) | ((1 << bit(op)) << 8) | (skip << 16),
  },
  { name: 'mul', mask: 0xfc00, match: 0x9c00, words: 1, pack: dr },
  { name: 'in', mask: 0xf800, match: 0xb000, words: 1, pack: (op) => d5(op) | ((ioA6(op) + 0x20) << 8) },
  { name: 'out', mask: 0xf800, match: 0xb800, words: 1, pack: (op) => d5(op) | ((ioA6(op) + 0x20) << 8) },
  { name: 'rjmp', mask: 0xf000, match: 0xc000, words: 1, pack: (op) => k12(op) },
  { name: 'rcall', mask: 0xf000, match: 0xd000, words: 1, pack: (op) => k12(op) },
  { name: 'ldi', mask: 0xf000, match: 0xe000, words: 1, pack: dK },
  { name: 'brbs', mask: 0xfc00, match: 0xf000, words: 1, pack: (op) => (1 << bit(op)) | (k7(op) << 8) },
  { name: 'brbc', mask: 0xfc00, match: 0xf400, words: 1, pack: (op) => (1 << bit(op)) | (k7(op) << 8) },
  { name: 'bld', mask: 0xfe08, match: 0xf800, words: 1, pack: (op) => d5(op) | ((1 << bit(op)) << 8) },
  { name: 'bst', mask: 0xfe08, match: 0xfa00, words: 1, pack: (op) => d5(op) | ((1 << bit(op)) << 8) },
  {
    name: 'sbrc',
    mask: 0xfe08,
    match: 0xfc00,
    words: 1,
    pack: (op, _n, skip) => d5(op) | ((1 << bit(op)) << 8) | (skip << 16),
  },
  {
    name: 'sbrs',
    mask: 0xfe08,
    match: 0xfe00,
    words: 1,
    pack: (op, _n, skip) => d5(op) | ((1 << bit(op)) << 8) | (skip << 16),
  },
];

/** LDS, STS, JMP and CALL take a second word (the ones a skip must jump over whole). */
export function isTwoWord(op: number): boolean {
  return (op & 0xfc0f) === 0x9000 || (op & 0xfe0c) === 0x940c;
}

/** 256 buckets by the top byte, so decoding a whole flash stays cheap. */
const BY_TOP: Form[][] = Array.from({ length: 256 }, (_, top) =>
  FORMS.filter((f) => ((top << 8) & f.mask & 0xff00) === (f.match & 0xff00)),
);

/** The form an opcode word is, or undefined for an encoding no AVR has (run as a NOP). */
export function formOf(op: number): Form | undefined {
  for (const f of BY_TOP[op >> 8]) {
    if ((op & f.mask) === f.match) return f;
  }
  return undefined;
}

/** The packed operands of `op` as `form` (with the word after it, for two-word instructions and skips). */
export function packOperands(form: Form, op: number, next: number): number {
  return form.pack(op, next, isTwoWord(next) ? 2 : 1);
}
