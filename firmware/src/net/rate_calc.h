// Per-second rates from two counter samples and the server's own timestamps.
// 32-bit counter wraps and 64-bit wraps count as traffic; a counter that went
// backwards otherwise (reset, reboot) or an implausible jump re-baselines
// without showing a spike.
#pragma once
#include <stdint.h>

enum RateStatus : uint8_t { RATE_OK, RATE_FIRST, RATE_RESET, RATE_BADTIME };

struct RateState {
  uint64_t prev[2];
  uint32_t prevSec, prevUs;
  bool have;
};

// now: in/out byte counters. maxBytesPerSec: a rate above it is taken as a
// reset (0: no limit). rate: bytes/s, or bit/s when bits; saturates at 2^32-1.
uint8_t rateUpdate(RateState &st, const uint64_t now[2], uint32_t sec, uint32_t us, bool bits,
                   uint32_t maxBytesPerSec, uint32_t rate[2]);
