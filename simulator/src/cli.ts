// pmlcd-sim: runs a firmware on the simulated board in the terminal, with the
// LCD drawn live at the top and the serial console below (stdin lines go to
// the board).
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { Board } from './board.ts';
import { LiveLcd } from './terminal.ts';

const USAGE = `usage: pmlcd-sim [options] <firmware.hex|firmware.elf>

Runs the firmware on a simulated Arduino Uno with the pmlcd LCD wiring.
The LCD is drawn at the top; board serial output (115200 baud) is printed
below it and each line typed on stdin is sent to the board.

options:
  --eeprom FILE   keep the EEPROM contents in FILE (created when missing)
  --speed 1|max   1 = real time (default), max = as fast as possible
  --help          show this help
`;

export async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: {
      eeprom: { type: 'string' }, speed: { type: 'string', default: '1' }, help: { type: 'boolean' },
    } });
  } catch (e) {
    process.stderr.write(`pmlcd-sim: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.values.help) { process.stdout.write(USAGE); return 0; }
  if (args.positionals.length !== 1) { process.stderr.write(USAGE); return 2; }
  const speedArg = args.values.speed;
  if (speedArg !== '1' && speedArg !== 'max') {
    process.stderr.write(`pmlcd-sim: --speed must be 1 or max, not "${speedArg}"\n`);
    return 2;
  }

  let board: Board;
  try {
    board = new Board({ firmware: args.positionals[0], eepromFile: args.values.eeprom });
  } catch (e) {
    process.stderr.write(`pmlcd-sim: ${(e as Error).message}\n`);
    return 1;
  }

  const live = new LiveLcd(board.lcd);
  live.begin();
  const out = (s: string) => process.stdout.write(s);
  board.serial.onByte((b) => out(b === 13 ? '' : String.fromCharCode(b)));
  board.on('reset', (cause) => out(`\n[sim] reset (${cause})\n`));
  board.on('halt', ({ pc }) => out(`\n[sim] CPU halted (SLEEP with interrupts off) at PC 0x${pc.toString(16)}\n`));
  board.on('warning', (m) => out(`\n[sim] ${m}\n`));

  const done = new Promise<number>((resolve) => {
    board.on('fault', (e) => { out(`\n[sim] fault: ${e.message}\n`); resolve(1); });
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (line) => board.serial.write(Buffer.from(`${line}\n`, 'latin1')));
    rl.on('close', () => { if (!process.stdin.isTTY) return; resolve(0); });
    process.once('SIGINT', () => { rl.close(); resolve(0); });
  });
  board.start(speedArg === 'max' ? 'max' : 1);
  const code = await done;
  await board.stop();
  board.saveEeprom();
  live.end();
  return code;
}

process.exitCode = await main(process.argv.slice(2));
process.exit();
