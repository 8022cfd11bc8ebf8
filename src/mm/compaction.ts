/**
 * Memory compaction (mm/compaction.c, 6.1): a migration scanner walks up from the zone start
 * isolating movable pages, a free scanner walks down from the zone end isolating free pages,
 * and migrate_pages() moves the former into the latter until the scanners meet or a block of
 * the requested order is free. Skip bits, cached scanner positions and deferral keep repeated
 * attempts cheap.
 *
 * The fast searches of the free lists (fast_isolate_freepages for any order > 0,
 * fast_find_migrateblock for costly orders) run before the linear scanners, as in 6.1.
 *
 * Simplifications: too_many_isolated() never throttles; no lock contention.
 */
import { MAX_ORDER, MigrateType, PAGEBLOCK_NR_PAGES, PAGEBLOCK_ORDER, PAGE_ALLOC_COSTLY_ORDER } from './constants.js';
import { fillContigPageInfo, fragmentationIndex, newContigPageInfo } from './extfrag.js';
import { ENOMEM, MigrateMode } from './filemap.js';
import { __GFP_FS, __GFP_IO, GFP_KERNEL, gfpMigratetype } from './gfp.js';
import type { Kernel } from './kernel.js';
import type { MemMap } from './memmap.js';
import { showGfpFlags } from '../trace/gfp_names.js';
import { compoundHead } from './huge_memory.js';
import { folioIsolateLru } from './lru.js';
import { COMPACTION_COST, CompactionStall } from './compaction_cost.js';
import { MigrateReason, type MigrationTarget, folioMapping, migratePages, newMigrateStats, putbackMovablePages } from './migrate.js';
import { ALLOC_CMA, ALLOC_WMARK_MASK } from './page_alloc.js';
import { PG_buddy, PG_dirty, PG_head, PG_isolated, PG_lru, PG_movable, PG_tail, PG_unevictable, PG_writeback } from './page_flags.js';
import { VmEvent, ZoneStat } from './vmstat.js';
import { WMARK_LOW, WMARK_MIN, type Zone } from './zone.js';

/** isolate_mode_t bits (include/linux/mmzone.h). */
export const ISOLATE_ASYNC_MIGRATE = 0x4;
export const ISOLATE_UNEVICTABLE = 0x8;

/** COMPACT_CLUSTER_MAX = SWAP_CLUSTER_MAX */
export const COMPACT_CLUSTER_MAX = 32;
export const COMPACT_MAX_DEFER_SHIFT = 6;
/** COMPACTION_HPAGE_ORDER: the order the proactive score is about. */
export const COMPACTION_HPAGE_ORDER = PAGEBLOCK_ORDER;

/** enum compact_result, in the order the kernel compares them with max(). */
export enum CompactResult {
  NOT_SUITABLE_ZONE,
  SKIPPED,
  DEFERRED,
  NO_SUITABLE_PAGE,
  CONTINUE,
  COMPLETE,
  PARTIAL_SKIPPED,
  CONTENDED,
  SUCCESS,
}
export const COMPACT_RESULT_NAMES = [
  'not_suitable_zone', 'skipped', 'deferred', 'no_suitable_page', 'continue', 'complete', 'partial_skipped',
  'contended', 'success',
] as const;

/** enum compact_priority: lower is more thorough. */
export enum CompactPriority {
  SYNC_FULL = 0,
  SYNC_LIGHT = 1,
  ASYNC = 2,
}
export const MIN_COMPACT_PRIORITY = CompactPriority.SYNC_FULL;
export const MIN_COMPACT_COSTLY_PRIORITY = CompactPriority.SYNC_LIGHT;
export const DEF_COMPACT_PRIORITY = CompactPriority.SYNC_LIGHT;
export const INIT_COMPACT_PRIORITY = CompactPriority.ASYNC;

/** struct compact_control (the fields that change outcomes). */
export class CompactControl {
  /** Isolated folios waiting to be migrated (pfns). */
  readonly migratepages: number[] = [];
  /** Isolated order-0 free pages the migration takes from (pfns), cc->freepages from freeHead on. */
  readonly freepages: number[] = [];
  /** Index of the list's head in `freepages` (taking from the head must not shift the array). */
  freeHead = 0;
  nrMigratepages = 0;
  nrFreepages = 0;
  totalMigrateScanned = 0;
  totalFreeScanned = 0;
  /** Pages isolated by both scanners in this run (what COMPACTISOLATED counted). */
  totalIsolated = 0;
  /** ns spent in migrate_pages() during this run. */
  migrateNs = 0;
  migratePfn = 0;
  freePfn = 0;
  migratetype = MigrateType.MOVABLE as number;
  /** cc->search_order: the free-list order fast_isolate_freepages() starts at. */
  searchOrder = 0;
  /** cc->fast_search_fail: consecutive failed fast searches (shrinks freelist_scan_limit()). */
  fastSearchFail = 0;
  /** cc->fast_start_pfn: lowest free pfn fast_find_migrateblock() used; FAST_START_DONE once spent. */
  fastStartPfn = 0;
  rescan = false;
  contended = false;
  zone!: Zone;

  constructor(
    /** -1 for compact_memory / proactive compaction. */
    readonly order: number,
    readonly gfpMask: number,
    readonly mode: MigrateMode,
    readonly opts: {
      allocFlags?: number;
      highestZoneidx?: number;
      directCompaction?: boolean;
      wholeZone?: boolean;
      ignoreSkipHint?: boolean;
      ignoreBlockSuitable?: boolean;
      proactiveCompaction?: boolean;
    } = {},
  ) {
    this.searchOrder = order;
  }

  wholeZone = false;
  get allocFlags(): number {
    return this.opts.allocFlags ?? 0;
  }
  get highestZoneidx(): number {
    return this.opts.highestZoneidx ?? 0;
  }
  get directCompaction(): boolean {
    return this.opts.directCompaction ?? false;
  }
  get ignoreSkipHint(): boolean {
    return this.opts.ignoreSkipHint ?? false;
  }
  get ignoreBlockSuitable(): boolean {
    return this.opts.ignoreBlockSuitable ?? false;
  }
  get proactive(): boolean {
    return this.opts.proactiveCompaction ?? false;
  }
}

/** ULONG_MAX in cc->fast_start_pfn: the cached start was used (reinit_migrate_pfn()). */
const FAST_START_DONE = Number.MAX_SAFE_INTEGER;

/** freelist_scan_limit(): fewer free-list entries per search after each failed fast search. */
function freelistScanLimit(cc: CompactControl): number {
  return (cc.fastSearchFail >= 31 ? 0 : COMPACT_CLUSTER_MAX >> cc.fastSearchFail) + 1;
}

