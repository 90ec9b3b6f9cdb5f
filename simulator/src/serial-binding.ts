// A @serialport/bindings-interface binding whose ports are simulated boards'
// USART0, so host code talks to a simulated Uno exactly as to a real one:
//   const binding = new SimSerialBinding();
//   binding.attach('/dev/pmlcd-sim0', board);
//   new SerialPortStream({ binding, path: '/dev/pmlcd-sim0', baudRate: 115200 });
// Like an Uno's USB-serial chip: asserting DTR (every open, unless DTR was left
// asserted by hupcl:false) resets the board; bytes the board sends while no
// port is open are lost; unplug() makes the open port fail as "disconnected".
import type {
  BindingInterface,
  BindingPortInterface,
  OpenOptions,
  PortInfo,
  PortStatus,
  SetOptions,
  UpdateOptions,
} from '@serialport/bindings-interface'; // its "exports" hide the types from ESM
import type { Board } from './board.ts';

/** What an OS keeps for a tty nobody reads; more is dropped (and counted). */
export const HOST_RX_BUFFER = 4096;

interface Device {
  path: string;
  board: Board;
  plugged: boolean;
  dtr: boolean;
  port: SimPort | null;
}

class CanceledError extends Error {
  readonly canceled = true;
  constructor(what: string) {
    super(`${what} canceled: port closed`);
  }
}

/** OpenOptions with serialport's documented defaults filled in (8N1, locked, HUPCL, no flow control). */
export function withOpenDefaults(options: OpenOptions): Required<OpenOptions> {
  return {
    dataBits: 8,
    lock: true,
    stopBits: 1,
    parity: 'none',
    rtscts: false,
    xon: false,
    xoff: false,
    xany: false,
    hupcl: true,
    ...options,
  };
}

export class DisconnectedError extends Error {
  readonly disconnected = true;
  constructor(path: string) {
    super(`${path}: device disconnected`);
  }
}

export class SimPort implements BindingPortInterface {
  isOpen = true;
  readonly openOptions: Required<OpenOptions>;
  /** Bytes lost because the host did not read fast enough. */
  overflowed = 0;
  private readonly rx: number[] = [];
  private pendingRead: {
    buffer: Buffer;
    offset: number;
    length: number;
    resolve: (r: { buffer: Buffer; bytesRead: number }) => void;
    reject: (e: Error) => void;
  } | null = null;
  private pendingDrains: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private readonly unsubscribe: () => void;

  constructor(
    private readonly device: Device,
    options: Required<OpenOptions>,
  ) {
    this.openOptions = options;
    this.unsubscribe = device.board.serial.onByte((b) => this.receive(b));
  }

  private receive(byte: number): void {
    const r = this.pendingRead;
    if (r) {
      this.pendingRead = null;
      r.buffer[r.offset] = byte;
      r.resolve({ buffer: r.buffer, bytesRead: 1 });
    } else if (this.rx.length < HOST_RX_BUFFER) this.rx.push(byte);
    else this.overflowed++;
  }

