// EEPROM byte access for the settings store (config.cpp). On the board this is
// avr-libc's EEPROM driver (eeprom_io.cpp); the native tests supply their own,
// one that can cut the power in the middle of a save.
#pragma once
#include <stdint.h>

uint8_t eepromRead(uint16_t addr);
// Programs the byte only if it differs (a write takes 3.4 ms and wears the
// cell); false if it does not read back.
bool eepromUpdate(uint16_t addr, uint8_t value);
