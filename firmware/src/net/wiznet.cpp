#include "wiznet.h"
#include <Arduino.h>
#include "../board_pins.h"
#include "../pin_io.h"

// W5100 SPI frame opcodes (datasheet 6.3.2)
constexpr uint8_t OP_WRITE = 0xF0;
constexpr uint8_t OP_READ = 0x0F;
// W5500 control byte (datasheet 2.2.2): block select in bits 7-3, write in bit 2,
// variable-length mode. Socket n's registers, TX and RX buffers are blocks 4n+1..4n+3.
constexpr uint8_t W5500_WRITE = 0x04;
constexpr uint8_t W5500_SOCK_REGS = 0x08, W5500_SOCK_TX = 0x10, W5500_SOCK_RX = 0x18;
constexpr uint8_t W5500_SOCK_SHIFT = 5;
// W5200 frame (probe only): address, then write bit and a 15-bit length.
constexpr uint8_t W5200_WRITE = 0x80;
// Common registers
constexpr uint16_t REG_MR = 0x0000;
constexpr uint16_t REG_GAR = 0x0001;
constexpr uint16_t REG_SUBR = 0x0005;
constexpr uint16_t REG_SHAR = 0x0009;
constexpr uint16_t REG_SIPR = 0x000F;
constexpr uint16_t REG_RTR = 0x0017;  // RCR follows at +2; both 2 higher on the W5500
constexpr uint16_t W5500_RTR = 0x0019;
constexpr uint16_t REG_RMSR = 0x001A;
constexpr uint16_t REG_TMSR = 0x001B;
constexpr uint8_t MR_RST = 0x80;
constexpr uint8_t MR_PB = 0x10;
// Socket registers: base + n * 0x100 (the datasheet's Sn_MR, Sn_CR, ...)
constexpr uint16_t SOCK_BASE = 0x0400;
constexpr uint8_t SN_MR = 0x00;
constexpr uint8_t SN_CR = 0x01;
constexpr uint8_t SN_IR = 0x02;
constexpr uint8_t SN_SR = 0x03;
constexpr uint8_t SN_PORT = 0x04;
constexpr uint8_t SN_DIPR = 0x0C;
constexpr uint8_t SN_DPORT = 0x10;
constexpr uint8_t SN_TX_FSR = 0x20;
constexpr uint8_t SN_TX_WR = 0x24;
constexpr uint8_t SN_RX_RSR = 0x26;
constexpr uint8_t SN_RX_RD = 0x28;
// Commands written to SN_CR
enum W5Command : uint8_t {
  CR_OPEN = 0x01,
  CR_CONNECT = 0x04,
  CR_DISCON = 0x08,
  CR_CLOSE = 0x10,
  CR_SEND = 0x20,
  CR_RECV = 0x40
};
// 2 KB per socket (RMSR = TMSR = 0x55)
constexpr uint16_t BUF_SIZE = 0x0800;
constexpr uint16_t BUF_MASK = 0x07FF;
constexpr uint16_t TX_BASE = 0x4000;
constexpr uint16_t RX_BASE = 0x6000;
// VERSIONR: W5500 (common block) 0x39 = 4, W5200 0x1F = 3; the W5100 has none.
constexpr uint16_t W5500_VERSIONR = 0x0039;
constexpr uint8_t W5500_VERSION = 4;
constexpr uint16_t W5200_VERSIONR = 0x001F;
constexpr uint8_t W5200_VERSION = 3;
constexpr uint8_t RESET_POLLS_MS = 20;

constexpr uint8_t CS_BIT = _BV(2);  // PB2 = D10, board_pins.h PMLCD_PIN_ETH_CS
static_assert(PMLCD_PIN_ETH_CS == 10, "wiznet.cpp drives the chip select as PB2");

static uint16_t txOffset[2];  // bytes put since the last send, per socket we use
static uint8_t chip;          // W5Chip: the framing spoken

static uint8_t spi(uint8_t b) {
  SPDR = b;
  while (!(SPSR & _BV(SPIF))) {}
  return SPDR;
}

