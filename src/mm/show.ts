/**
 * Snapshots of the live model for the /proc renderers (mm/vmstat.c walks the same state:
 * free lists per order and type, pageblock bits, zone counters, pagesets).
 */
import { MAX_ORDER, MIGRATE_TYPES, PAGEBLOCK_NR_PAGES, PAGE_SHIFT } from './constants.js';
import type { PageAllocator } from './page_alloc.js';
import type { MachineSnapshot, NodeSnapshot, ZoneSnapshot } from './snapshot.js';
import { NR_ZONE_STATS, ZONE_STAT_NAMES } from './vmstat.js';
import { WMARK_HIGH, WMARK_LOW, WMARK_MIN, type Zone } from './zone.js';

export interface SnapshotExtras {
  /** Node stat items by /proc name, per node id (filled by the memory users). */
  nodeStats?: (nid: number) => Record<string, number>;
  /** Further events by /proc name (merged over the allocator's own). */
  events?: Record<string, number>;
  derived?: Record<string, number>;
}

export function takeSnapshot(alloc: PageAllocator, extras: SnapshotExtras = {}): MachineSnapshot {
  const nodes: NodeSnapshot[] = alloc.nodes.map((node) => ({
    nid: node.nid,
    stats: extras.nodeStats?.(node.nid) ?? {},
    zones: node.zones.map((z) => zoneSnapshot(alloc, z)),
  }));
  return {
    nodes,
    events: { ...alloc.events.toRecord(), ...extras.events },
    derived: extras.derived ?? {},
  };
}

/** Length of each free list: freeByType[mt][order] (the kernel walks the lists too). */
export function freeListCounts(alloc: PageAllocator, z: Zone): number[][] {
  const mem = alloc.mem;
  const counts: number[][] = [];
  for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
    const row: number[] = [];
    for (let order = 0; order < MAX_ORDER; order++) {
      const head = z.freeListHead(order, mt);
      let n = 0;
      for (let s = mem.next[head]!; s !== head; s = mem.next[s]!) n++;
      row.push(n);
    }
    counts.push(row);
  }
  return counts;
}

/** pagetypeinfo_showblockcount_print(): from zone_start_pfn in pageblock steps. */
export function pageblockCounts(alloc: PageAllocator, z: Zone): number[] {
  const counts = new Array<number>(MIGRATE_TYPES).fill(0);
  for (let slot = z.startSlot; slot < z.endSlot; slot += PAGEBLOCK_NR_PAGES) {
    if (alloc.mem.zoneId(slot) !== z.id) continue;
    counts[alloc.mem.getPageblockMigratetype(slot)]!++;
  }
  return counts;
}

/** calculate_normal_threshold() */
function statThreshold(managed: number, cpus: number): number {
  const mem = Math.floor(managed / (1 << (27 - PAGE_SHIFT)));
  return Math.min(125, 2 * fls(cpus) * (1 + fls(mem)));
}

function fls(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x);
}

function zoneSnapshot(alloc: PageAllocator, z: Zone): ZoneSnapshot {
  const stats: Record<string, number> = {};
  for (let i = 0; i < NR_ZONE_STATS; i++) stats[ZONE_STAT_NAMES[i]!] = z.vmStat[i]!;
  const pagesets = [];
  for (let cpu = 0; cpu < alloc.nrCpus; cpu++) {
    pagesets.push({ cpu, count: z.pcpCount[cpu]!, high: z.pcpHigh[cpu]!, batch: z.pcpBatch[cpu]! });
  }
  return {
    nid: z.nid,
    name: z.name,
    populated: z.populated,
    startPfn: z.startPfn,
    spanned: z.spanned,
    present: z.present,
    managed: z.managed,
    cma: 0,
    wmarkMin: z.watermark[WMARK_MIN]!,
    wmarkLow: z.watermark[WMARK_LOW]!,
    wmarkHigh: z.watermark[WMARK_HIGH]!,
    boost: z.watermarkBoost,
    lowmemReserve: Array.from(z.lowmemReserve),
    nrFree: Array.from(z.nrFree),
    freeByType: freeListCounts(alloc, z),
    pageblocksByType: pageblockCounts(alloc, z),
    stats,
    pagesets,
    statThreshold: z.populated ? statThreshold(z.managed, alloc.nrCpus) : 0,
    nodeUnreclaimable: false,
  };
}
