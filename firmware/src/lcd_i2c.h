// The LCD driver's I2C back-end (lcd.cpp holds the interface, timing and the parallel
// back-end): an HD44780 behind a PCF8574 (0x20-0x27) or PCF8574A (0x38-0x3F)
// backpack with the common mapping, P0 RS, P1 RW, P2 E, P3 backlight (on when high),
// P4-P7 D4-D7. LCD bytes stream in one TWI transaction, four port bytes each (E high
// and low per nibble), which stays open until lcdI2cRelease(): no START, address and
// STOP per byte. lcd.cpp waits out the LCD's execution time before a byte that
// raises E, less the bus time before E actually rises.
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
// Whether a transaction is open (the next byte needs no START and address).
bool lcdI2cOpen();
// Ends the transaction, if one is open: the bus is free again.
void lcdI2cRelease();
