// The display as the rest of the firmware sees it: a 16x2 frame of character
// codes (0-7 = CGRAM glyphs, others = A00 ROM codes).
//
// - displayFrame() replaces the whole frame and draws it at once: only cells that
//   differ from what the glass shows are written, with a set-address instruction
//   only where the cursor is not already in place; the screen is never cleared.
// - displayLoadGlyphs() selects a glyph set in flash (8 glyphs x 8 rows, see
//   glyphs.h). It is written to CGRAM by the next flush, after every cell that
//   shows a glyph and is about to change has been settled, so no old cell is
//   ever drawn with a new glyph's shape. Loading the set already loaded is free.
// - displayTransient() shows a frame without replacing the owner's frame (the
//   host-lost screen); displayFlush() brings the owner's frame back.
// Network mode uses displayLoadGlyphs() + displayFrame(); cell i is row i/16, column i%16.
#pragma once
#include <stdint.h>

constexpr uint8_t DISPLAY_COLS = 16;
constexpr uint8_t DISPLAY_ROWS = 2;
constexpr uint8_t DISPLAY_CELLS = DISPLAY_COLS * DISPLAY_ROWS;

void displayBegin();
void displayLoadGlyphs(const uint8_t *setInFlash);
void displayFrame(const uint8_t codes[DISPLAY_CELLS], uint32_t heartbeatCells = 0);
// Frame from two 16-character strings in flash (shorter ones are padded with spaces).
void displayFrameP(const char *line1, const char *line2);
// Partial update of n cells from cell `first`; heartbeat bits are relative to `first`.
void displayCells(uint8_t first, const uint8_t *codes, uint8_t n, uint32_t heartbeatBits);
// Defines glyph n (0-7) now: cells showing it change with it.
void displayDefineGlyph(uint8_t n, const uint8_t rows[8]);
void displayFlush();
void displayTransient(const uint8_t codes[DISPLAY_CELLS]);
// The heartbeat cells alternate between GLYPH_HEART and a blank; cheap when unchanged.
void displayHeartbeat(bool on);
// After raw access to the LCD (LCDproc mode): initialise it again and redraw.
void displayReinit();
