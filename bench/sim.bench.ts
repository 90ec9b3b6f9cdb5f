// Simulator speed. sim.cpu_mhz: simulated MHz of the full board (LCD, serial,
// stack guard, SLEEP handling, 1 ms slices yielding to the event loop, W5100)
// on a CPU-bound CRC loop. sim.model_overhead_ratio: that speed
// over a bare avr8js loop (avrInstruction + tick, same peripherals avr8js needs)
// on the same firmware; target >= 0.9. sim.model_overhead_ratio_w5500: the same
// with the W5500 shield fitted instead, measured in a child process of its own so
// that each figure comes from a process running a single Board (a second board
// in the same process shares the JIT's view of the hot loop and moved both
// figures by up to 0.15 in trials). sim.idle_x_realtime: an idle firmware
// sleeping between timer ticks, simulated time over wall time; target >= 50.
//
// The CPU-bound figures use this process's CPU time, not wall time: on a
// shared 2-core machine other processes steal wall time from one side of the
// comparison and not the other. Even CPU time slows under load (shared caches,
// a sibling hyperthread), so bare and full runs alternate in short chunks, each
// round sums CHUNKS of both, warm-up rounds (JIT) are dropped, and the ratio
// is the median of the per-round ratios.
//
// sim.boot.optiboot_ms: simulated ms from an external (DTR) reset to the app's
// banner through the real Optiboot (its LED flashes and 1 s wait), with the host
// CPU ms it took (the bootloader's polling loops are fast-forwarded); and
// sim.boot.direct_ms, the same without a bootloader (reset time-out only).
import { spawnSync } from 'node:child_process';
import {
  AVRClock, AVRIOPort, AVRTimer, AVRUSART, CPU, avrInstruction, portBConfig, portCConfig, portDConfig,
  timer0Config, timer1Config, timer2Config, usart0Config,
} from 'avr8js';
import { buildTestFirmware } from '../scripts/avr-build.ts';
import { buildOptiboot } from '../scripts/optiboot-build.ts';
import { Board, CPU_HZ } from '../simulator/src/board.ts';
import { loadFirmware } from '../simulator/src/hex.ts';
import type { ShieldName } from '../simulator/src/shield.ts';

/** The shield this process measures with (argv[2]); the w5100 run starts the w5500 one. */
const SHIELD = (process.argv[2] ?? 'w5100') as ShieldName;
const CRC_CMD = 'crc 1000000\n';
const CHUNK_MS = 20;
const CHUNKS = 20;
const WARMUP_ROUNDS = 4;
const ROUNDS = 9;

/** User + system CPU time of this process in ms (the simulation is single-threaded). */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const emit = (name: string, value: number, unit: string, extra: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ name, value: Number(value.toFixed(3)), unit, ...extra }));

const fw = await buildTestFirmware('lcd-serial');
const image = loadFirmware(fw.hex);

/** Runs one chunk of CHUNK_MS simulated time; returns the CPU ms it took. */
type Chunk = () => Promise<number>;

async function boardRunner(): Promise<{ chunk: Chunk; done: () => void }> {
  const board = new Board({ firmware: image, shield: SHIELD });
  const chip = board.shield!;
  await board.run(100);
  board.serial.write(Buffer.from(CRC_CMD));
  await board.run(10);
  const chunk = async () => {
    const t0 = cpuMs();
    await board.run(CHUNK_MS);
    const ms = cpuMs() - t0;
    if (board.sleeping) throw new Error('the CRC loop ended during the measurement');
    return ms;
  };
  return { chunk, done: () => chip.dispose() };
}

