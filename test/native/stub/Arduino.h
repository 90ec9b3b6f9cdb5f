// Stand-in for the Arduino core when a firmware module that includes <Arduino.h>
// is compiled natively (test/native/): flash strings are plain strings, and the
// driver that links the module provides millis().
#pragma once
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#define PROGMEM
#define PSTR(s) (s)
#define pgm_read_byte(p) (*(const uint8_t *)(p))
uint32_t millis();
