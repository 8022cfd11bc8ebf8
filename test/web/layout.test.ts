/** The map's tile grid: columns chosen for the pane's shape, order-10 blocks on one row. */
import { describe, expect, it } from 'vitest';
import { TILE_H, TILE_W, TileLayout } from '../../web/src/ui/map/layout.js';

const twoGiB = { pfnBase: 0, nrPages: 1024 * 512, pageblockOrder: 9, zones: [{ nid: 0, name: 'DMA32', startPfn: 0, endPfn: 1024 * 512 }] };

describe('TileLayout', () => {
  it('fits a narrow pane with an even column count, not the nearest power of two', () => {
    // 22 columns x 47 rows of 32 x 16 tiles is 704 x 752 (0.94); 16 columns would be 512 x 1024 (0.5).
    const l = new TileLayout(twoGiB, 0.94);
    expect([l.cols, l.rows, l.width, l.height]).toEqual([22, 47, 22 * TILE_W, 47 * TILE_H]);
    expect(new TileLayout(twoGiB, 2).cols).toBe(32);
  });

  it('keeps both pageblocks of every order-10 block on one tile row', () => {
    const l = new TileLayout(twoGiB, 0.94);
    for (let block = 0; block < l.nrBlocks; block += 2) {
      const a = l.cellOf(block * 512);
      const b = l.cellOf((block + 1) * 512);
      expect(b.y, `block ${block}`).toBe(a.y);
      expect(b.x).toBe(a.x + TILE_W);
    }
  });
});
