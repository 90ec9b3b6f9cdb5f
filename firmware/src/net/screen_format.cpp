#include "screen_format.h"
#include "flash_str.h"
#include "rate_calc.h"

// Right-aligns v in w characters (spaces to the left); v must fit.
static void putUint(char *out, uint8_t w, uint32_t v) {
  for (int8_t i = w - 1; i >= 0; i--) {
    out[i] = (v || i == w - 1) ? char('0' + v % 10) : ' ';
    v /= 10;
  }
}

// round(n / d) with ties up, d even: the spec's (n*k + base/2) / base without
// the 64-bit product (d = base/k) or overflow near 2^32.
static uint32_t divRound(uint32_t n, uint32_t d) {
  uint32_t q = n / d;
  return (n % d >= d / 2) ? q + 1 : q;
}

// Each unit tries 2, 1, then 0 decimals: the first whose rounded value keeps
// 3 digits wins. n / div < 1000 is the spec's n < 10*base, 100*base, 1000*base.
void fmtRate(char *out, uint32_t n) {
  if (n < 1000) {
    putUint(out, FMT_RATE_LEN, n);
    return;
  }
  static const char UNITS[] PROGMEM = "kMG";
  uint32_t base = 1000;
  // n < 2^32 < 10^10, so "G" always succeeds and "T" is never reached.
  for (uint8_t u = 0; u < 3; u++, base *= 1000) {
    uint32_t div = base / 100;
    for (uint8_t prec = 2; prec < 3; prec--, div *= 10) {
      if (n / div >= 1000) continue;
      uint32_t q = divRound(n, div);
      if (q >= 1000) continue;
      putUint(out, 4, q);
      if (prec) {  // q >= 100 here: insert the point, keep every digit
        for (uint8_t i = 0; i < 3 - prec; i++) out[i] = out[i + 1];
        out[3 - prec] = '.';
      }
      out[4] = pgm_read_byte(UNITS + u);
      return;
    }
  }
}

// A string in flash, without its NUL.
static void putText(char *out, const char *p) {
  for (char c = pgm_read_byte(p); c; c = pgm_read_byte(++p)) *out++ = c;
}

void fmtLatency(char *out, bool ok, uint32_t us) {
  if (!ok) {
    putText(out, PSTR("  NA  "));
    return;
  }
  if (us < 9950) {
    uint32_t q = (us + 50) / 100;
    out[0] = ' ';
    out[1] = char('0' + q / 10);
    out[2] = '.';
    out[3] = char('0' + q % 10);
  } else if (us < 9999500) {
    putUint(out, 4, (us + 500) / 1000);
  } else {
    putText(out, PSTR("  >10s"));
    return;
  }
  out[4] = 'm';
  out[5] = 's';
}

void fmtLatencyShort(char *out, bool ok, uint32_t us) {
  char t[FMT_LAT_LEN];
  fmtLatency(t, ok, us);
  const char *from = t[2] == '>' ? t + 2 : t;  // "  >10s" keeps its unit, the others lose theirs
  for (uint8_t i = 0; i < FMT_LAT_SHORT_LEN; i++) out[i] = from[i];
}

void fmtBar(char *out, uint32_t n, uint32_t cap, uint8_t cells) {
  uint8_t cols = 0, max = cells * 5;
  if (n >= cap) {
    if (cap) cols = max;
  } else {
    // floor(n*max/cap) without a 64-bit product: add n max times, counting
    // each time the sum passes cap (n < cap: at most once per step); r is
    // the sum mod cap and never overflows.
    for (uint32_t r = 0, k = max; k; k--) {
      if (r >= cap - n) {
        r -= cap - n;
        cols++;
      } else {
        r += n;
      }
    }
  }
  for (uint8_t i = 0; i < cells; i++, cols = cols >= 5 ? cols - 5 : 0) {
    out[i] = cols >= 5 ? char(GLYPH_FULL) : cols ? char(GLYPH_BAR1 + cols - 1) : ' ';
  }
}

