// Shared set-up for the network-mode simulator tests: the product firmware on
// a Board with the W5100 model, configured over the serial protocol, with the
// PMWEBAPI server mapped to 192.168.7.2:44322 on the simulated LAN.
import { join } from 'node:path';
import { ROOT, buildFirmware } from '../../scripts/avr-build.ts';
import { Board } from '../../simulator/src/board.ts';
import { W5100 } from '../../simulator/src/w5100.ts';
import type { Faults } from '../../simulator/src/netmap.ts';

export const SRV_IP = '192.168.7.2';
export const SRV_PORT = 44322;

export interface NetBoard {
  board: Board; chip: W5100; out: () => string;
  /** The LCD as text, glyphs as ①..⑧, rows joined by '|'. */
  lcd: () => string;
  /** Runs until pred() holds, checking every `stepMs` simulated ms, calling tick() first each step. */
  until: (pred: () => boolean, ms: number, what: string, tick?: () => void, stepMs?: number) => Promise<void>;
  command: (line: string) => Promise<void>;
  dispose: () => void;
}

/** The product firmware, built under its own name so parallel builds of build/pmlcd do not collide. */
export function netFirmware() {
  return buildFirmware({ name: 'pmlcd-nettest', srcDir: join(ROOT, 'firmware/src'), quiet: true });
}

export interface BootOptions {
  port?: number; settings?: Record<string, string>; faults?: Faults; map?: boolean;
  /** No Ethernet shield on the board at all. */
  noChip?: boolean;
  /** Adjusts the chip (DHCP mode, link) before network mode starts. */
  setup?: (chip: W5100) => void;
  /** Wires another part to the board before it boots (e.g. a scripted SPI device in place of the W5100). */
  attach?: (board: Board) => void;
}

export async function bootNet(opts: BootOptions = {}): Promise<NetBoard> {
  const fw = await netFirmware();
  const board = new Board({ firmware: fw.hex });
  opts.attach?.(board);
  const chip = opts.noChip ? undefined as unknown as W5100 : new W5100(board);
  if (chip) opts.setup?.(chip);
  if (chip && opts.map !== false && opts.port) chip.map(SRV_IP, SRV_PORT, '127.0.0.1', opts.port, opts.faults);
  let out = '';
  board.serial.onByte((b) => { out += String.fromCharCode(b); });
  const lcd = () => board.lcd.text().join('|');
  const until = async (pred: () => boolean, ms: number, what: string, tick?: () => void, stepMs = 50) => {
    const end = board.millis + ms;
    while (!pred()) {
      if (board.millis >= end) throw new Error(`timed out after ${ms} simulated ms waiting for ${what}; LCD "${lcd()}"`);
      tick?.();
      await board.run(stepMs);
    }
  };
  const command = async (line: string) => {
    const from = out.length;
    board.serial.write(Buffer.from(line + '\n', 'latin1'));
    await until(() => /\n(OK|ERR)[^\n]*\n/.test('\n' + out.slice(from)), 1000, `reply to ${line}`);
    const reply = out.slice(from);
    if (!reply.includes('OK')) throw new Error(`${line}: ${reply}`);
  };
  await until(() => out.includes('PMLCD 1'), 3000, 'banner');
  const settings = { 'srv.ip': SRV_IP, 'srv.port': String(SRV_PORT), iface: 'eth0', 'm.latinst': 'lo', poll: '2', ...opts.settings };
  for (const [k, v] of Object.entries(settings)) await command(`C SET ${k} ${v}`);
  await command('M net');
  return { board, chip, out: () => out, lcd, until, command, dispose: () => chip?.dispose() };
}

/** A fake PMWEBAPI server whose sample clock follows the board's simulated time
 * (a frozen clock gives no rates): call the returned tick() between runs. */
export function followSimClock(fake: { state: { timestamp: { sec: number; nsec: number } } }, board: { millis: number }): () => void {
  let last = board.millis;
  return () => {
    const ms = Math.floor(board.millis - last);
    if (ms <= 0) return;
    last += ms;
    const ns = fake.state.timestamp.nsec + ms * 1e6;
    fake.state.timestamp = { sec: fake.state.timestamp.sec + Math.floor(ns / 1e9), nsec: ns % 1e9 };
  };
}
