// The HD44780's pins on the AVR's ports, as the pin map wires them: every
// change of a port the LCD sits on is fed to the model (RS, E and DB4-DB7 in
// 4-bit mode; RW is grounded on this board), and the BACKLIGHT pin, if wired,
// switches the backlight (without it the backlight is always on).
import type { AVRIOPort } from 'avr8js';
import type { HD44780 } from './hd44780.ts';
import { LCD_PINS, type PinMap, type PortLetter } from './pins.ts';

/** What the wiring drives: the model's bus and its backlight. */
export type LcdPinsSink = Pick<HD44780, 'setPins' | 'backlight'>;

export class LcdWiring {
  constructor(lcd: LcdPinsSink, pins: PinMap, ports: Readonly<Record<PortLetter, AVRIOPort>>) {
    const letters: readonly PortLetter[] = ['B', 'C', 'D'];
    const index: Record<PortLetter, number> = { B: 0, C: 1, D: 2 };
    const roles = LCD_PINS.map((r) => {
      const p = pins.get(r);
      if (!p) throw new Error(`pin map has no PMLCD_PIN_${r}`);
      return p;
    });
    const bl = pins.get('BACKLIGHT');
    const levels = [0, 0, 0];
    const masks = [0, 0, 0];
    for (const p of roles) masks[index[p.port]] |= 1 << p.bit;
    const [rs, e, d4, d5, d6, d7] = roles.map((p) => ({ port: index[p.port], mask: 1 << p.bit }));
    const update = () => {
      const data =
        (levels[d4.port] & d4.mask ? 0x10 : 0) |
        (levels[d5.port] & d5.mask ? 0x20 : 0) |
        (levels[d6.port] & d6.mask ? 0x40 : 0) |
        (levels[d7.port] & d7.mask ? 0x80 : 0);
      lcd.setPins((levels[rs.port] & rs.mask) !== 0, false, (levels[e.port] & e.mask) !== 0, data);
    };
    const blPort = bl ? index[bl.port] : -1,
      blMask = bl ? 1 << bl.bit : 0;
    letters.forEach((letter, i) => {
      ports[letter].addListener((value, old) => {
        levels[i] = value;
        if ((value ^ old) & masks[i]) update();
        if (i === blPort && (value ^ old) & blMask) lcd.backlight = (value & blMask) !== 0;
      });
    });
    if (!bl) lcd.backlight = true;
  }
}
