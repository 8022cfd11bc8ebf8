/**
 * The buddy allocator of mm/page_alloc.c (6.1): free lists per order and migratetype,
 * fallback and pageblock stealing, per-cpu lists, watermark checks and the allocation fast
 * path. Method names follow the kernel functions so the two can be read side by side.
 *
 * Internally a page is a MemMap slot (pfn - pfnBase); the public methods take and return pfns.
 */
import {
  MAX_ORDER, MIGRATE_PCPTYPES, MigrateType, PAGEBLOCK_NR_PAGES, PAGEBLOCK_ORDER,
  PAGE_ALLOC_COSTLY_ORDER, ZoneType,
} from './constants.js';
import {
  __GFP_ATOMIC, __GFP_COMP, __GFP_DIRECT_RECLAIM, __GFP_HIGH, __GFP_KSWAPD_RECLAIM, __GFP_NOMEMALLOC,
  gfpMigratetype, gfpZone,
} from './gfp.js';
import type { MemMap } from './memmap.js';
import { PG_buddy, PG_head, PG_lru, PG_movable, PG_pcp, PG_tail, ZONE_ID_MASK } from './page_flags.js';
import type { KmemTraceSink, TraceContext } from './tracepoints.js';
import { VmEvent, VmEvents, ZoneStat } from './vmstat.js';
import { NR_PCP_LISTS, NR_PCP_THP_BASE, type PgData, WMARK_HIGH, WMARK_MIN, type Zone, multFrac } from './zone.js';

// alloc_flags (mm/internal.h, 6.1.y)
export const ALLOC_WMARK_MIN = 0;
export const ALLOC_WMARK_LOW = 1;
export const ALLOC_WMARK_HIGH = 2;
export const ALLOC_NO_WATERMARKS = 0x04;
export const ALLOC_WMARK_MASK = ALLOC_NO_WATERMARKS - 1;
export const ALLOC_OOM = 0x08;
export const ALLOC_NON_BLOCK = 0x10;
export const ALLOC_MIN_RESERVE = 0x20;
export const ALLOC_CPUSET = 0x40;
export const ALLOC_CMA = 0x80;
export const ALLOC_NOFRAGMENT = 0x100;
export const ALLOC_HIGHATOMIC = 0x200;
export const ALLOC_KSWAPD = 0x800;
export const ALLOC_RESERVES = ALLOC_NON_BLOCK | ALLOC_MIN_RESERVE | ALLOC_HIGHATOMIC | ALLOC_OOM;

// PageAllocator.pbDebug bits: disagreements between a pageblock and the free lists that the
// kernel's own paths leave behind, recorded so that debug_vm.ts can accept exactly those.
/** Free blocks of the pageblock may sit on the other side of HIGHATOMIC from its type. */
export const PBD_HIGHATOMIC_UNSYNCED = 1;
/** __free_one_page() refused to merge the pageblock's free block with its buddy pageblock's. */
export const PBD_MERGE_REFUSED = 2;

/** CONFIG_PCP_BATCH_SCALE_MAX (6.1.y backport, default 5). */
const PCP_BATCH_SCALE_MAX = 5;

/** fallbacks[] (mm/page_alloc.c): the lists a migratetype may steal from, in order. */
const FALLBACKS: readonly (readonly number[])[] = [
  [MigrateType.RECLAIMABLE, MigrateType.MOVABLE], // UNMOVABLE
  [MigrateType.RECLAIMABLE, MigrateType.UNMOVABLE], // MOVABLE
  [MigrateType.UNMOVABLE, MigrateType.MOVABLE], // RECLAIMABLE
];

/** migratetype_is_mergeable(): only the pcp types merge across pageblocks. */
function migratetypeIsMergeable(mt: number): boolean {
  return mt < MIGRATE_PCPTYPES;
}

/** pcp_allowed_order(): orders 0..PAGE_ALLOC_COSTLY_ORDER and, with THP, pageblock_order. */
export function pcpAllowedOrder(order: number): boolean {
  return order <= PAGE_ALLOC_COSTLY_ORDER || order === PAGEBLOCK_ORDER;
}

/** order_to_pindex() */
export function orderToPindex(mt: number, order: number): number {
  if (order > PAGE_ALLOC_COSTLY_ORDER) return NR_PCP_THP_BASE + (mt === MigrateType.MOVABLE ? 1 : 0);
  return MIGRATE_PCPTYPES * order + mt;
}

/** pindex_to_order() */
export function pindexToOrder(pindex: number): number {
  return pindex >= NR_PCP_THP_BASE ? PAGEBLOCK_ORDER : Math.floor(pindex / MIGRATE_PCPTYPES);
}

/** struct capture_control: a direct compactor waiting to catch a freed block of its order. */
export interface CaptureControl {
  zone: Zone;
  order: number;
  /** The captured block's slot, or -1. */
  page: number;
}

/** struct alloc_context: what an allocation may use. */
export interface AllocContext {
  zonelist: Zone[];
  /** Index in zonelist of the preferred zone (the first one <= highestZoneidx). */
  preferred: number;
  highestZoneidx: number;
  migratetype: number;
}

/** Hooks for the mechanisms layered on the allocator (kswapd, reclaim, compaction, OOM). */
export interface AllocatorHooks {
  /** wakeup_kswapd(zone, gfp, order, highest_zoneidx) */
  wakeupKswapd?(zone: Zone, gfp: number, order: number, highestZoneidx: number): void;
  /** __alloc_pages_slowpath(): everything after the fast path; returns a slot or -1. */
  slowpath?(gfp: number, order: number, ac: AllocContext): number;
}

