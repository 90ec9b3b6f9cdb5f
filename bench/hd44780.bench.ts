// HD44780 model cost: setPins is called on every port write touching the LCD
// pins, so its per-call cost bounds the simulator's slowdown while the firmware
// redraws the screen. Also times a full-screen SVG render.
import { HD44780 } from '../simulator/src/hd44780.ts';
import { FakeClock, LcdBus } from '../simulator/src/hd44780-bus.ts';
import { renderSvg } from '../simulator/src/lcd-render.ts';

const clock = new FakeClock();
const lcd = new HD44780(clock);
const bus = new LcdBus(lcd, clock);
bus.init();

let calls = 0;
const setPins = lcd.setPins.bind(lcd);
lcd.setPins = (rs, rw, e, data) => {
  calls++;
  setPins(rs, rw, e, data);
};
const line = Array.from('12.3M  845kbps !', (c) => c.charCodeAt(0));
const frame = () => {
  bus.command(0x80);
  bus.print(line);
  bus.command(0xc0);
  bus.print(line);
};
for (let i = 0; i < 200; i++) frame(); // warm-up
calls = 0;
const frames = 5000;
let t = performance.now();
for (let i = 0; i < frames; i++) frame();
const ms = performance.now() - t;
if (lcd.violations.length) throw new Error(`unexpected violations: ${lcd.violations[0]!.message}`);
console.log(
  JSON.stringify({ name: 'hd44780.setPins', value: +((ms * 1e6) / calls).toFixed(1), unit: 'ns/call', calls }),
);
console.log(
  JSON.stringify({ name: 'hd44780.frame', value: +((ms * 1000) / frames).toFixed(2), unit: 'us/32-char frame' }),
);

const renders = 300;
t = performance.now();
let bytes = 0;
for (let i = 0; i < renders; i++) bytes = renderSvg(lcd).length;
console.log(
  JSON.stringify({
    name: 'lcd-render.svg',
    value: +((performance.now() - t) / renders).toFixed(3),
    unit: 'ms/render',
    bytes,
  }),
);
