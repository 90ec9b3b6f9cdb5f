// PCF8574/PCF8574A I2C LCD backpack spec: the expander (NXP PCF8574 data sheet:
// addresses, quasi-bidirectional pins, power-on FF), the backpack pin mappings in
// front of the HD44780 model, reading BF/AC and DDRAM back through the port, the bus
// traffic of hd44780_I2Cexp's auto-detect, and the bus timing from TWBR/TWPS. The
// firmware side is played by a small TWI master that writes the avr8js TWI registers
// as a polling driver would, so the whole path through AVRTWI is exercised.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AVRTWI, CPU, twiConfig } from 'avr8js';
import { cpuInternals } from './avr-internals.ts';
import { HD44780, type HD44780Config } from './hd44780.ts';
import {
  BACKPACK_MAPPINGS,
  LcdBackpack,
  backpackMapping,
  type BackpackMapping,
  type BackpackMappingName,
} from './hd44780-backpack.ts';
import { I2CBus } from './i2c-bus.ts';
import { PCF8574 } from './pcf8574.ts';

const CPU_HZ = 16_000_000;
const TWINT = 0x80,
  TWEA = 0x40,
  TWSTA = 0x20,
  TWSTO = 0x10,
  TWEN = 0x04;
// Master status codes (ATmega328P Table 22-2, 22-3).
const START = 0x08,
  SLAW_ACK = 0x18,
  SLAW_NACK = 0x20,
  DATA_ACK = 0x28,
  SLAR_ACK = 0x40;

/** A polling TWI master, as firmware drives the registers; every step returns the cycles it took. */
class Master {
  constructor(readonly cpu: CPU) {}

  /** Arduino Wire's settings: TWBR = (F_CPU / f - 16) / 2 with TWPS = 0. */
  rate(twbr: number, twps = 0): void {
    this.cpu.writeData(twiConfig.TWBR, twbr);
    this.cpu.writeData(twiConfig.TWSR, twps);
  }

  get status(): number {
    return this.cpu.data[twiConfig.TWSR]! & 0xf8;
  }

  /** Runs simulated time until done() (clock events only: there is no program). */
  runUntil(done: () => boolean, limit = 1_000_000): number {
    const { cpu } = this,
      t0 = cpu.cycles;
    while (!done()) {
      const next = cpuInternals(cpu).nextClockEvent;
      assert.ok(next && cpu.cycles - t0 < limit, 'the TWI step never completed');
      cpu.cycles = Math.max(cpu.cycles + 1, next.cycles);
      cpu.tick();
    }
    return cpu.cycles - t0;
  }

  idleUs(us: number): void {
    this.cpu.cycles += Math.ceil((us * CPU_HZ) / 1e6);
    this.cpu.tick();
  }

  private step(twcr: number): number {
    this.cpu.writeData(twiConfig.TWCR, twcr | TWINT | TWEN);
    return this.runUntil(() => (this.cpu.data[twiConfig.TWCR]! & TWINT) !== 0);
  }

  start(): number {
    return this.step(TWSTA);
  }
  sla(address: number, read: boolean): number {
    this.cpu.data[twiConfig.TWDR] = (address << 1) | (read ? 1 : 0);
    return this.step(0);
  }
  data(byte: number): number {
    this.cpu.data[twiConfig.TWDR] = byte;
    return this.step(0);
  }
  receive(ack: boolean): number {
    this.step(ack ? TWEA : 0);
    return this.cpu.data[twiConfig.TWDR]!;
  }
  /** avr8js also sets TWINT after a STOP; real silicon does not, so wait on TWSTO as firmware must. */
  stop(): number {
    this.cpu.writeData(twiConfig.TWCR, TWINT | TWEN | TWSTO);
    return this.runUntil(() => (this.cpu.data[twiConfig.TWCR]! & TWSTO) === 0);
  }

