#include "protocol.h"
#include <Arduino.h>
#include <avr/pgmspace.h>
#include <string.h>
#include "app.h"
#include "backlight.h"
#include "config.h"
#include "display.h"
#include "lcd.h"
#include "netmode.h"
#include "pgm_list.h"
#include "reset_cause.h"
#include "settings.h"
#include "text.h"
#include "uart.h"
#include "version.h"

constexpr uint8_t GLYPH_ROWS = 8;

static void err(const __FlashStringHelper *codeAndReason) {
  uartPrint(F("ERR "));
  uartPrint(codeAndReason);
  uartWrite('\n');
}

// Errors sent from more than one place: one copy of the text each.
static void badArgs() { err(F("ARG bad arguments")); }
static void unknownCommand() { err(F("CMD unknown command")); }
static void unknownSetting() { err(F("KEY unknown setting")); }

static void ok() {
  appCommandAccepted();
  uartPrint(F("OK\n"));
}

static const char CFG_STATUS_NAMES[] PROGMEM = "ok\0defaults\0old";  // in CfgStatus order

static void printFields(bool withReset) {
  uartPrint(F("PMLCD " PMLCD_PROTOCOL_VERSION_STR " fw=" PMLCD_FW_VERSION " lcd="));
  uartPrint(settingLcdSizeName(cfg.lcdSize));
  uartPrint(F(" mode="));
  uartPrint(settingModeName(appMode()));
  if (withReset) {
    uartPrint(F(" reset="));
    uartPrint(resetCauseName(resetCause()));
  }
  uartPrint(F(" cfg="));
  uartPrint(
      reinterpret_cast<const __FlashStringHelper *>(pgmListItem(CFG_STATUS_NAMES, cfgStatus)));
  uartPrint(F(" lcdbus="));
  uint8_t a = lcdI2cAddress();
  if (a) {
    uartPrint(F("i2c:0x"));
    uartPrintHex2(a);  // PCF8574(A) addresses are 0x20-0x3F: always two digits
  } else {
    uartPrint(F("parallel"));
  }
  netmodeBannerFields();
  uartWrite('\n');
}

void protocolBanner() { printFields(true); }

static void textError(int8_t r) {
  if (r == TEXT_ERR_ESC)
    err(F("ESC bad escape"));
  else
    err(F("ARG text too long"));
}

// F <row 1>|<row 2>[|<row 3>[|<row 4>]]: the rows not given are blank.
static void cmdFrame(const char *p) {
  uint8_t f[DISPLAY_MAX_CELLS];
  uint8_t cols = displayCols(), n = displayCellCount();
  memset(f, ' ', n);
  for (uint8_t at = 0;; at += cols) {
    int8_t r = textDecode(p, '|', f + at, cols);
    if (r < 0) return textError(r);
    if (!*p) {
      if (!at) return err(F("ARG missing |"));
      break;
    }
    if (at + cols >= n) return err(F("ARG too many rows"));
    p++;
  }
  memcpy(displayShadow(), f, n);
  displayFlush();
  appHostDrew();
  ok();
}

// T <row> <col> <text>
static void cmdText(const char *p) {
  uint8_t cols = displayCols();
  uint8_t row = p[0] - '0';
  if (row >= displayRows() || p[1] != ' ' || p[2] < '0' || p[2] > '9') return badArgs();
  uint8_t col = p[2] - '0';
  p += 3;
  if (*p >= '0' && *p <= '9') col = col * 10 + (*p++ - '0');
  if (col >= cols || *p++ != ' ') return badArgs();
  uint8_t codes[DISPLAY_MAX_COLS];
  int8_t r = textDecode(p, 0, codes, cols - col);
  if (r < 0) return textError(r);
  displayCells(row * cols + col, codes, r);
  appHostDrew();
  ok();
}

// G <n> <16 hex digits>
static void cmdGlyph(const char *p) {
  uint8_t n = p[0] - '0';
  if (n > 7 || p[1] != ' ' || strlen(p + 2) != 2 * GLYPH_ROWS) return badArgs();
  uint8_t rows[GLYPH_ROWS];
  p += 2;
  for (uint8_t i = 0; i < GLYPH_ROWS; i++, p += 2) {
    int8_t hi = hexValue(p[0]), lo = hexValue(p[1]);
    if (hi < 0 || lo < 0) return badArgs();
    rows[i] = ((hi << 4) | lo) & 0x1F;
  }
  displayDefineGlyph(n, rows);
  appHostDrew();
  ok();
}