// Chip select low and the header of a frame for W5100-map address a. A W5500
// burst goes on from there (auto-increment; in a buffer block the chip wraps the
// offset within the socket's buffer, as the W5100 map's mask does).
static void header(uint16_t a, bool write) {
  PORTB &= ~CS_BIT;
  if (chip == W5_W5100) {
    spi(write ? OP_WRITE : OP_READ);
    spi(a >> 8);
    spi(a & 0xFF);
    return;
  }
  uint8_t ctl = 0;  // common registers: the same offsets
  if (a >= TX_BASE) {
    ctl = ((a >> 11) & 3) << W5500_SOCK_SHIFT | (a >= RX_BASE ? W5500_SOCK_RX : W5500_SOCK_TX);
    a &= BUF_MASK;
  } else if (a >= SOCK_BASE) {
    ctl = ((a >> 8) - (SOCK_BASE >> 8)) << W5500_SOCK_SHIFT | W5500_SOCK_REGS;
    a &= 0xFF;
  }
  spi(a >> 8);
  spi(a & 0xFF);
  if (chip == W5_W5200) {
    spi(write ? W5200_WRITE : 0);
    ctl = 1;  // length, low byte
  } else if (write) {
    ctl |= W5500_WRITE;
  }
  spi(ctl);
}

static uint8_t frame(bool write, uint16_t addr, uint8_t data) {
  header(addr, write);
  uint8_t v = spi(data);
  PORTB |= CS_BIT;
  return v;
}

static uint8_t rd(uint16_t a) { return frame(false, a, 0); }
static void wr(uint16_t a, uint8_t v) { frame(true, a, v); }
static uint16_t sreg(uint8_t s, uint8_t off) { return SOCK_BASE + (uint16_t)s * 0x100 + off; }
static uint16_t rd16(uint16_t a) { return (uint16_t)rd(a) << 8 | rd(a + 1); }
static void wr16(uint16_t a, uint16_t v) {
  wr(a, v >> 8);
  wr(a + 1, v & 0xFF);
}
static void wrN(uint16_t a, const uint8_t *p, uint8_t n) {
  while (n--) wr(a++, *p++);
}

// The chip updates size registers while they are read byte by byte: read until stable.
static uint16_t rdStable(uint16_t a) {
  uint16_t v = rd16(a), w;
  while ((w = rd16(a)) != v) v = w;
  return v;
}

static void cmd(uint8_t s, uint8_t c) {
  wr(sreg(s, SN_CR), c);
  for (uint8_t i = 0; i < 255 && rd(sreg(s, SN_CR)); i++) {}
}

// One probe in the framing of `kind`: soft reset (up to 20 ms for MR.RST to clear),
// the ping-block bit written and read back, cleared and read back, then the version.
// Another chip's frames change nothing on a chip that is there (wiznet note: a W5200
// write is a W5500 read of a reserved block; a W5200 or W5500 header starts with an
// invalid W5100 opcode; a W5100 frame is a W5500 common-block read).
static bool probe(uint8_t kind) {
  chip = kind;
  wr(REG_MR, MR_RST);
  for (uint8_t i = 0; i < RESET_POLLS_MS && rd(REG_MR); i++) delay(1);
  wr(REG_MR, MR_PB);
  if (rd(REG_MR) != MR_PB) return false;
  wr(REG_MR, 0);
  if (rd(REG_MR)) return false;
  if (kind == W5_W5200) return rd(W5200_VERSIONR) == W5200_VERSION;
  return kind == W5_W5100 || rd(W5500_VERSIONR) == W5500_VERSION;
}

uint8_t w5Begin(const uint8_t mac[6]) {
  PORTB |= CS_BIT;
  DDRB |= CS_BIT | _BV(3) | _BV(5);  // SS, MOSI, SCK
  pinWrite(PMLCD_PIN_SD_CS, true);   // the SD card keeps off the bus
  pinOutput(PMLCD_PIN_SD_CS);
  SPCR = _BV(SPE) | _BV(MSTR);  // mode 0, MSB first
  SPSR = _BV(SPI2X);            // 8 MHz
  if (probe(W5_W5200)) return W5_W5200;
  if (!probe(W5_W5500)) {
    if (!probe(W5_W5100)) return chip = W5_NONE;
    wr(REG_RMSR, 0x55);  // 2 KB per socket; the W5500 has 2 KB per socket from reset
    wr(REG_TMSR, 0x55);
  }
  wrN(REG_SHAR, mac, 6);
  return chip;
}

void w5SetAddress(const uint8_t ip[4], const uint8_t mask[4], const uint8_t gw[4]) {
  wrN(REG_SIPR, ip, 4);
  wrN(REG_SUBR, mask, 4);
  wrN(REG_GAR, gw, 4);
}

void w5SetRetry(uint16_t rtr, uint8_t count) {
  uint16_t a = chip == W5_W5500 ? W5500_RTR : REG_RTR;
  wr16(a, rtr);
  wr(a + 2, count);
}

uint8_t w5Status(uint8_t s) { return rd(sreg(s, SN_SR)); }

