/** Compile-time constants of the modelled kernel: Debian 6.1 amd64 (include/linux/mmzone.h). */

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
/** 6.1 meaning: orders 0..MAX_ORDER-1 are valid (6.4 later made MAX_ORDER inclusive). */
export const MAX_ORDER = 11;
export const MAX_ORDER_NR_PAGES = 1 << (MAX_ORDER - 1);
export const PAGEBLOCK_ORDER = 9;
export const PAGEBLOCK_NR_PAGES = 1 << PAGEBLOCK_ORDER;
export const PAGE_ALLOC_COSTLY_ORDER = 3;

/** enum migratetype; Debian's config has CONFIG_CMA off, so ISOLATE is 4 and there are 5 types. */
export enum MigrateType {
  UNMOVABLE = 0,
  MOVABLE = 1,
  RECLAIMABLE = 2,
  HIGHATOMIC = 3,
  ISOLATE = 4,
}
export const MIGRATE_PCPTYPES = 3;
export const MIGRATE_TYPES = 5;
/** migratetype_names[] as /proc/pagetypeinfo prints them. */
export const MIGRATETYPE_NAMES = ['Unmovable', 'Movable', 'Reclaimable', 'HighAtomic', 'Isolate'] as const;
/** One-letter codes used by show_migration_types() in the OOM report ("UMEHCI" less CMA). */
export const MIGRATETYPE_LETTERS = ['U', 'M', 'E', 'H', 'I'] as const;

/** enum zone_type with ZONE_DMA, ZONE_DMA32 and ZONE_DEVICE configured (MAX_NR_ZONES = 5). */
export enum ZoneType {
  DMA = 0,
  DMA32 = 1,
  NORMAL = 2,
  MOVABLE = 3,
  DEVICE = 4,
}
export const MAX_NR_ZONES = 5;
export const ZONE_NAMES = ['DMA', 'DMA32', 'Normal', 'Movable', 'Device'] as const;
export type ZoneName = (typeof ZONE_NAMES)[number];