  /** One write transaction; returns whether the address was acknowledged. */
  write(address: number, bytes: readonly number[]): boolean {
    this.start();
    assert.equal(this.status, START);
    this.sla(address, false);
    const acked = (this.status as number) === SLAW_ACK;
    if (acked) {
      for (const b of bytes) {
        this.data(b);
        assert.equal(this.status, DATA_ACK);
      }
    }
    this.stop();
    return acked;
  }

  /** One read transaction of n bytes (the last one NACKed). */
  read(address: number, n = 1): number[] {
    this.start();
    this.sla(address, true);
    assert.equal(this.status, SLAR_ACK);
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.receive(i < n - 1));
    this.stop();
    return out;
  }
}

interface RigOptions {
  address?: number;
  mapping?: BackpackMappingName | BackpackMapping;
  lcd?: Partial<HD44780Config>;
}

function rig(opts: RigOptions = {}) {
  const cpu = new CPU(new Uint16Array(0x4000), 0x800);
  const twi = new AVRTWI(cpu, twiConfig, CPU_HZ);
  const bus = new I2CBus(cpu, twi, CPU_HZ);
  const lcd = new HD44780(cpu, { cpuHz: CPU_HZ, strict: true, ...opts.lcd });
  const backpack = new LcdBackpack(lcd, { address: opts.address ?? 0x27, mapping: opts.mapping ?? 'common' }).attachTo(
    bus,
  );
  const master = new Master(cpu);
  master.rate(72); // 100 kHz
  return { cpu, twi, bus, lcd, backpack, master, port: new Port(master, backpack.mapping, opts.address ?? 0x27) };
}

/** LCD operations as port bytes for a mapping, one transaction per step (the slow, spec-abiding way). */
class Port {
  backlight = true;
  constructor(
    readonly m: Master,
    readonly map: BackpackMapping,
    readonly address: number,
  ) {}

  byte(sig: { rs?: boolean; rw?: boolean; e?: boolean; nibble?: number }): number {
    const { map } = this;
    const n = sig.nibble ?? 0;
    let b =
      (sig.rs ? 1 << map.rs : 0) |
      (sig.rw ? 1 << map.rw : 0) |
      (sig.e ? 1 << map.e : 0) |
      (n & 1 ? 1 << map.d4 : 0) |
      (n & 2 ? 1 << map.d5 : 0) |
      (n & 4 ? 1 << map.d6 : 0) |
      (n & 8 ? 1 << map.d7 : 0);
    if (map.bl !== null && this.backlight === (map.backlightOn === 'high')) b |= 1 << map.bl;
    return b;
  }

  /** RS and data set up, E high, E low: three port bytes (t_AS honoured). */
  nibble(rs: boolean, n: number): void {
    this.m.write(this.address, [
      this.byte({ rs, nibble: n }),
      this.byte({ rs, nibble: n, e: true }),
      this.byte({ rs, nibble: n }),
    ]);
  }

  send(rs: boolean, b: number, waitUs = 60): void {
    this.nibble(rs, b >> 4);
    this.nibble(rs, b & 0xf);
    this.m.idleUs(waitUs);
  }

  /** HD44780U Fig. 24: three 0x3 nibbles, 0x2, then function set / display / clear / entry mode. */
  init(functionSet = 0x28): void {
    this.m.idleUs(50_000);
    this.nibble(false, 3);
    this.m.idleUs(4200);
    this.nibble(false, 3);
    this.m.idleUs(150);
    this.nibble(false, 3);
    this.m.idleUs(60);
    this.nibble(false, 2);
    this.m.idleUs(60);
    for (const b of [functionSet, 0x08, 0x01, 0x06, 0x0c]) this.send(false, b, b === 0x01 ? 2200 : 60);
  }

  print(s: string): void {
    for (const ch of s) this.send(true, ch.charCodeAt(0));
  }

