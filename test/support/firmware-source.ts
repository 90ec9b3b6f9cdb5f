// Numbers the tests need from the firmware, read from its sources at test time so
// no test carries a copy that can drift: the version (firmware/src/version.h) and
// the EEPROM layout (firmware/src/config.h). A small parser of #define and
// constexpr lines and of plain structs; it throws when it finds nothing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findProjectRoot } from '../../host/src/project-root.ts';

// Not a fixed '..' chain: the fake board uses this from an esbuild bundle in build/bench/ too.
const SRC = join(findProjectRoot(import.meta.dirname), 'firmware/src');

/** C source without comments (string literals with // or /* in them are not expected here). */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, '');
}

/**
 * `#define NAME value` (object-like only) and `constexpr TYPE NAME = value;`, by name,
 * values as written (string literals keep their quotes). Throws if the text has none.
 */
export function parseDefines(text: string, what = 'the text'): Map<string, string> {
  const out = new Map<string, string>();
  const code = stripComments(text);
  for (const m of code.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)(?!\()[ \t]+(.+?)[ \t]*$/gm))
    out.set(m[1], m[2]);
  for (const m of code.matchAll(/\bconstexpr\s+(?:[\w:<>]+\s+)+?([A-Za-z_]\w*)\s*(?:=\s*|\{\s*)([^;{}]+?)\s*\}?\s*;/g))
    out.set(m[1], m[2]);
  if (out.size === 0) throw new Error(`no #define or constexpr found in ${what}`);
  return out;
}

/** The defines of a header in firmware/src. */
export function firmwareDefines(header: string): Map<string, string> {
  return parseDefines(readFileSync(join(SRC, header), 'utf8'), `firmware/src/${header}`);
}

function need(defs: Map<string, string>, name: string, where: string): string {
  const v = defs.get(name);
  if (v === undefined) throw new Error(`${name} not found in ${where}`);
  return v;
}

/** An integer constant expression over literals and the given defines (+ - * / << >> | and parentheses). */
export function evalInt(expr: string, defs: Map<string, string> = new Map(), depth = 0): number {
  if (depth > 8) throw new Error(`defines nest too deep in ${expr}`);
  const js = expr
    .replace(/\b[A-Za-z_]\w*\b/g, (id) => {
      const v = defs.get(id);
      if (v === undefined) throw new Error(`unknown name ${id} in ${expr}`);
      return `(${evalInt(v, defs, depth + 1)})`;
    })
    .replace(/\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\b/g, '$1');
  if (!/^[\s\d xXa-fA-F+\-*/()<>|]*$/.test(js) || js.trim() === '')
    throw new Error(`not an integer expression: ${expr}`);
  const v = Function(`"use strict"; return (${js});`)() as unknown;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`not an integer: ${expr}`);
  return v;
}

const C_SIZES: Record<string, number> = {
  char: 1,
  int8_t: 1,
  uint8_t: 1,
  bool: 1,
  int16_t: 2,
  uint16_t: 2,
  int32_t: 4,
  uint32_t: 4,
};

export interface StructField {
  name: string;
  offset: number;
  size: number;
}

/**
 * The fields of `struct name { ... };` with their offsets as avr-gcc lays them out
 * (no padding: every type is 1-byte aligned on the AVR). Fields may share a
 * declaration (`uint8_t a[4], b[4];`); array sizes may use defines.
 */
export function parseStruct(
  text: string,
  name: string,
  defs: Map<string, string> = new Map(),
): { fields: StructField[]; size: number } {
  const body = new RegExp(`\\bstruct\\s+${name}\\s*\\{([^}]*)\\}\\s*;`).exec(stripComments(text))?.[1];
  if (body === undefined) throw new Error(`struct ${name} not found`);
  const fields: StructField[] = [];
  let offset = 0;
  for (const decl of body
    .split(';')
    .map((d) => d.trim())
    .filter(Boolean)) {
    const m = /^(\w+)\s+(.+)$/s.exec(decl);
    const unit = m ? C_SIZES[m[1]] : undefined;
    if (!m || unit === undefined) throw new Error(`struct ${name}: cannot size "${decl}"`);
    for (const part of m[2].split(',').map((p) => p.trim())) {
      const d = /^(\w+)\s*(?:\[([^\]]+)\])?$/.exec(part);
      if (!d) throw new Error(`struct ${name}: cannot read "${part}"`);
      const size = unit * (d[2] === undefined ? 1 : evalInt(d[2], defs));
      fields.push({ name: d[1], offset, size });
      offset += size;
    }
  }
  if (fields.length === 0) throw new Error(`struct ${name} has no fields`);
  return { fields, size: offset };
}

export interface FirmwareVersion {
  /** PMLCD_FW_VERSION, e.g. "0.1.0". */
  fw: string;
  /** PMLCD_PROTOCOL_VERSION_STR, e.g. "1". */
  protocol: string;
}

let version: FirmwareVersion | null = null;
/** The version the firmware reports in its banner (firmware/src/version.h). */
export function firmwareVersion(): FirmwareVersion {
  if (!version) {
    const defs = firmwareDefines('version.h');
    const str = (n: string) => {
      const v = need(defs, n, 'firmware/src/version.h');
      const m = /^"([^"\\]*)"$/.exec(v);
      if (!m) throw new Error(`${n} in firmware/src/version.h is not a plain string literal: ${v}`);
      return m[1];
    };
    version = { fw: str('PMLCD_FW_VERSION'), protocol: str('PMLCD_PROTOCOL_VERSION_STR') };
  }
  return version;
}

export interface EepromLayout {
  /** CFG_EEPROM_ADDR: where the header starts. */
  base: number;
  magic: number;
  layoutVersion: number;
  /** Absolute addresses of the header fields and of the Config block. */
  magicAt: number;
  layoutAt: number;
  lengthAt: number;
  crcAt: number;
  configAt: number;
  /** sizeof(Config): what the header's length field holds. */
  configSize: number;
  /** Absolute address of each Config field. */
  configFields: Map<string, { at: number; size: number }>;
}

let layout: EepromLayout | null = null;
/** The settings' EEPROM layout (firmware/src/config.h: ConfigHeader, then Config). */
export function eepromLayout(): EepromLayout {
  if (!layout) {
    const text = readFileSync(join(SRC, 'config.h'), 'utf8');
    const defs = parseDefines(text, 'firmware/src/config.h');
    const where = 'firmware/src/config.h';
    const base = evalInt(need(defs, 'CFG_EEPROM_ADDR', where), defs);
    const header = parseStruct(text, 'ConfigHeader', defs);
    const config = parseStruct(text, 'Config', defs);
    const at = (f: string) => {
      const field = header.fields.find((x) => x.name === f);
      if (!field) throw new Error(`ConfigHeader.${f} not found in ${where}`);
      return base + field.offset;
    };
    const configAt = base + header.size;
    layout = {
      base,
      magic: evalInt(need(defs, 'CFG_MAGIC', where), defs),
      layoutVersion: evalInt(need(defs, 'CFG_LAYOUT_VERSION', where), defs),
      magicAt: at('magic'),
      layoutAt: at('layout'),
      lengthAt: at('length'),
      crcAt: at('crc'),
      configAt,
      configSize: config.size,
      configFields: new Map(config.fields.map((f) => [f.name, { at: configAt + f.offset, size: f.size }])),
    };
  }
  return layout;
}
