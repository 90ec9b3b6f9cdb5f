// Glyph sets: 8 CGRAM glyphs x 8 rows (top first, bit 4 = leftmost pixel) in flash.
#pragma once
#include <avr/pgmspace.h>
#include <stdint.h>

constexpr uint8_t GLYPH_SET_BYTES = 64;
// Macros, not constexpr: net/screen_format.h (Arduino-free, compiled natively)
// repeats these three and netmode.cpp includes both; a macro may be defined
// twice with the same value, a constexpr may not.
#define GLYPH_DOWN 0
#define GLYPH_UP 1
#define GLYPH_BAR1 2  // bar cells of 1-4 columns are GLYPH_BAR1 + columns - 1
constexpr uint8_t GLYPH_HEART = 6;
constexpr uint8_t GLYPH_DEGREE = 7;

// The "main" set of docs/screens.md, loaded at boot.
extern const uint8_t GLYPHS_MAIN[GLYPH_SET_BYTES] PROGMEM;
