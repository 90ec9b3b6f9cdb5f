// The LCD driver's I2C back-end (lcd.cpp holds the interface, timing and the parallel
// back-end): an HD44780 behind a PCF8574 (0x20-0x27) or PCF8574A (0x38-0x3F)
// backpack with the common mapping, P0 RS, P1 RW, P2 E, P3 backlight (on when high),
// P4-P7 D4-D7. One TWI transaction per LCD byte: the STOP, START and address byte
// between two bytes give most of the 37 us the LCD needs, so lcd.cpp waits only for
// the rest.
#pragma once
#include <stdint.h>

// Scans both address ranges with an address-only write; the first device to
// acknowledge, or 0. Starts the TWI (twi.h); stops it again when nothing answers.
uint8_t lcdI2cFind();
// Sends the high nibble of b, and the low one too unless oneNibble (4-bit init).
// RS is set up with E low first whenever it changes (the HD44780's address set-up time).
void lcdI2cSend(bool rs, uint8_t b, bool oneNibble);
// Sets the backlight bit; the port is written at once if it changed.
void lcdI2cBacklight(bool on);
