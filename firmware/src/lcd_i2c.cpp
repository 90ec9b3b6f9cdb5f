// The I2C back-end of the LCD driver (lcd_i2c.h): PCF8574 port bytes over twi.h.
#include "lcd_i2c.h"
#include "twi.h"

constexpr uint8_t PORT_RS = 0x01;  // P0
constexpr uint8_t PORT_E = 0x04;   // P2 (P1 = RW stays low: write only)
constexpr uint8_t PORT_BL = 0x08;  // P3
constexpr uint8_t PCF8574_FIRST = 0x20, PCF8574A_FIRST = 0x38, ADDRESSES_PER_KIND = 8;

static uint8_t address;         // 0 until found
static uint8_t port = PORT_BL;  // what the expander's pins hold (backlight on until told)
static bool open;               // a write transaction is in progress

// One port byte, in the transaction in progress or a new one; a byte nobody
// acknowledges ends it.
static void put(uint8_t b) {
  port = b;
  if (!open && !(open = twiStart(address))) {
    twiStop();
    return;
  }
  if (!twiWrite(b)) lcdI2cRelease();
}

bool lcdI2cOpen() { return open; }

void lcdI2cRelease() {
  if (!open) return;
  twiStop();
  open = false;
}

void lcdI2cSend(bool rs, uint8_t b, bool oneNibble) {
  uint8_t base = (port & PORT_BL) | (rs ? PORT_RS : 0);
  if ((port ^ base) & PORT_RS) put((port & 0xF0) | base);  // RS settles while E is low
  for (uint8_t k = oneNibble ? 1 : 2; k; k--, b <<= 4) {
    uint8_t p = (b & 0xF0) | base;
    put(p | PORT_E);  // the nibble is latched on E's falling edge, in the next byte
    put(p);
  }
}

void lcdI2cBacklight(bool on) {
  uint8_t p = on ? port | PORT_BL : port & ~PORT_BL;
  if (p == port) return;
  if (address)
    put(p);
  else
    port = p;
}

uint8_t lcdI2cFind() {
  twiBegin();
  for (uint8_t i = 0; i < 2 * ADDRESSES_PER_KIND; i++) {
    uint8_t a = (i < ADDRESSES_PER_KIND ? PCF8574_FIRST : PCF8574A_FIRST - ADDRESSES_PER_KIND) + i;
    bool ack = twiStart(a);
    twiStop();
    if (ack) {
      address = a;
      put(port);  // E and RW low: the expander comes up with every pin high
      return a;
    }
  }
  twiEnd();  // nothing there
  return 0;
}
