#include "http_client.h"
#include <Arduino.h>
#include <string.h>
#include "wiznet.h"

constexpr uint16_t LOCAL_PORT_BASE = 49152;
constexpr uint8_t RX_CHUNK = 64;  // bytes moved from the chip per poll

// Chunked framing states (RFC 9112 7.1)
enum ChunkState : uint8_t {
  CK_SIZE,
  CK_EXT,
  CK_SIZE_LF,
  CK_DATA,
  CK_DATA_CR,
  CK_DATA_LF,
  CK_TRAILER,
  CK_TRAILER_LF,
  CK_END
};

static uint16_t localPort = LOCAL_PORT_BASE;

static bool startsWithP(const char *s, const char *p) {
  for (; pgm_read_byte(p); p++, s++) {
    char c = *s;
    if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
    if (c != (char)pgm_read_byte(p)) return false;
  }
  return true;
}

static bool containsP(const char *s, const char *p) {
  for (; *s; s++)
    if (startsWithP(s, p)) return true;
  return false;
}

void HttpClient::start(const uint8_t *ipAddr, uint16_t portNo, HttpPathWriter pathWriter,
                       HttpBodySink bodySink) {
  ip = ipAddr;
  port = portNo;
  path = pathWriter;
  sink = bodySink;
  err = HE_NONE;
  status = 0;
  bodyComplete = false;
  since = millis();
  uint8_t sr = w5Status(W5_SOCK_TCP);
  reused = keepAlive && sr == W5_SR_ESTABLISHED && !w5RxSize(W5_SOCK_TCP);
  if (reused) {
    sendRequest();
    return;
  }
  w5Open(W5_SOCK_TCP, W5_PROTO_TCP, localPort);
  if (++localPort == 0) localPort = LOCAL_PORT_BASE;
  w5Connect(W5_SOCK_TCP, ip, port);
  phase = HP_CONNECTING;
}

void HttpClient::sendRequest() {
  uint8_t s = W5_SOCK_TCP;
  w5TxPutP(s, PSTR("GET "));
  path(s);
  w5TxPutP(s, PSTR(" HTTP/1.1\r\nHost: "));
  for (uint8_t i = 0; i < 4; i++) {
    if (i) w5TxPutP(s, PSTR("."));
    w5TxPutNum(s, ip[i]);
  }
  w5TxPutP(s, PSTR(":"));
  w5TxPutNum(s, port);
  w5TxPutP(s, PSTR("\r\nAccept: application/json\r\n\r\n"));
  w5TxSend(s);
  phase = HP_STATUS;
  since = millis();
  lineLen = 0;
  headerBytes = 0;
  bodyBytes = 0;
  chunked = close = lengthKnown = false;
  keepAlive = false;
}

void HttpClient::fail(uint8_t e) {
  if (phase == HP_FAILED) return;
  err = e;
  phase = HP_FAILED;
  drop();
}

void HttpClient::drop() {
  keepAlive = false;
  w5Close(W5_SOCK_TCP);
}

// Collects a header line (first HTTP_LINE_MAX bytes); true at its end.
bool HttpClient::lineChar(char c) {
  if (++headerBytes > HTTP_HEADERS_MAX) {
    fail(HE_OVERSIZE);
    return false;
  }
  if (c == '\n') {
    line[lineLen] = 0;
    lineLen = 0;
    return true;
  }
  if (c != '\r' && lineLen < HTTP_LINE_MAX) line[lineLen++] = c;
  return false;
}

bool HttpClient::header(char c) {
  if (!lineChar(c)) return phase != HP_FAILED;
  if (phase == HP_STATUS) {
    // "HTTP/1.x NNN reason" or "HTTP/1.x NNN": exactly three digits, so that
    // "2000" or "200OK" is no 200. A short line ends in its NUL, which fails a
    // digit test before line[12] (stale bytes) could matter.
    bool ok = startsWithP(line, PSTR("http/1.")) && (uint8_t)(line[7] - '0') < 10 &&
              line[8] == ' ' && (!line[12] || line[12] == ' ');
    uint16_t code = 0;
    for (uint8_t i = 9; i < 12; i++) {
      uint8_t d = line[i] - '0';
      if (d > 9) ok = false;
      code = code * 10 + d;
    }
    if (!ok || code < 100 || code > 599) {
      fail(HE_PROTOCOL);
      return false;
    }
    status = code;
    if (line[7] == '0') close = true;  // HTTP/1.0: no keep-alive without asking
    phase = HP_HEADERS;
    return true;
  }
  if (!line[0]) {  // blank line: the body starts
    phase = HP_BODY;
    since = millis();
    chunkState = CK_SIZE;
    if (chunked) {
      lengthKnown = false;
      remaining = 0;
    } else if (lengthKnown && remaining == 0)
      finish();
    return true;
  }
  if (startsWithP(line, PSTR("content-length:"))) {
    const char *v = line + 15;
    while (*v == ' ') v++;
    if (*v < '0' || *v > '9') {
      fail(HE_PROTOCOL);
      return false;
    }
    for (remaining = 0; *v >= '0' && *v <= '9'; v++) {
      remaining = remaining * 10 + (*v - '0');
      if (remaining > HTTP_BODY_MAX) {
        fail(HE_OVERSIZE);
        return false;
      }
    }
    lengthKnown = true;
  } else if (startsWithP(line, PSTR("transfer-encoding:"))) {
    chunked = containsP(line + 18, PSTR("chunked"));
  } else if (startsWithP(line, PSTR("connection:"))) {
    if (containsP(line + 11, PSTR("close"))) close = true;
  }
  return true;
}

