// The LCD's rows (16x2, 20x2, 16x4 or 20x4 for pmlcd; any geometry works) drawn with Unicode in a
// terminal, for use without hardware. Custom glyph codes are shown as the symbol the named glyph set defines.
const GLYPH_SYMBOLS: Record<string, string> = {
  main: '▼▲▏▎▍▌♥°',
  spark: '▁▂▃▄▅▆▇█',
};

export function cellSymbol(code: number, glyphSet: string): string {
  if (code < 8) return (GLYPH_SYMBOLS[glyphSet] ?? '01234567')[code];
  if (code === 0xff) return '█';
  if (code === 0x5c) return '¥'; // the A00 ROM has yen where ASCII has backslash
  if (code >= 0x20 && code <= 0x7d) return String.fromCharCode(code);
  return '·';
}

/** Every row of an LCD as character codes, however many rows its geometry has. */
export function lcdRows(lcd: { readonly config: { readonly rows: number }; codes(row: number): number[] }): number[][] {
  return Array.from({ length: lcd.config.rows }, (_x, r) => lcd.codes(r));
}

/** A frame around the LCD rows: rows + 2 lines. */
export function lcdPreview(rows: readonly (readonly number[])[], glyphSet: string, backlight = true): string[] {
  const edge = '─'.repeat(rows[0]?.length ?? 16);
  return [
    `┌${edge}┐${backlight ? '' : ' (backlight off)'}`,
    ...rows.map((r) => `│${r.map((c) => cellSymbol(c, glyphSet)).join('')}│`),
    `└${edge}┘`,
  ];
}