uint8_t w5TakeIr(uint8_t s, uint8_t bits) {
  uint8_t v = rd(sreg(s, SN_IR)) & bits;
  if (v) wr(sreg(s, SN_IR), v);
  return v;
}

bool w5Open(uint8_t s, uint8_t proto, uint16_t port) {
  cmd(s, CR_CLOSE);
  wr(sreg(s, SN_MR), proto);
  wr(sreg(s, SN_IR), 0xFF);
  wr16(sreg(s, SN_PORT), port);
  cmd(s, CR_OPEN);
  txOffset[s & 1] = 0;
  return w5Status(s) == (proto == W5_PROTO_TCP ? W5_SR_INIT : W5_SR_UDP);
}

void w5Close(uint8_t s) { cmd(s, CR_CLOSE); }
void w5Disconnect(uint8_t s) { cmd(s, CR_DISCON); }

void w5SetDest(uint8_t s, const uint8_t ip[4], uint16_t port) {
  wrN(sreg(s, SN_DIPR), ip, 4);
  wr16(sreg(s, SN_DPORT), port);
}

void w5Connect(uint8_t s, const uint8_t ip[4], uint16_t port) {
  w5SetDest(s, ip, port);
  cmd(s, CR_CONNECT);
}

uint16_t w5TxFree(uint8_t s) { return rdStable(sreg(s, SN_TX_FSR)) - txOffset[s & 1]; }

static void txByte(uint8_t s, uint8_t b) {
  uint16_t ptr = rd16(sreg(s, SN_TX_WR)) + txOffset[s & 1]++;
  wr(TX_BASE + s * BUF_SIZE + (ptr & BUF_MASK), b);
}

void w5TxPut(uint8_t s, const uint8_t *data, uint16_t n) {
  while (n--) txByte(s, *data++);
}
void w5TxFill(uint8_t s, uint8_t value, uint16_t n) {
  while (n--) txByte(s, value);
}
void w5TxPutP(uint8_t s, const char *p) {
  for (uint8_t c = pgm_read_byte(p); c; c = pgm_read_byte(++p)) txByte(s, c);
}
void w5TxPutNum(uint8_t s, uint32_t v) {
  char digits[11];  // 4294967295 and a NUL
  ultoa(v, digits, 10);
  for (const char *p = digits; *p; p++) txByte(s, *p);
}

void w5TxSend(uint8_t s) {
  uint16_t a = sreg(s, SN_TX_WR);
  wr16(a, rd16(a) + txOffset[s & 1]);
  txOffset[s & 1] = 0;
  cmd(s, CR_SEND);
}

uint16_t w5RxSize(uint8_t s) { return rdStable(sreg(s, SN_RX_RSR)); }

uint8_t w5RxPeek(uint8_t s, uint16_t offset) {
  uint16_t ptr = rd16(sreg(s, SN_RX_RD)) + offset;
  return rd(RX_BASE + s * BUF_SIZE + (ptr & BUF_MASK));
}

void w5RxSkip(uint8_t s, uint16_t n) {
  uint16_t a = sreg(s, SN_RX_RD);
  wr16(a, rd16(a) + n);
  cmd(s, CR_RECV);
}

uint16_t w5RxRead(uint8_t s, uint8_t *buf, uint16_t n) {
  uint16_t have = w5RxSize(s);
  if (n > have) n = have;
  if (!n) return 0;
  uint16_t rdPtr = rd16(sreg(s, SN_RX_RD));
  uint16_t base = RX_BASE + s * BUF_SIZE, off = rdPtr & BUF_MASK;
  if (chip == W5_W5500) {  // one burst: the chip wraps at the end of the buffer itself
    header(base + off, false);
    for (uint16_t i = 0; i < n; i++) buf[i] = spi(0);
    PORTB |= CS_BIT;
  } else {
    // One read frame per byte (the W5100 has no burst mode), back to back:
    // each next SPI byte is loaded as soon as the last one is out.
    for (uint16_t i = 0; i < n; i++) {
      uint16_t a = base + off;
      PORTB &= ~CS_BIT;
      SPDR = OP_READ;
      while (!(SPSR & _BV(SPIF))) {}
      SPDR = a >> 8;
      while (!(SPSR & _BV(SPIF))) {}
      SPDR = a & 0xFF;
      while (!(SPSR & _BV(SPIF))) {}
      SPDR = 0;
      off = (off + 1) & BUF_MASK;
      while (!(SPSR & _BV(SPIF))) {}
      buf[i] = SPDR;
      PORTB |= CS_BIT;
    }
  }
  wr16(sreg(s, SN_RX_RD), rdPtr + n);
  cmd(s, CR_RECV);
  return n;
}
