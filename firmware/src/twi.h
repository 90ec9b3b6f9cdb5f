// Polling TWI (I2C) master on A4 (SDA) / A5 (SCL) for the LCD backpack: write
// transactions only (ATmega328P datasheet 22.6, "Using the TWI"). Smaller than the
// Wire library (no buffers, no interrupt handler). Every wait is bounded, so a bus
// held low or without pull-ups gives a failed transfer, never a hang.
#pragma once
#include <stdint.h>

// The SCL clock. 400 kHz: the PCF8574's datasheet says 100 kHz, but 400 kHz works on
// the backpacks sold (the PCA8574 with the same pins is rated for it) and a 16x2
// redraw takes a quarter of the time. A build may ask for another rate.
#ifndef PMLCD_TWI_HZ
#define PMLCD_TWI_HZ 400000UL
#endif

// Enables the TWI with the internal pull-ups on SDA and SCL (backpacks have their own).
void twiBegin();
// START and SLA+W: true if a device acknowledged its address.
bool twiStart(uint8_t address7);
// One data byte: true if acknowledged.
bool twiWrite(uint8_t b);
void twiStop();
// Turns the TWI off: A4/A5 are plain pins again.
void twiEnd();
