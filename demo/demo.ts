// `npm start`: the real firmware in the simulated board, driven by the real bridge
// through the simulator's serial binding, fed by this machine's PCP (the local
// pmproxy if one answers, else a private pmcd + pmproxy that is stopped on exit).
// The LCD is drawn in the terminal with the serial traffic below it.
import { buildMainFirmware } from '../scripts/avr-build.ts';
import { Board } from '../simulator/src/board.ts';
import { SimSerialBinding } from '../simulator/src/serial-binding.ts';
import { Bridge } from '../host/src/bridge.ts';
import { resolveConfig } from '../host/src/config.ts';
import { createLogger, escapeControl } from '../host/src/log.ts';
import { findLocalPmproxy, startPrivatePcp, type PrivatePcp } from './pcp-local.ts';
import { PmwebapiClient } from '../host/src/pmwebapi.ts';
import { SerialLink } from '../host/src/serial-link.ts';
import { lcdPreview, lcdRows } from './terminal-view.ts';
import { untilStopped } from './until-stopped.ts';
import type { WebServer } from '../simulator/src/web/server.ts';
import { startDemoWeb } from './web-demo.ts';

const SIM_PATH = '/dev/pmlcd-sim0';
const TRAFFIC_LINES = 10;

export interface DemoOptions {
  network: boolean;
  values: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  /** Serve the board's web page on 127.0.0.1 (port 0: any free one). */
  web?: { port: number };
}

/** The busiest interface that is not loopback over one second, else lo (ppp0 will not exist here). */
async function pickInterface(url: string, hostspec: string): Promise<string> {
  const c = new PmwebapiClient({
    url,
    hostspec,
    api: 'auto',
    timeoutMs: 3000,
    pollTimeoutSec: 10,
    maxBodyBytes: 1 << 20,
  });
  const ids = await c.indom('network.interface.in.bytes');
  const sample = async () => (await c.fetch(['network.interface.in.bytes'])).values.get('network.interface.in.bytes');
  const a = await sample();
  await new Promise((r) => setTimeout(r, 1000));
  const b = await sample();
  let best = 'lo';
  let most = 0n;
  for (const [name, id] of ids) {
    const v1 = a?.get(id);
    const v2 = b?.get(id);
    if (name === 'lo' || typeof v1 !== 'bigint' || typeof v2 !== 'bigint') continue;
    if (v2 - v1 > most) {
      best = name;
      most = v2 - v1;
    }
  }
  return best;
}

export async function runDemo(o: DemoOptions): Promise<number> {
  if (o.network) {
    const { runNetworkDemo } = await import('./demo-network.ts');
    const iface = typeof o.values.iface === 'string' ? o.values.iface.split(',')[0] : undefined;
    return runNetworkDemo({ seconds: Number(o.env.PMLCD_DEMO_SECONDS ?? 0), iface, web: o.web });
  }
  const out = (s: string) => process.stdout.write(s);
  const seconds = Number(o.env.PMLCD_DEMO_SECONDS ?? 0);
  let pcp: PrivatePcp | null = null;
  let board: Board | null = null;
  let bridge: Bridge | null = null;
  let view: NodeJS.Timeout | null = null;
  let web: WebServer | null = null;
  const cleanup = async () => {
    if (view) clearInterval(view);
    await bridge?.stop();
    await board?.stop();
    await web?.close();
    await pcp?.stop();
  };
  try {
    let url = await findLocalPmproxy();
    let hostspec = 'localhost';
    if (url) {
      out(`using the local pmproxy at ${escapeControl(url)}\n`);
    } else {
      out('no pmproxy on 127.0.0.1:44322: starting a private pmcd + pmproxy\n');
      pcp = await startPrivatePcp();
      out(`private pmcd pid ${pcp.pids.pmcd}, pmproxy pid ${pcp.pids.pmproxy}, in ${pcp.dir}\n`);
      url = pcp.url;
      hostspec = pcp.hostspec;
    }
    const iface = await pickInterface(url, hostspec);
    out(`interface ${escapeControl(iface)}; building the firmware\n`);
    const fw = await buildMainFirmware(true);
    board = new Board({ firmware: fw.hex });
    const traffic: string[] = [];
    const binding = new SimSerialBinding();
    binding.attach(SIM_PATH, board);
    const logs: string[] = [];
    const link = new SerialLink({
      binding,
      findPath: async () => SIM_PATH,
      onTraffic: (dir, line) => {
        // Serial bytes are the board's to choose: escaped before they reach the terminal.
        traffic.push(`${dir === 'tx' ? '>' : '<'} ${escapeControl(line)}`);
        if (traffic.length > TRAFFIC_LINES) traffic.shift();
      },
    });
    if (o.web) {
      web = await startDemoWeb({
        board,
        port: o.web.port,
        url,
        pcp,
        usb: { binding, path: SIM_PATH },
        bridge: () => bridge,
        link,
        log: (l) => {
          logs.push(l);
          if (logs.length > 4) logs.shift();
        },
      });
      out(`web page: ${web.url}\n`);
    }
    board.start();

    const cfg = resolveConfig({
      env: o.env,
      flags: { url, hostspec, iface, port: SIM_PATH, poll: '1', 'latency-instance': 'ping', ...o.values },
    });
    const log = createLogger('pretty', (l) => {
      logs.push(l.trimEnd());
      if (logs.length > 4) logs.shift();
    });
    bridge = new Bridge({ cfg, link, log });
    bridge.start();
    const tty = Boolean(process.stdout.isTTY);
    let last = '';
    const b = board;
    const draw = () => {
      const frame = [
        escapeControl(`pmlcd demo: ${url} hostspec=${hostspec} iface=${iface} (Ctrl-C to stop)`),
        ...(web ? [`web page: ${web.url}`] : []),
        ...lcdPreview(lcdRows(b.lcd), link.lastGlyphSet ?? 'main', b.lcd.backlight),
        escapeControl(`serial ${link.state}${link.lastError ? ` (last problem: ${link.lastError})` : ''}`),
        ...traffic,
        '',
        ...logs,
      ].join('\n');
      if (tty) out(`\x1b[H\x1b[2J${frame}\n`);
      else if (frame !== last) out(`${frame}\n\n`);
      last = frame;
    };
    view = setInterval(draw, 250);
    await untilStopped(seconds);
    if (view) clearInterval(view);
    await bridge.stop(); // the LCD now says "bridge stopped"
    bridge = null;
    draw();
    await cleanup();
    out('demo stopped\n');
    return 0;
  } catch (e) {
    process.stderr.write(`pmlcd demo: ${escapeControl((e as Error).message)}\n`);
    await cleanup().catch(() => {});
    return 1;
  }
}
