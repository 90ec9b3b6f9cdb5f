// Flash-resident constant strings on the AVR, plain constants in native tests:
// the pure modules (JSON, PMWEBAPI parsing) compile both ways.
#pragma once
#ifdef __AVR__
#include <avr/pgmspace.h>
#else
#include <string.h>
#define PROGMEM
#define PSTR(s) (s)
#define pgm_read_byte(p) (*(const uint8_t *)(p))
#define strcmp_P strcmp
#endif
