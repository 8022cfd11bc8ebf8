/**
 * The simulated kernel: one booted machine's page allocator plus the state the memory users
 * share (owners, LRU lists, node counters, the virtual clock), and the mechanisms wired into
 * the allocation slowpath: reclaim (kswapd), compaction (kcompactd) and the OOM killer.
 * Memory users (swap, shmem, processes, drivers) hold a reference to it, as kernel code
 * reaches its globals.
 */
import type { MachineConfig } from '../machine/config.js';
import { EventQueue } from '../sim/clock.js';
import { Prng } from '../sim/prng.js';
import { bootMachine } from './mm_init.js';
import type { MemMap } from './memmap.js';
import { Owners } from './owners.js';
import type { PageAllocator } from './page_alloc.js';
import { PG_head, PG_lru } from './page_flags.js';
import { Counters, NODE_STAT_NAMES, NodeStat } from './vmstat.js';
import type { PgData, Zone } from './zone.js';
import { lruDel } from './lru.js';
import { Compaction } from './compaction.js';
import { Kcompactd } from './kcompactd.js';
import { Vmscan } from './vmscan.js';
import { OomKiller } from './oom_kill.js';
import { AllocSlowpath } from './alloc_slowpath.js';
import type { AddressSpace } from './filemap.js';
import type { TraceEventSink } from './tracepoints.js';

/** The vm sysctls of the memory users (Documentation/admin-guide/sysctl/vm.rst). */
export interface VmSysctls {
  swappiness: number;
  /** vm.compact_unevictable_allowed (used by compaction). */
  compactUnevictableAllowed: boolean;
}

export interface SwapTotals {
  totalPages(): number;
  freePages(): number;
}

export interface CurrentTask {
  comm: string;
  pid: number;
  oomScoreAdj: number;
}

export class Kernel {
  readonly alloc: PageAllocator;
  readonly mem: MemMap;
  readonly clock = new EventQueue();
  readonly owners = new Owners();
  /** node_stat_item counters per node (pglist_data.vm_stat). */
  readonly nodeStats: Counters[];
  readonly vm: VmSysctls = { swappiness: 60, compactUnevictableAllowed: true };
  /** vm.min_free_kbytes in force (boot, then set_recommended_min_free_kbytes() on THP writes). */
  minFreeKbytes: number;
  /** The seeded stream every stochastic choice inside the model draws from. */
  readonly prng: Prng;
  readonly compaction: Compaction;
  readonly kcompactd: Kcompactd;
  readonly vmscan: Vmscan;
  readonly oom: OomKiller;
  readonly slowpath: AllocSlowpath;
  /** The swap cache's address_space (swapper_spaces), once swap is configured. */
  swapCache: AddressSpace | null = null;
  /** Swap space totals (total_swap_pages, get_nr_swap_pages()), once swap is configured. */
  swap: SwapTotals | null = null;
  /** Where compaction, migration and reclaim tracepoints go, when traced. */
  eventTrace: TraceEventSink | null = null;
  /** The task on whose behalf the model is running (current): named in OOM reports and traces. */
  current: CurrentTask = { comm: 'pagelab', pid: 1, oomScoreAdj: 0 };
  /** pgdat->kswapd_failures per node (reclaim keeps it; >= MAX_RECLAIM_RETRIES is "unreclaimable"). */
  readonly kswapdFailureCounts: number[];

