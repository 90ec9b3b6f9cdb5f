// Placeholder firmware: proves the toolchain, the pin map and the simulator.
// Replaced by the real firmware (issue: firmware part 1).
#include <Arduino.h>
#include "board_pins.h"

static void lcdNibble(uint8_t n) {
  PORTC = (PORTC & 0xF0) | (n & 0x0F);
  digitalWrite(PMLCD_PIN_LCD_E, HIGH);
  delayMicroseconds(1);
  digitalWrite(PMLCD_PIN_LCD_E, LOW);
}

static void lcdByte(uint8_t rs, uint8_t b) {
  digitalWrite(PMLCD_PIN_LCD_RS, rs);
  lcdNibble(b >> 4);
  lcdNibble(b);
  delayMicroseconds(100);
}

static void lcdText(const __FlashStringHelper *s) {
  const char *p = reinterpret_cast<const char *>(s);
  for (char c = pgm_read_byte(p); c; c = pgm_read_byte(++p)) lcdByte(HIGH, c);
}

void setup() {
  pinMode(PMLCD_PIN_SD_CS, OUTPUT);
  digitalWrite(PMLCD_PIN_SD_CS, HIGH);
  pinMode(PMLCD_PIN_ETH_CS, OUTPUT);
  digitalWrite(PMLCD_PIN_ETH_CS, HIGH);
  pinMode(PMLCD_PIN_LCD_RS, OUTPUT);
  pinMode(PMLCD_PIN_LCD_E, OUTPUT);
  DDRC |= 0x0F;
  Serial.begin(115200);
  Serial.println(F("PMLCD placeholder"));
  delay(50);
  lcdNibble(3); delay(5);
  lcdNibble(3); delayMicroseconds(150);
  lcdNibble(3); delayMicroseconds(150);
  lcdNibble(2); delayMicroseconds(100);
  lcdByte(LOW, 0x28);
  lcdByte(LOW, 0x0C);
  lcdByte(LOW, 0x01); delay(3);
  lcdByte(LOW, 0x06);
  lcdText(F("pmlcd"));
  lcdByte(LOW, 0xC0);
  lcdText(F("placeholder"));
}

void loop() {}
