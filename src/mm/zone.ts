/**
 * struct zone and struct pglist_data: spans, managed pages, free areas (list heads in the
 * MemMap), per-cpu pagesets, watermarks and lowmem reserves.
 */
import {
  MAX_NR_ZONES, MAX_ORDER, MIGRATE_PCPTYPES, MIGRATE_TYPES, PAGE_SHIFT,
  ZONE_NAMES, ZoneType, type ZoneName,
} from './constants.js';
import { NR_ZONE_STATS, ZoneStat } from './vmstat.js';

/** NR_PCP_LISTS with CONFIG_TRANSPARENT_HUGEPAGE: MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1) + 2. */
export const NR_PCP_LISTS = MIGRATE_PCPTYPES * 4 + 2;
/** NR_PCP_THP: the first pindex of the two THP lists. */
export const NR_PCP_THP_BASE = MIGRATE_PCPTYPES * 4;

export const WMARK_MIN = 0;
export const WMARK_LOW = 1;
export const WMARK_HIGH = 2;
export const WMARK_PROMO = 3;

export class Zone {
  readonly name: ZoneName;
  /** Global zone id: nid * MAX_NR_ZONES + type (the id packed into page flags). */
  readonly id: number;
  /** Slot range [startSlot, endSlot) of the span in the MemMap. */
  readonly startSlot: number;
  readonly endSlot: number;
  /** _watermark[WMARK_MIN..WMARK_PROMO] */
  readonly watermark = new Float64Array(4);
  watermarkBoost = 0;
  nrReservedHighatomic = 0;
  readonly lowmemReserve = new Float64Array(MAX_NR_ZONES);
  /** First list-head slot of free_area[order].free_list[mt] = freeHead + order * MIGRATE_TYPES + mt. */
  freeHead = -1;
  /** free_area[order].nr_free (blocks of every migratetype). */
  readonly nrFree = new Int32Array(MAX_ORDER);
  /** vm_stat[] */
  readonly vmStat = new Float64Array(NR_ZONE_STATS);
  /** First list-head slot of cpu's pcp lists = pcpHead + cpu * NR_PCP_LISTS + pindex. */
  pcpHead = -1;
  readonly pcpCount: Int32Array;
  readonly pcpHigh: Int32Array;
  readonly pcpBatch: Int32Array;
  readonly pcpFreeFactor: Int32Array;
  /** ZONE_BOOSTED_WATERMARK */
  boostedWatermark = false;
  /** ZONE_RECLAIM_ACTIVE (kswapd running on the node) */
  reclaimActive = false;
  /** Pageblocks of this zone currently MIGRATE_ISOLATE (has_isolate_pageblock()). */
  nrIsolatePageblock = 0;
  // Compaction state (struct zone, CONFIG_COMPACTION), as pfns; zeroed at boot like the kernel's
  // pgdat, so the first compact_zone() resets the scanners to the zone's ends.
  compactCachedFreePfn = 0;
  /** [async, sync] */
  readonly compactCachedMigratePfn = [0, 0];
  compactInitMigratePfn = 0;
  compactInitFreePfn = 0;
  compactConsidered = 0;
  compactDeferShift = 0;
  compactOrderFailed = 0;
  compactBlockskipFlush = false;

  constructor(
    readonly nid: number,
    readonly type: ZoneType,
    readonly startPfn: number,
    readonly spanned: number,
    readonly present: number,
    public managed: number,
    pfnBase: number,
    nrCpus: number,
  ) {
    this.name = ZONE_NAMES[type];
    this.id = nid * MAX_NR_ZONES + type;
    this.startSlot = startPfn - pfnBase;
    this.endSlot = this.startSlot + spanned;
    this.pcpCount = new Int32Array(nrCpus);
    this.pcpHigh = new Int32Array(nrCpus);
    this.pcpBatch = new Int32Array(nrCpus).fill(1);
    this.pcpFreeFactor = new Int32Array(nrCpus);
  }

  get endPfn(): number {
    return this.startPfn + this.spanned;
  }

  /** populated_zone() */
  get populated(): boolean {
    return this.present > 0;
  }

  /** zone_spans_pfn() on slots */
  spansSlot(slot: number): boolean {
    return slot >= this.startSlot && slot < this.endSlot;
  }

  freeListHead(order: number, mt: number): number {
    return this.freeHead + order * MIGRATE_TYPES + mt;
  }

  pcpListHead(cpu: number, pindex: number): number {
    return this.pcpHead + cpu * NR_PCP_LISTS + pindex;
  }

  get freePages(): number {
    return this.vmStat[ZoneStat.NR_FREE_PAGES]!;
  }

  /** min_wmark_pages() / low_wmark_pages() / high_wmark_pages(): the watermark plus the boost. */
  wmarkPages(which: number): number {
    return this.watermark[which]! + this.watermarkBoost;
  }
}

/** struct pglist_data: a NUMA node with all MAX_NR_ZONES zone slots (empty ones have no pages). */
export class PgData {
  /** node_zones[], indexed by ZoneType. */
  readonly zones: Zone[];
  /** The node's zonelist (ZONELIST_FALLBACK): populated zones, nodes by distance, zones high to low. */
  zonelist: Zone[] = [];
  /** CPUs local to the node (cpumask_of_node()). */
  cpus: number[] = [];
  /** First list-head slot of the node's lruvec lists (lruHead + enum lru_list). */
  lruHead = -1;

  constructor(readonly nid: number, zones: Zone[]) {
    this.zones = zones;
  }
}

const SZ_1M_PAGES = (1 << 20) >> PAGE_SHIFT;

/** zone_batchsize(): ~0.1% of the zone or 1 MiB, clamped to 2^n - 1 (may be 0; callers use max(1, ..)). */
export function zoneBatchsize(managed: number): number {
  let batch = Math.min(Math.floor(managed / 1024), SZ_1M_PAGES);
  batch = Math.floor(batch / 4);
  if (batch < 1) batch = 1;
  return roundDownPowOfTwo(batch + (batch >> 1)) - 1;
}

/** zone_highsize(): the low watermark (or managed / fraction) split over the node's CPUs, at least 4 * batch. */
export function zoneHighsize(zone: Zone, batch: number, nodeCpus: number, totalCpus: number, highFraction: number): number {
  const total = highFraction ? Math.floor(zone.managed / highFraction) : zone.wmarkPages(WMARK_LOW);
  const split = nodeCpus || totalCpus;
  return Math.max(Math.floor(total / split), batch << 2);
}

export function roundDownPowOfTwo(n: number): number {
  return n < 1 ? 0 : 2 ** Math.floor(Math.log2(n));
}

/** int_sqrt(): floor of the square root. */
export function intSqrt(x: number): number {
  let r = Math.floor(Math.sqrt(x));
  while (r * r > x) r--;
  while ((r + 1) * (r + 1) <= x) r++;
  return r;
}

/** mult_frac(x, numer, denom) without overflow concerns (doubles are exact here). */
export function multFrac(x: number, numer: number, denom: number): number {
  const q = Math.floor(x / denom);
  const r = x % denom;
  return q * numer + Math.floor((r * numer) / denom);
}

