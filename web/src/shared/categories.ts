/**
 * What holds a page frame, as the memory map colours it: one byte per pfn, computed in the
 * worker, looked up in a palette on the main thread. Order matters: the legend and the
 * pageblock summary list categories in this order (free first, then the holders).
 */

export interface Category {
  readonly id: number;
  readonly label: string;
  /** 0xRRGGBB */
  readonly rgb: number;
  /** One line for the legend's tooltip. */
  readonly help: string;
}

/**
 * Free pages by buddy order, pale (order 0) to navy (order 10): a blue ramp interpolated in
 * CIELAB through ColorBrewer's Blues, so neighbouring orders differ by a visible step (ΔE 7-13).
 */
const FREE_RGB = [0xe3eef9, 0xc8e0ef, 0xacd1e6, 0x8ebedc, 0x6ba8d1, 0x4292c6, 0x3177b5, 0x1b5da4, 0x09478c, 0x0a336d, 0x08214f];

export const HOLE = 0;
export const RESERVED = 1;
/** FREE + order (0..10): pages in a free buddy block of that order. */
export const FREE = 2;
export const PCP = 13;
export const ANON = 14;
export const FILE = 15;
export const SHMEM = 16;
export const GEM_PINNED = 17;
export const GEM_UNPINNED = 18;
export const SWAPCACHE = 19;
export const KERNEL = 20;
export const RECLAIMABLE = 21;
export const UNOWNED = 22;
export const NR_CATEGORIES = 23;
/** Set on the category byte of every page of the selected owner (clicked GEM object, process, file). */
export const HIGHLIGHT = 0x80;
export const CATEGORY_MASK = 0x7f;
/** Per-pageblock summary buckets: one per category, then the highlighted pages. */
export const SUMMARY_HIGHLIGHT = NR_CATEGORIES;
export const SUMMARY_BUCKETS = NR_CATEGORIES + 1;

export const CATEGORIES: readonly Category[] = [
  { id: HOLE, label: 'no memory (hole)', rgb: 0x202020, help: 'pfn with no RAM behind it' },
  { id: RESERVED, label: 'reserved', rgb: 0x555555, help: 'PageReserved: never given to the buddy allocator' },
  ...FREE_RGB.map((rgb, order) => ({
    id: FREE + order,
    label: `free, order ${order}`,
    rgb,
    help: `in a free buddy block of ${2 ** order} page${order === 0 ? '' : 's'} (${(4 << order) >= 1024 ? `${(4 << order) / 1024} MiB` : `${4 << order} KiB`})`,
  })),
  { id: PCP, label: 'free, per-cpu list', rgb: 0x9be7c4, help: 'free but cached on a CPU\'s pcp list (not in the buddy free lists)' },
  { id: ANON, label: 'anonymous', rgb: 0xe8a33d, help: 'process memory (heap, stack, THP), movable by migration' },
  { id: FILE, label: 'page cache', rgb: 0x6bbf59, help: 'pages of regular files, reclaimable' },
  { id: SHMEM, label: 'shmem / tmpfs', rgb: 0x9b7fd1, help: 'shmem file pages not owned by a GEM object' },
  { id: GEM_PINNED, label: 'GEM object, pinned', rgb: 0xd62839, help: 'i915 holds a reference while the object has pages: migration fails (-EAGAIN)' },
  { id: GEM_UNPINNED, label: 'GEM object, unpinned', rgb: 0xf28aa0, help: 'a GEM object\'s shmem page without i915\'s reference: movable' },
  { id: SWAPCACHE, label: 'swap cache', rgb: 0x3fb6b2, help: 'in the swap cache (being swapped out or in)' },
  { id: KERNEL, label: 'kernel, unmovable', rgb: 0x6b4226, help: 'unmovable kernel allocations: unreclaimable slab caches, high-order kernel buffers (highalloc with GFP_KERNEL, GFP_ATOMIC)' },
  { id: RECLAIMABLE, label: 'kernel, reclaimable', rgb: 0xb07a4f, help: 'reclaimable kernel allocations (__GFP_RECLAIMABLE: dentries, inodes): freed by shrinkers, not moved' },
  { id: UNOWNED, label: 'allocated, no owner', rgb: 0x8a8f98, help: 'allocations the model gives no owner: test workloads (churn, frag, stress-highalloc, movable highalloc), memscen\'s kernel allocations' },
];

/**
 * Pageblock migratetype colours (MIGRATETYPE_NAMES order): the Okabe-Ito colours, which stay
 * apart for red-green colour blindness; used pages in the colour, free pages 62% towards white.
 */
export const MIGRATETYPE_RGB: readonly { used: number; free: number }[] = [
  { used: 0xd55e00, free: 0xf0c7a6 }, // Unmovable: vermillion
  { used: 0x0072b2, free: 0xa6cee4 }, // Movable: blue
  { used: 0x009e73, free: 0xa6ddce }, // Reclaimable: bluish green
  { used: 0xcc79a7, free: 0xedd0e0 }, // HighAtomic: reddish purple
  { used: 0x555555, free: 0xc4c4c4 }, // Isolate: grey
];

export const MIGRATETYPE_HELP: readonly string[] = [
  'kernel allocations that can never move',
  'user pages that migration can move',
  'slab caches freed by reclaim, not moved',
  'reserved for high-order atomic allocations',
  'being isolated (memory offline, CMA)',
];

export function isFree(cat: number): boolean {
  const c = cat & CATEGORY_MASK;
  return (c >= FREE && c <= FREE + 10) || c === PCP;
}

export function cssColor(rgb: number): string {
  return `#${rgb.toString(16).padStart(6, '0')}`;
}
