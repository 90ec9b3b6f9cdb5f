// Network mode: the board polls PMWEBAPI itself. A step-wise state
// machine driven by netmodeLoop(): chip check, DHCP or static address,
// context, instance ids by name, then a fetch every poll interval. Errors keep
// the last values on screen (stale after 3 intervals; then line 2 takes turns
// with the reason) and retry with back-off.
#include <Arduino.h>
#include <string.h>
#include "../config.h"
#include "../display.h"
#include "../glyphs.h"
#include "../netmode.h"
#include "../pgm_list.h"
#include "../uart.h"
#include "dhcp.h"
#include "http_client.h"
#include "pmapi_parse.h"
#include "rate_calc.h"
#include "screen_format.h"
#include "wiznet.h"

constexpr uint32_t BACKOFF_MAX_MS = 60000UL;  // the cap of the back-off (docs/backoff.md)
constexpr uint32_t CHIP_RETRY_MS = 10000UL;
constexpr uint32_t SHOW_IP_MS = 1500UL;
constexpr uint8_t POLLTIMEOUT_EXTRA_S = 30;  // context lifetime beyond the poll interval

enum NetState : uint8_t {
  NS_CHIP,
  NS_DHCP,
  NS_SHOW_IP,
  NS_CONTEXT,
  NS_INDOM_IF,
  NS_INDOM_LAT,
  NS_FETCH,
  NS_WAIT,
  NS_NOCHIP,
};
// What the last failure was, for the error screen.
enum NetError : uint8_t {
  NE_NONE,
  NE_CONNECT,
  NE_TIMEOUT,
  NE_RESET,
  NE_PROTOCOL,
  NE_OVERSIZE,
  NE_JSON,
  NE_HTTP,
  NE_IFACE,
  NE_DHCP,
  NE_DHCP_NAK,
  NE_REFUSED,
  NE_LEASE,
  NE_CONTEXT,
};
constexpr uint32_t REASON_EVERY_MS = 2000UL;  // stale values and the reason take turns on line 2

constexpr char SHPING_STATUS[] = "shping.status";
// In NE_ order; a connect that times out is most often a cable or switch problem.
static const char ERR_TEXT[] PROGMEM =
    "\0no link?\0PCP timeout\0PCP conn reset\0PCP: bad HTTP\0PCP: too large\0PCP: bad "
    "JSON\0HTTP\0no iface\0"
    "no DHCP lease\0DHCP refused\0PCP down\0DHCP lease lost\0PCP context lost\0";

static HttpClient http;
static PmParser parser;
static PmQuery query;
static RateState rates;
static uint8_t state, afterWait, chip, err, errDetail, ctxTries, rateStatus, fails;
static bool request, legacy, haveSample, latOk, inNet;
static uint32_t stateAt, waitMs, lastGoodAt, lastPollAt, lastDrawAt;
static uint32_t context, rate[2], latUs;
static uint16_t errStatus, rng;
static uint8_t ip[4], mask[4], gw[4];

// min/avg/max of the last LAT_WINDOW good latency samples (docs/screens.md), each kept
// at the precision it is shown with, so 16 bits hold it: codes 0-99 are 0.0-9.9 ms,
// 100 and up whole milliseconds (10 ms to 60 s) plus LAT_MS_CODE_BASE.
constexpr uint8_t LAT_WINDOW = 30;
constexpr uint16_t LAT_MS_CODE_BASE = 90;
static uint16_t latWindow[LAT_WINDOW];
static uint8_t latCount, latNext;

static uint16_t latCode(uint32_t us) {
  return us < 9950 ? (us + 50) / 100 : (us + 500) / 1000 + LAT_MS_CODE_BASE;
}
// Out of line: draw() decodes three times.
__attribute__((noinline)) static uint32_t latDecode(uint16_t c) {
  return c < 100 ? c * 100UL : (c - LAT_MS_CODE_BASE) * 1000UL;
}

static bool chipSupported() { return chip == W5_W5100 || chip == W5_W5500; }

