// LcdWiring on bare avr8js ports: port writes reach the LCD's pins as the pin
// map wires them, other pins on the same ports do not, and BACKLIGHT switches
// the backlight (always on when the pin map has none).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AVRIOPort, CPU, portBConfig, portCConfig, portDConfig } from 'avr8js';
import { LcdWiring, type LcdPinsSink } from './hd44780-wiring.ts';
import { parsePinMap } from './pins.ts';

const PINS = `
#define PMLCD_PIN_LCD_RS 8
#define PMLCD_PIN_LCD_E 9
#define PMLCD_PIN_LCD_D4 A0
#define PMLCD_PIN_LCD_D5 A1
#define PMLCD_PIN_LCD_D6 A2
#define PMLCD_PIN_LCD_D7 A3
`;

function rig(pinText: string) {
  const cpu = new CPU(new Uint16Array(0x4000), 0x800);
  const ports = {
    B: new AVRIOPort(cpu, portBConfig),
    C: new AVRIOPort(cpu, portCConfig),
    D: new AVRIOPort(cpu, portDConfig),
  };
  const calls: [boolean, boolean, boolean, number][] = [];
  const lcd: LcdPinsSink = {
    setPins: (rs, rw, e, data) => {
      calls.push([rs, rw, e, data]);
    },
    backlight: false,
  };
  new LcdWiring(lcd, parsePinMap(pinText), ports);
  const out = (cfg: typeof portBConfig, v: number) => {
    cpu.writeData(cfg.DDR, 0xff);
    cpu.writeData(cfg.PORT, v);
  };
  return { lcd, calls, out };
}

test('RS, E and DB4-DB7 follow their port bits; RW reads as grounded', () => {
  const { calls, out } = rig(PINS);
  out(portCConfig, 0b1010); // A1, A3: DB5, DB7
  out(portBConfig, 0b11); // D8 RS, D9 E
  assert.deepEqual(calls.at(-1), [true, false, true, 0xa0]);
  out(portBConfig, 0b01);
  assert.deepEqual(calls.at(-1), [true, false, false, 0xa0]);
  const n = calls.length;
  out(portCConfig, 0b11111010); // A4, A5 and up: not the LCD's
  out(portDConfig, 0xff);
  assert.equal(calls.length, n, 'changes on other pins are not fed to the model');
});

test('the backlight is always on without a BACKLIGHT pin, and follows it with one', () => {
  assert.equal(rig(PINS).lcd.backlight, true);
  const { lcd, calls, out } = rig(`${PINS}#define PMLCD_PIN_BACKLIGHT 3\n`);
  assert.equal(lcd.backlight, false);
  out(portDConfig, 1 << 3);
  assert.equal(lcd.backlight, true);
  assert.equal(calls.length, 0, 'the backlight is not on the LCD bus');
  out(portDConfig, 0);
  assert.equal(lcd.backlight, false);
});
