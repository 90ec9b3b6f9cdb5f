// LCDproc compatibility (mode lcdproc): the serial stream is LCDd's hd44780
// "lcdserializer" wire format. 0xFE prefixes one raw HD44780 instruction, every
// other byte is a character code written at the address counter. LCDd never
// sends 0xFE as data (it substitutes '?') and never the instruction 0x00, so
// 0xFE 0x00 starts one protocol v1 line (e.g. "M host\n"), answered as usual:
// the way out of this mode.
#pragma once
#include <stdint.h>

void lcdprocBegin();
void lcdprocByte(uint8_t b);
