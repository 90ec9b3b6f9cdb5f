import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { HD44780, LCD_GEOMETRIES, lcdGeometry } from './hd44780.ts';
import { FakeClock, LcdBus } from './hd44780-bus.ts';
import { A00_FONT, romGlyph } from './font-a00.ts';
import { renderSvg, renderDefaults, saveLcdImage, glyphFor, ARTIFACT_DIR } from './lcd-render.ts';

function ready() {
  const clock = new FakeClock();
  const lcd = new HD44780(clock);
  const bus = new LcdBus(lcd, clock);
  bus.init();
  return { lcd, bus };
}

/** Each cell's lit dots as [x, y] pairs, keyed "row,col". */
function litDots(svg: string): Map<string, [number, number][]> {
  const cells = new Map<string, [number, number][]>();
  for (const m of svg.matchAll(/<g class="cell" data-row="(\d+)" data-col="(\d+)"[^>]*>(.*?)<\/g>/g)) {
    const dots = [...m[3]!.matchAll(/M(\d+) (\d+)h/g)].map((d) => [Number(d[1]), Number(d[2])] as [number, number]);
    cells.set(`${m[1]},${m[2]}`, dots);
  }
  return cells;
}

function popcount(rows: number[]): number {
  return rows.reduce((n, r) => n + [...r.toString(2)].filter((b) => b === '1').length, 0);
}

test('A00 font: printable ASCII all drawn, no-glyph codes blank, rows use 5 bits', () => {
  for (let c = 0x21; c < 0x80; c++) assert.ok(popcount(romGlyph(c)) > 0, `0x${c.toString(16)} has pixels`);
  for (let c = 0xa1; c < 0x100; c++)
    if (c !== 0xfe) assert.ok(popcount(romGlyph(c)) > 0, `0x${c.toString(16)} has pixels`);
  for (const c of [0x10, 0x1f, 0x80, 0x9f, 0xa0, 0xfe, 0x20]) assert.equal(popcount(romGlyph(c)), 0);
  assert.ok(A00_FONT.every((r) => r < 0x20));
  assert.deepEqual(romGlyph(0x4c), [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1f, 0], "'L': bit 4 is the leftmost pixel");
  assert.equal(popcount(romGlyph(0xff)), 40);
});

test('renderSvg draws 16x2 cells with the codes and the ROM dots of each', () => {
  const { lcd, bus } = ready();
  bus.print('AB');
  const svg = renderSvg(lcd);
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  const cells = litDots(svg);
  assert.equal(cells.size, 32);
  assert.match(svg, /data-row="0" data-col="1" data-code="66"/);
  assert.equal(cells.get('0,0')!.length, popcount(romGlyph(0x41)));
  assert.equal(cells.get('0,1')!.length, popcount(romGlyph(0x42)));
  assert.equal(cells.get('1,15')!.length, 0);
});

test('renderSvg shows CGRAM pixels at their exact dot positions', () => {
  const { lcd, bus } = ready();
  bus.defineGlyph(5, [0x10, 0, 0x01, 0, 0, 0, 0, 0x04]); // top-left, row 2 rightmost, row 7 centre
  bus.command(0xc0 | 3);
  bus.print([5]);
  const { dot, dotGap, bezel, margin, cellGapDots } = renderDefaults;
  const pitch = dot + dotGap;
  const x0 = bezel + margin + 3 * (5 + cellGapDots) * pitch;
  const y0 = bezel + margin + 1 * (8 + cellGapDots) * pitch;
  assert.deepEqual(litDots(renderSvg(lcd)).get('1,3'), [
    [x0, y0],
    [x0 + 4 * pitch, y0 + 2 * pitch],
    [x0 + 2 * pitch, y0 + 7 * pitch],
  ]);
  assert.deepEqual(glyphFor(lcd, 13), [0x10, 0, 0x01, 0, 0, 0, 0, 0x04], 'code 13 mirrors CGRAM glyph 5');
});

test('display off lights nothing; backlight off changes the glass colour; cursor underlines row 7', () => {
  const { lcd, bus } = ready();
  bus.print('Hi');
  const on = renderSvg(lcd);
  assert.ok(on.includes(renderDefaults.backlit.glass));
  lcd.backlight = false;
  const dark = renderSvg(lcd);
  assert.ok(dark.includes(renderDefaults.unlit.glass) && !dark.includes(renderDefaults.backlit.glass));
  bus.command(0x0e); // display on, cursor on: cursor at AC = 0x02
  const withCursor = litDots(renderSvg(lcd));
  assert.equal(withCursor.get('0,2')!.length, 5);
  bus.command(0x0f); // + blink
  assert.equal(litDots(renderSvg(lcd, { blinkPhase: true })).get('0,2')!.length, 40);
  bus.command(0x08);
  assert.ok([...litDots(renderSvg(lcd)).values()].every((d) => d.length === 0));
});

test('saveLcdImage writes the SVG under build/test-artifacts', () => {
  const { lcd, bus } = ready();
  bus.print('saved');
  const file = saveLcdImage(lcd, 'lcd-render-test');
  assert.ok(file.startsWith(ARTIFACT_DIR) && file.endsWith('.svg'));
  assert.ok(existsSync(file));
  assert.equal(readFileSync(file, 'utf8'), renderSvg(lcd));
});

test('renderSvg sizes the glass to every geometry: one cell per character, rows x columns', () => {
  const o = renderDefaults;
  const pitch = o.dot + o.dotGap;
  for (const [name, g] of Object.entries(LCD_GEOMETRIES)) {
    const clock = new FakeClock();
    const lcd = new HD44780(clock, lcdGeometry(name));
    const bus = new LcdBus(lcd, clock);
    bus.init(g.twoLine);
    bus.print('A');
    const svg = renderSvg(lcd);
    const w = (g.columns - 1) * 6 * pitch + (5 * pitch - o.dotGap) + 2 * o.margin + 2 * o.bezel;
    const h = (g.rows - 1) * 9 * pitch + (8 * pitch - o.dotGap) + 2 * o.margin + 2 * o.bezel;
    assert.match(svg, new RegExp(`^<svg [^>]*width="${w}" height="${h}"`), name);
    const cells = litDots(svg);
    assert.equal(cells.size, g.columns * g.rows, name);
    assert.ok(cells.has(`${g.rows - 1},${g.columns - 1}`), `${name}: last cell drawn`);
    assert.equal(cells.get('0,0')!.length, popcount(romGlyph(0x41)), `${name}: 'A' in the first cell`);
  }
});
