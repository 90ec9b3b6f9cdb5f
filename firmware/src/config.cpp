#include "config.h"
#include <avr/eeprom.h>
#include <avr/pgmspace.h>
#include <avr/wdt.h>
#include <string.h>
#include <util/crc16.h>

Config cfg;
CfgStatus cfgStatus;

static const Config DEFAULTS PROGMEM = {
    MODE_HOST, 1,
    {192, 168, 1, 177}, {255, 255, 255, 0}, {192, 168, 1, 1}, {192, 168, 1, 1},
    {0xDE, 0xAD, 0xBE, 0xEF, 0xFE, 0xED},
    {192, 168, 1, 1}, 44322, API_AUTO,
    "localhost", "ppp0",
    "network.interface.in.bytes", "network.interface.out.bytes", "shping.time.real", "ping",
    2, 0, 20000000UL, 1000000UL, 10, 1, BL_ON,
};

static uint16_t crcOf(const Config &c) {
  const uint8_t *p = reinterpret_cast<const uint8_t *>(&c);
  uint16_t crc = 0xFFFF;
  for (uint16_t i = 0; i < sizeof c; i++) crc = _crc_ccitt_update(crc, p[i]);
  return crc;
}

void configDefaults() { memcpy_P(&cfg, &DEFAULTS, sizeof cfg); }

// Writes only bytes that differ (an EEPROM write takes 3.4 ms) and reads each back.
static bool store(uint16_t addr, const void *src, uint16_t n) {
  const uint8_t *p = static_cast<const uint8_t *>(src);
  for (uint16_t i = 0; i < n; i++) {
    uint8_t *a = reinterpret_cast<uint8_t *>(addr + i);
    eeprom_update_byte(a, p[i]);
    wdt_reset();
    if (eeprom_read_byte(a) != p[i]) return false;
  }
  return true;
}

bool configSave() {
  ConfigHeader h = {CFG_MAGIC, CFG_LAYOUT_VERSION, sizeof(Config), crcOf(cfg)};
  // Data before header: a save cut short leaves a CRC mismatch, never a wrong config.
  return store(CFG_EEPROM_ADDR + sizeof h, &cfg, sizeof cfg) && store(CFG_EEPROM_ADDR, &h, sizeof h);
}

static void terminateStrings() {
  cfg.hostspec[CFG_HOSTSPEC_LEN] = 0;
  cfg.iface[CFG_IFACE_LEN] = 0;
  cfg.mIn[CFG_METRIC_LEN] = 0;
  cfg.mOut[CFG_METRIC_LEN] = 0;
  cfg.mLat[CFG_METRIC_LEN] = 0;
  cfg.latInst[CFG_INST_LEN] = 0;
}

CfgStatus configLoad() {
  ConfigHeader h;
  eeprom_read_block(&h, reinterpret_cast<const void *>(CFG_EEPROM_ADDR), sizeof h);
  eeprom_read_block(&cfg, reinterpret_cast<const void *>(CFG_EEPROM_ADDR + sizeof h), sizeof cfg);
  if (h.magic != CFG_MAGIC) cfgStatus = CFG_DEFAULTS;
  else if (h.layout != CFG_LAYOUT_VERSION || h.length != sizeof(Config)) cfgStatus = CFG_OLD;
  else if (h.crc != crcOf(cfg)) cfgStatus = CFG_DEFAULTS;
  else cfgStatus = CFG_OK;
  if (cfgStatus != CFG_OK) {
    configDefaults();
    configSave();
  }
  terminateStrings();
  return cfgStatus;
}