const pageblockStartPfn = (pfn: number): number => pfn - (pfn & (PAGEBLOCK_NR_PAGES - 1));
const pageblockEndPfn = (pfn: number): number => pageblockStartPfn(pfn) + PAGEBLOCK_NR_PAGES;
const pageblockAligned = (pfn: number): boolean => (pfn & (PAGEBLOCK_NR_PAGES - 1)) === 0;
/** block_start_pfn()/block_end_pfn() for cc->order (order -1 means 1 page). */
const blockStartPfn = (pfn: number, order: number): number => (order < 0 ? pfn : pfn - (pfn & ((1 << order) - 1)));
const blockEndPfn = (pfn: number, order: number): number => blockStartPfn(pfn, order) + (order < 0 ? 1 : 1 << order);

export class Compaction {
  /** vm.extfrag_threshold */
  extfragThreshold = 500;
  /** vm.compaction_proactiveness */
  proactiveness = 20;
  /** Called after every isolate + migrate step of compact_zone() (tests run invariant checks here). */
  onStep: (() => void) | null = null;
  /** Stall time charged by compaction and migration (COMPACTION_COST); no task is delayed by it. */
  readonly stall = new CompactionStall();
  /** The duration of the last compact_zone() run, ns (set before mm_compaction_end is traced). */
  lastRunNs = 0;
  /** Called around each scanner pass (isolate_migratepages, isolate_freepages): the bench times them. */
  scanProbe: { start(): void; stop(): void } | null = null;
  private readonly contig = newContigPageInfo();

  constructor(private readonly k: Kernel) {}

  // --- deferral (defer_compaction and friends) ---

  deferCompaction(zone: Zone, order: number): void {
    zone.compactConsidered = 0;
    zone.compactDeferShift++;
    if (order < zone.compactOrderFailed) zone.compactOrderFailed = order;
    if (zone.compactDeferShift > COMPACT_MAX_DEFER_SHIFT) zone.compactDeferShift = COMPACT_MAX_DEFER_SHIFT;
    this.traceDefer('mm_compaction_defer_compaction', zone, order);
  }

  compactionDeferred(zone: Zone, order: number): boolean {
    const limit = 1 << zone.compactDeferShift;
    if (order < zone.compactOrderFailed) return false;
    if (++zone.compactConsidered >= limit) {
      zone.compactConsidered = limit;
      return false;
    }
    this.traceDefer('mm_compaction_deferred', zone, order);
    return true;
  }

  compactionDeferReset(zone: Zone, order: number, allocSuccess: boolean): void {
    if (allocSuccess) {
      zone.compactConsidered = 0;
      zone.compactDeferShift = 0;
    }
    if (order >= zone.compactOrderFailed) zone.compactOrderFailed = order + 1;
    this.traceDefer('mm_compaction_defer_reset', zone, order);
  }

  private compactionRestarting(zone: Zone, order: number): boolean {
    if (order < zone.compactOrderFailed) return false;
    return zone.compactDeferShift === COMPACT_MAX_DEFER_SHIFT && zone.compactConsidered >= 1 << zone.compactDeferShift;
  }

  // --- skip bits and cached positions ---

  private isolationSuitable(cc: CompactControl, pfn: number): boolean {
    return cc.ignoreSkipHint || !this.k.mem.getPageblockSkip(this.k.slot(pfn));
  }

  private resetCachedPositions(zone: Zone): void {
    zone.compactCachedMigratePfn[0] = zone.compactCachedMigratePfn[1] = zone.startPfn;
    zone.compactCachedFreePfn = pageblockStartPfn(zone.endPfn - 1);
  }

  /** pageblock_skip_persistent(): pfn is part of a compound page of at least pageblock order. */
  private pageblockSkipPersistent(pfn: number): boolean {
    if ((this.k.mem.flags[this.k.slot(pfn)]! & (PG_head | PG_tail)) === 0) return false;
    return this.k.mem.order[this.k.slot(compoundHead(this.k, pfn))]! >= PAGEBLOCK_ORDER;
  }

  /** __reset_isolation_pfn() */
  private resetIsolationPfn(zone: Zone, pfn: number, checkSource: boolean, checkTarget: boolean): boolean {
    const mem = this.k.mem;
    if (this.k.zoneOf(pfn) !== zone || this.pageblockSkipPersistent(pfn)) return false;
    if (checkSource && checkTarget && !mem.getPageblockSkip(this.k.slot(pfn))) return true;
    if (!checkSource && checkTarget && mem.getPageblockMigratetype(this.k.slot(pfn)) !== MigrateType.MOVABLE) return false;
    const start = Math.max(pageblockStartPfn(pfn), zone.startPfn);
    const end = Math.min(pageblockEndPfn(pfn) - 1, zone.endPfn - 1);
    for (let p = start; p <= end; p += 1 << PAGE_ALLOC_COSTLY_ORDER) {
      const f = mem.flags[this.k.slot(p)]!;
      if ((checkSource && (f & PG_lru) !== 0) || (checkTarget && (f & PG_buddy) !== 0)) {
        mem.setPageblockSkip(this.k.slot(p), false);
        return true;
      }
    }
    return false;
  }

  /** __reset_isolation_suitable(): clear skip bits once a full pass has been made. */
  resetIsolationSuitable(zone: Zone): void {
    let migratePfn = zone.startPfn;
    let freePfn = zone.endPfn - 1;
    let resetMigrate = freePfn;
    let resetFree = migratePfn;
    let sourceSet = false;
    let freeSet = false;
    if (!zone.compactBlockskipFlush) return;
    zone.compactBlockskipFlush = false;
    for (; migratePfn < freePfn; migratePfn += PAGEBLOCK_NR_PAGES, freePfn -= PAGEBLOCK_NR_PAGES) {
      if (this.resetIsolationPfn(zone, migratePfn, true, sourceSet) && migratePfn < resetMigrate) {
        sourceSet = true;
        resetMigrate = migratePfn;
        zone.compactInitMigratePfn = resetMigrate;
        zone.compactCachedMigratePfn[0] = zone.compactCachedMigratePfn[1] = resetMigrate;
      }
      if (this.resetIsolationPfn(zone, freePfn, freeSet, true) && freePfn > resetFree) {
        freeSet = true;
        resetFree = freePfn;
        zone.compactInitFreePfn = resetFree;
        zone.compactCachedFreePfn = resetFree;
      }
    }
    if (resetMigrate >= resetFree) {
      zone.compactCachedMigratePfn[0] = zone.compactCachedMigratePfn[1] = migratePfn;
      zone.compactCachedFreePfn = freePfn;
    }
  }

  /** test_and_set_skip() */
  private testAndSetSkip(cc: CompactControl, pfn: number): boolean {
    if (cc.ignoreSkipHint || !pageblockAligned(pfn)) return false;
    const s = this.k.slot(pfn);
    const skip = this.k.mem.getPageblockSkip(s);
    if (!skip) this.k.mem.setPageblockSkip(s, true);
    return skip;
  }

