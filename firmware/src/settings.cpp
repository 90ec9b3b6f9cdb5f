#include "settings.h"
#include <avr/pgmspace.h>
#include <stddef.h>
#include <string.h>
#include "config.h"
#include "pgm_list.h"
#include "text.h"
#include "uart.h"

// T_SAVES: read-only, the store's save count (configSaves()), not in Config.
enum Type : uint8_t {
  T_ENUM,
  T_BOOL,
  T_IP,
  T_MAC,
  T_U16,
  T_U32,
  T_SAVES,
  T_STR_METRIC,
  T_STR_NAME
};
// Added to a string type: the empty string is allowed (the latency metric is optional).
constexpr uint8_t T_OPTIONAL = 0x80;

// Enum value names, NUL-separated, in value order.
static const char ENUM_MODE[] PROGMEM = "host\0net\0lcdproc\0";
static const char ENUM_API[] PROGMEM = "auto\0pmproxy\0pmwebd\0";
static const char ENUM_UNITS[] PROGMEM = "bits\0bytes\0";
static const char ENUM_BACKLIGHT[] PROGMEM = "on\0off\0lost-off\0alert-blink\0";
static const char ENUM_LCD_SIZE[] PROGMEM = "16x2\00020x2\00016x4\00020x4\0";  // LcdSize order
static const char *const ENUMS[] PROGMEM = {ENUM_MODE, ENUM_API, ENUM_UNITS, ENUM_BACKLIGHT,
                                            ENUM_LCD_SIZE};
static const uint8_t ENUM_SIZES[] PROGMEM = {3, 3, 2, 4, 4};
enum EnumList : uint8_t { E_MODE, E_API, E_UNITS, E_BACKLIGHT, E_LCD_SIZE };

struct Range {
  uint16_t min, max;
};
static const Range RANGES[] PROGMEM = {{1, 65535}, {1, 3600}};
enum RangeIndex : uint8_t { R_PORT, R_SECONDS };

struct Setting {
  const char *name;
  uint8_t type;
  uint8_t offset;  // into Config
  uint8_t arg;     // enum list, range, or string capacity
};

#define KEY(var, text) static const char var[] PROGMEM = text;
KEY(K_MODE, "mode")
KEY(K_DHCP, "net.dhcp")
KEY(K_IP, "net.ip")
KEY(K_MASK, "net.mask")
KEY(K_GW, "net.gw")
KEY(K_DNS, "net.dns")
KEY(K_MAC, "net.mac")
KEY(K_SRVIP, "srv.ip")
KEY(K_SRVPORT, "srv.port")
KEY(K_API, "srv.api")
KEY(K_HOSTSPEC, "srv.hostspec")
KEY(K_IFACE, "iface")
KEY(K_MIN, "m.in")
KEY(K_MOUT, "m.out")
KEY(K_MLAT, "m.lat")
KEY(K_LATINST, "m.latinst")
KEY(K_POLL, "poll")
KEY(K_UNITS, "units")
KEY(K_CAPDOWN, "cap.down")
KEY(K_CAPUP, "cap.up")
KEY(K_TIMEOUT, "host.timeout")
KEY(K_FALLBACK, "host.fallback")
KEY(K_BACKLIGHT, "backlight")
KEY(K_LCDSIZE, "lcd.size")
KEY(K_SAVES, "saves")

