// `pmlcd demo --network`: the firmware's own network mode. The real
// firmware runs in the simulated board with a W5100 model whose LAN address
// 192.168.7.2:44322 is mapped to this machine's pmproxy (the local one if it
// answers, else a private pmcd + pmproxy stopped on exit). The board gets its
// address from the model's DHCP server and polls PMWEBAPI by itself; no bridge
// is involved. The LCD is drawn in the terminal.
import { buildMainFirmware } from '../scripts/avr-build.ts';
import { Board } from '../simulator/src/board.ts';
import { W5100 } from '../simulator/src/w5100.ts';
import { findLocalPmproxy, startPrivatePcp, type PrivatePcp } from './pcp-local.ts';
import { lcdPreview, lcdRows } from './terminal-view.ts';
import { untilStopped } from './until-stopped.ts';
import type { WebServer } from '../simulator/src/web/server.ts';
import { startDemoWeb } from './web-demo.ts';

const SIM_SERVER = '192.168.7.2';
const SIM_PORT = 44322;

export interface NetworkDemoOptions {
  /** Stop after this many seconds (0: until Ctrl-C). */
  seconds?: number;
  iface?: string;
  out?: (s: string) => void;
  /** Serve the board's web page on 127.0.0.1 (port 0: any free one). */
  web?: { port: number };
}

export async function runNetworkDemo(o: NetworkDemoOptions = {}): Promise<number> {
  const out =
    o.out ??
    ((s: string) => {
      process.stdout.write(s);
    });
  let pcp: PrivatePcp | undefined;
  let board: Board | undefined;
  let chip: W5100 | undefined;
  let view: NodeJS.Timeout | undefined;
  let web: WebServer | undefined;
  const cleanup = async () => {
    if (view) clearInterval(view);
    await board?.stop();
    await web?.close();
    chip?.dispose();
    await pcp?.stop();
  };
  try {
    let url = await findLocalPmproxy();
    let hostspec = 'localhost';
    let latInst = 'lo';
    if (!url) {
      out('no pmproxy on 127.0.0.1:44322: starting a private pmcd + pmproxy\n');
      pcp = await startPrivatePcp();
      url = pcp.url;
      hostspec = pcp.hostspec;
      latInst = 'ping';
    }
    const port = Number(new URL(url).port || 80);
    out(`pmproxy ${url}; building the firmware\n`);
    const fw = await buildMainFirmware(true);
    board = new Board({ firmware: fw.hex });
    chip = new W5100(board);
    chip.map(SIM_SERVER, SIM_PORT, '127.0.0.1', port);
    const notes: string[] = [];
    if (o.web) {
      web = await startDemoWeb({
        board,
        chip,
        port: o.web.port,
        url,
        pcp: pcp ?? null,
        log: (l) => {
          notes.push(l);
          if (notes.length > 4) notes.shift();
        },
      });
      out(`web page: ${web.url}\n`);
    }
    let serial = '';
    board.serial.onByte((b) => {
      serial += String.fromCharCode(b);
    });
    const b = board;
    const command = async (line: string) => {
      const from = serial.length;
      b.serial.write(Buffer.from(`${line}\n`, 'latin1'));
      for (let i = 0; i < 100 && !/\n/.test(serial.slice(from)); i++) await b.run(10);
      if (!serial.slice(from).startsWith('OK')) throw new Error(`${line}: ${serial.slice(from).trim() || 'no reply'}`);
    };
    for (let i = 0; i < 300 && !/PMLCD 1[^\n]*\n/.test(serial); i++) await b.run(10);
    const settings: [string, string][] = [
      ['srv.ip', SIM_SERVER],
      ['srv.port', String(SIM_PORT)],
      ['srv.hostspec', hostspec],
      ['iface', o.iface ?? 'lo'],
      ['m.latinst', latInst],
      ['poll', '1'],
      ['net.dhcp', '1'],
    ];
    for (const [k, v] of settings) await command(`C SET ${k} ${v}`);
    await command('M net');
    b.start(1);
    const tty = Boolean(process.stdout.isTTY);
    let last = '';
    const draw = () => {
      const frame = [
        `pmlcd demo --network: the board polls ${url} as ${SIM_SERVER}:${SIM_PORT} by itself (Ctrl-C to stop)`,
        ...(web ? [`web page: ${web.url}`] : []),
        ...lcdPreview(lcdRows(b.lcd), 'main', b.lcd.backlight),
        `simulated ${(b.millis / 1000).toFixed(1)} s, DHCP leases ${chip!.dhcp.stats.ack}, TCP connects ${chip!.stats[0].connects}`,
        ...notes,
      ].join('\n');
      if (tty) out(`\x1b[H\x1b[2J${frame}\n`);
      else if (frame.split('\n').slice(1, 5).join() !== last) out(`${frame}\n\n`);
      last = frame.split('\n').slice(1, 5).join();
    };
    view = setInterval(draw, 250);
    await untilStopped(o.seconds ?? 0);
    draw();
    await cleanup();
    out('demo stopped\n');
    return 0;
  } catch (e) {
    process.stderr.write(`pmlcd demo --network: ${(e as Error).message}\n`);
    await cleanup().catch(() => {});
    return 1;
  }
}

if (process.argv[1]?.endsWith('demo-network.ts')) {
  process.exitCode = await runNetworkDemo({ seconds: Number(process.env.PMLCD_DEMO_SECONDS ?? 0) });
}