static void enter(uint8_t s) {
  state = s;
  stateAt = millis();
  request = false;
}

static void waitThen(uint8_t next, uint32_t ms) {
  afterWait = next;
  waitMs = ms;
  enter(NS_WAIT);
}

__attribute__((noinline)) static uint32_t pollMs() { return (uint32_t)cfg.pollSec * 1000; }

// xorshift16 (7, 9, 8): full period over the non-zero states.
static uint16_t rand16() {
  rng ^= rng << 7;
  rng ^= rng >> 9;
  rng ^= rng << 8;
  return rng;
}

// Every failure counts, of any kind, until a whole poll succeeds (docs/backoff.md):
// after the n-th in a row d = min(cap, poll x 2^(n-1)), and the wait is uniform
// in [d/2, d) so that boards failing together do not retry together. Attempts
// (each begins with a context or a fetch) start at least a poll interval apart,
// so there is at most one new context per interval however the server fails.
static void failWith(uint8_t e, uint8_t detail, uint8_t retry) {
  err = e;
  errDetail = detail;
  if (fails < 255) fails++;
  uint32_t poll = pollMs(), d = poll;
  for (uint8_t n = 1; n < fails && d < BACKOFF_MAX_MS; n++) d <<= 1;
  uint16_t half = (d > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : d) / 2;  // 16 bits: cheap maths below
  uint32_t wait =
      half + (uint16_t)((uint32_t)half * (uint16_t)(rand16() ^ (uint16_t)millis()) >> 16);
  uint32_t spent = millis() - lastPollAt;  // since this attempt began
  if (spent < poll && wait < poll - spent) wait = poll - spent;
  waitThen(retry, wait);
}

// --- request targets -------------------------------------------------------

static void put(uint8_t s, const char *ram) { w5TxPut(s, (const uint8_t *)ram, strlen(ram)); }

static void putContextPrefix(uint8_t s) {
  // modern: /pmapi/<what>?context=N&  legacy: /pmapi/N/_<what>?
  if (legacy) {
    w5TxPutP(s, PSTR("/pmapi/"));
    w5TxPutNum(s, context);
    w5TxPutP(s, PSTR("/_"));
  } else
    w5TxPutP(s, PSTR("/pmapi/"));
}

static void pathContext(uint8_t s) {
  w5TxPutP(s, legacy ? PSTR("/pmapi/context?hostname=") : PSTR("/pmapi/context?hostspec="));
  put(s, cfg.hostspec);
  w5TxPutP(s, PSTR("&polltimeout="));
  w5TxPutNum(s, (uint32_t)cfg.pollSec + POLLTIMEOUT_EXTRA_S);
}

static void pathIndom(uint8_t s) {
  putContextPrefix(s);
  w5TxPutP(s, PSTR("indom?"));
  if (!legacy) {
    w5TxPutP(s, PSTR("context="));
    w5TxPutNum(s, context);
    w5TxPutP(s, PSTR("&"));
  }
  w5TxPutP(s, PSTR("name="));
  put(s, state == NS_INDOM_IF ? cfg.mIn : cfg.mLat);
}

static void pathFetch(uint8_t s) {
  putContextPrefix(s);
  w5TxPutP(s, PSTR("fetch?"));
  if (!legacy) {
    w5TxPutP(s, PSTR("context="));
    w5TxPutNum(s, context);
    w5TxPutP(s, PSTR("&"));
  }
  w5TxPutP(s, PSTR("names="));
  bool first = true;
  for (uint8_t m = 0; m < PM_METRICS; m++) {
    if (!query.names[m]) continue;
    if (!first) w5TxPutP(s, PSTR(","));
    put(s, query.names[m]);
    first = false;
  }
}

static bool sinkJson(const uint8_t *data, uint16_t n) { return parser.feed(data, n); }

// --- drawing ----------------------------------------------------------------

