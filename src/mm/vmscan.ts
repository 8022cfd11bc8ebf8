/**
 * Page reclaim (mm/vmscan.c, 6.1, classic LRU — MGLRU is off in Debian's config): per-node
 * LRU scanning with get_scan_count()'s anon/file balance, shrink_active_list() ageing,
 * shrink_folio_list() (references, swap-out, pageout, __remove_mapping), shrink_slab() over
 * the registered shrinkers, direct reclaim (try_to_free_pages) and kswapd on the virtual clock.
 *
 * Simplifications: no memcg; no flusher threads, so a dirty file page is cleaned only when
 * kswapd writes it (which 6.1 does only for a folio it has already marked PG_reclaim, on a
 * node flagged PGDAT_DIRTY) or writebackMapping() runs; reclaim runs in zero virtual time, so
 * its waits for writeback complete the writes in flight at once (the other reclaim_throttle()
 * reasons are not modelled); no workingset shadow entries (so lru_note_cost() sees pageouts
 * only, never refaults); no compaction_ready()/should_continue_reclaim() for costly orders.
 */
import { MAX_NR_ZONES, PAGEBLOCK_ORDER, PAGE_SHIFT } from './constants.js';
import { __GFP_DIRECT_RECLAIM, __GFP_FS, __GFP_IO, GFP_KERNEL } from './gfp.js';
import { type Kcompactd } from './kcompactd.js';
import type { Kernel } from './kernel.js';
import {
  AOP_WRITEPAGE_ACTIVATE, type AddressSpace, filemapReleaseFolio, filemapRemoveFolio, folioClearDirtyForIo, folioNeedsRelease,
} from './filemap.js';
import { LruList, folioEvictable, folioPutbackLru, isFileLru, lruDel, lruMove } from './lru.js';
import { folioMapping } from './migrate.js';
import {
  PG_active, PG_anon, PG_dirty, PG_isolated, PG_private, PG_referenced, PG_reclaim, PG_swapcache, PG_writeback, PG_young,
} from './page_flags.js';
import { NodeStat, VmEvent, ZoneStat } from './vmstat.js';
import { intSqrt, type PgData, WMARK_HIGH, type Zone } from './zone.js';
import { showGfpFlags } from '../trace/gfp_names.js';

export const SWAP_CLUSTER_MAX = 32;
export const DEF_PRIORITY = 12;
export const MAX_RECLAIM_RETRIES = 16;
/** kswapd_try_to_sleep()'s first, short sleep: schedule_timeout(HZ/10), 100 ms. */
export const KSWAPD_NAP_NS = 100_000_000;
/** DEFAULT_SEEKS, SHRINK_BATCH */
export const DEFAULT_SEEKS = 2;
export const SHRINK_BATCH = 128;
/** SHRINK_STOP / SHRINK_EMPTY as in include/linux/shrinker.h. */
export const SHRINK_STOP = -1;
export const SHRINK_EMPTY = -2;

/** struct shrink_control */
export interface ShrinkControl {
  gfpMask: number;
  nid: number;
  nrToScan: number;
  nrScanned: number;
  /** current_is_kswapd() — i915's shrinker escalates only from kswapd. */
  isKswapd: boolean;
}

/** struct shrinker (include/linux/shrinker.h, 6.1) */
export interface Shrinker {
  /** shrinker->name, which register_shrinker() sets from its format argument. */
  name?: string;
  /** Freeable objects, 0 or SHRINK_EMPTY for none. */
  countObjects(sc: ShrinkControl): number;
  /** Free up to sc.nrToScan, set sc.nrScanned; the number freed or SHRINK_STOP. */
  scanObjects(sc: ShrinkControl): number;
  /** 0 means SHRINK_BATCH. */
  batch?: number;
  /** DEFAULT_SEEKS when absent. */
  seeks?: number;
  /** SHRINKER_NUMA_AWARE: its deferred work is kept per node, not all on node 0's count. */
  numaAware?: boolean;
}

/** The swap side of reclaiming anonymous pages (mm/swap_state.c, mm/rmap.c, mm/page_io.c). */
export interface AnonReclaimOps {
  /** add_to_swap(): give the anon folio a swap slot and put it in the swap cache. */
  addToSwap(pfn: number): boolean;
  /** try_to_unmap(): replace every PTE of the folio with its swap entry; true if now unmapped. */
  tryToUnmap(pfn: number): boolean;
  /**
   * split_folio_to_list(): split a large isolated folio that cannot be swapped whole; each tail
   * comes back isolated through `onTail`. 0 or -errno.
   */
  splitFolio?(pfn: number, onTail: (tail: number) => void): number;
  /** __delete_from_swap_cache() + the cache's reference, for a clean unmapped swap-cache folio. */
  deleteFromSwapCache(pfn: number): void;
  /** folio_free_swap() when swap is over half full (vm_swap_full()) or the folio is mlocked. */
  freeSwapIfFull?(pfn: number): void;
}

/** struct scan_control (the fields used). */
interface ScanControl {
  nrToReclaim: number;
  gfpMask: number;
  order: number;
  priority: number;
  reclaimIdx: number;
  mayWritepage: boolean;
  mayUnmap: boolean;
  maySwap: boolean;
  mayDeactivateAnon: boolean;
  mayDeactivateFile: boolean;
  cacheTrimMode: boolean;
  fileIsTiny: boolean;
  isKswapd: boolean;
  nrScanned: number;
  nrReclaimed: number;
  /** sc->nr: what the current shrink_node() pass met, for the node's PGDAT_* flags. */
  nr: ShrinkNodeStat;
}

/** sc->nr (the fields used): pages taken off the inactive lists and what they were. */
interface ShrinkNodeStat {
  taken: number;
  /** Pages this pass started writing (not an sc->nr field: for the zero-time writeback waits). */
  pageout: number;
  fileTaken: number;
  /** Dirty file pages not yet under writeback. */
  unqueuedDirty: number;
  /** Under writeback, marked PG_reclaim now (case 2). */
  writeback: number;
  /** Under writeback and already PG_reclaim on a PGDAT_WRITEBACK node, met by kswapd (case 1). */
  immediate: number;
}

/** struct reclaim_stat (the fields used), what shrink_folio_list() reports. */
interface ReclaimStat {
  reclaimed: number;
  pageout: number;
  unqueuedDirty: number;
  writeback: number;
  immediate: number;
}

