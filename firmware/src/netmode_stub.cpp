// Weak defaults for a firmware built without network mode.
#include <avr/pgmspace.h>
#include "display.h"
#include "netmode.h"

static const char NA_LINE1[] PROGMEM = "NET MODE N/A";
static const char NA_LINE2[] PROGMEM = "use M host";

__attribute__((weak)) void netmodeBegin() { displayFrameP(NA_LINE1, NA_LINE2); }
__attribute__((weak)) void netmodeLoop() {}
__attribute__((weak)) void netmodeEnd() {}
__attribute__((weak)) bool netmodeAvailable() { return false; }
__attribute__((weak)) bool netmodeHardwarePresent() { return false; }
__attribute__((weak)) void netmodeBannerFields() {}
