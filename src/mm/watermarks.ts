/**
 * Boot-time and sysctl-driven zone limits (mm/page_alloc.c): min_free_kbytes, the three
 * watermarks, lowmem_reserve[] and the per-cpu pageset batch/high that derive from them.
 */
import { MAX_NR_ZONES, MIGRATE_PCPTYPES, PAGEBLOCK_NR_PAGES, PAGE_SHIFT, ZoneType } from './constants.js';
import type { Sysctls } from '../machine/config.js';
import {
  type PgData, WMARK_HIGH, WMARK_LOW, WMARK_MIN, WMARK_PROMO, intSqrt, multFrac, zoneBatchsize,
  zoneHighsize,
} from './zone.js';

/** nr_free_buffer_pages(): managed pages above the high watermark in zones <= ZONE_NORMAL (gfp_zone(GFP_USER)). */
export function nrFreeBufferPages(nodes: readonly PgData[]): number {
  let sum = 0;
  for (const node of nodes) {
    for (const z of node.zones) {
      if (z.type > ZoneType.NORMAL) continue;
      const high = z.wmarkPages(WMARK_HIGH);
      if (z.managed > high) sum += z.managed - high;
    }
  }
  return sum;
}

/** calculate_min_free_kbytes(): sqrt(lowmem_kbytes * 16), clamped to [128, 262144]. */
export function calculateMinFreeKbytes(nodes: readonly PgData[]): number {
  const lowmemKbytes = nrFreeBufferPages(nodes) * (1 << (PAGE_SHIFT - 10));
  const v = intSqrt(lowmemKbytes * 16);
  return Math.min(Math.max(v, 128), 262144);
}

/**
 * set_recommended_min_free_kbytes() (mm/khugepaged.c): with THP enabled, keep room for
 * 2 + MIGRATE_PCPTYPES^2 pageblocks per populated zone <= NORMAL, at most 5% of lowmem.
 */
export function recommendedMinFreeKbytes(nodes: readonly PgData[]): number {
  let nrZones = 0;
  for (const node of nodes) for (const z of node.zones) if (z.populated && z.type <= ZoneType.NORMAL) nrZones++;
  let rec = PAGEBLOCK_NR_PAGES * nrZones * 2 + PAGEBLOCK_NR_PAGES * nrZones * MIGRATE_PCPTYPES * MIGRATE_PCPTYPES;
  rec = Math.min(rec, Math.floor(nrFreeBufferPages(nodes) / 20));
  return rec << (PAGE_SHIFT - 10);
}

/**
 * set_recommended_min_free_kbytes() as start_stop_khugepaged() calls it on every write to THP's
 * `enabled` (6.1.192): THP off puts min_free_kbytes back to calculate_min_free_kbytes() (a
 * value written to the sysctl is lost too); THP on raises it to the recommended value if that
 * is larger. Then setup_per_zone_wmarks(). Returns the min_free_kbytes in force.
 */
export function khugepagedMinFreeKbytes(nodes: readonly PgData[], current: number, thpEnabled: boolean, watermarkScaleFactor: number): number {
  let minFreeKbytes = current;
  if (!thpEnabled) minFreeKbytes = calculateMinFreeKbytes(nodes);
  else minFreeKbytes = Math.max(current, recommendedMinFreeKbytes(nodes));
  setupPerZoneWmarks(nodes, minFreeKbytes, watermarkScaleFactor);
  return minFreeKbytes;
}

/** __setup_per_zone_wmarks() for a machine without HIGHMEM. */
export function setupPerZoneWmarks(nodes: readonly PgData[], minFreeKbytes: number, watermarkScaleFactor: number): void {
  const pagesMin = minFreeKbytes >> (PAGE_SHIFT - 10);
  let lowmemPages = 0;
  for (const node of nodes) for (const z of node.zones) lowmemPages += z.managed;
  for (const node of nodes) {
    for (const z of node.zones) {
      const tmp = lowmemPages ? Math.floor((pagesMin * z.managed) / lowmemPages) : 0;
      z.watermark[WMARK_MIN] = tmp;
      const gap = Math.max(tmp >> 2, multFrac(z.managed, watermarkScaleFactor, 10000));
      z.watermarkBoost = 0;
      z.watermark[WMARK_LOW] = tmp + gap;
      z.watermark[WMARK_HIGH] = tmp + 2 * gap;
      z.watermark[WMARK_PROMO] = tmp + 3 * gap;
    }
  }
}

/** setup_per_zone_lowmem_reserve(): lowmem_reserve[j] = managed pages of zones (i, j] / ratio[i]. */
export function setupPerZoneLowmemReserve(nodes: readonly PgData[], ratios: readonly number[]): void {
  for (const node of nodes) {
    for (let i = 0; i < MAX_NR_ZONES - 1; i++) {
      const zone = node.zones[i]!;
      const ratio = ratios[i] ?? 0;
      const clear = !ratio || !zone.managed;
      let managed = 0;
      for (let j = i + 1; j < MAX_NR_ZONES; j++) {
        managed += node.zones[j]!.managed;
        zone.lowmemReserve[j] = clear ? 0 : Math.floor(managed / ratio);
      }
    }
  }
}

/** zone_pcp_update() -> zone_set_pageset_high_and_batch() for every zone (cpu_online = 0). */
export function updatePcpLimits(nodes: readonly PgData[], totalCpus: number, highFraction: number): void {
  for (const node of nodes) {
    for (const z of node.zones) {
      const batch = Math.max(1, zoneBatchsize(z.managed));
      const high = zoneHighsize(z, batch, node.cpus.length, totalCpus, highFraction);
      z.pcpBatch.fill(batch);
      z.pcpHigh.fill(high);
    }
  }
}

/**
 * Boot: init_per_zone_wmark_min() then, with THP on a machine of at least 512 MiB, khugepaged's
 * set_recommended_min_free_kbytes() (hugepage_init() turns THP off below that). A sysctl value
 * written afterwards replaces both. Returns the min_free_kbytes in force.
 */
export function initZoneLimits(nodes: readonly PgData[], sysctl: Sysctls, thp: boolean, totalCpus: number): number {
  for (const node of nodes) for (const z of node.zones) z.watermark.fill(0); // not yet set at the first calculation
  let minFreeKbytes = calculateMinFreeKbytes(nodes);
  setupPerZoneWmarks(nodes, minFreeKbytes, sysctl.watermarkScaleFactor);
  setupPerZoneLowmemReserve(nodes, sysctl.lowmemReserveRatio);
  let totalPages = 0;
  for (const node of nodes) for (const z of node.zones) totalPages += z.managed;
  if (thp && totalPages >= 512 << (20 - PAGE_SHIFT)) {
    const rec = recommendedMinFreeKbytes(nodes);
    if (rec > minFreeKbytes) {
      minFreeKbytes = rec;
      setupPerZoneWmarks(nodes, minFreeKbytes, sysctl.watermarkScaleFactor);
    }
  }
  if (sysctl.minFreeKbytes !== null) {
    minFreeKbytes = sysctl.minFreeKbytes;
    setupPerZoneWmarks(nodes, minFreeKbytes, sysctl.watermarkScaleFactor);
  }
  updatePcpLimits(nodes, totalCpus, sysctl.percpuPagelistHighFraction);
  return minFreeKbytes;
}