/** What folio_check_references() decided. */
const enum FolioRef {
  RECLAIM,
  RECLAIM_CLEAN,
  KEEP,
  ACTIVATE,
}

interface Lruvec {
  anonCost: number;
  fileCost: number;
}

class KswapdState {
  order = 0;
  highestZoneidx = MAX_NR_ZONES - 1;
  running = false;
  scheduled = false;
  /** Bumped when a queued run is superseded (runPendingKswapd ran it early). */
  token = 0;
  /** When kswapd's HZ/10 nap ends (ns): a wakeup before then is premature. -1: not napping. */
  napEndNs = -1;
  /** PGDAT_DIRTY: kswapd found only unqueued dirty file folios, so it may write them itself. */
  pgdatDirty = false;
  /** PGDAT_WRITEBACK: kswapd found only folios under writeback; meeting them again, it waits. */
  pgdatWriteback = false;
}

/** may_enter_fs(): __GFP_FS, or just __GFP_IO for a swap-cache folio (swap is a block device here). */
function mayEnterFs(flags: number, gfp: number): boolean {
  if ((gfp & __GFP_FS) !== 0) return true;
  return (flags & PG_swapcache) !== 0 && (gfp & __GFP_IO) !== 0;
}

export class Vmscan {
  readonly shrinkers: Shrinker[] = [];
  /** shrinker->nr_deferred: one count per node (only index 0 for a shrinker not NUMA aware). */
  private readonly nrDeferred = new Map<Shrinker, number[]>();
  private shrinkerIds = 0;
  anonOps: AnonReclaimOps | null = null;
  kcompactd: Kcompactd | null = null;
  private readonly lruvecs: Lruvec[];
  private readonly kswapd: KswapdState[];
  /** Delay between a wakeup and kswapd running (the scheduler's latency), ns. */
  kswapdLatencyNs = 0;
  /**
   * Wait for the writeback in flight to finish (the I/O layer installs it): what
   * reclaim_throttle(VMSCAN_THROTTLE_WRITEBACK) sleeps on. Returns writes completed.
   */
  waitForWriteback: (() => number) | null = null;
  /** Times reclaim (direct, or kswapd cycling through pages under writeback) waited for writes to end. */
  writebackThrottles = 0;

  constructor(private readonly k: Kernel) {
    this.lruvecs = k.nodes.map(() => ({ anonCost: 0, fileCost: 0 }));
    this.kswapd = k.nodes.map(() => new KswapdState());
  }

  /** register_shrinker(shrinker, fmt): the name is the shrinker's own, else `name`, else "shrinker-<id>". */
  registerShrinker(s: Shrinker, name?: string): void {
    const id = this.shrinkerIds++;
    s.name ??= name ?? `shrinker-${id}`;
    this.shrinkers.push(s);
    this.nrDeferred.set(s, new Array<number>(s.numaAware ? this.k.nodes.length : 1).fill(0));
  }

  unregisterShrinker(s: Shrinker): void {
    const i = this.shrinkers.indexOf(s);
    if (i >= 0) this.shrinkers.splice(i, 1);
    this.nrDeferred.delete(s);
  }

  isKswapdRunning(nid: number): boolean {
    return this.kswapd[nid]!.running;
  }

  /** The node's lruvec->anon_cost and file_cost (what get_scan_count() balances on), for tests and reports. */
  lruvecCost(nid: number): { anon: number; file: number } {
    const lv = this.lruvecs[nid]!;
    return { anon: lv.anonCost, file: lv.fileCost };
  }

  // --- sizes ---

  /** lruvec_lru_size() limited to zones <= reclaimIdx. */
  private lruSize(node: PgData, lru: LruList, reclaimIdx: number): number {
    const stat = [ZoneStat.NR_ZONE_INACTIVE_ANON, ZoneStat.NR_ZONE_ACTIVE_ANON, ZoneStat.NR_ZONE_INACTIVE_FILE, ZoneStat.NR_ZONE_ACTIVE_FILE, ZoneStat.NR_ZONE_UNEVICTABLE][lru]!;
    let n = 0;
    for (const z of node.zones) if (z.type <= reclaimIdx) n += z.vmStat[stat]!;
    return n;
  }

  /** inactive_is_low(): inactive * inactive_ratio < active, ratio = int_sqrt(10 * GiB). */
  private inactiveIsLow(node: PgData, inactiveLru: LruList): boolean {
    const inactive = this.k.nodeStat(node.nid, inactiveLru === LruList.INACTIVE_ANON ? NodeStat.NR_INACTIVE_ANON : NodeStat.NR_INACTIVE_FILE);
    const active = this.k.nodeStat(node.nid, inactiveLru === LruList.INACTIVE_ANON ? NodeStat.NR_ACTIVE_ANON : NodeStat.NR_ACTIVE_FILE);
    const gb = (inactive + active) >> (30 - PAGE_SHIFT);
    const ratio = gb ? intSqrt(10 * gb) : 1;
    return inactive * ratio < active;
  }

  /** can_reclaim_anon_pages(): a free swap slot (get_nr_swap_pages() > 0). */
  private canReclaimAnon(): boolean {
    return this.anonOps !== null && (this.k.swap?.freePages() ?? 0) > 0;
  }

  /** can_age_anon_pages(): any swap at all (total_swap_pages > 0), full or not. */
  private canAgeAnon(): boolean {
    return this.anonOps !== null && (this.k.swap?.totalPages() ?? 0) > 0;
  }

  // --- shrink_node and below ---

  /** prepare_scan_count() */
  private prepareScanCount(node: PgData, sc: ScanControl): void {
    sc.mayDeactivateAnon = this.inactiveIsLow(node, LruList.INACTIVE_ANON);
    sc.mayDeactivateFile = this.inactiveIsLow(node, LruList.INACTIVE_FILE);
    const file = this.k.nodeStat(node.nid, NodeStat.NR_INACTIVE_FILE);
    sc.cacheTrimMode = file >> sc.priority > 0 && !sc.mayDeactivateFile;
    let free = 0;
    let totalHigh = 0;
    for (const z of node.zones) {
      free += z.vmStat[ZoneStat.NR_FREE_PAGES]!;
      if (z.managed) totalHigh += z.wmarkPages(WMARK_HIGH);
    }
    const fileAll = this.k.nodeStat(node.nid, NodeStat.NR_ACTIVE_FILE) + file;
    const anon = this.k.nodeStat(node.nid, NodeStat.NR_INACTIVE_ANON);
    sc.fileIsTiny = fileAll + free <= totalHigh && !sc.mayDeactivateAnon && anon >> sc.priority > 0;
  }

