// The settings as text: the keys of docs/protocol.md, parsed and printed
// against the Config struct. A value is validated completely before cfg changes.
#pragma once
#include <WString.h>
#include <stdint.h>

constexpr uint8_t SETTING_NONE = 0xFF;

uint8_t settingCount();
uint8_t settingFind(const char *key);  // SETTING_NONE if unknown
// Writes "key=value" (canonical form) to the serial port.
void settingPrint(uint8_t idx);
// Parses value into cfg; false (cfg untouched) if it is not valid for the key.
bool settingParse(uint8_t idx, const char *value);
// Index of "mode", whose change also switches the running mode.
uint8_t settingModeIndex();
// Parses an enum name of the "mode" key (host/net/lcdproc); 0xFF if none.
uint8_t settingParseMode(const char *name);
const __FlashStringHelper *settingModeName(uint8_t mode);
// "16x2", "20x2", "16x4" or "20x4" for an LcdSize.
const __FlashStringHelper *settingLcdSizeName(uint8_t size);
