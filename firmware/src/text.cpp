#include "text.h"
#include "display.h"

int8_t hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

int8_t textDecode(const char *&p, char stop, uint8_t *out, uint8_t max) {
  uint8_t n = 0;
  for (char c = *p; c && c != stop; c = *p) {
    if (n == max) return TEXT_ERR_LONG;
    uint8_t code = c;
    p++;
    if (c == '\\') {
      char e = *p++;
      if (e >= '0' && e <= '7') {
        code = e - '0';
      } else if (e == 'x') {
        int8_t hi = hexValue(p[0]);
        int8_t lo = hi < 0 ? -1 : hexValue(p[1]);
        if (lo < 0) return TEXT_ERR_ESC;
        code = (hi << 4) | lo;
        if (code >= DISPLAY_HEART && code < 2 * DISPLAY_HEART)
          code -= DISPLAY_HEART;  // same glyphs
        p += 2;
      } else if (e == '\\') {
        code = LCD_BACKSLASH_SUBSTITUTE;
      } else if (e == '|') {
        code = '|';
      } else if (e == 'h') {
        code = DISPLAY_HEART;
      } else {
        return TEXT_ERR_ESC;
      }
    }
    out[n++] = code;
  }
  return n;
}