  /** get_scan_count(): how many pages of each evictable list to scan at this priority. */
  private getScanCount(node: PgData, sc: ScanControl, nr: number[]): void {
    const swappiness = this.k.vm.swappiness;
    type Balance = 'file' | 'anon' | 'equal' | 'fract';
    let balance: Balance;
    let fa = 0;
    let ff = 0;
    if (!sc.maySwap || !this.canReclaimAnon()) balance = 'file';
    else if (!sc.priority && swappiness) balance = 'equal';
    else if (sc.fileIsTiny) balance = 'anon';
    else if (sc.cacheTrimMode) balance = 'file';
    else {
      balance = 'fract';
      const lv = this.lruvecs[node.nid]!;
      let total = lv.anonCost + lv.fileCost;
      const anonCost = total + lv.anonCost;
      const fileCost = total + lv.fileCost;
      total = anonCost + fileCost;
      fa = Math.floor((swappiness * (total + 1)) / (anonCost + 1));
      ff = Math.floor(((200 - swappiness) * (total + 1)) / (fileCost + 1));
    }
    for (const lru of [LruList.INACTIVE_ANON, LruList.ACTIVE_ANON, LruList.INACTIVE_FILE, LruList.ACTIVE_FILE]) {
      const file = lru >= LruList.INACTIVE_FILE;
      let scan = this.lruSize(node, lru, sc.reclaimIdx) >> sc.priority;
      if (balance === 'fract') scan = Math.floor((scan * (file ? ff : fa)) / (fa + ff));
      else if (balance === 'file' && !file) scan = 0;
      else if (balance === 'anon' && file) scan = 0;
      nr[lru] = scan;
    }
  }

  /**
   * shrink_lruvec(): scan the four evictable lists SWAP_CLUSTER_MAX at a time. Once
   * nr_to_reclaim is met, kswapd and lower-priority direct reclaim stop scanning the list type
   * with the smaller remaining share and rescale the other to the fraction of its target
   * already done; global direct reclaim at DEF_PRIORITY (6.1's proportional_reclaim) never stops
   * early and scans its whole targets.
   */
  private shrinkLruvec(node: PgData, sc: ScanControl): void {
    const nr = [0, 0, 0, 0, 0];
    this.getScanCount(node, sc, nr);
    const targets = nr.slice(); // the original targets, for the proportional adjustment
    const nrToReclaim = sc.nrToReclaim;
    const proportionalReclaim = !sc.isKswapd && sc.priority === DEF_PRIORITY;
    let nrReclaimed = 0;
    while (nr[LruList.INACTIVE_ANON]! || nr[LruList.ACTIVE_FILE]! || nr[LruList.INACTIVE_FILE]!) {
      for (let lru = 0; lru < 4; lru++) {
        if (!nr[lru]) continue;
        const n = Math.min(nr[lru]!, SWAP_CLUSTER_MAX);
        nr[lru]! -= n;
        nrReclaimed += this.shrinkList(node, lru, n, sc);
      }
      if (nrReclaimed < nrToReclaim || proportionalReclaim) continue;
      const nrFile = nr[LruList.INACTIVE_FILE]! + nr[LruList.ACTIVE_FILE]!;
      const nrAnon = nr[LruList.INACTIVE_ANON]! + nr[LruList.ACTIVE_ANON]!;
      // Once the smaller side is done, attacking the larger would be "vindictive".
      if (!nrFile || !nrAnon) break;
      let stop: LruList;
      let percentage: number;
      if (nrFile > nrAnon) {
        stop = LruList.INACTIVE_ANON;
        percentage = Math.floor((nrAnon * 100) / (targets[LruList.INACTIVE_ANON]! + targets[LruList.ACTIVE_ANON]! + 1));
      } else {
        stop = LruList.INACTIVE_FILE;
        percentage = Math.floor((nrFile * 100) / (targets[LruList.INACTIVE_FILE]! + targets[LruList.ACTIVE_FILE]! + 1));
      }
      nr[stop] = 0;
      nr[stop + 1] = 0;
      const other = stop === LruList.INACTIVE_FILE ? LruList.INACTIVE_ANON : LruList.INACTIVE_FILE;
      for (let lru = other; lru <= other + 1; lru++) {
        const scanned = targets[lru]! - nr[lru]!;
        nr[lru] = Math.floor((targets[lru]! * (100 - percentage)) / 100);
        nr[lru]! -= Math.min(nr[lru]!, scanned);
      }
    }
    sc.nrReclaimed += nrReclaimed;
    // Even if anon was not scanned, keep its active/inactive ratio balanced.
    if (this.canAgeAnon() && this.inactiveIsLow(node, LruList.INACTIVE_ANON)) {
      this.shrinkActiveList(node, SWAP_CLUSTER_MAX, LruList.ACTIVE_ANON, sc);
    }
  }

  /** shrink_list() */
  private shrinkList(node: PgData, lru: LruList, nrToScan: number, sc: ScanControl): number {
    if (lru === LruList.ACTIVE_ANON || lru === LruList.ACTIVE_FILE) {
      const may = lru === LruList.ACTIVE_FILE ? sc.mayDeactivateFile : sc.mayDeactivateAnon;
      if (may) this.shrinkActiveList(node, nrToScan, lru, sc);
      return 0;
    }
    return this.shrinkInactiveList(node, nrToScan, lru, sc);
  }

  /**
   * isolate_lru_folios(): take folios from the list's tail until nrToScan pages of eligible
   * zones were looked at. Folios of zones above reclaimIdx are passed over (they count in the
   * scan total the caller reports, not against nrToScan) and spliced back at the list's head,
   * so the next batch does not meet them again. Returns the folios, the pages taken and the scan total.
   */
  private isolateLruFolios(node: PgData, nrToScan: number, lru: LruList, sc: ScanControl): { folios: number[]; taken: number; scanned: number } {
    const k = this.k;
    const mem = k.mem;
    const head = node.lruHead + lru;
    const folios: number[] = [];
    let skipped: number[] | null = null;
    let scan = 0;
    let totalScan = 0;
    let taken = 0;
    let slot = mem.prev[head]!;
    while (slot !== head && scan < nrToScan) {
      const prev = mem.prev[slot]!;
      const pfn = k.pfn(slot);
      const nr = k.nrPages(pfn);
      totalScan += nr;
      if (k.alloc.zoneOfSlot(slot).type > sc.reclaimIdx) {
        (skipped ??= []).push(pfn);
      } else {
        scan += nr;
        taken += nr;
        k.getPage(pfn);
        lruDel(k, pfn);
        mem.flags[slot]! |= PG_isolated;
        k.modNodeStat(pfn, isFileLru(mem.flags[slot]!) ? NodeStat.NR_ISOLATED_FILE : NodeStat.NR_ISOLATED_ANON, nr);
        folios.push(pfn);
      }
      slot = prev;
    }
    // list_splice(&folios_skipped, src): each skipped folio was list_move()d to the head of
    // folios_skipped, so the last one met ends up first.
    if (skipped) for (const pfn of skipped) lruMove(k, pfn, false);
    return { folios, taken, scanned: totalScan };
  }