static uint8_t putP(uint8_t *f, uint8_t at, const char *p) {
  for (uint8_t c = pgm_read_byte(p); c && at < displayCellCount(); c = pgm_read_byte(++p))
    f[at++] = c;
  return at;
}
static uint8_t putS(uint8_t *f, uint8_t at, const char *s) {
  while (*s && at < displayCellCount()) f[at++] = *s++;
  return at;
}
static uint8_t putU(uint8_t *f, uint8_t at, uint32_t v) {
  char b[11];
  ultoa(v, b, 10);
  return putS(f, at, b);
}
static uint8_t putIp(uint8_t *f, uint8_t at, const uint8_t *a) {
  for (uint8_t i = 0; i < 4; i++) {
    if (i) f[at++] = '.';
    at = putU(f, at, a[i]);
  }
  return at;
}

// The last failure in at most one row, from f[at] on.
static void putReason(uint8_t *f, uint8_t at) {
  const char *t = ERR_TEXT;
  for (uint8_t i = 0; i < err; i++) t += strlen_P(t) + 1;
  uint8_t end = at + displayCols();
  at = putP(f, at, t);
  if (err == NE_HTTP) {
    f[at++] = ' ';
    at = putU(f, at, errStatus);
  }
  if (err == NE_JSON) {
    f[at++] = ' ';
    at = putU(f, at, errDetail);
  }
  if (err == NE_IFACE) {
    f[at++] = ' ';
    at = putS(f, at, cfg.iface);
  }
  if (at > end)
    memset(f + end, ' ', at - end);  // a long interface name must not spill into the next row
}

static void draw() {
  uint8_t *f = displayShadow();
  uint8_t cols = displayCols();
  memset(f, ' ', displayCellCount());
  uint32_t now = millis();
  uint32_t age = (now - lastGoodAt) / 1000;
  if (haveSample) {
    ScreenSample s;
    s.down = rateShown(rate[0], cfg.unitsBytes);
    s.up = rateShown(rate[1], cfg.unitsBytes);
    s.latUs = latUs;
    s.latOk = latOk;
    s.ageSec = age;
    s.stale = age > (uint32_t)STALE_POLLS * cfg.pollSec;
    s.rateStatus = rateStatus;
    s.bytes = cfg.unitsBytes;
    s.capDown = cfg.unitsBytes ? cfg.capDown / 8 : cfg.capDown;
    s.capUp = cfg.unitsBytes ? cfg.capUp / 8 : cfg.capUp;
    s.statsOk = latCount;
    uint32_t sum = 0;
    uint16_t lo = 0xFFFF, hi = 0;
    for (uint8_t i = 0; i < latCount; i++) {
      uint16_t c = latWindow[i];
      sum += latDecode(c);
      if (c < lo) lo = c;
      if (c > hi) hi = c;
    }
    s.latMinUs = latDecode(lo);
    s.latMaxUs = latDecode(hi);
    s.latAvgUs = latCount ? (sum + latCount / 2) / latCount : 0;
    // The source: "<iface>@<hostspec>", as much as the widest field takes.
    char src[DISPLAY_MAX_COLS - FMT_AGE_LEN];
    uint8_t n = putS((uint8_t *)src, 0, cfg.iface);
    src[n++] = '@';
    for (const char *h = cfg.hostspec; *h && n < sizeof src - 1;) src[n++] = *h++;
    src[n] = 0;
    s.source = src;
    fmtScreen((char *)f, displaySize(), s);
    // Stale values alone do not say why: every other turn the last row does.
    if (s.stale && err && (now / REASON_EVERY_MS) & 1) {
      uint8_t at = displayCellCount() - cols;
      memset(f + at, ' ', cols);
      putReason(f, at);
    }
  } else if (state == NS_NOCHIP) {
    putP(f, 0, chip == W5_W5200 ? PSTR("W5200 found") : PSTR("No W5100/W5500"));
    putP(f, cols, chip == W5_W5200 ? PSTR("not supported") : PSTR("check the shield"));
  } else if (err) {
    putReason(f, 0);
    uint8_t at = putIp(f, cols, ip);
    if (state == NS_WAIT && at < 2 * cols - 3) {
      uint32_t left = (waitMs - (now - stateAt) + 999) / 1000;
      f[at++] = ' ';
      at = putU(f, at, left);
      f[at] = 's';
    }
  } else {
    putP(f, 0, state <= NS_DHCP ? PSTR("DHCP...") : PSTR("PCP connecting"));
    putIp(f, cols, ip);
  }
  displayLoadGlyphs(GLYPHS_MAIN);
  displayFlush();
  lastDrawAt = now;
}

