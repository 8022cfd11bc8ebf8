/**
 * The swap cache (mm/swap_state.c): an address_space of kind 'swap' indexed by swap entry,
 * holding folios on their way to or from swap, and add_to_swap() for reclaim.
 *
 * Page identity in the model: a swap-cache folio has PG_swapcache and page_private() = its
 * entry. An anonymous folio keeps page->mapping = its mm (the kernel keeps the anon_vma); a
 * folio with no other owner (shmem pages out on swap, pages read in from swap) has
 * page->mapping = the swap cache's owner id, where the kernel has NULL, so that reports can
 * still say who holds it.
 *
 * Simplifications: no shadow entries / workingset refault detection, no swap readahead
 * (swapin_readahead() reads just the faulting slot).
 */
import { AddressSpace, type AddressSpaceOperations } from './filemap.js';
import { __GFP_COMP } from './gfp.js';
import type { Kernel } from './kernel.js';
import { lruAdd } from './lru.js';
import { migrateFolio } from './migrate.js';
import { EEXIST, EINVAL, ENOENT, ENOMEM, MmError } from './mm_error.js';
import { PG_dirty, PG_mlocked, PG_swapbacked, PG_swapcache } from './page_flags.js';
import { noopDirtyFolio, swapReadpage, swapWritepage } from './page_io.js';
import { tryToUnmapAnon } from './rmap.js';
import { splitHugePage } from './huge_memory.js';
import type { AnonReclaimOps } from './vmscan.js';
import { folioAllocSwap, folioFreeSwap, putSwapFolio, swapcachePrepare, swapCount, swapInfo, vmSwapFull } from './swapfile.js';
import { NodeStat } from './vmstat.js';

/** swap_aops (6.1): swap_writepage, swap_dirty_folio (noop for a block device), migrate_folio. */
export const swapAops: AddressSpaceOperations = {
  writepage: swapWritepage,
  dirtyFolio: noopDirtyFolio,
  migrateFolio: migrateFolio,
};

/** init_swap_address_space(): the swap cache owner (registered; also k.swapCache). */
export function initSwapAddressSpace(k: Kernel): AddressSpace {
  const cache = k.owners.register(new AddressSpace('swap', 'swapcache', 0, swapAops));
  k.swapCache = cache;
  return cache;
}

function cacheOf(k: Kernel, what: string): AddressSpace {
  const si = swapInfo(k);
  if (!si) throw new MmError(-EINVAL, `${what}: no swap device`);
  return si.cache;
}

/** swap_cache_get_folio() / filemap_get_folio(swap_address_space(entry), offset) without a reference: the pfn or -1. */
export function lookupSwapCache(k: Kernel, entry: number): number {
  const si = swapInfo(k);
  if (!si) return -1;
  const v = si.cache.iPages.get(entry);
  return v === undefined || v < 0 ? -1 : v;
}

/**
 * add_to_swap_cache(): index the swap-backed folio at `entry` (one slot per page), with the
 * cache's references, PG_swapcache, page_private = entry, NR_FILE_PAGES and NR_SWAPCACHED.
 * Returns 0, or -EEXIST if the entry is already cached.
 */
export function addToSwapCache(k: Kernel, pfn: number, entry: number): number {
  const cache = cacheOf(k, 'add_to_swap_cache');
  const mem = k.mem;
  const s = k.slot(pfn);
  if ((mem.flags[s]! & PG_swapcache) !== 0) throw new MmError(-EINVAL, `add_to_swap_cache: pfn 0x${pfn.toString(16)} is already in the swap cache`);
  const nr = k.nrPages(pfn);
  for (let i = 0; i < nr; i++) if (cache.iPages.has(entry + i)) return -EEXIST;
  k.getPage(pfn, nr);
  mem.flags[s]! |= PG_swapcache;
  for (let i = 0; i < nr; i++) {
    mem.private[s + i] = entry + i;
    cache.iPages.set(entry + i, pfn + i);
  }
  if (mem.mapping[s] === 0) mem.mapping[s] = cache.id;
  cache.nrpages += nr;
  k.modNodeStat(pfn, NodeStat.NR_FILE_PAGES, nr);
  k.modNodeStat(pfn, NodeStat.NR_SWAPCACHED, nr);
  return 0;
}

/**
 * __delete_from_swap_cache(): unindex the folio (no shadow entry left behind); the cache's
 * references and the slot's SWAP_HAS_CACHE are the caller's to drop. Returns the entry.
 */
