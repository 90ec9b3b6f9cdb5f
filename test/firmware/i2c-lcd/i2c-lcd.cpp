// Test firmware for the simulator's I2C LCD backpack: a polling TWI master
// (ATmega328P datasheet 22.6 "Using the TWI") writes "hello" to an HD44780 behind a
// PCF8574 at 0x27 with the common pin mapping (P0 RS, P1 RW, P2 E, P3 backlight,
// P4-P7 D4-D7), then reads the busy flag and address counter back through the
// expander. Serial: "READY", then "NACK" if nothing answers at 0x27, else "AC xx".
#include <Arduino.h>
#include <util/twi.h>

constexpr uint8_t ADDR = 0x27;
constexpr uint8_t RS = 0x01, RW = 0x02, EN = 0x04, BL = 0x08;
// Execution times for the slowest oscillator (190 kHz): 37 us and 1.52 ms x 270/190.
constexpr uint16_t EXEC_SHORT_US = 53;
constexpr uint16_t EXEC_LONG_US = 2161;

static bool twiWait() {
  while (!(TWCR & _BV(TWINT))) {}
  return true;
}

static uint8_t twiStart(uint8_t sla) {
  TWCR = _BV(TWINT) | _BV(TWSTA) | _BV(TWEN);
  twiWait();
  TWDR = sla;
  TWCR = _BV(TWINT) | _BV(TWEN);
  twiWait();
  return TW_STATUS;
}

static void twiStop() {
  TWCR = _BV(TWINT) | _BV(TWEN) | _BV(TWSTO);
  while (TWCR & _BV(TWSTO)) {}  // silicon sets no TWINT after a STOP
}

static bool portWrite(const uint8_t *bytes, uint8_t n) {
  bool ok = twiStart(ADDR << 1) == 0x18;  // SLA+W ACK
  for (uint8_t i = 0; ok && i < n; i++) {
    TWDR = bytes[i];
    TWCR = _BV(TWINT) | _BV(TWEN);
    twiWait();
    ok = TW_STATUS == 0x28;
  }
  twiStop();
  return ok;
}

static uint8_t portRead() {
  twiStart((ADDR << 1) | 1);
  TWCR = _BV(TWINT) | _BV(TWEN);  // one byte, NACKed
  twiWait();
  uint8_t v = TWDR;
  twiStop();
  return v;
}

// RS and data set up, E high, E low: the address set-up time is honoured.
static void nibble(uint8_t rs, uint8_t n) {
  uint8_t b = (n << 4) | BL | rs;
  uint8_t seq[3] = {b, (uint8_t)(b | EN), b};
  portWrite(seq, 3);
}

static void lcdByte(uint8_t rs, uint8_t v) {
  nibble(rs, v >> 4);
  nibble(rs, v & 0x0F);
  delayMicroseconds(!rs && v <= 0x03 ? EXEC_LONG_US : EXEC_SHORT_US);
}

static uint8_t readNibble() {
  uint8_t idle = 0xF0 | BL | RW;  // D4-D7 released (written 1), RW=1, RS=0
  uint8_t up[2] = {idle, (uint8_t)(idle | EN)};
  portWrite(up, 2);
  uint8_t v = portRead() >> 4;
  portWrite(&idle, 1);
  return v;
}

void setup() {
  Serial.begin(115200);
  Serial.println(F("READY i2c-lcd"));
  TWSR = 0;   // prescaler 1
  TWBR = 72;  // (16 MHz / 100 kHz - 16) / 2
  delay(50);  // > 40 ms after VCC
  uint8_t zero = BL;
  if (!portWrite(&zero, 1)) {
    Serial.println(F("NACK"));
    return;
  }
  // HD44780U Fig. 24: initialising by instruction, 4-bit.
  nibble(0, 0x3);
  delayMicroseconds(4500);
  nibble(0, 0x3);
  delayMicroseconds(150);
  nibble(0, 0x3);
  delayMicroseconds(EXEC_SHORT_US);
  nibble(0, 0x2);
  delayMicroseconds(EXEC_SHORT_US);
  lcdByte(0, 0x28);  // 4-bit, 2 lines, 5x8
  lcdByte(0, 0x08);
  lcdByte(0, 0x01);
  lcdByte(0, 0x06);
  lcdByte(0, 0x0C);
  for (const char *p = "hello"; *p; p++) lcdByte(RS, *p);
  uint8_t bfac = readNibble() << 4;
  bfac |= readNibble();
  portWrite(&zero, 1);
  Serial.print(F("AC "));
  if (bfac < 0x10) Serial.print('0');
  Serial.println(bfac, HEX);
}

void loop() {}
