// The LCD module as pmlcd-sim's flags name it: --lcd GEOMETRY, --lcd-bus
// parallel|i2c:ADDR, --lcd-map MAPPING, turned into the Board's lcdGeometry and
// lcdBus options (or an error message for the user).
import { LCD_GEOMETRIES, type LcdGeometryName } from './hd44780.ts';
import { BACKPACK_MAPPINGS, type BackpackMappingName } from './hd44780-backpack.ts';
import { PCF8574_BASE, PCF8574A_BASE } from './pcf8574.ts';

export interface LcdFlags {
  lcd?: string;
  lcdBus?: string;
  lcdMap?: string;
}

export interface LcdBoardOptions {
  lcdGeometry: LcdGeometryName;
  lcdBus: { kind: 'parallel' } | { kind: 'i2c'; address: number; mapping: BackpackMappingName };
}

export const LCD_FLAGS_USAGE = `  --lcd GEOMETRY  the LCD module: ${Object.keys(LCD_GEOMETRIES).join(', ')}
                  (default 16x2; 16x1 is the usual kind, an 8x2 inside)
  --lcd-bus parallel|i2c:ADDR
                  how it is attached: board_pins.h's wiring (default), or a
                  PCF8574 backpack on the TWI at ADDR (0x20-0x27; a PCF8574A
                  at 0x38-0x3F), e.g. i2c:0x27 or i2c:0x3f
  --lcd-map NAME  the backpack's pin mapping: ${Object.keys(BACKPACK_MAPPINGS).join(', ')}
                  (default common: P0 RS, P1 RW, P2 E, P3 backlight, P4-P7 D4-D7)
`;

export function parseLcdFlags(flags: LcdFlags): LcdBoardOptions | string {
  const geometry = flags.lcd ?? '16x2';
  if (!(geometry in LCD_GEOMETRIES)) {
    return `--lcd must be one of ${Object.keys(LCD_GEOMETRIES).join(', ')}, not "${geometry}"`;
  }
  const mapping = flags.lcdMap ?? 'common';
  if (!(mapping in BACKPACK_MAPPINGS)) {
    return `--lcd-map must be one of ${Object.keys(BACKPACK_MAPPINGS).join(', ')}, not "${mapping}"`;
  }
  const bus = flags.lcdBus ?? 'parallel';
  const lcdGeometry = geometry as LcdGeometryName;
  if (bus === 'parallel') {
    if (flags.lcdMap !== undefined) return '--lcd-map needs --lcd-bus i2c:ADDR';
    return { lcdGeometry, lcdBus: { kind: 'parallel' } };
  }
  const m = /^i2c:0x([0-9a-f]{2})$/i.exec(bus);
  const address = m ? parseInt(m[1]!, 16) : -1;
  const base = address & ~7;
  if (!m || (base !== PCF8574_BASE && base !== PCF8574A_BASE)) {
    return `--lcd-bus must be parallel or i2c:0x20-0x27 (PCF8574) / i2c:0x38-0x3f (PCF8574A), not "${bus}"`;
  }
  return { lcdGeometry, lcdBus: { kind: 'i2c', address, mapping: mapping as BackpackMappingName } };
}
