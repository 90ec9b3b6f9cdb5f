// The settings store (layout and guarantees in config.h). Portable: the native
// tests compile it against an EEPROM that loses power mid-save.
#include "config.h"
#include <string.h>
#include "eeprom_io.h"
#ifdef __AVR__
#include <avr/pgmspace.h>
#include <util/crc16.h>
// .noinit: kept across resets that keep RAM, not cleared by the C runtime.
#define KEPT_IN_RAM __attribute__((section(".noinit")))
#else
#define PROGMEM
#define memcpy_P memcpy
#define KEPT_IN_RAM
// avr-libc's documented C equivalent of its assembler version.
static uint16_t _crc_ccitt_update(uint16_t crc, uint8_t data) {
  data ^= crc & 0xFF;
  data ^= data << 4;
  return ((static_cast<uint16_t>(data) << 8) | (crc >> 8)) ^ static_cast<uint8_t>(data >> 4) ^
         (static_cast<uint16_t>(data) << 3);
}
#endif

static_assert(CFG_EEPROM_ADDR + CFG_SLOTS * CFG_SLOT_SIZE <= 1024,
              "the slots fit the ATmega328P's EEPROM");

// In .noinit so that a save waiting for its hold-off survives a reset.
Config cfg KEPT_IN_RAM;
CfgStatus cfgStatus;

constexpr uint16_t HOLDOFF_MAGIC = 0x5AE5;
// RAM kept across resets: set while a save's hold-off runs.
static struct {
  uint16_t magic;      // HOLDOFF_MAGIC while the hold-off of the last save runs
  bool pending;        // cfg differs from EEPROM and waits for the hold-off to end
  uint16_t cfgCrc;     // of cfg while pending: proves RAM survived the reset
  uint32_t sinceSave;  // uptime since the last save, carried across resets
} holdoff KEPT_IN_RAM;

static uint32_t lastSaveMs;  // millis() of the last save (may be "before boot")
static uint8_t newestSlot;
static uint32_t newestSeq;  // 0 with newestSlot = CFG_SLOTS - 1: nothing stored yet
// The newest slot holds an older layout: its bytes are not comparable with cfg.
static bool newestIsOld;

static const Config DEFAULTS PROGMEM = {
    MODE_HOST,
    1,
    {192, 168, 1, 177},
    {255, 255, 255, 0},
    {192, 168, 1, 1},
    {192, 168, 1, 1},
    {0xDE, 0xAD, 0xBE, 0xEF, 0xFE, 0xED},
    {192, 168, 1, 1},
    44322,
    API_AUTO,
    "localhost",
    "ppp0",
    "network.interface.in.bytes",
    "network.interface.out.bytes",
    "shping.time.real",
    "ping",
    2,
    0,
    20000000UL,
    1000000UL,
    10,
    1,
    BL_ON,
    LCD_16X2,
};

void configDefaults() { memcpy_P(&cfg, &DEFAULTS, sizeof cfg); }

static uint16_t at;  // EEPROM cursor of readTo()/writeFrom()/crcAt()

// Settings bytes and slot start in a layout (CFG_LAYOUT_VERSION or CFG_LAYOUT_V1).
static uint8_t lengthOf(uint8_t layout) {
  return sizeof(Config) - (layout == CFG_LAYOUT_V1 ? sizeof Config::lcdSize : 0);
}
static uint16_t slotAt(uint8_t slot, uint8_t layout = CFG_LAYOUT_VERSION) {
  return CFG_EEPROM_ADDR + slot * (CFG_SLOT_SIZE - sizeof(Config) + lengthOf(layout));
}
constexpr uint16_t DATA_OFFSET = sizeof(ConfigHeader);
constexpr uint16_t SEQ_OFFSET = sizeof(ConfigHeader) + sizeof(Config);

static void readTo(void *dst, uint8_t n) {
  uint8_t *p = static_cast<uint8_t *>(dst);
  while (n--) *p++ = eepromRead(at++);
}

static bool writeFrom(const void *src, uint8_t n) {
  const uint8_t *p = static_cast<const uint8_t *>(src);
  while (n--) {
    if (!eepromUpdate(at++, *p++)) return false;
  }
  return true;
}

// CRC of n Config bytes in RAM (from != nullptr) or in EEPROM at the cursor.
static uint16_t crcOf(const uint8_t *from, uint8_t n = sizeof(Config)) {
  uint16_t crc = 0xFFFF;
  for (uint8_t i = 0; i < n; i++) crc = _crc_ccitt_update(crc, from ? *from++ : eepromRead(at++));
  return crc;
}
static uint16_t cfgCrc() { return crcOf(reinterpret_cast<const uint8_t *>(&cfg)); }

