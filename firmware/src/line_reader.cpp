#include "line_reader.h"

static char buf[LINE_MAX];  // LINE_MAX - 1 bytes before the LF, plus a NUL
static uint8_t len;
static bool tooLong, badChar, afterCr;

LineStatus lineFeed(uint8_t b) {
  if (b == '\n') {
    LineStatus st = tooLong ? LINE_TOO_LONG : badChar ? LINE_BAD_CHAR : LINE_READY;
    if (afterCr) len--;
    buf[len] = 0;
    len = 0;
    tooLong = badChar = afterCr = false;
    return st;
  }
  if (len == LINE_MAX - 1) {
    tooLong = true;  // discard up to the LF
    return LINE_PENDING;
  }
  if (afterCr || ((b < 0x20 || b > 0x7E) && b != '\r')) badChar = true;
  afterCr = b == '\r';
  buf[len++] = b;
  return LINE_PENDING;
}

char *lineText() { return buf; }
