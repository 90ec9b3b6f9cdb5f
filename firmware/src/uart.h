// USART0 for the protocol link (docs/protocol.md): 115200 8N1, interrupt-driven
// receive into a 64-byte ring, blocking transmit. It replaces the core's
// HardwareSerial, whose 64-byte TX ring, virtual Stream/Print calls and
// constructor cost about 1 KB of flash and 157 B of RAM: the host waits for each
// reply before sending more, so a transmit buffer buys nothing.
#pragma once
#include <WString.h>
#include <stdint.h>

// The protocol promises the host this much buffer for bytes in flight.
constexpr uint8_t UART_RX_BUFFER = 64;

void uartBegin();
uint8_t uartAvailable();
// The oldest received byte; only when uartAvailable() is not 0.
uint8_t uartRead();
void uartWrite(uint8_t b);
void uartPrint(const __FlashStringHelper *s);
void uartPrint(const char *s);
void uartPrintNumber(uint32_t n);
// Waits until the last byte written has left the wire (before a reset).
// Only after at least one uartWrite(): the "done" flag is clear until then.
void uartFlush();
// Two upper-case hex digits, leading zero included.
void uartPrintHex2(uint8_t b);