  /** Reads one register (RS=0: BF/AC, RS=1: data) as two nibbles (i2c-lcd.md section 4's sequence, any mapping). */
  readRegister(rs: boolean): number {
    const released = { rs, rw: true, nibble: 0xf };
    const nibble = () => {
      this.m.write(this.address, [this.byte(released), this.byte({ ...released, e: true })]);
      const v = this.m.read(this.address)[0]!;
      this.m.write(this.address, [this.byte(released)]);
      const { d4, d5, d6, d7 } = this.map;
      return ((v >> d4) & 1) | (((v >> d5) & 1) << 1) | (((v >> d6) & 1) << 2) | (((v >> d7) & 1) << 3);
    };
    const hi = nibble();
    const lo = nibble();
    this.m.write(this.address, [this.byte({})]);
    return (hi << 4) | lo;
  }
}

describe('PCF8574 / PCF8574A on the bus', () => {
  test('only the strapped address acknowledges; every other address NACKs (empty-write scan)', () => {
    for (const address of [0x27, 0x20, 0x3f, 0x38]) {
      const { master } = rig({ address });
      const acked: number[] = [];
      for (let a = 0x08; a < 0x78; a++) if (master.write(a, [])) acked.push(a);
      assert.deepEqual(acked, [address], `backpack at 0x${address.toString(16)}`);
    }
  });

  test('PCF8574 answers 0x20-0x27 and PCF8574A 0x38-0x3F; anything else is no such chip', () => {
    const load = { portWritten() {}, pulledLow: () => 0 };
    for (let a = 0x20; a <= 0x27; a++) assert.equal(new PCF8574(load, { address: a }).variant, 'PCF8574');
    for (let a = 0x38; a <= 0x3f; a++) assert.equal(new PCF8574(load, { address: a }).variant, 'PCF8574A');
    for (const a of [0x1f, 0x28, 0x30, 0x37, 0x40, 0x00])
      assert.throws(() => new PCF8574(load, { address: a }), /neither/);
  });

  test('a NACKed address leaves the master at SLA+W NACK and the port untouched', () => {
    const { master, backpack } = rig({ address: 0x27 });
    master.start();
    master.sla(0x3f, false);
    assert.equal(master.status, SLAW_NACK);
    master.stop();
    assert.equal(backpack.expander.latch, 0xff);
  });

  test('power-on: latch FF, so E, RW and RS are high and the LCD drives its data register onto D4-D7', () => {
    const { master, backpack, lcd } = rig();
    assert.equal(backpack.expander.latch, 0xff);
    // Common mapping: P0-P2 (RS, RW, E) read 1; P3 is clamped by the NPN backlight base;
    // D7..D4 = high nibble of the data register (0x20 after the internal reset's clear).
    assert.deepEqual(master.read(0x27), [0x27]);
    assert.equal(lcd.stats.pulses, 0, 'E was high from power-on: no E cycle yet');
    // The first write of 00 ends that read without counting it as a bus cycle.
    master.write(0x27, [0x00]);
    assert.equal(lcd.stats.pulses, 0);
    assert.deepEqual(master.read(0x27), [0x00], 'a latch 0 always reads 0');
  });

  test('every data byte of a write replaces the port; each read byte is a fresh sample', () => {
    const { master, backpack } = rig();
    const seen: number[] = [];
    const orig = backpack.portWritten.bind(backpack);
    backpack.portWritten = (l) => {
      seen.push(l);
      orig(l);
    };
    master.write(0x27, [0x08, 0x0c, 0x08, 0x00]);
    assert.deepEqual(seen, [0x08, 0x0c, 0x08, 0x00]);
    assert.deepEqual(master.read(0x27, 3), [0x00, 0x00, 0x00]);
  });
});