// --- replies -----------------------------------------------------------------

static void startRequest(HttpPathWriter path) {
  parser.begin(&query);
  http.start(cfg.srvIp, cfg.srvPort, path, sinkJson);
  request = true;
}

// Common failure handling; returns true if the reply is a usable 200 JSON body.
static bool replyOk() {
  if (http.phase == HP_FAILED && http.err != HE_BODY) {
    // In HttpErr order (HE_BODY is handled below).
    static const uint8_t map[] PROGMEM = {NE_NONE,     NE_CONNECT,  NE_TIMEOUT, NE_RESET,
                                          NE_PROTOCOL, NE_OVERSIZE, NE_JSON,    NE_REFUSED};
    failWith(pgm_read_byte(map + http.err), 0, NS_CONTEXT);
    return false;
  }
  bool json = http.phase == HP_DONE && parser.end();
  // Unknown or expired context: a new one, after the back-off like any failure
  // (a server that forgets every context must not get a new one per request).
  if (http.status == 400 && (parser.r.have & PMH_CTXERR)) {
    failWith(NE_CONTEXT, 0, NS_CONTEXT);
    return false;
  }
  if (http.status == 400 && !json && ctxTries < 2) {
    ctxTries++;  // perhaps a context error without JSON: a new context before trying the other API
                 // form
    errStatus = 400;
    failWith(NE_HTTP, 0, NS_CONTEXT);
    return false;
  }
  if (http.status != 200) {
    errStatus = http.status;
    // A server without this API form does not know the path: try the other form.
    if (cfg.api == API_AUTO && (http.status == 404 || http.status == 400)) legacy = !legacy;
    failWith(NE_HTTP, 0, NS_CONTEXT);
    return false;
  }
  if (!json) {
    failWith(NE_JSON, parser.error() ? parser.error() : (uint8_t)JE_TRUNCATED, NS_CONTEXT);
    return false;
  }
  return true;
}

static void onContext() {
  if (!replyOk()) return;
  if (!(parser.r.have & PMH_CONTEXT)) {
    failWith(NE_JSON, JE_MISSING, NS_CONTEXT);
    return;
  }
  context = parser.r.context;
  enter(NS_INDOM_IF);
}

// Latency is optional: a PCP without the shping agent, or a wrong instance
// name, must not keep the rates off the glass. Latency shows NA and its
// instance is looked up again every LAT_RETRY_POLLS polls.
constexpr uint8_t LAT_RETRY_POLLS = 30;
static uint8_t latRetry;

static void latencyOff() {
  query.names[PM_LAT] = query.names[PM_STATUS] = nullptr;
  latRetry = LAT_RETRY_POLLS;
}

static void latencyOn() {
  query.names[PM_LAT] = cfg.mLat;
  if (!strncmp_P(cfg.mLat, PSTR("shping."), 7)) query.names[PM_STATUS] = SHPING_STATUS;
  query.inst[PM_LAT] = query.inst[PM_STATUS] = PM_INST_NULL;
}

