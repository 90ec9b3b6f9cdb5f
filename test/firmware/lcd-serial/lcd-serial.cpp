// Test firmware for the simulator: drives the LCD per the HD44780 datasheet
// (4-bit init by instruction, timings for the slowest oscillator), echoes
// serial lines to the host and the LCD, and offers commands that exercise the
// simulator: idle sleep, halt, hang (watchdog), deep recursion, CRC busy work,
// EEPROM read/write, millis().
#include <Arduino.h>
#include <EEPROM.h>
#include <avr/sleep.h>
#include <avr/wdt.h>
#include "board_pins.h"

// Datasheet execution times are for fosc = 270 kHz; a slow part runs at 190 kHz.
constexpr uint16_t EXEC_SHORT_US = 37UL * 270 / 190 + 1;   // 53 us
constexpr uint16_t EXEC_LONG_US = 1520UL * 270 / 190 + 1;  // 2161 us
// >= 40 ms after VCC reaches 2.7 V; a build with -DLCD_POWER_UP_MS=10 checks that the
// simulator counts the LCD's wait from power-on, not from the firmware's start.
#ifndef LCD_POWER_UP_MS
#define LCD_POWER_UP_MS 50
#endif
constexpr uint8_t POWER_UP_MS = LCD_POWER_UP_MS;
constexpr uint8_t LCD_COLS = 16;
constexpr uint8_t LINE_MAX = 120;

static uint8_t resetFlags __attribute__((section(".noinit")));
static char line[LINE_MAX + 1];
static uint8_t lineLen;

// Runs before main's init(): a watchdog reset leaves the watchdog running.
void earlyInit() __attribute__((naked, used, section(".init3")));
void earlyInit() {
  resetFlags = MCUSR;
  MCUSR = 0;
  wdt_disable();
}

static void lcdPulse() {
  digitalWrite(PMLCD_PIN_LCD_E, HIGH);
  delayMicroseconds(1);  // PW_EH >= 450 ns
  digitalWrite(PMLCD_PIN_LCD_E, LOW);
  delayMicroseconds(1);  // t_cycE >= 1 us
}

static void lcdNibble(uint8_t n) {
  digitalWrite(PMLCD_PIN_LCD_D4, n & 1);
  digitalWrite(PMLCD_PIN_LCD_D5, (n >> 1) & 1);
  digitalWrite(PMLCD_PIN_LCD_D6, (n >> 2) & 1);
  digitalWrite(PMLCD_PIN_LCD_D7, (n >> 3) & 1);
  lcdPulse();
}

static void lcdByte(bool rs, uint8_t b) {
  digitalWrite(PMLCD_PIN_LCD_RS, rs);
  lcdNibble(b >> 4);
  lcdNibble(b & 0x0F);
  if (!rs && b <= 0x03)
    delayMicroseconds(EXEC_LONG_US);  // clear, home
  else
    delayMicroseconds(EXEC_SHORT_US);
}

static void lcdInit() {
  pinMode(PMLCD_PIN_LCD_RS, OUTPUT);
  pinMode(PMLCD_PIN_LCD_E, OUTPUT);
  pinMode(PMLCD_PIN_LCD_D4, OUTPUT);
  pinMode(PMLCD_PIN_LCD_D5, OUTPUT);
  pinMode(PMLCD_PIN_LCD_D6, OUTPUT);
  pinMode(PMLCD_PIN_LCD_D7, OUTPUT);
  pinMode(PMLCD_PIN_BACKLIGHT, OUTPUT);
  digitalWrite(PMLCD_PIN_BACKLIGHT, HIGH);
  delay(POWER_UP_MS);
  // Init by instruction (datasheet figure 24): three 8-bit function sets, then 4-bit.
  digitalWrite(PMLCD_PIN_LCD_RS, LOW);
  lcdNibble(0x3);
  delayMicroseconds(4100 + 500);
  lcdNibble(0x3);
  delayMicroseconds(100 + 50);
  lcdNibble(0x3);
  delayMicroseconds(EXEC_SHORT_US);
  lcdNibble(0x2);
  delayMicroseconds(EXEC_SHORT_US);
  lcdByte(false, 0x28);  // 4-bit, 2 lines, 5x8
  lcdByte(false, 0x08);  // display off
  lcdByte(false, 0x01);  // clear
  lcdByte(false, 0x06);  // increment, no shift
  lcdByte(false, 0x0C);  // display on
}

