/**
 * The item names of 6.1 `vmstat_text[]` (mm/vmstat.c), in /proc/vmstat order, for the kernel
 * the simulator models: Debian 6.1 amd64, package linux-image-6.1.0-56-amd64-unsigned
 * (6.1.192-2), boot/config-6.1.0-56-amd64.
 *
 * Config facts relied on (all read from that config file):
 *   CONFIG_ZSMALLOC=m            vmstat_text and enum zone_stat_item use IS_ENABLED(CONFIG_ZSMALLOC),
 *                                which is true for =m, so nr_zspages IS present. (An #ifdef would
 *                                be false for =m, but 6.1 uses IS_ENABLED here.)
 *   CONFIG_NUMA=y                numa_hit..numa_other, zone_reclaim_failed
 *   CONFIG_SHADOW_CALL_STACK     not set (arm64 only): no nr_shadow_call_stack
 *   CONFIG_SWAP=y                nr_swapcached, swap_ra, swap_ra_hit
 *   CONFIG_NUMA_BALANCING=y      pgpromote_success/candidate, numa_pte_updates..numa_pages_migrated
 *   CONFIG_VM_EVENT_COUNTERS=y   (and CONFIG_MEMCG=y) the event items exist and are printed
 *   CONFIG_ZONE_DMA=y, CONFIG_ZONE_DMA32=y, CONFIG_HIGHMEM not set, CONFIG_ZONE_DEVICE=y
 *                                zone suffixes _dma _dma32 _normal _movable _device
 *   CONFIG_MIGRATION=y           pgmigrate_*, thp_migration_*
 *   CONFIG_COMPACTION=y          compact_* (and, with CONFIG_DEBUG_FS=y, debugfs extfrag/)
 *   CONFIG_HUGETLB_PAGE=y        htlb_buddy_alloc_*
 *   CONFIG_CMA                   not set: no cma_alloc_*, no CMA migratetype
 *   CONFIG_TRANSPARENT_HUGEPAGE=y thp_*; CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD=y: thp_split_pud
 *   CONFIG_MEMORY_BALLOON=y, CONFIG_BALLOON_COMPACTION=y  balloon_inflate/deflate/migrate
 *   CONFIG_DEBUG_TLBFLUSH        not set: no nr_tlb_* items
 *   CONFIG_KSM=y                 ksm_swpin_copy (inside CONFIG_SWAP), cow_ksm
 *   CONFIG_ZSWAP=y               zswpin, zswpout
 *   CONFIG_X86=y                 direct_map_level2_splits, direct_map_level3_splits
 *   CONFIG_SMP=y                 zoneinfo prints "vm stats threshold"; negative counters read as 0
 *   CONFIG_MEMORY_ISOLATION=y    the Isolate migratetype exists (see constants.ts)
 *   CONFIG_PAGE_OWNER            not set: no "Number of mixed blocks" section in pagetypeinfo
 *
 * Every list below is checked against the fixtures recorded from this kernel (their vmstat
 * objects are filtered subsets, in /proc order) by test/mm/procfs.test.ts.
 */
import { ZONE_NAMES } from './constants.js';

/** TEXTS_FOR_ZONES(xx): one name per configured zone, in zone index order. */
function textsForZones(prefix: string): string[] {
  return ZONE_NAMES.map((z) => `${prefix}_${z.toLowerCase()}`);
}

/** enum zone_stat_item (per zone, summed over zones in /proc/vmstat). */
export const ZONE_STAT_ITEMS: readonly string[] = [
  'nr_free_pages',
  'nr_zone_inactive_anon',
  'nr_zone_active_anon',
  'nr_zone_inactive_file',
  'nr_zone_active_file',
  'nr_zone_unevictable',
  'nr_zone_write_pending',
  'nr_mlock',
  'nr_bounce',
  'nr_zspages',
  'nr_free_cma',
];

/** enum numa_stat_item (per-zone NUMA events; CONFIG_NUMA). */
export const NUMA_STAT_ITEMS: readonly string[] = [
  'numa_hit',
  'numa_miss',
  'numa_foreign',
  'numa_interleave',
  'numa_local',
  'numa_other',
];

/** enum node_stat_item (per node, summed over nodes in /proc/vmstat). */
export const NODE_STAT_ITEMS: readonly string[] = [
  'nr_inactive_anon',
  'nr_active_anon',
  'nr_inactive_file',
  'nr_active_file',
  'nr_unevictable',
  'nr_slab_reclaimable',
  'nr_slab_unreclaimable',
  'nr_isolated_anon',
  'nr_isolated_file',
  'workingset_nodes',
  'workingset_refault_anon',
  'workingset_refault_file',
  'workingset_activate_anon',
  'workingset_activate_file',
  'workingset_restore_anon',
  'workingset_restore_file',
  'workingset_nodereclaim',
  'nr_anon_pages',
  'nr_mapped',
  'nr_file_pages',
  'nr_dirty',
  'nr_writeback',
  'nr_writeback_temp',
  'nr_shmem',
  'nr_shmem_hugepages',
  'nr_shmem_pmdmapped',
  'nr_file_hugepages',
  'nr_file_pmdmapped',
  'nr_anon_transparent_hugepages',
  'nr_vmscan_write',
  'nr_vmscan_immediate_reclaim',
  'nr_dirtied',
  'nr_written',
  'nr_throttled_written',
  'nr_kernel_misc_reclaimable',
  'nr_foll_pin_acquired',
  'nr_foll_pin_released',
  'nr_kernel_stack',
  'nr_page_table_pages',
  'nr_sec_page_table_pages',
  'nr_swapcached',
  'pgpromote_success',
  'pgpromote_candidate',
];

