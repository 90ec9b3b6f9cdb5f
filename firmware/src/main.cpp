// pmlcd firmware: modes, host-lost handling, watchdog and idle sleep.
// Host mode speaks serial protocol v1 (protocol.cpp); LCDproc mode speaks
// lcdserializer (lcdproc.cpp); network mode lives behind netmode.h.
#include <Arduino.h>
#include <avr/sleep.h>
#include <avr/wdt.h>
#include "app.h"
#include "backlight.h"
#include "board_pins.h"
#include "config.h"
#include "display.h"
#include "lcd.h"
#include "lcdproc.h"
#include "line_reader.h"
#include "netmode.h"
#include "pin_io.h"
#include "protocol.h"
#include "uart.h"
#include "version.h"

// Longest legitimate stall is an EEPROM save (fed per byte) or a full redraw
// (~2 ms); 2 s leaves room for network mode's steps.
constexpr uint8_t WATCHDOG_TIMEOUT = WDTO_2S;
constexpr uint16_t HEARTBEAT_HALF_PERIOD_MS = 500;
// Bytes handled per loop pass, so the watchdog is fed during a long stream.
constexpr uint8_t BYTES_PER_PASS = UART_RX_BUFFER;

static const char BOOT_LINE1[] PROGMEM = "pmlcd " PMLCD_FW_VERSION;
static const char BOOT_LINE2[] PROGMEM = "waiting for host";
static_assert(sizeof BOOT_LINE2 - 1 == DISPLAY_COLS, "the NO DATA screen copies line 2 whole");
static const char LCDPROC_LINE1[] PROGMEM = "LCDproc mode";
static const char LCDPROC_LINE2[] PROGMEM = "waiting for LCDd";
static const char NO_DATA[] PROGMEM = "NO DATA ";

constexpr uint8_t MODE_BOOTING = 0xFF;  // no mode entered yet
static uint8_t activeMode = MODE_BOOTING;
static uint32_t lastCommandMs;
static bool hostLost;    // no accepted command for host.timeout seconds
static bool hostDrew;    // network mode: the host's frame owns the display
static bool netRunning;  // netmodeBegin() called, netmodeEnd() not yet
static uint32_t noDataSecond;

static void startNet() {
  if (!netRunning) netmodeBegin();
  netRunning = true;
}

static void stopNet() {
  if (netRunning) netmodeEnd();
  netRunning = false;
}

static void enterMode(uint8_t m) {
  stopNet();
  if (activeMode == MODE_LCDPROC && m != MODE_LCDPROC) displayReinit();
  bool booting = activeMode == MODE_BOOTING;
  activeMode = m;
  hostLost = hostDrew = false;
  lastCommandMs = millis();
  if (m == MODE_NET) {
    startNet();
  } else if (m == MODE_LCDPROC) {
    // At boot the glass stays blank (see setup()); a switch by command says so.
    if (!booting) displayFrameP(LCDPROC_LINE1, LCDPROC_LINE2);
    lcdprocBegin();
  }
}

bool appModeAvailable(uint8_t m) { return m != MODE_NET || netmodeAvailable(); }

void appSwitchMode(uint8_t m) {
  enterMode(m);
  if (cfg.mode != m) {
    cfg.mode = m;
    configSave(millis());
  }
}

uint8_t appMode() { return activeMode; }

void appHostDrew() { hostDrew = true; }

void appCommandAccepted() {
  lastCommandMs = millis();
  if (!hostLost) return;
  hostLost = false;
  uartPrint(F("# host back\n"));
  if (activeMode == MODE_HOST) {
    stopNet();
    displayFlush();  // the host's last frame replaces the host-lost screen
  }
}

// "NO DATA mm:ss" counting up from the last accepted command. millis() wraps
// at 2^32 ms, so minutes stay below 71583: at most 5 digits, which fit.
static void showNoData(uint32_t now) {
  uint32_t s = (now - lastCommandMs) / 1000;
  if (s == noDataSecond) return;
  noDataSecond = s;
  uint32_t minutes = s / 60;
  uint8_t seconds = s % 60;  // one division call yields both
  uint8_t f[DISPLAY_CELLS];
  memset(f, ' ', DISPLAY_COLS);
  memcpy_P(f, NO_DATA, sizeof NO_DATA - 1);
  char *t = reinterpret_cast<char *>(f) + sizeof NO_DATA - 1;
  if (minutes < 10) *t++ = '0';
  ultoa(minutes, t, 10);
  t += strlen(t);
  *t++ = ':';  // over ultoa's NUL
  *t++ = '0' + seconds / 10;
  *t = '0' + seconds % 10;
  memcpy_P(f + DISPLAY_COLS, BOOT_LINE2, DISPLAY_COLS);
  displayTransient(f);
}