describe('backpack pin mappings', () => {
  /** Records what the HD44780 pins see. */
  function spy() {
    const calls: [boolean, boolean, boolean, number][] = [];
    const lcd = {
      backlight: true,
      setPins(rs: boolean, rw: boolean, e: boolean, data: number) {
        calls.push([rs, rw, e, data]);
      },
      busOutput: () => null,
      powerOn() {},
    };
    return { lcd, calls };
  }

  for (const name of Object.keys(BACKPACK_MAPPINGS) as BackpackMappingName[]) {
    test(`${name}: each port bit reaches its HD44780 pin`, () => {
      const map = backpackMapping(name);
      const { lcd, calls } = spy();
      const bp = new LcdBackpack(lcd, { mapping: name });
      const cases: [number, [boolean, boolean, boolean, number]][] = [
        [1 << map.rs, [true, false, false, 0]],
        [1 << map.rw, [false, true, false, 0]],
        [1 << map.e, [false, false, true, 0]],
        [1 << map.d4, [false, false, false, 0x10]],
        [1 << map.d5, [false, false, false, 0x20]],
        [1 << map.d6, [false, false, false, 0x40]],
        [1 << map.d7, [false, false, false, 0x80]],
        // 'A' = 0x41 high nibble with RS and E: what a data write's first E pulse carries.
        [(1 << map.rs) | (1 << map.e) | (1 << map.d6), [true, false, true, 0x40]],
      ];
      for (const [port, pins] of cases) {
        bp.expander.write(port);
        assert.deepEqual(calls.at(-1), pins, `port 0x${port.toString(16)}`);
      }
    });

    test(`${name}: the LCD initialises and prints through the expander with no timing violation (strict)`, () => {
      const { port, lcd } = rig({ mapping: name });
      port.init();
      port.print('Hi!');
      port.send(false, 0xc0);
      port.print('there');
      assert.deepEqual(lcd.violations, []);
      assert.deepEqual(lcd.text(), ['Hi!             ', 'there           ']);
      assert.equal(lcd.stats.dropped, 0);
    });
  }

  test('backlight bit: active-high boards light with P3=1, active-low boards with P3=0; BL pin read level', () => {
    for (const [name, onBit] of [
      ['common', 0x08],
      ['lcm1602', 0x00],
    ] as const) {
      const { master, lcd } = rig({ mapping: name });
      master.write(0x27, [onBit]);
      assert.equal(lcd.backlight, true, `${name} on`);
      master.write(0x27, [onBit ^ 0x08]);
      assert.equal(lcd.backlight, false, `${name} off`);
    }
    // With P3 latched 1: the NPN base clamps the pin (reads 0), a PNP/active-low stage leaves it high.
    const high = rig({ mapping: 'common' });
    high.master.write(0x27, [0x08]);
    assert.deepEqual(high.master.read(0x27), [0x00]);
    const low = rig({ mapping: 'lcm1602' });
    low.master.write(0x27, [0x08]);
    assert.deepEqual(low.master.read(0x27), [0x08]);
  });

  test('an overlapping or out-of-range mapping is refused', () => {
    const { lcd } = spy();
    assert.throws(() => new LcdBackpack(lcd, { mapping: { ...BACKPACK_MAPPINGS.common, e: 0 } }), /own pin/);
    assert.throws(() => new LcdBackpack(lcd, { mapping: { ...BACKPACK_MAPPINGS.common, bl: 8 } }), /own pin/);
    assert.throws(() => backpackMapping('nope'), /unknown backpack mapping/);
  });
});

describe('HD44780 timing checks behind the expander', () => {
  test("hd44780_I2Cexp's [4D 49 1D 19] raises E in the byte that changes RS: a t_AS violation, executed unless strict", () => {
    for (const strict of [false, true]) {
      const { port, master, lcd } = rig({ lcd: { strict } });
      port.init();
      master.write(0x27, [0x4d, 0x49, 0x1d, 0x19]); // 'A' (0x41), RS=1 after a command left RS=0
      master.idleUs(60);
      assert.deepEqual(
        lcd.violations.map((v) => v.kind),
        ['address-setup'],
        `strict ${strict}`,
      );
      assert.equal(lcd.text()[0]![0], strict ? ' ' : 'A', `strict ${strict}`);
    }
  });
});

