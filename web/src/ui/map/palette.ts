/**
 * Colour lookup tables for the map, as ImageData's Uint32 view wants them (0xAABBGGRR on
 * little-endian machines): one entry per category byte, the highlight bit included.
 */
import {
  CATEGORIES, CATEGORY_MASK, HIGHLIGHT, MIGRATETYPE_RGB, isFree,
} from '../../shared/categories.js';

export type ColourMode = 'holder' | 'migratetype';

export const HIGHLIGHT_RGB = 0xffe600;
export const BACKGROUND_RGB = 0x15171b;
export const TILE_BORDER_RGB = 0x3a3f47;

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** 0xRRGGBB -> the Uint32 an ImageData pixel holds (opaque). */
export function pixel(rgb: number): number {
  const r = (rgb >>> 16) & 0xff;
  const g = (rgb >>> 8) & 0xff;
  const b = rgb & 0xff;
  return littleEndian ? ((0xff << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | 0xff) >>> 0;
}

/** The same colour a little darker: page-cell edges at high zoom. */
export function darker(rgb: number, f = 0.82): number {
  const ch = (shift: number): number => Math.round(((rgb >>> shift) & 0xff) * f) << shift;
  return ch(16) | ch(8) | ch(0);
}

/** Holder colours by category byte (256 entries). */
export function holderRgb(): Uint32Array {
  const t = new Uint32Array(256);
  for (let c = 0; c < 256; c++) t[c] = (c & HIGHLIGHT) !== 0 ? HIGHLIGHT_RGB : (CATEGORIES[c & CATEGORY_MASK]?.rgb ?? BACKGROUND_RGB);
  return t;
}

/** Migratetype colours by (migratetype << 8 | category byte): dark when used, light when free. */
export function migratetypeRgb(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let mt = 0; mt < 8; mt++) {
    const m = MIGRATETYPE_RGB[mt] ?? MIGRATETYPE_RGB[4]!;
    for (let c = 0; c < 256; c++) t[(mt << 8) | c] = (c & HIGHLIGHT) !== 0 ? HIGHLIGHT_RGB : isFree(c) ? m.free : m.used;
  }
  return t;
}

export function toPixels(rgb: Uint32Array, shade = 1): Uint32Array {
  return rgb.map((c) => pixel(shade === 1 ? c : darker(c, shade)));
}
