// The display as the rest of the firmware sees it: a frame of character codes
// (0-7 = CGRAM glyphs, others = A00 ROM codes) of the LCD's size, the setting
// lcd.size (16x2, 20x2, 16x4 or 20x4), row by row: cell i is row i / displayCols(),
// column i % displayCols().
//
// - displayFlush() draws the owner's frame (displayShadow()): only cells that
//   differ from what the glass shows are written, with a set-address instruction
//   only where the cursor is not already in place; the screen is never cleared.
// - displayLoadGlyphs() selects a glyph set in flash (8 glyphs x 8 rows, see
//   glyphs.h). It is written to CGRAM by the next flush, after every cell that
//   shows a glyph and is about to change has been settled, so no old cell is
//   ever drawn with a new glyph's shape. Loading the set already loaded is free.
// - displayTransient() shows a 16x2 frame in the top-left corner without replacing
//   the owner's frame (the host-lost screen); displayFlush() brings the owner's back.
// - A cell holding DISPLAY_HEART is the heartbeat: it alternates between GLYPH_HEART
//   and a blank (displayHeartbeat()).
// Network mode uses displayLoadGlyphs() + displayShadow() + displayFlush().
#pragma once
#include <stdint.h>

constexpr uint8_t DISPLAY_COLS = 16;  // the 16x2 frame of boot texts and displayTransient()
constexpr uint8_t DISPLAY_ROWS = 2;
constexpr uint8_t DISPLAY_CELLS = DISPLAY_COLS * DISPLAY_ROWS;
constexpr uint8_t DISPLAY_MAX_COLS = 20;
constexpr uint8_t DISPLAY_MAX_ROWS = 4;
constexpr uint8_t DISPLAY_MAX_CELLS = DISPLAY_MAX_COLS * DISPLAY_MAX_ROWS;
// Codes 8-15 show the same CGRAM glyphs as 0-7, so 8 is free to mark the heartbeat.
constexpr uint8_t DISPLAY_HEART = 8;

// Takes the size from cfg.lcdSize, initialises the LCD and blanks the frame.
void displayBegin();
uint8_t displaySize();  // the LcdSize in use
uint8_t displayCols();
uint8_t displayRows();
uint8_t displayCellCount();
// The owner's frame, displayCellCount() cells: write it, then displayFlush().
uint8_t *displayShadow();
void displayLoadGlyphs(const uint8_t *setInFlash);
// Frame from two 16-character strings in flash (shorter ones are padded with
// spaces) in the top-left corner; the rest of the frame is blank.
void displayFrameP(const char *line1, const char *line2);
// Partial update of n cells from cell `first`.
void displayCells(uint8_t first, const uint8_t *codes, uint8_t n);
// Defines glyph n (0-7) now: cells showing it change with it.
void displayDefineGlyph(uint8_t n, const uint8_t rows[8]);
void displayFlush();
void displayTransient(const uint8_t codes[DISPLAY_CELLS]);
// The heartbeat cells show GLYPH_HEART (on) or a blank; cheap when unchanged.
void displayHeartbeat(bool on);
// After raw access to the LCD (LCDproc mode): initialise it again and redraw.
void displayReinit();
