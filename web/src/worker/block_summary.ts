/**
 * Pages per holder category in each pageblock, for the zoomed-out map (a tile per pageblock).
 * Done here, once per frame, so the page's draws stay proportional to its pixels.
 */
import { HIGHLIGHT, SUMMARY_BUCKETS, SUMMARY_HIGHLIGHT } from '../shared/categories.js';
import { PAGEBLOCK_ORDER } from '../../../src/mm/constants.js';

export function summarizeBlocks(cats: Uint8Array, hist: Uint16Array): void {
  hist.fill(0);
  const n = cats.length;
  const hl = HIGHLIGHT;
  const hlBucket = SUMMARY_HIGHLIGHT;
  const buckets = SUMMARY_BUCKETS;
  const shift = PAGEBLOCK_ORDER;
  for (let s = 0; s < n; s++) {
    const c = cats[s]!;
    hist[(s >>> shift) * buckets + (c >= hl ? hlBucket : c)]!++;
  }
}
