/**
 * The hot drawing: the memory map into an ImageData the size of the canvas, straight from the
 * worker's category bytes through Uint32 palette lookups. Two modes by zoom:
 *   - pages (>= 1 pixel per page cell): each pixel is one page; tile (pageblock) edges and, when
 *     zoomed far in, page edges are drawn darker;
 *   - pageblock summary (< 1 pixel per page): each tile shows what holds its 512 pages as
 *     columns in proportion (holders left, free blocks by order right), with a gap between tiles.
 */
import {
  FREE, HIGHLIGHT, NR_CATEGORIES, PCP, SUMMARY_BUCKETS, SUMMARY_HIGHLIGHT,
} from '../../shared/categories.js';
import { TILE_H, TILE_W, type TileLayout } from './layout.js';
import { BACKGROUND_RGB, TILE_BORDER_RGB, holderRgb, migratetypeRgb, pixel, toPixels, type ColourMode } from './palette.js';
import type { MapView } from './view.js';

export interface MapState {
  cats: Uint8Array;
  blocks: Uint8Array;
  /** Pages per summary bucket of each pageblock (the worker's block_summary.ts). */
  hist: Uint16Array;
}

const HL = SUMMARY_HIGHLIGHT;
const BUCKETS = SUMMARY_BUCKETS;
/** Left-to-right order of a summary tile: the selection, holders, then free by order. */
const SUMMARY_ORDER: readonly number[] = [
  HL,
  ...Array.from({ length: NR_CATEGORIES }, (_, c) => c).filter((c) => c < FREE || c > PCP),
  PCP,
  ...Array.from({ length: 11 }, (_, o) => FREE + o),
];
/** Page edges are drawn from this many pixels per page. */
const PAGE_EDGE_SCALE = 6;

export class MapRenderer {
  private readonly holder = toPixels(holderRgb());
  private readonly holderDark = toPixels(holderRgb(), 0.82);
  private readonly mt = toPixels(migratetypeRgb());
  private readonly mtDark = toPixels(migratetypeRgb(), 0.82);
  private readonly bg = pixel(BACKGROUND_RGB);
  private readonly border = pixel(TILE_BORDER_RGB);
  private colSlot = new Int32Array(0);
  private colEdge = new Uint8Array(0);

  constructor(private readonly layout: TileLayout) {}

  render(img: ImageData, state: MapState, view: MapView, mode: ColourMode): void {
    if (view.scale >= 1) this.renderPages(img, state, view, mode);
    else this.renderSummary(img, state, view, mode);
  }

  private renderPages(img: ImageData, state: MapState, view: MapView, mode: ColourMode): void {
    const W = img.width;
    const H = img.height;
    const out = new Uint32Array(img.data.buffer, img.data.byteOffset, W * H);
    const { cats, blocks } = state;
    const L = this.layout;
    const nrPages = L.nrBlocks * TILE_W * TILE_H;
    const scale = view.scale;
    const pageEdges = scale >= PAGE_EDGE_SCALE;
    if (this.colSlot.length !== W) {
      this.colSlot = new Int32Array(W);
      this.colEdge = new Uint8Array(W);
    }
    // Per column: the slot offset within a tile row of the grid, and whether a cell starts here.
    const colSlot = this.colSlot;
    const colEdge = this.colEdge;
    let prevCx = -1;
    for (let px = 0; px < W; px++) {
      const cx = Math.floor(view.x0 + px / scale);
      colSlot[px] = cx < 0 || cx >= L.width ? -1 : ((cx / TILE_W) | 0) * TILE_W * TILE_H + (cx % TILE_W);
      colEdge[px] = cx === prevCx ? 0 : cx % TILE_W === 0 ? 2 : pageEdges ? 1 : 0;
      prevCx = cx;
    }
    const pal = mode === 'holder' ? this.holder : this.mt;
    const palDark = mode === 'holder' ? this.holderDark : this.mtDark;
    const byType = mode === 'migratetype';
    const bg = this.bg;
    const border = this.border;
    const rowStride = L.cols * TILE_W * TILE_H;
    let prevCy = -1;
    for (let py = 0; py < H; py++) {
      const cy = Math.floor(view.y0 + py / scale);
      const rowEdge = cy === prevCy ? 0 : cy % TILE_H === 0 ? 2 : pageEdges ? 1 : 0;
      prevCy = cy;
      let o = py * W;
      if (cy < 0 || cy >= L.height) {
        out.fill(bg, o, o + W);
        continue;
      }
      const rowBase = ((cy / TILE_H) | 0) * rowStride + (cy % TILE_H) * TILE_W;
      for (let px = 0; px < W; px++, o++) {
        const off = colSlot[px]!;
        const slot = rowBase + off;
        if (off < 0 || slot >= nrPages) {
          out[o] = bg;
          continue;
        }
        const edge = colEdge[px]! > rowEdge ? colEdge[px]! : rowEdge;
        if (edge === 2) {
          out[o] = border;
          continue;
        }
        const key = byType ? (blocks[slot >>> 9]! << 8) | cats[slot]! : cats[slot]!;
        out[o] = edge === 1 ? palDark[key]! : pal[key]!;
      }
    }
  }

  private renderSummary(img: ImageData, state: MapState, view: MapView, mode: ColourMode): void {
    const W = img.width;
    const H = img.height;
    const out = new Uint32Array(img.data.buffer, img.data.byteOffset, W * H);
    out.fill(this.bg);
    const { blocks, hist } = state;
    const L = this.layout;
    const pal = mode === 'holder' ? this.holder : this.mt;
    const scale = view.scale;
    for (let t = 0; t < L.nrBlocks; t++) {
      const tc = t % L.cols;
      const tr = (t / L.cols) | 0;
      const x0 = Math.round((tc * TILE_W - view.x0) * scale);
      let x1 = Math.round(((tc + 1) * TILE_W - view.x0) * scale);
      const y0 = Math.max(0, Math.round((tr * TILE_H - view.y0) * scale));
      let y1 = Math.min(H, Math.round(((tr + 1) * TILE_H - view.y0) * scale));
      if (x1 <= 0 || x0 >= W || y1 <= y0) continue;
      if (x1 - x0 >= 4) x1--; // a one-pixel gap marks the pageblock boundary
      if (y1 - y0 >= 3 && y1 < H) y1--;
      const width = x1 - x0;
      const base = t * BUCKETS;
      const mt = blocks[t]! << 8;
      let done = 0;
      let colStart = x0;
      for (const b of SUMMARY_ORDER) {
        const count = hist[base + b]!;
        if (count === 0) continue;
        done += count;
        const colEnd = x0 + Math.round((done * width) / (TILE_W * TILE_H));
        const key = b === HL ? HIGHLIGHT : b;
        const colour = mode === 'holder' ? pal[key]! : pal[mt | key]!;
        const a = Math.max(0, colStart);
        const e = Math.min(W, colEnd);
        if (e > a) for (let y = y0; y < y1; y++) out.fill(colour, y * W + a, y * W + e);
        colStart = colEnd;
      }
    }
  }
}