// Writes cfg to the slot after the newest (never over it) with the next sequence.
static bool writeSlot() {
  uint8_t slot = (newestSlot + 1) % CFG_SLOTS;
  uint16_t base = slotAt(slot);
  uint32_t seq = ~(newestSeq + 1);
  ConfigHeader h = {CFG_MAGIC, CFG_LAYOUT_VERSION, sizeof(Config), cfgCrc()};
  // Begin copy first, end copy last: until both match the slot is ignored.
  at = base + SEQ_OFFSET;
  if (!writeFrom(&seq, CFG_SEQ_SIZE)) return false;
  at = base;
  if (!writeFrom(&h, sizeof h) || !writeFrom(&cfg, sizeof cfg)) return false;
  at += CFG_SEQ_SIZE;  // over the begin copy
  if (!writeFrom(&seq, CFG_SEQ_SIZE)) return false;
  newestSlot = slot;
  newestSeq++;
  newestIsOld = false;
  return true;
}

static bool sameAsStored() {
  if (newestIsOld) return false;
  const uint8_t *p = reinterpret_cast<const uint8_t *>(&cfg);
  at = slotAt(newestSlot) + DATA_OFFSET;
  for (uint8_t i = 0; i < sizeof(Config); i++) {
    if (eepromRead(at++) != p[i]) return false;
  }
  return true;
}

static bool saveNow(uint32_t now) {
  holdoff.pending = false;
  if (sameAsStored()) return true;
  holdoff.magic = HOLDOFF_MAGIC;
  holdoff.sinceSave = 0;
  lastSaveMs = now;
  return writeSlot();
}

static bool holding(uint32_t now) {
  return holdoff.magic == HOLDOFF_MAGIC && now - lastSaveMs < CFG_SAVE_HOLDOFF_MS;
}

bool configSave(uint32_t now) {
  if (!holding(now)) return saveNow(now);
  holdoff.pending = true;
  holdoff.cfgCrc = cfgCrc();
  return true;
}

void configPoll(uint32_t now) {
  if (holdoff.magic != HOLDOFF_MAGIC) return;
  holdoff.sinceSave = now - lastSaveMs;
  if (holding(now)) return;
  if (holdoff.pending)
    saveNow(now);
  else
    holdoff.magic = 0;  // hold-off over: the next save is written at once
}

uint32_t configSaves() { return newestSeq; }

static void terminateStrings() {
  cfg.hostspec[CFG_HOSTSPEC_LEN] = 0;
  cfg.iface[CFG_IFACE_LEN] = 0;
  cfg.mIn[CFG_METRIC_LEN] = 0;
  cfg.mOut[CFG_METRIC_LEN] = 0;
  cfg.mLat[CFG_METRIC_LEN] = 0;
  cfg.latInst[CFG_INST_LEN] = 0;
}

// Finds the newest valid slot of a layout (newestSlot, newestSeq); old: a slot
// of another layout was seen.
static bool findNewest(uint8_t layout, bool &old) {
  bool found = false;
  uint8_t len = lengthOf(layout);
  for (uint8_t slot = 0; slot < CFG_SLOTS; slot++) {
    ConfigHeader h;
    uint32_t seq[2];
    at = slotAt(slot, layout);
    readTo(&h, sizeof h);
    uint16_t crc = crcOf(nullptr, len);
    readTo(seq, sizeof seq);
    // Unequal copies: cut short (a torn header is not an older layout).
    if (h.magic != CFG_MAGIC || seq[0] != seq[1]) continue;
    if (h.layout != layout || h.length != len) {
      old = true;
      continue;
    }
    if (h.crc != crc) continue;
    uint32_t n = ~seq[0];
    if (found && static_cast<int32_t>(n - newestSeq) <= 0) continue;
    found = true;
    newestSlot = slot;
    newestSeq = n;
  }
  return found;
}

CfgStatus configLoad() {
  bool old = false;
  uint8_t layout = CFG_LAYOUT_VERSION;
  bool found = findNewest(layout, old);
  // Settings of the firmware before lcd.size: the next save writes the current layout
  // into the slot after this one, whose bytes never overlap it.
  bool v2Seen = false;  // a layout-2 slot is never an older layout's
  if (!found) found = findNewest(layout = CFG_LAYOUT_V1, v2Seen);
  newestIsOld = found && layout != CFG_LAYOUT_VERSION;
  // A reset that kept RAM: the hold-off goes on from where it was.
  bool kept = holdoff.magic == HOLDOFF_MAGIC;
  lastSaveMs = -holdoff.sinceSave;
  if (!kept) holdoff.pending = false;
  if (found) {
    cfgStatus = CFG_OK;
    if (!(holdoff.pending && holdoff.cfgCrc == cfgCrc())) {
      holdoff.pending = false;
      configDefaults();  // lcdSize, when the slot is of layout 1
      at = slotAt(newestSlot, layout) + DATA_OFFSET;
      readTo(&cfg, lengthOf(layout));
    }
  } else {
    cfgStatus = old ? CFG_OLD : CFG_DEFAULTS;
    newestSlot = CFG_SLOTS - 1;
    newestSeq = 0;
    holdoff.pending = false;
    configDefaults();
    writeSlot();
  }
  terminateStrings();
  return cfgStatus;
}

#ifndef __AVR__
// Native tests: RAM as a power cut leaves it (the hold-off state is lost).
void configRamLost(uint8_t fill) {
  memset(&holdoff, fill, sizeof holdoff);
  memset(&cfg, fill, sizeof cfg);
}
#endif
