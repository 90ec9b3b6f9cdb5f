// pmlcd-sim: runs a firmware on the simulated board in the terminal, with the
// LCD drawn live at the top and the serial console below (stdin lines go to
// the board).
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { Board } from './board.ts';
import { LiveLcd } from './terminal.ts';
import { LCD_FLAGS_USAGE, parseLcdFlags } from './hd44780-options.ts';
import { isLoopback } from './netmap.ts';
import { SHIELDS, socketStats, type Shield, type ShieldName } from './shield.ts';
import { startWebServer, type WebServer } from './web/server.ts';
import { SerialTcpBridge, parseSerialSpec } from './serial-tcp.ts';

const USAGE = `usage: pmlcd-sim [options] <firmware.hex|firmware.elf>

Runs the firmware on a simulated Arduino Uno with the pmlcd LCD wiring.
The LCD is drawn at the top; board serial output (115200 baud) is printed
below it and each line typed on stdin is sent to the board.

options:
  --eeprom FILE   keep the EEPROM contents in FILE (created when missing)
  --shield w5100|w5500
                  fit that Ethernet shield (a W5100 or a W5500 model; the
                  firmware's driver is W5100-only); implies --net
  --net           fit the Ethernet shield: a simulated W5100 on the LAN
                  192.168.7.0/24 with its own DHCP server; socket statistics
                  are printed on exit
  --map A=B       with --net: LAN address A (ip:port) reaches loopback B
                  (ip:port or port), e.g. 192.168.7.2:44322=127.0.0.1:44322;
                  may be repeated; nothing else is reachable
  --speed 1|max   1 = real time (default), max = as fast as possible
  --web           also serve a page with the LCD, the serial console, the
                  network state and controls (reset, cables, faults) on
                  127.0.0.1; its address is printed
  --web-port N    the page's port (default 0: any free port)
  --serial tcp:127.0.0.1:PORT
                  also serve the board's serial port on loopback TCP (PORT 0:
                  any free one, printed); a connection resets the board like
                  opening an Uno's port, e.g. for avrdude -P net:127.0.0.1:PORT
  --bootloader FILE
                  put FILE (e.g. build/optiboot/optiboot_atmega328p.hex) in the
                  boot section and start there, as an Uno does (BOOTRST)
${LCD_FLAGS_USAGE}  --help          show this help
`;

function parseCommandLine(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      eeprom: { type: 'string' },
      speed: { type: 'string', default: '1' },
      help: { type: 'boolean' },
      net: { type: 'boolean' },
      map: { type: 'string', multiple: true },
      shield: { type: 'string' },
      web: { type: 'boolean' },
      'web-port': { type: 'string' },
      serial: { type: 'string' },
      bootloader: { type: 'string' },
      lcd: { type: 'string' },
      'lcd-bus': { type: 'string' },
      'lcd-map': { type: 'string' },
    },
  });
}

