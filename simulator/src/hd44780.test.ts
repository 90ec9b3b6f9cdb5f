// HD44780 model spec, written from the Hitachi HD44780U datasheet (instruction
// table 6, Fig. 23/24 initialisation, write timing Fig. 25, AC rules).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  HD44780,
  LCD_GEOMETRIES,
  cgramGlyph,
  a00ToUnicode,
  lcdGeometry,
  type HD44780Config,
  type LcdGeometryName,
} from './hd44780.ts';
import { FakeClock, LcdBus } from './hd44780-bus.ts';

function setup(config: Partial<HD44780Config> = {}, init = true) {
  const clock = new FakeClock();
  const lcd = new HD44780(clock, config);
  const bus = new LcdBus(lcd, clock);
  if (init) bus.init();
  return { clock, lcd, bus };
}

function kinds(lcd: HD44780): string[] {
  return lcd.violations.map((v) => v.kind);
}

describe('power-on and initialisation', () => {
  test('internal reset state: 8-bit, 1-line, display off, I/D=1, S=0, blank DDRAM', () => {
    const { lcd } = setup({}, false);
    assert.equal(lcd.eightBit, true);
    assert.equal(lcd.twoLine, false);
    assert.equal(lcd.displayOn, false);
    assert.equal(lcd.entryIncrement, true);
    assert.equal(lcd.entryShift, false);
    assert.equal(lcd.ac, 0);
    assert.ok(lcd.ddram.every((b) => b === 0x20));
    assert.deepEqual(lcd.text(), [' '.repeat(16), ' '.repeat(16)]);
  });

  test('datasheet 4-bit init by instruction leaves 4-bit, 2-line, display on, no violations', () => {
    const { lcd, bus } = setup();
    assert.deepEqual(lcd.violations, []);
    assert.equal(lcd.eightBit, false);
    assert.equal(lcd.twoLine, true);
    assert.equal(lcd.displayOn, true);
    assert.equal(lcd.nibblePhase, 'high');
    bus.print('Hello, pmlcd!');
    bus.command(0xc0);
    bus.print('line 2');
    assert.deepEqual(lcd.text(), ['Hello, pmlcd!   ', 'line 2          ']);
    assert.deepEqual(
      lcd.codes(1).slice(0, 6),
      [...'line 2'].map((c) => c.charCodeAt(0)),
    );
    assert.equal(lcd.stats.ddramWrites, 19);
    assert.deepEqual(lcd.violations, []);
  });

  test('8-bit bus: one pulse per byte, all eight data lines used', () => {
    const { lcd, bus } = setup({ dataBits: 8 });
    assert.deepEqual(lcd.violations, []);
    assert.equal(lcd.eightBit, true);
    assert.equal(lcd.twoLine, true);
    const before = lcd.stats.pulses;
    bus.print('8bit');
    assert.equal(lcd.stats.pulses - before, 4);
    assert.equal(lcd.text()[0], '8bit            ');
  });

  test('4-bit wiring ignores DB3..DB0 (even while the controller is in 8-bit mode)', () => {
    const { lcd, bus } = setup({}, false);
    bus.waitUs(50_000);
    bus.pulse(false, 0x3f); // 8-bit function set; low nibble floating -> N=0, F=0
    assert.equal(lcd.twoLine, false);
    assert.equal(lcd.font5x10, false);
  });

  for (const phase of ['high', 'low'] as const) {
    test(`0x3,0x3,0x3,0x2 resynchronises from the ${phase}-nibble phase of 4-bit mode`, () => {
      const { lcd, bus } = setup();
      bus.print('garbage');
      if (phase === 'low') bus.nibble(true, 0x4); // an orphan high nibble: the bus is now mid-byte
      assert.equal(lcd.nibblePhase, phase);
      const shortWait = lcd.executionCycles.short;
      for (const [n, waitUs] of [
        [3, 4200],
        [3, 150],
        [3, 0],
        [2, 0],
      ] as const) {
        bus.nibble(false, n);
        bus.waitUs(waitUs);
        bus.clock.advance(shortWait);
      }
      assert.equal(lcd.eightBit, false);
      assert.equal(lcd.nibblePhase, 'high');
      bus.command(0x28);
      bus.command(0x01);
      bus.print('resync ok');
      assert.equal(lcd.text()[0], 'resync ok       ');
      assert.deepEqual(
        kinds(lcd).filter((k) => k !== 'nibble-rs-mismatch'),
        [],
      );
      // From the low phase the orphan RS=1 nibble pairs with the first RS=0 nibble.
      assert.equal(lcd.orphanNibbles, phase === 'low' ? 1 : 0);
    });
  }
});