export class PageAllocator {
  readonly events = new VmEvents();
  /** The CPU the current context runs on (for pcp lists and trace lines). */
  cpu = 0;
  /** page_group_by_mobility_disabled */
  readonly groupByMobilityDisabled: boolean;
  watermarkBoostFactor: number;
  trace: KmemTraceSink | null = null;
  readonly traceCtx: TraceContext = { comm: 'pagelab', pid: 1, cpu: 0, timeNs: 0 };
  /** Where trace timestamps come from (the machine's virtual clock), if anywhere. */
  timeSource: { readonly now: number } | null = null;
  hooks: AllocatorHooks = {};
  /** current->capture_control of the (single) running context, set by direct compaction. */
  capc: CaptureControl | null = null;
  /** Every zone by global id (nid * MAX_NR_ZONES + type). */
  readonly zoneById: Zone[] = [];
  /** PBD_* bits per pageblock: bookkeeping for the invariant checker, not kernel state. */
  readonly pbDebug: Uint8Array;

  // Scratch results, so the hot path allocates nothing.
  private canSteal = false;
  private movableFound = 0;
  // alloc_context of the allocation in progress
  private acHighestZoneidx = 0;
  private acMigratetype = 0;
  private acZonelist: Zone[] = [];
  private acPreferred = 0;

  constructor(
    readonly mem: MemMap,
    readonly nodes: PgData[],
    readonly nrCpus: number,
    readonly pcpEnabled: boolean,
    watermarkBoostFactor: number,
  ) {
    for (const node of nodes) for (const z of node.zones) this.zoneById[z.id] = z;
    this.pbDebug = new Uint8Array(mem.pageblockFlags.length);
    this.watermarkBoostFactor = watermarkBoostFactor;
    let total = 0;
    for (const node of nodes) for (const z of node.zones) total += z.managed;
    // build_all_zonelists(): too small to group by mobility if fewer pages than one pageblock per type.
    this.groupByMobilityDisabled = total < PAGEBLOCK_NR_PAGES * 5;
  }

  pfnToSlot(pfn: number): number {
    return pfn - this.mem.pfnBase;
  }

  slotToPfn(slot: number): number {
    return slot + this.mem.pfnBase;
  }

  zoneOfSlot(slot: number): Zone {
    return this.zoneById[this.mem.zoneId(slot)]!;
  }

  // ---------------------------------------------------------------------------------------
  // Free lists

  private addToFreeList(slot: number, zone: Zone, order: number, mt: number, tail: boolean): void {
    const head = zone.freeListHead(order, mt);
    if (tail) this.mem.listAddTail(slot, head);
    else this.mem.listAdd(slot, head);
    zone.nrFree[order]!++;
  }

  /** move_to_free_list(): list_move_tail onto another migratetype's list (nr_free unchanged). */
  private moveToFreeList(slot: number, zone: Zone, order: number, mt: number): void {
    this.mem.listDel(slot);
    this.mem.listAddTail(slot, zone.freeListHead(order, mt));
  }

  private delPageFromFreeList(slot: number, zone: Zone, order: number): void {
    const mem = this.mem;
    mem.listDel(slot);
    mem.flags[slot]! &= ~PG_buddy;
    mem.private[slot] = 0;
    zone.nrFree[order]!--;
  }

  private setBuddyOrder(slot: number, order: number): void {
    this.mem.private[slot] = order;
    this.mem.flags[slot]! |= PG_buddy;
  }

  /** page_is_buddy(): the buddy heads a free block of exactly this order in the same zone. */
  private pageIsBuddy(slot: number, buddy: number, order: number): boolean {
    const flags = this.mem.flags;
    const bf = flags[buddy]!;
    return (bf & PG_buddy) !== 0 && this.mem.private[buddy] === order && (bf >>> 24) === (flags[slot]! >>> 24);
  }

  /** buddy_merge_likely(): the order+1 buddy of our would-be parent is free, so keep this block at the tail. */
  private buddyMergeLikely(slot: number, buddy: number, order: number): boolean {
    if (order >= MAX_ORDER - 2) return false;
    const higher = buddy & slot;
    return this.pageIsBuddy(higher, higher ^ (1 << (order + 1)), order + 1);
  }

  /** __free_one_page(): merge with free buddies and file the block under migratetype mt. */
  freeOnePageLocked(slot: number, zone: Zone, order: number, mt: number, toTail: boolean): void {
    if (mt !== MigrateType.ISOLATE) zone.vmStat[ZoneStat.NR_FREE_PAGES]! += 1 << order;
    let buddy = 0;
    const capc = this.capc;
    while (order < MAX_ORDER - 1) {
      // compaction_capture(): hand the block straight to the compactor that is waiting for it.
      if (capc !== null && capc.page < 0 && capc.zone === zone && order === capc.order &&
          mt !== MigrateType.ISOLATE && !(order < PAGEBLOCK_ORDER && mt === MigrateType.MOVABLE)) {
        zone.vmStat[ZoneStat.NR_FREE_PAGES]! -= 1 << order;
        capc.page = slot;
        return;
      }
      buddy = slot ^ (1 << order);
      if (!this.pageIsBuddy(slot, buddy, order)) break;
      if (order >= PAGEBLOCK_ORDER) {
        const buddyMt = this.mem.getPageblockMigratetype(buddy);
        const refused = mt !== buddyMt && (!migratetypeIsMergeable(mt) || !migratetypeIsMergeable(buddyMt));
        // debug_vm: a refused pair may stay unmerged once the types change (unreserve_highatomic_pageblock()).
        this.setPbd(slot, PBD_MERGE_REFUSED, refused);
        this.setPbd(buddy, PBD_MERGE_REFUSED, refused);
        if (refused) break;
      }
      this.delPageFromFreeList(buddy, zone, order);
      slot &= buddy;
      order++;
    }
    this.setBuddyOrder(slot, order);
    const tail = toTail || this.buddyMergeLikely(slot, buddy, order);
    this.addToFreeList(slot, zone, order, mt, tail);
  }

