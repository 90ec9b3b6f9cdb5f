#include "json_stream.h"
#include "flash_str.h"
#include "screen_format.h"
#include <string.h>

// Up to S_DONE the states sit between tokens, where whitespace is skipped.
enum LexState : uint8_t {
  S_VALUE,
  S_ARR_FIRST,
  S_OBJ_FIRST,
  S_KEY,
  S_COLON,
  S_AFTER,
  S_DONE,
  S_STRING,
  S_ESC,
  S_UHEX,
  S_NUMBER,
  S_LITERAL,
};
// Number grammar phases (RFC 8259): sign, int digits, dot, frac, e, e-sign, exp.
enum NumberPhase : uint8_t { N_SIGN, N_ZERO, N_INT, N_DOT, N_FRAC, N_E, N_ESIGN, N_EXP };

// Past this the next digit may not fit in 32 bits.
constexpr uint32_t ACC_LIMIT = 429496729UL;

// v * 10 + d by shifts: the AVR has no 32-bit multiply and the library call costs more.
static uint32_t times10(uint32_t v, uint8_t d) {
  uint32_t x4 = v << 2;
  asm("" : "+r"(x4));  // stops gcc folding the shifts back into that call
  return ((v + x4) << 1) + d;
}

static const char LITERALS[] PROGMEM = "true\0false\0null";

static bool isSpace(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

void JsonStream::begin(JsonSink *s) {
  sink = s;
  error = JE_NONE;
  state = S_VALUE;
  depth = 0;
  objBits = 0;
}

void JsonStream::push(bool obj) {
  if (depth >= JSON_MAX_DEPTH) {
    fail(JE_DEPTH);
    return;
  }
  depth++;
  if (obj)
    objBits |= 1 << (depth - 1);
  else
    objBits &= ~(1 << (depth - 1));
  inObj = obj;
  emit(obj ? JV_OBJ : JV_ARR);
  state = obj ? S_OBJ_FIRST : S_ARR_FIRST;
}

// false: c starts no value (the caller decides if that is an error).
bool JsonStream::value(uint8_t c) {
  if (c == '{') {
    push(true);
    return true;
  }
  if (c == '[') {
    push(false);
    return true;
  }
  if (c == '-' || (uint8_t)(c - '0') < 10) {
    // num.whole is set when the number ends (from acc unless wide).
    num.frac = 0;
    num.fracDigits = 0;
    num.exp = 0;
    num.overflow = false;
    num.isInt = true;
    num.neg = c == '-';
    wide = false;
    state = S_NUMBER;
    tokLen = 1;
    acc = num.neg ? 0 : c - '0';
    sub = num.neg ? N_SIGN : acc ? N_INT : N_ZERO;
    return true;
  }
  for (uint8_t i = 0, n = 0; n < 3; n++) {  // the literal's first letter picks it
    if (pgm_read_byte(LITERALS + i) == c) {
      state = S_LITERAL;
      sub = i + 1;
      return true;
    }
    while (pgm_read_byte(LITERALS + i)) i++;
    i++;
  }
  return false;
}

void JsonStream::wideDigit(uint8_t d) {
  if (!wide) {
    num.whole = acc;
    wide = true;
  }
  // 18446744073709551615 = 2^64-1: past it the value no longer fits.
  if (num.whole > 1844674407370955161ULL || (num.whole == 1844674407370955161ULL && d > 5))
    num.overflow = true;
  // whole * 10 + d (mod 2^64) in 32-bit halves, 16 bits of the low half at a
  // time: a 64-bit product would link libgcc's __muldi3 and 64-bit shifts its
  // __ashldi3 (about 300 B of flash together). half[0] is the low half: the AVR
  // and the native tests' hosts are little-endian.
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "half[0] is the low half");
  uint32_t half[2];
  memcpy(half, &num.whole, sizeof half);
  uint32_t low16 = (half[0] & 0xFFFF) * 10 + d;            // below 2^20
  uint32_t high16 = (half[0] >> 16) * 10 + (low16 >> 16);  // below 2^20
  half[1] = half[1] * 10 + (high16 >> 16);
  half[0] = high16 << 16 | (low16 & 0xFFFF);
  memcpy(&num.whole, half, sizeof half);
}

