#include "uart.h"
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/pgmspace.h>
#include <stdlib.h>

constexpr uint32_t BAUD = 115200;
// Double speed, as the core's HardwareSerial::begin() picks it: UBRR 16 gives
// 117647 baud (+2.1%), where normal speed's best (UBRR 8) would be -3.5%.
constexpr uint16_t UBRR_VALUE = (F_CPU / 4 / BAUD - 1) / 2;

static_assert((UART_RX_BUFFER & (UART_RX_BUFFER - 1)) == 0, "ring indexes wrap by masking");
constexpr uint8_t RX_MASK = UART_RX_BUFFER - 1;

// Free-running counts: head - tail is the fill level, so all 64 slots hold data
// (a ring that compares indexes must keep one slot empty).
static uint8_t rxBuf[UART_RX_BUFFER];
static volatile uint8_t rxHead;  // written by the ISR only
static volatile uint8_t rxTail;  // written by the main loop only

ISR(USART_RX_vect) {
  uint8_t b = UDR0;
  uint8_t head = rxHead;
  // Full: the byte is dropped, as HardwareSerial does.
  if ((uint8_t)(head - rxTail) < UART_RX_BUFFER) {
    rxBuf[head & RX_MASK] = b;
    rxHead = head + 1;
  }
}

void uartBegin() {
  UCSR0A = _BV(U2X0);
  UBRR0 = UBRR_VALUE;
  UCSR0C = _BV(UCSZ01) | _BV(UCSZ00);  // 8 data bits, no parity, 1 stop bit
  UCSR0B = _BV(RXEN0) | _BV(TXEN0) | _BV(RXCIE0);
}

uint8_t uartAvailable() { return rxHead - rxTail; }

uint8_t uartRead() {
  uint8_t tail = rxTail;
  uint8_t b = rxBuf[tail & RX_MASK];
  rxTail = tail + 1;  // only now may the ISR reuse the slot
  return b;
}

void uartWrite(uint8_t b) {
  while (!(UCSR0A & _BV(UDRE0))) {}
  UDR0 = b;
  // TXC is cleared by writing a one; it then means "this byte has gone out".
  UCSR0A = _BV(U2X0) | _BV(TXC0);
}

void uartPrint(const __FlashStringHelper *s) {
  const char *p = reinterpret_cast<const char *>(s);
  for (char c = pgm_read_byte(p); c; c = pgm_read_byte(++p)) uartWrite(c);
}

void uartPrint(const char *s) {
  while (*s) uartWrite(*s++);
}

void uartPrintNumber(uint32_t n) {
  char digits[11];  // 4294967295 and a NUL
  uartPrint(ultoa(n, digits, 10));
}

void uartFlush() {
  while (!(UCSR0A & _BV(TXC0))) {}
}

void uartPrintHex2(uint8_t b) {
  static const char HEX_DIGITS[] PROGMEM = "0123456789ABCDEF";
  uartWrite(pgm_read_byte(&HEX_DIGITS[b >> 4]));
  uartWrite(pgm_read_byte(&HEX_DIGITS[b & 15]));
}
