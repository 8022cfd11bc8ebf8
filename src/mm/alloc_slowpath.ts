/**
 * __alloc_pages_slowpath() (mm/page_alloc.c, 6.1.y) and its helpers: kswapd wakeup, the retry
 * at the min watermark, async direct compaction first for costly and non-movable high orders,
 * direct reclaim, should_reclaim_retry(), should_compact_retry() with priority escalation, the
 * OOM killer for orders <= PAGE_ALLOC_COSTLY_ORDER, the OOM victim's reserve access, and
 * __GFP_NOFAIL's reserve attempts and endless retry (bounded in the model: see nopage).
 */
import { MigrateType, PAGE_ALLOC_COSTLY_ORDER } from './constants.js';
import {
  type CompactPriority, CompactResult, Compaction, DEF_COMPACT_PRIORITY, INIT_COMPACT_PRIORITY, MIN_COMPACT_COSTLY_PRIORITY,
  MIN_COMPACT_PRIORITY,
} from './compaction.js';
import {
  __GFP_DIRECT_RECLAIM, __GFP_HARDWALL, __GFP_IO, __GFP_MEMALLOC, __GFP_NOFAIL, __GFP_NOMEMALLOC, __GFP_NORETRY,
  __GFP_RETRY_MAYFAIL, __GFP_THISNODE,
} from './gfp.js';
import type { Kernel } from './kernel.js';
import { showGfpFlags } from '../trace/gfp_names.js';
import { OomKiller, oomAllowed } from './oom_kill.js';
import {
  ALLOC_CPUSET, ALLOC_KSWAPD, ALLOC_MIN_RESERVE, ALLOC_NO_WATERMARKS, ALLOC_OOM, ALLOC_WMARK_HIGH, type AllocContext,
} from './page_alloc.js';
import { VmEvent, ZoneStat } from './vmstat.js';
import type { Zone } from './zone.js';

/** MAX_RECLAIM_RETRIES (mm/internal.h) */
export const MAX_RECLAIM_RETRIES = 16;
/** MAX_COMPACT_RETRIES */
export const MAX_COMPACT_RETRIES = 16;
/**
 * The model's bound on __GFP_NOFAIL's retries (the kernel loops forever): after this many OOM
 * "progress" rounds and nopage retries without a page, the request is recorded as a livelock
 * and fails.
 */
export const NOFAIL_MAX_RETRIES = 16;

/** What the slowpath needs from reclaim (mm/vmscan.c). */
export interface Reclaim {
  /** try_to_free_pages(): direct reclaim; returns the pages reclaimed (did_some_progress). */
  tryToFreePages(gfp: number, order: number, ac: AllocContext): number;
  /** wakeup_kswapd() */
  wakeupKswapd(zone: Zone, gfp: number, order: number, highestZoneidx: number): void;
  /** Let a woken kswapd, running on another CPU, do its pass before the task retries. */
  runPendingKswapd(): void;
}

/** Counts of what the slowpath did, for reports. */
export interface SlowpathStats {
  /** Allocations that entered the slowpath. */
  entered: number;
  /** Allocations that failed in the end (returned NULL). */
  failed: number;
  /** Allocation failures by order. */
  failedByOrder: number[];
  /** __GFP_NOFAIL requests given up after NOFAIL_MAX_RETRIES rounds (the kernel would loop forever). */
  nofailLivelocks: number;
}

/** A __GFP_NOFAIL request the model stopped retrying. */
export interface NofailLivelock {
  timeNs: number;
  comm: string;
  pid: number;
  gfp: number;
  order: number;
}

export class AllocSlowpath {
  readonly stats: SlowpathStats = { entered: 0, failed: 0, failedByOrder: new Array<number>(11).fill(0), nofailLivelocks: 0 };
  /** The __GFP_NOFAIL requests that would have looped forever, in order. */
  readonly livelocks: NofailLivelock[] = [];

  constructor(
    private readonly k: Kernel,
    readonly compaction: Compaction,
    readonly reclaim: Reclaim | null,
    readonly oom: OomKiller,
  ) {}

