// `pmlcd flash`: writes a firmware .hex to the Uno through its bootloader with
// avrdude (-c arduino, the STK500v1 subset Optiboot speaks), after checking the
// file, and turns avrdude's failures into one clear line and an exit code.
//
//   checkHex(path)                 throws HexFileError unless the file is Intel HEX that fits 32,256 B
//   avrdudeArgs(port, hex)         the command line (port: /dev/ttyACM0 or net:HOST:PORT)
//   runAvrdude(args, { stallMs, onOutput })  -> { code, output, stalled }
//   explainAvrdude(run, port, ms)  the one-line reason and whether no board answered, or null
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The Uno's application section: 0x0000-0x7DFF; Optiboot owns 0x7E00 up (boards.txt uno.upload.maximum_size). */
export const UNO_APP_BYTES = 32_256;

export class HexFileError extends Error {}

/** Checks the records (checksums, types) and that nothing lies at or above UNO_APP_BYTES; returns the end address. */
export function checkHex(path: string): { end: number; bytes: number } {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (e) {
    throw new HexFileError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let base = 0,
    end = 0,
    bytes = 0,
    eof = false;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const where = `${path} line ${i + 1}`;
    if (eof) throw new HexFileError(`${where}: data after the end-of-file record`);
    if (!/^:([0-9A-Fa-f]{2}){5,}$/.test(line)) throw new HexFileError(`${where}: not an Intel HEX record`);
    const rec = Buffer.from(line.slice(1), 'hex');
    if (rec.length !== rec[0] + 5) throw new HexFileError(`${where}: record length does not match its byte count`);
    if (rec.reduce((a, b) => (a + b) & 0xff, 0) !== 0) throw new HexFileError(`${where}: bad checksum`);
    const type = rec[3],
      data = rec.subarray(4, 4 + rec[0]);
    if (type === 0) {
      const start = base + ((rec[1] << 8) | rec[2]);
      end = Math.max(end, start + data.length);
      bytes += data.length;
    } else if (type === 1) eof = true;
    else if (type === 2) base = ((data[0] << 8) | data[1]) << 4;
    else if (type === 4) base = ((data[0] << 8) | data[1]) << 16;
    else if (type !== 3 && type !== 5) throw new HexFileError(`${where}: unknown record type ${type}`);
  }
  if (!eof) throw new HexFileError(`${path}: no end-of-file record (truncated?)`);
  if (bytes === 0) throw new HexFileError(`${path}: holds no data`);
  if (end > UNO_APP_BYTES) {
    throw new HexFileError(
      `${path} reaches byte ${end.toLocaleString('en')}: the Uno's application section holds ` +
        `${UNO_APP_BYTES.toLocaleString('en')} B (above it is the bootloader)`,
    );
  }
  return { end, bytes };
}

export function avrdudeArgs(port: string, hex: string): string[] {
  return ['-p', 'atmega328p', '-c', 'arduino', '-P', port, '-b', '115200', '-D', '-U', `flash:w:${hex}:i`];
}

export interface AvrdudeRun {
  code: number;
  output: string;
  stalled: boolean;
}

/**
 * Runs avrdude, passing its output on. avrdude 7.1 never returns when a net: port's
 * connection closes mid-transfer (a read of 0 bytes is retried forever), so a run that
 * prints nothing for stallMs is stopped (avrdude prints at least every ~5.6 s while it
 * retries, and a progress mark every few tens of ms while it writes).
 */
/** How long a stalled avrdude gets to exit after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 2000;

export function runAvrdude(
  args: string[],
  opts: { stallMs: number; onOutput: (s: string) => void; command?: string },
): Promise<AvrdudeRun> {
  return new Promise((resolve, reject) => {
    const p = spawn(opts.command ?? 'avrdude', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '',
      stalled = false;
    let timer = setTimeout(stall, opts.stallMs);
    // A stalled avrdude is asked to stop, then made to: one blocked in a device read may ignore SIGTERM.
    function stall() {
      stalled = true;
      p.kill('SIGTERM');
      setTimeout(() => p.exitCode === null && p.signalCode === null && p.kill('SIGKILL'), KILL_GRACE_MS).unref();
    }
    const take = (d: Buffer) => {
      const s = d.toString('latin1');
      output += s;
      opts.onOutput(s);
      clearTimeout(timer);
      timer = setTimeout(stall, opts.stallMs);
    };
    p.stdout.on('data', take);
    p.stderr.on('data', take);
    p.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output, stalled });
    });
  });
}

/** Why avrdude failed, in one line, and whether no board answered at all (exit 69). */
export interface AvrdudeFailure {
  message: string;
  noBoard: boolean;
}

/** Why avrdude failed, from what it printed (avrdude 7.1 wording), or null when it succeeded. */
export function explainAvrdude(run: AvrdudeRun, port: string, stallMs: number): AvrdudeFailure | null {
  if (run.code === 0 && !run.stalled) return null;
  const noBoard = /cannot connect|can't open device|cannot open port|No such file or directory/i.test(run.output);
  return { message: failureMessage(run, port, stallMs)!, noBoard: noBoard && !run.stalled };
}

function failureMessage(run: AvrdudeRun, port: string, stallMs: number): string | null {
  const out = run.output;
  if (run.stalled)
    return `the board stopped answering on ${port} (unplugged?): nothing from avrdude for ${stallMs / 1000} s, so it was stopped`;
  if (run.code === 0) return null;
  if (/cannot connect: Connection refused/.test(out)) return `no board on ${port}: connection refused`;
  if (/cannot connect|can't open device|cannot open port|No such file or directory/i.test(out))
    return `no board on ${port}: cannot open it`;
  const sig = /expected signature for (\S+) is ([0-9A-F ]+)/.exec(out);
  if (sig) {
    const got = /device signature = (0x[0-9a-f]+)(?: \(probably (\w+)\))?/.exec(out);
    return `wrong chip: the board says ${got ? `${got[1]}${got[2] ? ` (${got[2]})` : ''}` : 'another signature'}, an ${sig[1]} is ${sig[2].trim()}`;
  }
  if (/verification mismatch/.test(out)) return 'the flash does not read back as written (verification mismatch)';
  if (/not in sync|not responding|out of sync/.test(out))
    return `the bootloader on ${port} did not answer (not an Uno, another program holds the port, or it was unplugged)`;
  return `avrdude failed (exit ${run.code})`;
}