  private updateCachedMigrate(cc: CompactControl, pfn: number): void {
    const zone = cc.zone;
    pfn = pageblockEndPfn(pfn);
    if (pfn > zone.compactCachedMigratePfn[0]!) zone.compactCachedMigratePfn[0] = pfn;
    if (cc.mode !== MigrateMode.ASYNC && pfn > zone.compactCachedMigratePfn[1]!) zone.compactCachedMigratePfn[1] = pfn;
  }

  private updatePageblockSkip(cc: CompactControl, pfn: number): void {
    this.k.mem.setPageblockSkip(this.k.slot(pfn), true);
    if (pfn < cc.zone.compactCachedFreePfn) cc.zone.compactCachedFreePfn = pfn;
  }

  // --- suitability ---

  /** suitable_migration_source() */
  private suitableMigrationSource(cc: CompactControl, pfn: number): boolean {
    if (this.pageblockSkipPersistent(pfn)) return false;
    if (cc.mode !== MigrateMode.ASYNC || !cc.directCompaction) return true;
    const blockMt = this.k.mem.getPageblockMigratetype(this.k.slot(pfn));
    if (cc.migratetype === MigrateType.MOVABLE) return blockMt === MigrateType.MOVABLE;
    return blockMt === cc.migratetype;
  }

  /** suitable_migration_target() */
  private suitableMigrationTarget(cc: CompactControl, pfn: number): boolean {
    const s = this.k.slot(pfn);
    const mem = this.k.mem;
    if ((mem.flags[s]! & PG_buddy) !== 0 && mem.private[s]! >= PAGEBLOCK_ORDER) return false;
    if (cc.ignoreBlockSuitable) return true;
    return mem.getPageblockMigratetype(s) === MigrateType.MOVABLE;
  }

  /** pageblock_pfn_to_page(): the block's first page if [start, end) lies in the zone. */
  private pageblockInZone(start: number, end: number, zone: Zone): boolean {
    return start >= zone.startPfn && end - 1 < zone.endPfn && this.k.zoneOf(start) === zone && this.k.zoneOf(end - 1) === zone;
  }

  /** __compaction_suitable() */
  private compactionSuitableFree(zone: Zone, order: number, allocFlags: number, highestZoneidx: number, wmarkTarget: number): CompactResult {
    if (order < 0) return CompactResult.CONTINUE;
    const alloc = this.k.alloc;
    let watermark = zone.wmarkPages(allocFlags & ALLOC_WMARK_MASK);
    if (alloc.zoneWatermarkOk(zone, order, watermark, highestZoneidx, allocFlags, zone.vmStat[ZoneStat.NR_FREE_PAGES]!)) {
      return CompactResult.SUCCESS;
    }
    watermark = order > PAGE_ALLOC_COSTLY_ORDER ? zone.wmarkPages(WMARK_LOW) : zone.wmarkPages(WMARK_MIN);
    watermark += compactGap(order);
    if (!alloc.zoneWatermarkOk(zone, 0, watermark, highestZoneidx, ALLOC_CMA, wmarkTarget)) return CompactResult.SKIPPED;
    return CompactResult.CONTINUE;
  }

  /** compaction_suitable(): with the fragmentation index gate for costly orders. */
  compactionSuitable(zone: Zone, order: number, allocFlags: number, highestZoneidx: number): CompactResult {
    let ret = this.compactionSuitableFree(zone, order, allocFlags, highestZoneidx, zone.vmStat[ZoneStat.NR_FREE_PAGES]!);
    if (ret === CompactResult.CONTINUE && order > PAGE_ALLOC_COSTLY_ORDER) {
      const fragindex = this.fragmentationIndex(zone, order);
      if (fragindex >= 0 && fragindex <= this.extfragThreshold) ret = CompactResult.NOT_SUITABLE_ZONE;
    }
    if (this.k.eventTrace) this.traceZoneResult('mm_compaction_suitable', zone, order, ret);
    return ret === CompactResult.NOT_SUITABLE_ZONE ? CompactResult.SKIPPED : ret;
  }

  private traceZoneResult(name: string, zone: Zone, order: number, ret: CompactResult): void {
    this.k.traceEvent(name, `node=${zone.nid} zone=${zone.name.padEnd(8)} order=${order} ret=${COMPACT_RESULT_NAMES[ret]}`);
  }

  private traceDefer(name: string, zone: Zone, order: number): void {
    if (!this.k.eventTrace) return;
    this.k.traceEvent(
      name,
      `node=${zone.nid} zone=${zone.name.padEnd(8)} order=${order} order_failed=${zone.compactOrderFailed} consider=${zone.compactConsidered} limit=${1 << zone.compactDeferShift}`,
    );
  }

  /** compaction_zonelist_suitable(): would compaction help if reclaim freed what it could? */
  compactionZonelistSuitable(zones: readonly Zone[], order: number, allocFlags: number, highestZoneidx: number, reclaimable: (z: Zone) => number): boolean {
    for (const zone of zones) {
      if (zone.type > highestZoneidx) continue;
      const available = Math.floor(reclaimable(zone) / order) + zone.vmStat[ZoneStat.NR_FREE_PAGES]!;
      if (this.compactionSuitableFree(zone, order, allocFlags, highestZoneidx, available) === CompactResult.CONTINUE) return true;
    }
    return false;
  }

  fragmentationIndex(zone: Zone, order: number): number {
    return fragmentationIndex(order, fillContigPageInfo(zone.nrFree, order, this.contig));
  }

  /** fragmentation_score_zone(): extfrag_for_order(zone, COMPACTION_HPAGE_ORDER). */
  fragmentationScoreZone(zone: Zone): number {
    const info = fillContigPageInfo(zone.nrFree, COMPACTION_HPAGE_ORDER, this.contig);
    if (!info.freePages) return 0;
    return Math.floor(((info.freePages - (info.freeBlocksSuitable << COMPACTION_HPAGE_ORDER)) * 100) / info.freePages);
  }

  /** fragmentation_score_node(): zone scores weighted by present pages. */
  fragmentationScoreNode(nid: number): number {
    const node = this.k.nodes[nid]!;
    let present = 0;
    for (const z of node.zones) present += z.present;
    let score = 0;
    for (const z of node.zones) score += Math.floor((z.present * this.fragmentationScoreZone(z)) / (present + 1));
    return score;
  }

  /** fragmentation_score_wmark() */
  fragmentationScoreWmark(low: boolean): number {
    const wmarkLow = Math.max(100 - this.proactiveness, 5);
    return low ? wmarkLow : Math.min(wmarkLow + 10, 100);
  }

  // --- the scanners ---

  /** compact_scanners_met() */
  private scannersMet(cc: CompactControl): boolean {
    return cc.freePfn >> PAGEBLOCK_ORDER <= cc.migratePfn >> PAGEBLOCK_ORDER;
  }