describe('instructions', () => {
  test('clear display: fills 0x20, AC=0, shift=0, I/D back to 1, busy for the long time', () => {
    const { lcd, bus } = setup();
    bus.print('abc');
    bus.command(0x18); // shift display
    bus.command(0x04); // entry: decrement
    bus.send(false, 0x01);
    assert.ok(lcd.busy);
    assert.ok(lcd.ddram.every((b) => b === 0x20));
    assert.equal(lcd.ac, 0);
    assert.equal(lcd.shift, 0);
    assert.equal(lcd.entryIncrement, true);
    bus.clock.cycles = lcd.lastWriteCycle + Math.ceil(lcd.executionCycles.long) - 1;
    assert.ok(lcd.busy, 'still busy 1 cycle before 1.52 ms x 270/190');
    bus.clock.advance(1);
    assert.ok(!lcd.busy);
  });

  test('return home: AC=0 and shift=0, DDRAM unchanged', () => {
    const { lcd, bus } = setup();
    bus.print('home');
    bus.command(0x18);
    bus.command(0x02);
    assert.equal(lcd.ac, 0);
    assert.equal(lcd.shift, 0);
    assert.equal(lcd.text()[0], 'home            ');
  });

  test('entry mode decrement writes leftwards and wraps 0x00 -> 0x67 and 0x40 -> 0x27', () => {
    const { lcd, bus } = setup();
    bus.command(0x04);
    bus.command(0x80 | 0x03);
    bus.print('abcd');
    assert.equal(lcd.text()[0], 'dcba            ');
    assert.equal(lcd.ac, 0x67);
    bus.command(0x80 | 0x40);
    bus.print('x');
    assert.equal(lcd.ac, 0x27);
  });

  test('AC increments wrap 0x27 -> 0x40 and 0x67 -> 0x00 in 2-line mode', () => {
    const { lcd, bus } = setup();
    bus.command(0x80 | 0x27);
    bus.print('AB');
    assert.equal(lcd.ddram[39], 0x41);
    assert.equal(lcd.codes(1)[0], 0x42);
    bus.command(0x80 | 0x67);
    bus.print('CD');
    assert.equal(lcd.codes(0)[0], 0x44);
    assert.equal(lcd.ac, 0x01);
  });

  test('1-line mode addresses 0x00-0x4F and wraps 0x4F -> 0x00', () => {
    const { lcd, bus } = setup();
    const oneLine = setup({}, false);
    oneLine.bus.init(false);
    assert.equal(oneLine.lcd.twoLine, false);
    oneLine.bus.command(0x80 | 0x4f);
    oneLine.bus.print('YZ');
    assert.equal(oneLine.lcd.ddram[0x4f], 0x59);
    assert.equal(oneLine.lcd.text()[0][0], 'Z');
    assert.equal(oneLine.lcd.text()[1], ' '.repeat(16), 'second row is not driven in 1-line mode');
    assert.equal(lcd.twoLine, true); // the 2-line fixture is unaffected
    bus.print('');
  });

  test('display on/off control sets D, C, B; text() is blank while D=0', () => {
    const { lcd, bus } = setup();
    bus.print('visible');
    bus.command(0x08 | 0x04 | 0x02 | 0x01);
    assert.deepEqual([lcd.displayOn, lcd.cursorOn, lcd.blinkOn], [true, true, true]);
    bus.command(0x08);
    assert.deepEqual([lcd.displayOn, lcd.cursorOn, lcd.blinkOn], [false, false, false]);
    assert.equal(lcd.text()[0], ' '.repeat(16));
    assert.equal(lcd.codes(0)[0], 0x76, 'codes() still shows DDRAM');
  });

  test('cursor shift moves AC; display shift moves both lines over the 40-column ring', () => {
    const { lcd, bus } = setup();
    bus.print('0123456789');
    bus.command(0xc0);
    bus.print('abcdefghij');
    bus.command(0x80 | 0x05);
    bus.command(0x14);
    assert.equal(lcd.ac, 0x06);
    bus.command(0x10);
    bus.command(0x10);
    assert.equal(lcd.ac, 0x04);
    bus.command(0x18); // shift left: content moves left
    assert.equal(lcd.shift, 1);
    assert.deepEqual(lcd.text(), ['123456789       ', 'bcdefghij       ']);
    bus.command(0x1c);
    bus.command(0x1c); // right twice: column 39 appears at the left edge
    assert.equal(lcd.shift, 39);
    assert.deepEqual(lcd.text(), [' 0123456789     ', ' abcdefghij     ']);
    assert.equal(lcd.ac, 0x04, 'display shift leaves AC alone');
  });

  test('entry mode shift (S=1): the display shifts on each data write', () => {
    const { lcd, bus } = setup();
    bus.command(0x80 | 0x10); // first column just off screen
    bus.command(0x07); // I/D=1, S=1
    bus.print('ABC');
    assert.equal(lcd.shift, 3);
    assert.equal(lcd.text()[0], '             ABC');
    bus.command(0x05); // I/D=0, S=1: writes leftwards, display shifts right
    bus.print('x');
    assert.equal(lcd.shift, 2);
  });

  test('decode by highest set bit: 0xA5 is Set DDRAM 0x25, 0x65 is Set CGRAM 0x25', () => {
    const { lcd, bus } = setup();
    const before = lcd.twoLine;
    bus.command(0xa5);
    assert.equal(lcd.addressingCgram, false);
    assert.equal(lcd.ac, 0x25);
    assert.equal(lcd.twoLine, before, 'not a function set');
    bus.print('D');
    assert.equal(lcd.ddram[0x25], 0x44);
    bus.command(0x65);
    assert.equal(lcd.addressingCgram, true);
    assert.equal(lcd.ac, 0x25);
    bus.write(true, 0x1f);
    assert.equal(lcd.cgram[0x25], 0x1f);
    assert.equal(lcd.eightBit, false, 'not a function set');
  });

  test('CGRAM: define glyph 3, show it at codes 3 and 11, writes stay in CGRAM until a DDRAM address', () => {
    const { lcd, bus } = setup();
    const rows = [0x1f, 0x11, 0x0a, 0x04, 0x0a, 0x11, 0x1f, 0x00];
    bus.command(0x40 | (3 << 3));
    bus.print(rows);
    bus.print([0x01]); // firmware forgot Set DDRAM: lands in glyph 4 row 0
    assert.equal(lcd.stats.cgramWrites, 9);
    assert.deepEqual(cgramGlyph(lcd, 3), rows);
    assert.equal(lcd.cgram[4 * 8], 0x01);
    assert.equal(lcd.text()[0], ' '.repeat(16), 'DDRAM untouched');
    bus.command(0x80);
    bus.print([3, 11, 0x41]);
    assert.deepEqual(lcd.codes(0).slice(0, 3), [3, 11, 0x41]);
    assert.equal(lcd.text()[0].slice(0, 3), '④④A');
  });

  test('a DDRAM address in a 2-line hole is a violation', () => {
    const { lcd, bus } = setup();
    bus.command(0x80 | 0x28);
    bus.command(0x80 | 0x7f);
    bus.command(0x80 | 0x67);
    assert.deepEqual(kinds(lcd), ['ddram-hole', 'ddram-hole']);
    assert.match(lcd.violations[0]!.message, /0x28/);
  });

  test('function set changing N/F after 4-bit init is flagged; strict mode keeps N/F', () => {
    for (const strict of [false, true]) {
      const { lcd, bus } = setup({ strict });
      bus.command(0x28); // same N/F: fine
      assert.deepEqual(kinds(lcd), []);
      bus.command(0x20);
      assert.deepEqual(kinds(lcd), ['function-set-change']);
      assert.equal(lcd.twoLine, strict);
    }
  });

  test('reads (RW=1) are counted, drive BF/AC, and advance the nibble phase', () => {
    const { lcd, bus, clock } = setup();
    bus.command(0x80 | 0x45);
    bus.send(false, 0x01); // clear: busy for 2.16 ms
    const read = () => {
      lcd.setPins(false, true, false, 0);
      clock.advance(2);
      lcd.setPins(false, true, true, 0);
      clock.advance(8);
      const out = lcd.busOutput();
      lcd.setPins(false, true, false, 0);
      clock.advance(8);
      return out;
    };
    const hi = read();
    assert.equal(lcd.nibblePhase, 'low');
    const lo = read();
    assert.equal(hi, 0x80, 'BF=1, AC=0 after clear');
    assert.equal(lo, 0x00);
    assert.equal(lcd.stats.reads, 2);
    assert.equal(lcd.busOutput(), null, 'nothing driven with E low');
  });
});

