// The shared screen rules of docs/screens.md, in integer arithmetic only so the
// AVR and the host bridge agree byte for byte, for every LCD size. Free of
// Arduino.h: the tests compile it natively (test/native/) and feed it
// test/vectors/screen-format.json and test/vectors/screens-geometry.json.
#pragma once
#include <stdint.h>

constexpr uint8_t SCREEN_COLS = 16;
constexpr uint8_t FMT_RATE_LEN = 5;
constexpr uint8_t FMT_LAT_LEN = 6;
constexpr uint8_t FMT_BAR_CELLS = 9;  // on the 16x2 main screen
constexpr uint8_t FMT_AGE_LEN = 3;
constexpr uint8_t FMT_LAT_SHORT_LEN = 4;
// Values older than this many poll intervals are stale; a rate spans at most as long
// (docs/rates.md).
constexpr uint8_t STALE_POLLS = 3;

// Custom glyph codes of the "main" glyph set (docs/screens.md). The first three
// are macros because glyphs.h repeats them (see there).
#define GLYPH_DOWN 0
#define GLYPH_UP 1
#define GLYPH_BAR1 2
constexpr uint8_t GLYPH_FULL = 0xFF;
// Shown for a character the A00 ROM cannot draw (control characters, code
// points >= 0x7F): the same one the bridge uses (docs/screens.md).
constexpr char SCREEN_PLACEHOLDER = '?';

// Writers fill exactly their width; none writes a terminating NUL.
void fmtRate(char *out, uint32_t n);
// ok == false (missing, negative or failed sample) gives "  NA  ".
void fmtLatency(char *out, bool ok, uint32_t us);
// Without its unit, for min/avg/max: " 9.9", "  23", ">10s", "  NA".
void fmtLatencyShort(char *out, bool ok, uint32_t us);
void fmtBar(char *out, uint32_t n, uint32_t cap, uint8_t cells = FMT_BAR_CELLS);
void fmtAge(char *out, uint32_t s);

// The LCD sizes, as LcdSize in config.h: bit 0 = 20 columns, bit 1 = 4 rows.
enum ScreenSize : uint8_t { SCREEN_16X2, SCREEN_20X2, SCREEN_16X4, SCREEN_20X4 };
constexpr uint8_t screenCols(uint8_t size) { return size & 1 ? 20 : 16; }
constexpr uint8_t screenRows(uint8_t size) { return size & 2 ? 4 : 2; }

struct ScreenSample {
  uint32_t down, up;  // per second, in the configured unit
  uint32_t latUs;
  bool latOk;
  bool stale;          // older than 3 poll intervals
  uint32_t ageSec;     // since the last good sample
  uint32_t capDown;    // same unit as down
  bool bytes;          // label "B/s" instead of "bps"
  uint8_t rateStatus;  // RateStatus of the last accepted sample: anything but RATE_OK says why line
                       // 1 has no rates
  // For the bigger sizes only:
  uint32_t capUp;
  bool statsOk;  // min/avg/max of the last good latency samples, if there are any
  uint32_t latMinUs, latAvgUs, latMaxUs;
  const char *source;  // NUL-terminated, ROM-safe
};

// The main screen of docs/screens.md for a ScreenSize: screenCols x screenRows
// cells, row after row.
void fmtScreen(char *cells, uint8_t size, const ScreenSample &s);
