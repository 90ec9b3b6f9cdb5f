// Direct port access for the pins of board_pins.h (Arduino Uno numbering:
// D0-D7 = PD0-7, D8-D13 = PB0-5, A0-A5 = 14-19 = PC0-5). The core's pinMode()
// and digitalWrite() look the port up in flash tables at run time; with the pin
// a compile-time constant these compile to a single sbi/cbi, and the tables
// stay out of the firmware.
#pragma once
#include <avr/io.h>
#include <stdint.h>

#define PIN_IO_INLINE static inline __attribute__((always_inline))

constexpr uint8_t pinMask(uint8_t pin) {
  return 1 << (pin < 8 ? pin : pin < 14 ? pin - 8 : pin - 14);
}

PIN_IO_INLINE volatile uint8_t &pinPort(uint8_t pin) {
  return pin < 8 ? PORTD : pin < 14 ? PORTB : PORTC;
}
PIN_IO_INLINE volatile uint8_t &pinDdr(uint8_t pin) {
  return pin < 8 ? DDRD : pin < 14 ? DDRB : DDRC;
}

PIN_IO_INLINE void pinOutput(uint8_t pin) { pinDdr(pin) |= pinMask(pin); }

PIN_IO_INLINE void pinWrite(uint8_t pin, bool high) {
  if (high)
    pinPort(pin) |= pinMask(pin);
  else
    pinPort(pin) &= ~pinMask(pin);
}
