// Simulator speed. sim.cpu_mhz: simulated MHz of the full board (LCD, serial,
// stack guard, SLEEP handling, 1 ms slices yielding to the event loop, W5100)
// on a CPU-bound CRC loop (the lcd-serial test firmware running `crc 1000000`).
//
// sim.model_overhead_ratio: that speed over the bare core, target >= 0.9. The
// bare core is the same dispatch as the board's (the pre-decoded one,
// avr-exec.ts: its hot loop with avr8js's tick) on a CPU with only the avr8js
// peripherals the firmware needs, no run loop, no models; so the ratio is what
// the board's models and run loop cost, whichever dispatch is in use.
// sim.model_overhead_ratio_w5500: the same with the W5500 shield fitted instead.
// sim.bare_avr8js_mhz: avr8js's own avrInstruction + tick() loop on the same CPU,
// for reference (what the board ran before the pre-decoded dispatch).
//
// sim.simavr_mhz: Debian's libsimavr (bench/simavr/harness.c, built here into
// build/ against libsimavr-dev) running the same .elf with the same command.
// sim.vs_simavr_ratio: the board's speed over simavr's; target >= 1.0.
// Skipped, with the reason on stderr, when libsimavr-dev or pkg-config is missing.
// sim.idle_x_realtime: an idle firmware sleeping between timer ticks, simulated
// time over wall time; target >= 50.
//
// Every runner (board, board with the W5500, bare core, bare avr8js, simavr) is a
// process of its own, driven over a pipe one chunk at a time (`run <cycles>` ->
// `<cycle> <cpu ns> <state>`), so no two share the JIT's view of the hot loop
// (two in one process moved the figures by up to 0.25 in trials), and each
// times its own CPU time. CPU time, not wall time: on a shared 2-core machine
// other processes steal wall time from one side of a comparison and not the
// other. Even CPU time slows under load (shared caches, a sibling
// hyperthread), so the runners alternate in short chunks, each round sums
// CHUNKS of each, warm-up rounds (JIT) are dropped, and the ratios are the
// medians of the per-round ratios.
//
// PMLCD_SIM_DISPATCH=avr8js runs the board and its bare core on avr8js's
// avrInstruction: the figures from before the pre-decoded dispatch.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  AVRClock,
  AVRIOPort,
  AVRTimer,
  AVRUSART,
  CPU,
  avrInstruction,
  portBConfig,
  portCConfig,
  portDConfig,
  timer0Config,
  timer1Config,
  timer2Config,
  usart0Config,
} from 'avr8js';
import { BUILD_DIR, ROOT, buildTestFirmware } from '../scripts/avr-build.ts';
import { buildOptiboot } from '../scripts/optiboot-build.ts';
import { fastDispatch, type HotState } from '../simulator/src/avr-exec.ts';
import { Board, CPU_HZ } from '../simulator/src/board.ts';
import { loadFirmware } from '../simulator/src/hex.ts';
import type { ShieldName } from '../simulator/src/shield.ts';

const DISPATCH = process.env.PMLCD_SIM_DISPATCH === 'avr8js' ? 'avr8js' : 'fast';
const CRC_CMD = 'crc 1000000';
const CHUNK_MS = 20;
const CHUNK_CYCLES = CHUNK_MS * 16_000;
const CHUNKS = 20;
const WARMUP_ROUNDS = 4;
const ROUNDS = 9;
/** simavr's and the runners' "the CPU runs" state (simavr's cpu_Running). */
const RUNNING = 2;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b),
    m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const emit = (name: string, value: number, unit: string, extra: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ name, value: Number(value.toFixed(3)), unit, ...extra }));

const fw = await buildTestFirmware('lcd-serial');
const image = loadFirmware(fw.hex);

// ---- a runner process -------------------------------------------------------

/** What a runner does per command: feed the command, or run cycles and say whether the CPU still runs. */
interface Sim {
  feed(): void;
  run(cycles: number): Promise<boolean>;
}

async function boardSim(shield: ShieldName): Promise<Sim> {
  const board = new Board({ firmware: image, shield, dispatch: DISPATCH });
  return {
    feed: () => board.serial.write(Buffer.from(`${CRC_CMD}\n`)),
    run: async (cycles) => {
      await board.run(cycles / 16_000);
      return !board.sleeping;
    },
  };
}