  /** Install as the allocator's slowpath and kswapd waker. */
  install(): void {
    const alloc = this.k.alloc;
    alloc.hooks.slowpath = (gfp, order, ac) => this.slowpath(gfp, order, ac);
    if (this.reclaim) {
      const reclaim = this.reclaim;
      alloc.hooks.wakeupKswapd = (zone, gfp, order, idx) => reclaim.wakeupKswapd(zone, gfp, order, idx);
    }
  }

  /** zone_reclaimable_pages() (6.1.y: a zone with nothing reclaimable counts its free pages). */
  zoneReclaimablePages(zone: Zone): number {
    let nr = zone.vmStat[ZoneStat.NR_ZONE_INACTIVE_FILE]! + zone.vmStat[ZoneStat.NR_ZONE_ACTIVE_FILE]!;
    if ((this.k.swap?.freePages() ?? 0) > 0) {
      nr += zone.vmStat[ZoneStat.NR_ZONE_INACTIVE_ANON]! + zone.vmStat[ZoneStat.NR_ZONE_ACTIVE_ANON]!;
    }
    return nr === 0 ? zone.vmStat[ZoneStat.NR_FREE_PAGES]! : nr;
  }

  private gpff(gfp: number, order: number, allocFlags: number, ac: AllocContext): number {
    return this.k.alloc.getPageFromFreelistAc(gfp, order, allocFlags, ac);
  }

  private wakeAllKswapds(gfp: number, order: number, ac: AllocContext): void {
    this.k.alloc.wakeAllKswapds(gfp, order, ac);
  }

  /** __alloc_pages_direct_compact(): returns a slot or -1, and the compaction result. */
  private directCompact(gfp: number, order: number, allocFlags: number, ac: AllocContext, prio: CompactPriority): { slot: number; result: CompactResult } {
    if (!order) return { slot: -1, result: CompactResult.SKIPPED };
    const zones = ac.zonelist.slice(ac.preferred);
    const { result, captured } = this.compaction.tryToCompactPages(gfp, order, allocFlags, zones, ac.highestZoneidx, prio);
    if (result === CompactResult.SKIPPED) return { slot: -1, result };
    const ev = this.k.alloc.events;
    ev.add(VmEvent.COMPACT_STALL, 1);
    let slot: number;
    if (captured >= 0) {
      slot = this.k.slot(captured);
      this.k.alloc.prepNewPage(slot, order, gfp);
    } else {
      slot = this.gpff(gfp, order, allocFlags, ac);
    }
    if (slot >= 0) {
      const zone = this.k.alloc.zoneOfSlot(slot);
      zone.compactBlockskipFlush = false;
      this.compaction.compactionDeferReset(zone, order, true);
      ev.add(VmEvent.COMPACT_SUCCESS, 1);
      return { slot, result };
    }
    ev.add(VmEvent.COMPACT_FAIL, 1);
    return { slot: -1, result };
  }

  /** __alloc_pages_direct_reclaim(): reclaim, retry, and once drain the pcp lists and HIGHATOMIC. */
  private directReclaim(gfp: number, order: number, allocFlags: number, ac: AllocContext): { slot: number; progress: number } {
    if (!this.reclaim) return { slot: -1, progress: 0 };
    const progress = this.reclaim.tryToFreePages(gfp, order, ac);
    if (!progress) return { slot: -1, progress };
    let slot = this.gpff(gfp, order, allocFlags, ac);
    if (slot < 0) {
      this.k.alloc.unreserveHighatomicPageblock(false);
      this.k.alloc.drainAllPages();
      slot = this.gpff(gfp, order, allocFlags, ac);
    }
    return { slot, progress };
  }

  /** should_reclaim_retry() */
  private shouldReclaimRetry(order: number, ac: AllocContext, allocFlags: number, didProgress: boolean, loops: { n: number }): boolean {
    if (didProgress && order <= PAGE_ALLOC_COSTLY_ORDER) loops.n = 0;
    else loops.n++;
    let ret = false;
    if (loops.n <= MAX_RECLAIM_RETRIES) {
      for (const zone of ac.zonelist) {
        if (zone.type > ac.highestZoneidx) continue;
        const available = this.zoneReclaimablePages(zone) + zone.vmStat[ZoneStat.NR_FREE_PAGES]!;
        if (this.k.alloc.zoneWatermarkOk(zone, order, zone.wmarkPages(0), ac.highestZoneidx, allocFlags, available)) {
          ret = true;
          break;
        }
      }
    }
    if (!ret) return this.k.alloc.unreserveHighatomicPageblock(true);
    return ret;
  }

