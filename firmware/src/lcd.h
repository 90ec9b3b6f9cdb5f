// HD44780 16x2 driver: 4-bit bus on PC0-PC3, RS on PB0, E on PB1, RW tied to
// ground (no busy flag). Instead of blind delays it remembers when the last
// instruction was latched (Timer1, free running at 2 MHz, owned by this driver)
// and waits only for what is left of that instruction's execution time, which
// is sized for the slowest oscillator the datasheet allows (190 kHz).
#pragma once
#include <stdint.h>

constexpr uint8_t LCD_CLEAR = 0x01;
constexpr uint8_t LCD_HOME = 0x02;
constexpr uint8_t LCD_ENTRY_INC = 0x06;   // entry mode: increment, no display shift
constexpr uint8_t LCD_DISPLAY_ON = 0x0C;  // display on, cursor off, blink off
constexpr uint8_t LCD_DISPLAY_OFF = 0x08;
constexpr uint8_t LCD_FUNCTION_4BIT_2LINE = 0x28;
constexpr uint8_t LCD_SET_CGRAM = 0x40;
constexpr uint8_t LCD_SET_DDRAM = 0x80;
constexpr uint8_t LCD_ROW2_ADDR = 0x40;

// Power-up wait and initialisation by instruction; leaves the display cleared and on.
void lcdBegin();
// Sends an instruction. Clear and home get the long execution time; function
// set is sent as given, so callers must not switch the bus to 8 bits.
void lcdCommand(uint8_t cmd);
// Writes a character code (or a CGRAM row) at the address counter.
void lcdData(uint8_t code);
