/**
 * GFP flags with their 6.1 bit values (include/linux/gfp_types.h, x86-64, no KASAN_HW_TAGS,
 * no LOCKDEP), and the two derivations the allocator needs: gfp_zone() and gfp_migratetype().
 */
import { MigrateType, ZoneType } from './constants.js';

export const ___GFP_DMA = 0x01;
export const ___GFP_HIGHMEM = 0x02;
export const ___GFP_DMA32 = 0x04;
export const ___GFP_MOVABLE = 0x08;
export const ___GFP_RECLAIMABLE = 0x10;
export const ___GFP_HIGH = 0x20;
export const ___GFP_IO = 0x40;
export const ___GFP_FS = 0x80;
export const ___GFP_ZERO = 0x100;
export const ___GFP_ATOMIC = 0x200;
export const ___GFP_DIRECT_RECLAIM = 0x400;
export const ___GFP_KSWAPD_RECLAIM = 0x800;
export const ___GFP_WRITE = 0x1000;
export const ___GFP_NOWARN = 0x2000;
export const ___GFP_RETRY_MAYFAIL = 0x4000;
export const ___GFP_NOFAIL = 0x8000;
export const ___GFP_NORETRY = 0x10000;
export const ___GFP_MEMALLOC = 0x20000;
export const ___GFP_COMP = 0x40000;
export const ___GFP_NOMEMALLOC = 0x80000;
export const ___GFP_HARDWALL = 0x100000;
export const ___GFP_THISNODE = 0x200000;
export const ___GFP_ACCOUNT = 0x400000;
export const ___GFP_ZEROTAGS = 0x800000;

// The double-underscore names the rest of the kernel uses (same values in this config).
export const __GFP_DMA = ___GFP_DMA;
export const __GFP_HIGHMEM = ___GFP_HIGHMEM;
export const __GFP_DMA32 = ___GFP_DMA32;
export const __GFP_MOVABLE = ___GFP_MOVABLE;
export const __GFP_RECLAIMABLE = ___GFP_RECLAIMABLE;
export const __GFP_HIGH = ___GFP_HIGH;
export const __GFP_IO = ___GFP_IO;
export const __GFP_FS = ___GFP_FS;
export const __GFP_ZERO = ___GFP_ZERO;
export const __GFP_ATOMIC = ___GFP_ATOMIC;
export const __GFP_DIRECT_RECLAIM = ___GFP_DIRECT_RECLAIM;
export const __GFP_KSWAPD_RECLAIM = ___GFP_KSWAPD_RECLAIM;
export const __GFP_WRITE = ___GFP_WRITE;
export const __GFP_NOWARN = ___GFP_NOWARN;
export const __GFP_RETRY_MAYFAIL = ___GFP_RETRY_MAYFAIL;
export const __GFP_NOFAIL = ___GFP_NOFAIL;
export const __GFP_NORETRY = ___GFP_NORETRY;
export const __GFP_MEMALLOC = ___GFP_MEMALLOC;
export const __GFP_COMP = ___GFP_COMP;
export const __GFP_NOMEMALLOC = ___GFP_NOMEMALLOC;
export const __GFP_HARDWALL = ___GFP_HARDWALL;
export const __GFP_THISNODE = ___GFP_THISNODE;
export const __GFP_ACCOUNT = ___GFP_ACCOUNT;
export const __GFP_ZEROTAGS = ___GFP_ZEROTAGS;
export const __GFP_RECLAIM = ___GFP_DIRECT_RECLAIM | ___GFP_KSWAPD_RECLAIM;

export const GFP_ZONEMASK = __GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32 | __GFP_MOVABLE;
export const GFP_MOVABLE_MASK = __GFP_RECLAIMABLE | __GFP_MOVABLE;
export const GFP_MOVABLE_SHIFT = 3;

export const GFP_ATOMIC = __GFP_HIGH | __GFP_ATOMIC | __GFP_KSWAPD_RECLAIM;
export const GFP_KERNEL = __GFP_RECLAIM | __GFP_IO | __GFP_FS;
export const GFP_KERNEL_ACCOUNT = GFP_KERNEL | __GFP_ACCOUNT;
export const GFP_NOWAIT = __GFP_KSWAPD_RECLAIM;
export const GFP_NOIO = __GFP_RECLAIM;
export const GFP_NOFS = __GFP_RECLAIM | __GFP_IO;
export const GFP_USER = __GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL;
export const GFP_DMA = __GFP_DMA;
export const GFP_DMA32 = __GFP_DMA32;
export const GFP_HIGHUSER = GFP_USER | __GFP_HIGHMEM;
export const GFP_HIGHUSER_MOVABLE = GFP_HIGHUSER | __GFP_MOVABLE;
export const GFP_TRANSHUGE_LIGHT =
  (GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOMEMALLOC | __GFP_NOWARN) & ~__GFP_RECLAIM;
export const GFP_TRANSHUGE = GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM;

/** gfp_migratetype(): MOVABLE -> 1, RECLAIMABLE -> 2, neither -> 0 (include/linux/gfp.h). */
export function gfpMigratetype(gfp: number, groupByMobilityDisabled = false): MigrateType {
  if (groupByMobilityDisabled) return MigrateType.UNMOVABLE;
  return ((gfp & GFP_MOVABLE_MASK) >>> GFP_MOVABLE_SHIFT) as MigrateType;
}

/**
 * gfp_zone(): the highest zone a request may use, from GFP_ZONE_TABLE for x86-64 with
 * ZONE_DMA and ZONE_DMA32 configured and no HIGHMEM (so __GFP_HIGHMEM alone means NORMAL).
 * Returns -1 for the combinations the kernel's GFP_ZONE_BAD marks invalid.
 */
export function gfpZone(gfp: number): ZoneType | -1 {
  const bits = gfp & GFP_ZONEMASK;
  return GFP_ZONE_TABLE[bits]!;
}

const GFP_ZONE_TABLE: readonly (ZoneType | -1)[] = (() => {
  const t: (ZoneType | -1)[] = new Array<ZoneType | -1>(16).fill(-1);
  t[0] = ZoneType.NORMAL;
  t[__GFP_DMA] = ZoneType.DMA;
  t[__GFP_HIGHMEM] = ZoneType.NORMAL;
  t[__GFP_DMA32] = ZoneType.DMA32;
  t[__GFP_MOVABLE] = ZoneType.NORMAL;
  t[__GFP_MOVABLE | __GFP_DMA] = ZoneType.DMA;
  t[__GFP_MOVABLE | __GFP_HIGHMEM] = ZoneType.MOVABLE;
  t[__GFP_MOVABLE | __GFP_DMA32] = ZoneType.DMA32;
  return t;
})();