static int8_t hexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c |= 0x20;
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// Hands the body on in blocks, as far as the framing allows; returns the
// bytes used (the rest of the block is framing or after the body).
uint16_t HttpClient::body(const uint8_t *p, uint16_t n) {
  if (chunked && chunkState != CK_DATA) {
    chunkFraming(*p);
    return 1;
  }
  if ((chunked || lengthKnown) && remaining < n) n = remaining;
  if (bodyBytes + n > HTTP_BODY_MAX) {
    fail(HE_OVERSIZE);
    return n;
  }
  bodyBytes += n;
  if (!sink(p, n)) {
    fail(HE_BODY);
    return n;
  }
  if (chunked) {
    if (!(remaining -= n)) chunkState = CK_DATA_CR;
  } else if (lengthKnown && !(remaining -= n))
    finish();
  return n;
}

bool HttpClient::chunkFraming(char c) {
  int8_t h;
  switch (chunkState) {
    case CK_SIZE:
      h = hexVal(c);
      if (h >= 0) {
        if (remaining > HTTP_BODY_MAX) {
          fail(HE_OVERSIZE);
          return false;
        }
        remaining = remaining * 16 + h;
        return true;
      }
      if (c == ';' || c == ' ' || c == '\t') {
        chunkState = CK_EXT;
        return true;
      }
      /* fall through */
    case CK_EXT:
      if (c == '\r') {
        chunkState = CK_SIZE_LF;
        return true;
      }
      if (chunkState == CK_EXT && c != '\n') return true;
      break;
    case CK_SIZE_LF:
      if (c != '\n') break;
      chunkState = remaining ? CK_DATA : CK_TRAILER;
      if (bodyBytes + remaining > HTTP_BODY_MAX) {
        fail(HE_OVERSIZE);
        return false;
      }
      return true;
    case CK_DATA_CR:
      if (c != '\r') break;
      chunkState = CK_DATA_LF;
      return true;
    case CK_DATA_LF:
      if (c != '\n') break;
      chunkState = CK_SIZE;
      return true;
    case CK_TRAILER:  // trailer lines until an empty one
      if (c == '\r') {
        chunkState = CK_TRAILER_LF;
        return true;
      }
      lineLen = 1;
      return true;
    case CK_TRAILER_LF:
      if (c != '\n') break;
      if (!lineLen) return finish();
      lineLen = 0;
      chunkState = CK_TRAILER;
      return true;
  }
  fail(HE_PROTOCOL);
  return false;
}

bool HttpClient::finish() {
  bodyComplete = true;
  phase = HP_DONE;
  keepAlive = !close;
  if (!keepAlive) w5Disconnect(W5_SOCK_TCP);
  return false;  // stop consuming: anything after the body belongs to no one
}

uint8_t HttpClient::poll() {
  if (phase == HP_IDLE || phase == HP_DONE || phase == HP_FAILED) return phase;
  uint32_t now = millis();
  uint8_t sr = w5Status(W5_SOCK_TCP);
  if (phase == HP_CONNECTING) {
    if (sr == W5_SR_ESTABLISHED) {
      sendRequest();
      return phase;
    }
    if (sr == W5_SR_CLOSED || w5TakeIr(W5_SOCK_TCP, W5_IR_TIMEOUT))
      fail(now - since < HTTP_REFUSED_MS ? HE_REFUSED : HE_CONNECT);
    else if (now - since > HTTP_CONNECT_MS)
      fail(HE_CONNECT);
    return phase;
  }
  uint8_t buf[RX_CHUNK];
  uint16_t n = w5RxRead(W5_SOCK_TCP, buf, sizeof buf);
  for (uint16_t i = 0; i < n && phase >= HP_STATUS && phase <= HP_BODY;) {
    if (phase == HP_BODY)
      i += body(buf + i, n - i);
    else
      header(buf[i++]);
  }
  if (n) return phase;
  if (sr != W5_SR_ESTABLISHED) {
    // Peer closed (or reset): complete only for a read-to-close body.
    if (phase == HP_BODY && !chunked && !lengthKnown) {
      close = true;
      finish();
    } else if (reused && phase == HP_STATUS && headerBytes == 0) {
      keepAlive = false;
      start(ip, port, path, sink);
    } else
      fail(HE_RESET);
    return phase;
  }
  if (now - since > (phase == HP_BODY ? HTTP_BODY_MS : HTTP_HEADERS_MS)) fail(HE_TIMEOUT);
  return phase;
}