static void onIndom() {
  bool lat = state == NS_INDOM_LAT;
  // pmproxy answers an unknown metric with 400 (no context error in the body).
  if (lat && http.phase == HP_DONE && http.status == 400 && parser.end() &&
      !(parser.r.have & PMH_CTXERR)) {
    latencyOff();
    enter(NS_FETCH);
    return;
  }
  if (!replyOk()) return;
  if (!(parser.r.have & PMH_INDOM)) {
    if (lat) {
      latencyOff();
      enter(NS_FETCH);
      return;
    }
    failWith(NE_IFACE, 0, NS_INDOM_IF);
    return;
  }
  if (state == NS_INDOM_IF) {
    query.inst[PM_IN] = query.inst[PM_OUT] = parser.r.instId;
    if (cfg.latInst[0] && cfg.mLat[0]) {
      enter(NS_INDOM_LAT);
      return;
    }
  } else {
    query.inst[PM_LAT] = query.inst[PM_STATUS] = parser.r.instId;
  }
  enter(NS_FETCH);
}

static void onFetch() {
  if (!replyOk()) return;
  const PmReply &r = parser.r;
  if (!(r.have & PMH_TS)) {
    failWith(NE_JSON, JE_MISSING, NS_FETCH);
    return;
  }
  // The interface is gone (re-created on reconnect): look its id up again.
  if ((r.have & (PMH_IN | PMH_OUT)) != (PMH_IN | PMH_OUT)) {
    rates.have = false;  // a re-created interface counts from a new baseline
    failWith(NE_IFACE, 0, NS_INDOM_IF);
    return;
  }
  // The latency instance went away (the agent restarted, the config changed).
  if (query.names[PM_LAT] && query.inst[PM_LAT] != PM_INST_NULL && !(r.have & PMH_LAT))
    latencyOff();
  fails = ctxTries = 0;  // a whole poll went through: only now does the back-off start over
  err = NE_NONE;
  latOk = (r.have & PMH_LAT) && !r.latFail;
  latUs = r.latUs;
  if (latOk) {
    latWindow[latNext] = latCode(latUs);
    if (++latNext == LAT_WINDOW) latNext = 0;
    if (latCount < LAT_WINDOW) latCount++;
  }
  // Every accepted sample is fresh news, with or without a rate; the same
  // sample again is not (docs/rates.md). Network mode counts 64-bit counters.
  uint8_t st = rateUpdate(rates, r.counter, r.tsSec, r.tsUs, false,
                          STALE_POLLS * 1000UL * cfg.pollSec, rate);
  if (st != RATE_SAME) {
    rateStatus = st;
    haveSample = true;
    lastGoodAt = millis();
  }
  uint32_t poll = (uint32_t)cfg.pollSec * 1000;
  uint32_t spent = millis() - lastPollAt;
  bool retryLat = cfg.mLat[0] && cfg.latInst[0] && !query.names[PM_LAT] && --latRetry == 0;
  if (retryLat) latencyOn();
  waitThen(retryLat ? NS_INDOM_LAT : NS_FETCH, spent < poll ? poll - spent : 0);
  draw();
}

// --- the state machine -------------------------------------------------------

static void setupQuery() {
  memset(&query, 0, sizeof query);
  query.names[PM_IN] = cfg.mIn;
  query.names[PM_OUT] = cfg.mOut;
  if (cfg.mLat[0]) latencyOn();  // instName is set before each indom request
}

void netmodeBegin() {
  inNet = true;
  legacy = cfg.api == API_PMWEBD;
  haveSample = false;
  latCount = latNext = 0;
  memset(&rates, 0, sizeof rates);
  err = NE_NONE;
  fails = ctxTries = 0;
  rng = (uint16_t)cfg.mac[4] << 8 |
        cfg.mac[5];  // each wait also mixes in the clock, so a 0 seed is harmless
  memset(ip, 0, 4);
  setupQuery();
  enter(NS_CHIP);
  draw();
}

void netmodeEnd() {
  if (!inNet) return;
  inNet = false;
  http.drop();
  w5Close(W5_SOCK_UDP);
}

bool netmodeAvailable() { return true; }

bool netmodeHardwarePresent() {
  if (!chipSupported()) chip = w5Begin(cfg.mac);  // a soft reset: only while network mode is idle
  return chipSupported();
}

