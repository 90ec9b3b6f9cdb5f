// W5100 model benchmarks.
//   sim.w5100.throughput_kib_s: payload a firmware (test/firmware/w5100-http, one
//     4-byte SPI frame per byte, as the Arduino Ethernet library does on a W5100)
//     pulls through the model from a loopback HTTP server, per second of SIMULATED
//     time: bounded by the SPI and the firmware's loop, as on the real chip.
//   sim.w5100.frame_ns: wall-clock cost of the model per SPI frame (4 bytes through
//     the SPI byte handler with chip select low), reading RX buffer memory.
import { createServer } from 'node:http';
import { buildTestFirmware } from '../scripts/avr-build.ts';
import { Board } from '../simulator/src/board.ts';
import { OP_READ, W5100 } from '../simulator/src/w5100.ts';
import { SpiMaster } from '../simulator/src/spi-master.ts';

const BODY_BYTES = 256 * 1024;
const FRAMES = 2_000_000;

function emit(name: string, value: number, unit: string, extra: Record<string, unknown> = {}) {
  console.log(JSON.stringify({ name, value: Number(value.toFixed(2)), unit, ...extra }));
}

async function throughput() {
  const { hex } = await buildTestFirmware('w5100-http');
  const body = Buffer.alloc(BODY_BYTES, 0x5a);
  const server = createServer((_req, res) => res.end(body));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const board = new Board({ firmware: hex });
  const chip = new W5100(board);
  let text = '';
  board.serial.onByte((b) => {
    text += String.fromCharCode(b);
  });
  chip.map('192.168.7.2', 80, '127.0.0.1', (server.address() as { port: number }).port);
  const wall0 = performance.now();
  try {
    await board.runUntil(() => text.includes('DONE'), 60_000, 'fetch finished');
  } finally {
    chip.dispose();
    server.close();
  }
  const wallMs = performance.now() - wall0;
  const m = /END len=(\d+) sum=\w+ bulk=(\d+) us=(\d+)/.exec(text);
  if (!m || Number(m[1]) < BODY_BYTES) throw new Error(`fetch failed:\n${text.slice(-300)}`);
  const bulk = Number(m[2]),
    us = Number(m[3]);
  emit('sim.w5100.throughput_kib_s', bulk / 1024 / (us / 1e6), 'KiB/s', {
    bytes: bulk,
    sim_ms: us / 1000,
    wall_ms: Math.round(wallMs),
    spi_frames: chip.frames,
  });
}

function frameCost() {
  const m = new SpiMaster();
  const chip = m.chip;
  m.cs(true);
  const bytes = [OP_READ, 0x60, 0x00, 0];
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      bytes[2] = i & 0xff;
      for (let k = 0; k < 4; k++) chip.spiByte(bytes[k]);
    }
  };
  run(100_000); // warm up the JIT
  const t0 = process.hrtime.bigint();
  run(FRAMES);
  const ns = Number(process.hrtime.bigint() - t0) / FRAMES;
  m.dispose();
  emit('sim.w5100.frame_ns', ns, 'ns/frame', { frames: FRAMES });
}

frameCost();
await throughput();
