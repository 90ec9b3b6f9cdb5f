// Extracts what network mode needs from a PMWEBAPI reply while it streams:
// context id, sample timestamp (modern "S.nnn" or legacy {"s","us"}), the
// wanted instance of each asked metric, an instance id by name (indom replies)
// and the "context identifier" error. Anything else is skipped unread.
#pragma once
#include <stdint.h>
#include "json_stream.h"

enum PmMetric : uint8_t { PM_IN = 0, PM_OUT, PM_LAT, PM_STATUS, PM_METRICS };

constexpr int32_t PM_INST_NULL = -1;  // a singular metric's instance (null or -1)

enum PmHave : uint8_t {
  PMH_CONTEXT = 1,
  PMH_TS = 2,
  PMH_IN = 4,
  PMH_OUT = 8,
  PMH_LAT = 16,
  PMH_STATUS = 32,
  PMH_INDOM = 64,
  PMH_CTXERR = 128,
};

struct PmQuery {
  const char *names[PM_METRICS];  // NULL: not asked
  int32_t inst[PM_METRICS];       // wanted instance id of each metric
  const char *instName;           // indom replies: the instance to find
};

struct PmReply {
  uint32_t context;
  uint32_t tsSec, tsUs;
  uint64_t counter[2];  // PM_IN, PM_OUT
  uint32_t latUs;
  bool latFail;    // negative latency or non-zero status
  int32_t instId;  // PMH_INDOM
  uint8_t have;    // PmHave bits
};

class PmParser : public JsonSink {
 public:
  void begin(const PmQuery *q);
  bool feed(char c) { return js.feed(c); }
  bool feed(const uint8_t *p, uint16_t n) { return js.feed(p, n); }
  bool end() { return js.end(); }
  uint8_t error() const { return js.error; }
  void json(JsonStream &p, uint8_t ev, uint8_t depth) override;

  PmReply r;

 private:
  void instScalar(JsonStream &p, uint8_t ev);
  // Out of line on purpose: json(), called per token, stays cheap to enter.
  __attribute__((noinline)) void open(JsonStream &p, bool obj, uint8_t depth);
  __attribute__((noinline)) void close(JsonStream &p, uint8_t role);
  __attribute__((noinline)) void scalar(JsonStream &p, uint8_t ev, uint8_t role);
  __attribute__((noinline)) bool rootScalar(JsonStream &p, uint8_t ev);
  __attribute__((noinline)) void take(JsonStream &p);
  JsonStream js;
  const PmQuery *q;
  uint8_t role[JSON_MAX_DEPTH + 1];
  uint8_t key;
  int8_t metric;
  bool pendHave, nameMatch, tsS, tsUs;
  int32_t pendInst;
  JsonNumber pend;
};

// ms (any JSON number) to microseconds, saturating; false if negative.
bool pmMsToUs(const JsonNumber &n, uint32_t *us);
