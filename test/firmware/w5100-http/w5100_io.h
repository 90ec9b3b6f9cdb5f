// A deliberately small W5100 driver for the simulator's test firmwares (not
// the Arduino Ethernet library): one 4-byte SPI frame per register byte, as
// the W5100 datasheet describes, on the shield's chip select.
#pragma once
#include <Arduino.h>
#include <SPI.h>
#include "board_pins.h"

namespace w5100 {

// Common registers (datasheet section 3)
constexpr uint16_t MR = 0x0000, GAR = 0x0001, SUBR = 0x0005, SHAR = 0x0009, SIPR = 0x000F,
                   RTR = 0x0017, RCR = 0x0019, RMSR = 0x001A, TMSR = 0x001B;
constexpr uint8_t MR_RST = 0x80;
// Socket registers: 0x0400 + n * 0x100 + offset (the datasheet's SN_MR, SN_CR, ...)
constexpr uint8_t SN_MR = 0x00, SN_CR = 0x01, SN_IR = 0x02, SN_SR = 0x03, SN_PORT = 0x04,
                  SN_DIPR = 0x0C, SN_DPORT = 0x10, SN_TX_FSR = 0x20, SN_TX_WR = 0x24,
                  SN_RX_RSR = 0x26, SN_RX_RD = 0x28;
enum Protocol : uint8_t { MR_TCP = 0x01, MR_UDP = 0x02 };
enum Command : uint8_t {
  CR_OPEN = 0x01,
  CR_CONNECT = 0x04,
  CR_DISCON = 0x08,
  CR_CLOSE = 0x10,
  CR_SEND = 0x20,
  CR_RECV = 0x40
};
constexpr uint8_t IR_SEND_OK = 0x10, IR_TIMEOUT = 0x08;
enum Status : uint8_t {
  SR_CLOSED = 0x00,
  SR_INIT = 0x13,
  SR_ESTABLISHED = 0x17,
  SR_CLOSE_WAIT = 0x1C,
  SR_UDP = 0x22
};
// 2 KB per socket with RMSR = TMSR = 0x55
constexpr uint16_t TX_BASE = 0x4000, RX_BASE = 0x6000, BUF_SIZE = 0x0800, BUF_MASK = BUF_SIZE - 1;

static volatile uint8_t *csPort;
static uint8_t csMask;
static const SPISettings SPI_SETTINGS(14000000, MSBFIRST, SPI_MODE0);

inline void select() {
  SPI.beginTransaction(SPI_SETTINGS);
  *csPort &= ~csMask;
}
inline void deselect() {
  *csPort |= csMask;
  SPI.endTransaction();
}

inline void write(uint16_t addr, uint8_t v) {
  select();
  SPI.transfer(0xF0);
  SPI.transfer(addr >> 8);
  SPI.transfer(addr & 0xFF);
  SPI.transfer(v);
  deselect();
}

inline uint8_t read(uint16_t addr) {
  select();
  SPI.transfer(0x0F);
  SPI.transfer(addr >> 8);
  SPI.transfer(addr & 0xFF);
  uint8_t v = SPI.transfer(0);
  deselect();
  return v;
}

inline uint16_t sreg(uint8_t s, uint8_t off) { return 0x0400 + (uint16_t)s * 0x100 + off; }
inline void write16(uint16_t addr, uint16_t v) {
  write(addr, v >> 8);
  write(addr + 1, v & 0xFF);
}
inline uint16_t read16(uint16_t addr) { return ((uint16_t)read(addr) << 8) | read(addr + 1); }
/** Sizes the chip updates on its own: read until two reads agree. */
inline uint16_t read16Stable(uint16_t addr) {
  uint16_t a = read16(addr), b;
  while ((b = read16(addr)) != a) a = b;
  return a;
}
inline void writeBytes(uint16_t addr, const uint8_t *p, uint8_t n) {
  for (uint8_t i = 0; i < n; i++) write(addr + i, p[i]);
}
inline void readBytes(uint16_t addr, uint8_t *p, uint8_t n) {
  for (uint8_t i = 0; i < n; i++) p[i] = read(addr + i);
}

inline uint8_t status(uint8_t s) { return read(sreg(s, SN_SR)); }
inline void command(uint8_t s, uint8_t c) {
  write(sreg(s, SN_CR), c);
  while (read(sreg(s, SN_CR))) {}
}

/** Soft reset, then the interface addresses; false if no W5100 answers. */
inline bool begin(const uint8_t *mac, const uint8_t *ip, const uint8_t *gw, const uint8_t *mask) {
  csPort = portOutputRegister(digitalPinToPort(PMLCD_PIN_ETH_CS));
  csMask = digitalPinToBitMask(PMLCD_PIN_ETH_CS);
  pinMode(PMLCD_PIN_ETH_CS, OUTPUT);
  digitalWrite(PMLCD_PIN_ETH_CS, HIGH);
  pinMode(PMLCD_PIN_SD_CS, OUTPUT);
  digitalWrite(PMLCD_PIN_SD_CS, HIGH);
  SPI.begin();
  write(MR, MR_RST);
  for (uint8_t i = 0; read(MR) != 0; i++) {
    if (i > 20) return false;
    delay(1);
  }
  write(RMSR, 0x55);
  write(TMSR, 0x55);
  writeBytes(SHAR, mac, 6);
  writeBytes(SIPR, ip, 4);
  writeBytes(GAR, gw, 4);
  writeBytes(SUBR, mask, 4);
  return read(TMSR) == 0x55;
}

inline bool open(uint8_t s, uint8_t mode, uint16_t port, uint8_t expect) {
  command(s, CR_CLOSE);
  write(sreg(s, SN_MR), mode);
  write(sreg(s, SN_IR), 0xFF);
  write16(sreg(s, SN_PORT), port);
  command(s, CR_OPEN);
  return status(s) == expect;
}

inline void setDest(uint8_t s, const uint8_t *ip, uint16_t port) {
  writeBytes(sreg(s, SN_DIPR), ip, 4);
  write16(sreg(s, SN_DPORT), port);
}

/** Copies n bytes into the TX ring at TX_WR + offset (split at the top of the 2 KB buffer). */
inline void txPut(uint8_t s, uint16_t offset, const uint8_t *p, uint16_t n, bool progmem) {
  uint16_t ptr = read16(sreg(s, SN_TX_WR)) + offset;
  uint16_t base = TX_BASE + s * BUF_SIZE;
  for (uint16_t i = 0; i < n; i++)
    write(base + ((ptr + i) & BUF_MASK), progmem ? pgm_read_byte(p + i) : p[i]);
}

/** Advances TX_WR by n, SENDs, and waits for SEND_OK; false on TIMEOUT or a closed socket. */
inline bool send(uint8_t s, uint16_t n) {
  write16(sreg(s, SN_TX_WR), read16(sreg(s, SN_TX_WR)) + n);
  command(s, CR_SEND);
  for (;;) {
    uint8_t ir = read(sreg(s, SN_IR));
    if (ir & IR_SEND_OK) {
      write(sreg(s, SN_IR), IR_SEND_OK);
      return true;
    }
    if (ir & IR_TIMEOUT) {
      write(sreg(s, SN_IR), IR_TIMEOUT);
      return false;
    }
    if (status(s) == SR_CLOSED) return false;
  }
}

/** Copies n received bytes from RX_RD + offset. */
inline void rxGet(uint8_t s, uint16_t offset, uint8_t *p, uint16_t n) {
  uint16_t ptr = read16(sreg(s, SN_RX_RD)) + offset;
  uint16_t base = RX_BASE + s * BUF_SIZE;
  for (uint16_t i = 0; i < n; i++) p[i] = read(base + ((ptr + i) & BUF_MASK));
}

/** Frees n bytes of the RX ring (RX_RD += n, RECV). */
inline void rxDone(uint8_t s, uint16_t n) {
  write16(sreg(s, SN_RX_RD), read16(sreg(s, SN_RX_RD)) + n);
  command(s, CR_RECV);
}

inline void printIp(const uint8_t *ip) {
  for (uint8_t i = 0; i < 4; i++) {
    if (i) Serial.print('.');
    Serial.print(ip[i]);
  }
}

}  // namespace w5100
