/**
 * memory_failure() (mm/memory-failure.c, 6.1) for page-cache pages: a hardware error in a page
 * of a regular file or of a shmem file. The page is marked PG_hwpoison and memory_failure()'s
 * own reference keeps it from ever going back to the allocator. It leaves the LRU
 * (delete_from_lru_cache()) and its mapping's ->error_remove_page decides the rest
 * (truncate_error_page()): a regular file punches it out (generic_error_remove_page(): the next
 * read fetches the data again, dirty data is lost), shmem keeps it in the cache so that later
 * accesses fail with -EIO. A mapping without the hook only lets a clean, unused page go
 * (invalidate_inode_page()).
 *
 * Simplifications: only page-cache pages are handled. Free pages (take_page_off_buddy()),
 * anonymous and swap-cache pages (hwpoison_user_mappings() and its SIGBUS kills), slab, huge,
 * driver and kernel pages are refused with MmError(-EOPNOTSUPP) and left alone. No unpoison or
 * soft offline; the -EIO a later fsync() would report (mapping_set_error()) and
 * num_poisoned_pages are not kept.
 */
import { AddressSpace, filemapReleaseFolio } from './filemap.js';
import { GFP_NOIO } from './gfp.js';
import type { Kernel } from './kernel.js';
import { lruDel } from './lru.js';
import { mappingEvictFolio } from './file.js';
import { EBUSY, EHWPOISON, ENXIO, EOPNOTSUPP, MmError } from './mm_error.js';
import { folioWaitWriteback } from './page_io.js';
import {
  PG_active, PG_anon, PG_buddy, PG_dirty, PG_hole, PG_hwpoison, PG_lru, PG_mlocked, PG_movable, PG_pcp, PG_reserved,
  PG_swapcache, PG_tail, PG_unevictable, PG_writeback,
} from './page_flags.js';

/** enum mf_result */
export type MfResult = 'ignored' | 'failed' | 'delayed' | 'recovered';

/** What memory_failure() did, as its return value and its "recovery action" log line say. */
export interface MemoryFailureReport {
  /** 0 (recovered or delayed), -EBUSY, or -EHWPOISON when the page was already poisoned. */
  rc: number;
  /** action_page_types[]: "clean LRU page", "dirty unevictable LRU page", ... */
  type: string;
  result: MfResult | null;
}

/** delete_from_lru_cache(): off the LRU, without the flags the buddy allocator would object to. */
function deleteFromLruCache(k: Kernel, pfn: number): void {
  const s = k.slot(pfn);
  if ((k.mem.flags[s]! & PG_lru) === 0) return;
  lruDel(k, pfn);
  k.mem.flags[s]! &= ~(PG_active | PG_unevictable);
}

/** truncate_error_page(): let the mapping drop (or keep) the poisoned page. */
function truncateErrorPage(k: Kernel, mapping: AddressSpace, pfn: number): MfResult {
  const remove = mapping.aops.errorRemoveFolio;
  if (remove) {
    if (remove(k, mapping, pfn) !== 0) return 'failed'; // "Failed to punch page"
    return filemapReleaseFolio(k, pfn, GFP_NOIO) ? 'recovered' : 'failed';
  }
  // invalidate_inode_page(): memory_failure()'s own reference is the caller's one.
  return mappingEvictFolio(k, mapping, pfn, 1) ? 'recovered' : 'failed';
}

/**
 * memory_failure(pfn): handle a hardware memory error in a page-cache page. Throws
 * MmError(-ENXIO) for a pfn outside memory and MmError(-EOPNOTSUPP) for any page that is not a
 * small page-cache page of a file or shmem file (see the simplifications above).
 */
export function memoryFailure(k: Kernel, pfn: number): MemoryFailureReport {
  const mem = k.mem;
  const s = k.slot(pfn);
  if (!Number.isInteger(pfn) || s < 0 || s >= mem.nrPages || (mem.flags[s]! & PG_hole) !== 0) {
    throw new MmError(-ENXIO, `memory_failure: pfn 0x${pfn.toString(16)}: memory outside kernel control`);
  }
  const flags = mem.flags[s]!;
  if ((flags & PG_hwpoison) !== 0) return { rc: -EHWPOISON, type: 'already hardware poisoned', result: null };
  const owner = k.owners.get(mem.mapping[s]!);
  const cached = owner instanceof AddressSpace && (owner.kind === 'file' || owner.kind === 'shmem');
  const other = PG_buddy | PG_pcp | PG_reserved | PG_tail | PG_anon | PG_swapcache | PG_movable;
  if (!cached || (flags & other) !== 0 || mem.refcount[s] === 0 || k.nrPages(pfn) > 1) {
    throw new MmError(-EOPNOTSUPP, `memory_failure: pfn 0x${pfn.toString(16)} is not a page-cache page (only those are modelled)`);
  }
  mem.flags[s]! |= PG_hwpoison; // TestSetPageHWPoison()
  k.getPage(pfn); // get_hwpoison_page(): this reference is never dropped
  const pageFlags = mem.flags[s]!;
  // A page under writeback is waited for; page-cache pages are never mapped here, so
  // hwpoison_user_mappings() has nothing to unmap.
  if ((pageFlags & (PG_lru | PG_writeback)) !== 0) folioWaitWriteback(k, pfn);
  // identify_page_state(): error_states[] in order; the dirty bit as it was before the wait.
  const dirty = ((pageFlags | mem.flags[s]!) & PG_dirty) !== 0;
  const state = dirty ? 'dirty' : 'clean';
  let type: string;
  if ((pageFlags & PG_mlocked) !== 0) type = `${state} mlocked LRU page`;
  else if ((pageFlags & PG_unevictable) !== 0) type = `${state} unevictable LRU page`;
  else if ((pageFlags & PG_lru) !== 0) type = `${state} LRU page`;
  else return { rc: -EBUSY, type: 'unknown page', result: 'failed' }; // me_unknown() (e.g. isolated)
  // me_pagecache_dirty() only adds mapping_set_error(-EIO), then me_pagecache_clean().
  deleteFromLruCache(k, pfn);
  let result = truncateErrorPage(k, owner, pfn);
  // has_extra_refcount(): anything but memory_failure()'s reference (and shmem's cache one) is a user.
  if (mem.refcount[s]! - 1 - (owner.kind === 'shmem' ? 1 : 0) > 0) result = 'failed';
  return { rc: result === 'recovered' ? 0 : -EBUSY, type, result };
}