void JsonStream::numberChar(uint8_t c) {
  if (++tokLen > JSON_NUM_MAX) {
    fail(JE_NUMBER);
    return;
  }
  uint8_t d = c - '0';
  bool digit = d < 10;
  switch (sub) {
    case N_SIGN:
    case N_INT:
      if (!digit) break;
      if (!wide && acc < ACC_LIMIT)
        acc = times10(acc, d);
      else
        wideDigit(d);
      sub = (sub == N_SIGN && d == 0) ? N_ZERO : N_INT;
      return;
    case N_DOT:
    case N_FRAC:
      if (!digit) break;
      if (num.fracDigits < 9) num.frac = num.frac * 10 + d;
      if (num.fracDigits < 255) num.fracDigits++;
      sub = N_FRAC;
      return;
    case N_E:
      expNeg = c == '-';
      if (c == '+' || c == '-') {
        sub = N_ESIGN;
        return;
      }
      /* fall through */
    case N_ESIGN:
    case N_EXP:
      if (!digit) break;
      {
        int16_t mag = expNeg ? -num.exp : num.exp;
        if (mag < 1000) mag = mag * 10 + d;
        num.exp = expNeg ? -mag : mag;
      }
      sub = N_EXP;
      return;
  }
  if (c == '.' && (sub == N_ZERO || sub == N_INT)) {
    sub = N_DOT;
    num.isInt = false;
    return;
  }
  if ((c == 'e' || c == 'E') && (sub == N_ZERO || sub == N_INT || sub == N_FRAC)) {
    sub = N_E;
    num.isInt = false;
    return;
  }
  fail(JE_SYNTAX);
}

// The end of the container, or false.
bool JsonStream::after(uint8_t c) {
  if (depth == 0) {
    state = S_DONE;
    return false;
  }
  if (c != (inObj ? '}' : ']')) return false;
  emit(inObj ? JV_OBJ_END : JV_ARR_END);
  depth--;
  inObj = depth && inObject(depth);
  state = depth ? S_AFTER : S_DONE;
  return true;
}

// A quote, a backslash, a control character, or a byte the LCD cannot show
// (0x7F and UTF-8): one compare covers both ends of 0x20-0x7E.
static bool endsRun(uint8_t c) {
  return c == '"' || c == '\\' || (uint8_t)(c - 0x20) > 0x7E - 0x20;
}

// Plain string bytes: copied while str has room, then only scanned.
const uint8_t *JsonStream::stringRun(const uint8_t *p, const uint8_t *end) {
  char *w = str + strLen;
  uint8_t room = JSON_STR_MAX - strLen;
  const uint8_t *stop = end - p > room ? p + room : end;
  for (; p != stop && !endsRun(*p); p++) *w++ = *p;
  strLen = w - str;
  if (p == stop) {
    for (; p != end && !endsRun(*p); p++) strLong = true;
  }
  return p;
}

// Integer digits while the value fits in acc; numberChar() takes the rest.
const uint8_t *JsonStream::digitRun(const uint8_t *p, const uint8_t *end) {
  uint32_t v = acc;
  uint8_t len = tokLen;
  for (; p != end && len < JSON_NUM_MAX && v < ACC_LIMIT; p++, len++) {
    uint8_t d = *p - '0';
    if (d > 9) break;
    v = times10(v, d);
  }
  acc = v;
  tokLen = len;
  return p;
}

