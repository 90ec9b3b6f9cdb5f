#include "reset_cause.h"
#include <avr/wdt.h>
#include "pgm_list.h"

// .noinit: survives a watchdog reset and is not cleared by the C runtime.
static uint8_t mcusrAtBoot __attribute__((section(".noinit")));
static uint16_t rebootMarker __attribute__((section(".noinit")));
constexpr uint16_t REBOOT_MARKER = 0xB007;

// Runs in .init3, before .data/.bss are set up. Optiboot clears MCUSR and
// (since 4.4-ish) hands the original value over in r2. A watchdog reset leaves
// the watchdog running at 15 ms, so it is stopped here, before setup() can be late.
extern "C" void captureResetCause() __attribute__((naked, used, section(".init3")));
void captureResetCause() {
  uint8_t fromBootloader;
  __asm__ __volatile__("mov %0, r2" : "=r"(fromBootloader));
  uint8_t flags = MCUSR;
  mcusrAtBoot = flags ? flags : fromBootloader;
  MCUSR = 0;
  wdt_disable();
}

ResetCause resetCause() {
  uint8_t f = mcusrAtBoot;
  bool command = rebootMarker == REBOOT_MARKER;
  rebootMarker = 0;
  if (f & _BV(WDRF)) return command ? RESET_COMMAND : RESET_WATCHDOG;
  if (f & _BV(PORF)) return RESET_POWER;
  if (f & _BV(BORF)) return RESET_BROWNOUT;
  if (f & _BV(EXTRF)) return RESET_EXTERNAL;
  return RESET_UNKNOWN;
}

// In ResetCause order.
static const char NAMES[] PROGMEM = "power\0external\0watchdog\0brownout\0command\0unknown";

const __FlashStringHelper *resetCauseName(ResetCause c) {
  return reinterpret_cast<const __FlashStringHelper *>(pgmListItem(NAMES, c));
}

void resetByCommand() {
  rebootMarker = REBOOT_MARKER;
  wdt_enable(WDTO_15MS);
  for (;;) {}
}
