// Child side of bench/bridge.bench.ts, bundled by esbuild like the daemon and run with the
// service's node flags: the real Bridge -> SerialLink -> a scripted board over a serialport
// binding, polling the parent's scripted PMWEBAPI server back to back.
//   node <deploy flags> --expose-gc build/bench/bridge-polls.mjs <url> <polls>
// Prints the bench's JSON result lines.
import { Bridge } from '../../host/src/bridge.ts';
import { resolveConfig } from '../../host/src/config.ts';
import { silentLogger } from '../../host/src/log.ts';
import { SerialLink } from '../../host/src/serial-link.ts';
import { FakeBoard } from '../../test/host/support/fake-board.ts';

const [url, pollsArg] = process.argv.slice(2);
const polls = Number(pollsArg);
if (!url || !Number.isInteger(polls) || polls < 2) throw new Error('usage: bridge-polls.mjs <url> <polls>');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const mb = (n: number) => Number((n / 2 ** 20).toFixed(1));
const result = (name: string, value: number, unit: string, extra: Record<string, unknown> = {}) =>
  console.log(JSON.stringify({ name, value: Number(value.toFixed(3)), unit, ...extra }));

gc();
const baseline = process.memoryUsage().rss;
const board = new FakeBoard();
const link = new SerialLink({ binding: board.binding(), findPath: async () => board.path });
const cfg = resolveConfig({ flags: { url, iface: 'eth0', 'latency-instance': 'lo', poll: '1', units: 'bytes' } });
const bridge = new Bridge({ cfg, link, log: silentLogger });
link.start();
let rssHalf = 0;
let heapHalf = 0;
const cpu0 = process.cpuUsage();
try {
  for (let i = 0; i < polls; i++) {
    await bridge.pollOnce();
    board.received.length = 0; // the scripted board's log is not the bridge's memory
    if (i === (polls >> 1) - 1) {
      gc();
      ({ rss: rssHalf, heapUsed: heapHalf } = process.memoryUsage());
    }
  }
} finally {
  await bridge.stop();
}
const cpu = process.cpuUsage(cpu0);
gc();
const m = process.memoryUsage();
const st = bridge.sources[0].state();
if (!st.up || st.ifaces[0].down === null) throw new Error(`no live rate at the end: ${st.lastError}`);
if (board.opens !== 1) throw new Error(`the scripted board was opened ${board.opens} times`);
result('bridge.rss_mb', m.rss / 2 ** 20, 'MB', {
  target: 80,
  polls,
  baseline_mb: mb(baseline),
  heap_used_mb: mb(m.heapUsed),
});
result('bridge.rss_growth_mb', (m.rss - rssHalf) / 2 ** 20, 'MB', {
  over: `polls ${polls >> 1}..${polls}`,
  target: 0,
  heap_used_growth_mb: mb(m.heapUsed - heapHalf),
});
result('bridge.cpu_ms_per_poll', (cpu.user + cpu.system) / 1000 / polls, 'ms');