static const char CHIP_NAMES[] PROGMEM = "none\0w5100\0w5500\0w5200";  // in W5Chip order

void netmodeBannerFields() {
  uartPrint(F(" eth="));
  uartPrint(reinterpret_cast<const __FlashStringHelper *>(pgmListItem(CHIP_NAMES, chip)));
  uartPrint(F(" ip="));
  for (uint8_t i = 0; i < 4; i++) {
    if (i) uartWrite('.');
    uartPrintNumber(ip[i]);
  }
}

static void stepRequest(HttpPathWriter path, void (*done)()) {
  if (!request) {
    if (state == NS_FETCH || state == NS_CONTEXT) lastPollAt = millis();  // an attempt begins
    if (state == NS_INDOM_IF || state == NS_INDOM_LAT)
      query.instName = state == NS_INDOM_IF ? cfg.iface : cfg.latInst;
    startRequest(path);
    return;
  }
  uint8_t p = http.poll();
  if (p == HP_DONE || p == HP_FAILED) {
    request = false;
    done();
  }
}

// The lease ran out or the server refused to extend it: stop using the
// address at once, say so, and start over after the back-off.
static void leaseLost(uint8_t d) {
  http.drop();
  memset(ip, 0, 4);
  w5SetAddress(ip, ip, ip);
  haveSample = false;
  failWith(d == DP_REFUSED ? NE_DHCP_NAK : NE_LEASE, 0, NS_CHIP);
  draw();
}

void netmodeLoop() {
  uint32_t now = millis();
  // Renewal runs alongside the polling (DHCP has its own socket).
  if (cfg.dhcp && state > NS_DHCP && state < NS_NOCHIP && dhcpHeld()) {
    uint8_t d = dhcpPoll();
    if (d > DP_REBINDING) {
      leaseLost(d);
      return;
    }
  }
  switch (state) {
    case NS_CHIP:
      chip = w5Begin(cfg.mac);
      if (!chipSupported()) {
        enter(NS_NOCHIP);
        draw();
        return;
      }
      w5SetRetry(2000, 3);  // 200 ms x 3: a dead link shows within a second
      if (cfg.dhcp) {
        dhcpStart(cfg.mac);
        enter(NS_DHCP);
      } else {
        memcpy(ip, cfg.ip, 4);
        memcpy(mask, cfg.mask, 4);
        memcpy(gw, cfg.gw, 4);
        w5SetAddress(ip, mask, gw);
        enter(NS_SHOW_IP);
      }
      draw();
      return;
    case NS_NOCHIP:
      if (now - stateAt > CHIP_RETRY_MS) enter(NS_CHIP);
      return;
    case NS_DHCP: {
      uint8_t d = dhcpPoll();
      if (d == DP_BOUND) {
        memcpy(ip, dhcpLease.ip, 4);
        memcpy(mask, dhcpLease.mask, 4);
        memcpy(gw, dhcpLease.gw, 4);
        w5SetAddress(ip, mask, gw);
        err = NE_NONE;
        enter(NS_SHOW_IP);
        draw();
      } else if (d == DP_FAILED || d == DP_REFUSED) {
        failWith(d == DP_FAILED ? NE_DHCP : NE_DHCP_NAK, 0, NS_CHIP);
        draw();
      }
      return;
    }
    case NS_SHOW_IP:
      if (now - stateAt > SHOW_IP_MS) enter(NS_CONTEXT);
      return;
    case NS_CONTEXT:
      stepRequest(pathContext, onContext);
      break;
    case NS_INDOM_IF:
    case NS_INDOM_LAT:
      stepRequest(pathIndom, onIndom);
      break;
    case NS_FETCH:
      stepRequest(pathFetch, onFetch);
      break;
    case NS_WAIT:
      if (now - stateAt >= waitMs) {
        enter(afterWait);
      }
      break;
  }
  if (now - lastDrawAt >= 1000) draw();  // the age and the countdown move
}