  /** should_compact_retry(): retry on progress, else escalate the priority while possible. */
  private shouldCompactRetry(order: number, ac: AllocContext, allocFlags: number, result: CompactResult, state: { prio: CompactPriority; retries: number }): boolean {
    if (!order) return false;
    if (result === CompactResult.SUCCESS) state.retries++;
    let checkPriority = false;
    if (result === CompactResult.COMPLETE) checkPriority = true;
    else if (result === CompactResult.SKIPPED) {
      return this.compaction.compactionZonelistSuitable(ac.zonelist.slice(ac.preferred), order, allocFlags, ac.highestZoneidx, (z) => this.zoneReclaimablePages(z));
    } else if (result === CompactResult.DEFERRED || result === CompactResult.CONTENDED || result === CompactResult.PARTIAL_SKIPPED) {
      checkPriority = true;
    }
    if (!checkPriority) {
      let max = MAX_COMPACT_RETRIES;
      if (order > PAGE_ALLOC_COSTLY_ORDER) max >>= 2;
      if (state.retries <= max) return true;
    }
    const minPrio = order > PAGE_ALLOC_COSTLY_ORDER ? MIN_COMPACT_COSTLY_PRIORITY : MIN_COMPACT_PRIORITY;
    if (state.prio > minPrio) {
      state.prio--;
      state.retries = 0;
      return true;
    }
    return false;
  }

  /**
   * __gfp_pfmemalloc_flags(): the reserves a request may use beyond its watermark, 0 for none.
   * PF_MEMALLOC contexts are not modelled; an OOM victim gets ALLOC_OOM (oom_reserves_allowed()).
   */
  private pfmemallocFlags(gfp: number): number {
    if ((gfp & __GFP_NOMEMALLOC) !== 0) return 0;
    if ((gfp & __GFP_MEMALLOC) !== 0) return ALLOC_NO_WATERMARKS;
    return this.oom.currentIsVictim() ? ALLOC_OOM : 0;
  }

  /**
   * __alloc_pages_cpuset_fallback(): there are no cpusets, so the retry without ALLOC_CPUSET
   * would be the same attempt.
   */
  private cpusetFallback(gfp: number, order: number, allocFlags: number, ac: AllocContext): number {
    return this.gpff(gfp, order, allocFlags | ALLOC_CPUSET, ac);
  }

  /** __alloc_pages_may_oom() */
  private mayOom(gfp: number, order: number, ac: AllocContext): { slot: number; progress: boolean } {
    const slot = this.gpff((gfp | __GFP_HARDWALL) & ~__GFP_DIRECT_RECLAIM, order, ALLOC_WMARK_HIGH | ALLOC_CPUSET, ac);
    if (slot >= 0) return { slot, progress: false };
    if (!oomAllowed(gfp, order, ac.highestZoneidx)) return { slot: -1, progress: false };
    if (this.oom.outOfMemory({ gfp, order, highestZoneidx: ac.highestZoneidx }) || (gfp & __GFP_NOFAIL) !== 0) {
      // A non-failing request gets the whole reserve.
      const nofail = (gfp & __GFP_NOFAIL) !== 0 ? this.cpusetFallback(gfp, order, ALLOC_NO_WATERMARKS, ac) : -1;
      return { slot: nofail, progress: true };
    }
    return { slot: -1, progress: false };
  }

