/**
 * External-fragmentation arithmetic of 6.1 mm/vmstat.c: fill_contig_page_info(),
 * unusable_free_index(), __fragmentation_index() and extfrag_for_order(), with the kernel's
 * unsigned integer division. Allocation-free: the info struct is caller-owned and reusable,
 * so compaction can call these in its hot path.
 */
import { MAX_ORDER } from './constants.js';

/** struct contig_page_info */
export interface ContigPageInfo {
  freePages: number;
  freeBlocksTotal: number;
  freeBlocksSuitable: number;
}

export function newContigPageInfo(): ContigPageInfo {
  return { freePages: 0, freeBlocksTotal: 0, freeBlocksSuitable: 0 };
}

/** 2^order for order 0..MAX_ORDER-1 (this runs twice a second per zone for proactive compaction). */
const POW2 = Float64Array.from({ length: MAX_ORDER }, (_, o) => 2 ** o);

/** Exact floor(a / b) for non-negative integers below 2^53 (div_u64). */
function divU(a: number, b: number): number {
  let q = Math.floor(a / b);
  // The float quotient may be rounded across an integer boundary; correct it.
  if (q * b > a) q -= 1;
  else if ((q + 1) * b <= a) q += 1;
  return q;
}

/**
 * fill_contig_page_info(): nrFree[order] is free_area[order].nr_free for order 0..MAX_ORDER-1.
 * Writes into `out` (a fresh object if omitted) and returns it.
 */
export function fillContigPageInfo(
  nrFree: ArrayLike<number>,
  suitableOrder: number,
  out: ContigPageInfo = newContigPageInfo(),
): ContigPageInfo {
  let freePages = 0;
  let total = 0;
  let suitable = 0;
  const n = Math.min(nrFree.length, MAX_ORDER);
  for (let order = 0; order < n; order++) {
    const blocks = nrFree[order] ?? 0;
    total += blocks;
    freePages += blocks * POW2[order]!;
    if (order >= suitableOrder) suitable += blocks * POW2[order - suitableOrder]!;
  }
  out.freePages = freePages;
  out.freeBlocksTotal = total;
  out.freeBlocksSuitable = suitable;
  return out;
}

/**
 * unusable_free_index(): thousandths (0..1000) of the free memory that cannot satisfy an
 * allocation of 2^order pages. No free memory counts as all unusable (1000).
 */
export function unusableFreeIndex(order: number, info: ContigPageInfo): number {
  if (info.freePages === 0) return 1000;
  return divU((info.freePages - info.freeBlocksSuitable * 2 ** order) * 1000, info.freePages);
}

/**
 * __fragmentation_index(): 0 when there is no free block at all or order >= MAX_ORDER (the
 * kernel WARNs there), -1000 when an allocation of this order would succeed, otherwise
 * 1000 - (1000 + free_pages*1000/requested) / free_blocks_total in unsigned integer division,
 * returned as a C int (the result can be negative, e.g. -500 for a single order-9 block asked
 * for at order 10).
 */
export function fragmentationIndex(order: number, info: ContigPageInfo): number {
  if (order >= MAX_ORDER) return 0;
  if (!info.freeBlocksTotal) return 0;
  if (info.freeBlocksSuitable) return -1000;
  const requested = 2 ** order;
  return 1000 - divU(1000 + divU(info.freePages * 1000, requested), info.freeBlocksTotal);
}

/**
 * extfrag_for_order(): percentage (0..100) of free pages in blocks smaller than 2^order.
 * `info` must have been filled with suitableOrder = order.
 */
export function extfragForOrder(order: number, info: ContigPageInfo): number {
  if (info.freePages === 0) return 0;
  return divU((info.freePages - info.freeBlocksSuitable * 2 ** order) * 100, info.freePages);
}
