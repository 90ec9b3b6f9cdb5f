#include "display.h"
#include <avr/pgmspace.h>
#include <string.h>
#include "glyphs.h"
#include "lcd.h"

constexpr uint8_t NO_CURSOR = 0xFF;
constexpr uint8_t CGRAM_CODES = 16;  // codes 8-15 mirror the 8 glyphs

static uint8_t shadow[DISPLAY_CELLS];  // what the owner wants shown
static uint8_t glass[DISPLAY_CELLS];   // what the LCD shows
static uint32_t heartbeatMask;
static bool heartbeatOn;
static uint8_t cursor;               // DDRAM address counter, NO_CURSOR if unknown
static const uint8_t *loadedGlyphs;  // set in CGRAM, nullptr after raw glyph writes
static const uint8_t *pendingGlyphs;

// The code cell i should show; heart is heartbeatMask shifted right by i (the
// loops shift it one step per cell instead of testing a variable 32-bit shift).
static uint8_t wanted(uint8_t i, uint32_t heart) {
  if (heart & 1) return heartbeatOn ? GLYPH_HEART : ' ';
  return shadow[i];
}

static void put(uint8_t i, uint8_t code) {
  uint8_t addr = i < DISPLAY_COLS ? i : LCD_ROW2_ADDR + i - DISPLAY_COLS;
  if (addr != cursor) lcdCommand(LCD_SET_DDRAM | addr);
  lcdData(code);
  glass[i] = code;
  cursor = addr + 1;
}

static void writeGlyphs(const uint8_t *set) {
  // Settle first: a changing cell that shows a glyph gets its new code now,
  // or a blank if the new code is a glyph too.
  uint32_t heart = heartbeatMask;
  for (uint8_t i = 0; i < DISPLAY_CELLS; i++, heart >>= 1) {
    uint8_t w = wanted(i, heart);
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
  uint32_t heart = heartbeatMask;
  for (uint8_t i = 0; i < DISPLAY_CELLS; i++, heart >>= 1) {
    uint8_t w = wanted(i, heart);
    if (w != glass[i]) put(i, w);
  }
}

void displayLoadGlyphs(const uint8_t *setInFlash) {
  pendingGlyphs = setInFlash == loadedGlyphs ? nullptr : setInFlash;
}

void displayFrame(const uint8_t codes[DISPLAY_CELLS], uint32_t heartbeatCells) {
  memcpy(shadow, codes, DISPLAY_CELLS);
  heartbeatMask = heartbeatCells;
  displayFlush();
}

// A flash string as one row, padded with spaces.
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
  uint8_t f[DISPLAY_CELLS];
  rowFromFlash(f, line1);
  rowFromFlash(f + DISPLAY_COLS, line2);
  displayFrame(f);
}

void displayCells(uint8_t first, const uint8_t *codes, uint8_t n, uint32_t heartbeatBits) {
  memcpy(shadow + first, codes, n);
  uint32_t span = (n >= 32 ? 0xFFFFFFFFUL : ((1UL << n) - 1)) << first;
  heartbeatMask = (heartbeatMask & ~span) | (heartbeatBits << first);
  displayFlush();
}

void displayDefineGlyph(uint8_t n, const uint8_t rows[8]) {
  lcdCommand(LCD_SET_CGRAM | (n << 3));
  for (uint8_t k = 0; k < 8; k++) lcdData(rows[k]);
  cursor = NO_CURSOR;
  loadedGlyphs = nullptr;
}

void displayTransient(const uint8_t codes[DISPLAY_CELLS]) {
  for (uint8_t i = 0; i < DISPLAY_CELLS; i++) {
    if (codes[i] != glass[i]) put(i, codes[i]);
  }
}

void displayHeartbeat(bool on) {
  if (on == heartbeatOn) return;
  heartbeatOn = on;
  if (heartbeatMask) displayFlush();
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
  memset(shadow, ' ', sizeof shadow);
  pendingGlyphs = GLYPHS_MAIN;
  displayReinit();
}