static void readSerial() {
  for (uint8_t n = 0; n < BYTES_PER_PASS && uartAvailable(); n++) {
    uint8_t b = uartRead();
    if (activeMode == MODE_LCDPROC) {
      lcdprocByte(b);
      continue;
    }
    LineStatus st = lineFeed(b);
    if (st != LINE_PENDING) {
      protocolLine(st);
      return;
    }
  }
}

static void checkHostLost(uint32_t now) {
  // LCDd may stay quiet for as long as its screen does not change.
  if (hostLost || activeMode == MODE_LCDPROC) return;
  if (now - lastCommandMs < cfg.hostTimeoutSec * 1000UL) return;
  hostLost = true;
  hostDrew = false;
  noDataSecond = 0xFFFFFFFF;
  uartPrint(F("# host lost\n"));
  // Without a shield the fallback would only trade NO DATA for "no Ethernet chip".
  if (activeMode == MODE_HOST && cfg.hostFallback && netmodeAvailable() && netmodeHardwarePresent())
    startNet();
}

static void idle() {
  cli();
  if (!uartAvailable()) {
    set_sleep_mode(SLEEP_MODE_IDLE);
    sleep_enable();
    sei();  // the instruction after sei runs first: no wake-up is lost in between
    sleep_cpu();
    sleep_disable();
  }
  sei();
}

// Timer0 as the core's init() sets it up for millis()/micros()/delay(): fast
// PWM mode, clock/64, overflow interrupt every 1.024 ms.
static void startMillisTimer() {
  TCCR0A = _BV(WGM01) | _BV(WGM00);
  TCCR0B = _BV(CS01) | _BV(CS00);
  TIMSK0 = _BV(TOIE0);
}

void setup() {
  wdt_enable(WATCHDOG_TIMEOUT);
  // Keep the shield's SD card and WIZnet chip off the bus: high first, then output,
  // so neither select line ever drives low.
  pinWrite(PMLCD_PIN_SD_CS, true);
  pinOutput(PMLCD_PIN_SD_CS);
  pinWrite(PMLCD_PIN_ETH_CS, true);
  pinOutput(PMLCD_PIN_ETH_CS);
  uartBegin();
  configLoad();
  backlightBegin();
  displayBegin();  // a blank glass
  // LCDd resets the board by opening the port and its initialisation, the clear
  // included, is lost in the reset; from then on it only sends cells that differ
  // from the blank screen it assumes. So LCDproc mode boots to that blank screen.
  if (cfg.mode != MODE_LCDPROC) displayFrameP(BOOT_LINE1, BOOT_LINE2);
  // The banner names the Ethernet chip: look for it now (a soft reset; nothing runs on it yet).
  netmodeHardwarePresent();
  enterMode(cfg.mode);
  protocolBanner();
}

void loop() {
  wdt_reset();
  readSerial();
  uint32_t now = millis();
  configPoll(now);
  checkHostLost(now);
  bool hostOwns = (activeMode == MODE_HOST && !hostLost) || (activeMode == MODE_NET && hostDrew);
  if (netRunning && !hostOwns) {
    netmodeLoop();
  } else if (activeMode == MODE_HOST && hostLost) {
    showNoData(now);
  } else if (hostOwns) {
    displayHeartbeat((now / HEARTBEAT_HALF_PERIOD_MS) & 1);
  }
  backlightUpdate(activeMode == MODE_HOST && hostLost && !netRunning);
  lcdRelease();  // the I2C backpack's bus is free while the loop sleeps
  idle();
}

// Replaces the core's main(): its init() also starts Timer1 and Timer2 for PWM
// and powers the ADC, none of which this firmware uses (lcd.cpp programs
// Timer1 itself), and its loop polls HardwareSerial, which is not linked.
int main() {
  startMillisTimer();
  sei();
  setup();
  for (;;) loop();
}