describe('reading back through the expander', () => {
  test('busy flag: 1 during clear, 0 after 2.2 ms; AC counts the characters printed', () => {
    const { port, lcd } = rig();
    port.init();
    port.print('hello');
    assert.equal(port.readRegister(false), 0x05, 'BF=0, AC=5');
    port.nibble(false, 0x0);
    port.nibble(false, 0x1); // clear, no wait
    const during = port.readRegister(false);
    assert.equal(during & 0x80, 0x80, `BF=1 during clear (read 0x${during.toString(16)})`);
    port.m.idleUs(2200);
    assert.equal(port.readRegister(false), 0x00, 'BF=0, AC=0 after clear');
    assert.equal(lcd.stats.reads, 6, 'two E cycles per 4-bit read');
    assert.equal(lcd.nibblePhase, 'high');
    assert.deepEqual(lcd.violations, []);
  });

  test('DDRAM data reads: an address set loads the data register, each read advances AC', () => {
    for (const mapping of ['common', 'mjkdz'] as const) {
      const { port, lcd } = rig({ mapping });
      port.init();
      port.print('hello');
      port.send(false, 0x80 | 0x01);
      assert.equal(port.readRegister(true), 'e'.charCodeAt(0), mapping);
      assert.equal(port.readRegister(true), 'l'.charCodeAt(0), mapping);
      assert.equal(port.readRegister(false), 0x03, `${mapping}: AC advanced by the reads`);
      assert.deepEqual(lcd.violations, []);
    }
  });

  test('a data read straight after a write returns the written byte, not RAM (HD44780U: set the address first)', () => {
    const { port } = rig();
    port.init();
    port.print('ab');
    port.send(false, 0x80);
    port.print('X'); // AC=1, DR still holds 'X'
    assert.equal(port.readRegister(true), 'X'.charCodeAt(0));
  });

  test('driving a 0 on a data line the LCD drives high is counted as contention', () => {
    const { master, backpack, port } = rig();
    port.init();
    port.print('h'); // AC=1 -> BF/AC high nibble 0000, data register 'h' = 0x68 (D6, D5 high)
    master.write(0x27, [0xfb, 0xff]); // RS=1 RW=1 E=1: LCD drives 0110 on D7..D4
    assert.equal(backpack.stats.contention, 0);
    master.write(0x27, [0x0f]); // D4-D7 latched 0 while E and RW stay high
    assert.equal(backpack.stats.contention, 1);
  });
});

/**
 * hd44780_I2Cexp's auto-configuration as bus traffic (i2c-lcd.md 2.1, hd44780_I2Cexp.h
 * LocateDevice / IdentifyIOexp / autocfg8574): find the address with empty writes, tell a
 * PCF8574 from an MCP23008, then probe the pin mapping from what reads back.
 */
function autodetect(m: Master): { address: number; board: string; backlightActiveLow: boolean } | string {
  const addresses = [
    ...Array.from({ length: 8 }, (_, i) => 0x20 + i),
    ...Array.from({ length: 8 }, (_, i) => 0x38 + i),
  ];
  const address = addresses.find((a) => {
    const ok = m.write(a, []);
    m.idleUs(1000);
    return ok;
  });
  if (address === undefined) return 'no device';
  m.write(address, [0x00, 0xff]);
  m.write(address, [0x00]);
  const id = m.read(address)[0];
  if (id !== 0x00) return `not a PCF8574 (read 0x${id?.toString(16)})`;
  m.write(address, [0xff]);
  const d1 = m.read(address)[0]!;
  m.write(address, [0xfb]);
  const d2 = m.read(address)[0]!;
  if ((d1 & 0x07) === 0x07 && (d2 & 0xf0) === 0xf0)
    return { address, board: 'common', backlightActiveLow: (d1 & 0x08) !== 0 };
  if ((d1 & 0x70) === 0x70) {
    m.write(address, [0xef]);
    const d3 = m.read(address)[0]!;
    return { address, board: (d3 & 0x0f) === 0x0f ? 'mjkdz' : 'lcdxio', backlightActiveLow: (d1 & 0x80) !== 0 };
  }
  return `unsupported mapping (d1 0x${d1.toString(16)}, d2 0x${d2.toString(16)})`;
}

