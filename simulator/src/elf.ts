// Minimal ELF32 little-endian reader for avr-gcc output: the loadable flash
// segments and the symbol table. avr-gcc places RAM at 0x800000 and EEPROM at
// 0x810000 in the ELF address space; flash is below 0x800000.
export interface ElfSegment {
  address: number;
  data: Uint8Array;
}
export interface ElfImage {
  flashSegments: ElfSegment[];
  symbols: Map<string, number>;
}

const PT_LOAD = 1;
const SHT_SYMTAB = 2;
const EM_AVR = 83;
const RAM_BASE = 0x800000;

export function parseElf(buf: Buffer, source = 'ELF'): ElfImage {
  const fail = (m: string): never => {
    throw new Error(`${source}: ${m}`);
  };
  if (buf.length < 52 || buf.readUInt32BE(0) !== 0x7f454c46) fail('not an ELF file');
  if (buf[4] !== 1 || buf[5] !== 1) fail('not a 32-bit little-endian ELF');
  if (buf.readUInt16LE(18) !== EM_AVR) fail(`machine ${buf.readUInt16LE(18)} is not AVR`);
  const phoff = buf.readUInt32LE(28),
    shoff = buf.readUInt32LE(32);
  const phentsize = buf.readUInt16LE(42),
    phnum = buf.readUInt16LE(44);
  const shentsize = buf.readUInt16LE(46),
    shnum = buf.readUInt16LE(48);
  const within = (off: number, len: number) => {
    if (off + len > buf.length) fail('truncated file');
  };

  const flashSegments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    within(p, 32);
    if (buf.readUInt32LE(p) !== PT_LOAD) continue;
    const offset = buf.readUInt32LE(p + 4),
      paddr = buf.readUInt32LE(p + 12),
      filesz = buf.readUInt32LE(p + 16);
    // .data's load address (paddr) is in flash, right after .text.
    if (filesz === 0 || paddr >= RAM_BASE) continue;
    within(offset, filesz);
    flashSegments.push({ address: paddr, data: buf.subarray(offset, offset + filesz) });
  }

  const symbols = new Map<string, number>();
  for (let i = 0; i < shnum; i++) {
    const s = shoff + i * shentsize;
    within(s, 40);
    if (buf.readUInt32LE(s + 4) !== SHT_SYMTAB) continue;
    const off = buf.readUInt32LE(s + 16),
      size = buf.readUInt32LE(s + 20),
      link = buf.readUInt32LE(s + 24);
    const str = shoff + link * shentsize;
    within(str, 40);
    const strOff = buf.readUInt32LE(str + 16);
    within(off, size);
    for (let e = off; e + 16 <= off + size; e += 16) {
      const nameOff = buf.readUInt32LE(e);
      if (nameOff === 0) continue;
      const start = strOff + nameOff;
      const end = buf.indexOf(0, start);
      if (end < 0) fail('unterminated symbol name');
      symbols.set(buf.toString('latin1', start, end), buf.readUInt32LE(e + 4));
    }
  }
  return { flashSegments, symbols };
}