  /** shrink_active_list(): age active folios onto the inactive list. */
  private shrinkActiveList(node: PgData, nrToScan: number, lru: LruList, sc: ScanControl): void {
    const k = this.k;
    const { folios, scanned } = this.isolateLruFolios(node, nrToScan, lru, sc);
    k.alloc.events.add(VmEvent.PGREFILL, scanned);
    let deactivated = 0;
    for (const pfn of folios) {
      const s = k.slot(pfn);
      if (!folioEvictable(k, pfn)) {
        folioPutbackLru(k, pfn);
        continue;
      }
      k.mem.flags[s]! &= ~(PG_active | PG_young); // folio_referenced() clears the accessed bits
      deactivated += k.nrPages(pfn);
      folioPutbackLru(k, pfn);
    }
    k.alloc.events.add(VmEvent.PGDEACTIVATE, deactivated);
  }

  /** shrink_inactive_list() */
  private shrinkInactiveList(node: PgData, nrToScan: number, lru: LruList, sc: ScanControl): number {
    const k = this.k;
    const ev = k.alloc.events;
    const { folios, taken, scanned } = this.isolateLruFolios(node, nrToScan, lru, sc);
    const file = lru === LruList.INACTIVE_FILE;
    ev.add(sc.isKswapd ? VmEvent.PGSCAN_KSWAPD : VmEvent.PGSCAN_DIRECT, scanned);
    ev.add(file ? VmEvent.PGSCAN_FILE : VmEvent.PGSCAN_ANON, scanned);
    if (!taken) return 0;
    sc.nrScanned += taken;
    const stat = this.shrinkFolioList(folios, node, sc);
    ev.add(sc.isKswapd ? VmEvent.PGSTEAL_KSWAPD : VmEvent.PGSTEAL_DIRECT, stat.reclaimed);
    ev.add(file ? VmEvent.PGSTEAL_FILE : VmEvent.PGSTEAL_ANON, stat.reclaimed);
    this.lruNoteCost(node, file, stat.pageout);
    sc.nr.unqueuedDirty += stat.unqueuedDirty;
    sc.nr.writeback += stat.writeback;
    sc.nr.pageout += stat.pageout;
    sc.nr.immediate += stat.immediate;
    sc.nr.taken += taken;
    if (file) sc.nr.fileTaken += taken;
    return stat.reclaimed;
  }

  /** lru_note_cost(): remember what reclaiming each kind cost, decaying old costs. */
  private lruNoteCost(node: PgData, file: boolean, cost: number): void {
    const lv = this.lruvecs[node.nid]!;
    if (file) lv.fileCost += cost;
    else lv.anonCost += cost;
    let lruSize = 0;
    for (let l = 0; l < 4; l++) lruSize += this.lruSize(node, l, MAX_NR_ZONES - 1);
    if (lv.fileCost + lv.anonCost > lruSize / 4) {
      lv.fileCost = Math.floor(lv.fileCost / 2);
      lv.anonCost = Math.floor(lv.anonCost / 2);
    }
  }

  /**
   * folio_check_references(): a folio whose PTE was young is marked PG_referenced and kept for
   * another trip round the inactive list; activated only if it was already marked (or, in the
   * kernel, mapped by more than one PTE or an executable file page — neither exists here: one mm
   * per anon page, file pages are not mapped). An unmapped, referenced file folio may be freed
   * but not written (FOLIOREF_RECLAIM_CLEAN).
   */
  private checkReferences(pfn: number): FolioRef {
    const mem = this.k.mem;
    const s = this.k.slot(pfn);
    const flags = mem.flags[s]!;
    const referencedPtes = mem.mapcount[s]! > 0 && (flags & PG_young) !== 0; // folio_referenced() clears the bit
    const referencedFolio = (flags & PG_referenced) !== 0; // folio_test_clear_referenced()
    mem.flags[s] = flags & ~(PG_young | PG_referenced);
    if (referencedPtes) {
      mem.flags[s]! |= PG_referenced;
      return referencedFolio ? FolioRef.ACTIVATE : FolioRef.KEEP;
    }
    if (referencedFolio && isFileLru(flags)) return FolioRef.RECLAIM_CLEAN;
    return FolioRef.RECLAIM;
  }

