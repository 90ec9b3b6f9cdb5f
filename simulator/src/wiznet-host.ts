// How a WIZnet chip model sits on the board: its chip select on PORTB, its
// bytes on the AVR's SPI, its timers on the CPU clock and its reset line on
// the board's RESET. The W5100 and W5500 models each keep one WiznetPort; the
// chips differ only in what a byte means (their SPI frames and registers).
import type { AVRIOPort, AVRSPI, CPU } from 'avr8js';
import { PinState } from 'avr8js';
import { bridgeTiming, type BridgeTiming } from './wiznet-chip.ts';

export interface WiznetConfig extends BridgeTiming {
  /** Chip select bit in PORTB (D10 = PB2), active low. */
  csBit: number;
  clockHz: number;
}

export const wiznetConfig: WiznetConfig = { csBit: 2, clockHz: 16e6, ...bridgeTiming };

/** The board parts a chip is wired to (a Board or a bare avr8js harness). */
export interface WiznetHost {
  cpu: CPU;
  spi: AVRSPI;
  portB: AVRIOPort;
  /** Pauses simulated time until the returned function is called. */
  hold?: (reason: string) => () => void;
  /** The board's pin map: ETH_CS, if present, overrides config.csBit (it must be on PORTB). */
  pins?: ReadonlyMap<string, { port: string; bit: number }>;
  /** Board resets ('power' | 'external' | 'watchdog'); the board drops pending clock events on each. */
  on?: (event: 'reset', listener: (cause: string) => void) => unknown;
}

/** What the port calls on the chip. */
export interface WiznetDevice {
  /** Chip select changed (true: now low, selected). */
  csEdge(low: boolean): void;
  /** One byte clocked in while selected; returns what the chip drives on MISO. */
  spiByte(mosi: number): number;
  /** The chip's reset pin: every register and socket back to its reset value. */
  hardReset(): void;
}

export class WiznetPort {
  private readonly pending = new Set<{ due: number; fire: () => void }>();
  private csLow: boolean;

  constructor(
    readonly host: WiznetHost,
    private readonly config: WiznetConfig,
    name: string,
    device: WiznetDevice,
  ) {
    const { portB, spi, cpu } = host;
    const pin = host.pins?.get('ETH_CS');
    if (pin && pin.port !== 'B')
      throw new Error(`${name} model: ETH_CS must be on PORTB (D8-D13), the pin map puts it on PORT${pin.port}`);
    const csBit = pin?.bit ?? config.csBit;
    this.csLow = portB.pinState(csBit) === PinState.Low;
    portB.addListener(() => {
      const low = portB.pinState(csBit) === PinState.Low;
      if (low !== this.csLow) {
        this.csLow = low;
        device.csEdge(low);
      }
    });
    const next = spi.onByte;
    spi.onByte = (mosi) => {
      if (!this.csLow) {
        next(mosi);
        return;
      }
      const miso = device.spiByte(mosi);
      cpu.addClockEvent(() => spi.completeTransfer(miso), spi.transferCycles);
    };
    // The shield's reset line follows the Uno's RESET pin (power-on and
    // external resets); a watchdog reset only restarts the AVR, so the chip
    // keeps going and its pending events (which the board dropped) are re-armed.
    host.on?.('reset', (cause) => {
      if (cause !== 'watchdog') {
        device.hardReset();
        return;
      }
      for (const ev of this.pending) cpu.addClockEvent(ev.fire, Math.max(1, ev.due - cpu.cycles));
    });
  }

  /** A clock event us of simulated time from now; kept so a watchdog reset can re-arm it. */
  schedule(us: number, fn: () => void): void {
    const cpu = this.host.cpu;
    const cycles = Math.max(1, Math.round((us * this.config.clockHz) / 1e6));
    const ev = {
      due: cpu.cycles + cycles,
      fire: () => {
        this.pending.delete(ev);
        fn();
      },
    };
    this.pending.add(ev);
    cpu.addClockEvent(ev.fire, cycles);
  }

  /** A chip reset: scheduled events are no longer re-armed (the sockets' own guards make any that still fire no-ops). */
  clear(): void {
    this.pending.clear();
  }

  hold(reason: string): (() => void) | undefined {
    return this.host.hold?.(reason);
  }
}