  /** expand(): split a block of order `high` down to `low`, upper halves to the list heads. */
  private expand(zone: Zone, slot: number, low: number, high: number, mt: number): void {
    let size = 1 << high;
    while (high > low) {
      high--;
      size >>= 1;
      this.addToFreeList(slot + size, zone, high, mt, false);
      this.setBuddyOrder(slot + size, high);
    }
  }

  /** __rmqueue_smallest(): the first block on mt's lists, from `order` upward. */
  rmqueueSmallest(zone: Zone, order: number, mt: number): number {
    const mem = this.mem;
    for (let o = order; o < MAX_ORDER; o++) {
      const head = zone.freeListHead(o, mt);
      const slot = mem.next[head]!;
      if (slot === head) continue;
      this.delPageFromFreeList(slot, zone, o);
      this.expand(zone, slot, order, o, mt);
      mem.index[slot] = mt; // set_pcppage_migratetype()
      return slot;
    }
    return -1;
  }

  // ---------------------------------------------------------------------------------------
  // Fallback and pageblock stealing

  /** can_steal_fallback() */
  private canStealFallback(order: number, startMt: number): boolean {
    if (order >= PAGEBLOCK_ORDER) return true;
    return (
      order >= PAGEBLOCK_ORDER >> 1 ||
      startMt === MigrateType.RECLAIMABLE ||
      startMt === MigrateType.UNMOVABLE ||
      this.groupByMobilityDisabled
    );
  }

  /** find_suitable_fallback(); sets this.canSteal. */
  findSuitableFallback(zone: Zone, order: number, mt: number, onlyStealable: boolean): number {
    if (zone.nrFree[order] === 0) return -1;
    this.canSteal = false;
    const fallbacks = FALLBACKS[mt]!;
    for (let i = 0; i < fallbacks.length; i++) {
      const fmt = fallbacks[i]!;
      if (this.mem.listEmpty(zone.freeListHead(order, fmt))) continue;
      if (this.canStealFallback(order, mt)) this.canSteal = true;
      if (!onlyStealable) return fmt;
      if (this.canSteal) return fmt;
    }
    return -1;
  }

  /**
   * move_freepages_block(): move every free block of the pageblock to mt's lists (tail); returns
   * the pages moved and leaves the count of LRU/movable pages in this.movableFound.
   */
  moveFreepagesBlock(zone: Zone, slot: number, mt: number): number {
    this.movableFound = 0;
    let start = slot & ~(PAGEBLOCK_NR_PAGES - 1);
    const end = start + PAGEBLOCK_NR_PAGES - 1;
    // Every caller leaves mt and the pageblock's type on the same side of HIGHATOMIC, so a
    // whole pageblock moved is in sync, unless pcp pages cached the other side (their later
    // drain files them there) or the zone spans only part of the pageblock (not all is moved).
    const mtHigh = mt === MigrateType.HIGHATOMIC;
    let unsynced = false;
    if (!zone.spansSlot(start)) {
      start = slot;
      unsynced = true;
    }
    if (!zone.spansSlot(end)) {
      this.setPbd(slot, PBD_HIGHATOMIC_UNSYNCED, true);
      return 0;
    }
    const flags = this.mem.flags;
    const index = this.mem.index;
    let moved = 0;
    for (let p = start; p <= end; ) {
      const f = flags[p]!;
      if ((f & PG_buddy) === 0) {
        if ((f & (PG_lru | PG_movable)) !== 0) this.movableFound++;
        else if ((f & PG_pcp) !== 0 && (index[p] === MigrateType.HIGHATOMIC) !== mtHigh) unsynced = true;
        p++;
        continue;
      }
      const order = this.mem.private[p]!;
      this.moveToFreeList(p, zone, order, mt);
      p += 1 << order;
      moved += 1 << order;
    }
    this.setPbd(slot, PBD_HIGHATOMIC_UNSYNCED, unsynced);
    return moved;
  }

  /** Set or clear a PBD_* bit of slot's pageblock. */
  private setPbd(slot: number, bit: number, on: boolean): void {
    const b = slot >>> PAGEBLOCK_ORDER;
    this.pbDebug[b] = on ? this.pbDebug[b]! | bit : this.pbDebug[b]! & ~bit;
  }

  /** boost_watermark() */
  private boostWatermark(zone: Zone): boolean {
    if (!this.watermarkBoostFactor) return false;
    if (PAGEBLOCK_NR_PAGES * 4 > zone.managed) return false;
    let maxBoost = multFrac(zone.watermark[WMARK_HIGH]!, this.watermarkBoostFactor, 10000);
    if (!maxBoost) return false;
    maxBoost = Math.max(PAGEBLOCK_NR_PAGES, maxBoost);
    zone.watermarkBoost = Math.min(zone.watermarkBoost + PAGEBLOCK_NR_PAGES, maxBoost);
    return true;
  }

  /** steal_suitable_fallback(): claim the pageblock when free + alike pages >= half of it. */
  private stealSuitableFallback(zone: Zone, slot: number, allocFlags: number, startType: number, wholeBlock: boolean): void {
    const mem = this.mem;
    const currentOrder = mem.private[slot]!;
    const oldBlockType = mem.getPageblockMigratetype(slot);
    singlePage: {
      if (oldBlockType === MigrateType.HIGHATOMIC) break singlePage;
      if (currentOrder >= PAGEBLOCK_ORDER) {
        // change_pageblock_range()
        for (let i = 0; i < 1 << (currentOrder - PAGEBLOCK_ORDER); i++) {
          mem.setPageblockMigratetype(slot + i * PAGEBLOCK_NR_PAGES, startType);
        }
        break singlePage;
      }
      if (this.boostWatermark(zone) && (allocFlags & ALLOC_KSWAPD) !== 0) zone.boostedWatermark = true;
      if (!wholeBlock) break singlePage;
      const freePages = this.moveFreepagesBlock(zone, slot, startType);
      const movablePages = this.movableFound;
      let alikePages: number;
      if (startType === MigrateType.MOVABLE) alikePages = movablePages;
      else if (oldBlockType === MigrateType.MOVABLE) alikePages = PAGEBLOCK_NR_PAGES - (freePages + movablePages);
      else alikePages = 0;
      if (!freePages) break singlePage;
      if (freePages + alikePages >= 1 << (PAGEBLOCK_ORDER - 1) || this.groupByMobilityDisabled) {
        mem.setPageblockMigratetype(slot, startType);
      }
      return;
    }
    this.moveToFreeList(slot, zone, currentOrder, startType);
  }