  /**
   * isolate_migratepages_block(): isolate LRU (and non-LRU movable) pages of [lowPfn, endPfn)
   * that migration could move, up to COMPACT_CLUSTER_MAX.
   */
  private isolateMigratepagesBlock(cc: CompactControl, lowPfn: number, endPfn: number, isolateUnevictable: boolean, isolateAsync: boolean): void {
    const k = this.k;
    const isolateMode = (isolateUnevictable ? ISOLATE_UNEVICTABLE : 0) | (isolateAsync ? ISOLATE_ASYNC_MIGRATE : 0);
    const mem = k.mem;
    let nrScanned = 0;
    let nrIsolated = 0;
    let validPage = -1;
    let skipUpdated = false;
    let skipOnFailure = false;
    let nextSkipPfn = 0;
    const startPfn = lowPfn;
    cc.migratePfn = lowPfn;
    if (cc.directCompaction && cc.mode === MigrateMode.ASYNC) {
      skipOnFailure = true;
      nextSkipPfn = blockEndPfn(lowPfn, cc.order);
    }
    for (; lowPfn < endPfn; lowPfn++) {
      if (skipOnFailure && lowPfn >= nextSkipPfn) {
        if (nrIsolated) break;
        nextSkipPfn = blockEndPfn(lowPfn, cc.order);
      }
      nrScanned++;
      const s = k.slot(lowPfn);
      if (validPage < 0 && pageblockAligned(lowPfn)) {
        if (!this.isolationSuitable(cc, lowPfn)) {
          lowPfn = endPfn;
          break;
        }
        validPage = lowPfn;
      }
      const flags = mem.flags[s]!;
      let ok = false;
      if ((flags & PG_buddy) !== 0) {
        const order = mem.private[s]!;
        if (order > 0 && order < MAX_ORDER) lowPfn += (1 << order) - 1;
        continue;
      }
      if ((flags & PG_head) !== 0) {
        // Compound pages (THP) are not compacted unless allocating something much larger (6.1).
        lowPfn += (1 << mem.order[s]!) - 1;
      } else if ((flags & PG_lru) === 0) {
        if ((flags & PG_movable) !== 0 && (flags & PG_isolated) === 0) ok = this.isolateMovablePage(lowPfn, isolateMode);
      } else if (this.lruPageIsolatable(cc, lowPfn, flags, isolateUnevictable, isolateAsync)) {
        if (!skipUpdated) {
          skipUpdated = true;
          if (this.testAndSetSkip(cc, lowPfn)) break; // another compactor has this block
        }
        ok = folioIsolateLru(k, lowPfn);
      }
      if (ok) {
        cc.migratepages.unshift(lowPfn); // list_add(): at the head, so the last isolated moves first
        cc.nrMigratepages++;
        nrIsolated++;
        if (cc.nrMigratepages >= COMPACT_CLUSTER_MAX && !cc.rescan && !cc.contended) {
          lowPfn++;
          break;
        }
        continue;
      }
      // isolate_fail
      if (!skipOnFailure) continue;
      if (nrIsolated) {
        putbackMovablePages(k, cc.migratepages);
        cc.nrMigratepages = 0;
        nrIsolated = 0;
      }
      if (lowPfn < nextSkipPfn) {
        lowPfn = nextSkipPfn - 1;
        nextSkipPfn += cc.order < 0 ? 1 : 1 << cc.order;
      }
    }
    if (lowPfn > endPfn) lowPfn = endPfn;
    if (lowPfn === endPfn && (!nrIsolated || cc.rescan)) {
      if (validPage >= 0 && !skipUpdated) k.mem.setPageblockSkip(k.slot(validPage), true);
      this.updateCachedMigrate(cc, lowPfn);
    }
    if (k.eventTrace) k.traceEvent('mm_compaction_isolate_migratepages', `range=(0x${startPfn.toString(16)} ~ 0x${lowPfn.toString(16)}) nr_scanned=${nrScanned} nr_taken=${nrIsolated}`);
    cc.totalMigrateScanned += nrScanned;
    cc.totalIsolated += nrIsolated;
    if (nrIsolated) k.alloc.events.add(VmEvent.COMPACT_ISOLATED, nrIsolated);
    cc.migratePfn = lowPfn;
  }

  /** The per-page checks of isolate_migratepages_block() for an LRU page. */
  private lruPageIsolatable(cc: CompactControl, pfn: number, flags: number, isolateUnevictable: boolean, isolateAsync: boolean): boolean {
    const k = this.k;
    const s = k.slot(pfn);
    const mapping = folioMapping(k, pfn);
    // An anon page with more references than mappings is pinned: migration would fail anyway.
    if (!mapping && k.mem.refcount[s]! > k.mem.mapcount[s]!) return false;
    if ((cc.gfpMask & __GFP_FS) === 0 && mapping) return false;
    if (!isolateUnevictable && (flags & PG_unevictable) !== 0) return false;
    if (isolateAsync && (flags & PG_writeback) !== 0) return false;
    // Async mode migrates dirty pages only where the mapping can do so without writeback.
    if (isolateAsync && (flags & PG_dirty) !== 0 && mapping && !mapping.aops.migrateFolio) return false;
    return true;
  }

  /** isolate_movable_page(): the driver's isolate_page() gets the compaction's isolate_mode_t. */
  private isolateMovablePage(pfn: number, mode: number): boolean {
    const k = this.k;
    const s = k.slot(pfn);
    const ops = k.owners.get(k.mem.mapping[s]!)?.movableOps;
    if (!ops) return false;
    k.getPage(pfn);
    if (!ops.isolatePage(pfn, mode)) {
      k.putPage(pfn);
      return false;
    }
    k.mem.flags[s]! |= PG_isolated;
    return true;
  }

  /** update_fast_start_pfn(): remember the lowest free pfn the fast search started from. */
  private updateFastStartPfn(cc: CompactControl, pfn: number): void {
    if (cc.fastStartPfn === FAST_START_DONE) return;
    if (!cc.fastStartPfn || pfn < cc.fastStartPfn) cc.fastStartPfn = pfn;
  }

  /** reinit_migrate_pfn(): after a failed fast search, scan linearly from that pfn (once). */
  private reinitMigratePfn(cc: CompactControl): number {
    if (!cc.fastStartPfn || cc.fastStartPfn === FAST_START_DONE) return cc.migratePfn;
    cc.migratePfn = cc.fastStartPfn;
    cc.fastStartPfn = FAST_START_DONE;
    return cc.migratePfn;
  }

