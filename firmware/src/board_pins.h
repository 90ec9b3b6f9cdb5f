// The board's wiring: the one place pin numbers live. The simulator parses the
// PMLCD_PIN_* lines of this file, so keep them as "#define NAME <arduino pin>".
//
// The Ethernet shield owns D10 (W5100 chip select), D11-D13 (SPI) and D4 (SD
// card select), D0/D1 are the USB serial port. The LCD's data nibble sits on
// A0-A3 (PC0-PC3) so one port write puts a whole nibble on the bus.
#pragma once

#define PMLCD_PIN_LCD_RS 8     // PB0
#define PMLCD_PIN_LCD_E 9      // PB1
#define PMLCD_PIN_LCD_D4 14    // A0, PC0
#define PMLCD_PIN_LCD_D5 15    // A1, PC1
#define PMLCD_PIN_LCD_D6 16    // A2, PC2
#define PMLCD_PIN_LCD_D7 17    // A3, PC3
#define PMLCD_PIN_BACKLIGHT 3  // PD3 (OC2B), through a transistor; optional
#define PMLCD_PIN_ETH_CS 10    // PB2, W5100 chip select on the shield
#define PMLCD_PIN_SD_CS 4      // PD4, SD card on the shield: held high (deselected)
