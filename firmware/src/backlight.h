// Backlight on PMLCD_PIN_BACKLIGHT (through a transistor; harmless if not fitted), and
// the I2C backpack's backlight bit when the LCD sits on one.
// The host asks for off/on/blink (B command); the `backlight` setting decides
// the state at boot and what happens while the host is lost.
#pragma once
#include <stdint.h>

enum BacklightRequest : uint8_t { BACKLIGHT_OFF = 0, BACKLIGHT_ON = 1, BACKLIGHT_BLINK = 2 };

void backlightBegin();
void backlightRequest(BacklightRequest r);
// Call often; alert is true while the host is lost (and nothing else shows data).
void backlightUpdate(bool alert);
