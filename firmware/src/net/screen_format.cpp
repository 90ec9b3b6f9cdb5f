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
  static constexpr char UNITS[] = "kMG";
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
      out[4] = UNITS[u];
      return;
    }
  }
}

static void putText(char *out, const char *s) {
  while (*s) *out++ = *s++;
}

void fmtLatency(char *out, bool ok, uint32_t us) {
  if (!ok) {
    putText(out, "  NA  ");
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
    putText(out, "  >10s");
    return;
  }
  out[4] = 'm';
  out[5] = 's';
}

void fmtBar(char *out, uint32_t n, uint32_t cap) {
  uint8_t cols = 0;
  if (cap) {
    // floor(n*45/cap) capped at 45, by comparison: no 64-bit division.
    uint64_t lim = (uint64_t)n * 45;
    while (cols < FMT_BAR_CELLS * 5 && (uint64_t)(cols + 1) * cap <= lim) cols++;
  }
  for (uint8_t i = 0; i < FMT_BAR_CELLS; i++, cols = cols >= 5 ? cols - 5 : 0) {
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
    putText(out, ">1d");
    return;
  }
  putUint(out, 2, s);
  out[2] = unit;
}

// Line 1 after a sample without a rate, in RateStatus order from RATE_RESET
// back to RATE_BACK (docs/rates.md), each 16 characters.
static const char NO_RATE_LINE[] PROGMEM = "counter reset   time jump or gapclock went back ";

void fmtMainScreen(char *l1, char *l2, const ScreenSample &s) {
  l1[0] = GLYPH_DOWN;
  l1[6] = ' ';
  l1[7] = GLYPH_UP;
  if (s.stale || s.rateStatus) {
    putText(l1 + 1, "  NA ");
    putText(l1 + 8, "  NA ");
    if (s.stale)
      fmtAge(l1 + 13, s.ageSec);
    else
      putText(l1 + 13, s.bytes ? "B/s" : "bps");
    fmtLatency(l2, !s.stale && s.latOk, s.latUs);
    fmtBar(l2 + 7, 0, 0);
    if (!s.stale && s.rateStatus >= RATE_BACK) {
      const char *t = NO_RATE_LINE + (RATE_RESET - s.rateStatus) * SCREEN_COLS;
      for (uint8_t i = 0; i < SCREEN_COLS; i++) l1[i] = pgm_read_byte(t + i);
    }
  } else {
    fmtRate(l1 + 1, s.down);
    fmtRate(l1 + 8, s.up);
    putText(l1 + 13, s.bytes ? "B/s" : "bps");
    fmtLatency(l2, s.latOk, s.latUs);
    fmtBar(l2 + 7, s.down, s.capDown);
  }
  l2[6] = ' ';
}
