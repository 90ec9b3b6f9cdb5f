// Bridge budgets:
//   bridge.poll_to_lcd_ms   PMWEBAPI reply in hand -> the last LCD write in the simulated board
//                           (real firmware in avr8js via the simulator's serial binding), median
//   bridge.rss_mb           resident set of the bridge as deployed after 10,000 back-to-back polls
//                           (target <= 80 MB): the esbuild bundle (scripts/build-host.ts) of the
//                           real Bridge + SerialLink + a scripted board over a serialport binding
//                           (bench/support/bridge-polls.ts), in its own process with the node
//                           flags of deploy/pmlcd.service (V8 keeps committed heap pages, so
//                           without the caps RSS reflects the peak allocation rate, not use),
//                           polling the scripted PMWEBAPI server, which runs in this process.
//                           Also its baseline (node + bundle, before any poll) and the growth
//                           over the second half (target: none).
//   bridge.cpu_ms_per_poll  the bridge process's CPU per poll over those 10,000 (includes the
//                           scripted board, not the server)
import { ROOT, buildMainFirmware } from '../scripts/avr-build.ts';
import { Board } from '../simulator/src/board.ts';
import { SimSerialBinding } from '../simulator/src/serial-binding.ts';
import { startFakePmwebapi, type FakePmwebapi } from '../test/support/pmwebapi-fake.ts';
import { Bridge } from '../host/src/bridge.ts';
import { resolveConfig } from '../host/src/config.ts';
import { silentLogger } from '../host/src/log.ts';
import { SerialLink } from '../host/src/serial-link.ts';
import { bundleEntry } from '../scripts/build-host.ts';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const POLLS = 10_000;
const LATENCY_SAMPLES = 15;

function result(name: string, value: number, unit: string, extra: Record<string, unknown> = {}) {
  console.log(JSON.stringify({ name, value: Number(value.toFixed(3)), unit, ...extra }));
}

function bridgeFor(fake: FakePmwebapi, link: SerialLink): Bridge {
  const cfg = resolveConfig({
    flags: { url: fake.url, iface: 'eth0', 'latency-instance': 'lo', poll: '1', units: 'bytes' },
  });
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
  const lcd = () =>
    [0, 1]
      .map((r) =>
        board.lcd
          .codes(r)
          .map((c) => String.fromCharCode(c))
          .join(''),
      )
      .join('\n');
  const samples: number[] = [];
  try {
    for (let i = 0; i < LATENCY_SAMPLES + 2; i++) {
      advance(fake, i);
      await bridge.pollOnce(); // resolves right after the reply is parsed and the page handed over
      const t0 = performance.now();
      const want = bridge.refresh().lines.join('\n');
      while (!(link.synced && lcd() === want)) {
        if (performance.now() - t0 > 10_000)
          throw new Error(`LCD never showed ${JSON.stringify(want)}: ${JSON.stringify(lcd())}`);
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
  result('bridge.poll_to_lcd_ms', samples[samples.length >> 1], 'ms', {
    max: Number(samples.at(-1)!.toFixed(1)),
    samples: samples.length,
  });
}

/** deploy/pmlcd.service's NODE_OPTIONS: the bench runs the bridge with the service's flags. */
function serviceNodeFlags(): string[] {
  const unit = readFileSync(join(ROOT, 'deploy/pmlcd.service'), 'utf8');
  const m = /^Environment=NODE_OPTIONS="([^"]*)"/m.exec(unit);
  if (!m) throw new Error('deploy/pmlcd.service sets no NODE_OPTIONS');
  return m[1].split(/\s+/).filter(Boolean);
}

/** The bundled bridge in its own process, polling the scripted server in this one. */
async function manyPolls(): Promise<void> {
  const entry = await bundleEntry('bench/support/bridge-polls.ts', 'build/bench/bridge-polls.mjs');
  const fake = await startFakePmwebapi();
  let fetches = 0;
  // Each fetch sees the next sample (a new rate, so a new frame for the board); nothing is
  // logged, so the server's memory stays flat too.
  fake.requests.push = (r) => {
    if (r.path.endsWith('/fetch')) advance(fake, fetches++);
    return 0;
  };
  try {
    const child = spawn(process.execPath, [...serviceNodeFlags(), '--expose-gc', entry, fake.url, String(POLLS)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    process.stdout.write(out);
    if (code !== 0) throw new Error(`poll child exited ${code}`);
    if (fetches < POLLS) throw new Error(`the server saw ${fetches} fetches for ${POLLS} polls`);
  } finally {
    await fake.close();
  }
}

await manyPolls();
await pollToLcd();
