/**
 * The resolved description of a simulated machine: what the YAML machine spec becomes after
 * validation and defaulting. The kernel model (src/mm) is built from this and nothing else.
 */
import type { ZoneName } from '../mm/constants.js';

export interface ZoneConfig {
  name: ZoneName;
  /** zone_start_pfn */
  startPfn: number;
  /** spanned_pages: the zone covers [startPfn, startPfn + spanned). */
  spanned: number;
  /** present_pages: pages that exist; the rest of the span is a hole (no struct page use). */
  present: number;
  /** managed_pages: present pages handed to the buddy allocator at boot; present - managed are reserved. */
  managed: number;
}

export interface NodeConfig {
  nid: number;
  /** In zone-index order (DMA, DMA32, Normal, Movable, Device); empty zones may be omitted. */
  zones: ZoneConfig[];
}

/** The sysctls the page allocator reads (Documentation/admin-guide/sysctl/vm.rst). */
export interface Sysctls {
  /** vm.min_free_kbytes; null means "as the kernel computes it at boot". */
  minFreeKbytes: number | null;
  watermarkScaleFactor: number;
  watermarkBoostFactor: number;
  /** vm.lowmem_reserve_ratio per zone index (DMA, DMA32, Normal, Movable, Device). */
  lowmemReserveRatio: [number, number, number, number, number];
  /** vm.percpu_pagelist_high_fraction (0 = derive pcp->high from the low watermark). */
  percpuPagelistHighFraction: number;
}

export interface MachineConfig {
  cpus: number;
  /** Per-cpu page lists on (the kernel) or off (every order-0..3 request goes to the buddy). */
  pcp: boolean;
  /** Transparent hugepages configured: affects min_free_kbytes (set_recommended_min_free_kbytes). */
  thp: boolean;
  nodes: NodeConfig[];
  sysctl: Sysctls;
}

export const DEFAULT_SYSCTLS: Sysctls = {
  minFreeKbytes: null,
  watermarkScaleFactor: 10,
  watermarkBoostFactor: 15000,
  lowmemReserveRatio: [256, 256, 32, 0, 0],
  percpuPagelistHighFraction: 0,
};