  /** __rmqueue_fallback(): largest-first steal; movable that cannot claim takes the smallest. */
  private rmqueueFallback(zone: Zone, order: number, startMt: number, allocFlags: number): boolean {
    let minOrder = order;
    if (order < PAGEBLOCK_ORDER && (allocFlags & ALLOC_NOFRAGMENT) !== 0) minOrder = PAGEBLOCK_ORDER;
    let currentOrder = MAX_ORDER - 1;
    let fallbackMt = -1;
    for (; currentOrder >= minOrder; currentOrder--) {
      fallbackMt = this.findSuitableFallback(zone, currentOrder, startMt, false);
      if (fallbackMt !== -1) break;
    }
    if (fallbackMt === -1) return false;
    if (!this.canSteal && startMt === MigrateType.MOVABLE && currentOrder > order) {
      // find_smallest
      for (currentOrder = order; currentOrder < MAX_ORDER; currentOrder++) {
        fallbackMt = this.findSuitableFallback(zone, currentOrder, startMt, false);
        if (fallbackMt !== -1) break;
      }
    }
    const slot = this.mem.next[zone.freeListHead(currentOrder, fallbackMt)]!;
    this.stealSuitableFallback(zone, slot, allocFlags, startMt, this.canSteal);
    if (this.trace) {
      const owned = this.mem.getPageblockMigratetype(slot) === startMt;
      this.trace.mmPageAllocExtfrag(this.ctx(), this.slotToPfn(slot), order, currentOrder, startMt, fallbackMt, owned);
    }
    return true;
  }

