#include "pmapi_parse.h"
#include <string.h>
#include "flash_str.h"

// Role of a container, from its parent's role and key.
enum Role : uint8_t { R_SKIP, R_ROOT, R_TS, R_VALUES, R_METRIC, R_INSTS, R_INST, R_INDOM, R_INAME };
// Keys the parser looks at; K_OTHER for any other.
enum Key : uint8_t {
  K_OTHER,
  K_CONTEXT,
  K_TIMESTAMP,
  K_VALUES,
  K_INSTANCES,
  K_MESSAGE,
  K_S,
  K_US,
  K_NAME,
  K_INSTANCE,
  K_VALUE,
};

static const char CTX_ERR_TEXT[] PROGMEM = "context identifier";

// The key's length (and first letter) leaves one candidate: a single compare
// instead of a walk through every known key.
__attribute__((noinline)) static Key keyId(const char *s, uint8_t len) {
  Key id;
  const char *k;
  switch (len) {
    case 1:
      id = K_S;
      k = PSTR("s");
      break;
    case 2:
      id = K_US;
      k = PSTR("us");
      break;
    case 4:
      id = K_NAME;
      k = PSTR("name");
      break;
    case 5:
      id = K_VALUE;
      k = PSTR("value");
      break;
    case 6:
      id = K_VALUES;
      k = PSTR("values");
      break;
    case 7:
      if (s[0] == 'c') {
        id = K_CONTEXT;
        k = PSTR("context");
      } else {
        id = K_MESSAGE;
        k = PSTR("message");
      }
      break;
    case 8:
      id = K_INSTANCE;
      k = PSTR("instance");
      break;
    case 9:
      if (s[0] == 't') {
        id = K_TIMESTAMP;
        k = PSTR("timestamp");
      } else {
        id = K_INSTANCES;
        k = PSTR("instances");
      }
      break;
    default:
      return K_OTHER;
  }
  return strcmp_P(s, k) ? K_OTHER : id;
}

static bool containsP(const char *s, const char *needle) {
  for (; *s; s++) {
    uint8_t i = 0;
    while (pgm_read_byte(needle + i) && pgm_read_byte(needle + i) == (uint8_t)s[i]) i++;
    if (!pgm_read_byte(needle + i)) return true;
  }
  return false;
}

// The integer part if it fits 32 bits; sign, fraction and overflow unchecked.
static bool wholeToU32(const JsonNumber &n, uint32_t *v) {
  if (n.whole > 0xFFFFFFFFUL) return false;
  *v = (uint32_t)n.whole;
  return true;
}

static bool toU32(const JsonNumber &n, uint32_t *v) {
  return n.isInt && !n.neg && !n.overflow && wholeToU32(n, v);
}

static bool toInst(const JsonNumber &n, int32_t *v) {
  if (!n.isInt || n.overflow || n.whole > 0x7FFFFFFFUL) return false;
  *v = n.neg ? -(int32_t)n.whole : (int32_t)n.whole;
  return true;
}

bool pmMsToUs(const JsonNumber &n, uint32_t *us) {
  if (n.neg && (n.whole || n.frac)) return false;
  uint8_t fd = n.fracDigits < 9 ? n.fracDigits : 9;
  uint32_t f = n.frac;
  for (; fd > 3; fd--) f /= 10;
  for (; fd < 3; fd++) f *= 10;
  uint32_t v = n.whole > 4294967UL ? 0xFFFFFFFFUL : (uint32_t)n.whole * 1000 + f;
  for (int16_t e = n.exp; e > 0; e--) v = v > 429496729UL ? 0xFFFFFFFFUL : v * 10;
  for (int16_t e = n.exp; e < 0 && v; e++) v /= 10;
  *us = v;
  return true;
}

void PmParser::begin(const PmQuery *query) {
  q = query;
  memset(&r, 0, sizeof r);
  js.begin(this);
}

// Called for every token: the common cases return before any heavy work, and
// the rest lives in separate functions so this one stays cheap to enter.
void PmParser::json(JsonStream &p, uint8_t ev, uint8_t d) {
  switch (ev) {
    case JV_KEY:
      // Skipped containers never look at their keys.
      key = role[d] == R_SKIP || p.strLong ? K_OTHER : keyId(p.str, p.strLen);
      return;
    case JV_OBJ:
    case JV_ARR:
      open(p, ev == JV_OBJ, d);
      return;
    case JV_OBJ_END:
      close(p, role[d]);
      return;
    case JV_ARR_END:
      return;
  }
  if (d == 0) {
    p.fail(JE_TYPE);
    return;
  }  // a bare scalar is no reply of ours
  uint8_t rl = role[d];
  if (rl == R_SKIP) return;
  if (rl == R_INST)
    instScalar(p, ev);
  else if (rl == R_VALUES || rl == R_INSTS || rl == R_INDOM)
    p.fail(JE_TYPE);  // these arrays hold objects only
  else
    scalar(p, ev, rl);
}

// The hot case: "instance" and "value" of every instance of every metric.
void PmParser::instScalar(JsonStream &p, uint8_t ev) {
  bool ok = true;
  if (key == K_INSTANCE)
    ok = ev == JV_NULL || (ev == JV_NUM && toInst(p.num, &pendInst));
  else if (key == K_VALUE && metric >= 0) {  // values of metrics not asked for are not looked at
    ok = ev == JV_NUM;
    pend = p.num;
    pendHave = true;
  }
  if (!ok) p.fail(JE_TYPE);
}

