// HTTP/1.1 GET client on W5100 socket W5_SOCK_TCP, polled from the main loop.
// Handles Content-Length, chunked transfer-encoding and read-to-close bodies,
// keeps the connection for the next request unless the server closes it, and
// times out the connect, the headers and the body. Body bytes stream to a
// callback: nothing is buffered whole.
#pragma once
#include <stdint.h>

constexpr uint8_t HTTP_LINE_MAX = 32;        // status and header lines: the first 32 bytes count
constexpr uint16_t HTTP_HEADERS_MAX = 2048;  // bytes of status line + headers
constexpr uint32_t HTTP_BODY_MAX = 16384UL;  // longer bodies are rejected as oversize
constexpr uint32_t HTTP_CONNECT_MS = 4000UL;
// A connect that fails sooner was refused (a RST arrives within a LAN round
// trip); one that times out takes at least the chip's first retry, 200 ms.
constexpr uint32_t HTTP_REFUSED_MS = 100UL;
constexpr uint32_t HTTP_HEADERS_MS = 5000UL;
constexpr uint32_t HTTP_BODY_MS = 8000UL;

enum HttpErr : uint8_t {
  HE_NONE = 0,
  HE_CONNECT,   // refused, unreachable or timed out (link down looks like this)
  HE_TIMEOUT,   // headers or body too slow
  HE_RESET,     // connection lost before the body was complete
  HE_PROTOCOL,  // not an HTTP response / bad chunk framing
  HE_OVERSIZE,  // headers or body over the limits
  HE_BODY,      // the body consumer rejected the data
  HE_REFUSED,   // the connect failed at once: the host answered with a reset
};

enum HttpPhase : uint8_t {
  HP_IDLE,
  HP_CONNECTING,
  HP_STATUS,
  HP_HEADERS,
  HP_BODY,
  HP_DONE,
  HP_FAILED
};

// Writes the request target ("/pmapi/...") with w5TxPut*/w5TxPutP on the socket.
typedef void (*HttpPathWriter)(uint8_t sock);
// Consumes a block of body bytes; false rejects the body.
typedef bool (*HttpBodySink)(const uint8_t *data, uint16_t n);

struct HttpClient {
  void start(const uint8_t ip[4], uint16_t port, HttpPathWriter path, HttpBodySink sink);
  // Makes progress; returns the phase (HP_DONE or HP_FAILED once finished).
  uint8_t poll();
  void drop();  // close the connection (after errors, or on leaving network mode)

  uint8_t phase, err;
  uint16_t status;
  bool bodyComplete;  // the body ended where its framing said (false: cut short)

 private:
  void sendRequest();
  bool header(char c);
  uint16_t body(const uint8_t *p, uint16_t n);
  bool chunkFraming(char c);
  bool finish();
  void fail(uint8_t e);
  bool lineChar(char c);
  const uint8_t *ip;
  uint16_t port;
  HttpPathWriter path;
  HttpBodySink sink;
  uint32_t since;      // millis() when the current phase's clock started
  uint32_t remaining;  // Content-Length left, or bytes left in the chunk
  uint16_t headerBytes;
  uint32_t bodyBytes;
  uint8_t lineLen, chunkState;
  bool chunked, close, lengthKnown, keepAlive, reused;
  char line[HTTP_LINE_MAX + 1];
};
