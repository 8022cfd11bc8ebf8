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
export const PG_active = 1 << 8; // PageActive: on an active LRU list
export const PG_referenced = 1 << 9; // PageReferenced: accessed since last scanned
export const PG_unevictable = 1 << 10; // PageUnevictable: on the unevictable LRU
export const PG_swapbacked = 1 << 11; // PageSwapBacked: anon or shmem (anon LRU lists)
export const PG_dirty = 1 << 12; // PageDirty
export const PG_writeback = 1 << 13; // PageWriteback
export const PG_anon = 1 << 14; // PageAnon: page->mapping is an anon_vma (here: an mm)
export const PG_mlocked = 1 << 15; // PageMlocked
export const PG_swapcache = 1 << 16; // PageSwapCache: private holds the swap entry
export const PG_young = 1 << 17; // a mapping PTE's accessed bit (what page_referenced() tests)
export const PG_reclaim = 1 << 18; // PageReclaim: free it as soon as writeback ends
export const PG_isolated = 1 << 19; // taken off the LRU by reclaim or migration (no kernel flag)
export const PG_private = 1 << 20; // PagePrivate: page->private holds filesystem data (folio_attach_private())
export const PG_hwpoison = 1 << 21; // PageHWPoison: memory_failure() found a hardware error here

export const ZONE_ID_SHIFT = 24;
export const ZONE_ID_MASK = 0xff << ZONE_ID_SHIFT;
