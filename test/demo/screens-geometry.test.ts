// docs/screens.md's pictures of every LCD size are what demo/screens-geometry.ts renders
// from the firmware today (regenerate with npx tsx demo/screens-geometry.ts --out docs).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { SIZES, renderScreens } from '../../demo/screens-geometry.ts';

test("docs/screens-<size>.svg are the firmware's network-mode screens as rendered now", async () => {
  const svgs = await renderScreens();
  SIZES.forEach((size, i) => {
    const committed = readFileSync(new URL(`../../docs/screens-${size}.svg`, import.meta.url), 'utf8');
    assert.equal(committed, svgs[i], `docs/screens-${size}.svg is out of date`);
  });
});
