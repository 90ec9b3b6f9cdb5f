// Native driver for firmware/src/net/screen_format.cpp: one command per stdin
// line, one JSON string per stdout line (one per row, space separated, for
// "main" and "screen").
//   rate N | lat OK US | lat4 OK US | bar N CAP [CELLS] | age S
//   main DOWN UP LATOK LATUS STALE AGE CAPDOWN BYTES          (the 16x2 screen)
//   screen SIZE DOWN UP CAPDOWN CAPUP BYTES RATESTATUS LATOK LATUS STATSOK MIN AVG MAX
//          STALE AGE SOURCE                                    (SIZE: ScreenSize)
#include <stdio.h>
#include <string.h>
#include "net/rate_calc.h"
#include "net/screen_format.h"

static void emit(const char *s, int n) {
  putchar('"');
  for (int i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
      printf("\\u%04x", c);
    else
      putchar(c);
  }
  putchar('"');
}

static void emitRows(const char *f, uint8_t size) {
  for (uint8_t r = 0; r < screenRows(size); r++) {
    if (r) putchar(' ');
    emit(f + r * screenCols(size), screenCols(size));
  }
}

int main() {
  char cmd[16];
  while (scanf("%15s", cmd) == 1) {
    char out[32];
    memset(out, '#', sizeof out);
    unsigned long a, b;
    if (!strcmp(cmd, "rate") && scanf("%lu", &a) == 1) {
      fmtRate(out, a);
      emit(out, FMT_RATE_LEN);
    } else if (!strcmp(cmd, "lat") && scanf("%lu %lu", &a, &b) == 2) {
      fmtLatency(out, a, b);
      emit(out, FMT_LAT_LEN);
    } else if (!strcmp(cmd, "lat4") && scanf("%lu %lu", &a, &b) == 2) {
      fmtLatencyShort(out, a, b);
      emit(out, FMT_LAT_SHORT_LEN);
    } else if (!strcmp(cmd, "bar") && scanf("%lu %lu", &a, &b) == 2) {
      unsigned cells = FMT_BAR_CELLS;
      if (getchar() == ' ' && scanf("%u", &cells) != 1) return 2;
      fmtBar(out, a, b, cells);
      emit(out, cells);
    } else if (!strcmp(cmd, "age") && scanf("%lu", &a) == 1) {
      fmtAge(out, a);
      emit(out, FMT_AGE_LEN);
    } else if (!strcmp(cmd, "main")) {
      unsigned long v[8];
      for (int i = 0; i < 8; i++)
        if (scanf("%lu", &v[i]) != 1) return 2;
      ScreenSample s;
      memset(&s, 0, sizeof s);
      s.down = v[0];
      s.up = v[1];
      s.latOk = v[2];
      s.latUs = v[3];
      s.stale = v[4];
      s.ageSec = v[5];
      s.capDown = v[6];
      s.bytes = v[7];
      s.source = "";
      fmtScreen(out, SCREEN_16X2, s);
      emitRows(out, SCREEN_16X2);
    } else if (!strcmp(cmd, "screen")) {
      unsigned long v[15];
      char source[64];
      for (int i = 0; i < 15; i++)
        if (scanf("%lu", &v[i]) != 1) return 2;
      if (scanf("%63s", source) != 1) return 2;
      ScreenSample s;
      memset(&s, 0, sizeof s);
      uint8_t size = v[0];
      s.down = v[1];
      s.up = v[2];
      s.capDown = v[3];
      s.capUp = v[4];
      s.bytes = v[5];
      s.rateStatus = v[6];
      s.latOk = v[7];
      s.latUs = v[8];
      s.statsOk = v[9];
      s.latMinUs = v[10];
      s.latAvgUs = v[11];
      s.latMaxUs = v[12];
      s.stale = v[13];
      s.ageSec = v[14];
      s.source = source;
      char f[80];
      memset(f, '#', sizeof f);
      fmtScreen(f, size, s);
      emitRows(f, size);
    } else {
      printf("bad command %s\n", cmd);
      return 2;
    }
    putchar('\n');
  }
  return 0;
}
