/**
 * The hugetlb pool's buddy allocations (mm/hugetlb.c), as `echo N > nr_hugepages` makes them:
 * set_max_huge_pages() -> alloc_pool_huge_page() -> alloc_buddy_huge_page(), one 2 MiB page
 * at a time. The pool itself (free/surplus lists, reservations) is not modelled: the caller
 * keeps the pages.
 */
import { PAGEBLOCK_ORDER } from './constants.js';
import { GFP_HIGHUSER_MOVABLE, __GFP_COMP, __GFP_NOWARN, __GFP_RETRY_MAYFAIL, __GFP_THISNODE } from './gfp.js';
import type { Kernel } from './kernel.js';
import { VmEvent } from './vmstat.js';

/** alloc_pool_huge_page()'s mask: htlb_alloc_mask() | __GFP_COMP | __GFP_THISNODE | __GFP_NOWARN | __GFP_RETRY_MAYFAIL. */
export const HTLB_POOL_GFP = GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_THISNODE | __GFP_NOWARN | __GFP_RETRY_MAYFAIL;

/**
 * alloc_buddy_huge_page() for the default 2 MiB hstate on `nid`: the pfn, or -1; counts
 * htlb_buddy_alloc_success / _fail. (The node_alloc_noretry hint never matters here:
 * set_max_huge_pages() stops at the first failure on a one-node machine.)
 */
export function allocBuddyHugePage(k: Kernel, nid = 0): number {
  const pfn = k.alloc.allocPages(HTLB_POOL_GFP, PAGEBLOCK_ORDER, nid);
  k.alloc.events.add(pfn >= 0 ? VmEvent.HTLB_BUDDY_ALLOC_SUCCESS : VmEvent.HTLB_BUDDY_ALLOC_FAIL, 1);
  return pfn;
}