describe("hd44780_I2Cexp's auto-detect traffic", () => {
  const cases: [BackpackMappingName, number, string, boolean][] = [
    ['common', 0x27, 'common', false],
    ['lcm1602', 0x3f, 'common', true],
    ['mjkdz', 0x20, 'mjkdz', true],
    ['lcdxio', 0x38, 'lcdxio', true],
  ];
  for (const [mapping, address, board, backlightActiveLow] of cases) {
    test(`finds ${mapping} at 0x${address.toString(16)}`, () => {
      const { master, lcd } = rig({ mapping, address });
      master.idleUs(100_000); // hd44780 waits 100 ms after power-up
      assert.deepEqual(autodetect(master), { address, board, backlightActiveLow });
      assert.ok(lcd.stats.reads > 0, 'the probe ran LCD read cycles');
    });
  }

  test('the probe also works straight after power-on, with BF still set by the internal reset', () => {
    const { master } = rig({ mapping: 'lcdxio', address: 0x20 });
    assert.deepEqual(autodetect(master), { address: 0x20, board: 'lcdxio', backlightActiveLow: true });
  });
});

describe('bus timing from TWBR/TWPS', () => {
  for (const [label, twbr, twps, period] of [
    ['100 kHz', 72, 0, 160],
    ['400 kHz', 12, 0, 40],
    ['400 kHz via TWPS=1', 3, 1, 40],
  ] as const) {
    test(`${label}: START ${period} cycles, address and data bytes 9 SCL periods, STOP one period`, () => {
      const { master, bus } = rig();
      master.rate(twbr, twps);
      assert.equal(bus.periodCycles, period);
      assert.equal(bus.sclHz, CPU_HZ / period);
      assert.equal(master.start(), period);
      assert.equal(master.sla(0x27, false), 9 * period);
      assert.equal(master.data(0x08), 9 * period);
      assert.equal(master.stop(), period);
      // A START right after a STOP first waits the bus-free time.
      assert.equal(master.start(), 2 * period);
      assert.equal(master.sla(0x26, false), 9 * period, 'a NACKed address takes the same nine clocks');
      master.stop();
      assert.equal(bus.stats.maxSclHz, CPU_HZ / period);
    });
  }

  test("hd44780_I2Cexp's one-transaction LCD byte [4D 49 1D 19] takes 47 SCL periods (470 us at 100 kHz)", () => {
    const { master } = rig();
    master.idleUs(100); // bus long free
    const t0 = master.cpu.cycles;
    master.write(0x27, [0x4d, 0x49, 0x1d, 0x19]);
    assert.equal(master.cpu.cycles - t0, 47 * 160);
  });

  test('the port changes at the end of its byte, not when the byte starts', () => {
    const { master, backpack } = rig();
    master.start();
    master.sla(0x27, false);
    master.cpu.data[twiConfig.TWDR] = 0x00;
    master.cpu.writeData(twiConfig.TWCR, TWINT | TWEN);
    master.cpu.cycles += 1; // the next instruction: avr8js hands the byte to the bus
    master.cpu.tick();
    master.cpu.cycles += 9 * 160 - 2;
    master.cpu.tick();
    assert.equal(backpack.expander.latch, 0xff, 'still shifting');
    master.cpu.cycles += 1;
    master.cpu.tick();
    assert.equal(backpack.expander.latch, 0x00);
  });

  test('reset() mid-byte: TWI registers back to reset values and the next transaction works', () => {
    const { master, bus, cpu } = rig();
    master.start();
    cpu.data[twiConfig.TWDR] = 0x27 << 1;
    cpu.writeData(twiConfig.TWCR, TWINT | TWEN);
    cpu.cycles += 10;
    cpu.tick();
    // What a board reset does: clock events dropped, then the bus reset.
    cpu.reset();
    bus.reset();
    assert.equal(cpu.data[twiConfig.TWSR], 0xf8);
    assert.equal(cpu.data[twiConfig.TWDR], 0xff);
    master.rate(72);
    assert.equal(master.write(0x27, [0x08]), true);
  });
});
