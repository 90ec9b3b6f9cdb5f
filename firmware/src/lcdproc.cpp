#include "lcdproc.h"
#include "lcd.h"
#include "line_reader.h"
#include "protocol.h"

constexpr uint8_t INSTRUCTION_ESCAPE = 0xFE;
constexpr uint8_t LINE_ESCAPE = 0x00;
constexpr uint8_t FUNCTION_SET_MASK = 0xE0;
constexpr uint8_t FUNCTION_SET = 0x20;

enum State : uint8_t { DATA, INSTRUCTION, LINE };
static State state;

void lcdprocBegin() { state = DATA; }

static void instruction(uint8_t b) {
  // LCDd initialises an 8-bit serial interface with 0x38; passing that on would
  // switch our 4-bit bus to 8 bits. Lines and font are fixed after init anyway.
  if ((b & FUNCTION_SET_MASK) == FUNCTION_SET) return;
  lcdCommand(b);  // waits out the previous instruction, clear/home included
}

void lcdprocByte(uint8_t b) {
  switch (state) {
    case DATA:
      if (b == INSTRUCTION_ESCAPE)
        state = INSTRUCTION;
      else
        lcdData(b);
      break;
    case INSTRUCTION:
      state = b == LINE_ESCAPE ? LINE : DATA;
      if (b != LINE_ESCAPE) instruction(b);
      break;
    case LINE: {
      LineStatus st = lineFeed(b);
      if (st != LINE_PENDING) {
        state = DATA;
        protocolLine(st);
      }
      break;
    }
  }
}
