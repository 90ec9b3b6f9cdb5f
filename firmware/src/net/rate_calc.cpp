#include "rate_calc.h"

constexpr uint32_t RATE_CAP = 0xFFFFFFFFUL;

// round(delta * 1000 / ms), ties up, capped, with 32-bit divisions only (the
// AVR has no 64-bit division in flash): long division of delta by ms a byte at
// a time (the remainder stays below ms < 2^24), then three decimal digits.
static uint32_t perSecond(const uint64_t &delta, uint32_t ms) {
  uint32_t r = (uint32_t)(delta >> 32);
  if (r >= ms) return RATE_CAP;  // delta / ms >= 2^32
  uint32_t lo = (uint32_t)delta, q = 0;
  for (int8_t shift = 24; shift >= 0; shift -= 8) {
    r = (r << 8) | ((lo >> shift) & 0xFF);
    q = (q << 8) | (r / ms);
    r %= ms;
  }
  uint32_t frac = 0;
  for (uint8_t i = 0; i < 3; i++) {
    r *= 10;
    frac = frac * 10 + r / ms;
    r %= ms;
  }
  if (2 * r >= ms) frac++;
  if (q > (RATE_CAP - frac) / 1000) return RATE_CAP;
  return q * 1000 + frac;
}

// False for a reset. A decrease is a wrap when, modulo 2^W, the counter moved
// forward by less than half its range: the top bit of the difference is clear.
// prevRef becomes now. Out of line, called in a loop, 64-bit values by
// reference (here and in perSecond): inlined twice with its values in
// registers it cost the AVR about 300 B of flash more.
__attribute__((noinline)) static bool counterDelta(uint64_t &prevRef, const uint64_t &now,
                                                   bool wrap32, uint64_t *delta) {
  uint64_t prev = prevRef;
  prevRef = now;
  *delta = now - prev;
  if (now >= prev) return true;
  if (!wrap32) return !(*delta >> 63);
  if (prev > 0xFFFFFFFFULL) return false;
  *delta = (uint32_t)*delta;
  return !(*delta >> 31);
}

uint8_t rateUpdate(RateState &st, const uint64_t now[2], uint32_t sec, uint32_t us, bool wrap32,
                   uint32_t maxGapMs, uint32_t rate[2]) {
  uint16_t ms = us / 1000;
  bool had = st.have;
  uint32_t ps = st.prevSec;
  uint16_t pms = st.prevMs;
  if (had && sec == ps && ms == pms) return RATE_SAME;
  uint64_t d[2];
  bool ok = true;
  for (uint8_t i = 0; i < 2; i++) ok &= counterDelta(st.prev[i], now[i], wrap32, &d[i]);
  st.prevSec = sec;
  st.prevMs = ms;
  st.have = true;
  if (!had) return RATE_FIRST;
  if (sec < ps || (sec == ps && ms < pms)) return RATE_BACK;
  // Whole seconds first, so the millisecond sum cannot overflow.
  if (sec - ps > maxGapMs / 1000 + 1) return RATE_GAP;
  uint32_t dt = (sec - ps) * 1000 + ms - pms;
  if (dt > maxGapMs) return RATE_GAP;
  if (!ok) return RATE_RESET;
  for (uint8_t i = 0; i < 2; i++) rate[i] = perSecond(d[i], dt);
  return RATE_OK;
}

// Out of line: network mode's draw() shows two rates.
__attribute__((noinline)) uint32_t rateShown(uint32_t bytesPerSec, bool bytes) {
  return bytes ? bytesPerSec : bytesPerSec > RATE_CAP / 8 ? RATE_CAP : bytesPerSec * 8;
}
