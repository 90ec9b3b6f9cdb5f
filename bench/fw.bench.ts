// Firmware budgets: size from the build, the stack's lowest headroom over every mode (host,
// LCDproc, network)
// and every combination of parts (shield chip, LCD attachment, the biggest LCD), and LCD and
// serial latencies measured on the simulated board's cycle counter, for the parallel
// wiring and the I2C backpack (400 kHz, and 100 kHz from a build asking for it).
import { join } from 'node:path';
import { ROOT, buildFirmware, buildMainFirmware } from '../scripts/avr-build.ts';
import type { Board } from '../simulator/src/board.ts';
import type { ShieldName } from '../simulator/src/shield.ts';
import { bootHostMode, bootNetworkMode, type HostModeOptions, reply } from '../test/support/boot.ts';
import { startFakePmwebapi } from '../test/support/pmwebapi-fake.ts';

const US_PER_CYCLE = 1 / 16;
const out = (name: string, value: number, unit: string, target?: string) =>
  console.log(JSON.stringify({ name, value: Math.round(value), unit, ...(target ? { target } : {}) }));

const { size } = await buildMainFirmware(true);
out('fw.flash_bytes', size.flash, 'B', '<= 30720 (whole firmware: both shields, both LCD attachments, every size)');
out('fw.ram_static_bytes', size.ram, 'B', '<= 1150');

const I2C = { kind: 'i2c', address: 0x27 } as const;
const headrooms: { what: string; bytes: number }[] = [];
const note = (what: string, board: Board) => headrooms.push({ what, bytes: board.stack.headroom });

/** Host mode on one attachment: full redraws (16x2 with F, 20x4 as four T rows), then a busy session. */
async function hostMode(what: string, opts: HostModeOptions) {
  const h = await bootHostMode(opts);
  const writes: number[] = [];
  const lcd = h.board.lcd;
  const prev = lcd.onChange;
  lcd.onChange = () => {
    writes.push(h.board.cycles);
    prev?.();
  };
  const must = async (line: string) => {
    const r = reply(await h.command(line));
    if (!r.startsWith('OK')) throw new Error(`${line}: ${r}`);
  };
  // LCD time of one command: first to last write.
  const span = async (line: string) => {
    writes.length = 0;
    await must(line);
    return (writes[writes.length - 1] - writes[0]) * US_PER_CYCLE;
  };
  // Every one of the 32 cells changes.
  const redraw: number[] = [],
    frameToLcd: number[] = [];
  for (let i = 0; i < 20; i++) {
    const [a, b] = i % 2 ? ['abcdefghijklmnop', 'qrstuvwxyzABCDEF'] : ['0123456789!#$%&(', ')+,-./:;<=>?@[]^'];
    redraw.push(await span(`F ${a}|${b}`));
    frameToLcd.push((lcd.lastWriteCycle - h.board.serial.stats.lastRxCycle) * US_PER_CYCLE);
  }
  let redraw20x4 = 0;
  if (opts.lcdGeometry === '20x4') {
    // 80 cells: a frame that long does not fit one protocol line, so one T per row; the
    // LCD's share is the sum of the four rows' write times.
    await must('C SET lcd.size 20x4');
    const rows = ['0123456789!#$%&()+,-', './:;<=>?@[]^_{}ABCDE', 'FGHIJKLMNOPQRSTUVWXY', 'Zabcdefghijklmnopqrs'];
    for (let k = 0; k < 4; k++) {
      let sum = 0;
      for (let r = 0; r < 4; r++) sum += await span(`T ${r} 0 ${rows[(r + k) % 4]}`);
      redraw20x4 = Math.max(redraw20x4, sum);
    }
  }
  // A busy session for the stack high-water mark: every command kind, errors included.
  for (let i = 0; i < 5; i++) {
    for (const l of [
      'C LIST',
      'V',
      'G 2 1F11111111111F00',
      'T 1 3 \\h\\x41\\\\',
      'C SET m.in network.interface.in.bytes',
      'C GET net.mac',
      'F \\0\\1\\2|\\3\\4\\5\\6\\7|\\h|x',
      'B 2',
      'F bad\\q|',
      'Z',
      'C SET net.ip 1.2.3',
      `F ${'x'.repeat(80)}`,
    ]) {
      await h.command(l);
    }
  }
  // LCDproc mode: an LCDd stream (clear, text, a custom glyph), then back to host mode.
  await must('M lcdproc');
  h.write([0xfe, 0x01, ...Buffer.from('lcdproc'), 0xfe, 0x40, 1, 2, 3, 4, 5, 6, 7, 8, 0xfe, 0x80]);
  h.write([0xfe, 0x00, ...Buffer.from('M host\n')]);
  await h.waitLine(/^OK$/, 2000);
  await h.board.run(3000);
  note(`host and LCDproc mode, ${what}`, h.board);
  if (lcd.violations.length) throw new Error(`LCD timing violations: ${lcd.violations[0].message}`);
  await must('C RESET');
  await h.close();
  return { redraw: Math.max(...redraw), frameToLcd: Math.max(...frameToLcd), redraw20x4, peak: h.board.stack.used };
}