  /**
   * fast_find_migrateblock(): for costly orders, start the migration scanner at a MOVABLE
   * pageblock low in the zone that already has a free block of order >= 3, to free it faster.
   */
  private fastFindMigrateblock(cc: CompactControl): number {
    let pfn = cc.migratePfn;
    const zone = cc.zone;
    if (cc.ignoreSkipHint) return pfn; // the skip bits keep the fast search from repeating itself
    if (pfn !== zone.startPfn && pfn !== pageblockStartPfn(pfn)) return pfn; // a continued block
    if (cc.order <= PAGE_ALLOC_COSTLY_ORDER) return pfn; // small orders: linear is enough
    if (cc.directCompaction && cc.migratetype !== MigrateType.MOVABLE) return pfn;
    const k = this.k;
    const mem = k.mem;
    const limit = freelistScanLimit(cc);
    let nrScanned = 0;
    let found = false;
    // Within the first half of the scan space when starting, else the first eighth.
    let distance = (cc.freePfn - cc.migratePfn) >> 1;
    if (cc.migratePfn !== zone.startPfn) distance >>= 2;
    const highPfn = pageblockStartPfn(cc.migratePfn + distance);
    for (let order = cc.order - 1; order >= PAGE_ALLOC_COSTLY_ORDER && !found && nrScanned < limit; order--) {
      if (!zone.nrFree[order]) continue;
      const head = zone.freeListHead(order, MigrateType.MOVABLE);
      for (let s = mem.next[head]!; s !== head; s = mem.next[s]!) {
        if (nrScanned++ >= limit) {
          moveFreelistTail(mem, head, s);
          break;
        }
        const freePfn = k.pfn(s);
        if (freePfn >= highPfn) continue;
        if (mem.getPageblockSkip(s)) continue; // skipped recently
        moveFreelistTail(mem, head, s);
        this.updateFastStartPfn(cc, freePfn);
        pfn = Math.max(pageblockStartPfn(freePfn), zone.startPfn);
        cc.fastSearchFail = 0;
        found = true;
        mem.setPageblockSkip(s, true);
        break;
      }
    }
    cc.totalMigrateScanned += nrScanned;
    if (!found) {
      cc.fastSearchFail++;
      pfn = this.reinitMigratePfn(cc);
    }
    return pfn;
  }

  /** isolate_migratepages(): find the next suitable pageblock and isolate from it. */
  private isolateMigratepages(cc: CompactControl): boolean {
    const unevictable = this.k.vm.compactUnevictableAllowed;
    const isolateAsync = cc.mode !== MigrateMode.SYNC;
    let lowPfn = this.fastFindMigrateblock(cc);
    let blockStart = Math.max(pageblockStartPfn(lowPfn), cc.zone.startPfn);
    let blockEnd = pageblockEndPfn(lowPfn);
    // The fast search set the block's skip bit itself: do not let that reject it.
    let fastFindBlock = lowPfn !== cc.migratePfn && !cc.fastSearchFail;
    for (; blockEnd <= cc.freePfn; fastFindBlock = false, cc.migratePfn = lowPfn = blockEnd, blockStart = blockEnd, blockEnd += PAGEBLOCK_NR_PAGES) {
      if (!this.pageblockInZone(blockStart, blockEnd, cc.zone)) continue;
      if (pageblockAligned(lowPfn) && !fastFindBlock && !this.isolationSuitable(cc, blockStart)) continue;
      if (!this.suitableMigrationSource(cc, blockStart)) {
        this.updateCachedMigrate(cc, blockEnd);
        continue;
      }
      this.isolateMigratepagesBlock(cc, lowPfn, blockEnd, unevictable, isolateAsync);
      break;
    }
    return cc.nrMigratepages > 0;
  }

  /**
   * __isolate_free_page() + split_map_pages() for one free block: its pages join cc->freepages
   * as order-0 pages with a reference each. Returns the pages taken (0: below the min watermark).
   */
  private takeFreeBlock(cc: CompactControl, pfn: number, order: number): number {
    const s = this.k.slot(pfn);
    const isolated = this.k.alloc.isolateFreePage(s, order);
    const mem = this.k.mem;
    for (let i = 0; i < isolated; i++) {
      mem.refcount[s + i] = 1;
      cc.freepages.push(pfn + i);
    }
    cc.nrFreepages += isolated;
    return isolated;
  }

  /** Where the last isolate_freepages_block() stopped (its *start_pfn out-parameter). */
  private freeBlockPfn = 0;

  /**
   * isolate_freepages_block(): take free blocks of [startPfn, endPfn) (stride in async mode).
   * Returns the pages taken; where the scan stopped is left in freeBlockPfn.
   */
  private isolateFreepagesBlock(cc: CompactControl, startPfn: number, endPfn: number, stride: number): number {
    const k = this.k;
    const mem = k.mem;
    let nrScanned = 0;
    let total = 0;
    let blockpfn = startPfn;
    for (; blockpfn < endPfn; blockpfn += stride) {
      nrScanned++;
      const s = k.slot(blockpfn);
      const flags = mem.flags[s]!;
      if ((flags & PG_head) !== 0) {
        blockpfn += (1 << mem.order[s]!) - 1;
        continue;
      }
      if ((flags & PG_buddy) === 0) continue;
      const isolated = this.takeFreeBlock(cc, blockpfn, mem.private[s]!);
      if (!isolated) break;
      nrScanned += isolated - 1;
      total += isolated;
      if (cc.nrMigratepages <= cc.nrFreepages) {
        blockpfn += isolated;
        break;
      }
      blockpfn += isolated - 1;
    }
    if (blockpfn > endPfn) blockpfn = endPfn;
    if (k.eventTrace) k.traceEvent('mm_compaction_isolate_freepages', `range=(0x${startPfn.toString(16)} ~ 0x${blockpfn.toString(16)}) nr_scanned=${nrScanned} nr_taken=${total}`);
    cc.totalFreeScanned += nrScanned;
    cc.totalIsolated += total;
    if (total) k.alloc.events.add(VmEvent.COMPACT_ISOLATED, total);
    this.freeBlockPfn = blockpfn;
    return total;
  }

  /** fast_isolate_around(): fill up from the rest of the pageblock the fast search took from. */
  private fastIsolateAround(cc: CompactControl, pfn: number): void {
    if (cc.nrFreepages >= cc.nrMigratepages) return;
    if (cc.directCompaction && cc.mode === MigrateMode.ASYNC) return; // minimise async scanning
    const zone = cc.zone;
    const start = Math.max(pageblockStartPfn(pfn), zone.startPfn);
    const end = Math.min(pageblockEndPfn(pfn), zone.endPfn);
    if (!this.pageblockInZone(start, end, zone)) return;
    this.isolateFreepagesBlock(cc, start, end, 1);
    // The block is full or nearly so: skip it from now on.
    if (cc.nrFreepages < cc.nrMigratepages) this.k.mem.setPageblockSkip(this.k.slot(start), true);
  }

