// LCDproc mode across the Uno's auto-reset: opening the port resets the board
// and LCDd sends its whole initialisation (the clear included) within ~25 ms,
// while the board is still starting, so those bytes are lost. LCDd's hd44780
// driver then only sends the cells that differ from what it believes the glass
// shows (blank after its clear). The glass must end up as LCDd's model anyway.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootHostMode, reply, row } from '../support/boot.ts';

const I = (b: number) => [0xfe, b];
const LCDD_INIT = [...I(0x38), ...I(0x0c), ...I(0x01), ...I(0x06), ...I(0x02)];

/** LCDd's view of the display and the bytes its flush sends for a new frame. */
class LcddModel {
  shown = [' '.repeat(16), ' '.repeat(16)]; // after its clear

  // As hd44780's flush: per row, a set-address before each run of changed
  // cells, then the changed characters; unchanged cells are not sent.
  flush(frame: string[]): number[] {
    const out: number[] = [];
    for (let r = 0; r < 2; r++) {
      const want = frame[r].padEnd(16, ' ');
      let inRun = false;
      for (let c = 0; c < 16; c++) {
        if (want[c] === this.shown[r][c]) {
          inRun = false;
          continue;
        }
        if (!inRun) out.push(...I(0x80 | (r * 0x40 + c)));
        out.push(want.charCodeAt(c));
        inRun = true;
      }
      this.shown[r] = want;
    }
    return out;
  }
}

test('LCDd after the auto-reset: its lost init and diff-only frames still leave the glass as LCDd sees it', async () => {
  const h = await bootHostMode();
  assert.equal(reply(await h.command('C SET mode lcdproc')), 'OK');
  // A previous LCDd session left text on the glass.
  h.write([...LCDD_INIT, ...new LcddModel().flush(['old session', 'was here    LCDd'])]);
  await h.board.run(30);
  assert.deepEqual(h.codes(), [row('old session'), row('was here    LCDd')]);

  // LCDd opens the port: the board resets at its first byte, and everything
  // LCDd sends while it is in reset (the 65 ms start-up delay of the Uno's fuses)
  // and in the firmware's first 60 ms (its init, clear included) is lost.
  h.board.resetExternal();
  const lcdd = new LcddModel();
  await h.board.runUntil(() => h.board.millis >= h.board.startMillis + 60, 500, "the firmware's first 60 ms");
  // Its frames from then on arrive intact, each only the cells that changed.
  for (const frame of [
    ['line one', 'line two'],
    ['line one', 'line two  x'],
    ['Up 3d 12:04', 'line two'],
  ]) {
    h.write(lcdd.flush(frame));
    await h.board.run(200);
    assert.deepEqual(h.codes(), [row(lcdd.shown[0]), row(lcdd.shown[1])], `frame ${JSON.stringify(frame)}`);
  }
  assert.deepEqual(h.board.lcd.violations, []);
  await h.close();
});
