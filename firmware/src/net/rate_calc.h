// Per-second rates from an interface's two byte counters and the server's own
// timestamps, by the rule of docs/rates.md (shared with the host bridge and
// checked against test/vectors/rates.json): whole milliseconds, exact 64-bit
// deltas, rounded half up, one gap limit, a new baseline after a clock step.
#pragma once
#include <stdint.h>

// In docs/rates.md order. RATE_OK is 0: a zeroed ScreenSample shows rates.
enum RateStatus : uint8_t { RATE_OK, RATE_FIRST, RATE_SAME, RATE_BACK, RATE_GAP, RATE_RESET };

struct RateState {
  uint64_t prev[2];
  uint32_t prevSec;
  uint16_t prevMs;
  bool have;
};

// now: in/out byte counters; sec/us: the server's timestamp. wrap32: the
// counters are 32 bits wide (else 64). maxGapMs: the longest interval that
// gives a rate, below 2^24 (3 polls of at most 3600 s). rate: bytes/s, capped
// at 2^32-1, written only for RATE_OK. RATE_SAME leaves the state alone.
uint8_t rateUpdate(RateState &st, const uint64_t now[2], uint32_t sec, uint32_t us, bool wrap32,
                   uint32_t maxGapMs, uint32_t rate[2]);

// A rate as shown: bytes/s, or bits/s capped at 2^32-1.
uint32_t rateShown(uint32_t bytesPerSec, bool bytes);