  /** next_search_order(): orders below cc->order round-robin; -1 once the search wrapped. */
  private nextSearchOrder(cc: CompactControl, order: number): number {
    order--;
    if (order < 0) order = cc.order - 1;
    if (order === cc.searchOrder) {
      cc.searchOrder--;
      if (cc.searchOrder < 0) cc.searchOrder = cc.order - 1;
      return -1;
    }
    return order;
  }

  /**
   * fast_isolate_freepages(): take a free block of an order below cc->order from the tail of a
   * MOVABLE free list, preferring the top quarter of the scan space (top half as fallback).
   * At the start of a scan a failed search moves the free scanner down to the highest block
   * seen, or (direct compaction) to the middle of the scan space.
   */
  private fastIsolateFreepages(cc: CompactControl): void {
    if (cc.order <= 0) return; // full compaction
    const k = this.k;
    const mem = k.mem;
    const zone = cc.zone;
    let limit = Math.max(1, freelistScanLimit(cc) >> 1);
    let nrScanned = 0;
    let highest = 0;
    let page = -1;
    let scanStart = false;
    if (cc.freePfn >= zone.compactInitFreePfn) {
      limit = PAGEBLOCK_NR_PAGES >> 1;
      scanStart = true;
    }
    const distance = cc.freePfn - cc.migratePfn;
    let lowPfn = pageblockStartPfn(cc.freePfn - (distance >> 2));
    const minPfn = pageblockStartPfn(cc.freePfn - (distance >> 1));
    if (minPfn > lowPfn) lowPfn = minPfn;
    cc.searchOrder = Math.min(cc.order - 1, cc.searchOrder);
    for (let order = cc.searchOrder; page < 0 && order >= 0; order = this.nextSearchOrder(cc, order)) {
      if (!zone.nrFree[order]) continue;
      const head = zone.freeListHead(order, MigrateType.MOVABLE);
      let orderScanned = 0;
      let highPfn = 0;
      // list_for_each_entry_reverse(): a scan that runs out ends on the head itself.
      let freepage = mem.prev[head]!;
      for (; freepage !== head; freepage = mem.prev[freepage]!) {
        orderScanned++;
        nrScanned++;
        const pfn = k.pfn(freepage);
        if (pfn >= highest) highest = Math.max(pageblockStartPfn(pfn), zone.startPfn);
        if (pfn >= lowPfn) {
          cc.fastSearchFail = 0;
          cc.searchOrder = order;
          page = pfn;
          break;
        }
        if (pfn >= minPfn && pfn > highPfn) {
          highPfn = pfn;
          limit >>= 1; // a candidate shortens the scan
        }
        if (orderScanned >= limit) break;
      }
      if (page < 0 && highPfn) {
        page = highPfn;
        freepage = k.slot(highPfn);
      }
      moveFreelistHead(mem, head, freepage);
      if (page >= 0) {
        const isolated = this.takeFreeBlock(cc, page, order);
        if (isolated) {
          nrScanned += isolated - 1;
          cc.totalIsolated += isolated;
          k.alloc.events.add(VmEvent.COMPACT_ISOLATED, isolated);
        } else {
          order = cc.searchOrder + 1; // isolation failed: abort the search
          page = -1;
        }
      }
      if (orderScanned >= limit) limit = Math.max(1, limit >> 1);
    }
    if (page < 0) {
      cc.fastSearchFail++;
      if (scanStart) {
        // Use the highest block seen above min_pfn, else (direct compaction) min_pfn itself.
        if (highest >= minPfn) {
          page = highest;
          cc.freePfn = highest;
        } else if (cc.directCompaction && minPfn >= zone.startPfn && minPfn < zone.endPfn) {
          if (this.pageblockInZone(minPfn, Math.min(pageblockEndPfn(minPfn), zone.endPfn), zone)) page = minPfn;
          cc.freePfn = minPfn;
        }
      }
    }
    if (highest && highest >= zone.compactCachedFreePfn) zone.compactCachedFreePfn = highest - PAGEBLOCK_NR_PAGES;
    cc.totalFreeScanned += nrScanned;
    if (page >= 0) this.fastIsolateAround(cc, page);
  }

  /** isolate_freepages(): the fast search, else walk down from cc.freePfn to the migration scanner. */
  private isolateFreepages(cc: CompactControl): void {
    this.fastIsolateFreepages(cc);
    if (cc.nrFreepages === 0) this.isolateFreepagesLinear(cc);
    // split_map_pages() list_add()s every page to a new list: compaction_alloc() takes the
    // highest-pfn page of the last block isolated first.
    cc.freepages.reverse();
  }

  /** The linear scanner of isolate_freepages(): block by block down to the migration scanner, stride growing while nothing is found. */
  private isolateFreepagesLinear(cc: CompactControl): void {
    const zone = cc.zone;
    let isolateStartPfn = cc.freePfn;
    let blockStart = pageblockStartPfn(isolateStartPfn);
    let blockEnd = Math.min(blockStart + PAGEBLOCK_NR_PAGES, zone.endPfn);
    const lowPfn = pageblockEndPfn(cc.migratePfn);
    let stride = cc.mode === MigrateMode.ASYNC ? COMPACT_CLUSTER_MAX : 1;
    for (; blockStart >= lowPfn; blockEnd = blockStart, blockStart -= PAGEBLOCK_NR_PAGES, isolateStartPfn = blockStart) {
      if (!this.pageblockInZone(Math.max(blockStart, zone.startPfn), blockEnd, zone)) continue;
      if (!this.suitableMigrationTarget(cc, blockStart)) continue;
      if (!this.isolationSuitable(cc, blockStart)) continue;
      const isolated = this.isolateFreepagesBlock(cc, isolateStartPfn, blockEnd, stride);
      isolateStartPfn = this.freeBlockPfn;
      if (isolateStartPfn === blockEnd) this.updatePageblockSkip(cc, blockStart);
      if (cc.nrFreepages >= cc.nrMigratepages) {
        if (isolateStartPfn >= blockEnd) isolateStartPfn = blockStart - PAGEBLOCK_NR_PAGES;
        break;
      } else if (isolateStartPfn < blockEnd) {
        break;
      }
      stride = isolated ? 1 : Math.min(COMPACT_CLUSTER_MAX, stride << 1);
    }
    cc.freePfn = isolateStartPfn;
  }

  /** compaction_alloc() / compaction_free() as a migration target. */
  private target(cc: CompactControl): MigrationTarget {
    return {
      getNewPage: () => {
        if (cc.freeHead === cc.freepages.length) {
          cc.freepages.length = cc.freeHead = 0;
          this.scanProbe?.start();
          this.isolateFreepages(cc);
          this.scanProbe?.stop();
          if (cc.freepages.length === 0) return -1;
        }
        cc.nrFreepages--;
        return cc.freepages[cc.freeHead++]!;
      },
      putNewPage: (pfn: number) => {
        if (cc.freeHead > 0) cc.freepages[--cc.freeHead] = pfn; // list_add() at the head
        else cc.freepages.unshift(pfn);
        cc.nrFreepages++;
      },
    };
  }

