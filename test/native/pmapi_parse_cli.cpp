// Native driver for the streaming JSON + PMWEBAPI extraction modules.
// usage: pmapi_parse_cli --strings | [--prefixes | --chunks K] IN OUT LAT STATUS INST_IN INST_LAT
// INST_NAME
// ("-" for a name not asked). stdin holds replies separated by NUL bytes; one
// JSON result line per reply. --prefixes: for each reply, one line of error
// codes, one per proper prefix length 0..n-1 (feeding stops at the prefix).
// --chunks K: feed each reply in blocks of 1..K bytes (pseudo-random sizes)
// instead of byte by byte. --strings: the JSON tokenizer alone; per reply one
// line {"err":N,"strs":[...]} with every key and string as decoded, bytes
// outside 0x20-0x7E written \u00XX, and a "+" after one that was cut short.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vector>
#include "net/pmapi_parse.h"

static const char *arg(const char *s) { return strcmp(s, "-") ? s : NULL; }

struct StringSink : JsonSink {
  bool first;
  void json(JsonStream &p, uint8_t ev, uint8_t) override {
    if (ev != JV_KEY && ev != JV_STR) return;
    printf("%s\"", first ? "" : ",");
    first = false;
    for (uint8_t i = 0; i < p.strLen; i++) {
      unsigned char c = (unsigned char)p.str[i];
      if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
        printf("\\u%04x", c);
      else
        putchar(c);
    }
    printf("%s\"", p.strLong ? "+" : "");
  }
};

static void strings(const std::vector<char> &body) {
  static JsonStream js;
  static StringSink sink;
  sink.first = true;
  printf("{\"strs\":[");
  js.begin(&sink);
  for (char ch : body) js.feed(ch);
  js.end();
  printf("],\"err\":%u}\n", js.error);
}

int main(int argc, char **argv) {
  bool prefixes = argc > 1 && !strcmp(argv[1], "--prefixes");
  if (prefixes) {
    argv++;
    argc--;
  }
  bool strs = argc > 1 && !strcmp(argv[1], "--strings");
  unsigned chunks = 0;
  if (argc > 2 && !strcmp(argv[1], "--chunks")) {
    chunks = atoi(argv[2]);
    argv += 2;
    argc -= 2;
  }
  unsigned seed = 1;
  if (argc != 8 && !strs) {
    fprintf(stderr, "bad args\n");
    return 2;
  }
  PmQuery q = PmQuery();
  if (!strs) {
    for (int i = 0; i < 4; i++) q.names[i] = arg(argv[1 + i]);
    q.inst[PM_IN] = q.inst[PM_OUT] = atol(argv[5]);
    q.inst[PM_LAT] = q.inst[PM_STATUS] = atol(argv[6]);
    q.instName = arg(argv[7]);
  }
  std::vector<char> body;
  static PmParser p;  // static like on the AVR
  int c;
  do {
    c = getchar();
    if (c != 0 && c != EOF) {
      body.push_back((char)c);
      continue;
    }
    if (c == EOF && body.empty()) break;
    if (strs) {
      strings(body);
    } else if (prefixes) {
      for (size_t n = 0; n < body.size(); n++) {
        p.begin(&q);
        for (size_t i = 0; i < n; i++) p.feed(body[i]);
        p.end();
        putchar('0' + p.error());
      }
      putchar('\n');
    } else {
      p.begin(&q);
      if (chunks) {
        for (size_t i = 0; i < body.size();) {
          seed = seed * 1103515245u + 12345u;
          size_t n = 1 + (seed >> 16) % chunks;
          if (n > body.size() - i) n = body.size() - i;
          p.feed((const uint8_t *)&body[i], (uint16_t)n);
          i += n;
        }
      } else {
        for (char ch : body) p.feed(ch);
      }
      p.end();
      const PmReply &r = p.r;
      printf(
          "{\"err\":%u,\"have\":%u,\"context\":%lu,\"tsSec\":%lu,\"tsUs\":%lu,\"in\":\"%llu\","
          "\"out\":\"%llu\","
          "\"latUs\":%lu,\"latFail\":%s,\"instId\":%ld}\n",
          p.error(), r.have, (unsigned long)r.context, (unsigned long)r.tsSec,
          (unsigned long)r.tsUs, (unsigned long long)r.counter[0], (unsigned long long)r.counter[1],
          (unsigned long)r.latUs, r.latFail ? "true" : "false", (long)r.instId);
    }
    body.clear();
  } while (c != EOF);
  return 0;
}
