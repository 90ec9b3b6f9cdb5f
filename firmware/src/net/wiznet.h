// WIZnet W5100 and W5500 driver over the hardware SPI (Ethernet shield, CS on D10),
// one code path: the callers and most of this file address the chip in the W5100's
// single address space (W5100 datasheet v1.2), and each access is framed for the chip
// found: a W5100 frame, or a W5500 frame (W5500 datasheet v1.0.9) whose block select
// and offset come from that address (common registers, socket n's registers, its TX or
// RX buffer; the register offsets within a block are the same on both chips). Only the
// retry registers sit elsewhere. Everything here returns at once: the callers (DHCP,
// HTTP) poll socket status and time out.
#pragma once
#include <stdint.h>

// W5_W5200 answers but has no driver here (network mode says so).
enum W5Chip : uint8_t { W5_NONE = 0, W5_W5100, W5_W5500, W5_W5200 };

// Socket status (Sn_SR)
enum W5SocketStatus : uint8_t {
  W5_SR_CLOSED = 0x00,
  W5_SR_INIT = 0x13,
  W5_SR_SYNSENT = 0x15,
  W5_SR_ESTABLISHED = 0x17,
  W5_SR_FIN_WAIT = 0x18,
  W5_SR_CLOSE_WAIT = 0x1C,
  W5_SR_UDP = 0x22,
};
// Socket interrupt bits (Sn_IR), write 1 to clear
constexpr uint8_t W5_IR_SEND_OK = 0x10;
constexpr uint8_t W5_IR_TIMEOUT = 0x08;
constexpr uint8_t W5_IR_RECV = 0x04;
constexpr uint8_t W5_IR_DISCON = 0x02;
constexpr uint8_t W5_IR_CON = 0x01;
// Sn_MR protocols
enum W5Protocol : uint8_t { W5_PROTO_TCP = 0x01, W5_PROTO_UDP = 0x02 };

constexpr uint8_t W5_SOCK_TCP = 0;    // the HTTP connection
constexpr uint8_t W5_SOCK_UDP = 1;    // DHCP
constexpr uint8_t W5_UDP_HEADER = 8;  // source ip, port, length in front of each datagram

// Finds out what answers on the bus as the Arduino Ethernet library does, each
// probe in its chip's framing: W5200 first (its SPI state does not reset with chip
// select, so it must not see the others' frames first), then W5500, then W5100; a
// probe is a soft reset, a mode-register write and read-back, and the version
// register where the chip has one. A W5100 or W5500 is then set up (MAC, buffers).
uint8_t w5Begin(const uint8_t mac[6]);
void w5SetAddress(const uint8_t ip[4], const uint8_t mask[4], const uint8_t gw[4]);
// TCP retransmission: timeout per try in 100 us units, and the number of tries.
void w5SetRetry(uint16_t rtr100us, uint8_t count);

uint8_t w5Status(uint8_t s);
uint8_t w5TakeIr(uint8_t s, uint8_t bits);  // returns and clears those Sn_IR bits
bool w5Open(uint8_t s, uint8_t proto, uint16_t port);
void w5Close(uint8_t s);
void w5Disconnect(uint8_t s);
void w5Connect(uint8_t s, const uint8_t ip[4], uint16_t port);
void w5SetDest(uint8_t s, const uint8_t ip[4], uint16_t port);  // UDP

// Transmit: put() appends at the write pointer, send() hands it to the chip.
// txFree is checked by the caller before a message larger than the buffer.
uint16_t w5TxFree(uint8_t s);
void w5TxPut(uint8_t s, const uint8_t *data, uint16_t n);
void w5TxPutP(uint8_t s, const char *flash);  // NUL-terminated string in flash
void w5TxPutNum(uint8_t s, uint32_t v);       // in decimal
void w5TxFill(uint8_t s, uint8_t value, uint16_t n);
void w5TxSend(uint8_t s);

// Receive: peek at any offset of the unread data, then consume.
uint16_t w5RxSize(uint8_t s);
uint8_t w5RxPeek(uint8_t s, uint16_t offset);
uint16_t w5RxRead(uint8_t s, uint8_t *buf, uint16_t n);
void w5RxSkip(uint8_t s, uint16_t n);