  /** release_freepages(): give unused free pages back; returns the highest pfn. */
  private releaseFreepages(cc: CompactControl): number {
    let high = 0;
    for (let i = cc.freeHead; i < cc.freepages.length; i++) {
      const pfn = cc.freepages[i]!;
      if (pfn > high) high = pfn;
      this.k.putPage(pfn);
    }
    cc.freepages.length = cc.freeHead = 0;
    return high;
  }

  /** compact_finished(): __compact_finished() traced, with NO_SUITABLE_PAGE meaning go on. */
  private compactFinished(cc: CompactControl): CompactResult {
    const ret = this.compactFinishedInner(cc);
    if (this.k.eventTrace) this.traceZoneResult('mm_compaction_finished', cc.zone, cc.order, ret);
    return ret === CompactResult.NO_SUITABLE_PAGE ? CompactResult.CONTINUE : ret;
  }

  /** __compact_finished() */
  private compactFinishedInner(cc: CompactControl): CompactResult {
    const zone = cc.zone;
    if (this.scannersMet(cc)) {
      this.resetCachedPositions(zone);
      if (cc.directCompaction) zone.compactBlockskipFlush = true;
      return cc.wholeZone ? CompactResult.COMPLETE : CompactResult.PARTIAL_SKIPPED;
    }
    if (cc.proactive) {
      if (this.k.kcompactd.kswapdRunning(zone.nid)) return CompactResult.PARTIAL_SKIPPED; // kswapd_is_running(): back off
      const score = this.fragmentationScoreZone(zone);
      return score > this.fragmentationScoreWmark(true) ? CompactResult.CONTINUE : CompactResult.SUCCESS;
    }
    if (cc.order < 0) return CompactResult.CONTINUE;
    if (!pageblockAligned(cc.migratePfn)) return CompactResult.CONTINUE;
    const alloc = this.k.alloc;
    const mem = this.k.mem;
    for (let order = cc.order; order < MAX_ORDER; order++) {
      if (!mem.listEmpty(zone.freeListHead(order, cc.migratetype))) return CompactResult.SUCCESS;
      if (alloc.findSuitableFallback(zone, order, cc.migratetype, true) !== -1) return CompactResult.SUCCESS;
    }
    return cc.contended ? CompactResult.CONTENDED : CompactResult.NO_SUITABLE_PAGE;
  }

  /** compact_zone() */
  compactZone(cc: CompactControl, zone: Zone): CompactResult {
    const k = this.k;
    cc.zone = zone;
    cc.wholeZone = cc.opts.wholeZone ?? false;
    const startPfn = zone.startPfn;
    const endPfn = zone.endPfn;
    const sync = cc.mode !== MigrateMode.ASYNC ? 1 : 0;
    cc.totalMigrateScanned = cc.totalFreeScanned = cc.nrMigratepages = cc.nrFreepages = 0;
    cc.totalIsolated = cc.migrateNs = 0;
    cc.migratetype = gfpMigratetype(cc.gfpMask, k.alloc.groupByMobilityDisabled);
    let ret = this.compactionSuitable(zone, cc.order, cc.allocFlags, cc.highestZoneidx);
    if (ret === CompactResult.SUCCESS || ret === CompactResult.SKIPPED) return ret;
    if (this.compactionRestarting(zone, cc.order)) this.resetIsolationSuitable(zone);
    cc.fastStartPfn = 0;
    if (cc.wholeZone) {
      cc.migratePfn = startPfn;
      cc.freePfn = pageblockStartPfn(endPfn - 1);
    } else {
      cc.migratePfn = zone.compactCachedMigratePfn[sync]!;
      cc.freePfn = zone.compactCachedFreePfn;
      if (cc.freePfn < startPfn || cc.freePfn >= endPfn) {
        cc.freePfn = pageblockStartPfn(endPfn - 1);
        zone.compactCachedFreePfn = cc.freePfn;
      }
      if (cc.migratePfn < startPfn || cc.migratePfn >= endPfn) {
        cc.migratePfn = startPfn;
        zone.compactCachedMigratePfn[0] = zone.compactCachedMigratePfn[1] = startPfn;
      }
      if (cc.migratePfn <= zone.compactInitMigratePfn) cc.wholeZone = true;
    }
    let lastMigratedPfn = 0;
    let updateCached = !sync && zone.compactCachedMigratePfn[0] === zone.compactCachedMigratePfn[1];
    const target = this.target(cc);
    const hex = (n: number): string => `0x${n.toString(16)}`;
    const modeName = sync ? 'sync' : 'async';
    if (k.eventTrace) {
      k.traceEvent('mm_compaction_begin', `zone_start=${hex(startPfn)} migrate_pfn=${hex(cc.migratePfn)} free_pfn=${hex(cc.freePfn)} zone_end=${hex(endPfn)}, mode=${modeName}`);
    }
    while ((ret = this.compactFinished(cc)) === CompactResult.CONTINUE) {
      const iterationStartPfn = cc.migratePfn;
      cc.rescan = pageblockStartPfn(lastMigratedPfn) === pageblockStartPfn(iterationStartPfn);
      this.scanProbe?.start();
      const isolated = this.isolateMigratepages(cc);
      this.scanProbe?.stop();
      if (!isolated) {
        if (updateCached) zone.compactCachedMigratePfn[1] = zone.compactCachedMigratePfn[0]!;
      } else {
        updateCached = false;
        lastMigratedPfn = iterationStartPfn;
        const stats = newMigrateStats();
        const err = migratePages(k, cc.migratepages, target, cc.mode, MigrateReason.COMPACTION, stats);
        cc.migrateNs += stats.durationNs;
        if (k.eventTrace) k.traceEvent('mm_compaction_migratepages', `nr_migrated=${stats.nrSucceeded} nr_failed=${cc.nrMigratepages - stats.nrSucceeded}`);
        cc.nrMigratepages = 0;
        if (err) {
          putbackMovablePages(k, cc.migratepages);
          if (err === -ENOMEM && !this.scannersMet(cc)) {
            ret = CompactResult.CONTENDED;
            break;
          }
          if (cc.directCompaction && cc.mode === MigrateMode.ASYNC) {
            cc.migratePfn = blockEndPfn(cc.migratePfn - 1, cc.order);
            lastMigratedPfn = 0;
          }
        }
      }
      // check_drain: flush freed pages once the scanner left the cc->order block it migrated from.
      if (cc.order > 0 && lastMigratedPfn) {
        if (lastMigratedPfn < blockStartPfn(cc.migratePfn, cc.order)) {
          k.alloc.drainPagesZone(zone, k.alloc.cpu);
          lastMigratedPfn = 0;
        }
      }
      this.onStep?.();
      const capc = k.alloc.capc;
      if (capc && capc.page >= 0) {
        ret = CompactResult.SUCCESS;
        break;
      }
    }
    if (cc.freepages.length > cc.freeHead) {
      const freePfn = pageblockStartPfn(this.releaseFreepages(cc));
      cc.nrFreepages = 0;
      if (freePfn > zone.compactCachedFreePfn) zone.compactCachedFreePfn = freePfn;
    }
    const ev = k.alloc.events;
    ev.add(VmEvent.COMPACT_MIGRATE_SCANNED, cc.totalMigrateScanned);
    ev.add(VmEvent.COMPACT_FREE_SCANNED, cc.totalFreeScanned);
    this.chargeRun(cc);
    if (k.eventTrace) {
      k.traceEvent(
        'mm_compaction_end',
        `zone_start=${hex(startPfn)} migrate_pfn=${hex(cc.migratePfn)} free_pfn=${hex(cc.freePfn)} zone_end=${hex(endPfn)}, mode=${modeName} status=${COMPACT_RESULT_NAMES[ret]}`,
      );
    }
    return ret;
  }

