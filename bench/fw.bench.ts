// Firmware budgets: size from the build, stack high-water after a busy session,
// and LCD/serial latencies measured on the simulated board's cycle counter.
import { buildMainFirmware } from '../scripts/avr-build.ts';
import { bootHostMode, reply } from '../test/support/boot.ts';

const US_PER_CYCLE = 1 / 16;
const out = (name: string, value: number, unit: string, target?: string) =>
  console.log(JSON.stringify({ name, value: Math.round(value), unit, ...(target ? { target } : {}) }));

const { size } = await buildMainFirmware(true);
out('fw.flash_bytes', size.flash, 'B', '<= 26624 (whole firmware)');
out('fw.ram_static_bytes', size.ram, 'B', '<= 1100');

const h = await bootHostMode();
const writes: number[] = [];
const lcd = h.board.lcd;
const prev = lcd.onChange;
lcd.onChange = () => { writes.push(h.board.cycles); prev?.(); };

async function must(line: string) {
  const r = reply(await h.command(line));
  if (!r.startsWith('OK')) throw new Error(`${line}: ${r}`);
}

// Full redraw: every one of the 32 cells changes.
const redraw: number[] = [], frameToLcd: number[] = [];
for (let i = 0; i < 20; i++) {
  const [a, b] = i % 2 ? ['abcdefghijklmnop', 'qrstuvwxyzABCDEF'] : ['0123456789!#$%&(', ')+,-./:;<=>?@[]^'];
  writes.length = 0;
  await must(`F ${a}|${b}`);
  redraw.push((writes[writes.length - 1] - writes[0]) * US_PER_CYCLE);
  frameToLcd.push((lcd.lastWriteCycle - h.board.serial.stats.lastRxCycle) * US_PER_CYCLE);
}
out('fw.lcd.full_redraw_us', Math.max(...redraw), 'us', '<= 2500');
out('fw.serial.frame_to_lcd_us', Math.max(...frameToLcd), 'us');

// A busy session for the stack high-water mark: every command kind, errors included.
for (let i = 0; i < 5; i++) {
  for (const l of ['C LIST', 'V', 'G 2 1F11111111111F00', 'T 1 3 \\h\\x41\\\\', 'C SET m.in network.interface.in.bytes',
    'C GET net.mac', 'F \\0\\1\\2|\\3\\4\\5\\6\\7', 'B 2', 'F bad\\q|', 'Z', 'C SET net.ip 1.2.3', 'F ' + 'x'.repeat(80)]) {
    await h.command(l);
  }
}
await h.board.run(3000);
out('fw.stack_peak_bytes', h.board.stack.used, 'B');
out('fw.stack_headroom_bytes', h.board.stack.headroom, 'B', '>= 300');
if (lcd.violations.length) throw new Error(`LCD timing violations: ${lcd.violations[0].message}`);
await h.close();