#define AT(field) static_cast<uint8_t>(offsetof(Config, field))
static const Setting SETTINGS[] PROGMEM = {
    {K_MODE, T_ENUM, AT(mode), E_MODE},
    {K_DHCP, T_BOOL, AT(dhcp), 0},
    {K_IP, T_IP, AT(ip), 0},
    {K_MASK, T_IP, AT(mask), 0},
    {K_GW, T_IP, AT(gw), 0},
    {K_DNS, T_IP, AT(dns), 0},
    {K_MAC, T_MAC, AT(mac), 0},
    {K_SRVIP, T_IP, AT(srvIp), 0},
    {K_SRVPORT, T_U16, AT(srvPort), R_PORT},
    {K_API, T_ENUM, AT(api), E_API},
    {K_HOSTSPEC, T_STR_NAME, AT(hostspec), CFG_HOSTSPEC_LEN},
    {K_IFACE, T_STR_NAME, AT(iface), CFG_IFACE_LEN},
    {K_MIN, T_STR_METRIC, AT(mIn), CFG_METRIC_LEN},
    {K_MOUT, T_STR_METRIC, AT(mOut), CFG_METRIC_LEN},
    {K_MLAT, T_STR_METRIC | T_OPTIONAL, AT(mLat), CFG_METRIC_LEN},
    {K_LATINST, T_STR_NAME | T_OPTIONAL, AT(latInst), CFG_INST_LEN},
    {K_POLL, T_U16, AT(pollSec), R_SECONDS},
    {K_UNITS, T_ENUM, AT(unitsBytes), E_UNITS},
    {K_CAPDOWN, T_U32, AT(capDown), 0},
    {K_CAPUP, T_U32, AT(capUp), 0},
    {K_TIMEOUT, T_U16, AT(hostTimeoutSec), R_SECONDS},
    {K_FALLBACK, T_BOOL, AT(hostFallback), 0},
    {K_BACKLIGHT, T_ENUM, AT(backlight), E_BACKLIGHT},
    {K_LCDSIZE, T_ENUM, AT(lcdSize), E_LCD_SIZE},
    {K_SAVES, T_SAVES, 0, 0},
};
constexpr uint8_t SETTING_COUNT = sizeof SETTINGS / sizeof SETTINGS[0];
static_assert(sizeof(Config) < 256, "offsets are 8-bit");

static Setting get(uint8_t idx) {
  Setting s;
  memcpy_P(&s, &SETTINGS[idx], sizeof s);
  return s;
}

static uint8_t *field(const Setting &s) { return reinterpret_cast<uint8_t *>(&cfg) + s.offset; }

uint8_t settingCount() { return SETTING_COUNT; }

uint8_t settingModeIndex() { return 0; }

uint8_t settingFind(const char *key) {
  for (uint8_t i = 0; i < SETTING_COUNT; i++) {
    if (strcmp_P(key, get(i).name) == 0) return i;
  }
  return SETTING_NONE;
}

// The n-th name of an enum list, or nullptr.
static const char *enumName(uint8_t list, uint8_t n) {
  if (n >= pgm_read_byte(&ENUM_SIZES[list])) return nullptr;
  return pgmListItem(reinterpret_cast<const char *>(pgm_read_ptr(&ENUMS[list])), n);
}

static uint8_t enumParse(uint8_t list, const char *v) {
  for (uint8_t n = 0;; n++) {
    const char *name = enumName(list, n);
    if (!name) return 0xFF;
    if (strcmp_P(v, name) == 0) return n;
  }
}

uint8_t settingParseMode(const char *name) { return enumParse(E_MODE, name); }

const __FlashStringHelper *settingModeName(uint8_t mode) {
  return reinterpret_cast<const __FlashStringHelper *>(enumName(E_MODE, mode));
}

const __FlashStringHelper *settingLcdSizeName(uint8_t size) {
  return reinterpret_cast<const __FlashStringHelper *>(enumName(E_LCD_SIZE, size));
}