describe('timing checks', () => {
  /** A write pulse built by hand: RS/data set at t0, E rises at t0+as, falls after high cycles. */
  function rawPulse(
    lcd: HD44780,
    clock: FakeClock,
    data: number,
    p: { as?: number; high?: number; after?: number } = {},
  ) {
    lcd.setPins(false, false, false, data);
    clock.advance(p.as ?? 2);
    lcd.setPins(false, false, true, data);
    clock.advance(p.high ?? 8);
    lcd.setPins(false, false, false, data);
    clock.advance(p.after ?? 8);
  }

  test('power-up: first write before 40 ms is flagged; after 40 ms it is not', () => {
    const early = setup({}, false);
    early.bus.waitUs(15_000);
    early.bus.nibble(false, 3);
    assert.deepEqual(kinds(early.lcd), ['power-up']);
    assert.match(early.lcd.violations[0]!.message, /15\.0\d* ms after power-on < 40 ms/);
    const late = setup({}, false);
    late.bus.waitUs(40_000);
    late.bus.nibble(false, 3);
    assert.deepEqual(kinds(late.lcd), []);
  });

  test('powerOn() restarts the power-up wait at the current cycle', () => {
    const { lcd, bus } = setup();
    lcd.powerOn();
    assert.equal(lcd.eightBit, true);
    bus.nibble(false, 3);
    assert.deepEqual(kinds(lcd), ['power-up']);
  });

  test('init spacing: 4.1 ms after the first 0x3, 100 us after the second', () => {
    const { lcd, bus } = setup({}, false);
    bus.waitUs(50_000);
    bus.nibble(false, 3);
    bus.waitUs(1000); // too soon (needs 4.1 ms)
    bus.nibble(false, 3);
    bus.waitUs(50); // too soon (needs 100 us)
    bus.nibble(false, 3);
    assert.deepEqual(kinds(lcd), ['init-spacing', 'init-spacing']);
    assert.match(lcd.violations[0]!.message, /first 0x3/);
    assert.match(lcd.violations[1]!.message, /second 0x3/);
  });

  test('busy: a write before 37 us x 270/190 (52.6 us) is flagged at 190 kHz but not at 270 kHz', () => {
    for (const [oscHz, expected] of [
      [190_000, ['busy', 'busy']],
      [270_000, []],
    ] as const) {
      const { lcd, bus } = setup({ oscHz });
      bus.send(true, 0x41);
      bus.waitUs(45);
      bus.send(true, 0x42); // both nibbles land inside the busy time at 190 kHz
      assert.deepEqual(kinds(lcd), expected, `oscHz ${oscHz}`);
    }
  });

  test('busy after clear lasts 1.52 ms x 270/190; strict mode drops the busy write', () => {
    for (const strict of [false, true]) {
      const { lcd, bus } = setup({ strict });
      bus.send(false, 0x01);
      bus.waitUs(1600); // enough at 270 kHz, not at 190 kHz (2.16 ms)
      bus.send(true, 0x41);
      assert.deepEqual(kinds(lcd), strict ? ['busy', 'busy'] : ['busy', 'busy']);
      // Non-strict executes; strict drops both nibbles (each latched while busy).
      assert.equal(lcd.ddram[0], strict ? 0x20 : 0x41);
      assert.equal(lcd.stats.dropped, strict ? 2 : 0);
    }
  });

  test('E pulse width: 2 cycles (125 ns) < 450 ns is flagged; 8 cycles is fine; threshold configurable', () => {
    const { lcd, clock } = setup();
    rawPulse(lcd, clock, 0x80, { high: 8, after: 2000 });
    assert.deepEqual(kinds(lcd), []);
    rawPulse(lcd, clock, 0x00, { high: 2, after: 2000 });
    assert.deepEqual(kinds(lcd), ['e-pulse-width']);
    assert.match(lcd.violations[0]!.message, /\(125 ns\) < PW_EH 450 ns/);
    const fast = setup({ pwEhNs: 230 });
    rawPulse(fast.lcd, fast.clock, 0x80, { high: 4, after: 2000 });
    assert.deepEqual(kinds(fast.lcd), []);
  });

  test('E cycle time: rising edges 12 cycles (750 ns) apart < 1000 ns is flagged', () => {
    const { lcd, clock } = setup();
    rawPulse(lcd, clock, 0x80, { as: 2, high: 8, after: 2 });
    rawPulse(lcd, clock, 0x00, { as: 2, high: 8, after: 2000 });
    assert.deepEqual(kinds(lcd), ['e-cycle']);
    const ok = setup();
    rawPulse(ok.lcd, ok.clock, 0x80, { as: 2, high: 8, after: 6 });
    rawPulse(ok.lcd, ok.clock, 0x00, { as: 2, high: 8, after: 2000 });
    assert.deepEqual(kinds(ok.lcd), []);
  });

  test('data setup: data changing 2 cycles (125 ns) before E falls is flagged', () => {
    const { lcd, clock } = setup();
    lcd.setPins(false, false, false, 0x80);
    clock.advance(2);
    lcd.setPins(false, false, true, 0x80);
    clock.advance(6);
    lcd.setPins(false, false, true, 0xc0); // late change, still latched
    clock.advance(2);
    lcd.setPins(false, false, false, 0xc0);
    assert.deepEqual(kinds(lcd), ['data-setup']);
    assert.equal(lcd.nibblePhase, 'low');
  });

  test('data hold: changing data in the same write that drops E is flagged and the old data latched', () => {
    const { lcd, clock, bus } = setup();
    lcd.setPins(false, false, false, 0x80);
    clock.advance(2);
    lcd.setPins(false, false, true, 0x80);
    clock.advance(8);
    lcd.setPins(false, false, false, 0x00); // E low and new data at once
    clock.advance(8);
    assert.deepEqual(kinds(lcd), ['data-hold']);
    bus.nibble(false, 0x5); // low nibble: 0x85 = Set DDRAM 0x05
    clock.advance(lcd.executionCycles.short);
    assert.equal(lcd.ac, 0x05);
  });

  test('address hold: RS changing in the same cycle as E falls is flagged', () => {
    const { lcd, clock } = setup();
    lcd.setPins(false, false, false, 0x80);
    clock.advance(2);
    lcd.setPins(false, false, true, 0x80);
    clock.advance(8);
    lcd.setPins(false, false, false, 0x80);
    lcd.setPins(true, false, false, 0x80); // a later port write, same cycle
    assert.deepEqual(kinds(lcd), ['address-hold']);
  });

  test('address setup: RS changing in the same cycle as E rises, or while E is high, is flagged', () => {
    const { lcd, clock } = setup();
    lcd.setPins(true, false, true, 0x40); // RS and E together
    clock.advance(8);
    lcd.setPins(true, false, false, 0x40);
    clock.advance(2000);
    assert.deepEqual(kinds(lcd), ['address-setup']);
    lcd.setPins(true, false, true, 0x10);
    clock.advance(4);
    lcd.setPins(false, false, true, 0x10); // RS flips mid-pulse
    clock.advance(4);
    lcd.setPins(false, false, false, 0x10);
    // The latched RS=0 also mismatches the RS=1 high nibble before it.
    assert.deepEqual(kinds(lcd), ['address-setup', 'address-setup', 'nibble-rs-mismatch']);
    assert.match(lcd.violations[1]!.message, /while E was high/);
  });

  test('strict mode drops a write with a bus-timing violation; non-strict executes it', () => {
    for (const strict of [false, true]) {
      const { lcd, clock } = setup({ strict });
      rawPulse(lcd, clock, 0xc0, { high: 2 });
      assert.equal(lcd.nibblePhase, strict ? 'high' : 'low');
    }
  });

  test('changes on unwired DB3..DB0 are not data changes (no setup violation)', () => {
    const { lcd, clock } = setup();
    lcd.setPins(false, false, false, 0x80);
    clock.advance(2);
    lcd.setPins(false, false, true, 0x80);
    clock.advance(8);
    lcd.setPins(false, false, true, 0x8f);
    lcd.setPins(false, false, false, 0x8f);
    assert.deepEqual(kinds(lcd), []);
  });

  test('violations list is capped; counts keep going', () => {
    const { lcd, clock } = setup({ maxViolations: 3 });
    for (let i = 0; i < 10; i++) rawPulse(lcd, clock, 0x00, { high: 1, after: 3000 });
    assert.equal(lcd.violations.length, 3);
    assert.equal(lcd.stats.violationCounts['e-pulse-width'], 10);
  });

  test('a violation records cycle, kind, instruction and message', () => {
    const { lcd, clock, bus } = setup();
    bus.send(false, 0x01);
    const cycleBefore = clock.cycles;
    bus.send(false, 0xc5);
    const v = lcd.violations[0]!;
    assert.equal(v.kind, 'busy');
    assert.equal(v.instruction, 0xc0, 'high nibble');
    assert.ok(v.cycle > cycleBefore && v.cycle <= clock.cycles);
    assert.equal(lcd.violations[1]!.instruction, 0xc5);
    assert.match(v.message, /busy/);
  });
});