  /**
   * shrink_folio_list(): decide each isolated folio's fate. Returns the pages freed, the pages
   * written out (stat->nr_pageout) and the dirty file pages not yet queued for I/O
   * (stat->nr_unqueued_dirty); folios not freed go back to the LRU, activated where the kernel would.
   */
  private shrinkFolioList(folios: number[], node: PgData, sc: ScanControl): ReclaimStat {
    const k = this.k;
    const mem = k.mem;
    const pgdat = this.kswapd[node.nid]!;
    const stat: ReclaimStat = { reclaimed: 0, pageout: 0, unqueuedDirty: 0, writeback: 0, immediate: 0 };
    for (let i = 0; i < folios.length; i++) {
      const pfn = folios[i]!;
      const s = k.slot(pfn);
      let nr = k.nrPages(pfn);
      let fate: 'activate' | 'keep' | 'free' = 'keep';
      decide: {
        if (!folioEvictable(k, pfn)) {
          k.alloc.events.add(VmEvent.UNEVICTABLE_PGS_CULLED, nr);
          fate = 'activate';
          break decide;
        }
        if (mem.mapcount[s]! > 0 && !sc.mayUnmap) break decide;
        // folio_check_dirty_writeback(): only file folios count (anon ones are reclaim's to write).
        const f = mem.flags[s]!;
        if (isFileLru(f) && (f & (PG_dirty | PG_writeback)) === PG_dirty) stat.unqueuedDirty += nr;
        if ((f & PG_writeback) !== 0) {
          // Out of the way until the write ends, then rotated to the inactive tail (PG_reclaim)
          // to be freed. Case 1: kswapd meets it again, cycling faster than the I/O (it waits in
          // shrink_node()); case 2: mark it. Case 3 (waiting here) is legacy memcg only.
          if (sc.isKswapd && (f & PG_reclaim) !== 0 && pgdat.pgdatWriteback) {
            stat.immediate += nr;
          } else {
            mem.flags[s]! |= PG_reclaim;
            stat.writeback += nr;
          }
          fate = 'activate';
          break decide;
        }
        const refs = this.checkReferences(pfn);
        if (refs === FolioRef.ACTIVATE) {
          fate = 'activate';
          break decide;
        }
        if (refs === FolioRef.KEEP) break decide;
        const anon = (mem.flags[s]! & PG_anon) !== 0;
        if (anon && (mem.flags[s]! & PG_swapcache) === 0) {
          if ((sc.gfpMask & __GFP_IO) === 0) break decide;
          if (!sc.maySwap || !this.canReclaimAnon()) {
            fate = 'activate';
            break decide;
          }
          if (!this.anonOps!.addToSwap(pfn)) {
            // A THP that cannot get a run of swap slots is split: its tails join this list and
            // the head, now a small folio, tries again.
            if (nr === 1 || this.anonOps!.splitFolio?.(pfn, (t) => folios.push(t)) !== 0) {
              fate = 'activate';
              break decide;
            }
            nr = 1;
            if (!this.anonOps!.addToSwap(pfn)) {
              fate = 'activate';
              break decide;
            }
          }
        }
        if (mem.mapcount[s]! > 0) {
          const unmapped = anon ? this.anonOps?.tryToUnmap(pfn) ?? false : false;
          if (!unmapped) {
            fate = 'activate';
            break decide;
          }
        }
        if ((mem.flags[s]! & PG_dirty) !== 0) {
          // Only kswapd writes file folios, and only one it has already seen dirty at the tail
          // (PG_reclaim) on a node where dirty folios are all it finds (PGDAT_DIRTY); any other
          // is marked for immediate reclaim once written, and activated.
          if (isFileLru(mem.flags[s]!) && (!sc.isKswapd || (mem.flags[s]! & PG_reclaim) === 0 || !pgdat.pgdatDirty)) {
            k.modNodeStat(pfn, NodeStat.NR_VMSCAN_IMMEDIATE_RECLAIM, nr);
            mem.flags[s]! |= PG_reclaim;
            fate = 'activate';
            break decide;
          }
          if (refs === FolioRef.RECLAIM_CLEAN) break decide;
          if (!mayEnterFs(mem.flags[s]!, sc.gfpMask)) break decide;
          if (!sc.mayWritepage) break decide;
          const r = this.pageout(pfn);
          if (r === 'activate') {
            fate = 'activate';
            break decide;
          }
          if (r === 'keep') break decide;
          if (r === 'success') {
            stat.pageout += nr;
            // Writeback started: the folio is freed on a later pass once clean.
            if ((mem.flags[s]! & (PG_writeback | PG_dirty)) !== 0) break decide;
          }
        }
        // Private data (buffers) must go before the folio can leave its mapping.
        if (folioNeedsRelease(k, pfn) && !filemapReleaseFolio(k, pfn, sc.gfpMask)) {
          fate = 'activate';
          break decide;
        }
        if (this.removeMapping(pfn)) fate = 'free';
      }
      if (fate === 'free') {
        mem.flags[s]! &= ~PG_isolated;
        k.modNodeStat(pfn, isFileLru(mem.flags[s]!) ? NodeStat.NR_ISOLATED_FILE : NodeStat.NR_ISOLATED_ANON, -nr);
        k.putPage(pfn); // the isolation reference was the last one
        stat.reclaimed += nr;
        continue;
      }
      if (fate === 'activate') {
        // activate_locked: a kept swap-cache folio gives its slot back when swap runs short.
        if ((mem.flags[s]! & PG_swapcache) !== 0) this.anonOps?.freeSwapIfFull?.(pfn);
        if (folioEvictable(k, pfn)) {
          mem.flags[s]! |= PG_active;
          k.alloc.events.add(VmEvent.PGACTIVATE, nr);
        }
      }
      folioPutbackLru(k, pfn);
    }
    return stat;
  }

  /**
   * pageout(): ->writepage (shmem_writepage, swap_writepage, a file's) for a dirty folio that
   * only its cache and the isolation hold — a pinned page is never written. 'clean' when
   * folio_clear_dirty_for_io() found nothing to write.
   */
  private pageout(pfn: number): 'activate' | 'keep' | 'success' | 'clean' {
    const k = this.k;
    const s = k.slot(pfn);
    // is_page_cache_freeable(): the cache's and the isolation's references (and private data's).
    const priv = (k.mem.flags[s]! & PG_private) !== 0 ? 1 : 0;
    if (k.mem.refcount[s]! - priv !== 1 + k.nrPages(pfn)) return 'keep';
    const mapping = folioMapping(k, pfn);
    if (!mapping) return 'keep';
    if (!mapping.aops.writepage) return 'activate';
    if (!folioClearDirtyForIo(k, pfn)) return 'clean';
    k.mem.flags[s]! |= PG_reclaim;
    const rc = mapping.aops.writepage(k, pfn, { forReclaim: true });
    if (rc === AOP_WRITEPAGE_ACTIVATE) {
      k.mem.flags[s]! &= ~PG_reclaim;
      return 'activate';
    }
    if ((k.mem.flags[s]! & PG_writeback) === 0) k.mem.flags[s]! &= ~PG_reclaim; // synchronous write
    if (rc < 0) return 'keep';
    k.modNodeStat(pfn, NodeStat.NR_VMSCAN_WRITE, k.nrPages(pfn));
    return 'success';
  }

  /** __remove_mapping(): free a clean, unmapped folio nobody else references. */
  private removeMapping(pfn: number): boolean {
    const k = this.k;
    const s = k.slot(pfn);
    const flags = k.mem.flags[s]!;
    if (k.mem.mapcount[s]! > 0) return false;
    const nr = k.nrPages(pfn);
    if ((flags & PG_swapcache) !== 0) {
      if (k.mem.refcount[s]! !== 1 + nr || !this.anonOps) return false;
      this.anonOps.deleteFromSwapCache(pfn);
      return true;
    }
    if ((flags & PG_anon) !== 0) return k.mem.refcount[s] === 1; // no longer mapped anywhere
    const mapping = folioMapping(k, pfn) as AddressSpace | null;
    if (!mapping || k.mem.refcount[s]! !== 1 + nr) return false;
    filemapRemoveFolio(k, mapping, pfn);
    return true;
  }