void fmtAge(char *out, uint32_t s) {
  char unit;
  if (s < 60)
    unit = 's';
  else if (s < 3600) {
    s /= 60;
    unit = 'm';
  } else if (s < 86400) {
    s /= 3600;
    unit = 'h';
  } else {
    putText(out, PSTR(">1d"));
    return;
  }
  putUint(out, 2, s);
  out[2] = unit;
}

// Line 1 after a sample without a rate, in RateStatus order from RATE_RESET
// back to RATE_BACK (docs/rates.md), each 16 characters.
static const char NO_RATE_LINE[] PROGMEM = "counter reset   time jump or gapclock went back ";
constexpr uint8_t NO_RATE_LEN = 16;

// '\0' rate label ' ' bar: one direction's row on a 4-row screen.
static void directionRow(char *row, uint8_t arrow, bool rates, uint32_t n, uint32_t cap,
                         const char *label, uint8_t barCells) {
  row[0] = arrow;
  if (rates)
    fmtRate(row + 1, n);
  else
    putText(row + 1, PSTR("  NA "));
  putText(row + 6, label);
  fmtBar(row + 10, n, rates ? cap : 0, barCells);
}

void fmtScreen(char *f, uint8_t size, const ScreenSample &s) {
  uint8_t cols = screenCols(size);
  bool wide = size & 1;
  for (uint8_t i = 0; i < cols * screenRows(size); i++) f[i] = ' ';
  bool rates = !s.stale && !s.rateStatus;
  const char *label = s.bytes ? PSTR("B/s") : PSTR("bps");
  char *last = f + (screenRows(size) - 1) * cols;  // the latency row on a 2-row screen
  if (size & 2) {
    directionRow(f, GLYPH_DOWN, rates, s.down, s.capDown, label, cols - 10);
    directionRow(f + cols, GLYPH_UP, rates, s.up, s.capUp, label, cols - 10);
    char *l3 = f + 2 * cols;
    fmtLatency(l3, !s.stale && s.latOk, s.latUs);
    bool st = !s.stale && s.statsOk;
    // 16x4: " min/max" after the latency; 20x4: "min/avg/max" right after it.
    char *m = l3 + (wide ? 6 : 7);
    fmtLatencyShort(m, st, s.latMinUs);
    m[4] = '/';
    if (wide) {
      fmtLatencyShort(m + 5, st, s.latAvgUs);
      m += 5;
      m[4] = '/';
    }
    fmtLatencyShort(m + 5, st, s.latMaxUs);
    for (uint8_t i = 0; i < cols - 4 && s.source[i]; i++) last[i] = s.source[i];
    fmtAge(last + cols - FMT_AGE_LEN, s.ageSec);
  } else {
    f[0] = GLYPH_DOWN;
    f[7] = GLYPH_UP;
    if (rates) {
      fmtRate(f + 1, s.down);
      fmtRate(f + 8, s.up);
    } else {
      putText(f + 1, PSTR("  NA "));
      putText(f + 8, PSTR("  NA "));
    }
    if (s.stale && !wide)
      fmtAge(f + 13, s.ageSec);
    else
      putText(f + 13, label);
    fmtLatency(last, !s.stale && s.latOk, s.latUs);
    if (wide) {
      fmtAge(f + 17, s.ageSec);
      last[6] = GLYPH_DOWN;
      fmtBar(last + 7, s.down, rates ? s.capDown : 0, 6);
      last[13] = GLYPH_UP;
      fmtBar(last + 14, s.up, rates ? s.capUp : 0, 6);
    } else {
      fmtBar(last + 7, s.down, rates ? s.capDown : 0);
    }
  }
  if (!s.stale && s.rateStatus >= RATE_BACK) {
    const char *t = NO_RATE_LINE + (RATE_RESET - s.rateStatus) * NO_RATE_LEN;
    for (uint8_t i = 0; i < NO_RATE_LEN; i++) f[i] = pgm_read_byte(t + i);
  }
}
