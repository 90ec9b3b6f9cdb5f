// The seam between host mode (this directory) and network mode (firmware/src/net/).
// netmode_stub.cpp holds weak defaults; network mode provides strong definitions
// of all six functions without touching any other file.
//
// Calls made by the main loop:
// - netmodeBegin(): each time network mode is entered (boot with mode=net, `M net`,
//   `C SET mode net`, or the host-lost fallback). May be called again after
//   netmodeEnd(), so keep it cheap and idempotent; start slow work (DHCP) there
//   but finish it in steps from netmodeLoop().
// - netmodeLoop(): over and over while network mode owns the display (no host
//   frame within host.timeout). Return within ~100 ms: serial commands are only
//   read between calls, and the watchdog (2 s) is fed by the main loop.
// - netmodeEnd(): when the host takes the display back or the mode changes.
// - netmodeAvailable(): false makes `M net` fail and disables the fallback.
// - netmodeHardwarePresent(): whether a W5100 or W5500 answers (probed again until one
//   does; also at boot, for the banner); the host-lost fallback only hands over to
//   network mode on a board with a shield.
// - netmodeBannerFields(): appends " key=value" fields (e.g. " eth=w5100") to
//   the banner and the V reply, written with uart.h.
// Drawing: display.h (displayLoadGlyphs, displayShadow, displayFlush). Settings: cfg (config.h);
// settings changed while network mode runs take effect on its next netmodeBegin().
// Timer1 belongs to the LCD driver (lcd.cpp); D3 is the backlight. main.cpp has
// its own main(): the core's init() does not run, so Timer0 (millis, micros,
// delay) is set up as usual but Timer2 and the ADC stay off. Serial is not
// linked, nor the core's Print: the port is uart.h's.
#pragma once

void netmodeBegin();
void netmodeLoop();
void netmodeEnd();
bool netmodeAvailable();
bool netmodeHardwarePresent();
void netmodeBannerFields();
