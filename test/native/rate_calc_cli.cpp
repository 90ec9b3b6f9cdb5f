// Native driver for firmware/src/net/rate_calc.cpp and the main screen's line 1
// (screen_format.cpp), used the way netmode.cpp uses them. stdin lines:
//   new WIDTH POLLSEC BYTES   start a vector (WIDTH 32/64, BYTES 0/1)
//   s SEC US IN OUT           a sample -> STATUS DOWN UP "LINE1" (rates in bytes/s or null)
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
  static constexpr const char *STATUS_NAMES[] = {"rate", "first", "same", "back", "gap", "reset"};
  RateState st;
  unsigned width = 64, poll = 2, bytes = 0;
  uint32_t rate[2] = {0, 0};
  uint8_t shown = RATE_FIRST;
  char cmd[8];
  memset(&st, 0, sizeof st);
  while (scanf("%7s", cmd) == 1) {
    if (!strcmp(cmd, "new")) {
      if (scanf("%u %u %u", &width, &poll, &bytes) != 3) return 2;
      memset(&st, 0, sizeof st);
      shown = RATE_FIRST;
      continue;
    }
    unsigned long sec, us;
    unsigned long long in, out;
    if (scanf("%lu %lu %llu %llu", &sec, &us, &in, &out) != 4) return 2;
    uint64_t now[2] = {in, out};
    // As netmode.cpp: the gap limit from the poll interval; the same sample again changes nothing.
    uint8_t s = rateUpdate(st, now, sec, us, width == 32, STALE_POLLS * 1000UL * poll, rate);
    if (s != RATE_SAME) shown = s;
    printf("%s ", STATUS_NAMES[s]);
    if (shown == RATE_OK)
      printf("%lu %lu ", (unsigned long)rate[0], (unsigned long)rate[1]);
    else
      printf("null null ");
    ScreenSample ss;
    memset(&ss, 0, sizeof ss);
    ss.down = rateShown(rate[0], bytes);
    ss.up = rateShown(rate[1], bytes);
    ss.bytes = bytes;
    ss.rateStatus = shown;
    ss.source = "";
    char f[2 * SCREEN_COLS];
    fmtScreen(f, SCREEN_16X2, ss);
    emit(f, SCREEN_COLS);
    putchar('\n');
  }
  return 0;
}
