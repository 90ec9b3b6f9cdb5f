// Assembles protocol lines from serial bytes: at most LINE_MAX bytes including
// the LF, printable ASCII only, an optional CR right before the LF.
#pragma once
#include <stdint.h>

constexpr uint8_t LINE_MAX = 64;

enum LineStatus : uint8_t { LINE_PENDING, LINE_READY, LINE_TOO_LONG, LINE_BAD_CHAR };

// Feeds one byte; on the LF returns the line's status (the text is in lineText()
// when LINE_READY), otherwise LINE_PENDING.
LineStatus lineFeed(uint8_t b);
char *lineText();
