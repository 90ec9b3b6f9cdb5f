// Draws the LCD glass in a terminal: a box around the HD44780's visible text,
// redrawn in place with ANSI escapes when it changes (at most `fps` per second).
// Shared by the simulator CLI and the host demo.
import type { HD44780 } from './hd44780.ts';

/** Box-drawn lines of the display; a dark backlight is shown by dimming the glass. */
export function drawLcd(lcd: HD44780): string[] {
  const rows = lcd.text();
  const width = Math.max(...rows.map((r) => [...r].length));
  const bar = '─'.repeat(width + 2);
  const label = lcd.backlight ? '' : ' (backlight off)';
  return [`┌${bar}┐${label}`, ...rows.map((r) => `│ ${r} │`), `└${bar}┘`];
}

const ESC = '\x1b[';

export interface LiveLcdOptions {
  fps?: number;
  write?: (s: string) => void;
}

/** Keeps the LCD drawn at the top of the terminal; other output scrolls below it. */
export class LiveLcd {
  private readonly minGapMs: number;
  private readonly write: (s: string) => void;
  private lastDraw = 0;
  private timer: NodeJS.Timeout | null = null;
  private lastFrame = '';
  private height = 0;

  constructor(
    private readonly lcd: HD44780,
    opts: LiveLcdOptions = {},
  ) {
    this.minGapMs = 1000 / (opts.fps ?? 20);
    this.write = opts.write ?? ((s) => process.stdout.write(s));
    lcd.onChange = () => this.schedule();
  }

  /** Clears the screen, reserves the top lines for the LCD and makes the rest a scroll region. */
  begin(): void {
    const lines = drawLcd(this.lcd);
    this.height = lines.length + 1;
    this.write(`${ESC}2J${ESC}${this.height + 1};r${ESC}${this.height + 1};1H`);
    this.draw();
  }

  /** Redraws now if the picture changed. */
  draw(): void {
    this.lastDraw = performance.now();
    const frame = drawLcd(this.lcd).join('\n');
    if (frame === this.lastFrame) return;
    this.lastFrame = frame;
    const lines = frame.split('\n');
    // Save cursor, draw at the top, restore: the console output below is untouched.
    this.write(`${ESC}s${lines.map((l, i) => `${ESC}${i + 1};1H${ESC}2K${l}`).join('')}${ESC}u`);
  }

  /** Restores the whole screen as scroll region. */
  end(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.lcd.onChange = null;
    this.write(`${ESC}r${ESC}999;1H\n`);
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastDraw + this.minGapMs - performance.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.draw();
    }, wait);
  }
}