  /**
   * The run's duration: scanning and isolation (charged here to the current task) plus its
   * migrate_pages() calls (charged by migratePages()).
   */
  private chargeRun(cc: CompactControl): void {
    const c = COMPACTION_COST;
    const own = cc.totalMigrateScanned * c.migrateScanNsPerPfn + cc.totalFreeScanned * c.freeScanNsPerPfn + cc.totalIsolated * c.isolateNsPerPage;
    this.stall.charge(this.k.current, own);
    this.lastRunNs = own + cc.migrateNs;
    this.stall.compactionNs += this.lastRunNs;
  }

  /**
   * compact_zone_order() with capture: direct compaction of one zone at a priority. Returns the
   * result and the captured block's pfn (or -1).
   */
  compactZoneOrder(zone: Zone, order: number, gfp: number, prio: CompactPriority, allocFlags: number, highestZoneidx: number): { result: CompactResult; captured: number } {
    const cc = new CompactControl(order, gfp, prio === CompactPriority.ASYNC ? MigrateMode.ASYNC : MigrateMode.SYNC_LIGHT, {
      allocFlags,
      highestZoneidx,
      directCompaction: true,
      wholeZone: prio === MIN_COMPACT_PRIORITY,
      ignoreSkipHint: prio === MIN_COMPACT_PRIORITY,
      ignoreBlockSuitable: prio === MIN_COMPACT_PRIORITY,
    });
    const alloc = this.k.alloc;
    const capc = { zone, order, page: -1 };
    alloc.capc = capc;
    let result: CompactResult;
    try {
      result = this.compactZone(cc, zone);
    } finally {
      alloc.capc = null;
    }
    const captured = capc.page >= 0 ? this.k.pfn(capc.page) : -1;
    if (captured >= 0) result = CompactResult.SUCCESS;
    return { result, captured };
  }

  /**
   * try_to_compact_pages(): direct compaction over the zonelist, honouring deferral below the
   * highest priority. Returns the best result and a captured pfn (or -1).
   */
  tryToCompactPages(gfp: number, order: number, allocFlags: number, zones: readonly Zone[], highestZoneidx: number, prio: CompactPriority): { result: CompactResult; captured: number } {
    let rc = CompactResult.SKIPPED;
    if ((gfp & __GFP_IO) === 0) return { result: rc, captured: -1 }; // gfp_compaction_allowed()
    if (this.k.eventTrace) this.k.traceEvent('mm_compaction_try_to_compact_pages', `order=${order} gfp_mask=${showGfpFlags(gfp)} priority=${prio}`);
    for (const zone of zones) {
      if (zone.type > highestZoneidx) continue;
      if (prio > MIN_COMPACT_PRIORITY && this.compactionDeferred(zone, order)) {
        rc = Math.max(CompactResult.DEFERRED, rc);
        continue;
      }
      const { result, captured } = this.compactZoneOrder(zone, order, gfp, prio, allocFlags, highestZoneidx);
      rc = Math.max(result, rc);
      if (result === CompactResult.SUCCESS) {
        this.compactionDeferReset(zone, order, false);
        return { result: rc, captured };
      }
      if (prio !== CompactPriority.ASYNC && (result === CompactResult.COMPLETE || result === CompactResult.PARTIAL_SKIPPED)) {
        this.deferCompaction(zone, order);
      }
    }
    return { result: rc, captured: -1 };
  }

  /** compact_node() / compact_nodes(): what `echo 1 > /proc/sys/vm/compact_memory` does. */
  compactMemory(nid?: number): void {
    for (const node of this.k.nodes) {
      if (nid !== undefined && node.nid !== nid) continue;
      for (const zone of node.zones) {
        if (!zone.populated) continue;
        const cc = new CompactControl(-1, GFP_KERNEL, MigrateMode.SYNC, { ignoreSkipHint: true, wholeZone: true });
        this.compactZone(cc, zone);
      }
    }
  }

  /** proactive_compact_node() */
  proactiveCompactNode(nid: number): void {
    for (const zone of this.k.nodes[nid]!.zones) {
      if (!zone.populated) continue;
      const cc = new CompactControl(-1, GFP_KERNEL, MigrateMode.SYNC_LIGHT, {
        ignoreSkipHint: true,
        wholeZone: true,
        proactiveCompaction: true,
      });
      this.compactZone(cc, zone);
    }
  }
}

/** compact_gap(): room for the migration targets plus the request. */
export function compactGap(order: number): number {
  return 2 << order;
}

/**
 * move_freelist_head(): rotate a free list so that `entry` comes first, so the next reverse scan
 * of fast_isolate_freepages() starts with the entries it has not looked at (no-op on the head).
 */
function moveFreelistHead(mem: MemMap, head: number, entry: number): void {
  rotateTo(mem, head, entry);
}

/**
 * move_freelist_tail(): move `entry` and everything before it to the tail, so the next forward
 * scan of fast_find_migrateblock() starts after it.
 */
function moveFreelistTail(mem: MemMap, head: number, entry: number): void {
  rotateTo(mem, head, mem.next[entry]!);
}

/** Make `first` the list's first entry, keeping the circular order (a cut and a tail splice). */
function rotateTo(mem: MemMap, head: number, first: number): void {
  const oldFirst = mem.next[head]!;
  if (first === head || first === oldFirst) return;
  const oldLast = mem.prev[head]!;
  const newLast = mem.prev[first]!;
  mem.next[oldLast] = oldFirst; // close the ring without the head
  mem.prev[oldFirst] = oldLast;
  mem.next[newLast] = head; // and reopen it before `first`
  mem.prev[head] = newLast;
  mem.next[head] = first;
  mem.prev[first] = head;
}