static void cmdMode(const char *p) {
  uint8_t m = settingParseMode(p);
  if (m == 0xFF) return err(F("ARG unknown mode"));
  if (!appModeAvailable(m)) return err(F("ARG mode not available"));
  appSwitchMode(m);
  ok();
}

static void cmdBacklight(const char *p) {
  if (p[0] < '0' || p[0] > '2' || p[1]) return badArgs();
  backlightRequest(static_cast<BacklightRequest>(p[0] - '0'));
  ok();
}

// Stores the changed cfg (at once, or after the save hold-off: config.h) and
// follows a changed mode, then replies.
static void saveAndApply() {
  if (!configSave(millis())) return err(F("VAL EEPROM write failed"));
  if (cfg.mode != appMode()) appSwitchMode(cfg.mode);
  if (cfg.lcdSize != displaySize()) displayBegin();
  ok();
}

static void cmdSet(char *p) {
  char *value = strchr(p, ' ');
  if (value) *value++ = 0;
  uint8_t idx = settingFind(p);
  if (idx == SETTING_NONE) return unknownSetting();
  if (!value) return err(F("ARG missing value"));
  uint8_t oldMode = cfg.mode;
  if (!settingParse(idx, value)) return err(F("VAL bad value"));
  if (idx == settingModeIndex() && !appModeAvailable(cfg.mode)) {
    cfg.mode = oldMode;
    return err(F("VAL mode not available"));
  }
  saveAndApply();
}

static void cmdConfig(char *p) {
  if (strcmp_P(p, PSTR("LIST")) == 0) {
    appCommandAccepted();
    for (uint8_t i = 0; i < settingCount(); i++) {
      uartPrint(F("CFG "));
      settingPrint(i);
      uartWrite('\n');
    }
    uartPrint(F("OK "));
    uartPrintNumber(settingCount());
    uartWrite('\n');
  } else if (strcmp_P(p, PSTR("RESET")) == 0) {
    configDefaults();
    saveAndApply();
  } else if (strncmp_P(p, PSTR("GET "), 4) == 0) {
    uint8_t idx = settingFind(p + 4);
    if (idx == SETTING_NONE) return unknownSetting();
    appCommandAccepted();
    uartPrint(F("OK "));
    settingPrint(idx);
    uartWrite('\n');
  } else if (strncmp_P(p, PSTR("SET "), 4) == 0) {
    cmdSet(p + 4);
  } else {
    badArgs();
  }
}

// Strips a valid "*HH" suffix; false if it is present and wrong.
static bool checksumOk(char *line) {
  size_t len = strlen(line);
  if (len < 3 || line[len - 3] != '*') return true;
  int8_t hi = hexValue(line[len - 2]), lo = hexValue(line[len - 1]);
  if (hi < 0 || lo < 0) return true;  // not a checksum: ordinary text
  uint8_t x = 0;
  for (size_t i = 0; i < len - 3; i++) x ^= line[i];
  line[len - 3] = 0;
  return x == ((hi << 4) | lo);
}

void protocolLine(LineStatus status) {
  if (status == LINE_TOO_LONG) return err(F("LINE line too long"));
  if (status == LINE_BAD_CHAR) return err(F("CHAR non-ASCII byte"));
  char *line = lineText();
  if (!checksumOk(line)) return err(F("CSUM bad checksum"));
  char cmd = line[0];
  if (cmd == 0) return err(F("CMD empty line"));
  if (line[1] != 0 && line[1] != ' ') return unknownCommand();
  // arg: the text after "<cmd> ", or nullptr if the line is the letter alone.
  char *arg = line[1] ? line + 2 : nullptr;
  switch (cmd) {
    case 'V':
      if (arg) return badArgs();
      appCommandAccepted();
      uartPrint(F("OK "));
      return printFields(false);
    case 'P':
      return arg ? badArgs() : ok();
    case 'R':
      if (arg) return badArgs();
      ok();
      uartFlush();
      resetByCommand();
#ifdef PMLCD_TEST_HOOKS
    case 'X':  // test builds only: hang with interrupts on, so only the watchdog can recover
      for (;;) {}
#endif
    case 'F':
      return arg ? cmdFrame(arg) : badArgs();
    case 'T':
      return arg ? cmdText(arg) : badArgs();
    case 'G':
      return arg ? cmdGlyph(arg) : badArgs();
    case 'B':
      return arg ? cmdBacklight(arg) : badArgs();
    case 'M':
      return arg ? cmdMode(arg) : badArgs();
    case 'C':
      return arg ? cmdConfig(arg) : badArgs();
    default:
      return unknownCommand();
  }
}
