// HD44780 driver with two bus back-ends, found at the first lcdBegin(): a PCF8574(A)
// I2C backpack on A4/A5 (lcd_i2c.cpp) if one answers, else the 4-bit parallel
// wiring of board_pins.h (PC0-PC3 data, RS on PB0, E on PB1, RW tied to ground: no
// busy flag). Instead of blind delays it remembers when the last instruction was
// latched (Timer1, free running at 2 MHz, owned by this driver) and waits only for
// what is left of that instruction's execution time, sized for the slowest
// oscillator the datasheet allows (190 kHz).
#pragma once
#include <stdint.h>

constexpr uint8_t LCD_CLEAR = 0x01;
constexpr uint8_t LCD_HOME = 0x02;
constexpr uint8_t LCD_ENTRY_INC = 0x06;   // entry mode: increment, no display shift
constexpr uint8_t LCD_DISPLAY_ON = 0x0C;  // display on, cursor off, blink off
constexpr uint8_t LCD_DISPLAY_OFF = 0x08;
constexpr uint8_t LCD_FUNCTION_4BIT_2LINE =
    0x28;  // also for 4 rows: they are two lines cut in half
constexpr uint8_t LCD_SET_CGRAM = 0x40;
constexpr uint8_t LCD_SET_DDRAM = 0x80;
constexpr uint8_t LCD_ROW2_ADDR = 0x40;

// Finds the bus (once), waits for power-up, initialises by instruction; leaves the
// display cleared and on.
void lcdBegin();
// Sends an instruction. Clear and home get the long execution time; function
// set is sent as given, so callers must not switch the bus to 8 bits.
void lcdCommand(uint8_t cmd);
// Writes a character code (or a CGRAM row) at the address counter.
void lcdData(uint8_t code);
// Ends the backpack's bus transaction that LCD writes leave open (the main loop calls
// it once a pass); nothing to do on the parallel wiring.
void lcdRelease();
// The backpack's 7-bit I2C address, or 0 for the parallel wiring.
uint8_t lcdI2cAddress();
// The backpack's backlight bit (the parallel wiring's backlight is backlight.cpp's D3).
void lcdBacklight(bool on);
