// Native driver for firmware/src/net/screen_format.cpp: one command per stdin
// line, one JSON string (or two for "main") per stdout line.
//   rate N | lat OK US | bar N CAP | age S
//   main DOWN UP LATOK LATUS STALE AGE CAPDOWN BYTES
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
    } else if (!strcmp(cmd, "bar") && scanf("%lu %lu", &a, &b) == 2) {
      fmtBar(out, a, b);
      emit(out, FMT_BAR_CELLS);
    } else if (!strcmp(cmd, "age") && scanf("%lu", &a) == 1) {
      fmtAge(out, a);
      emit(out, FMT_AGE_LEN);
    } else if (!strcmp(cmd, "main")) {
      unsigned long v[8];
      for (int i = 0; i < 8; i++)
        if (scanf("%lu", &v[i]) != 1) return 2;
      ScreenSample s = {(uint32_t)v[0], (uint32_t)v[1], (uint32_t)v[3], v[2] != 0, v[4] != 0,
                        (uint32_t)v[5], (uint32_t)v[6], v[7] != 0,      RATE_OK};
      char l2[32];
      memset(l2, '#', sizeof l2);
      fmtMainScreen(out, l2, s);
      emit(out, SCREEN_COLS);
      putchar(' ');
      emit(l2, SCREEN_COLS);
    } else {
      printf("bad command %s\n", cmd);
      return 2;
    }
    putchar('\n');
  }
  return 0;
}