/** The bare core: the firmware's avr8js peripherals, no board; 'fast' is the board's dispatch's hot loop. */
function bareSim(kind: 'fast' | 'avr8js'): Sim {
  const cpu = new CPU(new Uint16Array(0x4000), 0x800);
  cpu.progBytes.set(image.flash);
  new AVRClock(cpu, CPU_HZ);
  for (const c of [portBConfig, portCConfig, portDConfig]) new AVRIOPort(cpu, c);
  for (const c of [timer0Config, timer1Config, timer2Config]) new AVRTimer(cpu, c);
  const usart = new AVRUSART(cpu, usart0Config, CPU_HZ);
  const input: number[] = [];
  const next = () => {
    if (input.length && usart.rxEnable && !usart.rxBusy) usart.writeByte(input.shift()!);
  };
  usart.onRxComplete = next;
  usart.onConfigurationChange = next;
  const dispatch = fastDispatch(cpu);
  const state: HotState = { end: 0, lowestSp: 0x8ff, stackDeeper: (sp) => sp };
  let asleep = false;
  const run =
    kind === 'fast'
      ? (n: number) => {
          // In 1 ms slices as the board runs (one long call would leave V8 running the loop as
          // on-stack-replaced code, which measured slower); a SLEEP with SE set stops the hot
          // loop: step over it as the board's run loop would.
          for (const end = cpu.cycles + n; cpu.cycles < end; ) {
            state.end = Math.min(end, cpu.cycles + 16_000);
            while (cpu.cycles < state.end)
              if (dispatch.run(state)) {
                cpu.pc++;
                cpu.cycles++;
                asleep = true;
              }
          }
        }
      : (n: number) => {
          const end = cpu.cycles + n;
          while (cpu.cycles < end) {
            if (cpu.progMem[cpu.pc] === 0x9588) asleep = true;
            avrInstruction(cpu);
            cpu.tick();
          }
        };
  return {
    feed: () => {
      input.push(...Buffer.from(`${CRC_CMD}\n`));
      next();
    },
    run: async (n) => {
      asleep = false;
      run(n);
      return !asleep;
    },
  };
}

async function runnerMain(role: string): Promise<void> {
  const sim =
    role === 'bare'
      ? bareSim(DISPATCH)
      : role === 'bare-avr8js'
        ? bareSim('avr8js')
        : await boardSim(role === 'board-w5500' ? 'w5500' : 'w5100');
  let cycle = 0;
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.startsWith('feed')) {
      sim.feed();
      process.stdout.write('ok\n');
    } else if (line.startsWith('run ')) {
      const n = Number(line.slice(4));
      const u0 = process.cpuUsage();
      const running = await sim.run(n);
      const u = process.cpuUsage(u0);
      cycle += n;
      process.stdout.write(`${cycle} ${(u.user + u.system) * 1000} ${running ? RUNNING : 3}\n`);
    }
  }
  process.exit(0);
}

// ---- the coordinator ----------------------------------------------------------

interface Runner {
  name: string;
  run(cycles: number): Promise<{ ns: number; state: number }>;
  feed(): Promise<void>;
  end(): void;
}

function pipeRunner(name: string, cmd: string, args: string[]): Runner {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'], env: process.env });
  const waiting: ((line: string) => void)[] = [];
  // libsimavr prints its own "Loaded ..." lines; replies are "ok" or "<cycle> <ns> <state>".
  createInterface({ input: child.stdout }).on('line', (l) => {
    if (/^(ok|\d+ [\d.]+ \d+)$/.test(l)) waiting.shift()?.(l);
  });
  const ask = (c: string) =>
    new Promise<string>((resolve) => {
      waiting.push(resolve);
      child.stdin.write(`${c}\n`);
    });
  return {
    name,
    run: async (cycles) => {
      const [, ns, state] = (await ask(`run ${cycles}`)).split(' ').map(Number);
      return { ns, state };
    },
    feed: async () => {
      await ask(`feed ${CRC_CMD}`);
    },
    end: () => child.stdin.end(),
  };
}

/** bench/simavr/harness.c built against libsimavr-dev (again when the source is newer); or why not. */
function simavrHarness(): string | { skipped: string } {
  const src = join(ROOT, 'bench/simavr/harness.c'),
    bin = join(BUILD_DIR, 'simavr-harness');
  if (existsSync(bin) && statSync(bin).mtimeMs >= statSync(src).mtimeMs) return bin;
  const flags = spawnSync('pkg-config', ['--cflags', '--libs', 'simavr'], { encoding: 'utf8' });
  if (flags.status !== 0)
    return {
      skipped: `pkg-config simavr: ${flags.error?.message ?? flags.stderr.trim()} (setup installs libsimavr-dev)`,
    };
  const cc = spawnSync('cc', ['-O2', '-o', bin, src, ...flags.stdout.trim().split(/\s+/)], { encoding: 'utf8' });
  if (cc.status !== 0) return { skipped: `cc: ${cc.error?.message ?? cc.stderr.trim()}` };
  return bin;
}

async function idleRatio(): Promise<number> {
  const board = new Board({ firmware: image });
  await board.run(200);
  const t0 = performance.now();
  await board.run(10_000);
  return 10_000 / (performance.now() - t0);
}