export async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parseCommandLine>;
  try {
    args = parseCommandLine(argv);
  } catch (e) {
    process.stderr.write(`pmlcd-sim: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (args.positionals.length !== 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  const speedArg = args.values.speed;
  if (speedArg !== '1' && speedArg !== 'max') {
    process.stderr.write(`pmlcd-sim: --speed must be 1 or max, not "${speedArg}"\n`);
    return 2;
  }

  const maps = (args.values.map ?? []).map(parseMap);
  const badMap = maps.find((m) => typeof m === 'string');
  if (badMap) {
    process.stderr.write(`pmlcd-sim: ${badMap}\n`);
    return 2;
  }
  const shieldArg = args.values.shield;
  if (shieldArg !== undefined && !(SHIELDS as readonly string[]).includes(shieldArg)) {
    process.stderr.write(`pmlcd-sim: --shield must be ${SHIELDS.join(' or ')}, not "${shieldArg}"\n`);
    return 2;
  }
  const shield = (shieldArg ?? (args.values.net ? 'w5100' : undefined)) as ShieldName | undefined;
  if (maps.length && !shield) {
    process.stderr.write('pmlcd-sim: --map needs --net or --shield\n');
    return 2;
  }
  const webPortArg = args.values['web-port'] ?? '0';
  const webPort = /^\d{1,5}$/.test(webPortArg) ? Number(webPortArg) : -1;
  if (webPort < 0 || webPort > 65535) {
    process.stderr.write(`pmlcd-sim: --web-port must be a port number (0 = any), not "${args.values['web-port']}"\n`);
    return 2;
  }
  if (args.values['web-port'] !== undefined && !args.values.web) {
    process.stderr.write('pmlcd-sim: --web-port needs --web\n');
    return 2;
  }
  const serialSpec = args.values.serial === undefined ? undefined : parseSerialSpec(args.values.serial);
  if (typeof serialSpec === 'string') {
    process.stderr.write(`pmlcd-sim: ${serialSpec}\n`);
    return 2;
  }

  const lcdOptions = parseLcdFlags({
    lcd: args.values.lcd,
    lcdBus: args.values['lcd-bus'],
    lcdMap: args.values['lcd-map'],
  });
  if (typeof lcdOptions === 'string') {
    process.stderr.write(`pmlcd-sim: ${lcdOptions}\n`);
    return 2;
  }

  let board: Board;
  let chip: Shield | undefined;
  try {
    board = new Board({
      firmware: args.positionals[0],
      eepromFile: args.values.eeprom,
      shield,
      bootloader: args.values.bootloader,
      ...lcdOptions,
    });
    chip = board.shield;
    if (chip) {
      for (const m of maps as Mapping[]) chip.map(m.ip, m.port, m.host, m.hostPort);
    }
  } catch (e) {
    process.stderr.write(`pmlcd-sim: ${(e as Error).message}\n`);
    return 1;
  }

  const live = new LiveLcd(board.lcd);
  live.begin();
  const out = (s: string) => process.stdout.write(s);
  let web: WebServer | undefined;
  if (args.values.web) {
    try {
      web = await startWebServer({
        board,
        chip,
        port: webPort,
        serialInput: true,
        title: 'pmlcd-sim',
        log: (l) => out(`\n[sim] ${l}\n`),
      });
    } catch (e) {
      live.end();
      process.stderr.write(`pmlcd-sim: cannot serve the page on 127.0.0.1:${webPort}: ${(e as Error).message}\n`);
      chip?.dispose();
      return 1;
    }
    out(`[sim] page: ${web.url}\n`);
  }
  let tcp: SerialTcpBridge | undefined;
  if (serialSpec) {
    try {
      tcp = new SerialTcpBridge(board, serialSpec);
      const a = await tcp.listen();
      out(`[sim] serial: tcp:${a.host}:${a.port}\n`);
      tcp.on('connect', (peer) => out(`\n[sim] serial opened by ${peer}\n`));
    } catch (e) {
      live.end();
      process.stderr.write(
        `pmlcd-sim: cannot serve the serial port on ${serialSpec.host}:${serialSpec.port}: ${(e as Error).message}\n`,
      );
      await web?.close();
      chip?.dispose();
      return 1;
    }
  }
  board.serial.onByte((b) => out(b === 13 ? '' : String.fromCharCode(b)));
  board.on('reset', (cause) => out(`\n[sim] reset (${cause})\n`));
  board.on('halt', ({ pc }) => out(`\n[sim] CPU halted (SLEEP with interrupts off) at PC 0x${pc.toString(16)}\n`));
  board.on('warning', (m) => out(`\n[sim] ${m}\n`));

  const done = new Promise<number>((resolve) => {
    board.on('fault', (e) => {
      out(`\n[sim] fault: ${e.message}\n`);
      resolve(1);
    });
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (line) => board.serial.write(Buffer.from(`${line}\n`, 'latin1')));
    rl.on('close', () => {
      if (!process.stdin.isTTY) return;
      resolve(0);
    });
    process.once('SIGINT', () => {
      rl.close();
      resolve(0);
    });
  });
  board.start(speedArg === 'max' ? 'max' : 1);
  const code = await done;
  await board.stop();
  board.saveEeprom();
  await web?.close();
  await tcp?.close();
  live.end();
  if (chip) {
    out(`${socketStats(chip)}\n`);
    chip.dispose();
  }
  return code;
}

interface Mapping {
  ip: string;
  port: number;
  host: string;
  hostPort: number;
}

/** "192.168.7.2:44322=127.0.0.1:44322" or "...=44322" (loopback implied). */
function parseMap(spec: string): Mapping | string {
  const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)=(?:([\d.]+):)?(\d+)$/.exec(spec);
  if (!m) return `--map "${spec}": expected LANIP:PORT=[127.x.x.x:]PORT`;
  const host = m[3] ?? '127.0.0.1';
  if (!isLoopback(host)) return `--map "${spec}": the simulated shield only reaches loopback (127.0.0.0/8)`;
  return { ip: m[1], port: Number(m[2]), host, hostPort: Number(m[4]) };
}

process.exitCode = await main(process.argv.slice(2));
process.exit();
