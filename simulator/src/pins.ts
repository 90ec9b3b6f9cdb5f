// The board's pin map, parsed from firmware/src/board_pins.h so the simulator
// and the firmware can never disagree about the wiring.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export type PortLetter = 'B' | 'C' | 'D';
export interface PinInfo {
  name: string;
  arduino: number;
  port: PortLetter;
  bit: number;
}
export type PinMap = Map<string, PinInfo>;

export const BOARD_PINS_H = join(resolve(import.meta.dirname, '../..'), 'firmware/src/board_pins.h');

/** Uno wiring of the ATmega328P: D0-7 = PD0-7, D8-13 = PB0-5, A0-A5 (D14-19) = PC0-5. */
export function unoPin(arduino: number): { port: PortLetter; bit: number } {
  if (!Number.isInteger(arduino) || arduino < 0 || arduino > 19)
    throw new Error(`Arduino pin ${arduino} does not exist on an Uno (0-19)`);
  if (arduino < 8) return { port: 'D', bit: arduino };
  if (arduino < 14) return { port: 'B', bit: arduino - 8 };
  return { port: 'C', bit: arduino - 14 };
}

/** Parses every `#define PMLCD_PIN_<NAME> <pin>` line; names are returned without the prefix. */
export function parsePinMap(text: string, source = 'board_pins.h'): PinMap {
  const pins: PinMap = new Map();
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const m = /^\s*#\s*define\s+PMLCD_PIN_(\w+)\s+(\S+)/.exec(line);
    if (!m) return;
    const [, name, value] = m;
    const a = /^A([0-5])$/.exec(value);
    const arduino = a ? 14 + Number(a[1]) : /^\d+$/.test(value) ? Number(value) : NaN;
    if (Number.isNaN(arduino))
      throw new Error(`${source}:${i + 1}: PMLCD_PIN_${name} is "${value}", not an Arduino pin number`);
    if (pins.has(name)) throw new Error(`${source}:${i + 1}: PMLCD_PIN_${name} is defined twice`);
    try {
      pins.set(name, { name, arduino, ...unoPin(arduino) });
    } catch (e) {
      throw new Error(`${source}:${i + 1}: ${(e as Error).message}`);
    }
  });
  return pins;
}

export function loadPinMap(path = BOARD_PINS_H): PinMap {
  return parsePinMap(readFileSync(path, 'utf8'), path);
}

/** The pins the LCD model needs, by role. */
export const LCD_PINS = ['LCD_RS', 'LCD_E', 'LCD_D4', 'LCD_D5', 'LCD_D6', 'LCD_D7'] as const;

/** Pins the Ethernet shield and the USB serial port own on an Uno. */
const RESERVED: Record<number, string> = {
  0: 'USB serial RX',
  1: 'USB serial TX',
  4: 'SD card chip select on the Ethernet shield',
  10: 'W5100 chip select',
  11: 'SPI MOSI (Ethernet shield)',
  12: 'SPI MISO (Ethernet shield)',
  13: 'SPI SCK (Ethernet shield)',
};

/** Throws a clear error if an LCD pin is missing, shared with another LCD pin, or taken by the shield. */
export function checkLcdPins(pins: PinMap): void {
  const seen = new Map<number, string>();
  for (const role of [...LCD_PINS, 'BACKLIGHT']) {
    const p = pins.get(role);
    if (!p) {
      if (role === 'BACKLIGHT') continue;
      throw new Error(`pin map has no PMLCD_PIN_${role}`);
    }
    const why = RESERVED[p.arduino];
    if (why) throw new Error(`PMLCD_PIN_${role} is D${p.arduino}, which collides with the ${why}`);
    const other = seen.get(p.arduino);
    if (other) throw new Error(`PMLCD_PIN_${role} and PMLCD_PIN_${other} are both D${p.arduino}`);
    seen.set(p.arduino, role);
  }
}