function bareRunner(): Chunk {
  const cpu = new CPU(new Uint16Array(0x4000), 0x800);
  cpu.progBytes.set(image.flash);
  new AVRClock(cpu, CPU_HZ);
  for (const c of [portBConfig, portCConfig, portDConfig]) new AVRIOPort(cpu, c);
  for (const c of [timer0Config, timer1Config, timer2Config]) new AVRTimer(cpu, c);
  const usart = new AVRUSART(cpu, usart0Config, CPU_HZ);
  const input = [...Buffer.from(CRC_CMD)];
  const feed = () => { if (input.length && usart.rxEnable && !usart.rxBusy) usart.writeByte(input.shift()!); };
  usart.onRxComplete = feed;
  usart.onConfigurationChange = feed;
  const runCycles = (n: number) => {
    const end = cpu.cycles + n;
    while (cpu.cycles < end) { avrInstruction(cpu); cpu.tick(); }
  };
  runCycles(110 * 16000);
  feed();
  runCycles(10 * 16000);
  return async () => {
    const t0 = cpuMs();
    runCycles(CHUNK_MS * 16000);
    return cpuMs() - t0;
  };
}

async function idleRatio(): Promise<number> {
  const board = new Board({ firmware: image });
  await board.run(200);
  const t0 = performance.now();
  await board.run(10_000);
  return 10_000 / (performance.now() - t0);
}

const mhz = (chunks: number, ms: number) => (chunks * CHUNK_MS * 16000) / ms / 1000;
const bare = bareRunner();
const full = await boardRunner();
const bareMhz: number[] = [], fullMhz: number[] = [], ratios: number[] = [];
for (let i = 0; i < WARMUP_ROUNDS + ROUNDS; i++) {
  let bareMs = 0, fullMs = 0;
  for (let k = 0; k < CHUNKS; k++) {
    bareMs += await bare();
    fullMs += await full.chunk();
  }
  if (i < WARMUP_ROUNDS) continue;
  bareMhz.push(mhz(CHUNKS, bareMs));
  fullMhz.push(mhz(CHUNKS, fullMs));
  ratios.push(bareMs / fullMs);
}
full.done();
const spread = { min: Number(Math.min(...ratios).toFixed(3)), max: Number(Math.max(...ratios).toFixed(3)) };
if (SHIELD === 'w5100') {
  emit('sim.cpu_mhz', median(fullMhz), 'MHz', { w5100: true, clock: 'process cpu time' });
  emit('sim.bare_avr8js_mhz', median(bareMhz), 'MHz', { clock: 'process cpu time' });
  emit('sim.model_overhead_ratio', median(ratios), 'ratio', { target: '>= 0.9', shield: SHIELD, rounds: ROUNDS, ...spread });
  emit('sim.idle_x_realtime', await idleRatio(), 'x', { target: '>= 50' });
  const child = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, 'w5500'],
    { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  process.stdout.write(child.stdout);
  if (child.status !== 0) process.exitCode = 1;
} else {
  emit(`sim.model_overhead_ratio_${SHIELD}`, median(ratios), 'ratio', { target: '>= 0.9', shield: SHIELD, rounds: ROUNDS, ...spread });
}

/** External reset to the lcd-serial banner: simulated ms and this process's CPU ms. */
async function bootCost(bootloader: string | undefined): Promise<{ sim: number; cpu: number }> {
  const board = new Board({ firmware: image, bootloader });
  let out = '';
  board.serial.onByte((b) => { out += String.fromCharCode(b); });
  await board.runUntil(() => out.includes('\r\n'), 3000, 'first banner');
  const sims: number[] = [], cpus: number[] = [];
  for (let i = 0; i < 5; i++) {
    out = '';
    const t0 = board.millis, c0 = cpuMs();
    board.resetExternal();
    await board.runUntil(() => /READY[^\n]*\n/.test(out), 3000, 'banner');
    sims.push(board.millis - t0);
    cpus.push(cpuMs() - c0);
  }
  return { sim: median(sims), cpu: median(cpus) };
}
const optiboot = await bootCost((await buildOptiboot()).hex);
const direct = await bootCost(undefined);
emit('sim.boot.optiboot_ms', optiboot.sim, 'ms', { host_cpu_ms: Number(optiboot.cpu.toFixed(1)), what: 'external reset to banner, simulated' });
emit('sim.boot.direct_ms', direct.sim, 'ms', { host_cpu_ms: Number(direct.cpu.toFixed(1)), what: 'external reset to banner, no bootloader' });
