// Network-mode budgets: poll-to-LCD latency in simulated time (W5100 and W5500), the
// JSON parser's throughput on the AVR, and the firmware's flash/RAM/stack totals
// with network mode's own share.
import { buildTestFirmware } from '../scripts/avr-build.ts';
import { Board } from '../simulator/src/board.ts';
import { startFakePmwebapi } from '../test/support/pmwebapi-fake.ts';
import { bootNetworkMode, hostOnlyFirmware, productFirmware } from '../test/support/boot.ts';
import type { ShieldName } from '../simulator/src/shield.ts';

const out = (name: string, value: number, unit: string) => console.log(JSON.stringify({ name, value, unit }));

async function jsonThroughput() {
  const fw = await buildTestFirmware('net-jsonbench', [
    'firmware/src/net/json_stream.cpp',
    'firmware/src/net/pmapi_parse.cpp',
  ]);
  const board = new Board({ firmware: fw.hex });
  let text = '';
  board.serial.onByte((b) => {
    text += String.fromCharCode(b);
  });
  for (let i = 0; i < 10 && !/JSONBENCH .*\n/.test(text); i++) await board.run(500);
  const m = /JSONBENCH (\d+) (\d+) (\d+) (\d+)/.exec(text);
  if (!m) throw new Error(`no benchmark result: ${JSON.stringify(text)}`);
  const [, bytes, us, err, inVal] = m.map(Number);
  if (err !== 0 || inVal !== 247779774) throw new Error(`benchmark parse failed: ${text}`);
  out('fw.json.parse_kib_s', Math.round((bytes / 1024 / (us / 1e6)) * 10) / 10, 'KiB/s');
}

async function pollToLcd(shield: ShieldName) {
  const fake = await startFakePmwebapi();
  const nb = await bootNetworkMode({ shield, port: fake.port, settings: { poll: '1' } });
  try {
    const eth0 = fake.state.interfaces.find((i) => i.name === 'eth0')!;
    await nb.until(
      () => nb.lcd().includes('bps') && nb.lcd().startsWith('①8.00M'),
      20000,
      'first rates',
      () => {
        fake.state.timestamp = { sec: 1795811302 + Math.floor(nb.board.millis / 1000), nsec: 0 };
        eth0.in = 1000n * BigInt(Math.floor(nb.board.millis));
      },
    );
    const samples: number[] = [];
    for (let k = 1; k <= 8; k++) {
      // The next sample moves the rate to a new value: the LCD changes exactly when it lands.
      fake.state.timestamp = { sec: fake.state.timestamp.sec + 1, nsec: 0 };
      eth0.in += BigInt(37_000 * k * k); // a different rate each time
      const before = nb.lcd();
      // The request leaves when the firmware issues SEND on the TCP socket.
      const sent = nb.chip.stats[0].bytesOut;
      await nb.until(() => nb.chip.stats[0].bytesOut > sent, 5000, 'request sent', undefined, 0.05);
      const t0 = nb.board.millis;
      // Done when the last changed cell is written: the glass then holds still for 20 ms.
      let seen = before,
        changedAt = -1;
      await nb.until(
        () => {
          const now = nb.lcd();
          if (now !== seen) {
            seen = now;
            changedAt = nb.board.millis;
          }
          return changedAt >= 0 && nb.board.millis - changedAt > 20;
        },
        2000,
        'LCD update',
        undefined,
        0.05,
      );
      samples.push(changedAt - t0);
      if (process.env.DEBUG_BENCH)
        console.error(k, t0, nb.board.millis, JSON.stringify(before), JSON.stringify(nb.lcd()));
    }
    samples.sort((a, b) => a - b);
    const prefix = shield === 'w5100' ? 'fw.net' : `fw.net.${shield}`;
    out(`${prefix}.poll_to_lcd_ms`, Math.round(samples[samples.length >> 1] * 100) / 100, 'ms');
    out(`${prefix}.stack_headroom_bytes`, nb.board.stack.headroom, 'B');
  } finally {
    nb.dispose();
    await fake.close();
  }
}

async function sizes() {
  const whole = await productFirmware();
  // The same firmware without firmware/src/net/: the weak stubs take its place.
  const bare = await hostOnlyFirmware();
  out('fw.net.total_flash_bytes', whole.size.flash, 'B');
  out('fw.net.total_ram_static_bytes', whole.size.ram, 'B');
  out('fw.net.module_flash_bytes', whole.size.flash - bare.size.flash, 'B');
  out('fw.net.module_ram_static_bytes', whole.size.ram - bare.size.ram, 'B');
}

await sizes();
await jsonThroughput();
await pollToLcd('w5100');
await pollToLcd('w5500');
