// The simulated board's serial port as a TCP server on loopback, so real programs
// (avrdude -c arduino -P net:127.0.0.1:PORT, socat, nc) talk to it as to an Uno's
// USB serial port:
//   const tcp = new SerialTcpBridge(board, { port: 0 });
//   const { port } = await tcp.listen();  ...  await tcp.close();
//
// Opening an Uno's port asserts DTR, which resets the ATmega328P through the 100 nF
// capacitor on RESET (Arduino Uno R3 schematic); a TCP connection carries no DTR
// (avrdude's net: skips the modem-control lines: "Inappropriate ioctl for device"),
// so a new connection is the reset here. One client at a time, like a tty opened
// exclusively; a second one is refused until the first closes. Closing does nothing
// to the board. Bytes are paced by the USART model itself: host bytes enter the
// receiver one character time (10 bits at the UBRR baud rate) apart and are lost
// while the receiver is off (during the reset time-out, before the firmware enables
// it); board bytes leave as the firmware's UDR writes do, one per character time.
// Simulated time must be paced to real time (board.start(1)) for programs with
// wall-clock time-outs such as avrdude.
//
// Host bytes keep their wall-clock spacing in simulated time: a chunk that arrives
// t ms after the last thing on the line (the connection, the previous host chunk,
// or the last board bytes the host was sent) enters the board at least t simulated
// ms after that. On a loaded machine the simulation runs slower than real
// time, and without this avrdude's sync attempts, 250 ms apart on the wall, would
// reach Optiboot a few simulated ms apart while it still flashes its LED, overrun
// the two-byte receive FIFO and lose sync; a real Uno never sees them that close.
import { EventEmitter } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { CPU_HZ, type Board } from './board.ts';
import { isLoopback } from './netmap.ts';

export interface SerialTcpOptions {
  /** Loopback address to bind (default 127.0.0.1); other addresses are refused. */
  host?: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  /** The baud rate the host side is assumed to use (a TCP stream has none): 115200. */
  baud?: number;
}

export interface SerialTcpEvents {
  connect: [peer: string];
  disconnect: [peer: string];
}

export class SerialTcpBridge extends EventEmitter<SerialTcpEvents> {
  readonly stats = { connections: 0, refused: 0, bytesIn: 0, bytesOut: 0 };
  private readonly server: Server;
  private client: Socket | null = null;
  private txPending: number[] = [];
  private txScheduled = false;
  private readonly unsubscribe: () => void;
  private readonly host: string;
  /** Host chunks waiting for their simulated arrival time. */
  private readonly rxQueue: { at: number; bytes: Buffer }[] = [];
  private rxArmed = false;
  private lastAt = 0;
  private lastWall = 0;
  private readonly cyclesPerMs = CPU_HZ / 1000;
  private readonly onReset = () => {
    this.rxArmed = false;
    this.armRx();
  };

  constructor(
    private readonly board: Board,
    private readonly opts: SerialTcpOptions,
  ) {
    super();
    this.host = opts.host ?? '127.0.0.1';
    if (!isLoopback(this.host)) throw new Error(`serial bridge: ${this.host} is not a loopback address`);
    this.server = createServer((s) => this.accept(s));
    this.unsubscribe = board.serial.onByte((b) => this.fromBoard(b));
    // A reset drops clock events, the pending delivery among them.
    board.on('reset', this.onReset);
  }

  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.host, () => {
        this.server.off('error', reject);
        resolve(this.address!);
      });
    });
  }

  get address(): { host: string; port: number } | null {
    const a = this.server.address() as AddressInfo | null;
    return a ? { host: a.address, port: a.port } : null;
  }

  /** True while a program holds the port. */
  get connected(): boolean {
    return this.client !== null;
  }

  /** Pulls the cable: the open connection is cut (the listener stays). */
  dropClient(): void {
    this.client?.destroy();
  }

  /** Stops listening and cuts the open connection. */
  async close(): Promise<void> {
    this.unsubscribe();
    this.board.off('reset', this.onReset);
    this.rxQueue.length = 0;
    this.client?.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(s: Socket): void {
    if (this.client) {
      this.stats.refused++;
      s.destroy();
      return;
    }
    this.client = s;
    this.stats.connections++;
    const peer = `${s.remoteAddress}:${s.remotePort}`;
    s.setNoDelay(true);
    this.board.serial.setHostBaud(this.opts.baud ?? 115200);
    this.txPending = [];
    this.rxQueue.length = 0;
    // The DTR auto-reset an Uno's USB-serial chip gives every open.
    this.board.resetExternal();
    this.lastAt = this.board.cycles;
    this.lastWall = performance.now();
    s.on('data', (chunk: Buffer) => {
      if (this.client !== s) return;
      this.stats.bytesIn += chunk.length;
      const wall = performance.now();
      const at = Math.max(this.board.cycles, this.lastAt + Math.round((wall - this.lastWall) * this.cyclesPerMs));
      this.lastAt = at;
      this.lastWall = wall;
      this.rxQueue.push({ at, bytes: chunk });
      this.armRx();
    });
    s.on('error', () => {
      /* a reset by the peer is a close */
    });
    s.on('close', () => {
      if (this.client === s) this.client = null;
      this.emit('disconnect', peer);
    });
    this.emit('connect', peer);
  }

  private armRx(): void {
    if (this.rxArmed || this.rxQueue.length === 0) return;
    this.rxArmed = true;
    this.board.cpu.addClockEvent(this.deliver, Math.max(1, this.rxQueue[0].at - this.board.cycles));
  }

  private readonly deliver = () => {
    this.rxArmed = false;
    while (this.rxQueue.length && this.rxQueue[0].at <= this.board.cycles)
      this.board.serial.write(this.rxQueue.shift()!.bytes);
    this.armRx();
  };

  /** Board bytes go out in one write per event-loop turn (a slice of simulated time). */
  private fromBoard(byte: number): void {
    if (!this.client) return; // nobody has the port open: lost, as on a real Uno
    this.txPending.push(byte);
    if (this.txScheduled) return;
    this.txScheduled = true;
    setImmediate(() => {
      this.txScheduled = false;
      const bytes = this.txPending;
      this.txPending = [];
      if (this.client && bytes.length) {
        this.stats.bytesOut += bytes.length;
        this.client.write(Buffer.from(bytes));
        // The host reacts to these from now on: its next gap counts from here.
        if (this.board.cycles > this.lastAt) {
          this.lastAt = this.board.cycles;
          this.lastWall = performance.now();
        }
      }
    });
  }
}

/** Parses "tcp:HOST:PORT" (HOST a loopback address, PORT 0-65535). */
export function parseSerialSpec(spec: string): { host: string; port: number } | string {
  const m = /^tcp:([\d.]+|\[::1\]):(\d{1,5})$/.exec(spec);
  if (!m) return `--serial "${spec}": expected tcp:127.0.0.1:PORT`;
  const host = m[1] === '[::1]' ? '::1' : m[1];
  const port = Number(m[2]);
  if (!isLoopback(host)) return `--serial "${spec}": the port is served on loopback only (127.0.0.0/8 or [::1])`;
  if (port > 65535) return `--serial "${spec}": port out of range`;
  return { host, port };
}