void PmParser::open(JsonStream &p, bool obj, uint8_t d) {
  uint8_t parent = R_SKIP, k = K_OTHER, rl = R_SKIP;
  if (d > 1) parent = role[d - 1];
  if (parent == R_ROOT || parent == R_METRIC) k = key;
  if (d == 1)
    rl = obj ? R_ROOT : R_SKIP;
  else if (parent == R_ROOT && k == K_TIMESTAMP)
    rl = obj ? R_TS : R_SKIP;
  else if (parent == R_ROOT && k == K_VALUES)
    rl = obj ? R_SKIP : R_VALUES;
  else if (parent == R_ROOT && k == K_INSTANCES)
    rl = obj ? R_SKIP : R_INDOM;
  else if (parent == R_METRIC && k == K_INSTANCES)
    rl = obj ? R_SKIP : R_INSTS;
  else if (parent == R_VALUES)
    rl = obj ? R_METRIC : R_SKIP;
  else if (parent == R_INSTS)
    rl = obj ? R_INST : R_SKIP;
  else if (parent == R_INDOM)
    rl = obj ? R_INAME : R_SKIP;
  // A container where the reply's shape demands another kind is a type error.
  if (rl == R_SKIP &&
      (d == 1 || (parent == R_ROOT && (k == K_TIMESTAMP || k == K_VALUES || k == K_INSTANCES)) ||
       (parent == R_METRIC && k == K_INSTANCES) || parent == R_VALUES || parent == R_INSTS ||
       parent == R_INDOM)) {
    p.fail(JE_TYPE);
    return;
  }
  role[d] = rl;
  if (rl == R_METRIC) metric = -1;
  if (rl == R_INST || rl == R_INAME) {
    pendInst = PM_INST_NULL;
    pendHave = false;
    nameMatch = false;
  }
  if (rl == R_TS) tsS = tsUs = false;
}

// The wanted instance of an asked metric ended: keep its value.
void PmParser::take(JsonStream &p) {
  uint8_t m = metric;
  if (m <= PM_OUT) {
    if (!pend.isInt || pend.neg || pend.overflow) {
      p.fail(JE_TYPE);
      return;
    }
    r.counter[m] = pend.whole;
  } else if (m == PM_LAT) {
    if (!pmMsToUs(pend, &r.latUs)) r.latFail = true;
  } else if (!pend.isInt || pend.whole) {
    r.latFail = true;  // shping.status: 0 is success
  }
  r.have |= PMH_IN << m;
}

void PmParser::close(JsonStream &p, uint8_t rl) {
  if (rl == R_INST) {
    if (pendHave && metric >= 0 && pendInst == q->inst[metric]) take(p);
  } else if (rl == R_INAME && nameMatch) {
    r.instId = pendInst;
    r.have |= PMH_INDOM;
  } else if (rl == R_TS && tsS && tsUs) {
    r.have |= PMH_TS;
  }
}

// Once per reply: kept out of scalar(), whose hot cases need few registers.
bool PmParser::rootScalar(JsonStream &p, uint8_t ev) {
  const JsonNumber &n = p.num;
  bool isNum = ev == JV_NUM;
  bool ok = true;
  if (key == K_CONTEXT) {
    ok = isNum && toU32(n, &r.context);
    r.have |= PMH_CONTEXT;
  } else if (key == K_TIMESTAMP) {
    // pmproxy prints the nanoseconds without zero padding: the digits are
    // the count of ns ("…18.1013862" is 1,013,862 ns).
    ok = isNum && !n.exp && n.fracDigits <= 9 && wholeToU32(n, &r.tsSec) && !n.neg;
    r.tsUs = n.frac / 1000;
    r.have |= PMH_TS;
  } else if (key == K_MESSAGE && ev == JV_STR && containsP(p.str, CTX_ERR_TEXT)) {
    r.have |= PMH_CTXERR;
  }
  return ok;
}

void PmParser::scalar(JsonStream &p, uint8_t ev, uint8_t rl) {
  const JsonNumber &n = p.num;
  bool isNum = ev == JV_NUM;
  bool ok = true;
  switch (rl) {
    case R_ROOT:
      ok = rootScalar(p, ev);
      break;
    case R_TS:
      if (key == K_S) {
        ok = isNum && toU32(n, &r.tsSec);
        tsS = true;
      }
      if (key == K_US) {
        ok = isNum && toU32(n, &r.tsUs) && r.tsUs < 1000000;
        tsUs = true;
      }
      break;
    case R_METRIC:
      if (key == K_NAME && ev == JV_STR && !p.strLong) {
        for (uint8_t m = 0; m < PM_METRICS; m++) {
          if (q->names[m] && !strcmp(q->names[m], p.str)) metric = m;
        }
      }
      break;
    case R_INAME:
      if (key == K_INSTANCE)
        ok = ev == JV_NULL || (isNum && toInst(n, &pendInst));
      else if (key == K_NAME && ev == JV_STR) {
        nameMatch = q->instName && !p.strLong && !strcmp(q->instName, p.str);
      }
      break;
  }
  if (!ok) p.fail(JE_TYPE);
}
