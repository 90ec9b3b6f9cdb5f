#include "backlight.h"
#include <Arduino.h>
#include "board_pins.h"
#include "config.h"
#include "lcd.h"
#include "pin_io.h"

constexpr uint16_t BLINK_HALF_PERIOD_MS = 500;

static BacklightRequest requested;

void backlightBegin() {
  pinOutput(PMLCD_PIN_BACKLIGHT);
  requested = cfg.backlight == BL_OFF ? BACKLIGHT_OFF : BACKLIGHT_ON;
  backlightUpdate(false);
}

void backlightRequest(BacklightRequest r) {
  requested = r;
  backlightUpdate(false);
}

void backlightUpdate(bool alert) {
  BacklightRequest s = requested;
  if (alert) {
    if (cfg.backlight == BL_OFF || cfg.backlight == BL_LOST_OFF)
      s = BACKLIGHT_OFF;
    else if (cfg.backlight == BL_ALERT_BLINK)
      s = BACKLIGHT_BLINK;
  }
  bool on = s == BACKLIGHT_BLINK ? (millis() / BLINK_HALF_PERIOD_MS) & 1 : s == BACKLIGHT_ON;
  pinWrite(PMLCD_PIN_BACKLIGHT, on);
  lcdBacklight(on);
}
