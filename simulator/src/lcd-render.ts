// Pixel-accurate SVG of the LCD glass: every character is its 5x8 dot matrix
// (A00 ROM from font-a00.ts, custom characters from CGRAM), with the gaps
// between dots and between cells, in backlit or unlit colours.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { romGlyph } from './font-a00.ts';
import { cgramGlyph, type HD44780 } from './hd44780.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ARTIFACT_DIR = join(ROOT, 'build', 'test-artifacts');

export interface LcdColors {
  bezel: string;
  glass: string;
  /** Dots that are off still show faintly on STN glass. */
  dotOff: string;
  dotOn: string;
}

export interface RenderOptions {
  /** Size of one dot, in SVG units. */
  dot: number;
  /** Gap between dots inside a character. */
  dotGap: number;
  /** Gap between characters, in dot pitches (keeps every cell on the dot grid). */
  cellGapDots: number;
  /** Glass padding around the characters. */
  margin: number;
  bezel: number;
  backlit: LcdColors;
  unlit: LcdColors;
  showCursor: boolean;
  /** Blink phase (true = the all-dots block is shown); default from the clock at 409.6 ms x 250 kHz / f_osc. */
  blinkPhase?: boolean;
}

export const renderDefaults: RenderOptions = {
  dot: 3,
  dotGap: 1,
  cellGapDots: 1,
  margin: 12,
  bezel: 8,
  backlit: { bezel: '#2b2b2b', glass: '#9cc43a', dotOff: '#8fb734', dotOn: '#1f2d10' },
  unlit: { bezel: '#2b2b2b', glass: '#5d6a3c', dotOff: '#586437', dotOn: '#1f2614' },
  showCursor: true,
};

const CELL_W = 5;
const CELL_H = 8;
const CURSOR_ROW = 7;
const BLINK_MS_AT_250K = 409.6;

/** The 8 row bytes (bit 4 = leftmost) a character code shows: CGRAM for 0x00-0x0F, the A00 ROM otherwise. */
export function glyphFor(lcd: HD44780, code: number): number[] {
  return code < 0x10 ? cgramGlyph(lcd, code) : romGlyph(code);
}

export function renderSvg(lcd: HD44780, opts: Partial<RenderOptions> = {}): string {
  const o = { ...renderDefaults, ...opts };
  const colors = lcd.backlight ? o.backlit : o.unlit;
  const { columns, rows } = lcd.config;
  const pitch = o.dot + o.dotGap;
  const cellW = CELL_W * pitch - o.dotGap;
  const cellH = CELL_H * pitch - o.dotGap;
  const stepX = (CELL_W + o.cellGapDots) * pitch;
  const stepY = (CELL_H + o.cellGapDots) * pitch;
  const glassW = (columns - 1) * stepX + cellW + 2 * o.margin;
  const glassH = (rows - 1) * stepY + cellH + 2 * o.margin;
  const width = glassW + 2 * o.bezel;
  const height = glassH + 2 * o.bezel;
  const cursor = o.showCursor && lcd.displayOn && (lcd.cursorOn || lcd.blinkOn) ? lcd.cursorCell() : null;
  const blinkPhase = o.blinkPhase ?? defaultBlinkPhase(lcd);

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<title>${escapeXml(lcd.text().join('\n'))}</title>`,
    `<defs><pattern id="dots" width="${pitch}" height="${pitch}" patternUnits="userSpaceOnUse" x="${o.bezel + o.margin}" y="${o.bezel + o.margin}">` +
      `<rect width="${o.dot}" height="${o.dot}" fill="${colors.dotOff}"/></pattern></defs>`,
    `<rect class="bezel" width="${width}" height="${height}" rx="6" fill="${colors.bezel}"/>`,
    `<rect class="glass" x="${o.bezel}" y="${o.bezel}" width="${glassW}" height="${glassH}" fill="${colors.glass}"/>`,
  ];
  for (let r = 0; r < rows; r++) {
    const codes = lcd.codes(r);
    for (let c = 0; c < columns; c++) {
      const x0 = o.bezel + o.margin + c * stepX;
      const y0 = o.bezel + o.margin + r * stepY;
      const code = codes[c]!;
      const bits = lcd.displayOn ? glyphFor(lcd, code) : new Array<number>(CELL_H).fill(0);
      if (cursor && cursor.row === r && cursor.col === c) {
        if (lcd.cursorOn) bits[CURSOR_ROW] = 0x1f;
        if (lcd.blinkOn && blinkPhase) bits.fill(0x1f);
      }
      let d = '';
      for (let y = 0; y < CELL_H; y++) {
        for (let x = 0; x < CELL_W; x++) {
          if (bits[y]! & (0x10 >> x)) d += `M${x0 + x * pitch} ${y0 + y * pitch}h${o.dot}v${o.dot}h-${o.dot}z`;
        }
      }
      out.push(
        `<g class="cell" data-row="${r}" data-col="${c}" data-code="${code}">` +
          `<rect x="${x0}" y="${y0}" width="${cellW}" height="${cellH}" fill="url(#dots)"/>` +
          (d ? `<path fill="${colors.dotOn}" d="${d}"/>` : '') +
          '</g>',
      );
    }
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function defaultBlinkPhase(lcd: HD44780): boolean {
  const periodCycles = (BLINK_MS_AT_250K / 1000) * (250_000 / lcd.config.oscHz) * lcd.config.cpuHz;
  return Math.floor(lcd.clock.cycles / periodCycles) % 2 === 0;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * Writes renderSvg(lcd) to a file and returns its path. A relative name goes under
 * build/test-artifacts/ (e.g. a test attaches the glass on failure); '.svg' is added if missing.
 */
export function saveLcdImage(lcd: HD44780, name: string, opts?: Partial<RenderOptions>): string {
  const file = isAbsolute(name) ? name : join(ARTIFACT_DIR, name.endsWith('.svg') ? name : `${name}.svg`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, renderSvg(lcd, opts));
  return file;
}
