/**
 * Plain-data views of the kernel model that the /proc renderers read. Taking a snapshot is
 * cheap and done on demand, so the renderers never touch the hot typed arrays directly.
 */
import type { ZoneName } from './constants.js';

export interface PagesetSnapshot {
  cpu: number;
  count: number;
  high: number;
  batch: number;
}

export interface ZoneSnapshot {
  nid: number;
  name: ZoneName;
  /** populated_zone(): present_pages != 0 */
  populated: boolean;
  startPfn: number;
  spanned: number;
  present: number;
  managed: number;
  cma: number;
  /** _watermark[] without the boost, and the current boost (zoneinfo prints min/low/high with boost added). */
  wmarkMin: number;
  wmarkLow: number;
  wmarkHigh: number;
  boost: number;
  /** lowmem_reserve[0..MAX_NR_ZONES-1] ("protection:" in zoneinfo) */
  lowmemReserve: number[];
  /** free_area[order].nr_free, order 0..MAX_ORDER-1 */
  nrFree: number[];
  /** Blocks on free_area[order].free_list[mt]: freeByType[mt][order] */
  freeByType: number[][];
  /** Pageblocks whose PB_migrate bits say mt: pageblocksByType[mt] */
  pageblocksByType: number[];
  /** Zone vm_stat items by /proc name (nr_free_pages, nr_zone_inactive_anon, ...). Missing means 0. */
  stats: Record<string, number>;
  pagesets: PagesetSnapshot[];
  /** vm stats threshold printed per cpu in zoneinfo (calculate_normal_threshold()). */
  statThreshold: number;
  /** pgdat->kswapd_failures >= MAX_RECLAIM_RETRIES */
  nodeUnreclaimable: boolean;
}

export interface NodeSnapshot {
  nid: number;
  /** Node vm_stat items by /proc name (nr_inactive_anon, ...). Missing means 0. */
  stats: Record<string, number>;
  /** All zones of the node in zone-index order, populated or not (zoneinfo prints every one). */
  zones: ZoneSnapshot[];
}

export interface MachineSnapshot {
  nodes: NodeSnapshot[];
  /** Global vm events and derived items by /proc/vmstat name (pgalloc_normal, pgfree, ...). Missing means 0. */
  events: Record<string, number>;
  /** Values /proc/vmstat computes at read time (nr_dirty_threshold, nr_dirty_background_threshold). */
  derived: Record<string, number>;
}
