/**
 * Counters named as in /proc/vmstat (include/linux/mmzone.h enum zone_stat_item and
 * node_stat_item, include/linux/vm_event_item.h). Each enum member is its /proc name in upper
 * case, so the name table is derived and cannot drift. Only modelled items are here; the
 * renderer prints every other 6.1 item as 0 (the full order is in vmstat_items.ts).
 */
import { MAX_NR_ZONES } from './constants.js';

function namesOf(e: Record<string, string | number>): readonly string[] {
  return Object.keys(e).filter((k) => Number.isNaN(Number(k))).map((k) => k.toLowerCase());
}

/** enum zone_stat_item (modelled subset), kept per zone. */
export enum ZoneStat {
  NR_FREE_PAGES,
  NR_ZONE_INACTIVE_ANON,
  NR_ZONE_ACTIVE_ANON,
  NR_ZONE_INACTIVE_FILE,
  NR_ZONE_ACTIVE_FILE,
  NR_ZONE_UNEVICTABLE,
  NR_ZONE_WRITE_PENDING,
  NR_MLOCK,
}
export const ZONE_STAT_NAMES = namesOf(ZoneStat);
export const NR_ZONE_STATS = ZONE_STAT_NAMES.length;

/** enum node_stat_item (modelled subset), kept per node. Slab items are in pages here. */
export enum NodeStat {
  NR_INACTIVE_ANON,
  NR_ACTIVE_ANON,
  NR_INACTIVE_FILE,
  NR_ACTIVE_FILE,
  NR_UNEVICTABLE,
  NR_SLAB_RECLAIMABLE,
  NR_SLAB_UNRECLAIMABLE,
  NR_ISOLATED_ANON,
  NR_ISOLATED_FILE,
  WORKINGSET_REFAULT_ANON,
  WORKINGSET_REFAULT_FILE,
  WORKINGSET_ACTIVATE_ANON,
  WORKINGSET_ACTIVATE_FILE,
  NR_ANON_PAGES,
  NR_MAPPED,
  NR_FILE_PAGES,
  NR_DIRTY,
  NR_WRITEBACK,
  NR_SHMEM,
  NR_ANON_TRANSPARENT_HUGEPAGES,
  NR_VMSCAN_WRITE,
  NR_FOLL_PIN_ACQUIRED,
  NR_FOLL_PIN_RELEASED,
  NR_KERNEL_STACK,
  NR_SWAPCACHED,
  NR_VMSCAN_IMMEDIATE_RECLAIM,
}
export const NODE_STAT_NAMES = namesOf(NodeStat);
export const NR_NODE_STATS = NODE_STAT_NAMES.length;

/** enum vm_event_item (modelled subset). Zone-suffixed items are contiguous, in zone order. */
export enum VmEvent {
  PGPGIN,
  PGPGOUT,
  PSWPIN,
  PSWPOUT,
  PGALLOC_DMA,
  PGALLOC_DMA32,
  PGALLOC_NORMAL,
  PGALLOC_MOVABLE,
  PGALLOC_DEVICE,
  ALLOCSTALL_DMA,
  ALLOCSTALL_DMA32,
  ALLOCSTALL_NORMAL,
  ALLOCSTALL_MOVABLE,
  ALLOCSTALL_DEVICE,
  PGFREE,
  PGACTIVATE,
  PGDEACTIVATE,
  PGFAULT,
  PGMAJFAULT,
  PGREFILL,
  PGSTEAL_KSWAPD,
  PGSTEAL_DIRECT,
  PGSCAN_KSWAPD,
  PGSCAN_DIRECT,
  PGSCAN_ANON,
  PGSCAN_FILE,
  PGSTEAL_ANON,
  PGSTEAL_FILE,
  SLABS_SCANNED,
  KSWAPD_LOW_WMARK_HIT_QUICKLY,
  KSWAPD_HIGH_WMARK_HIT_QUICKLY,
  PAGEOUTRUN,
  OOM_KILL,
  PGMIGRATE_SUCCESS,
  PGMIGRATE_FAIL,
  THP_MIGRATION_SUCCESS,
  THP_MIGRATION_FAIL,
  THP_MIGRATION_SPLIT,
  COMPACT_MIGRATE_SCANNED,
  COMPACT_FREE_SCANNED,
  COMPACT_ISOLATED,
  COMPACT_STALL,
  COMPACT_FAIL,
  COMPACT_SUCCESS,
  COMPACT_DAEMON_WAKE,
  COMPACT_DAEMON_MIGRATE_SCANNED,
  COMPACT_DAEMON_FREE_SCANNED,
  UNEVICTABLE_PGS_CULLED,
  UNEVICTABLE_PGS_SCANNED,
  UNEVICTABLE_PGS_RESCUED,
  UNEVICTABLE_PGS_MLOCKED,
  UNEVICTABLE_PGS_MUNLOCKED,
  UNEVICTABLE_PGS_CLEARED,
  THP_FAULT_ALLOC,
  THP_FAULT_FALLBACK,
  // Added for the memory users (mm/swap.c, mm/huge_memory.c).
  PGROTATED,
  UNEVICTABLE_PGS_STRANDED,
  THP_SPLIT_PAGE,
  THP_SPLIT_PAGE_FAILED,
  THP_SPLIT_PMD,
  // mm/hugetlb.c alloc_buddy_huge_page()
  HTLB_BUDDY_ALLOC_SUCCESS,
  HTLB_BUDDY_ALLOC_FAIL,
}
export const VM_EVENT_NAMES = namesOf(VmEvent);
export const NR_VM_EVENTS = VM_EVENT_NAMES.length;

if (VmEvent.PGALLOC_DEVICE - VmEvent.PGALLOC_DMA !== MAX_NR_ZONES - 1) throw new Error('pgalloc_* out of step with zones');

/** A fixed set of Float64 counters (they never wrap) with their /proc names. */
export class Counters {
  readonly values: Float64Array;
  constructor(readonly names: readonly string[]) {
    this.values = new Float64Array(names.length);
  }

  toRecord(): Record<string, number> {
    const r: Record<string, number> = {};
    for (let i = 0; i < this.names.length; i++) r[this.names[i]!] = this.values[i]!;
    return r;
  }
}

/** Machine-wide event counters (count_vm_events). */
export class VmEvents extends Counters {
  constructor() {
    super(VM_EVENT_NAMES);
  }

  add(item: VmEvent, n: number): void {
    this.values[item]! += n;
  }

  get(item: VmEvent): number {
    return this.values[item]!;
  }
}