  /** do_shrink_slab() for one shrinker. */
  private doShrinkSlab(sc: ShrinkControl, shrinker: Shrinker, priority: number): number {
    const freeable = shrinker.countObjects(sc);
    if (freeable === 0 || freeable === SHRINK_EMPTY) return 0;
    const batch = shrinker.batch || SHRINK_BATCH;
    const seeks = shrinker.seeks ?? DEFAULT_SEEKS;
    // xchg_nr_deferred(): node 0's count unless the shrinker is SHRINKER_NUMA_AWARE.
    const deferred = this.nrDeferred.get(shrinker);
    const slot = shrinker.numaAware ? sc.nid : 0;
    const nr = deferred?.[slot] ?? 0;
    if (deferred) deferred[slot] = 0;
    const delta = seeks ? Math.floor(((freeable >> priority) * 4) / seeks) : Math.floor(freeable / 2);
    let totalScan = Math.min((nr >> priority) + delta, 2 * freeable);
    let scanned = 0;
    let freed = 0;
    while (totalScan >= batch || totalScan >= freeable) {
      const nrToScan = Math.min(batch, totalScan);
      sc.nrToScan = nrToScan;
      sc.nrScanned = nrToScan;
      const ret = shrinker.scanObjects(sc);
      if (ret === SHRINK_STOP) break;
      freed += ret;
      this.k.alloc.events.add(VmEvent.SLABS_SCANNED, sc.nrScanned);
      totalScan -= sc.nrScanned;
      scanned += sc.nrScanned;
      if (sc.nrScanned <= 0) break;
    }
    const nextDeferred = Math.min(Math.max(nr + delta - scanned, 0), 2 * freeable);
    if (deferred) deferred[slot]! += nextDeferred; // add_nr_deferred()
    return freed;
  }

  /**
   * shrink_slab(): every registered shrinker, in registration order. Every shrinker gets the
   * node being reclaimed in sc.nid (6.1 passes it to all; only the deferred count of a shrinker
   * that is not NUMA aware is kept on node 0).
   */
  shrinkSlab(gfpMask: number, nid: number, priority: number, isKswapd: boolean): number {
    let freed = 0;
    for (const shrinker of [...this.shrinkers]) {
      const sc: ShrinkControl = { gfpMask, nid, nrToScan: 0, nrScanned: 0, isKswapd };
      freed += this.doShrinkSlab(sc, shrinker, priority);
    }
    return freed;
  }

  /** shrink_node() */
  private shrinkNode(node: PgData, sc: ScanControl): void {
    const nr = sc.nr;
    nr.taken = nr.pageout = nr.fileTaken = nr.unqueuedDirty = nr.writeback = nr.immediate = 0;
    this.prepareScanCount(node, sc);
    const before = sc.nrReclaimed;
    this.shrinkLruvec(node, sc);
    // reclaim_state->reclaimed_slab: the slab pages the shrinkers actually freed count as
    // reclaimed — not the objects they report (those are only for slabs_scanned).
    const slabBefore = this.slabPages();
    this.shrinkSlab(sc.gfpMask, node.nid, sc.priority, sc.isKswapd);
    sc.nrReclaimed += Math.max(0, slabBefore - this.slabPages());
    if (sc.isKswapd) {
      const pgdat = this.kswapd[node.nid]!;
      // All it took was under writeback: pages cycle faster than they are written.
      if (nr.writeback && nr.writeback === nr.taken) pgdat.pgdatWriteback = true;
      // Every file folio it took was dirty and unqueued (vacuously so if it took none): let it
      // write them itself (PGDAT_DIRTY), as the flushers are not keeping up.
      if (nr.unqueuedDirty === nr.fileTaken) pgdat.pgdatDirty = true;
      // reclaim_throttle(VMSCAN_THROTTLE_WRITEBACK). Simplification: the wait takes no virtual
      // time; the writes in flight complete at once, as for direct reclaim.
      if (nr.immediate && this.waitForWriteback?.()) this.writebackThrottles++;
    }
    if (sc.nrReclaimed > before) this.k.kswapdFailureCounts[node.nid] = 0;
  }

  private slabPages(): number {
    let n = 0;
    for (const node of this.k.nodes) n += this.k.nodeStat(node.nid, NodeStat.NR_SLAB_RECLAIMABLE) + this.k.nodeStat(node.nid, NodeStat.NR_SLAB_UNRECLAIMABLE);
    return n;
  }

  private newScanControl(gfp: number, order: number, reclaimIdx: number, nrToReclaim: number, isKswapd: boolean): ScanControl {
    return {
      nrToReclaim, gfpMask: gfp, order, priority: DEF_PRIORITY, reclaimIdx, mayWritepage: true, mayUnmap: true, maySwap: true,
      mayDeactivateAnon: false, mayDeactivateFile: false, cacheTrimMode: false, fileIsTiny: false, isKswapd, nrScanned: 0,
      nrReclaimed: 0, nr: { taken: 0, pageout: 0, fileTaken: 0, unqueuedDirty: 0, writeback: 0, immediate: 0 },
    };
  }

