// Test firmware: fetches http://192.168.7.2/ through the W5100 (static
// address 192.168.7.50) and prints the response over serial, then a summary
// line the tests and the benchmark parse:
//   END len=<bytes> sum=<hex> bulk=<bytes> us=<micros> sr=<Sn_SR hex>
// sum is a 16-bit rotate-and-add checksum: cheap enough not to slow the read loop.
// The first ECHO_LIMIT bytes are echoed; bulk/us is the rate after that
// (serial output flushed first, so it measures the W5100 path alone).
#include <Arduino.h>
#include "w5100_io.h"

using namespace w5100;

constexpr uint8_t SOCK = 0;
constexpr uint8_t MAC[6] = {0xDE, 0xAD, 0xBE, 0xEF, 0xFE, 0x01};
constexpr uint8_t IP[4] = {192, 168, 7, 50};
constexpr uint8_t GW[4] = {192, 168, 7, 1};
constexpr uint8_t MASK[4] = {255, 255, 255, 0};
constexpr uint8_t SERVER[4] = {192, 168, 7, 2};
constexpr uint16_t SERVER_PORT = 80;
constexpr uint16_t LOCAL_PORT = 49152;
constexpr uint16_t CONNECT_TIMEOUT_MS = 3000;
constexpr uint16_t READ_TIMEOUT_MS = 5000;
constexpr uint16_t ECHO_LIMIT = 600;
constexpr uint8_t CHUNK = 64;
static const char REQUEST[] PROGMEM =
    "GET / HTTP/1.0\r\nHost: 192.168.7.2\r\nConnection: close\r\n\r\n";

static uint8_t chunk[CHUNK];

static void printHex(uint16_t v) { Serial.print(v, HEX); }

static void fetch() {
  if (!open(SOCK, MR_TCP, LOCAL_PORT, SR_INIT)) {
    Serial.println(F("ERR open"));
    return;
  }
  setDest(SOCK, SERVER, SERVER_PORT);
  command(SOCK, CR_CONNECT);
  uint32_t t0 = millis();
  uint8_t sr;
  while ((sr = status(SOCK)) != SR_ESTABLISHED) {
    if (sr == SR_CLOSED || millis() - t0 > CONNECT_TIMEOUT_MS) {
      Serial.print(F("ERR connect sr="));
      printHex(sr);
      Serial.print(F(" ir="));
      printHex(read(sreg(SOCK, SN_IR)));
      Serial.print(F(" ms="));
      Serial.println(millis() - t0);
      command(SOCK, CR_CLOSE);
      return;
    }
  }
  Serial.print(F("CONNECTED ms="));
  Serial.println(millis() - t0);
  txPut(SOCK, 0, (const uint8_t *)REQUEST, sizeof(REQUEST) - 1, true);
  if (!send(SOCK, sizeof(REQUEST) - 1)) {
    Serial.println(F("ERR send"));
    return;
  }

  uint32_t len = 0, bulk = 0, tBulk = 0, lastData = millis();
  uint16_t sum = 0;
  for (;;) {
    uint16_t n = read16Stable(sreg(SOCK, SN_RX_RSR));
    if (n == 0) {
      sr = status(SOCK);
      if (sr == SR_CLOSE_WAIT || sr == SR_CLOSED) {
        if (read16Stable(sreg(SOCK, SN_RX_RSR)) == 0) break;
        continue;
      }
      if (millis() - lastData > READ_TIMEOUT_MS) {
        Serial.println(F("ERR read timeout"));
        break;
      }
      continue;
    }
    if (n > CHUNK) n = CHUNK;
    rxGet(SOCK, 0, chunk, n);
    rxDone(SOCK, n);
    lastData = millis();
    for (uint8_t i = 0; i < n; i++) {
      sum = (uint16_t)((sum << 1) | (sum >> 15)) + chunk[i];
      if (len < ECHO_LIMIT) {
        Serial.write(chunk[i]);
        if (len + 1 == ECHO_LIMIT) {
          Serial.flush();
          tBulk = micros();
        }
      } else {
        bulk++;
      }
      len++;
    }
  }
  uint32_t us = bulk ? micros() - tBulk : 0;
  sr = status(SOCK);
  Serial.print(F("\nEND len="));
  Serial.print(len);
  Serial.print(F(" sum="));
  printHex(sum);
  Serial.print(F(" bulk="));
  Serial.print(bulk);
  Serial.print(F(" us="));
  Serial.print(us);
  Serial.print(F(" sr="));
  printHex(sr);
  Serial.println();
  command(SOCK, CR_DISCON);
  t0 = millis();
  while (status(SOCK) != SR_CLOSED) {
    if (millis() - t0 > 1000) {
      command(SOCK, CR_CLOSE);
      break;
    }
  }
  Serial.println(F("DONE"));
}

void setup() {
  Serial.begin(115200);
  Serial.println(F("BOOT w5100-http"));
  if (!begin(MAC, IP, GW, MASK)) {
    Serial.println(F("ERR no W5100"));
    return;
  }
  fetch();
}

void loop() {}
