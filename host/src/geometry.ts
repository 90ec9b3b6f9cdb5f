// The LCD's size in characters. The board names it in its banner (`lcd=20x4`,
// docs/protocol.md); a setting (lcdSize, --lcd-size, PMLCD_LCD_SIZE) overrides it for a
// board that says nothing or says wrong. The banner is untrusted input: a value that is
// not one of the sizes the screens are laid out for (docs/screens.md) is ignored, with a
// warning, and 16x2 is assumed.

export interface Geometry {
  cols: number;
  rows: number;
}

/** The sizes docs/screens.md lays the pages out for. */
export const LCD_SIZES = ['16x2', '20x2', '16x4', '20x4'] as const;
export type LcdSizeName = (typeof LCD_SIZES)[number];

/** What the bridge assumes when nothing better is known: the original pmlcd LCD. */
export const DEFAULT_GEOMETRY: Geometry = { cols: 16, rows: 2 };

/** The geometry a size name stands for, or null when it is not one of LCD_SIZES. */
export function parseLcdSize(text: string): Geometry | null {
  if (!(LCD_SIZES as readonly string[]).includes(text)) return null;
  const [cols, rows] = text.split('x').map(Number);
  return { cols, rows };
}

export function geometryName(g: Geometry): string {
  return `${g.cols}x${g.rows}`;
}

export function sameGeometry(a: Geometry, b: Geometry): boolean {
  return a.cols === b.cols && a.rows === b.rows;
}

export interface GeometryChoice {
  geometry: Geometry;
  /** Where it came from. */
  from: 'setting' | 'banner' | 'default';
  /** Why the banner's value was not used (set when it had one that is not a known size). */
  warning?: string;
}

/**
 * The geometry to draw for: the setting when it names a size ('auto' or absent: none),
 * else the banner's `lcd=` field, else 16x2. `bannerLcd` is the raw field (undefined when
 * the banner has none); a value that is not a known size gives a warning, which quotes it
 * as given: the logger escapes what is unsafe to print.
 */
export function chooseGeometry(setting: string | undefined, bannerLcd: string | undefined): GeometryChoice {
  const fromSetting = setting && setting !== 'auto' ? parseLcdSize(setting) : null;
  if (fromSetting) return { geometry: fromSetting, from: 'setting' };
  if (bannerLcd === undefined) return { geometry: DEFAULT_GEOMETRY, from: 'default' };
  const fromBanner = parseLcdSize(bannerLcd);
  if (fromBanner) return { geometry: fromBanner, from: 'banner' };
  // A cap on what is quoted: a banner may be up to a serial line long, and repeats per reset.
  const shown = bannerLcd.length > 24 ? `${bannerLcd.slice(0, 24)}...` : bannerLcd;
  return {
    geometry: DEFAULT_GEOMETRY,
    from: 'default',
    warning: `the board's banner says lcd=${shown}, which is not one of ${LCD_SIZES.join(', ')}: assuming ${geometryName(DEFAULT_GEOMETRY)}`,
  };
}