  /** try_to_free_pages() -> do_try_to_free_pages(): direct reclaim at falling priority. */
  tryToFreePages(gfp: number, order: number, zonelist: readonly Zone[], highestZoneidx: number): number {
    const k = this.k;
    const sc = this.newScanControl(gfp, order, highestZoneidx, SWAP_CLUSTER_MAX, false);
    k.alloc.events.add(VmEvent.ALLOCSTALL_DMA + highestZoneidx, 1);
    if (k.eventTrace) k.traceEvent('mm_vmscan_direct_reclaim_begin', `order=${order} gfp_flags=${showGfpFlags(gfp)}`);
    for (let attempt = 0; attempt < 2; attempt++) {
      let waited = false;
      for (sc.priority = DEF_PRIORITY; sc.priority >= 0; sc.priority--) {
        const seen = new Set<number>();
        const reclaimedBefore = sc.nrReclaimed;
        let pageout = 0;
        for (const zone of zonelist) {
          if (zone.type > highestZoneidx || seen.has(zone.nid)) continue;
          seen.add(zone.nid);
          this.shrinkNode(k.nodes[zone.nid]!, sc);
          pageout += sc.nr.pageout;
        }
        if (sc.nrReclaimed >= sc.nrToReclaim) break;
        // As for kswapd: a pass that only started writes is taken to have lasted until they
        // ended (no virtual time passes), so the next priority finds those pages clean.
        if (sc.nrReclaimed === reclaimedBefore && pageout && this.waitForWriteback?.()) {
          this.writebackThrottles++;
          waited = true;
        }
      }
      // Nothing freed but pages were on their way to disk: once the writes have ended
      // (reclaim_throttle()), scan again so the now-clean pages can go.
      if (sc.nrReclaimed) break;
      if (!waited) {
        if (!this.waitForWriteback?.()) break;
        this.writebackThrottles++;
      }
    }
    if (k.eventTrace) k.traceEvent('mm_vmscan_direct_reclaim_end', `nr_reclaimed=${sc.nrReclaimed}`);
    return sc.nrReclaimed;
  }

  // --- kswapd ---

  /** pgdat_balanced(): some eligible zone meets its high watermark at this order. */
  private pgdatBalanced(node: PgData, order: number, highestZoneidx: number): boolean {
    let mark = -1;
    for (let i = 0; i <= highestZoneidx; i++) {
      const z = node.zones[i]!;
      if (!z.managed) continue;
      mark = z.wmarkPages(WMARK_HIGH);
      if (this.k.alloc.zoneWatermarkOk(z, order, mark, highestZoneidx, 0, z.vmStat[ZoneStat.NR_FREE_PAGES]!)) return true;
    }
    return mark === -1;
  }

  private watermarkBoosted(node: PgData, highestZoneidx: number): boolean {
    for (let i = 0; i <= highestZoneidx; i++) if (node.zones[i]!.watermarkBoost) return true;
    return false;
  }

  /** wakeup_kswapd() */
  wakeupKswapd(zone: Zone, gfp: number, order: number, highestZoneidx: number): void {
    if (!zone.managed) return;
    const node = this.k.nodes[zone.nid]!;
    const st = this.kswapd[zone.nid]!;
    st.highestZoneidx = st.scheduled || st.running ? Math.max(st.highestZoneidx, highestZoneidx) : highestZoneidx;
    st.order = Math.max(st.scheduled || st.running ? st.order : 0, order);
    if (st.scheduled || st.running) return;
    if (this.k.kswapdFailures(zone.nid) >= MAX_RECLAIM_RETRIES ||
        (this.pgdatBalanced(node, order, highestZoneidx) && !this.watermarkBoosted(node, highestZoneidx))) {
      if ((gfp & __GFP_DIRECT_RECLAIM) === 0) this.kcompactd?.wakeup(zone.nid, order, highestZoneidx);
      return;
    }
    // kswapd_try_to_sleep(): woken during its HZ/10 nap (schedule_timeout() left time remaining).
    if (this.k.clock.now < st.napEndNs) this.k.alloc.events.add(VmEvent.KSWAPD_LOW_WMARK_HIT_QUICKLY, 1);
    this.scheduleKswapd(node.nid);
  }

  private scheduleKswapd(nid: number): void {
    const st = this.kswapd[nid]!;
    st.scheduled = true;
    const token = ++st.token;
    this.k.clock.scheduleAfter(this.kswapdLatencyNs, () => {
      if (st.token === token) this.kswapdRun(nid);
    });
  }

  /**
   * kswapd runs on its own CPU beside an allocating task: with no wake latency, a woken kswapd
   * does its balance_pgdat() now, so the task's slowpath retries see it (e.g. its skip-bit reset).
   */
  runPendingKswapd(): void {
    if (this.kswapdLatencyNs !== 0) return;
    for (let nid = 0; nid < this.kswapd.length; nid++) {
      const st = this.kswapd[nid]!;
      if (!st.scheduled || st.running) continue;
      st.token++;
      this.kswapdRun(nid);
    }
  }

  /** Compaction's skip-bit flush, which kswapd does before sleeping (reset_isolation_suitable()). */
  resetIsolationSuitable: ((nid: number) => void) | null = null;

  /**
   * One turn of kswapd()'s loop: read and clear kswapd_order, balance_pgdat(), then
   * kswapd_try_to_sleep() at the order balance_pgdat() dropped to or, if it did not drop, at
   * kswapd_order re-read (0 unless woken meanwhile). Balanced there (or hopeless:
   * kswapd_failures >= MAX_RECLAIM_RETRIES): flush the compaction skip bits, wake kcompactd and
   * sleep; otherwise count kswapd_high_wmark_hit_quickly and balance again (next clock event).
   */
  private kswapdRun(nid: number): void {
    const k = this.k;
    const st = this.kswapd[nid]!;
    st.scheduled = false;
    st.running = true;
    st.napEndNs = -1;
    const node = k.nodes[nid]!;
    const allocOrder = st.order;
    const idx = st.highestZoneidx;
    st.order = 0;
    const prev = k.current;
    k.setCurrent({ comm: `kswapd${nid}`, pid: 90 + nid, oomScoreAdj: 0 });
    if (k.eventTrace) k.traceEvent('mm_vmscan_kswapd_wake', `nid=${nid} order=${allocOrder}`);
    let reclaimOrder: number;
    try {
      reclaimOrder = this.balancePgdat(node, allocOrder, idx);
    } finally {
      k.setCurrent(prev);
    }
    st.running = false;
    // reclaim_order < alloc_order: goto kswapd_try_sleep; otherwise the loop top re-reads kswapd_order.
    const sleepAllocOrder = reclaimOrder < allocOrder ? allocOrder : st.order;
    const sleepReclaimOrder = reclaimOrder < allocOrder ? reclaimOrder : st.order;
    const sleepIdx = st.highestZoneidx;
    // prepare_kswapd_sleep(): a hopeless node, or a balanced one (clear_pgdat_congested()).
    let sleep = k.kswapdFailures(nid) >= MAX_RECLAIM_RETRIES;
    if (!sleep && this.pgdatBalanced(node, sleepReclaimOrder, sleepIdx)) {
      st.pgdatDirty = st.pgdatWriteback = false;
      sleep = true;
    }
    if (sleep) {
      this.resetIsolationSuitable?.(nid);
      this.kcompactd?.wakeup(nid, sleepAllocOrder, sleepIdx);
      st.napEndNs = k.clock.now + KSWAPD_NAP_NS;
      // Simplified: the nap's end is not an event. A wakeup during it counts
      // kswapd_low_wmark_hit_quickly (wakeupKswapd()); otherwise kswapd sleeps on as if the
      // nap's second prepare_kswapd_sleep() held, and the sleep is traced at once, not after it.
      if (k.eventTrace) {
        k.setCurrent({ comm: `kswapd${nid}`, pid: 90 + nid, oomScoreAdj: 0 });
        k.traceEvent('mm_vmscan_kswapd_sleep', `nid=${nid}`);
        k.setCurrent(prev);
      }
      return;
    }
    k.alloc.events.add(VmEvent.KSWAPD_HIGH_WMARK_HIT_QUICKLY, 1);
    this.scheduleKswapd(nid);
  }

