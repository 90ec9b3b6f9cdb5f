// What exists in both the firmware (C++) and the bridge (TypeScript) outside the
// shared vectors: the "main" glyph set, the glyph codes and the shared timing
// numbers. Each is read from the C++ source, the TypeScript and the table in
// docs/screens.md, so no copy can drift from the others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { firmwareDefines, parseDefines } from '../support/firmware-source.ts';
import { findProjectRoot } from '../../host/src/project-root.ts';
import { MAIN_GLYPHS } from '../../host/src/glyphs.ts';
import { FULL_BLOCK, GLYPH_DOWN, GLYPH_UP, STALE_POLLS } from '../../host/src/format.ts';
import { LATENCY_RETRY_POLLS } from '../../host/src/source.ts';
import { ALERT_ALTERNATE_MS } from '../../host/src/screens.ts';

const ROOT = findProjectRoot(import.meta.dirname);
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const screensMd = read('docs/screens.md');
const int = (v: string | undefined, what: string) => {
  assert.ok(v !== undefined, `${what} not found`);
  return Number(v.replace(/[uUlL]+$/, ''));
};

/** The glyph table of docs/screens.md: code -> 8 rows. */
function docsGlyphs(): number[][] {
  const section = screensMd.split('## Glyph set "main"')[1]?.split('\n## ')[0] ?? '';
  const rows = [...section.matchAll(/^\| (\d) \| [^|]+ \| `([0-9A-Fa-f ]+)` \|$/gm)];
  assert.equal(rows.length, 8, 'eight glyph rows in docs/screens.md');
  for (const [i, r] of rows.entries()) assert.equal(Number(r[1]), i, 'codes 0-7 in order');
  return rows.map((r) =>
    r[2]
      .trim()
      .split(/\s+/)
      .map((h) => parseInt(h, 16)),
  );
}

/** GLYPHS_MAIN of firmware/src/glyphs.cpp, 8 rows per glyph. */
function firmwareGlyphs(): number[][] {
  const body = /GLYPHS_MAIN\[[^\]]*\]\s*PROGMEM\s*=\s*\{([^}]*)\}/.exec(read('firmware/src/glyphs.cpp'))?.[1];
  assert.ok(body, 'GLYPHS_MAIN in firmware/src/glyphs.cpp');
  const bytes = [...body.replace(/\/\/[^\n]*/g, '').matchAll(/0x([0-9A-Fa-f]{2})/g)].map((m) => parseInt(m[1], 16));
  assert.equal(bytes.length, 64);
  return Array.from({ length: 8 }, (_g, i) => bytes.slice(i * 8, i * 8 + 8));
}

test('glyph set "main": firmware, bridge and docs/screens.md are the same', () => {
  const docs = docsGlyphs();
  assert.deepEqual(firmwareGlyphs(), docs, 'firmware/src/glyphs.cpp');
  assert.deepEqual(
    MAIN_GLYPHS.rows.map((r) => [...r]),
    docs,
    'host/src/glyphs.ts',
  );
});

test('glyph codes: both firmware headers and the bridge', () => {
  const host = {
    GLYPH_DOWN: GLYPH_DOWN.charCodeAt(0),
    GLYPH_UP: GLYPH_UP.charCodeAt(0),
    GLYPH_FULL: FULL_BLOCK.charCodeAt(0),
  };
  for (const header of ['glyphs.h', 'net/screen_format.h']) {
    const d = firmwareDefines(header);
    assert.equal(int(d.get('GLYPH_DOWN'), `GLYPH_DOWN in ${header}`), host.GLYPH_DOWN, header);
    assert.equal(int(d.get('GLYPH_UP'), `GLYPH_UP in ${header}`), host.GLYPH_UP, header);
    assert.equal(
      int(d.get('GLYPH_BAR1'), `GLYPH_BAR1 in ${header}`),
      2,
      `${header}: bars of 1-4 columns are glyphs 2-5 (docs/screens.md)`,
    );
  }
  assert.equal(int(firmwareDefines('net/screen_format.h').get('GLYPH_FULL'), 'GLYPH_FULL'), host.GLYPH_FULL);
});

/** A value of the "Numbers both implementations share" table of docs/screens.md. */
function docsNumber(startsWith: string): number {
  const section = screensMd.split('## Numbers both implementations share')[1] ?? '';
  const row = section.split('\n').find((l) => l.startsWith(`| ${startsWith}`));
  assert.ok(row, `docs/screens.md row "${startsWith}"`);
  return Number(/\| (\d+) \|$/.exec(row)?.[1]);
}

test('stale limit and gap limit (poll intervals)', () => {
  const fw = int(firmwareDefines('net/screen_format.h').get('STALE_POLLS'), 'STALE_POLLS in screen_format.h');
  const docs = docsNumber('values are stale after');
  assert.equal(fw, docs, 'firmware');
  assert.equal(STALE_POLLS, docs, 'bridge');
  assert.match(screensMd, new RegExp(`older than ${docs} poll intervals`), 'the stale rule in words');
  assert.match(read('docs/rates.md'), new RegExp(`\`STALE_POLLS\` \\(${docs}\\)`), 'docs/rates.md');
});

test('stale values and the reason or alert take turns at the same pace', () => {
  const fw = int(
    parseDefines(read('firmware/src/net/netmode.cpp')).get('REASON_EVERY_MS'),
    'REASON_EVERY_MS in netmode.cpp',
  );
  const docs = docsNumber('stale values and the reason');
  assert.equal(fw, docs, 'firmware');
  assert.equal(ALERT_ALTERNATE_MS, docs, 'bridge');
  assert.match(screensMd, new RegExp(`alternates line 2 every ${docs / 1000} s`), 'in words');
});

test('a missing latency instance is looked up again after the same number of polls', () => {
  const fw = int(
    parseDefines(read('firmware/src/net/netmode.cpp')).get('LAT_RETRY_POLLS'),
    'LAT_RETRY_POLLS in netmode.cpp',
  );
  const docs = docsNumber('a latency instance');
  assert.equal(fw, docs, 'firmware');
  assert.equal(LATENCY_RETRY_POLLS, docs, 'bridge');
});
