/**
 * Page flag bits kept in MemMap.flags (the kernel's page->flags and page_type). The top byte
 * holds the page's zone id, as the kernel packs node and zone into page->flags.
 */
export const PG_buddy = 1 << 0; // PageBuddy: head of a free block in the buddy allocator
export const PG_pcp = 1 << 1; // on a per-cpu list (no kernel flag; the kernel knows it from the list)
export const PG_reserved = 1 << 2; // PageReserved: never handed to the buddy allocator
export const PG_head = 1 << 3; // PageHead: first page of a compound (__GFP_COMP) allocation
export const PG_tail = 1 << 4; // PageTail
export const PG_lru = 1 << 5; // PageLRU: on an LRU list, so isolatable for migration
export const PG_movable = 1 << 6; // __PageMovable: non-LRU movable page (movable_operations)
export const PG_hole = 1 << 7; // no memory at this pfn (pfn_valid() false / not present)

export const ZONE_ID_SHIFT = 24;
export const ZONE_ID_MASK = 0xff << ZONE_ID_SHIFT;