describe('A00 mapping and change notification', () => {
  test('a00ToUnicode: ASCII, yen, arrows, katakana, Greek, block, CGRAM, no-glyph', () => {
    assert.equal(a00ToUnicode(0x41), 'A');
    assert.equal(a00ToUnicode(0x5c), '¥');
    assert.equal(a00ToUnicode(0x7e), '→');
    assert.equal(a00ToUnicode(0x7f), '←');
    assert.equal(a00ToUnicode(0xb1), 'ｱ');
    assert.equal(a00ToUnicode(0xdf), 'ﾟ');
    assert.equal(a00ToUnicode(0xe4), 'μ');
    assert.equal(a00ToUnicode(0xf4), 'Ω');
    assert.equal(a00ToUnicode(0xff), '█');
    assert.equal(a00ToUnicode(0x00), '①');
    assert.equal(a00ToUnicode(0x0f), '⑧');
    assert.equal(a00ToUnicode(0x10), '\uFFFD');
    for (let c = 0; c < 256; c++) assert.equal(a00ToUnicode(c).length, 1, `code 0x${c.toString(16)}`);
  });

  test('onChange fires on visible changes and backlight; lastWriteCycle tracks latches', () => {
    const { lcd, bus, clock } = setup();
    let n = 0;
    lcd.onChange = () => n++;
    bus.print('x');
    assert.equal(n, 1);
    assert.ok(lcd.lastWriteCycle > 0 && lcd.lastWriteCycle <= clock.cycles);
    lcd.backlight = false;
    lcd.backlight = false;
    assert.equal(n, 2);
  });
});