bool JsonStream::feed(const uint8_t *p, uint16_t n) {
  const uint8_t *end = p + n;
  while (p != end && !error) {
    // The bulk of a reply: string bytes and integer digits, each in a tight loop.
    if (state == S_STRING)
      p = stringRun(p, end);
    else if (state == S_NUMBER && sub == N_INT && !wide)
      p = digitRun(p, end);
    if (p == end) break;
    uint8_t c = *p++;
    switch (state) {
      case S_STRING:  // stringRun() stopped at c: a quote, a backslash, a control character or >=
                      // 0x7F
        if (c == '\\') {
          state = S_ESC;
          continue;
        }
        if (c >= 0x7F) {
          // UTF-8: the lead byte stands for the whole character, continuation bytes add nothing.
          if ((uint8_t)(c - 0x80) < 0x40) continue;
          c = SCREEN_PLACEHOLDER;
          goto store;
        }
        if (c != '"') break;
        str[strLen] = 0;
        if (isKey) {
          state = S_COLON;
          emit(JV_KEY);
          if (p != end && *p == ':') {
            p++;
            state = S_VALUE;
          }  // the usual "key":, without a dispatch
        } else {
          state = S_AFTER;
          emit(JV_STR);
        }
        continue;
      case S_ESC:
        state = S_STRING;
        switch (c) {
          case '"':
          case '\\':
          case '/':
            goto store;
          case 'b':
          case 'f':
          case 'n':
          case 'r':
          case 't':
            c = SCREEN_PLACEHOLDER;
            goto store;  // control characters
          case 'u':
            state = S_UHEX;
            sub = 0;
            continue;
        }
        break;
      case S_UHEX: {
        uint8_t h = c - '0';
        if (h > 9) {
          h = (uint8_t)((c | 0x20) - 'a');
          if (h > 5) break;
          h += 10;
        }
        ucode = ucode << 4 | h;  // four shifts push out the previous escape's bits
        if (++sub < 4) continue;
        state = S_STRING;
        // A surrogate pair is one character: its placeholder is stored with the
        // high half, and a low half right after it adds nothing.
        bool low = (ucode & 0xFC00) == 0xDC00;
        if (low && hiEnd == strLen + 1) {
          hiEnd = 0;
          continue;
        }
        hiEnd =
            (ucode & 0xFC00) == 0xD800 ? strLen + 2 : 0;  // strLen + 1 once the placeholder is in
        c = ucode < 0x20 || ucode >= 0x7F ? SCREEN_PLACEHOLDER : ucode;
        goto store;
      }
      case S_NUMBER: {
        if ((uint8_t)(c - '0') < 10 || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
          numberChar(c);
          continue;
        }
        if (sub == N_SIGN || sub == N_DOT || sub == N_E || sub == N_ESIGN) break;
        if (!wide) num.whole = acc;
        state = S_AFTER;
        emit(JV_NUM);
        if (c == ',' && depth) {
          state = inObj ? S_KEY : S_VALUE;
          continue;
        }     // the usual case
        p--;  // c ends the number and is punctuation itself: read it again
        continue;
      }
      case S_LITERAL: {
        char want = pgm_read_byte(LITERALS + sub);
        if (want) {
          if (c != (uint8_t)want) break;
          sub++;
          continue;
        }
        state = S_AFTER;
        boolean = sub < 5;
        emit(sub > 10 ? JV_NULL : JV_BOOL);
        p--;
        continue;
      }
      case S_VALUE:
      value:
        if (c == '"') {
          state = S_STRING;
          isKey = false;
          strLen = 0;
          strLong = false;
          hiEnd = 0;
          continue;
        }
        if (value(c)) continue;
        break;
      case S_ARR_FIRST:
        if (c != ']') goto value;
        after(c);
        continue;
      case S_OBJ_FIRST:
        if (c == '}') {
          after(c);
          continue;
        }
        /* fall through */
      case S_KEY:
        if (c != '"') break;
        state = S_STRING;
        isKey = true;
        strLen = 0;
        strLong = false;
        hiEnd = 0;
        continue;
      case S_COLON:
        if (c != ':') break;
        state = S_VALUE;
        continue;
      case S_AFTER:
        if (c == ',' && depth) {
          state = inObj ? S_KEY : S_VALUE;
          continue;
        }
        if (after(c)) continue;
        break;
    }
    // Whitespace is rare in replies: it is only looked for when nothing else fits.
    if (state <= S_DONE && isSpace(c)) continue;
    fail(JE_SYNTAX);
    break;

  store:
    if (strLen < JSON_STR_MAX)
      str[strLen++] = c;
    else
      strLong = true;
  }
  return !error;
}

bool JsonStream::end() {
  if (!error && (state == S_NUMBER || state == S_LITERAL) && depth == 0) feed(' ');
  if (!error && state != S_DONE) fail(JE_TRUNCATED);
  return !error;
}