  constructor(readonly config: MachineConfig, seed = 1) {
    const booted = bootMachine(config);
    this.alloc = booted.alloc;
    this.mem = booted.alloc.mem;
    this.minFreeKbytes = booted.minFreeKbytes;
    this.nodeStats = this.alloc.nodes.map(() => new Counters(NODE_STAT_NAMES));
    this.kswapdFailureCounts = this.alloc.nodes.map(() => 0);
    this.prng = new Prng(seed);
    this.alloc.timeSource = this.clock; // trace timestamps are the machine's virtual time
    this.compaction = new Compaction(this);
    this.kcompactd = new Kcompactd(this, this.compaction);
    this.vmscan = new Vmscan(this);
    this.vmscan.kcompactd = this.kcompactd;
    this.kcompactd.kswapdRunning = (nid) => this.vmscan.isKswapdRunning(nid);
    this.vmscan.resetIsolationSuitable = (nid) => {
      for (const z of this.alloc.nodes[nid]!.zones) if (z.populated && z.compactBlockskipFlush) this.compaction.resetIsolationSuitable(z);
    };
    this.oom = new OomKiller(this);
    const vmscan = this.vmscan;
    this.slowpath = new AllocSlowpath(this, this.compaction, {
      tryToFreePages: (gfp, order, ac) => vmscan.tryToFreePages(gfp, order, ac.zonelist.slice(ac.preferred), ac.highestZoneidx),
      wakeupKswapd: (zone, gfp, order, idx) => vmscan.wakeupKswapd(zone, gfp, order, idx),
      runPendingKswapd: () => vmscan.runPendingKswapd(),
    }, this.oom);
    this.slowpath.install();
    this.kcompactd.start();
  }

  /** Fire a rendered tracepoint (callers test `eventTrace` first so a disabled one costs a branch). */
  traceEvent(name: string, body: string): void {
    const alloc = this.alloc;
    const ctx = alloc.traceCtx;
    ctx.cpu = alloc.cpu;
    ctx.timeNs = this.clock.now;
    this.eventTrace?.event(ctx, name, body);
  }

  kswapdFailures(nid: number): number {
    return this.kswapdFailureCounts[nid]!;
  }

  /** Make `task` current: allocations are on its behalf. */
  setCurrent(task: CurrentTask): void {
    this.current = task;
    this.alloc.traceCtx.comm = task.comm;
    this.alloc.traceCtx.pid = task.pid;
  }

  get nodes(): PgData[] {
    return this.alloc.nodes;
  }

  slot(pfn: number): number {
    return pfn - this.mem.pfnBase;
  }

  pfn(slot: number): number {
    return slot + this.mem.pfnBase;
  }

  zoneOf(pfn: number): Zone {
    return this.alloc.zoneOfSlot(pfn - this.mem.pfnBase);
  }

  nodeOf(pfn: number): PgData {
    return this.alloc.nodes[this.zoneOf(pfn).nid]!;
  }

  modNodeStat(pfn: number, item: NodeStat, delta: number): void {
    this.nodeStats[this.zoneOf(pfn).nid]!.values[item]! += delta;
  }

  nodeStat(nid: number, item: NodeStat): number {
    return this.nodeStats[nid]!.values[item]!;
  }

  /** folio_nr_pages() */
  nrPages(pfn: number): number {
    const s = pfn - this.mem.pfnBase;
    return (this.mem.flags[s]! & PG_head) !== 0 ? 1 << this.mem.order[s]! : 1;
  }

  /** get_page() / folio_get() */
  getPage(pfn: number, refs = 1): void {
    this.mem.refcount[pfn - this.mem.pfnBase]! += refs;
  }

  /**
   * put_page() / folio_put(): drop a reference; at zero the folio leaves the LRU if it is still
   * on one (__page_cache_release) and goes back to the page allocator.
   */
  putPage(pfn: number, refs = 1): void {
    const s = pfn - this.mem.pfnBase;
    const rc = (this.mem.refcount[s]! -= refs);
    if (rc > 0) return;
    if (rc < 0) throw new Error(`put_page: pfn 0x${pfn.toString(16)} refcount went negative`);
    if ((this.mem.flags[s]! & PG_lru) !== 0) lruDel(this, pfn);
    const order = (this.mem.flags[s]! & PG_head) !== 0 ? this.mem.order[s]! : 0;
    this.alloc.freePages(pfn, order);
  }
}