describe('geometries', () => {
  // Row start addresses (HD44780U Fig. 4-6; 4-row modules fold the two 40-character lines:
  // rows 3/4 start at 0x00+cols and 0x40+cols), and the "type 1" 16x1 that is an 8x2 inside.
  const expected: Record<LcdGeometryName, number[][]> = {
    '8x1': [[0x00, 0x07]],
    '16x1': [[0x00, 0x07, 0x40, 0x47]],
    '16x1-linear': [[0x00, 0x0f]],
    '16x2': [
      [0x00, 0x0f],
      [0x40, 0x4f],
    ],
    '20x2': [
      [0x00, 0x13],
      [0x40, 0x53],
    ],
    '16x4': [
      [0x00, 0x0f],
      [0x40, 0x4f],
      [0x10, 0x1f],
      [0x50, 0x5f],
    ],
    '20x4': [
      [0x00, 0x13],
      [0x40, 0x53],
      [0x14, 0x27],
      [0x54, 0x67],
    ],
    '40x2': [
      [0x00, 0x27],
      [0x40, 0x67],
    ],
  };

  for (const name of Object.keys(LCD_GEOMETRIES) as LcdGeometryName[]) {
    const g = LCD_GEOMETRIES[name];
    test(`${name}: line addresses, and text written at each row's start lands there`, () => {
      const { lcd, bus } = setup(lcdGeometry(name), false);
      bus.init(g.twoLine);
      const { columns, rows } = lcd.config;
      assert.equal(lcd.text().length, rows);
      for (let r = 0; r < rows; r++) {
        const ends = [lcd.cellAddress(r, 0), lcd.cellAddress(r, columns - 1)];
        if (name === '16x1') ends.splice(1, 0, lcd.cellAddress(0, 7), lcd.cellAddress(0, 8));
        assert.deepEqual(ends, expected[name][r], `row ${r}`);
      }
      // Write a marker at every row's start address and its last column; read the glass.
      for (let r = 0; r < rows; r++) {
        bus.command(0x80 | lcd.cellAddress(r, 0));
        bus.print(String.fromCharCode(0x30 + r));
        bus.command(0x80 | lcd.cellAddress(r, columns - 1));
        bus.print('#');
      }
      const text = lcd.text();
      for (let r = 0; r < rows; r++) {
        assert.equal([...text[r]!].length, columns);
        assert.equal(text[r]![0], String.fromCharCode(0x30 + r), `row ${r}: ${JSON.stringify(text)}`);
        assert.equal(text[r]!.at(-1), '#', `row ${r}: ${JSON.stringify(text)}`);
      }
      assert.deepEqual(lcd.violations, []);
    });
  }

  test('16x1 type 1: a string runs on at 0x40 for columns 8-15; with N=0 the right half stays dark', () => {
    const { lcd, bus } = setup(lcdGeometry('16x1'), false);
    bus.init(true);
    bus.print('abcdefgh');
    bus.command(0xc0);
    bus.print('ijklmnop');
    assert.deepEqual(lcd.text(), ['abcdefghijklmnop']);
    const one = setup(lcdGeometry('16x1'), false);
    one.bus.init(false);
    one.bus.print('abcdefghijklmnop');
    assert.deepEqual(one.lcd.text(), ['abcdefgh        ']);
  });

  test('20x4: auto-increment off the end of row 1 continues on row 3 (same DDRAM line)', () => {
    const { lcd, bus } = setup(lcdGeometry('20x4'));
    bus.print(`${'x'.repeat(20)}row3`);
    assert.equal(lcd.text()[2], `row3${' '.repeat(16)}`);
    assert.equal(lcd.text()[1], ' '.repeat(20));
    assert.deepEqual(lcd.cursorCell(), { row: 2, col: 4 });
  });

  test('display shift moves the folded rows of a 16x4 together over the 40-column ring', () => {
    const { lcd, bus } = setup(lcdGeometry('16x4'));
    bus.command(0x80 | 0x10);
    bus.print('R3');
    bus.command(0x18); // shift display left: the window moves one column on
    assert.equal(lcd.text()[0]!.at(-1), 'R');
    assert.equal(lcd.text()[2]!.slice(0, 1), '3');
  });

  test('unknown geometry names are refused', () => {
    assert.throws(() => lcdGeometry('17x3'), /unknown LCD geometry/);
  });
});

