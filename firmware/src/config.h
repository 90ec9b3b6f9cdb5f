// Persistent settings (EEPROM, versioned, CRC-checked). Contract shared by the
// host-mode and network-mode parts of the firmware; keys and defaults are listed
// in docs/protocol.md.
#pragma once
#include <stdint.h>

constexpr uint8_t CFG_HOSTSPEC_LEN = 31;
constexpr uint8_t CFG_IFACE_LEN = 15;
constexpr uint8_t CFG_METRIC_LEN = 39;
constexpr uint8_t CFG_INST_LEN = 15;

enum Mode : uint8_t { MODE_HOST = 0, MODE_NET = 1, MODE_LCDPROC = 2 };
enum Api : uint8_t { API_AUTO = 0, API_PMPROXY = 1, API_PMWEBD = 2 };
enum Backlight : uint8_t { BL_ON = 0, BL_OFF = 1, BL_LOST_OFF = 2, BL_ALERT_BLINK = 3 };
enum CfgStatus : uint8_t { CFG_OK = 0, CFG_DEFAULTS = 1, CFG_OLD = 2 };
// Columns x rows; display.cpp reads bit 0 as 20 columns and bit 1 as 4 rows.
enum LcdSize : uint8_t { LCD_16X2 = 0, LCD_20X2 = 1, LCD_16X4 = 2, LCD_20X4 = 3 };

struct Config {
  uint8_t mode;  // Mode
  uint8_t dhcp;  // 1: DHCP, 0: static ip/mask/gw/dns
  uint8_t ip[4], mask[4], gw[4], dns[4];
  uint8_t mac[6];
  uint8_t srvIp[4];
  uint16_t srvPort;
  uint8_t api;  // Api
  char hostspec[CFG_HOSTSPEC_LEN + 1];
  char iface[CFG_IFACE_LEN + 1];
  char mIn[CFG_METRIC_LEN + 1];
  char mOut[CFG_METRIC_LEN + 1];
  char mLat[CFG_METRIC_LEN + 1];
  char latInst[CFG_INST_LEN + 1];
  uint16_t pollSec;
  uint8_t unitsBytes;       // 0: bit/s, 1: byte/s
  uint32_t capDown, capUp;  // bit/s
  uint16_t hostTimeoutSec;
  uint8_t hostFallback;
  uint8_t backlight;  // Backlight
  uint8_t lcdSize;    // LcdSize; layout 2 appended it (configLoad reads layout 1 too)
};

extern Config cfg;

// Loads the newest valid slot from EEPROM; falls back to (and stores) defaults
// when none is valid. After a reset that kept RAM, a save still waiting (see
// configSave) is kept and stays pending.
CfgStatus configLoad();
void configDefaults();
// Stores cfg (now is millis()). Nothing is written when cfg equals the stored
// settings. The first save, and any save CFG_SAVE_HOLDOFF_MS of uptime after the
// previous one, is written at once; one sooner is kept in RAM and written when
// the hold-off ends (later changes coalesce into it). Uptime and the waiting
// settings survive resets that keep RAM (RESET pin, watchdog, R); a power cut
// before the hold-off ends leaves the previously stored settings. False only if
// an immediate write did not read back.
bool configSave(uint32_t now);
// From the main loop: writes a waiting save once its hold-off has passed.
void configPoll(uint32_t now);
// Saves since the EEPROM was blank: the newest slot's sequence number.
uint32_t configSaves();

// Status of the last configLoad(), for the banner.
extern CfgStatus cfgStatus;

// Bounds the worst host's EEPROM wear (docs/protocol.md): at most one save per
// minute of uptime whatever the host sends, each save rewriting one slot of four.
constexpr uint32_t CFG_SAVE_HOLDOFF_MS = 60000UL;

// EEPROM layout: CFG_SLOTS slots from CFG_EEPROM_ADDR, each a header, the Config
// struct, then the slot's sequence number twice ("begin" and "end", stored
// inverted so erased cells read as sequence 0). A save goes to the slot after
// the newest, writing begin first and end last: a slot whose copies differ was
// cut short and is ignored, so a power cut leaves either the old or the new
// settings. The valid slot with the newest sequence (serial-number order, so a
// wrap is harmless) wins. A different magic means blank or foreign (defaults), a
// different layout version or length an older firmware's settings (defaults,
// reported as "old"). Slot 0 is where the single-block layout of earlier
// firmware kept its settings: with the cells after it still erased, as that
// firmware left them, it loads as a slot with sequence 0.
constexpr uint16_t CFG_EEPROM_ADDR = 0;
constexpr uint8_t CFG_SLOTS = 4;
constexpr uint16_t CFG_MAGIC = 0x4C50;  // "PL", little-endian
constexpr uint8_t CFG_LAYOUT_VERSION = 2;
// The layout before lcdSize: slots one byte shorter, still loaded (lcdSize at its default).
constexpr uint8_t CFG_LAYOUT_V1 = 1;
struct ConfigHeader {
  uint16_t magic;
  uint8_t layout;
  uint16_t length;  // sizeof(Config)
  uint16_t crc;     // CRC-16/MCRF4XX (avr-libc _crc_ccitt_update) over the Config bytes
};
constexpr uint8_t CFG_SEQ_SIZE = 4;  // uint32_t, little-endian, inverted
constexpr uint16_t CFG_SLOT_SIZE = sizeof(ConfigHeader) + sizeof(Config) + 2 * CFG_SEQ_SIZE;