  /** __alloc_pages_slowpath() */
  slowpath(gfp: number, order: number, ac: AllocContext): number {
    this.stats.entered++;
    const alloc = this.k.alloc;
    const canDirectReclaim = (gfp & __GFP_DIRECT_RECLAIM) !== 0;
    const canCompact = (gfp & __GFP_IO) !== 0;
    const costly = order > PAGE_ALLOC_COSTLY_ORDER;
    const nofail = (gfp & __GFP_NOFAIL) !== 0;
    const loops = { n: 0 };
    const compact = { prio: DEF_COMPACT_PRIORITY as CompactPriority, retries: 0 };
    let compactResult = CompactResult.SKIPPED;
    let allocFlags = alloc.gfpToAllocFlags(gfp, order);
    if ((allocFlags & ALLOC_KSWAPD) !== 0) this.wakeAllKswapds(gfp, order, ac);
    let slot = this.gpff(gfp, order, allocFlags, ac);
    if (slot >= 0) return slot;
    let toNopage = false;
    if (
      canDirectReclaim && canCompact && (costly || (order > 0 && ac.migratetype !== MigrateType.MOVABLE)) &&
      this.pfmemallocFlags(gfp) === 0
    ) {
      const r = this.directCompact(gfp, order, allocFlags, ac, INIT_COMPACT_PRIORITY);
      if (r.slot >= 0) return r.slot;
      compactResult = r.result;
      if (costly && (gfp & __GFP_NORETRY) !== 0) {
        if (compactResult === CompactResult.SKIPPED || compactResult === CompactResult.DEFERRED || (gfp & __GFP_THISNODE) !== 0) {
          toNopage = true;
        } else {
          compact.prio = INIT_COMPACT_PRIORITY;
        }
      }
    }
    // __GFP_NOFAIL's endless loops (OOM "progress" and nopage's goto retry) are bounded here.
    let nofailRounds = 0;
    for (;;) {
      retry: for (; !toNopage; ) {
        if ((allocFlags & ALLOC_KSWAPD) !== 0) {
          this.wakeAllKswapds(gfp, order, ac);
          this.reclaim?.runPendingKswapd();
        }
        const reserveFlags = this.pfmemallocFlags(gfp);
        if (reserveFlags) allocFlags = reserveFlags | (allocFlags & ALLOC_KSWAPD);
        slot = this.gpff(gfp, order, allocFlags, ac);
        if (slot >= 0) return slot;
        if (!canDirectReclaim) break retry;
        const rec = this.directReclaim(gfp, order, allocFlags, ac);
        if (rec.slot >= 0) return rec.slot;
        let progress = rec.progress > 0;
        const dc = this.directCompact(gfp, order, allocFlags, ac, compact.prio);
        if (dc.slot >= 0) return dc.slot;
        compactResult = dc.result;
        if ((gfp & __GFP_NORETRY) !== 0) break retry;
        if (costly && (!canCompact || (gfp & __GFP_RETRY_MAYFAIL) === 0)) break retry;
        if (this.shouldReclaimRetry(order, ac, allocFlags, progress, loops)) continue;
        if (progress && canCompact && this.shouldCompactRetry(order, ac, allocFlags, compactResult, compact)) continue;
        const oom = this.mayOom(gfp, order, ac);
        if (oom.slot >= 0) return oom.slot;
        // Avoid allocations with no watermarks from looping endlessly.
        if (this.oom.currentIsVictim() && ((allocFlags & ALLOC_OOM) !== 0 || (gfp & __GFP_NOMEMALLOC) !== 0)) break retry;
        progress = oom.progress;
        if (progress) {
          if (nofail && ++nofailRounds >= NOFAIL_MAX_RETRIES) break retry;
          loops.n = 0;
          continue;
        }
        break retry;
      }
      // nopage: __GFP_NOFAIL tries the min reserve and retries; the kernel does so forever.
      toNopage = false;
      if (!nofail || !canDirectReclaim) break;
      slot = this.cpusetFallback(gfp, order, ALLOC_MIN_RESERVE, ac);
      if (slot >= 0) return slot;
      if (++nofailRounds >= NOFAIL_MAX_RETRIES) {
        this.recordLivelock(gfp, order);
        break;
      }
    }
    this.stats.failed++;
    this.stats.failedByOrder[order]!++;
    return -1;
  }

  /** The model stops a __GFP_NOFAIL request that keeps failing: count it and trace it. */
  private recordLivelock(gfp: number, order: number): void {
    const k = this.k;
    this.stats.nofailLivelocks++;
    this.livelocks.push({ timeNs: k.clock.now, comm: k.current.comm, pid: k.current.pid, gfp, order });
    if (k.eventTrace) k.traceEvent('pagelab_nofail_livelock', `order=${order} gfp_mask=${showGfpFlags(gfp)} retries=${NOFAIL_MAX_RETRIES}`);
  }

}
