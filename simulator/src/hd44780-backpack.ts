// An I2C LCD "backpack": a PCF8574/PCF8574A (pcf8574.ts) whose eight port pins drive
// the HD44780's RS, RW, E and D4-D7 and a backlight transistor, in one of the pin
// mappings sold (BACKPACK_MAPPINGS). The same HD44780 model and timing checks sit
// behind it as behind the parallel wiring.
//
// Reading back works as on the real module: with RW=1 and E high the HD44780 drives
// D4-D7 (BF/AC or data, hd44780.ts busOutput), and the expander's quasi-bidirectional
// pins read what it drives where the latch is 1 (NXP PCF8574 8.1). A latch 0 on a data
// pin the LCD drives high is a fight between the two outputs (the PCF8574 sinks up to
// 25 mA into it); it reads 0 and is counted in stats.contention.
//
// The backlight pin: an active-high board switches an NPN transistor from the pin,
// and its base-emitter junction clamps the pin near 0.7 V, so the pin always reads 0;
// an active-low board (PNP stage or a pulled-up FET gate) leaves the pin reading its
// latch. hd44780_I2Cexp's auto-detect tells the polarity from exactly this level
// (duinoWitchery/hd44780 hd44780ioClass/hd44780_I2Cexp.h, autocfg8574).
import type { HD44780 } from './hd44780.ts';
import type { I2CBus } from './i2c-bus.ts';
import { PCF8574, type Pcf8574Load } from './pcf8574.ts';

/** Port bit (P0-P7) of each LCD signal; bl null = the backlight is not switchable (always on). */
export interface BackpackPins {
  rs: number;
  rw: number;
  e: number;
  bl: number | null;
  d4: number;
  d5: number;
  d6: number;
  d7: number;
}

export interface BackpackMapping extends BackpackPins {
  /** Pin level that lights the backlight. */
  backlightOn: 'high' | 'low';
}

/**
 * Boards on the market (hd44780_I2Cexp.h's board table, LiquidCrystal_I2C.h's fixed pins,
 * LCDproc hd44780-i2c.c's default wiring, tcMenu's backpack page).
 */
export const BACKPACK_MAPPINGS = {
  /** YwRobot, DFRobot, SainSmart, Funduino: P0 RS, P1 RW, P2 E, P3 BL, P4-P7 D4-D7; the one LiquidCrystal_I2C assumes. */
  common: { rs: 0, rw: 1, e: 2, bl: 3, d4: 4, d5: 5, d6: 6, d7: 7, backlightOn: 'high' },
  /** LCM1602 "Robot Arduino": the common pins, backlight on when P3 is low. */
  lcm1602: { rs: 0, rw: 1, e: 2, bl: 3, d4: 4, d5: 5, d6: 6, d7: 7, backlightOn: 'low' },
  /** mjkdz, GY-I2CLCD: P0-P3 D4-D7, P4 E, P5 RW, P6 RS, P7 BL (active low). */
  mjkdz: { d4: 0, d5: 1, d6: 2, d7: 3, e: 4, rw: 5, rs: 6, bl: 7, backlightOn: 'low' },
  /** Electrofun LCDXIO and LCDproc's default: P0-P3 D4-D7, P4 RS, P5 RW, P6 E, P7 BL (active low). */
  lcdxio: { d4: 0, d5: 1, d6: 2, d7: 3, rs: 4, rw: 5, e: 6, bl: 7, backlightOn: 'low' },
  /** tcMenu "option 2": P0 E, P1 RW, P2 RS, P3 BL, P4-P7 D4-D7. */
  tcmenu2: { e: 0, rw: 1, rs: 2, bl: 3, d4: 4, d5: 5, d6: 6, d7: 7, backlightOn: 'high' },
} as const satisfies Record<string, BackpackMapping>;

export type BackpackMappingName = keyof typeof BACKPACK_MAPPINGS;

