import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HD44780, LCD_GEOMETRIES, lcdGeometry } from './hd44780.ts';
import { LiveLcd, drawLcd } from './terminal.ts';

function lcdShowing(text: string) {
  const clock = { cycles: 0 };
  const lcd = new HD44780(clock);
  for (let i = 0; i < text.length; i++) lcd.ddram[i] = text.charCodeAt(i);
  lcd.displayOn = true;
  return lcd;
}

test('drawLcd boxes the visible text', () => {
  const lines = drawLcd(lcdShowing('pmlcd'));
  assert.equal(lines.length, 4);
  assert.equal(lines[0], `┌${'─'.repeat(18)}┐`);
  assert.equal(lines[1], '│ pmlcd            │');
  assert.equal(lines[3], `└${'─'.repeat(18)}┘`);
  const dark = lcdShowing('x');
  dark.backlight = false;
  assert.match(drawLcd(dark)[0], /backlight off/);
});

test('LiveLcd redraws in place only when the picture changed, throttled', async () => {
  const lcd = lcdShowing('one');
  let out = '';
  const live = new LiveLcd(lcd, {
    fps: 50,
    write: (s) => {
      out += s;
    },
  });
  live.begin();
  assert.match(out, /\x1b\[2J/);
  assert.match(out, /│ one/);
  out = '';
  live.draw();
  assert.equal(out, '', 'unchanged picture is not redrawn');
  lcd.ddram[0] = 'O'.charCodeAt(0);
  lcd.onChange?.();
  lcd.onChange?.();
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(out.split('\x1b[s').length - 1, 1, 'two changes, one redraw');
  assert.match(out, /│ One/);
  live.end();
  assert.equal(lcd.onChange, null);
});

test('drawLcd frames every geometry: rows + 2 lines, columns + 4 wide, text in its row', () => {
  for (const name of Object.keys(LCD_GEOMETRIES)) {
    const lcd = new HD44780({ cycles: 0 }, lcdGeometry(name));
    lcd.displayOn = true;
    lcd.twoLine = LCD_GEOMETRIES[name as keyof typeof LCD_GEOMETRIES].twoLine;
    lcd.ddram[lcd.ddramIndex(lcd.cellAddress(lcd.config.rows - 1, 0))] = 0x5a; // 'Z' at the last row's start
    const box = drawLcd(lcd);
    assert.equal(box.length, lcd.config.rows + 2, name);
    assert.ok(
      box.every((l) => [...l].length === lcd.config.columns + 4),
      `${name}: ${JSON.stringify(box)}`,
    );
    assert.equal(box.at(-2), `│ Z${' '.repeat(lcd.config.columns - 1)} │`, name);
  }
});