  /** set_reclaim_active() / clear_reclaim_active(): lower pcp->high in the zones kswapd reclaims for. */
  private setReclaimActive(node: PgData, highestZoneidx: number, active: boolean): void {
    for (let i = 0; i <= highestZoneidx; i++) {
      const z = node.zones[i]!;
      if (z.managed) z.reclaimActive = active;
    }
  }

  /**
   * kswapd_age_node(): age the active anon list a little before reclaiming, whether or not
   * anon will be scanned, so its pages get a chance to be referenced (only with swap).
   */
  private kswapdAgeNode(node: PgData, sc: ScanControl): void {
    if (!this.canAgeAnon() || !this.inactiveIsLow(node, LruList.INACTIVE_ANON)) return;
    this.shrinkActiveList(node, SWAP_CLUSTER_MAX, LruList.ACTIVE_ANON, sc);
  }

  /**
   * kswapd_shrink_node(): reclaim max(high watermark, SWAP_CLUSTER_MAX) per eligible zone from
   * the node; drop to order 0 once compact_gap() pages are reclaimed. True when at least
   * nr_to_reclaim pages were scanned (so there is no need to raise the priority).
   */
  private kswapdShrinkNode(node: PgData, sc: ScanControl): boolean {
    sc.nrToReclaim = 0;
    for (let i = 0; i <= sc.reclaimIdx; i++) {
      const z = node.zones[i]!;
      if (z.managed) sc.nrToReclaim += Math.max(z.wmarkPages(WMARK_HIGH), SWAP_CLUSTER_MAX);
    }
    this.shrinkNode(node, sc);
    if (sc.order && sc.nrReclaimed >= 2 << sc.order) sc.order = 0; // compact_gap(): leave the rest to kcompactd
    return sc.nrScanned >= sc.nrToReclaim;
  }

  /**
   * balance_pgdat(): reclaim from DEF_PRIORITY down until an eligible zone meets its high
   * watermark at the order. A boosted watermark (fragmentation events) is repaid first by a
   * gentler pass that neither writes nor swaps and stops at DEF_PRIORITY - 2; an unbalanced
   * node abandons the boost and restarts as normal reclaim. Returns the order it ended at.
   */
  private balancePgdat(node: PgData, order: number, highestZoneidx: number): number {
    const k = this.k;
    k.alloc.events.add(VmEvent.PAGEOUTRUN, 1);
    // The zones' boosts stay in place (so parallel allocators near the watermark still stall)
    // until this run ends; only those up to highest_zoneidx are counted and repaid.
    let nrBoostReclaim = 0;
    const zoneBoosts = new Array<number>(MAX_NR_ZONES).fill(0);
    for (let i = 0; i <= highestZoneidx; i++) {
      const z = node.zones[i]!;
      if (!z.managed) continue;
      nrBoostReclaim += z.watermarkBoost;
      zoneBoosts[i] = z.watermarkBoost;
    }
    const boosted = nrBoostReclaim > 0;
    const sc = this.newScanControl(GFP_KERNEL, order, highestZoneidx, 0, true);
    let balancedOut = false;
    for (let restart = true; restart; ) {
      restart = false;
      this.setReclaimActive(node, highestZoneidx, true);
      sc.priority = DEF_PRIORITY;
      do {
        const reclaimedBefore = sc.nrReclaimed;
        let raisePriority = true;
        sc.reclaimIdx = highestZoneidx;
        const balanced = this.pgdatBalanced(node, sc.order, highestZoneidx);
        if (!balanced && nrBoostReclaim) {
          nrBoostReclaim = 0; // not balanced: forget the boost and reclaim for real
          restart = true;
          break;
        }
        if (!nrBoostReclaim && balanced) {
          balancedOut = true; // goto out: no kswapd_failures accounting
          break;
        }
        if (nrBoostReclaim && sc.priority === DEF_PRIORITY - 2) raisePriority = false; // no writeback for a boost
        sc.mayWritepage = !nrBoostReclaim; // laptop_mode is 0
        sc.maySwap = !nrBoostReclaim;
        this.kswapdAgeNode(node, sc);
        if (sc.priority < DEF_PRIORITY - 2) sc.mayWritepage = true;
        sc.nrScanned = 0;
        if (this.kswapdShrinkNode(node, sc)) raisePriority = false;
        const got = sc.nrReclaimed - reclaimedBefore;
        // Simplification: kswapd's pass takes no virtual time, but in the kernel the writes it
        // started complete while it goes on scanning. A pass that only started writes is taken
        // to have waited for them, so the next pass finds them rotated to the tail, clean.
        if (!got && sc.nr.pageout && this.waitForWriteback?.()) this.writebackThrottles++;
        nrBoostReclaim -= Math.min(nrBoostReclaim, got);
        // A boost pass that reclaims nothing cannot queue I/O to make progress: stop.
        if (nrBoostReclaim && !got) break;
        if (raisePriority || !got) sc.priority--;
      } while (sc.priority >= 1);
    }
    if (!balancedOut && !sc.nrReclaimed) k.kswapdFailureCounts[node.nid]!++;
    this.setReclaimActive(node, highestZoneidx, false);
    if (boosted) {
      for (let i = 0; i <= highestZoneidx; i++) {
        if (!zoneBoosts[i]) continue;
        const z = node.zones[i]!;
        z.watermarkBoost -= Math.min(z.watermarkBoost, zoneBoosts[i]!);
      }
      // There is likely space now: let kcompactd defragment pageblocks.
      this.kcompactd?.wakeup(node.nid, PAGEBLOCK_ORDER, highestZoneidx);
    }
    return sc.order;
  }
}

