// The TWI master of twi.h: register-level steps with bounded waits.
#include "twi.h"
#include <avr/io.h>
#include <util/twi.h>

// SCL = F_CPU / (16 + 2 * TWBR * prescaler), prescaler 1.
constexpr uint8_t TWBR_VALUE = (F_CPU / PMLCD_TWI_HZ - 16) / 2;
static_assert((F_CPU / PMLCD_TWI_HZ - 16) / 2 < 256, "TWBR holds the divider");
// One byte is 9 SCL periods (90 us at 100 kHz): this many polls of TWINT (each a few
// cycles) is far more than any transfer takes and still well under a millisecond.
constexpr uint16_t WAIT_POLLS = 4000;

void twiBegin() {
  PORTC |= _BV(PC4) | _BV(PC5);  // internal pull-ups: an empty bus reads idle, not floating
  TWSR = 0;
  TWBR = TWBR_VALUE;
  TWCR = _BV(TWEN);
}

// Runs the step just started and returns the status, or 0 (no TWI status has
// that value) when TWINT never came.
static uint8_t step(uint8_t twcr) {
  TWCR = twcr;
  for (uint16_t n = WAIT_POLLS; n; n--) {
    if (TWCR & _BV(TWINT)) return TW_STATUS;
  }
  return 0;
}

bool twiStart(uint8_t address7) {
  uint8_t st = step(_BV(TWINT) | _BV(TWSTA) | _BV(TWEN));
  if (st != TW_START && st != TW_REP_START) return false;
  TWDR = address7 << 1;  // write
  return step(_BV(TWINT) | _BV(TWEN)) == TW_MT_SLA_ACK;
}

bool twiWrite(uint8_t b) {
  TWDR = b;
  return step(_BV(TWINT) | _BV(TWEN)) == TW_MT_DATA_ACK;
}

void twiStop() {
  TWCR = _BV(TWINT) | _BV(TWEN) | _BV(TWSTO);
  // The hardware sets no TWINT after a STOP: TWSTO clears when it is on the bus.
  for (uint16_t n = WAIT_POLLS; n && (TWCR & _BV(TWSTO)); n--) {}
}

void twiEnd() { TWCR = 0; }