  async read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    if (!this.isOpen) throw new Error('Port is not open');
    if (this.pendingRead) throw new Error('a read is already pending');
    if (this.device.port !== this) throw new DisconnectedError(this.device.path);
    if (this.rx.length > 0) {
      const n = Math.min(length, this.rx.length, buffer.length - offset);
      for (let i = 0; i < n; i++) buffer[offset + i] = this.rx[i];
      this.rx.splice(0, n);
      return { buffer, bytesRead: n };
    }
    return new Promise((resolve, reject) => {
      this.pendingRead = { buffer, offset, length, resolve, reject };
    });
  }

  async write(buffer: Buffer): Promise<void> {
    if (!this.isOpen) throw new Error('Port is not open');
    if (this.device.port !== this) throw new DisconnectedError(this.device.path);
    this.device.board.serial.write(buffer);
  }

  async update(options: UpdateOptions): Promise<void> {
    if (!this.isOpen) throw new Error('Port is not open');
    this.openOptions.baudRate = options.baudRate;
    this.device.board.serial.setHostBaud(options.baudRate);
  }

  async set(options: SetOptions): Promise<void> {
    if (!this.isOpen) throw new Error('Port is not open');
    if (options.dtr !== undefined) setDtr(this.device, options.dtr);
  }

  async get(): Promise<PortStatus> {
    if (!this.isOpen) throw new Error('Port is not open');
    return { cts: true, dsr: true, dcd: true };
  }

  async getBaudRate(): Promise<{ baudRate: number }> {
    if (!this.isOpen) throw new Error('Port is not open');
    return { baudRate: this.openOptions.baudRate };
  }

  async flush(): Promise<void> {
    if (!this.isOpen) throw new Error('Port is not open');
    this.rx.length = 0;
  }

  /** Resolves once every written byte has reached the board. */
  drain(): Promise<void> {
    if (!this.isOpen) return Promise.reject(new Error('Port is not open'));
    return new Promise((resolve, reject) => {
      this.pendingDrains.push({ resolve, reject });
      void this.device.board.serial.whenIdle().then(() => {
        const i = this.pendingDrains.findIndex((d) => d.resolve === resolve);
        if (i >= 0) {
          this.pendingDrains.splice(i, 1);
          resolve();
        }
      });
    });
  }

  async close(): Promise<void> {
    if (!this.isOpen) return;
    this.isOpen = false;
    const wasAttached = this.device.port === this;
    this.detach(new CanceledError('read'), new CanceledError('drain'));
    if (wasAttached && this.openOptions.hupcl) this.device.dtr = false;
  }

  /**
   * The USB cable is gone: pending operations fail with a non-canceled error.
   * The port stays "open" (like a dead file descriptor) until the owner closes it.
   */
  unplugged(): void {
    const err = new DisconnectedError(this.device.path);
    this.detach(err, err);
    this.device.dtr = false;
  }

  private detach(readErr: Error, drainErr: Error): void {
    this.unsubscribe();
    if (this.device.port === this) this.device.port = null;
    const r = this.pendingRead;
    this.pendingRead = null;
    r?.reject(readErr);
    for (const d of this.pendingDrains.splice(0)) d.reject(drainErr);
  }
}

/** DTR going active pulls RESET low through the Uno's 100 nF capacitor. */
function setDtr(device: Device, on: boolean): void {
  const edge = on && !device.dtr;
  device.dtr = on;
  if (edge) device.board.resetExternal();
}

export class SimSerialBinding implements BindingInterface<SimPort> {
  private readonly devices = new Map<string, Device>();

  attach(path: string, board: Board): void {
    if (this.devices.has(path)) throw new Error(`${path} is already attached`);
    this.devices.set(path, { path, board, plugged: true, dtr: false, port: null });
  }

  /** Simulates pulling the USB cable: the open port errors, opens fail until replug(). */
  unplug(path: string): void {
    const d = this.device(path);
    d.plugged = false;
    d.port?.unplugged();
  }

  replug(path: string): void {
    this.device(path).plugged = true;
  }

  /** The open port of a path, if any (for tests: overflow counters, options). */
  portOf(path: string): SimPort | null {
    return this.devices.get(path)?.port ?? null;
  }

  async list(): Promise<PortInfo[]> {
    return [...this.devices.values()]
      .filter((d) => d.plugged)
      .map((d) => ({
        path: d.path,
        manufacturer: 'pmlcd simulator',
        serialNumber: d.path,
        pnpId: undefined,
        locationId: undefined,
        // The Uno R3's USB IDs (Arduino SA, ATmega16U2).
        vendorId: '2341',
        productId: '0043',
      }));
  }

  async open(options: OpenOptions): Promise<SimPort> {
    if (!options || typeof options.path !== 'string') throw new TypeError('"path" is not a valid port');
    if (!Number.isInteger(options.baudRate) || options.baudRate <= 0)
      throw new TypeError('"baudRate" is not a valid baudRate');
    const d = this.devices.get(options.path);
    if (!d) throw new Error(`Error: No such file or directory, cannot open ${options.path}`);
    if (!d.plugged) throw new Error(`Error: No such device, cannot open ${options.path}`);
    const full = withOpenDefaults(options);
    if (d.port && full.lock) throw new Error('Error Resource temporarily unavailable Cannot lock port');
    d.port?.unplugged();
    const port = new SimPort(d, full);
    d.port = port;
    d.board.serial.setHostBaud(full.baudRate);
    setDtr(d, true);
    return port;
  }

  private device(path: string): Device {
    const d = this.devices.get(path);
    if (!d) throw new Error(`${path} is not attached`);
    return d;
  }
}
