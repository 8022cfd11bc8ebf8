/**
 * Where each page frame sits on the map: every pageblock is a 32 x 16 tile of page cells (pfn
 * order, row by row), and tiles follow each other in pfn order, `cols` to a row. Buddy blocks
 * are then rectangles (order 5 is one tile row, order 9 the whole tile, order 10 two tiles side
 * by side, as `cols` is even), and pageblock boundaries are tile edges.
 */
import type { MapGeometry } from '../../shared/protocol.js';

export const TILE_W = 32;
export const TILE_H = 16;

export class TileLayout {
  readonly nrBlocks: number;
  readonly cols: number;
  readonly rows: number;
  /** Size in page cells. */
  readonly width: number;
  readonly height: number;
  /** Index into geometry.zones of each tile (-1: no zone). */
  readonly tileZone: Int16Array;

  constructor(readonly geometry: MapGeometry, aspect = 1.5) {
    const blockPages = 1 << geometry.pageblockOrder;
    if (blockPages !== TILE_W * TILE_H) throw new Error(`pageblocks of ${blockPages} pages: the map expects ${TILE_W * TILE_H}`);
    this.nrBlocks = geometry.nrPages / blockPages;
    // The column count whose tile grid comes closest to the wanted width:height: 1 or an even
    // number, so an order-10 block's two pageblocks share a row.
    const err = (c: number): number => Math.abs(Math.log((c * TILE_W) / (Math.ceil(this.nrBlocks / c) * TILE_H) / aspect));
    let best = 1;
    for (let c = 2; c <= this.nrBlocks; c += 2) if (err(c) < err(best)) best = c;
    this.cols = best;
    this.rows = Math.ceil(this.nrBlocks / best);
    this.width = this.cols * TILE_W;
    this.height = this.rows * TILE_H;
    this.tileZone = new Int16Array(this.nrBlocks).fill(-1);
    geometry.zones.forEach((z, i) => {
      const first = Math.max(0, Math.floor((z.startPfn - geometry.pfnBase) / blockPages));
      const end = Math.min(this.nrBlocks, Math.ceil((z.endPfn - geometry.pfnBase) / blockPages));
      for (let t = first; t < end; t++) this.tileZone[t] = i;
    });
  }

  /** The slot at cell (x, y), or -1 outside the machine. */
  slotAt(x: number, y: number): number {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return -1;
    const tile = Math.floor(y / TILE_H) * this.cols + Math.floor(x / TILE_W);
    if (tile >= this.nrBlocks) return -1;
    return tile * TILE_W * TILE_H + (y % TILE_H) * TILE_W + (x % TILE_W);
  }

  /** The cell of a slot (top-left corner). */
  cellOf(slot: number): { x: number; y: number } {
    const tile = Math.floor(slot / (TILE_W * TILE_H));
    const inTile = slot % (TILE_W * TILE_H);
    return { x: (tile % this.cols) * TILE_W + (inTile % TILE_W), y: Math.floor(tile / this.cols) * TILE_H + Math.floor(inTile / TILE_W) };
  }

  /** The tile at cell (x, y), or -1. */
  tileAt(x: number, y: number): number {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return -1;
    const tile = Math.floor(y / TILE_H) * this.cols + Math.floor(x / TILE_W);
    return tile < this.nrBlocks ? tile : -1;
  }

  /**
   * Zone boundaries as segments in cell coordinates: tile edges whose two sides are in
   * different zones (or one side has no tile).
   */
  zoneEdges(): [number, number, number, number][] {
    const segs: [number, number, number, number][] = [];
    const zoneOf = (c: number, r: number): number => {
      if (c < 0 || r < 0 || c >= this.cols || r >= this.rows) return -2;
      const t = r * this.cols + c;
      return t < this.nrBlocks ? this.tileZone[t]! : -2;
    };
    for (let r = 0; r < this.rows; r++) {
      for (let c = 0; c < this.cols; c++) {
        const z = zoneOf(c, r);
        if (z === -2) continue;
        if (zoneOf(c - 1, r) !== z) segs.push([c * TILE_W, r * TILE_H, c * TILE_W, (r + 1) * TILE_H]);
        if (zoneOf(c + 1, r) !== z) segs.push([(c + 1) * TILE_W, r * TILE_H, (c + 1) * TILE_W, (r + 1) * TILE_H]);
        if (zoneOf(c, r - 1) !== z) segs.push([c * TILE_W, r * TILE_H, (c + 1) * TILE_W, r * TILE_H]);
        if (zoneOf(c, r + 1) !== z) segs.push([c * TILE_W, (r + 1) * TILE_H, (c + 1) * TILE_W, (r + 1) * TILE_H]);
      }
    }
    return segs;
  }
}
