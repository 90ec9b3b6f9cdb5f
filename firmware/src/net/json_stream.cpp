#include "json_stream.h"
#include "flash_str.h"

enum : uint8_t {
  S_VALUE, S_ARR_FIRST, S_OBJ_FIRST, S_KEY, S_COLON, S_AFTER,
  S_STRING, S_ESC, S_UHEX, S_NUMBER, S_LITERAL, S_DONE,
};
// Number grammar phases (RFC 8259): sign, int digits, dot, frac, e, e-sign, exp.
enum : uint8_t { N_SIGN, N_ZERO, N_INT, N_DOT, N_FRAC, N_E, N_ESIGN, N_EXP };

static const char kLiterals[] PROGMEM = "true\0false\0null";

static bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static bool isDigit(char c) { return c >= '0' && c <= '9'; }

void JsonStream::begin(JsonSink *s) {
  sink = s;
  error = JE_NONE;
  state = S_VALUE;
  depth = 0;
  objBits = 0;
}

bool JsonStream::push(bool obj) {
  if (depth >= JSON_MAX_DEPTH) { fail(JE_DEPTH); return false; }
  depth++;
  if (obj) objBits |= 1 << (depth - 1); else objBits &= ~(1 << (depth - 1));
  emit(obj ? JV_OBJ : JV_ARR);
  state = obj ? S_OBJ_FIRST : S_ARR_FIRST;
  return true;
}

bool JsonStream::value(char c) {
  if (c == '{') return push(true);
  if (c == '[') return push(false);
  if (c == '"') { state = S_STRING; isKey = false; strLen = 0; strLong = false; return true; }
  if (c == '-' || isDigit(c)) {
    num = JsonNumber();
    num.isInt = true;
    num.neg = c == '-';
    state = S_NUMBER;
    sub = N_SIGN;
    tokLen = 0;
    return c == '-' ? (tokLen = 1, true) : numberChar(c);
  }
  for (uint8_t i = 0, n = 0; n < 3; n++) {  // the literal's first letter picks it
    if (pgm_read_byte(kLiterals + i) == c) { state = S_LITERAL; sub = i + 1; return true; }
    while (pgm_read_byte(kLiterals + i)) i++;
    i++;
  }
  fail(JE_SYNTAX);
  return false;
}

bool JsonStream::numberChar(char c) {
  if (++tokLen > JSON_NUM_MAX) { fail(JE_NUMBER); return false; }
  uint8_t d = c - '0';
  bool digit = isDigit(c);
  switch (sub) {
    case N_SIGN:
    case N_INT:
      if (!digit) break;
      if ((uint32_t)(num.whole >> 32) == 0 && (uint32_t)num.whole < 429496729UL) {
        num.whole = (uint32_t)num.whole * 10UL + d;  // 32-bit maths while it fits: much cheaper on the AVR
      } else {
        // 18446744073709551615 = 2^64-1: past it the value no longer fits.
        if (num.whole > 1844674407370955161ULL || (num.whole == 1844674407370955161ULL && d > 5)) num.overflow = true;
        num.whole = num.whole * 10 + d;
      }
      sub = (sub == N_SIGN && d == 0) ? N_ZERO : N_INT;
      return true;
    case N_DOT:
    case N_FRAC:
      if (!digit) break;
      if (num.fracDigits < 9) num.frac = num.frac * 10 + d;
      if (num.fracDigits < 255) num.fracDigits++;
      sub = N_FRAC;
      return true;
    case N_E:
      expNeg = c == '-';
      if (c == '+' || c == '-') { sub = N_ESIGN; return true; }
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
      return true;
  }
  if (c == '.' && (sub == N_ZERO || sub == N_INT)) { sub = N_DOT; num.isInt = false; return true; }
  if ((c == 'e' || c == 'E') && (sub == N_ZERO || sub == N_INT || sub == N_FRAC)) {
    sub = N_E; num.isInt = false; return true;
  }
  fail(JE_SYNTAX);
  return false;
}

bool JsonStream::after(char c) {
  if (depth == 0) { state = S_DONE; return isSpace(c) ? true : (fail(JE_SYNTAX), false); }
  bool obj = inObject(depth);
  if (c == ',') { state = obj ? S_KEY : S_VALUE; return true; }
  if (c == (obj ? '}' : ']')) {
    emit(obj ? JV_OBJ_END : JV_ARR_END);
    depth--;
    state = depth ? S_AFTER : S_DONE;
    return true;
  }
  fail(JE_SYNTAX);
  return false;
}

bool JsonStream::feed(char c) {
  if (error) return false;
  switch (state) {
    case S_STRING:
      if (c == '"') {
        str[strLen] = 0;
        if (isKey) { state = S_COLON; emit(JV_KEY); }
        else { state = S_AFTER; emit(JV_STR); }
        return !error;
      }
      if ((uint8_t)c < 0x20) break;
      if (c == '\\') { state = S_ESC; return true; }
      goto store;
    case S_ESC:
      state = S_STRING;
      switch (c) {
        case '"': case '\\': case '/': goto store;
        case 'b': c = '\b'; goto store;
        case 'f': c = '\f'; goto store;
        case 'n': c = '\n'; goto store;
        case 'r': c = '\r'; goto store;
        case 't': c = '\t'; goto store;
        case 'u': state = S_UHEX; sub = 0; return true;
      }
      break;
    case S_UHEX:
      if (!(isDigit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'))) break;
      if (++sub < 4) return true;
      state = S_STRING;
      c = '?';  // no name we match contains non-ASCII; keep the length honest
      goto store;
    case S_NUMBER:
      if (isDigit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') return numberChar(c);
      if (sub == N_SIGN || sub == N_DOT || sub == N_E || sub == N_ESIGN) break;
      state = S_AFTER;
      emit(JV_NUM);
      if (error) return false;
      return isSpace(c) ? true : after(c);
    case S_LITERAL: {
      char want = pgm_read_byte(kLiterals + sub);
      if (want) {
        if (c != want) break;
        sub++;
        return true;
      }
      state = S_AFTER;
      boolean = sub < 5;
      emit(sub > 10 ? JV_NULL : JV_BOOL);
      if (error) return false;
      return isSpace(c) ? true : after(c);
    }
    default:
      if (isSpace(c)) return true;
      switch (state) {
        case S_VALUE: return value(c);
        case S_ARR_FIRST:
          if (c == ']') { state = S_VALUE; return after(c); }
          return value(c);
        case S_OBJ_FIRST:
          if (c == '}') { state = S_KEY; return after(c); }
          /* fall through */
        case S_KEY:
          if (c != '"') break;
          state = S_STRING; isKey = true; strLen = 0; strLong = false;
          return true;
        case S_COLON:
          if (c != ':') break;
          state = S_VALUE;
          return true;
        case S_AFTER: return after(c);
      }
      break;
  }
  fail(JE_SYNTAX);
  return false;

store:
  if (strLen < JSON_STR_MAX) str[strLen++] = c;
  else strLong = true;
  return true;
}

bool JsonStream::end() {
  if (!error && (state == S_NUMBER || state == S_LITERAL) && depth == 0) feed(' ');
  if (!error && state != S_DONE) fail(JE_TRUNCATED);
  return !error;
}
