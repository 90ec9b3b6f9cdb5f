#include "display.h"
#include <avr/pgmspace.h>
#include <string.h>
#include "config.h"
#include "glyphs.h"
#include "lcd.h"

constexpr uint8_t NO_CURSOR = 0xFF;
constexpr uint8_t CGRAM_CODES = 16;  // codes 8-15 mirror the 8 glyphs

static uint8_t shadow[DISPLAY_MAX_CELLS];  // what the owner wants shown
static uint8_t glass[DISPLAY_MAX_CELLS];   // what the LCD shows
static uint8_t size, cols = DISPLAY_COLS, rows = DISPLAY_ROWS, cells = DISPLAY_CELLS;
static bool heartbeatOn;
static uint8_t cursor;               // DDRAM address counter, NO_CURSOR if unknown
static const uint8_t *loadedGlyphs;  // set in CGRAM, nullptr after raw glyph writes
static const uint8_t *pendingGlyphs;

uint8_t displaySize() { return size; }
uint8_t displayCols() { return cols; }
uint8_t displayRows() { return rows; }
uint8_t displayCellCount() { return cells; }
uint8_t *displayShadow() { return shadow; }

static uint8_t wanted(uint8_t i) {
  uint8_t c = shadow[i];
  if (c == DISPLAY_HEART) return heartbeatOn ? GLYPH_HEART : ' ';
  return c;
}

// Rows 2 and 3 of a 4-row LCD continue rows 0 and 1 in DDRAM: 0x00, 0x40, cols, 0x40 + cols.
static void put(uint8_t i, uint8_t code) {
  uint8_t row = i / cols, addr = i - row * cols;
  if (row & 1) addr += LCD_ROW2_ADDR;
  if (row & 2) addr += cols;
  if (addr != cursor) lcdCommand(LCD_SET_DDRAM | addr);
  lcdData(code);
  glass[i] = code;
  cursor = addr + 1;
}

static void writeGlyphs(const uint8_t *set) {
  // Settle first: a changing cell that shows a glyph gets its new code now,
  // or a blank if the new code is a glyph too.
  for (uint8_t i = 0; i < cells; i++) {
    uint8_t w = wanted(i);
    if (glass[i] < CGRAM_CODES && w != glass[i]) put(i, w < CGRAM_CODES ? ' ' : w);
  }
  lcdCommand(LCD_SET_CGRAM);
  for (uint8_t k = 0; k < GLYPH_SET_BYTES; k++) lcdData(pgm_read_byte(set + k));
  cursor = NO_CURSOR;  // data would keep going to CGRAM until a DDRAM address is set
  loadedGlyphs = set;
}

void displayFlush() {
  if (pendingGlyphs) {
    writeGlyphs(pendingGlyphs);
    pendingGlyphs = nullptr;
  }
  for (uint8_t i = 0; i < cells; i++) {
    uint8_t w = wanted(i);
    if (w != glass[i]) put(i, w);
  }
}

void displayLoadGlyphs(const uint8_t *setInFlash) {
  pendingGlyphs = setInFlash == loadedGlyphs ? nullptr : setInFlash;
}

// A flash string as n cells, padded with spaces.
static void rowFromFlash(uint8_t *row, const char *text) {
  for (uint8_t i = 0; i < DISPLAY_COLS; i++) {
    uint8_t c = pgm_read_byte(text);
    if (c)
      text++;
    else
      c = ' ';
    row[i] = c;
  }
}

void displayFrameP(const char *line1, const char *line2) {
  memset(shadow, ' ', cells);
  rowFromFlash(shadow, line1);
  rowFromFlash(shadow + cols, line2);
  displayFlush();
}

void displayCells(uint8_t first, const uint8_t *codes, uint8_t n) {
  memcpy(shadow + first, codes, n);
  displayFlush();
}

void displayDefineGlyph(uint8_t n, const uint8_t rows[8]) {
  lcdCommand(LCD_SET_CGRAM | (n << 3));
  for (uint8_t k = 0; k < 8; k++) lcdData(rows[k]);
  cursor = NO_CURSOR;
  loadedGlyphs = nullptr;
}

void displayTransient(const uint8_t codes[DISPLAY_CELLS]) {
  for (uint8_t i = 0, r = 0, c = 0; i < cells; i++) {
    uint8_t code = r < DISPLAY_ROWS && c < DISPLAY_COLS ? codes[r * DISPLAY_COLS + c] : ' ';
    if (code != glass[i]) put(i, code);
    if (++c == cols) {
      c = 0;
      r++;
    }
  }
}

void displayHeartbeat(bool on) {
  if (on == heartbeatOn) return;
  heartbeatOn = on;
  if (memchr(shadow, DISPLAY_HEART, cells)) displayFlush();
}

void displayReinit() {
  lcdBegin();
  memset(glass, ' ', sizeof glass);  // cleared by lcdBegin
  cursor = 0;
  loadedGlyphs = nullptr;
  if (!pendingGlyphs) pendingGlyphs = GLYPHS_MAIN;
  displayFlush();
}

void displayBegin() {
  // LcdSize order: 16x2, 20x2, 16x4, 20x4.
  size = cfg.lcdSize;
  cols = size & 1 ? DISPLAY_MAX_COLS : DISPLAY_COLS;
  rows = size & 2 ? DISPLAY_MAX_ROWS : DISPLAY_ROWS;
  cells = cols * rows;
  memset(shadow, ' ', sizeof shadow);
  pendingGlyphs = GLYPHS_MAIN;
  displayReinit();
}
