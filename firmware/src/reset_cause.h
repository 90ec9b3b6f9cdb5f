// Why the board last reset, captured before the C runtime starts (.init3).
#pragma once
#include <Arduino.h>

enum ResetCause : uint8_t {
  RESET_POWER,
  RESET_EXTERNAL,
  RESET_WATCHDOG,
  RESET_BROWNOUT,
  RESET_COMMAND,
  RESET_UNKNOWN
};

// Once per boot (the banner): it clears the marker resetByCommand() leaves.
ResetCause resetCause();
const __FlashStringHelper *resetCauseName(ResetCause c);
// Reboots through a 15 ms watchdog reset; the next banner says reset=command.
void resetByCommand() __attribute__((noreturn));
