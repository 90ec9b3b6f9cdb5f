#include "eeprom_io.h"
#include <avr/eeprom.h>
#include <avr/wdt.h>

uint8_t eepromRead(uint16_t addr) {
  return eeprom_read_byte(reinterpret_cast<const uint8_t *>(addr));
}

bool eepromUpdate(uint16_t addr, uint8_t value) {
  uint8_t *a = reinterpret_cast<uint8_t *>(addr);
  eeprom_update_byte(a, value);  // reads first, writes only a different byte
  wdt_reset();                   // a full slot is ~0.8 s of writes
  return eeprom_read_byte(a) == value;
}
