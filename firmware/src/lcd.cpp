#include "lcd.h"
#include <Arduino.h>
#include "board_pins.h"
#include "lcd_i2c.h"
#include "twi.h"

// The bus code below writes the ports directly; keep it in step with the pin map.
static_assert(PMLCD_PIN_LCD_RS == 8 && PMLCD_PIN_LCD_E == 9, "LCD RS/E expected on PB0/PB1");
static_assert(PMLCD_PIN_LCD_D4 == 14 && PMLCD_PIN_LCD_D7 == 17, "LCD D4-D7 expected on PC0-PC3");

constexpr uint8_t RS_BIT = 0;
constexpr uint8_t E_BIT = 1;
constexpr uint8_t DATA_MASK = 0x0F;

// Timer1 at F_CPU/8: 2 ticks per microsecond, wraps every 32.7 ms. A wrapped
// difference can only make the driver wait longer than needed, never shorter.
constexpr uint8_t TICKS_PER_US = 2;
// 37 us and 1.52 ms at 270 kHz, scaled to 190 kHz (x270/190), plus one timer
// tick of margin and rounded up.
constexpr uint16_t EXEC_SHORT_TICKS = 54 * TICKS_PER_US;
constexpr uint16_t EXEC_LONG_TICKS = 2200 * TICKS_PER_US;
// Initialisation waits (HD44780U figure 24, 4-bit): >= 40 ms after power-up,
// >= 4.1 ms after the first 0x3, >= 100 us after the second.
constexpr uint8_t POWER_UP_MS = 50;
constexpr uint16_t INIT_WAIT1_TICKS = 4500 * TICKS_PER_US;
constexpr uint16_t INIT_WAIT2_TICKS = 150 * TICKS_PER_US;

// Through the backpack, E rises at the end of the port byte that raises it: one byte
// (9 SCL periods) after it starts in an open transaction, and START, the address byte
// and that byte (19 periods) after a new one. That much of the execution time
// passes on the bus first.
constexpr uint16_t I2C_BYTE_LEAD_TICKS = 9UL * 1000000UL * TICKS_PER_US / PMLCD_TWI_HZ;
constexpr uint16_t I2C_START_LEAD_TICKS = 19UL * 1000000UL * TICKS_PER_US / PMLCD_TWI_HZ;

static uint16_t lastLatch;  // Timer1 count when the last instruction was latched
static uint16_t busyTicks;  // its execution time, less the bus lead time
static uint8_t i2cAddress;  // 0: the parallel wiring
static bool found;          // the bus has been looked for

static inline uint16_t now() { return TCNT1; }

// lead: ticks that pass on the bus before the next E rise.
static void waitReady(uint16_t lead = 0) {
  while ((uint16_t)(now() - lastLatch) + lead < busyTicks) {}
}

// E high for >= 450 ns (8 cycles at 16 MHz) and a full E cycle >= 1000 ns:
// sbi/cbi back to back would give only 2 cycles.
static inline void pulseE() {
  PORTB |= _BV(E_BIT);
  __asm__ __volatile__("nop\n nop\n nop\n nop\n nop\n nop\n nop\n nop\n");
  PORTB &= ~_BV(E_BIT);
  __asm__ __volatile__("nop\n nop\n nop\n nop\n nop\n nop\n");
}

static inline void nibble(uint8_t n) {
  PORTC = (PORTC & ~DATA_MASK) | (n & DATA_MASK);
  pulseE();
}

// Both nibbles of b, or only the high one (oneNibble: initialisation).
static void send(bool rs, uint8_t b, uint16_t execTicks, bool oneNibble = false) {
  if (i2cAddress) {
    waitReady(lcdI2cOpen() ? I2C_BYTE_LEAD_TICKS : I2C_START_LEAD_TICKS);
    lcdI2cSend(rs, b, oneNibble);
  } else {
    waitReady();
    if (rs)
      PORTB |= _BV(RS_BIT);
    else
      PORTB &= ~_BV(RS_BIT);
    nibble(b >> 4);
    if (!oneNibble) nibble(b);
  }
  lastLatch = now();
  busyTicks = execTicks;
}

// A single 8-bit-mode instruction during initialisation: one E pulse.
static void initNibble(uint8_t n, uint16_t waitTicks) { send(false, n << 4, waitTicks, true); }

void lcdCommand(uint8_t cmd) {
  // Return home is 0000001x: both 0x02 and 0x03.
  bool slow = cmd == LCD_CLEAR || (cmd & 0xFE) == LCD_HOME;
  send(false, cmd, slow ? EXEC_LONG_TICKS : EXEC_SHORT_TICKS);
}

void lcdData(uint8_t code) { send(true, code, EXEC_SHORT_TICKS); }

uint8_t lcdI2cAddress() { return i2cAddress; }

void lcdRelease() { lcdI2cRelease(); }

void lcdBacklight(bool on) { lcdI2cBacklight(on); }

void lcdBegin() {
  TCCR1A = 0;
  TCCR1B = _BV(CS11);
  if (!found) {
    found = true;
    i2cAddress = lcdI2cFind();
  }
  if (!i2cAddress) {
    DDRB |= _BV(RS_BIT) | _BV(E_BIT);
    PORTB &= ~(_BV(RS_BIT) | _BV(E_BIT));
    DDRC |= DATA_MASK;
  }
  // millis() starts at reset; the bootloader (if any) only adds to the wait.
  while (millis() < POWER_UP_MS) {}
  busyTicks = 0;
  initNibble(0x3, INIT_WAIT1_TICKS);
  initNibble(0x3, INIT_WAIT2_TICKS);
  initNibble(0x3, INIT_WAIT2_TICKS);
  initNibble(0x2, INIT_WAIT2_TICKS);
  lcdCommand(LCD_FUNCTION_4BIT_2LINE);
  lcdCommand(LCD_DISPLAY_OFF);
  lcdCommand(LCD_CLEAR);
  lcdCommand(LCD_ENTRY_INC);
  lcdCommand(LCD_DISPLAY_ON);
}
