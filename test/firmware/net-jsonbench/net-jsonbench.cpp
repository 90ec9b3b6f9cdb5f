// Benchmark firmware: how fast the network-mode JSON parser consumes a real
// pmproxy fetch reply on the ATmega328P. Prints "JSONBENCH <bytes> <us> <err> <in>".
// The parser gets the body from RAM in RX_BLOCK-byte blocks, as the HTTP client
// hands over what it read from the W5100; reading the chip is the SPI's cost,
// measured apart (fw.net.*), so the copy out of flash happens before timing.
#include <Arduino.h>
#include "net/pmapi_parse.h"

constexpr uint8_t RX_BLOCK = 64;  // http_client.cpp's RX_CHUNK

static const char REPLY[] PROGMEM =
    "{\"context\":1508114417,\"timestamp\":1795811302.161206379,\"values\":[{\"pmid\":\"60.3.0\","
    "\"name\":\"network.interface.in.bytes\",\"instances\":[{\"instance\":0,\"value\":29026},{"
    "\"instance\":1,\"value\":0},{\"instance\":2,\"value\":0},{\"instance\":3,\"value\":247779774}]"
    "},{\"pmid\":\"60.3.8\",\"name\":\"network.interface.out.bytes\",\"instances\":[{\"instance\":"
    "0,\"value\":29026},{\"instance\":1,\"value\":0},{\"instance\":2,\"value\":0},{\"instance\":3,"
    "\"value\":851767}]}]}";
constexpr char METRIC_IN[] = "network.interface.in.bytes";
constexpr char METRIC_OUT[] = "network.interface.out.bytes";
static PmParser parser;
static uint8_t body[sizeof REPLY];

void setup() {
  Serial.begin(115200);
  PmQuery q = {{METRIC_IN, METRIC_OUT, NULL, NULL}, {3, 3, -1, -1}, NULL};
  const uint16_t len = sizeof REPLY - 1;
  const uint8_t rounds = 20;
  memcpy_P(body, REPLY, len);
  uint32_t t0 = micros();
  for (uint8_t r = 0; r < rounds; r++) {
    parser.begin(&q);
    for (uint16_t i = 0; i < len; i += RX_BLOCK)
      parser.feed(body + i, len - i < RX_BLOCK ? len - i : RX_BLOCK);
    parser.end();
  }
  uint32_t us = micros() - t0;
  Serial.print(F("JSONBENCH "));
  Serial.print((uint32_t)len * rounds);
  Serial.print(' ');
  Serial.print(us);
  Serial.print(' ');
  Serial.print(parser.error());
  Serial.print(' ');
  Serial.println((uint32_t)parser.r.counter[0]);
}

void loop() {}