  /** __rmqueue() (no CMA in this config) */
  private rmqueue_(zone: Zone, order: number, mt: number, allocFlags: number): number {
    for (;;) {
      const slot = this.rmqueueSmallest(zone, order, mt);
      if (slot >= 0) return slot;
      if (!this.rmqueueFallback(zone, order, mt, allocFlags)) return -1;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Per-cpu lists

  /** rmqueue_bulk(): refill a pcp list from the buddy lists (list tail, physical order). */
  private rmqueueBulk(zone: Zone, order: number, count: number, head: number, mt: number, allocFlags: number): number {
    const mem = this.mem;
    let i = 0;
    for (; i < count; i++) {
      const slot = this.rmqueue_(zone, order, mt, allocFlags);
      if (slot < 0) break;
      mem.listAddTail(slot, head);
      mem.flags[slot]! |= PG_pcp;
    }
    zone.vmStat[ZoneStat.NR_FREE_PAGES]! -= i << order;
    return i;
  }

  /** rmqueue_pcplist() + __rmqueue_pcplist() */
  private rmqueuePcplist(zone: Zone, order: number, mt: number, allocFlags: number): number {
    const mem = this.mem;
    const cpu = this.cpu;
    zone.pcpFreeFactor[cpu]! >>= 1;
    const head = zone.pcpListHead(cpu, orderToPindex(mt, order));
    if (mem.listEmpty(head)) {
      let batch = zone.pcpBatch[cpu]!;
      if (batch > 1) batch = Math.max(batch >> order, 2);
      const alloced = this.rmqueueBulk(zone, order, batch, head, mt, allocFlags);
      zone.pcpCount[cpu]! += alloced << order;
      if (mem.listEmpty(head)) return -1;
    }
    const slot = mem.next[head]!;
    mem.listDel(slot);
    mem.flags[slot]! &= ~PG_pcp;
    zone.pcpCount[cpu]! -= 1 << order;
    this.events.add(VmEvent.PGALLOC_DMA + zone.type, 1 << order);
    return slot;
  }

  /** free_pcppages_bulk(): round-robin over the lists from pindex, each emptied from its tail. */
  freePcppagesBulk(zone: Zone, count: number, cpu: number, pindex: number): void {
    const mem = this.mem;
    count = Math.min(zone.pcpCount[cpu]!, count);
    let minPindex = 0;
    let maxPindex = NR_PCP_LISTS - 1;
    pindex = pindex - 1;
    const isolated = zone.nrIsolatePageblock > 0;
    while (count > 0) {
      let head: number;
      for (;;) {
        if (++pindex > maxPindex) pindex = minPindex;
        head = zone.pcpListHead(cpu, pindex);
        if (!mem.listEmpty(head)) break;
        if (pindex === maxPindex) maxPindex--;
        if (pindex === minPindex) minPindex++;
      }
      const order = pindexToOrder(pindex);
      const nrPages = 1 << order;
      do {
        const slot = mem.prev[head]!;
        let mt = mem.index[slot]!;
        mem.listDel(slot);
        mem.flags[slot]! &= ~PG_pcp;
        count -= nrPages;
        zone.pcpCount[cpu]! -= nrPages;
        if (isolated) mt = mem.getPageblockMigratetype(slot);
        this.freeOnePageLocked(slot, zone, order, mt, false);
        if (this.trace) this.trace.mmPagePcpuDrain(this.ctx(), this.slotToPfn(slot), order, mt);
      } while (count > 0 && !mem.listEmpty(head));
    }
  }

  /** nr_pcp_free() */
  private nrPcpFree(zone: Zone, cpu: number, high: number, batch: number, freeHigh: boolean): number {
    if (freeHigh) return zone.pcpCount[cpu]!;
    if (high < batch) return 1;
    const minNrFree = batch;
    const maxNrFree = high - batch;
    const factor = zone.pcpFreeFactor[cpu]!;
    batch <<= factor;
    if (batch < maxNrFree && factor < PCP_BATCH_SCALE_MAX) zone.pcpFreeFactor[cpu] = factor + 1;
    return Math.min(Math.max(batch, minNrFree), maxNrFree);
  }

  /** nr_pcp_high() */
  private nrPcpHigh(zone: Zone, cpu: number, freeHigh: boolean): number {
    const high = zone.pcpHigh[cpu]!;
    if (!high || freeHigh) return 0;
    if (!zone.reclaimActive) return high;
    return Math.min(zone.pcpBatch[cpu]! << 2, high);
  }

  /** free_unref_page() + free_unref_page_commit() */
  private freeUnrefPage(slot: number, order: number): void {
    const mem = this.mem;
    const zone = this.zoneOfSlot(slot);
    const mt = mem.getPageblockMigratetype(slot);
    mem.index[slot] = mt; // free_unref_page_prepare(): cache the pageblock type now
    let pcpMt = mt;
    if (mt >= MIGRATE_PCPTYPES) {
      if (mt === MigrateType.ISOLATE) {
        this.freeOnePage(zone, slot, order, mt, false);
        return;
      }
      pcpMt = MigrateType.MOVABLE;
    }
    const cpu = this.cpu;
    this.events.add(VmEvent.PGFREE, 1 << order);
    const pindex = orderToPindex(pcpMt, order);
    mem.listAdd(slot, zone.pcpListHead(cpu, pindex));
    mem.flags[slot]! |= PG_pcp;
    zone.pcpCount[cpu]! += 1 << order;
    const freeHigh = zone.pcpFreeFactor[cpu]! !== 0 && order !== 0 && order <= PAGE_ALLOC_COSTLY_ORDER;
    const high = this.nrPcpHigh(zone, cpu, freeHigh);
    if (zone.pcpCount[cpu]! >= high) {
      this.freePcppagesBulk(zone, this.nrPcpFree(zone, cpu, high, zone.pcpBatch[cpu]!, freeHigh), cpu, pindex);
    }
  }

  /** drain_pages_zone(): one cpu's pcp pages of one zone back to the buddy lists. */
  drainPagesZone(zone: Zone, cpu: number): void {
    if (zone.pcpCount[cpu]! > 0) this.freePcppagesBulk(zone, zone.pcpCount[cpu]!, cpu, 0);
  }

  /**
   * __isolate_free_page(): take a free block for compaction's free scanner if the zone stays
   * above the min watermark; large blocks turn their pageblocks MOVABLE. Returns the pages taken.
   */
  isolateFreePage(slot: number, order: number): number {
    const zone = this.zoneOfSlot(slot);
    const mt = this.mem.getPageblockMigratetype(slot);
    if (mt !== MigrateType.ISOLATE) {
      const watermark = zone.watermark[WMARK_MIN]! + (1 << order);
      if (!this.zoneWatermarkOk(zone, 0, watermark, 0, ALLOC_CMA, zone.vmStat[ZoneStat.NR_FREE_PAGES]!)) return 0;
      zone.vmStat[ZoneStat.NR_FREE_PAGES]! -= 1 << order;
    }
    this.delPageFromFreeList(slot, zone, order);
    if (order >= PAGEBLOCK_ORDER - 1) {
      for (let p = slot; p < slot + (1 << order); p += PAGEBLOCK_NR_PAGES) {
        if (migratetypeIsMergeable(this.mem.getPageblockMigratetype(p))) this.mem.setPageblockMigratetype(p, MigrateType.MOVABLE);
      }
    }
    return 1 << order;
  }

  /** drain_all_pages(zone or every zone): cpu by cpu, each cpu's zones in order (__drain_all_pages). */
  drainAllPages(zone: Zone | null = null): void {
    const zones = zone ? [zone] : this.zoneById.filter((z) => z !== undefined);
    for (let cpu = 0; cpu < this.nrCpus; cpu++) {
      for (const z of zones) if (z.pcpCount[cpu]! > 0) this.freePcppagesBulk(z, z.pcpCount[cpu]!, cpu, 0);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Freeing

  /** free_one_page(): straight to the buddy lists under the zone lock. */
  private freeOnePage(zone: Zone, slot: number, order: number, mt: number, toTail: boolean): void {
    if (zone.nrIsolatePageblock > 0 || mt === MigrateType.ISOLATE) mt = this.mem.getPageblockMigratetype(slot);
    this.freeOnePageLocked(slot, zone, order, mt, toTail);
  }

  /** __free_pages_ok(): the pageblock's type is looked up now. */
  freePagesOk(slot: number, order: number, toTail: boolean): void {
    const zone = this.zoneOfSlot(slot);
    this.freeOnePage(zone, slot, order, this.mem.getPageblockMigratetype(slot), toTail);
    this.events.add(VmEvent.PGFREE, 1 << order);
  }

  /**
   * __free_pages() for a block whose last reference the caller drops: free_pages_prepare()
   * clears the page state, then free_the_page() goes through the pcp or straight to the buddy.
   */
  freePages(pfn: number, order: number): void {
    // The kernel trusts the caller's order; a bad one here would corrupt the free lists.
    if (!(order >= 0 && order < MAX_ORDER)) throw new RangeError(`__free_pages: order ${order} out of range 0..${MAX_ORDER - 1}`);
    const slot = pfn - this.mem.pfnBase;
    const mem = this.mem;
    if (this.trace) this.trace.mmPageFree(this.ctx(), pfn, order);
    // free_pages_prepare(): every page flag goes (the zone id in the top byte stays).
    const n = 1 << order;
    for (let i = 0; i < n; i++) {
      mem.flags[slot + i]! &= ZONE_ID_MASK;
      mem.mapping[slot + i] = 0;
      mem.mapcount[slot + i] = 0;
      mem.private[slot + i] = 0;
    }
    mem.refcount[slot] = 0;
    mem.order[slot] = 0;
    if (this.pcpEnabled && pcpAllowedOrder(order)) this.freeUnrefPage(slot, order);
    else this.freePagesOk(slot, order, false);
  }

  // ---------------------------------------------------------------------------------------
  // Allocation

  /** rmqueue_buddy(): straight from the buddy lists, with the HIGHATOMIC reserve rules. */
  private rmqueueBuddy(zone: Zone, order: number, allocFlags: number, mt: number): number {
    let slot = -1;
    if ((allocFlags & ALLOC_HIGHATOMIC) !== 0) slot = this.rmqueueSmallest(zone, order, MigrateType.HIGHATOMIC);
    if (slot < 0) {
      slot = this.rmqueue_(zone, order, mt, allocFlags);
      if (slot < 0 && (allocFlags & (ALLOC_OOM | ALLOC_NON_BLOCK)) !== 0) {
        slot = this.rmqueueSmallest(zone, order, MigrateType.HIGHATOMIC);
      }
      if (slot < 0) return -1;
    }
    zone.vmStat[ZoneStat.NR_FREE_PAGES]! -= 1 << order;
    this.events.add(VmEvent.PGALLOC_DMA + zone.type, 1 << order);
    return slot;
  }

  /** rmqueue() */
  private rmqueue(zone: Zone, order: number, allocFlags: number, mt: number): number {
    let slot = -1;
    if (this.pcpEnabled && pcpAllowedOrder(order)) slot = this.rmqueuePcplist(zone, order, mt, allocFlags);
    if (slot < 0) slot = this.rmqueueBuddy(zone, order, allocFlags, mt);
    if (zone.boostedWatermark) {
      zone.boostedWatermark = false;
      this.hooks.wakeupKswapd?.(zone, 0, 0, zone.type);
    }
    return slot;
  }

  /** __zone_watermark_unusable_free() */
  private unusableFree(zone: Zone, order: number, allocFlags: number): number {
    let unusable = (1 << order) - 1;
    if ((allocFlags & ALLOC_RESERVES) === 0) unusable += zone.nrReservedHighatomic;
    return unusable;
  }

  /** __zone_watermark_ok() */
  zoneWatermarkOk(zone: Zone, order: number, mark: number, highestZoneidx: number, allocFlags: number, freePages: number): boolean {
    let min = mark;
    freePages -= this.unusableFree(zone, order, allocFlags);
    if ((allocFlags & ALLOC_RESERVES) !== 0) {
      if ((allocFlags & ALLOC_MIN_RESERVE) !== 0) {
        min -= Math.floor(min / 2);
        if ((allocFlags & ALLOC_NON_BLOCK) !== 0) min -= Math.floor(min / 4);
      }
      if ((allocFlags & ALLOC_OOM) !== 0) min -= Math.floor(min / 2);
    }
    if (freePages <= min + zone.lowmemReserve[highestZoneidx]!) return false;
    if (!order) return true;
    const mem = this.mem;
    for (let o = order; o < MAX_ORDER; o++) {
      if (!zone.nrFree[o]) continue;
      for (let mt = 0; mt < MIGRATE_PCPTYPES; mt++) if (!mem.listEmpty(zone.freeListHead(o, mt))) return true;
      if ((allocFlags & (ALLOC_HIGHATOMIC | ALLOC_OOM)) !== 0 && !mem.listEmpty(zone.freeListHead(o, MigrateType.HIGHATOMIC))) {
        return true;
      }
    }
    return false;
  }

  /** zone_watermark_fast() */
  private zoneWatermarkFast(zone: Zone, order: number, mark: number, highestZoneidx: number, allocFlags: number, gfp: number): boolean {
    const freePages = zone.vmStat[ZoneStat.NR_FREE_PAGES]!;
    if (!order) {
      let usable = freePages;
      const reserved = this.unusableFree(zone, 0, allocFlags);
      usable -= Math.min(usable, reserved);
      if (usable > mark + zone.lowmemReserve[highestZoneidx]!) return true;
    }
    if (this.zoneWatermarkOk(zone, order, mark, highestZoneidx, allocFlags, freePages)) return true;
    if (!order && (gfp & __GFP_ATOMIC) !== 0 && zone.watermarkBoost && (allocFlags & ALLOC_WMARK_MASK) === ALLOC_WMARK_MIN) {
      return this.zoneWatermarkOk(zone, order, zone.watermark[WMARK_MIN]!, highestZoneidx, allocFlags, freePages);
    }
    return false;
  }

  /** reserve_highatomic_pageblock() */
  private reserveHighatomicPageblock(slot: number, zone: Zone): void {
    const maxManaged = Math.floor(zone.managed / 100) + PAGEBLOCK_NR_PAGES;
    if (zone.nrReservedHighatomic >= maxManaged) return;
    const mt = this.mem.getPageblockMigratetype(slot);
    if (migratetypeIsMergeable(mt)) {
      zone.nrReservedHighatomic += PAGEBLOCK_NR_PAGES;
      this.mem.setPageblockMigratetype(slot, MigrateType.HIGHATOMIC);
      this.moveFreepagesBlock(zone, slot, MigrateType.HIGHATOMIC);
    }
  }

  /** unreserve_highatomic_pageblock(): give one HIGHATOMIC pageblock back to ac->migratetype. */
  unreserveHighatomicPageblock(force: boolean): boolean {
    const mem = this.mem;
    for (const zone of this.acZonelist) {
      if (zone.type > this.acHighestZoneidx) continue;
      if (!force && zone.nrReservedHighatomic <= PAGEBLOCK_NR_PAGES) continue;
      for (let order = 0; order < MAX_ORDER; order++) {
        const head = zone.freeListHead(order, MigrateType.HIGHATOMIC);
        const slot = mem.next[head]!;
        if (slot === head) continue;
        if (mem.getPageblockMigratetype(slot) === MigrateType.HIGHATOMIC) {
          zone.nrReservedHighatomic -= Math.min(PAGEBLOCK_NR_PAGES, zone.nrReservedHighatomic);
        }
        mem.setPageblockMigratetype(slot, this.acMigratetype);
        if (this.moveFreepagesBlock(zone, slot, this.acMigratetype)) return true;
      }
    }
    return false;
  }

  /** prep_new_page(): refcount 1, compound head/tails for __GFP_COMP. */
  prepNewPage(slot: number, order: number, gfp: number): void {
    const mem = this.mem;
    mem.private[slot] = 0;
    mem.refcount[slot] = 1;
    mem.order[slot] = order;
    if (order && (gfp & __GFP_COMP) !== 0) {
      mem.flags[slot]! |= PG_head;
      const n = 1 << order;
      for (let i = 1; i < n; i++) mem.flags[slot + i]! |= PG_tail;
    }
  }

  /** The alloc_context of the allocation in progress (a copy). */
  allocContext(): AllocContext {
    return { zonelist: this.acZonelist, preferred: this.acPreferred, highestZoneidx: this.acHighestZoneidx, migratetype: this.acMigratetype };
  }

  /** get_page_from_freelist() with an explicit alloc_context (for the slowpath); returns a slot or -1. */
  getPageFromFreelistAc(gfp: number, order: number, allocFlags: number, ac: AllocContext): number {
    this.acZonelist = ac.zonelist;
    this.acPreferred = ac.preferred;
    this.acHighestZoneidx = ac.highestZoneidx;
    this.acMigratetype = ac.migratetype;
    return this.getPageFromFreelist(gfp, order, allocFlags);
  }

  /** get_page_from_freelist(): walk the zonelist; retry once without ALLOC_NOFRAGMENT. */
  private getPageFromFreelist(gfp: number, order: number, allocFlags: number): number {
    const zonelist = this.acZonelist;
    const highest = this.acHighestZoneidx;
    for (;;) {
      const noFallback = (allocFlags & ALLOC_NOFRAGMENT) !== 0;
      const preferredNid = zonelist[this.acPreferred]!.nid;
      let restart = false;
      for (let i = this.acPreferred; i < zonelist.length; i++) {
        const zone = zonelist[i]!;
        if (zone.type > highest) continue;
        if (noFallback && this.nodes.length > 1 && zone.nid !== preferredNid) {
          allocFlags &= ~ALLOC_NOFRAGMENT;
          restart = true;
          break;
        }
        if ((allocFlags & ALLOC_NO_WATERMARKS) === 0) {
          const mark = zone.wmarkPages(allocFlags & ALLOC_WMARK_MASK);
          if (!this.zoneWatermarkFast(zone, order, mark, highest, allocFlags, gfp)) continue; // node_reclaim off
        }
        const slot = this.rmqueue(zone, order, allocFlags, this.acMigratetype);
        if (slot >= 0) {
          this.prepNewPage(slot, order, gfp);
          if ((allocFlags & ALLOC_HIGHATOMIC) !== 0) this.reserveHighatomicPageblock(slot, zone);
          return slot;
        }
      }
      if (restart) continue;
      if (noFallback) {
        allocFlags &= ~ALLOC_NOFRAGMENT;
        continue;
      }
      return -1;
    }
  }

  /** alloc_flags_nofragment(): ALLOC_KSWAPD from the gfp, ALLOC_NOFRAGMENT when Normal is preferred. */
  private allocFlagsNofragment(zone: Zone, gfp: number): number {
    let flags = gfp & __GFP_KSWAPD_RECLAIM;
    if (zone.type !== ZoneType.NORMAL) return flags;
    if (this.nodes.length > 1 && !this.nodes[zone.nid]!.zones[ZoneType.DMA32]!.populated) return flags;
    flags |= ALLOC_NOFRAGMENT;
    return flags;
  }

  /** gfp_to_alloc_flags() (6.1.y) */
  gfpToAllocFlags(gfp: number, order: number): number {
    let flags = ALLOC_WMARK_MIN | ALLOC_CPUSET;
    flags |= gfp & (__GFP_HIGH | __GFP_KSWAPD_RECLAIM);
    if ((gfp & __GFP_DIRECT_RECLAIM) === 0) {
      if ((gfp & __GFP_NOMEMALLOC) === 0) {
        flags |= ALLOC_NON_BLOCK;
        if (order > 0 && (flags & ALLOC_MIN_RESERVE) !== 0) flags |= ALLOC_HIGHATOMIC;
      }
      if ((flags & ALLOC_MIN_RESERVE) !== 0) flags &= ~ALLOC_CPUSET;
    }
    return flags;
  }

  /** wake_all_kswapds(): the first eligible zone of each node wakes that node's kswapd. */
  wakeAllKswapds(gfp: number, order: number, ac: AllocContext): void {
    const wake = this.hooks.wakeupKswapd;
    if (!wake) return;
    let lastNid = -1;
    for (const zone of ac.zonelist) {
      if (zone.type > ac.highestZoneidx || !zone.managed || zone.nid === lastNid) continue;
      wake(zone, gfp, order, ac.highestZoneidx);
      lastNid = zone.nid;
    }
  }

  /** prepare_alloc_pages(): fill the alloc_context; returns false when no zone can serve the gfp. */
  private prepareAllocPages(gfp: number, nid: number): boolean {
    const highest = gfpZone(gfp);
    if (highest < 0) throw new RangeError(`invalid zone modifiers in gfp mask 0x${gfp.toString(16)}`);
    this.acHighestZoneidx = highest;
    this.acMigratetype = gfpMigratetype(gfp, this.groupByMobilityDisabled);
    const zonelist = this.nodes[nid]!.zonelist;
    this.acZonelist = zonelist;
    let i = 0;
    while (i < zonelist.length && zonelist[i]!.type > highest) i++;
    this.acPreferred = i;
    return i < zonelist.length;
  }

  /**
   * __alloc_pages(): the fast path at the low watermark, then __alloc_pages_slowpath() — the
   * full one (reclaim, compaction, OOM) when a Kernel installed it, else only its first retry
   * at the min watermark. Returns the pfn, or -1.
   */
  allocPages(gfp: number, order: number, nid = 0): number {
    // WARN_ON_ONCE_GFP(order >= MAX_ORDER), before any tracepoint; the kernel's order is
    // unsigned, so a negative one is huge and refused the same way.
    if (!(order >= 0 && order < MAX_ORDER)) return -1;
    let slot = -1;
    if (this.prepareAllocPages(gfp, nid)) {
      const preferred = this.acZonelist[this.acPreferred]!;
      const allocFlags = ALLOC_WMARK_LOW | this.allocFlagsNofragment(preferred, gfp);
      slot = this.getPageFromFreelist(gfp, order, allocFlags);
      if (slot < 0) {
        const ac = this.allocContext();
        slot = this.hooks.slowpath ? this.hooks.slowpath(gfp, order, ac) : this.allocPagesSlowpath(gfp, order);
        this.acMigratetype = ac.migratetype;
      }
    }
    const pfn = slot < 0 ? -1 : slot + this.mem.pfnBase;
    if (this.trace) this.trace.mmPageAlloc(this.ctx(), pfn, order, gfp, this.acMigratetype);
    return pfn;
  }

  /**
   * Without the reclaim/compaction layers (a bare allocator): the start of
   * __alloc_pages_slowpath() only — wake kswapd, retry at the min watermark.
   */
  private allocPagesSlowpath(gfp: number, order: number): number {
    const allocFlags = this.gfpToAllocFlags(gfp, order);
    if ((allocFlags & ALLOC_KSWAPD) !== 0) this.wakeAllKswapds(gfp, order, this.allocContext());
    return this.getPageFromFreelist(gfp, order, allocFlags);
  }

  /**
   * The allocator's choice without watermark checks (fast-path free-list logic only), as
   * trace replay with kernel placement needs. Returns the pfn, or -1.
   */
  allocPagesNoWatermarks(gfp: number, order: number, nid = 0): number {
    if (!(order >= 0 && order < MAX_ORDER) || !this.prepareAllocPages(gfp, nid)) return -1;
    const preferred = this.acZonelist[this.acPreferred]!;
    const allocFlags = ALLOC_NO_WATERMARKS | this.allocFlagsNofragment(preferred, gfp);
    const slot = this.getPageFromFreelist(gfp, order, allocFlags);
    return slot < 0 ? -1 : slot + this.mem.pfnBase;
  }

  /**
   * Take the block [pfn, pfn + 2^order) out of the free lists wherever it sits inside a larger
   * free block, splitting the rest off as take_page_off_buddy()/break_down_buddy_pages() do.
   * Pages on pcp lists are drained back first. Returns false if the block is not wholly free.
   */
  allocPagesAt(pfn: number, order: number, gfp: number): boolean {
    if (!(order >= 0 && order < MAX_ORDER)) return false;
    const slot = pfn - this.mem.pfnBase;
    if (slot < 0 || slot + (1 << order) > this.mem.nrPages || (slot & ((1 << order) - 1)) !== 0) return false;
    const zone = this.zoneById[this.mem.zoneId(slot)];
    if (!zone || !zone.spansSlot(slot)) return false;
    if (!this.takeOffBuddy(zone, slot, order)) {
      this.drainAllPages(zone);
      if (!this.takeOffBuddy(zone, slot, order)) return false;
    }
    this.events.add(VmEvent.PGALLOC_DMA + zone.type, 1 << order);
    this.prepNewPage(slot, order, gfp);
    return true;
  }

  private takeOffBuddy(zone: Zone, target: number, order: number): boolean {
    const mem = this.mem;
    for (let o = order; o < MAX_ORDER; o++) {
      const head = target & ~((1 << o) - 1);
      if ((mem.flags[head]! & PG_buddy) === 0 || mem.private[head]! < o) continue;
      const headOrder = mem.private[head]!;
      const mt = mem.getPageblockMigratetype(head);
      this.delPageFromFreeList(head, zone, headOrder);
      // break_down_buddy_pages()
      let page = head;
      let high = headOrder;
      let size = 1 << high;
      while (high > order) {
        high--;
        size >>= 1;
        let buddy: number;
        if (target >= page + size) {
          buddy = page;
          page = page + size;
        } else {
          buddy = page + size;
        }
        this.addToFreeList(buddy, zone, high, mt, false);
        this.setBuddyOrder(buddy, high);
      }
      if (mt !== MigrateType.ISOLATE) zone.vmStat[ZoneStat.NR_FREE_PAGES]! -= 1 << order;
      return true;
    }
    return false;
  }

  private ctx(): TraceContext {
    this.traceCtx.cpu = this.cpu;
    if (this.timeSource) this.traceCtx.timeNs = this.timeSource.now;
    return this.traceCtx;
  }
}