if (process.argv[2] === '--runner') {
  await runnerMain(process.argv[3]);
}

const node = (role: string) =>
  pipeRunner(role, process.execPath, ['--import', 'tsx', import.meta.filename, '--runner', role]);
const harness = simavrHarness();
const runners = [node('board'), node('board-w5500'), node('bare'), node('bare-avr8js')];
if (typeof harness === 'string') runners.push(pipeRunner('simavr', harness, [fw.elf]));
else console.error(`sim.simavr_mhz skipped: ${harness.skipped}`);
// The same start for all: 110 ms to boot, the command, 10 ms into the CRC loop.
await Promise.all(
  runners.map(async (r) => {
    await r.run(110 * 16_000);
    await r.feed();
    await r.run(10 * 16_000);
  }),
);

const ms: Record<string, number[]> = Object.fromEntries(runners.map((r) => [r.name, []]));
for (let i = 0; i < WARMUP_ROUNDS + ROUNDS; i++) {
  const sum: Record<string, number> = Object.fromEntries(runners.map((r) => [r.name, 0]));
  for (let k = 0; k < CHUNKS; k++) {
    for (const r of runners) {
      const { ns, state } = await r.run(CHUNK_CYCLES);
      if (state !== RUNNING) throw new Error(`${r.name}: the CRC loop is not running (state ${state})`);
      sum[r.name] += ns / 1e6;
    }
  }
  if (i < WARMUP_ROUNDS) continue;
  for (const r of runners) ms[r.name].push(sum[r.name]);
}
for (const r of runners) r.end();

const mhz = (name: string) => median(ms[name].map((t) => (CHUNKS * CHUNK_CYCLES) / t / 1000));
const ratio = (num: string, den: string) => {
  const xs = ms[num].map((t, i) => t / ms[den][i]);
  return { value: median(xs), min: Number(Math.min(...xs).toFixed(3)), max: Number(Math.max(...xs).toFixed(3)) };
};
const clock = 'cpu time of its own process';
emit('sim.cpu_mhz', mhz('board'), 'MHz', { w5100: true, dispatch: DISPATCH, clock });
emit('sim.bare_core_mhz', mhz('bare'), 'MHz', { dispatch: DISPATCH, clock });
emit('sim.bare_avr8js_mhz', mhz('bare-avr8js'), 'MHz', { clock });
const overhead = ratio('bare', 'board');
emit('sim.model_overhead_ratio', overhead.value, 'ratio', {
  target: '>= 0.9',
  shield: 'w5100',
  rounds: ROUNDS,
  min: overhead.min,
  max: overhead.max,
});
const w5500 = ratio('bare', 'board-w5500');
emit('sim.model_overhead_ratio_w5500', w5500.value, 'ratio', {
  target: '>= 0.9',
  shield: 'w5500',
  rounds: ROUNDS,
  min: w5500.min,
  max: w5500.max,
});
if (ms.simavr) {
  emit('sim.simavr_mhz', mhz('simavr'), 'MHz', {
    what: 'Debian libsimavr 1.6, same .elf and command',
    clock: 'its thread cpu time',
  });
  const vs = ratio('simavr', 'board');
  emit('sim.vs_simavr_ratio', vs.value, 'ratio', { target: '>= 1.0', rounds: ROUNDS, min: vs.min, max: vs.max });
}
emit('sim.idle_x_realtime', await idleRatio(), 'x', { target: '>= 50' });

/** User + system CPU time of this process in ms. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** External reset to the lcd-serial banner: simulated ms and this process's CPU ms. */
async function bootCost(bootloader: string | undefined): Promise<{ sim: number; cpu: number }> {
  const board = new Board({ firmware: image, bootloader });
  let out = '';
  board.serial.onByte((b) => {
    out += String.fromCharCode(b);
  });
  await board.runUntil(() => out.includes('\r\n'), 3000, 'first banner');
  const sims: number[] = [],
    cpus: number[] = [];
  for (let i = 0; i < 5; i++) {
    out = '';
    const t0 = board.millis,
      c0 = cpuMs();
    board.resetExternal();
    await board.runUntil(() => /READY[^\n]*\n/.test(out), 3000, 'banner');
    sims.push(board.millis - t0);
    cpus.push(cpuMs() - c0);
  }
  return { sim: median(sims), cpu: median(cpus) };
}
const optiboot = await bootCost((await buildOptiboot()).hex);
const direct = await bootCost(undefined);
emit('sim.boot.optiboot_ms', optiboot.sim, 'ms', {
  host_cpu_ms: Number(optiboot.cpu.toFixed(1)),
  what: 'external reset to banner, simulated',
});
emit('sim.boot.direct_ms', direct.sim, 'ms', {
  host_cpu_ms: Number(direct.cpu.toFixed(1)),
  what: 'external reset to banner, no bootloader',
});
