// W5500 model benchmarks.
//   sim.w5500.throughput_kib_s: payload a TypeScript SPI master (spi-master-w5500.ts:
//     every byte through the AVR's SPI at 8 MHz with chip select on D10, whole RX
//     bursts in one variable-length frame as the Arduino Ethernet library reads on a
//     W5500) pulls through the model from a loopback HTTP server, per second of
//     SIMULATED time. No AVR code runs between the bytes, so this is the SPI-bound
//     ceiling of the model, not a firmware figure like sim.w5100.throughput_kib_s.
//   sim.w5500.byte_ns: wall-clock cost of the model per SPI byte in a long RX-buffer
//     read frame (the byte handler alone, chip select low).
import { createServer } from 'node:http';
import { W5500Master } from '../simulator/src/spi-master-w5500.ts';
import { ip4 } from '../simulator/src/spi-master.ts';
import {
  BSB_COMMON,
  CMD,
  GAR,
  SR,
  Sn_DIPR,
  Sn_MR,
  Sn_PORT,
  Sn_RX_RSR,
  bsbReg,
  bsbRx,
  control,
} from '../simulator/src/w5500.ts';

const BODY_BYTES = 256 * 1024;
const BYTES = 4_000_000;

function emit(name: string, value: number, unit: string, extra: Record<string, unknown> = {}) {
  console.log(JSON.stringify({ name, value: Number(value.toFixed(2)), unit, ...extra }));
}

async function throughput() {
  const body = Buffer.alloc(BODY_BYTES, 0x5a);
  const server = createServer((_req, res) => res.end(body));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const m = new W5500Master();
  try {
    m.chip.map('192.168.7.2', 80, '127.0.0.1', (server.address() as { port: number }).port);
    m.write(BSB_COMMON, GAR, [
      ...ip4('192.168.7.1'),
      ...ip4('255.255.255.0'),
      0xde,
      0xad,
      0xbe,
      0xef,
      0xfe,
      0x01,
      ...ip4('192.168.7.50'),
    ]);
    m.sw(0, Sn_MR, 0x21);
    m.sw16(0, Sn_PORT, 49152);
    m.cmd(0, CMD.OPEN);
    m.write(bsbReg(0), Sn_DIPR, [...ip4('192.168.7.2'), 0, 80]);
    m.cmd(0, CMD.CONNECT);
    await m.runUntil(() => m.status(0) === SR.ESTABLISHED, 100, 'ESTABLISHED');
    m.sendData(0, Buffer.from('GET / HTTP/1.0\r\nHost: 192.168.7.2\r\n\r\n'));
    let got = 0,
      t0 = 0;
    const wall0 = performance.now();
    while (m.status(0) === SR.ESTABLISHED || m.sr16(0, Sn_RX_RSR) > 0) {
      const n = m.recvData(0).length;
      if (n && !t0) t0 = m.cpu.cycles;
      got += n;
      if (!n) await m.runMs(0.05);
      if (m.ms > 60_000) throw new Error('fetch stalled');
    }
    const sec = (m.cpu.cycles - t0) / 16e6;
    if (got < BODY_BYTES) throw new Error(`short read: ${got} B`);
    emit('sim.w5500.throughput_kib_s', got / 1024 / sec, 'KiB/s', {
      bytes: got,
      sim_ms: Math.round(sec * 1000),
      wall_ms: Math.round(performance.now() - wall0),
      frames: m.chip.frames,
      bound: 'SPI at 8 MHz, no AVR code',
    });
  } finally {
    m.dispose();
    server.close();
  }
}

function byteCost() {
  const m = new W5500Master();
  const chip = m.chip;
  m.cs(true);
  for (const b of [0, 0, control(bsbRx(0), false)]) chip.spiByte(b);
  const run = (n: number) => {
    let x = 0;
    for (let i = 0; i < n; i++) x ^= chip.spiByte(0);
    return x;
  };
  run(200_000); // warm up the JIT
  const t0 = process.hrtime.bigint();
  run(BYTES);
  const ns = Number(process.hrtime.bigint() - t0) / BYTES;
  m.dispose();
  emit('sim.w5500.byte_ns', ns, 'ns/byte', { bytes: BYTES });
}

byteCost();
await throughput();
