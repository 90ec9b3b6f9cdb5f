// Text of the F and T commands: printable ASCII with backslash escapes
// (docs/protocol.md, "Text escapes"), decoded to LCD character codes.
#pragma once
#include <stdint.h>

constexpr int8_t TEXT_ERR_ESC = -1;
constexpr int8_t TEXT_ERR_LONG = -2;

// The A00 ROM has the yen sign at 0x5C; a backslash is drawn as 0xA4 (a small
// down-right stroke) instead.
constexpr uint8_t LCD_BACKSLASH_SUBSTITUTE = 0xA4;

// Decodes from p up to the end of the string or an unescaped `stop` character
// (p is left there) into at most max codes. The heartbeat (\h) is DISPLAY_HEART;
// codes 8-15 become 0-7, the glyphs they show. Returns the number of codes,
// TEXT_ERR_ESC or TEXT_ERR_LONG.
int8_t textDecode(const char *&p, char stop, uint8_t *out, uint8_t max);

int8_t hexValue(char c);  // 0-15, or -1