/** enum writeback_stat_item (computed at read time by global_dirty_limits()). */
export const WRITEBACK_STAT_ITEMS: readonly string[] = ['nr_dirty_threshold', 'nr_dirty_background_threshold'];

/** enum vm_event_item (include/linux/vm_event_item.h) with the zone-suffixed expansions. */
export const VM_EVENT_ITEMS: readonly string[] = [
  'pgpgin',
  'pgpgout',
  'pswpin',
  'pswpout',
  ...textsForZones('pgalloc'),
  ...textsForZones('allocstall'),
  ...textsForZones('pgskip'),
  'pgfree',
  'pgactivate',
  'pgdeactivate',
  'pglazyfree',
  'pgfault',
  'pgmajfault',
  'pglazyfreed',
  'pgrefill',
  'pgreuse',
  'pgsteal_kswapd',
  'pgsteal_direct',
  'pgdemote_kswapd',
  'pgdemote_direct',
  'pgscan_kswapd',
  'pgscan_direct',
  'pgscan_direct_throttle',
  'pgscan_anon',
  'pgscan_file',
  'pgsteal_anon',
  'pgsteal_file',
  'zone_reclaim_failed',
  'pginodesteal',
  'slabs_scanned',
  'kswapd_inodesteal',
  'kswapd_low_wmark_hit_quickly',
  'kswapd_high_wmark_hit_quickly',
  'pageoutrun',
  'pgrotated',
  'drop_pagecache',
  'drop_slab',
  'oom_kill',
  'numa_pte_updates',
  'numa_huge_pte_updates',
  'numa_hint_faults',
  'numa_hint_faults_local',
  'numa_pages_migrated',
  'pgmigrate_success',
  'pgmigrate_fail',
  'thp_migration_success',
  'thp_migration_fail',
  'thp_migration_split',
  'compact_migrate_scanned',
  'compact_free_scanned',
  'compact_isolated',
  'compact_stall',
  'compact_fail',
  'compact_success',
  'compact_daemon_wake',
  'compact_daemon_migrate_scanned',
  'compact_daemon_free_scanned',
  'htlb_buddy_alloc_success',
  'htlb_buddy_alloc_fail',
  'unevictable_pgs_culled',
  'unevictable_pgs_scanned',
  'unevictable_pgs_rescued',
  'unevictable_pgs_mlocked',
  'unevictable_pgs_munlocked',
  'unevictable_pgs_cleared',
  'unevictable_pgs_stranded',
  'thp_fault_alloc',
  'thp_fault_fallback',
  'thp_fault_fallback_charge',
  'thp_collapse_alloc',
  'thp_collapse_alloc_failed',
  'thp_file_alloc',
  'thp_file_fallback',
  'thp_file_fallback_charge',
  'thp_file_mapped',
  'thp_split_page',
  'thp_split_page_failed',
  'thp_deferred_split_page',
  'thp_split_pmd',
  'thp_scan_exceed_none_pte',
  'thp_scan_exceed_swap_pte',
  'thp_scan_exceed_share_pte',
  'thp_split_pud',
  'thp_zero_page_alloc',
  'thp_zero_page_alloc_failed',
  'thp_swpout',
  'thp_swpout_fallback',
  'balloon_inflate',
  'balloon_deflate',
  'balloon_migrate',
  'swap_ra',
  'swap_ra_hit',
  'ksm_swpin_copy',
  'cow_ksm',
  'zswpin',
  'zswpout',
  'direct_map_level2_splits',
  'direct_map_level3_splits',
];

/** The whole of vmstat_text[] in order (what /proc/vmstat prints, before the fake `nr_unstable 0`). */
export const VMSTAT_TEXT: readonly string[] = [
  ...ZONE_STAT_ITEMS,
  ...NUMA_STAT_ITEMS,
  ...NODE_STAT_ITEMS,
  ...WRITEBACK_STAT_ITEMS,
  ...VM_EVENT_ITEMS,
];

/** HPAGE_PMD_NR = 1 << (PMD_SHIFT - PAGE_SHIFT) on x86-64. */
export const HPAGE_PMD_NR = 512;

/**
 * Node items that vmstat_item_print_in_thp() (include/linux/mmzone.h) prints in units of
 * HPAGE_PMD_NR in /proc/vmstat and in zoneinfo's per-node block: NR_SHMEM_THPS,
 * NR_SHMEM_PMDMAPPED, NR_FILE_THPS, NR_FILE_PMDMAPPED, NR_ANON_THPS. The counters themselves
 * are kept in base pages.
 */
export const THP_PRINTED_NODE_ITEMS: readonly string[] = [
  'nr_shmem_hugepages',
  'nr_shmem_pmdmapped',
  'nr_file_hugepages',
  'nr_file_pmdmapped',
  'nr_anon_transparent_hugepages',
];

const thpPrinted: ReadonlySet<string> = new Set(THP_PRINTED_NODE_ITEMS);

/** vmstat_item_print_in_thp() by /proc name. */
export function vmstatItemPrintInThp(name: string): boolean {
  return thpPrinted.has(name);
}