// Decimal without sign or leading garbage; at most maxDigits digits.
static bool parseDecimal(const char *&p, uint32_t &v, uint8_t maxDigits) {
  v = 0;
  uint8_t n = 0;
  while (*p >= '0' && *p <= '9') {
    if (++n > maxDigits) return false;
    uint8_t d = *p++ - '0';
    // "next < v" misses most overflows of v * 10 (9999999999 wraps to a larger value).
    if (v > (UINT32_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  return n > 0;
}

static bool parseIp(const char *p, uint8_t out[4]) {
  for (uint8_t i = 0; i < 4; i++) {
    uint32_t v;
    if (!parseDecimal(p, v, 3) || v > 255) return false;
    out[i] = v;
    if (*p++ != (i < 3 ? '.' : '\0')) return false;
  }
  return true;
}

static bool parseMac(const char *p, uint8_t out[6]) {
  for (uint8_t i = 0; i < 6; i++) {
    int8_t hi = hexValue(p[0]), lo = hexValue(p[1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = (hi << 4) | lo;
    if (p[2] != (i < 5 ? ':' : '\0')) return false;
    p += 3;
  }
  return true;
}

// PCP metric names: letters, digits, '.', '_'. Other names (host spec,
// interface, instance) also allow ':', '@', '/', '-': nothing that needs
// quoting in a URL or JSON string.
static bool nameChar(char c, bool metric) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
      c == '_')
    return true;
  return !metric && (c == ':' || c == '@' || c == '/' || c == '-');
}

bool settingParse(uint8_t idx, const char *v) {
  Setting s = get(idx);
  uint8_t *f = field(s);
  uint32_t n;
  const char *p = v;
  switch (s.type) {
    case T_ENUM: {
      uint8_t e = enumParse(s.arg, v);
      if (e == 0xFF) return false;
      *f = e;
      return true;
    }
    case T_BOOL:
      if ((v[0] != '0' && v[0] != '1') || v[1]) return false;
      *f = v[0] - '0';
      return true;
    case T_IP: {
      uint8_t ip[4];
      if (!parseIp(v, ip)) return false;
      memcpy(f, ip, 4);
      return true;
    }
    case T_MAC: {
      uint8_t mac[6];
      if (!parseMac(v, mac)) return false;
      memcpy(f, mac, 6);
      return true;
    }
    case T_U16: {
      Range r;
      memcpy_P(&r, &RANGES[s.arg], sizeof r);
      if (!parseDecimal(p, n, 5) || *p || n < r.min || n > r.max) return false;
      uint16_t u = n;
      memcpy(f, &u, 2);
      return true;
    }
    case T_U32:
      if (!parseDecimal(p, n, 10) || *p) return false;
      memcpy(f, &n, 4);
      return true;
    case T_SAVES:
      return false;
    default: {  // strings
      size_t len = strlen(v);
      if ((len == 0 && !(s.type & T_OPTIONAL)) || len > s.arg) return false;
      for (const char *c = v; *c; c++) {
        if (!nameChar(*c, (s.type & ~T_OPTIONAL) == T_STR_METRIC)) return false;
      }
      memcpy(f, v, len + 1);
      return true;
    }
  }
}

static void printFlash(const char *s) {
  uartPrint(reinterpret_cast<const __FlashStringHelper *>(s));
}

void settingPrint(uint8_t idx) {
  Setting s = get(idx);
  const uint8_t *f = field(s);
  printFlash(s.name);
  uartWrite('=');
  switch (s.type) {
    case T_ENUM: {
      const char *name = enumName(s.arg, *f);
      if (name) printFlash(name);
      break;
    }
    case T_BOOL:
      uartPrintNumber(*f);
      break;
    case T_IP:
      for (uint8_t i = 0; i < 4; i++) {
        if (i) uartWrite('.');
        uartPrintNumber(f[i]);
      }
      break;
    case T_MAC:
      for (uint8_t i = 0; i < 6; i++) {
        if (i) uartWrite(':');
        uartPrintHex2(f[i]);
      }
      break;
    case T_U16: {
      uint16_t u;
      memcpy(&u, f, 2);
      uartPrintNumber(u);
      break;
    }
    case T_U32: {
      uint32_t u;
      memcpy(&u, f, 4);
      uartPrintNumber(u);
      break;
    }
    case T_SAVES:
      uartPrintNumber(configSaves());
      break;
    default:
      uartPrint(reinterpret_cast<const char *>(f));
  }
}
