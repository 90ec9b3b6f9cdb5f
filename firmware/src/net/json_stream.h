// Streaming JSON tokenizer: blocks of any size, constant RAM, no recursion.
// It checks the grammar and hands each token to a JsonSink; strings longer than
// JSON_STR_MAX keep their first JSON_STR_MAX bytes (strLong is set), numbers
// are decoded into JsonNumber as they stream. Errors are sticky reason codes.
// Strings are decoded (\uXXXX too); every character the LCD's A00 ROM cannot
// show (a control character, a code point >= 0x7F, a surrogate pair, a UTF-8
// sequence) is one SCREEN_PLACEHOLDER, so names keep their length in cells.
#pragma once
#include <stdint.h>

constexpr uint8_t JSON_MAX_DEPTH = 8;  // PMWEBAPI replies nest 5 deep; labels add 1
constexpr uint8_t JSON_STR_MAX = 40;   // metric names are at most 39 characters
constexpr uint8_t JSON_NUM_MAX = 40;   // longest number token; %.16g needs about 24

enum JsonErr : uint8_t {
  JE_NONE = 0,
  JE_SYNTAX,     // not JSON
  JE_DEPTH,      // nested deeper than JSON_MAX_DEPTH
  JE_NUMBER,     // number token too long
  JE_TRUNCATED,  // input ended inside the document
  JE_TYPE,       // valid JSON but a field we need has the wrong type or range
  JE_MISSING,    // a required field is absent
};

enum JsonEvent : uint8_t {
  JV_OBJ,
  JV_OBJ_END,
  JV_ARR,
  JV_ARR_END,
  JV_KEY,
  JV_STR,
  JV_NUM,
  JV_NULL,
  JV_BOOL
};

struct JsonNumber {
  uint64_t whole;             // integer part, exact unless overflow
  uint32_t frac;              // the first 9 fraction digits read as an integer
  uint8_t fracDigits;         // fraction digits seen (saturates at 255)
  int16_t exp;                // exponent after e/E
  bool neg, overflow, isInt;  // isInt: no fraction and no exponent
};

class JsonStream;

class JsonSink {
 public:
  // depth: nesting level of the container the token is in (1 = top object);
  // for JV_OBJ/JV_ARR the level of the new container.
  virtual void json(JsonStream &p, uint8_t ev, uint8_t depth) = 0;
};

class JsonStream {
 public:
  void begin(JsonSink *sink);
  // Returns false once an error is set; later bytes are ignored. A document
  // may be split anywhere: feeding it whole or byte by byte gives the same.
  bool feed(const uint8_t *p, uint16_t n);
  bool feed(char c) {
    uint8_t b = c;
    return feed(&b, 1);
  }
  // The input is complete: true if it held exactly one whole document.
  bool end();
  void fail(uint8_t e) {
    if (!error) error = e;
  }
  bool inObject(uint8_t depth) const { return (objBits >> (depth - 1)) & 1; }

  uint8_t error;
  char str[JSON_STR_MAX + 1];  // NUL-terminated token text for JV_KEY / JV_STR
  uint8_t strLen;
  bool strLong;
  bool boolean;
  JsonNumber num;
  uint8_t depth;

 private:
  bool value(uint8_t c);
  bool after(uint8_t c);
  void emit(uint8_t ev) { sink->json(*this, ev, depth); }
  void push(bool obj);
  void numberChar(uint8_t c);
  void wideDigit(uint8_t d);
  const uint8_t *stringRun(const uint8_t *p, const uint8_t *end);
  const uint8_t *digitRun(const uint8_t *p, const uint8_t *end);
  JsonSink *sink;
  uint8_t state, sub, tokLen;
  uint8_t objBits;  // bit d-1 set: level d is an object
  bool inObj;       // the current level is an object (objBits cached)
  bool isKey, expNeg;
  bool wide;       // the integer part outgrew acc: it lives in num.whole
  uint16_t ucode;  // the \uXXXX code point being read
  uint8_t hiEnd;   // strLen + 1 right after a high surrogate's placeholder, else 0
  uint32_t acc;    // integer part while it fits: 32-bit maths is much cheaper on the AVR
};