export function swapCacheRemoveFolio(k: Kernel, pfn: number): number {
  const cache = cacheOf(k, '__delete_from_swap_cache');
  const mem = k.mem;
  const s = k.slot(pfn);
  if ((mem.flags[s]! & PG_swapcache) === 0) throw new MmError(-EINVAL, `__delete_from_swap_cache: pfn 0x${pfn.toString(16)} is not in the swap cache`);
  const nr = k.nrPages(pfn);
  const entry = mem.private[s]!;
  for (let i = 0; i < nr; i++) {
    cache.iPages.delete(entry + i);
    mem.private[s + i] = 0;
  }
  mem.flags[s]! &= ~PG_swapcache;
  if (mem.mapping[s] === cache.id) mem.mapping[s] = 0;
  cache.nrpages -= nr;
  k.modNodeStat(pfn, NodeStat.NR_FILE_PAGES, -nr);
  k.modNodeStat(pfn, NodeStat.NR_SWAPCACHED, -nr);
  return entry;
}

/**
 * delete_from_swap_cache(): unindex the folio, release SWAP_HAS_CACHE on its slot (freeing a
 * slot nobody else uses) and drop the cache's references. The caller holds its own reference.
 */
export function deleteFromSwapCache(k: Kernel, pfn: number): void {
  const entry = swapCacheRemoveFolio(k, pfn);
  putSwapFolio(k, pfn, entry);
  k.putPage(pfn, k.nrPages(pfn));
}

/**
 * add_to_swap(): give an anonymous (or shmem) folio a swap slot and put it in the swap cache,
 * dirty so that pageout() writes it. False when there is no slot: no swap, swap full, or a
 * large folio (no THP swap: reclaim splits it and retries).
 */
export function addToSwap(k: Kernel, pfn: number): boolean {
  const s = k.slot(pfn);
  if ((k.mem.flags[s]! & PG_swapcache) !== 0) throw new MmError(-EINVAL, `add_to_swap: pfn 0x${pfn.toString(16)} is already in the swap cache`);
  const entry = folioAllocSwap(k, pfn);
  if (!entry) return false;
  if (addToSwapCache(k, pfn, entry) !== 0) {
    putSwapFolio(k, pfn, entry);
    return false;
  }
  k.mem.flags[s]! |= PG_dirty; // folio_mark_dirty() through swap_dirty_folio: no accounting
  return true;
}

/**
 * The swap side of anonymous reclaim, in the shape vmscan's AnonReclaimOps takes:
 * add_to_swap(), try_to_unmap(), swap_writepage() and delete_from_swap_cache() (the
 * __remove_mapping() of a clean swap-cache folio, the caller keeping its isolation reference).
 */
export function anonReclaimOps(k: Kernel): AnonReclaimOps {
  return {
    addToSwap: (pfn) => addToSwap(k, pfn),
    tryToUnmap: (pfn) => tryToUnmapAnon(k, pfn),
    splitFolio: (pfn, onTail) => splitHugePage(k, pfn, onTail),
    deleteFromSwapCache: (pfn) => deleteFromSwapCache(k, pfn),
    freeSwapIfFull: (pfn) => {
      if (vmSwapFull(k) || (k.mem.flags[k.slot(pfn)]! & PG_mlocked) !== 0) folioFreeSwap(k, pfn);
    },
  };
}

/** What read_swap_cache_async() found or made. */
export interface SwapCacheRead {
  /** The folio, with a reference for the caller; or -errno (-ENOMEM, -ENOENT). */
  pfn: number;
  /** It was read from the device now (a major fault), not found in the swap cache. */
  read: boolean;
  /** Virtual ns the synchronous read took (0 for a swap-cache hit). */
  ioNs: number;
}

/**
 * read_swap_cache_async() with an immediate, synchronous read (swap_readpage()): find the
 * entry's folio in the swap cache, or allocate one with `gfp`, claim the slot's cache bit, add
 * it to the swap cache and the LRU (inactive anon) and read it. The read counts pswpin and
 * pgpgin; its latency is returned, not waited for on the clock.
 */
export function readSwapCacheAsync(k: Kernel, entry: number, gfp: number, nid = 0): SwapCacheRead {
  const found = lookupSwapCache(k, entry);
  if (found >= 0) {
    k.getPage(found);
    return { pfn: found, read: false, ioNs: 0 };
  }
  if (swapCount(k, entry) === 0) return { pfn: -ENOENT, read: false, ioNs: 0 };
  const pfn = k.alloc.allocPages(gfp | __GFP_COMP, 0, nid); // vma_alloc_folio(gfp, 0, ...)
  if (pfn < 0) return { pfn: -ENOMEM, read: false, ioNs: 0 };
  const rc = swapcachePrepare(k, entry);
  if (rc !== 0) {
    k.putPage(pfn);
    return { pfn: rc, read: false, ioNs: 0 };
  }
  const s = k.slot(pfn);
  k.mem.flags[s]! |= PG_swapbacked;
  addToSwapCache(k, pfn, entry);
  lruAdd(k, pfn); // folio_add_lru()
  const ioNs = swapReadpage(k, pfn);
  return { pfn, read: true, ioNs };
}