export interface LcdBackpackConfig {
  /** PCF8574 0x20-0x27 or PCF8574A 0x38-0x3F; modules ship at 0x27 / 0x3F (A2..A0 pulled up). */
  address: number;
  mapping: BackpackMappingName | BackpackMapping;
}

export const lcdBackpackConfig: LcdBackpackConfig = { address: 0x27, mapping: 'common' };

export interface LcdBackpackStats {
  /** Port writes that put a 0 on a data pin the LCD was driving high (RW=1, E=1). */
  contention: number;
}

export class LcdBackpack implements Pcf8574Load {
  readonly config: LcdBackpackConfig;
  readonly mapping: BackpackMapping;
  readonly expander: PCF8574;
  stats: LcdBackpackStats = { contention: 0 };
  private readonly dataMasks: readonly number[];
  private readonly dataPinMask: number;

  constructor(
    readonly lcd: Pick<HD44780, 'setPins' | 'busOutput' | 'backlight' | 'powerOn'>,
    config?: Partial<LcdBackpackConfig>,
  ) {
    this.config = { ...lcdBackpackConfig, ...config };
    const m = this.config.mapping;
    this.mapping = typeof m === 'string' ? backpackMapping(m) : m;
    const { d4, d5, d6, d7 } = this.mapping;
    this.dataMasks = [d4, d5, d6, d7].map((p) => 1 << p);
    this.dataPinMask = this.dataMasks.reduce((a, b) => a | b, 0);
    const used = [this.mapping.rs, this.mapping.rw, this.mapping.e, d4, d5, d6, d7, this.mapping.bl ?? -1].filter(
      (p) => p >= 0,
    );
    if (new Set(used).size !== used.length || used.some((p) => p > 7))
      throw new Error('backpack mapping: each signal needs its own pin P0-P7');
    this.expander = new PCF8574(this, { address: this.config.address });
    this.lcd.powerOn();
  }

  /** Puts the expander on a bus. */
  attachTo(bus: I2CBus): this {
    bus.attach(this.expander);
    return this;
  }

  /** The module's power comes up: expander latch FF (E and RW high), then the LCD's internal reset. */
  powerOn(): void {
    this.expander.powerOn();
    this.lcd.powerOn();
  }

  portWritten(latch: number): void {
    const { rs, rw, e, bl, backlightOn } = this.mapping;
    const [m4, m5, m6, m7] = this.dataMasks as [number, number, number, number];
    const data = (latch & m4 ? 0x10 : 0) | (latch & m5 ? 0x20 : 0) | (latch & m6 ? 0x40 : 0) | (latch & m7 ? 0x80 : 0);
    this.lcd.setPins(((latch >> rs) & 1) !== 0, ((latch >> rw) & 1) !== 0, ((latch >> e) & 1) !== 0, data);
    if (bl !== null) this.lcd.backlight = (((latch >> bl) & 1) !== 0) === (backlightOn === 'high');
    else this.lcd.backlight = true;
    const out = this.lcd.busOutput();
    if (out !== null && this.lcdDrivesHigh(out) & ~latch) this.stats.contention++;
  }

  pulledLow(): number {
    const { bl, backlightOn } = this.mapping;
    let low = bl !== null && backlightOn === 'high' ? 1 << bl : 0;
    const out = this.lcd.busOutput();
    if (out !== null) low |= this.dataPinMask & ~this.lcdDrivesHigh(out);
    return low;
  }

  /** Port bits of the data pins the LCD drives high (its output nibble is in bits 7..4). */
  private lcdDrivesHigh(out: number): number {
    let bits = 0;
    for (let i = 0; i < 4; i++) if (out & (0x10 << i)) bits |= this.dataMasks[i]!;
    return bits;
  }
}

export function backpackMapping(name: string): BackpackMapping {
  const m = (BACKPACK_MAPPINGS as Record<string, BackpackMapping>)[name];
  if (!m) throw new Error(`unknown backpack mapping "${name}" (known: ${Object.keys(BACKPACK_MAPPINGS).join(', ')})`);
  return m;
}
