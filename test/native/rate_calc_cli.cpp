// Native driver for firmware/src/net/rate_calc.cpp. stdin lines:
//   new BITS MAX            start over (BITS 0/1, MAX bytes/s, 0 = none)
//   s IN OUT SEC US         a sample -> "ok DOWN UP" | "first" | "reset" | "badtime"
#include <stdio.h>
#include <string.h>
#include "net/rate_calc.h"

int main() {
  static const char *names[] = {"ok", "first", "reset", "badtime"};
  RateState st;
  memset(&st, 0, sizeof st);
  unsigned bits = 0;
  unsigned long max = 0;
  char cmd[8];
  while (scanf("%7s", cmd) == 1) {
    if (!strcmp(cmd, "new")) { memset(&st, 0, sizeof st); if (scanf("%u %lu", &bits, &max) != 2) return 2; continue; }
    unsigned long long in, out; unsigned long sec, us;
    if (scanf("%llu %llu %lu %lu", &in, &out, &sec, &us) != 4) return 2;
    uint64_t now[2] = {in, out};
    uint32_t rate[2] = {0, 0};
    uint8_t s = rateUpdate(st, now, sec, us, bits, max, rate);
    if (s == RATE_OK) printf("ok %lu %lu\n", (unsigned long)rate[0], (unsigned long)rate[1]);
    else printf("%s\n", names[s]);
  }
  return 0;
}