static void lcdRow(uint8_t row, const char *text, bool progmem) {
  lcdByte(false, 0x80 | (row ? 0x40 : 0x00));
  uint8_t i = 0;
  for (; i < LCD_COLS; i++) {
    char c = progmem ? pgm_read_byte(text + i) : text[i];
    if (!c) break;
    lcdByte(true, c);
  }
  for (; i < LCD_COLS; i++) lcdByte(true, ' ');
}

static uint16_t crc16(uint16_t crc, uint8_t b) {
  crc ^= b;
  for (uint8_t i = 0; i < 8; i++) crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
  return crc;
}

// Each level keeps a buffer live across the call so the compiler cannot flatten it.
static uint8_t recurse(uint16_t depth) {
  volatile uint8_t pad[16];
  for (uint8_t i = 0; i < sizeof pad; i++) pad[i] = depth + i;
  uint8_t below = depth ? recurse(depth - 1) : 0;
  return below + pad[depth & 15];
}

static void idle() {
  set_sleep_mode(SLEEP_MODE_IDLE);
  cli();
  if (!Serial.available()) {
    sleep_enable();
    sei();
    sleep_cpu();  // wakes on any interrupt: timer0 tick, serial RX
    sleep_disable();
  }
  sei();
}

static bool startsWith(const char *s, const char *prefixP) {
  return strncmp_P(s, prefixP, strlen_P(prefixP)) == 0;
}

static void command() {
  if (startsWith(line, PSTR("ms"))) {
    Serial.print(F("ms "));
    Serial.println(millis());
  } else if (startsWith(line, PSTR("hang"))) {
    Serial.println(F("hanging"));
    Serial.flush();
    for (;;) {}
  } else if (startsWith(line, PSTR("wdt"))) {
    wdt_enable(WDTO_120MS);
    Serial.println(F("wdt on"));
  } else if (startsWith(line, PSTR("halt"))) {
    Serial.println(F("halting"));
    Serial.flush();
    cli();
    sleep_enable();
    sleep_cpu();
  } else if (startsWith(line, PSTR("recurse "))) {
    uint16_t n = atoi(line + 8);
    Serial.print(F("recurse "));
    Serial.println(recurse(n));
  } else if (startsWith(line, PSTR("crc "))) {
    long rounds = atol(line + 4);
    uint16_t crc = 0xFFFF;
    for (long r = 0; r < rounds; r++)
      for (uint16_t a = 0; a < 256; a++) crc = crc16(crc, pgm_read_byte(a));
    Serial.print(F("crc "));
    Serial.println(crc, HEX);
  } else if (startsWith(line, PSTR("eew "))) {  // eew <addr> <value>
    char *end;
    uint16_t addr = strtoul(line + 4, &end, 10);
    EEPROM.update(addr, strtoul(end, nullptr, 10));
    Serial.println(F("ok"));
  } else if (startsWith(line, PSTR("eer "))) {
    Serial.print(F("ee "));
    Serial.println(EEPROM.read(atoi(line + 4)));
  } else {
    Serial.print(F("echo "));
    Serial.println(line);
    lcdRow(1, line, false);
  }
}

void setup() {
  pinMode(PMLCD_PIN_ETH_CS, OUTPUT);  // keep the shield's chips deselected
  digitalWrite(PMLCD_PIN_ETH_CS, HIGH);
  pinMode(PMLCD_PIN_SD_CS, OUTPUT);
  digitalWrite(PMLCD_PIN_SD_CS, HIGH);
  Serial.begin(115200);
  lcdInit();
  lcdRow(0, PSTR("lcd-serial"), true);
  lcdRow(1, PSTR("ready"), true);
  Serial.print(F("READY lcd-serial mcusr="));
  Serial.println(resetFlags, HEX);
}

void loop() {
  while (Serial.available()) {
    char c = Serial.read();
    if (c == '\r') continue;
    if (c == '\n') {
      line[lineLen] = 0;
      command();
      lineLen = 0;
    } else if (lineLen < LINE_MAX) {
      line[lineLen++] = c;
    }
  }
  idle();
}
