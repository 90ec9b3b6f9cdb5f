// The README's picture: the main screen written without LCD violations, and docs/lcd.svg is
// what the sample renders today (regenerate with npx tsx demo/lcd-sample.ts --sample docs/lcd.svg).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { sampleLcd } from '../../demo/lcd-sample.ts';
import { renderSvg } from '../../simulator/src/lcd-render.ts';

test('the docs sample is the main screen, written without violations', () => {
  const lcd = sampleLcd();
  assert.deepEqual(lcd.text(), ['①12.3M ② 845kbps', '  23ms █████④  ⑦']);
  assert.equal(lcd.violations.length, 0);
});

test('docs/lcd.svg is the sample as rendered now', () => {
  const svg = readFileSync(new URL('../../docs/lcd.svg', import.meta.url), 'utf8');
  assert.equal(svg, renderSvg(sampleLcd()));
});