describe('read path (RW=1)', () => {
  /** One E cycle with RW=1; returns what the controller drove while E was high. */
  function readCycle(lcd: HD44780, clock: FakeClock, rs: boolean): number | null {
    lcd.setPins(rs, true, false, 0xf0);
    clock.advance(2);
    lcd.setPins(rs, true, true, 0xf0);
    clock.advance(8);
    const out = lcd.busOutput();
    lcd.setPins(rs, true, false, 0xf0);
    clock.advance(8);
    return out;
  }

  test('BF reads 1 for the 10 ms internal reset after power-on, then 0', () => {
    const { lcd, clock } = setup({}, false);
    assert.equal(lcd.busy, true);
    clock.advanceUs(9_900);
    assert.equal(readCycle(lcd, clock, false), 0x80);
    clock.advanceUs(200);
    assert.equal(readCycle(lcd, clock, false), 0x00);
  });

  test('an E fall with no E rise since power-on is not a bus cycle (an expander powers up with E high)', () => {
    const clock = new FakeClock();
    const lcd = new HD44780(clock);
    lcd.setPins(true, true, true, 0xf0);
    lcd.powerOn();
    clock.advanceUs(50_000);
    lcd.setPins(false, false, false, 0);
    assert.equal(lcd.stats.pulses, 0);
    assert.equal(lcd.ac, 0, 'no data read advanced AC');
    assert.deepEqual(lcd.violations, [], 'no hold violation for a cycle that never was');
  });

  test('4-bit data read: two nibbles of the data register; AC advances and DR reloads after the second', () => {
    const { lcd, bus, clock } = setup();
    bus.print('Hi');
    bus.command(0x80);
    assert.equal(readCycle(lcd, clock, true), 0x40, "high nibble of 'H' (0x48)");
    assert.equal(lcd.ac, 0, 'AC moves only when the whole byte is read');
    assert.equal(readCycle(lcd, clock, true), 0x80, 'low nibble in bits 7..4');
    assert.equal(lcd.ac, 1);
    assert.equal(readCycle(lcd, clock, true), 0x60, "next byte 'i' (0x69) fetched");
  });

  test('the data register holds a written byte, so a read without an address set is not RAM', () => {
    const { lcd, bus } = setup();
    bus.print('ab');
    bus.command(0x80);
    bus.print('Z');
    assert.equal(lcd.ac, 1);
    assert.equal(lcd.dr, 0x5a, "DR = 'Z', while RAM at AC holds 'b'");
    bus.command(0x14); // cursor shift right reloads DR from RAM at the new AC
    assert.equal(lcd.dr, 0x20);
  });
});
