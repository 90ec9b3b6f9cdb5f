// The web page of a simulated board (`pmlcd-sim --web`, and the demo's
// `--web`): Node's http on loopback, static files from ./static, live state
// pushed with Server-Sent Events (GET /events: a full snapshot first, then
// changes), and controls that act on the simulated world (POST /control/<id>).
//
// Only loopback may talk to it: the server binds 127.0.0.1, every request
// must come from a loopback address with a Host naming this server on a
// loopback name (127.0.0.1 / localhost / [::1] and its port), and an Origin,
// when sent, must be such an origin too, so a web site cannot reach it through
// DNS rebinding or a cross-site form. Refusals get 403 with the reason; wrong
// methods 405 (with Allow), unknown paths 404; nothing a client sends can crash it.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Board } from '../board.ts';
import type { DhcpMode } from '../dhcp-server.ts';
import { type Faults, isLoopback } from '../netmap.ts';
import type { SimSerialBinding } from '../serial-binding.ts';
import {
  type ConsoleLine,
  SerialConsole,
  boardStatus,
  escapeControl,
  lcdState,
  netState,
  type NetChip,
} from './board-view.ts';

const STATIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'static');
const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};
/** Wall-clock ms between two LCD events at most once (the glass changes far faster while a frame is drawn). */
const LCD_MIN_GAP_MS = 15;
/** How often the network state, the status line, the panels and the controls are compared with what was sent. */
const SAMPLE_MS = 200;
const HEARTBEAT_MS = 15_000;
const MAX_BODY = 4096;
const MAX_CLIENTS = 32;
/** A page that reads this far behind is dropped; its EventSource reconnects and gets a new snapshot. */
const MAX_BACKLOG = 1 << 20;

/** A button (with an optional choice list or text field) on the page. */
export interface Control {
  /** Path segment: POST /control/<id>. */
  id: string;
  /** The page groups controls under this heading. */
  group: string;
  /** The button's label now (a toggle names what pressing it does). */
  label: () => string;
  /** One line under the button: the state the control changes. */
  state?: () => string;
  /** Offered in a select; the chosen value is the body's "value". */
  choices?: { value: string; label: string }[];
  /** A text field whose content is the body's "value". */
  input?: { label: string; maxLength: number };
  /** False: shown greyed out with its state saying why. */
  enabled?: () => boolean;
  /** Does it; the returned text is shown on the page and in the console. Throw for a refusal (409). */
  run: (value: string | undefined) => string | Promise<string>;
}

/** Extra facts the page shows in a card: rows of label and value, and/or a table. */
export interface Panel {
  id: string;
  title: string;
  rows?: [string, string][];
  table?: { head: string[]; rows: string[][] };
}

export interface WebOptions {
  board: Board;
  /** The Ethernet shield's chip (network mode): its state, link and fault controls. */
  chip?: NetChip;
  /** The board's USB serial port (unplug and replug controls). */
  usb?: { binding: SimSerialBinding; path: string };
  /** TCP port on 127.0.0.1; 0 (default) = any free port. */
  port?: number;
  /** Shown in the page title and heading. */
  title?: string;
  /** Lets the page send lines to the board's serial port (pmlcd-sim, where nothing else talks to it). */
  serialInput?: boolean;
  controls?: Control[];
  panels?: () => Panel[];
  /** Refusals and control use, one line each (control characters escaped). */
  log?: (line: string) => void;
}

export class ControlError extends Error {}

interface Client {
  res: ServerResponse;
}

export interface WebServer {
  readonly port: number;
  readonly url: string;
  /** Pushes changed panels and controls now (e.g. right after the demo changed something). */
  refresh(): void;
  close(): Promise<void>;
}

function isLoopbackAddress(a: string | undefined): boolean {
  // An IPv4 client on a dual-stack socket shows as ::ffff:127.x.y.z.
  return a !== undefined && isLoopback(a.startsWith('::ffff:') ? a.slice(7) : a);
}

/** The loopback names this server answers to, with and without the port as a browser writes them. */
function loopbackHosts(port: number): Set<string> {
  const names = ['127.0.0.1', 'localhost', '[::1]'];
  const hosts = new Set(names.map((n) => `${n}:${port}`));
  if (port === 80) for (const n of names) hosts.add(n);
  return hosts;
}

