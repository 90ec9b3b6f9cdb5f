// Native driver for firmware/src/net/http_client.cpp with the W5100 socket
// replaced by a script: stdin holds server replies separated by NUL bytes;
// for each, a fresh request is started, the reply is offered a few bytes per
// poll (then the peer closes), and one JSON line says how it ended:
//   {"phase":"done"|"failed","err":N,"status":N,"body":"..."}
// err is an HttpErr code (http_client.h); body is what reached the sink.
#include <stdio.h>
#include <string.h>
#include <string>
#include <vector>
#include "Arduino.h"
#include "net/http_client.h"
#include "net/wiznet.h"

static uint32_t now;
uint32_t millis() { return now; }

// The peer: connects at once, answers with `reply` RX_STEP bytes per read, then closes.
constexpr uint8_t RX_STEP = 7;
static std::string reply;
static size_t sent;
static W5SocketStatus sr;
uint8_t w5Status(uint8_t) {
  return sr == W5_SR_ESTABLISHED && sent == reply.size() ? W5_SR_CLOSE_WAIT : sr;
}
uint8_t w5TakeIr(uint8_t, uint8_t) { return 0; }
bool w5Open(uint8_t, uint8_t, uint16_t) {
  sr = W5_SR_INIT;
  return true;
}
void w5Close(uint8_t) { sr = W5_SR_CLOSED; }
void w5Disconnect(uint8_t) { sr = W5_SR_CLOSED; }
void w5Connect(uint8_t, const uint8_t *, uint16_t) {
  sr = W5_SR_ESTABLISHED;
  sent = 0;
}
void w5TxPut(uint8_t, const uint8_t *, uint16_t) {}
void w5TxPutP(uint8_t, const char *) {}
void w5TxPutNum(uint8_t, uint32_t) {}
void w5TxSend(uint8_t) {}
uint16_t w5RxSize(uint8_t) { return reply.size() - sent; }
uint16_t w5RxRead(uint8_t, uint8_t *buf, uint16_t n) {
  size_t k = reply.size() - sent;
  if (k > n) k = n;
  if (k > RX_STEP) k = RX_STEP;
  memcpy(buf, reply.data() + sent, k);
  sent += k;
  return k;
}

static std::string body;
static bool sink(const uint8_t *p, uint16_t n) {
  body.append((const char *)p, n);
  return true;
}
static void path(uint8_t) {}

static void run(HttpClient &http) {
  static constexpr uint8_t SERVER_IP[4] = {192, 168, 7, 2};
  body.clear();
  http.drop();  // a new connection for every reply
  http.start(SERVER_IP, 44322, path, sink);
  for (int i = 0; i < 100000 && http.poll() != HP_DONE && http.phase != HP_FAILED; i++) now++;
  printf("{\"phase\":\"%s\",\"err\":%u,\"status\":%u,\"body\":\"",
         http.phase == HP_DONE ? "done" : "failed", http.err, http.status);
  for (unsigned char c : body) {
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
      printf("\\u%04x", c);
    else
      putchar(c);
  }
  printf("\"}\n");
}

int main() {
  static HttpClient http;  // static like on the AVR
  int c;
  do {
    c = getchar();
    if (c != 0 && c != EOF) {
      reply.push_back((char)c);
      continue;
    }
    if (c == EOF && reply.empty()) break;
    run(http);
    reply.clear();
  } while (c != EOF);
  return 0;
}
