// Bridge budgets:
//   bridge.poll_to_lcd_ms   PMWEBAPI reply in hand -> the last LCD write in the simulated board
//                           (real firmware in avr8js via the simulator's serial binding), median
//   bridge.rss_mb           resident set after 10,000 back-to-back polls against the scripted
//                           PMWEBAPI server and the scripted firmware (target <= 80 MB); also the
//                           process's own baseline (node + tsx + modules, before any poll) and the
//                           growth over the second half (target: none). Measured in a child run
//                           with --max-semi-space-size=2 --max-old-space-size=64, as
//                           deploy/pmlcd.service runs the daemon (V8 keeps committed heap pages,
//                           so without a cap RSS reflects the peak allocation rate, not use).
//   bridge.cpu_ms_per_poll  CPU per poll over those 10,000 (includes the in-process fake server
//                           and fake board, so it is an upper bound for the bridge alone)
import { buildMainFirmware } from '../scripts/avr-build.ts';
import { Board } from '../simulator/src/board.ts';
import { SimSerialBinding } from '../simulator/src/serial-binding.ts';
import { startFakePmwebapi, type FakePmwebapi } from '../test/support/pmwebapi-fake.ts';
import { FakeBoard } from '../test/host/support/fake-board.ts';
import { Bridge } from '../host/src/bridge.ts';
import { resolveConfig } from '../host/src/config.ts';
import { silentLogger } from '../host/src/log.ts';
import { SerialLink } from '../host/src/serial-link.ts';
import { spawnSync } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const POLLS = 10_000;
const LATENCY_SAMPLES = 15;

function result(name: string, value: number, unit: string, extra: Record<string, unknown> = {}) {
  console.log(JSON.stringify({ name, value: Number(value.toFixed(3)), unit, ...extra }));
}

function bridgeFor(fake: FakePmwebapi, link: SerialLink): Bridge {
  const cfg = resolveConfig({ flags: { url: fake.url, iface: 'eth0', 'latency-instance': 'lo', poll: '1', units: 'bytes' } });
  return new Bridge({ cfg, link, log: silentLogger });
}

function advance(fake: FakePmwebapi, i: number): void {
  fake.state.timestamp.sec += 1;
  fake.state.interfaces[3].in += BigInt(((i % 9) + 1) * 1111); // a different rate each poll: a new frame
  fake.state.interfaces[3].out += 500n;
}

async function pollToLcd(): Promise<void> {
  const fw = await buildMainFirmware(true);
  const board = new Board({ firmware: fw.hex });
  const binding = new SimSerialBinding();
  binding.attach('/dev/pmlcd-bench', board);
  board.start();
  const fake = await startFakePmwebapi();
  const link = new SerialLink({ binding, findPath: async () => '/dev/pmlcd-bench' });
  const bridge = bridgeFor(fake, link);
  link.start();
  const lcd = () => [0, 1].map((r) => board.lcd.codes(r).map((c) => String.fromCharCode(c)).join('')).join('\n');
  const samples: number[] = [];
  try {
    for (let i = 0; i < LATENCY_SAMPLES + 2; i++) {
      advance(fake, i);
      await bridge.pollOnce(); // resolves right after the reply is parsed and the page handed over
      const t0 = performance.now();
      const want = bridge.refresh().lines.join('\n');
      while (!(link.synced && lcd() === want)) {
        if (performance.now() - t0 > 10_000) throw new Error(`LCD never showed ${JSON.stringify(want)}: ${JSON.stringify(lcd())}`);
        await new Promise((r) => setImmediate(r));
      }
      if (i >= 2) samples.push(performance.now() - t0); // the first ones include the handshake and glyphs
    }
  } finally {
    await bridge.stop();
    await board.stop();
    await fake.close();
  }
  samples.sort((a, b) => a - b);
  result('bridge.poll_to_lcd_ms', samples[samples.length >> 1], 'ms', { max: Number(samples.at(-1)!.toFixed(1)), samples: samples.length });
}

async function manyPolls(): Promise<void> {
  const mb = (n: number) => n / 2 ** 20;
  gc();
  const baseline = process.memoryUsage().rss;
  const fake = await startFakePmwebapi();
  const board = new FakeBoard();
  const link = new SerialLink({ binding: board.binding(), findPath: async () => board.path });
  const bridge = bridgeFor(fake, link);
  link.start();
  let rssHalf = 0;
  const cpu0 = process.cpuUsage();
  try {
    for (let i = 0; i < POLLS; i++) {
      advance(fake, i);
      await bridge.pollOnce();
      fake.requests.length = 0; // the fakes' own logs are not the bridge's memory
      board.received.length = 0;
      if (i === POLLS / 2 - 1) {
        gc();
        rssHalf = process.memoryUsage().rss;
      }
    }
  } finally {
    await bridge.stop();
    await fake.close();
  }
  const cpu = process.cpuUsage(cpu0);
  gc();
  const m = process.memoryUsage();
  if (!bridge.sources[0].state().up) throw new Error(`source down at the end: ${bridge.sources[0].state().lastError}`);
  result('bridge.rss_mb', mb(m.rss), 'MB', { target: 80, polls: POLLS, baseline_mb: Number(mb(baseline).toFixed(1)), heap_used_mb: Number(mb(m.heapUsed).toFixed(1)) });
  result('bridge.rss_growth_mb', mb(m.rss - rssHalf), 'MB', { over: `polls ${POLLS / 2}..${POLLS}`, target: 0 });
  result('bridge.cpu_ms_per_poll', (cpu.user + cpu.system) / 1000 / POLLS, 'ms');
}

if (process.argv[2] === '--polls') {
  await manyPolls();
} else {
  const child = spawnSync(process.execPath, ['--max-semi-space-size=2', '--max-old-space-size=64', '--import', 'tsx', import.meta.filename, '--polls'],
    { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  process.stdout.write(child.stdout);
  if (child.status !== 0) throw new Error(`poll child exited ${child.status}`);
  await pollToLcd();
}