const parallel = await hostMode('parallel 20x4', { lcdGeometry: '20x4' });
out('fw.lcd.full_redraw_us', parallel.redraw, 'us', '<= 2500 (parallel, 32 cells, 190 kHz LCD)');
out('fw.lcd.full_redraw_20x4_us', parallel.redraw20x4, 'us', '(parallel, 80 cells)');
out('fw.serial.frame_to_lcd_us', parallel.frameToLcd, 'us');
out('fw.stack_peak_bytes', parallel.peak, 'B');
const i2c = await hostMode('I2C 0x27 20x4', { lcdGeometry: '20x4', lcdBus: I2C });
out('fw.lcd.i2c_full_redraw_us', i2c.redraw, 'us', '<= 5000 (I2C at 400 kHz, 32 cells)');
out('fw.lcd.i2c_full_redraw_20x4_us', i2c.redraw20x4, 'us', '(I2C at 400 kHz, 80 cells)');
out('fw.serial.i2c_frame_to_lcd_us', i2c.frameToLcd, 'us');
// The same firmware with the TWI at the PCF8574's rated 100 kHz.
const slow = await buildFirmware({
  name: 'pmlcd-twi100k',
  srcDir: join(ROOT, 'firmware/src'),
  defines: ['-DPMLCD_TWI_HZ=100000UL'],
  quiet: true,
});
const i2c100 = await hostMode('I2C 0x27 at 100 kHz, 20x4', { firmware: slow.hex, lcdGeometry: '20x4', lcdBus: I2C });
out('fw.lcd.i2c100k_full_redraw_us', i2c100.redraw, 'us', '(I2C at 100 kHz, 32 cells)');
out('fw.lcd.i2c100k_full_redraw_20x4_us', i2c100.redraw20x4, 'us', '(I2C at 100 kHz, 80 cells)');

// Network mode on every shield and attachment, at the biggest screen, against the scripted server.
const fake = await startFakePmwebapi();
try {
  for (const shield of ['w5100', 'w5500'] as ShieldName[]) {
    for (const bus of [undefined, I2C]) {
      const nb = await bootNetworkMode({
        shield,
        lcdGeometry: '20x4',
        lcdBus: bus,
        port: fake.port,
        settings: { 'lcd.size': '20x4', poll: '1' },
      });
      try {
        let last = nb.board.millis;
        const tick = () => {
          const ms = Math.floor(nb.board.millis - last);
          last += ms;
          const e = fake.state.interfaces.find((x) => x.name === 'eth0')!;
          e.in += BigInt(ms) * 1543n;
          const ns = fake.state.timestamp.nsec + ms * 1e6;
          fake.state.timestamp = { sec: fake.state.timestamp.sec + Math.floor(ns / 1e9), nsec: ns % 1e9 };
        };
        await nb.until(() => /^①.{5}bps/.test(nb.lcd()) && !nb.lcd().startsWith('①  NA'), 20000, 'rates', tick);
        // Errors too: the server fails for a while (the reason takes turns with the stale screen).
        fake.state.faults.push({ path: 'fetch', status: 500, times: 10 });
        await nb.board.run(8000);
        fake.state.faults.length = 0;
        await nb.until(() => !nb.lcd().includes('NA'), 30000, 'rates again', tick);
        note(`network mode, ${shield}, ${bus ? 'I2C' : 'parallel'} 20x4`, nb.board);
      } finally {
        nb.dispose();
      }
    }
  }
} finally {
  await fake.close();
}

const worst = headrooms.reduce((a, b) => (b.bytes < a.bytes ? b : a));
out('fw.stack_headroom_min_bytes', worst.bytes, 'B', `>= 300 (lowest of ${headrooms.length}: ${worst.what})`);
for (const { what, bytes } of headrooms) console.error(`[fw.bench] stack headroom ${bytes} B: ${what}`);
