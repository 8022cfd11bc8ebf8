/**
 * Trace replay: drive the simulated allocator with the mm_page_alloc / mm_page_free events of
 * an ftrace text capture. With placement 'trace' each block goes exactly where the traced
 * kernel put it; with placement 'kernel' the simulated allocator chooses (free-list logic
 * only, no watermark checks) and later frees of a traced pfn follow the block chosen for it.
 */
import { MAX_ORDER, MigrateType } from '../mm/constants.js';
import { gfpMigratetype, gfpZone } from '../mm/gfp.js';
import type { PageAllocator } from '../mm/page_alloc.js';
import { PG_lru } from '../mm/page_flags.js';
import { FtraceParseError, type FtraceParseOptions, iterFtrace } from '../trace/ftrace.js';

export type Placement = 'kernel' | 'trace';

export interface PlacementRow {
  seq: number;
  event: 'alloc' | 'free';
  tracePfn: number;
  simPfn: number;
  order: number;
  migratetype: number;
}

export class ReplayError extends Error {
  constructor(readonly line: number, readonly detail: string) {
    super(`line ${line}: ${detail}`);
  }
}

export const PLACEMENTS_HEADER = 'seq\tevent\ttrace_pfn\tsim_pfn\torder\tmigratetype';

export function placementsTsv(rows: readonly PlacementRow[]): string {
  const hex = (n: number): string => `0x${n.toString(16)}`;
  const lines = [PLACEMENTS_HEADER];
  for (const r of rows) lines.push(`${r.seq}\t${r.event}\t${hex(r.tracePfn)}\t${hex(r.simPfn)}\t${r.order}\t${r.migratetype}`);
  return lines.join('\n') + '\n';
}

/** A live replayed block: where the trace had it and where the simulation put it. */
interface LiveBlock {
  simPfn: number;
  order: number;
}

/** Only the replayed events are parsed strictly; the others are skipped whatever their body. */
const REPLAYED: FtraceParseOptions = { kmem: ['mm_page_alloc', 'mm_page_free'] };

/**
 * Replay every mm_page_alloc / mm_page_free event of `text` on `alloc`. Other events and
 * failed allocations (pfn=0x0 with a NULL page) are skipped. Throws ReplayError on the first
 * malformed line or replayed event, gfp mask no kernel could trace, free of a block that is not
 * allocated, or allocation that cannot be placed.
 */
export function replayTrace(alloc: PageAllocator, text: string, placement: Placement): PlacementRow[] {
  const rows: PlacementRow[] = [];
  // Live blocks by traced head pfn; a free may name any aligned sub-block of one (split_page()).
  const live = new Map<number, LiveBlock>();
  let seq = 0;
  try {
    for (const ev of iterFtrace(text, REPLAYED)) {
      const k = ev.kmem;
      if (!k) continue;
      alloc.cpu = ev.cpu % alloc.nrCpus;
      if (k.kind === 'mm_page_alloc') {
        if (k.pfn < 0) continue;
        // gfp_zone() has no zone for these modifier bits (GFP_ZONE_BAD): a kernel cannot trace them.
        if (gfpZone(k.gfp) < 0) {
          throw new ReplayError(ev.line, `mm_page_alloc gfp_flags=${ev.fields['gfp_flags']!}: invalid zone modifiers (no zone serves this combination)`);
        }
        const simPfn = placeAlloc(alloc, placement, k.pfn, k.order, k.gfp, ev.line);
        markAllocated(alloc, simPfn, k.order, k.gfp);
        if (findLive(live, k.pfn, k.order)) {
          throw new ReplayError(ev.line, `mm_page_alloc pfn=0x${k.pfn.toString(16)} order=${k.order}: the traced block overlaps one that is still allocated`);
        }
        live.set(k.pfn, { simPfn, order: k.order });
        rows.push({ seq: seq++, event: 'alloc', tracePfn: k.pfn, simPfn, order: k.order, migratetype: k.migratetype });
      } else if (k.kind === 'mm_page_free') {
        const found = findLive(live, k.pfn, k.order);
        if (!found) {
          throw new ReplayError(ev.line, `mm_page_free pfn=0x${k.pfn.toString(16)} order=${k.order}: that block is not allocated in the replay`);
        }
        const [headPfn, block] = found;
        const simPfn = block.simPfn + (k.pfn - headPfn);
        const mt = alloc.mem.getPageblockMigratetype(alloc.pfnToSlot(simPfn));
        splitLive(live, headPfn, block, k.pfn, k.order);
        alloc.freePages(simPfn, k.order);
        rows.push({ seq: seq++, event: 'free', tracePfn: k.pfn, simPfn, order: k.order, migratetype: mt });
      }
    }
  } catch (e) {
    if (e instanceof FtraceParseError) throw new ReplayError(e.line, e.detail);
    throw e;
  }
  return rows;
}

function placeAlloc(alloc: PageAllocator, placement: Placement, pfn: number, order: number, gfp: number, line: number): number {
  if (placement === 'trace') {
    if (!alloc.allocPagesAt(pfn, order, gfp)) {
      throw new ReplayError(line, `mm_page_alloc pfn=0x${pfn.toString(16)} order=${order}: no free block at that pfn in the simulated machine`);
    }
    return pfn;
  }
  const simPfn = alloc.allocPagesNoWatermarks(gfp, order);
  if (simPfn < 0) throw new ReplayError(line, `mm_page_alloc order=${order}: the simulated allocator found no free block`);
  return simPfn;
}

/** Replay knows no owners: MOVABLE allocations count as LRU pages (move_freepages_block()). */
function markAllocated(alloc: PageAllocator, simPfn: number, order: number, gfp: number): void {
  if (gfpMigratetype(gfp, alloc.groupByMobilityDisabled) !== MigrateType.MOVABLE) return;
  const slot = alloc.pfnToSlot(simPfn);
  for (let i = 0; i < 1 << order; i++) alloc.mem.flags[slot + i]! |= PG_lru;
}

/** The live block containing [pfn, pfn + 2^order), by its traced head pfn. */
function findLive(live: Map<number, LiveBlock>, pfn: number, order: number): [number, LiveBlock] | undefined {
  for (let o = 0; o < MAX_ORDER; o++) {
    const head = pfn - (pfn % (1 << o)); // not `&`: traced pfns may exceed 32 bits
    const b = live.get(head);
    if (b && b.order >= order && pfn + (1 << order) <= head + (1 << b.order)) return [head, b];
  }
  return undefined;
}

/** Remove [pfn, pfn + 2^order) from a live block, keeping the rest as aligned live pieces. */
function splitLive(live: Map<number, LiveBlock>, headPfn: number, block: LiveBlock, pfn: number, order: number): void {
  live.delete(headPfn);
  let head = headPfn;
  let high = block.order;
  while (high > order) {
    high--;
    const half = 1 << high;
    let keep: number;
    if (pfn >= head + half) {
      keep = head;
      head += half;
    } else {
      keep = head + half;
    }
    live.set(keep, { simPfn: block.simPfn + (keep - headPfn), order: high });
  }
}
