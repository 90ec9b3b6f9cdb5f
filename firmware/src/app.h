// What the protocol handler asks of the main loop (main.cpp).
#pragma once
#include <stdint.h>

// A command was accepted: restarts the host-lost timer, sends "# host back"
// if the host had been lost. Called before the command's OK line.
void appCommandAccepted();
// The host drew (F, T, G): in network mode it owns the display until host.timeout.
void appHostDrew();
// Switches the running mode (Mode from config.h) and stores it; false if unavailable.
bool appModeAvailable(uint8_t mode);
void appSwitchMode(uint8_t mode);
uint8_t appMode();
