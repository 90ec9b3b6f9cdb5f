#include "rate_calc.h"

#define RATE_MAX_DT_MS 3600000UL  // samples further apart than this are not compared
#define WRAP64_NEAR 0xFFFFFF0000000000ULL  // a 64-bit counter this high may wrap

// delta * 1000 / ms in 32 bits, saturating: delta / ms and the remainder
// part separately (remainder * 1000 < 3.6e9 for ms <= RATE_MAX_DT_MS).
static uint32_t perSecond(uint64_t delta, uint32_t ms) {
  if (delta > 0xFFFFFFFFULL) return 0xFFFFFFFFUL;
  uint32_t d = (uint32_t)delta, q = d / ms;
  if (q > 4294966UL) return 0xFFFFFFFFUL;
  return q * 1000 + (d % ms) * 1000 / ms;
}

static bool counterDelta(uint64_t prev, uint64_t now, uint64_t *delta) {
  if (now >= prev) { *delta = now - prev; return true; }
  if (prev <= 0xFFFFFFFFULL) { *delta = (uint32_t)((uint32_t)now - (uint32_t)prev); return now <= 0xFFFFFFFFULL; }
  if (prev >= WRAP64_NEAR) { *delta = now - prev; return true; }
  return false;
}

uint8_t rateUpdate(RateState &st, const uint64_t now[2], uint32_t sec, uint32_t us, bool bits,
                   uint32_t maxBytesPerSec, uint32_t rate[2]) {
  bool had = st.have;
  uint32_t ps = st.prevSec, pu = st.prevUs;
  uint64_t d[2];
  bool ok = counterDelta(st.prev[0], now[0], &d[0]) & counterDelta(st.prev[1], now[1], &d[1]);
  st.prev[0] = now[0];
  st.prev[1] = now[1];
  st.prevSec = sec;
  st.prevUs = us;
  st.have = true;
  if (!had) return RATE_FIRST;
  // Same sample again (server cache) or time going backwards: keep the old rates.
  if (sec < ps || (sec == ps && us <= pu) || sec - ps > RATE_MAX_DT_MS / 1000) return RATE_BADTIME;
  uint32_t dtMs = (sec - ps) * 1000UL + (us / 1000) - (pu / 1000);
  if (dtMs == 0) dtMs = 1;
  if (!ok) return RATE_RESET;
  uint32_t r[2];
  for (uint8_t i = 0; i < 2; i++) {
    r[i] = perSecond(d[i], dtMs);
    if (maxBytesPerSec && r[i] > maxBytesPerSec) return RATE_RESET;
  }
  for (uint8_t i = 0; i < 2; i++) rate[i] = bits ? (r[i] > 0x1FFFFFFFUL ? 0xFFFFFFFFUL : r[i] * 8) : r[i];
  return RATE_OK;
}
