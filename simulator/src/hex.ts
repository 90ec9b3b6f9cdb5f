// Firmware images for the simulated Uno: Intel HEX (what avr-objcopy and
// avrdude use) or ELF (what avr-gcc links). Either way the result is a flash
// image plus, when an ELF is available, the symbols the stack guard needs.
import { existsSync, readFileSync } from 'node:fs';
import { parseElf, type ElfImage } from './elf.ts';

/** ATmega328P flash: 32 KB. */
export const FLASH_BYTES = 0x8000;

const REC_DATA = 0x00;
const REC_EOF = 0x01;
const REC_EXT_SEGMENT = 0x02;
const REC_START_SEGMENT = 0x03;
const REC_EXT_LINEAR = 0x04;
const REC_START_LINEAR = 0x05;

export class HexFormatError extends Error {
  constructor(
    readonly line: number,
    message: string,
    source = '',
  ) {
    super(`${source ? `${source}:` : 'line '}${line}: ${message}`);
    this.name = 'HexFormatError';
  }
}

export interface HexImage {
  flash: Uint8Array;
  size: number;
}

/** Parses Intel HEX text into a flash image, validating every record's checksum. */
export function parseIntelHex(text: string, source = '', flashBytes = FLASH_BYTES): HexImage {
  const flash = new Uint8Array(flashBytes).fill(0xff);
  let base = 0,
    size = 0,
    sawEof = false;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1,
      line = lines[i].trim();
    if (line === '') continue;
    const fail = (msg: string): never => {
      throw new HexFormatError(n, msg, source);
    };
    if (sawEof) fail('data after the end-of-file record');
    if (line[0] !== ':') fail(`record does not start with ':'`);
    if (!/^:([0-9A-Fa-f]{2})+$/.test(line)) fail('record is not an even number of hex digits');
    const bytes = Buffer.from(line.slice(1), 'hex');
    if (bytes.length < 5) fail('record too short');
    const count = bytes[0];
    if (bytes.length !== count + 5) fail(`byte count ${count} does not match the record length ${bytes.length - 5}`);
    let sum = 0;
    for (const b of bytes) sum = (sum + b) & 0xff;
    if (sum !== 0) {
      const want = (0x100 - ((sum - bytes[bytes.length - 1]) & 0xff)) & 0xff;
      fail(`bad checksum 0x${hex2(bytes[bytes.length - 1])}, expected 0x${hex2(want)}`);
    }
    const addr = (bytes[1] << 8) | bytes[2];
    const type = bytes[3];
    const data = bytes.subarray(4, 4 + count);
    switch (type) {
      case REC_DATA: {
        const start = base + addr;
        if (start + count > flashBytes) fail(`data at 0x${start.toString(16)} is outside the ${flashBytes}-byte flash`);
        flash.set(data, start);
        size = Math.max(size, start + count);
        break;
      }
      case REC_EOF:
        sawEof = true;
        break;
      case REC_EXT_SEGMENT:
        base = ((data[0] << 8) | data[1]) << 4;
        break;
      case REC_EXT_LINEAR:
        base = ((data[0] << 8) | data[1]) << 16;
        break;
      case REC_START_SEGMENT:
      case REC_START_LINEAR:
        break; // entry point: the AVR always starts at 0
      default:
        fail(`unknown record type 0x${hex2(type)}`);
    }
  }
  if (!sawEof) throw new HexFormatError(lines.length, 'missing end-of-file record', source);
  return { flash, size };
}

function hex2(b: number) {
  return b.toString(16).padStart(2, '0');
}

/** Where static RAM (.data + .bss) ends in the linked image (data address, 0x800000 offset removed). */
export interface RamSymbols {
  heapStart: number;
}

export interface Firmware {
  path: string;
  flash: Uint8Array;
  size: number;
  /** From the ELF (or the .elf next to a .hex); null when no ELF was found. */
  ram: RamSymbols | null;
}

function ramSymbols(elf: ElfImage): RamSymbols | null {
  const s = elf.symbols;
  const heap = s.get('__heap_start') ?? s.get('_end') ?? s.get('__bss_end');
  if (heap === undefined) return null;
  return { heapStart: heap & 0xffff };
}

/** Loads a .hex (plus a sibling .elf for symbols, if present) or an .elf file. */
export function loadFirmware(path: string): Firmware {
  const raw = readFileSync(path);
  const isElf = raw.length >= 4 && raw.readUInt32BE(0) === 0x7f454c46;
  if (isElf) {
    const elf = parseElf(raw, path);
    const flash = new Uint8Array(FLASH_BYTES).fill(0xff);
    let size = 0;
    for (const seg of elf.flashSegments) {
      if (seg.address + seg.data.length > FLASH_BYTES)
        throw new Error(`${path}: segment at 0x${seg.address.toString(16)} does not fit in flash`);
      flash.set(seg.data, seg.address);
      size = Math.max(size, seg.address + seg.data.length);
    }
    return { path, flash, size, ram: ramSymbols(elf) };
  }
  const { flash, size } = parseIntelHex(raw.toString('latin1'), path);
  const elfPath = path.replace(/\.hex$/i, '.elf');
  const ram = elfPath !== path && existsSync(elfPath) ? ramSymbols(parseElf(readFileSync(elfPath), elfPath)) : null;
  return { path, flash, size, ram };
}