/** Why a request may not be served, or null. */
export function refusal(req: Pick<IncomingMessage, 'headers' | 'socket'>, port: number): string | null {
  if (!isLoopbackAddress(req.socket.remoteAddress))
    return `client ${req.socket.remoteAddress ?? '?'} is not on loopback`;
  const hosts = loopbackHosts(port);
  const host = req.headers.host;
  if (!host) return 'no Host header';
  if (!hosts.has(host.toLowerCase())) return `Host ${JSON.stringify(host)} is not this server's loopback address`;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let ok = false;
    try {
      const u = new URL(origin);
      ok = u.protocol === 'http:' && u.pathname === '/' && !u.username && hosts.has(u.host.toLowerCase());
    } catch {
      /* not a URL ("null" from a sandboxed frame): refused below */
    }
    if (!ok) return `Origin ${JSON.stringify(origin)} is not this server's loopback origin`;
  }
  return null;
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
    ...SECURITY_HEADERS,
    ...headers,
  });
  res.end(body.endsWith('\n') ? body : `${body}\n`);
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'Referrer-Policy': 'no-referrer',
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      // Past the limit the rest is read and thrown away, so the 413 still reaches the client.
      if (size > MAX_BODY) {
        reject(Object.assign(new Error(`body over ${MAX_BODY} bytes`), { status: 413 }));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const FAULT_CHOICES: { value: string; label: string; faults: Faults }[] = [
  { value: 'none', label: 'none: replies as the server sends them', faults: {} },
  { value: 'refuse', label: 'refuse connections (reset at once)', faults: { refuse: true } },
  { value: 'drop', label: 'drop: connections are never answered', faults: { timeout: true } },
  { value: 'delay', label: 'delay replies (1 byte per simulated ms)', faults: { dripBytesPerMs: 1 } },
  { value: 'truncate', label: 'truncate replies after 200 bytes', faults: { closeAfter: 200 } },
  { value: 'reset', label: 'reset connections after 200 bytes', faults: { resetAfter: 200 } },
];
const DHCP_MODES: DhcpMode[] = ['serve', 'refuse', 'silent'];

export async function startWebServer(o: WebOptions): Promise<WebServer> {
  const { board, chip, usb } = o;
  const log = o.log ?? (() => {});
  const clients = new Set<Client>();
  const sockets = new Set<Socket>();
  let usbPlugged = true;
  let faultChoice = 'none';

  const broadcast = (event: string, data: unknown) => {
    const msg = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of clients) {
      if (c.res.writableLength > MAX_BACKLOG) {
        c.res.destroy();
        clients.delete(c);
        continue;
      }
      c.res.write(msg);
    }
  };

  const serialConsole = new SerialConsole(board, (lines: ConsoleLine[]) => broadcast('serial', lines));

  const controls: Control[] = [
    {
      id: 'reset',
      group: 'Board',
      label: () => 'Reset the board',
      state: () =>
        `resets: ${Object.entries(board.resets)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      run: () => {
        board.resetExternal();
        return 'board reset (RESET pin)';
      },
    },
    {
      id: 'power',
      group: 'Board',
      label: () => 'Power cycle',
      state: () => 'RAM and LCD cleared, EEPROM kept',
      run: () => {
        board.powerCycle();
        return 'board power-cycled';
      },
    },
  ];
  if (usb) {
    controls.push({
      id: 'usb',
      group: 'USB serial',
      label: () => (usbPlugged ? 'Unplug the USB cable' : 'Plug in the USB cable'),
      state: () => (usbPlugged ? `plugged in (${usb.path})` : 'unplugged'),
      run: () => {
        if (usbPlugged) usb.binding.unplug(usb.path);
        else usb.binding.replug(usb.path);
        usbPlugged = !usbPlugged;
        return usbPlugged ? 'USB cable plugged in' : 'USB cable unplugged';
      },
    });
  }
  if (o.serialInput) {
    controls.push({
      id: 'send',
      group: 'USB serial',
      label: () => 'Send',
      input: { label: 'Line to send to the board', maxLength: 200 },
      state: () => 'a line feed is added',
      run: (v) => {
        const line = v ?? '';
        if (/[\x00-\x1f\x7f]/.test(line)) throw new ControlError('the line may not hold control characters');
        board.serial.write(Buffer.from(`${line}\n`, 'latin1'));
        return `sent ${line.length} characters`;
      },
    });
  }
  if (chip) {
    controls.push(
      {
        id: 'link',
        group: 'Ethernet',
        label: () => (chip.link ? 'Pull the Ethernet cable' : 'Plug in the Ethernet cable'),
        state: () => (chip.link ? 'link up' : 'link down (cable pulled)'),
        run: () => {
          chip.link = !chip.link;
          return chip.link ? 'Ethernet cable plugged in' : 'Ethernet cable pulled';
        },
      },
      {
        id: 'fault',
        group: 'Ethernet',
        label: () => 'Apply fault',
        choices: FAULT_CHOICES.map(({ value, label }) => ({ value, label })),
        state: () => `faults: ${netState(chip).faults}`,
        run: (v) => {
          const f = FAULT_CHOICES.find((c) => c.value === v);
          if (!f)
            throw new ControlError(
              `unknown fault ${JSON.stringify(v)}: one of ${FAULT_CHOICES.map((c) => c.value).join(', ')}`,
            );
          chip.net.faults = { ...f.faults };
          faultChoice = f.value;
          return `fault injection: ${f.label}`;
        },
      },
      {
        id: 'dhcp',
        group: 'Ethernet',
        label: () => 'Set DHCP server',
        choices: DHCP_MODES.map((m) => ({
          value: m,
          label: m === 'serve' ? 'serve leases' : m === 'refuse' ? 'refuse (NAK)' : 'silent',
        })),
        state: () => `DHCP server: ${chip.dhcp.mode}`,
        run: (v) => {
          if (!DHCP_MODES.includes(v as DhcpMode))
            throw new ControlError(`unknown DHCP mode ${JSON.stringify(v)}: one of ${DHCP_MODES.join(', ')}`);
          chip.dhcp.mode = v as DhcpMode;
          return `DHCP server: ${v}`;
        },
      },
    );
  }
  controls.push(...(o.controls ?? []));
  const byId = new Map(controls.map((c) => [c.id, c]));

  const controlsState = () =>
    controls.map((c) => ({
      id: c.id,
      group: c.group,
      label: c.label(),
      state: c.state?.() ?? '',
      enabled: c.enabled?.() ?? true,
      choices: c.choices ?? null,
      input: c.input ?? null,
      value: c.id === 'fault' ? faultChoice : c.id === 'dhcp' ? chip?.dhcp.mode : null,
    }));
  const panelsState = () => o.panels?.() ?? [];
  const snapshot = () => ({
    title: o.title ?? 'pmlcd simulator',
    lcd: lcdState(board),
    console: serialConsole.lines,
    net: chip ? netState(chip) : null,
    status: boardStatus(board),
    panels: panelsState(),
    controls: controlsState(),
  });

  // ---- pushing changes ------------------------------------------------------
  let lastLcd = JSON.stringify(lcdState(board));
  let lcdTimer: NodeJS.Timeout | null = null;
  let lastLcdAt = 0;
  const pushLcd = () => {
    lcdTimer = null;
    lastLcdAt = performance.now();
    const s = lcdState(board);
    const key = JSON.stringify(s);
    if (key === lastLcd) return;
    lastLcd = key;
    broadcast('lcd', s);
  };
  const lcdChanged = () => {
    if (lcdTimer) return;
    lcdTimer = setTimeout(pushLcd, Math.max(0, lastLcdAt + LCD_MIN_GAP_MS - performance.now()));
  };
  // The model has one change callback: chain whoever holds it (the terminal view).
  const prevOnChange = board.lcd.onChange;
  const onChange = () => {
    prevOnChange?.();
    lcdChanged();
  };
  board.lcd.onChange = onChange;

  const last: Record<string, string> = {};
  const pushIfChanged = (event: string, value: unknown) => {
    const key = JSON.stringify(value);
    if (last[event] === key) return;
    last[event] = key;
    broadcast(event, value);
  };
  const sample = () => {
    if (clients.size === 0) return;
    // Cursor blink and anything the callback missed (another owner replaced it).
    lcdChanged();
    if (chip) pushIfChanged('net', netState(chip));
    pushIfChanged('status', boardStatus(board));
    pushIfChanged('panels', panelsState());
    pushIfChanged('controls', controlsState());
  };
  const sampler = setInterval(sample, SAMPLE_MS);
  sampler.unref();
  const heartbeat = setInterval(() => {
    for (const c of clients) c.res.write(': keep-alive\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();

  // ---- HTTP -------------------------------------------------------------------
  let port = o.port ?? 0;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const why = refusal(req, port);
    if (why) {
      log(
        `web: refused ${escapeControl(req.method ?? '?')} ${escapeControl(path.slice(0, 200))}: ${escapeControl(why)}`,
      );
      send(res, 403, `forbidden: ${why}`);
      return;
    }
    const method = req.method ?? 'GET';
    const file = STATIC[path];
    if (file || path === '/events' || path === '/state') {
      if (method !== 'GET' && method !== 'HEAD') {
        send(res, 405, `method ${method} not allowed on ${path}`, { Allow: 'GET, HEAD' });
        return;
      }
      if (file) {
        const body = readFileSync(join(STATIC_DIR, file.file));
        res.writeHead(200, { 'Content-Type': file.type, 'Cache-Control': 'no-cache', ...SECURITY_HEADERS });
        res.end(method === 'HEAD' ? undefined : body);
      } else if (path === '/state') {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...SECURITY_HEADERS });
        res.end(method === 'HEAD' ? undefined : JSON.stringify(snapshot()));
      } else {
        if (clients.size >= MAX_CLIENTS) {
          send(res, 503, `too many pages open (${MAX_CLIENTS})`, { 'Retry-After': '5' });
          return;
        }
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', ...SECURITY_HEADERS });
        if (method === 'HEAD') {
          res.end();
          return;
        }
        const client: Client = { res };
        clients.add(client);
        res.on('close', () => clients.delete(client));
        res.write(`retry: 1000\nevent: snapshot\ndata: ${JSON.stringify(snapshot())}\n\n`);
      }
      return;
    }
    const m = /^\/control\/([a-z0-9-]+)$/.exec(path);
    const control = m ? byId.get(m[1]!) : undefined;
    if (!control) {
      send(res, 404, `no such page: ${escapeControl(path.slice(0, 200))}`);
      return;
    }
    if (method !== 'POST') {
      send(res, 405, `method ${method} not allowed on ${path}: controls take POST`, { Allow: 'POST' });
      return;
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      send(res, 415, 'controls take a JSON body (Content-Type: application/json)');
      return;
    }
    let value: string | undefined;
    try {
      const text = await readBody(req);
      const body: unknown = text.trim() ? JSON.parse(text) : {};
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        throw new Error('the body must be a JSON object');
      const v = (body as Record<string, unknown>).value;
      if (v !== undefined && typeof v !== 'string') throw new Error('"value" must be a string');
      if (v !== undefined && v.length > MAX_BODY) throw new Error('"value" is too long');
      value = v;
    } catch (e) {
      const status = (e as { status?: number }).status ?? 400;
      send(res, status, `bad request: ${escapeControl((e as Error).message)}`);
      return;
    }
    if (control.enabled && !control.enabled()) {
      send(res, 409, `${control.label()}: not available now (${control.state?.() ?? ''})`);
      return;
    }
    try {
      const message = await control.run(value);
      serialConsole.note(message);
      log(`web: ${escapeControl(message)}`);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...SECURITY_HEADERS });
      res.end(JSON.stringify({ ok: true, message }));
      sample();
    } catch (e) {
      send(res, e instanceof ControlError ? 409 : 500, escapeControl((e as Error).message));
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      log(`web: error: ${escapeControl(String((e as Error)?.message ?? e))}`);
      if (!res.headersSent) send(res, 500, 'internal error');
      else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_e, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;

  let closed: Promise<void> | null = null;
  return {
    port,
    url: `http://127.0.0.1:${port}/`,
    refresh: sample,
    close: () =>
      (closed ??= (async () => {
        clearInterval(sampler);
        clearInterval(heartbeat);
        if (lcdTimer) clearTimeout(lcdTimer);
        if (board.lcd.onChange === onChange) board.lcd.onChange = prevOnChange;
        serialConsole.dispose();
        for (const c of clients) c.res.end();
        clients.clear();
        const done = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const s of sockets) s.destroy();
        await done;
      })()),
  };
}
