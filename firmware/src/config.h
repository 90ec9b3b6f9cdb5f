// Persistent settings (EEPROM, versioned, CRC-checked). Contract shared by the
// host-mode and network-mode parts of the firmware; keys and defaults are listed
// in docs/protocol.md.
#pragma once
#include <stdint.h>

#define CFG_HOSTSPEC_LEN 31
#define CFG_IFACE_LEN 15
#define CFG_METRIC_LEN 39
#define CFG_INST_LEN 15

enum Mode : uint8_t { MODE_HOST = 0, MODE_NET = 1, MODE_LCDPROC = 2 };
enum Api : uint8_t { API_AUTO = 0, API_PMPROXY = 1, API_PMWEBD = 2 };
enum Backlight : uint8_t { BL_ON = 0, BL_OFF = 1, BL_LOST_OFF = 2, BL_ALERT_BLINK = 3 };
enum CfgStatus : uint8_t { CFG_OK = 0, CFG_DEFAULTS = 1, CFG_OLD = 2 };

struct Config {
  uint8_t mode;       // Mode
  uint8_t dhcp;       // 1: DHCP, 0: static ip/mask/gw/dns
  uint8_t ip[4], mask[4], gw[4], dns[4];
  uint8_t mac[6];
  uint8_t srvIp[4];
  uint16_t srvPort;
  uint8_t api;        // Api
  char hostspec[CFG_HOSTSPEC_LEN + 1];
  char iface[CFG_IFACE_LEN + 1];
  char mIn[CFG_METRIC_LEN + 1];
  char mOut[CFG_METRIC_LEN + 1];
  char mLat[CFG_METRIC_LEN + 1];
  char latInst[CFG_INST_LEN + 1];
  uint16_t pollSec;
  uint8_t unitsBytes; // 0: bit/s, 1: byte/s
  uint32_t capDown, capUp;  // bit/s
  uint16_t hostTimeoutSec;
  uint8_t hostFallback;
  uint8_t backlight;  // Backlight
};

extern Config cfg;

// Loads from EEPROM; falls back to (and stores) defaults when blank, corrupt or old.
CfgStatus configLoad();
void configDefaults();
bool configSave();

// Status of the last configLoad(), for the banner.
extern CfgStatus cfgStatus;

// EEPROM layout: a header, then the Config struct. A different magic means
// blank or foreign (defaults), a different layout version or length means an
// older firmware's settings (defaults, reported as "old").
#define CFG_EEPROM_ADDR 0
#define CFG_MAGIC 0x4C50         // "PL", little-endian
#define CFG_LAYOUT_VERSION 1
struct ConfigHeader {
  uint16_t magic;
  uint8_t layout;
  uint16_t length;               // sizeof(Config)
  uint16_t crc;                  // CRC-16/MCRF4XX (avr-libc _crc_ccitt_update) over the Config bytes
};
