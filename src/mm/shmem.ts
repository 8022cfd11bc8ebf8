/**
 * shmem/tmpfs (mm/shmem.c, include/linux/shmem_fs.h) and the 2016 patch
 * "shmem: Support for registration of driver/file owner specific ops".
 *
 * The patch's rationale, in its own words: i915.ko uses shmemfs to provide swappable backing
 * storage for its user objects, but when those objects are in use by the GPU it must pin the
 * entire object until the GPU is idle. As a result, large chunks of memory can be arbitrarily
 * withdrawn from page migration, resulting in premature out-of-memory due to fragmentation.
 * However, if i915.ko can receive the migratepage() request, it can then flush the object from
 * the GPU, remove its pin and thus enable the migration.
 */
import { GFP_HIGHUSER_MOVABLE, __GFP_COMP } from './gfp.js';
import {
  AddressSpace, type AddressSpaceOperations, AOP_WRITEPAGE_ACTIVATE, type MigrateMode, swapEntryToValue,
  valueToSwapEntry, type WritebackControl, filemapRemoveFolio,
} from './filemap.js';
import type { Kernel } from './kernel.js';
import { checkMoveUnevictable, folioMarkAccessed, lruAdd } from './lru.js';
import { migrateFolio } from './migrate.js';
import { EFBIG, EINVAL, EIO, ENOENT, ENOMEM, MmError } from './mm_error.js';
import { PG_dirty, PG_hwpoison, PG_referenced, PG_swapbacked, PG_swapcache } from './page_flags.js';
import { folioWaitWriteback, noopDirtyFolio, swapWritepage } from './page_io.js';
import { addToSwapCache, deleteFromSwapCache, readSwapCacheAsync } from './swap_state.js';
import { folioAllocSwap, freeSwapAndCache, putSwapFolio, swapFree, swapShmemAlloc, totalSwapPages } from './swapfile.js';
import { NodeStat } from './vmstat.js';

/**
 * struct shmem_dev_info (patch v2): driver-specific operations for a shmem file, stored in
 * mapping->private_data. Only migratepage is defined, "extended on an as-needed basis".
 */
export interface ShmemDevInfo {
  privateData: unknown;
  /** Called instead of the generic migration for every page of the file; 0 or -errno. */
  migratepage?(mapping: AddressSpace, newpage: number, page: number, mode: MigrateMode, privateData: unknown): number;
}

/** struct shmem_inode_info with its vfs inode's i_data: a shmem file is its own mapping here. */
export class ShmemInode extends AddressSpace {
  /** info->swapped: pages of this file out on swap. */
  swapped = 0;
  /** VM_LOCKED (SHM_LOCK): shmem_writepage() refuses to swap. */
  locked = false;
  /**
   * Hugh Dickins' "later" suggestion in review: a gem_ops pointer in shmem_inode_info that
   * gems fill in as they wish. Checked before mapping->private_data; same dispatch.
   */
  gemOps: ShmemDevInfo | null = null;
  /** info->alloced: pages allocated to the file (in the cache or out on swap). */
  alloced = 0;

  constructor(name: string, gfpMask = GFP_HIGHUSER_MOVABLE) {
    super('shmem', name, gfpMask, shmemAops);
  }
}

/** SHMEM_I(): the shmem inode behind a mapping, or null if it is not shmem. */
export function SHMEM_I(mapping: AddressSpace): ShmemInode | null {
  return mapping instanceof ShmemInode ? mapping : null;
}

/**
 * shmem_set_dev_info() as in patch v2: store the driver's info in mapping->private_data.
 * Returns nothing and overwrites whatever was there, without a check (Joonas' review).
 */
export function shmemSetDevInfo(mapping: AddressSpace, devInfo: ShmemDevInfo): void {
  mapping.privateData = devInfo;
}

/**
 * shmem_get_dev_info(): the registered info, for hooks that deduce their object from the
 * mapping instead of trusting the private_data argument (Hugh's container_of() remark). A
 * driver object that itself implements ShmemDevInfo is returned as that object.
 */
export function shmemGetDevInfo(mapping: AddressSpace): ShmemDevInfo | null {
  const inode = SHMEM_I(mapping);
  if (inode?.gemOps) return inode.gemOps;
  return (mapping.privateData as ShmemDevInfo | null) ?? null;
}

/** Register through the inode's gem_ops pointer (the review's "later" shape). */
export function shmemSetGemOps(mapping: AddressSpace, ops: ShmemDevInfo | null): void {
  const inode = SHMEM_I(mapping);
  if (!inode) throw new MmError(-EINVAL, `${mapping.name} is not a shmem mapping`);
  inode.gemOps = ops;
}

/**
 * shmem_migratepage() from the patch: divert to the owner's hook when one is registered,
 * otherwise the generic migration (migrate_page() in 4.9, migrate_folio() in 6.1).
 */
export function shmemMigratepage(k: Kernel, mapping: AddressSpace, newpage: number, page: number, mode: MigrateMode): number {
  const devInfo = shmemGetDevInfo(mapping);
  if (devInfo?.migratepage) return devInfo.migratepage(mapping, newpage, page, mode, devInfo.privateData);
  return migrateFolio(k, mapping, newpage, page, mode);
}

/**
 * shmem_error_remove_page(): a poisoned shmem page stays in the cache, so that later reads,
 * writes and shmem_read_mapping_page() of it fail with -EIO instead of reading zeros.
 */
export function shmemErrorRemovePage(_k: Kernel, _mapping: AddressSpace, _pfn: number): number {
  return 0;
}

/**
 * shmem_aops, with the patch's .migratepage (6.1: .migrate_folio) = shmem_migratepage, and
 * 6.1's .writepage = shmem_writepage, .dirty_folio = noop_dirty_folio and .error_remove_page.
 */
export const shmemAops: AddressSpaceOperations = {
  migrateFolio: shmemMigratepage,
  writepage: shmemWritepage,
  dirtyFolio: noopDirtyFolio,
  errorRemoveFolio: shmemErrorRemovePage,
};

// ---------------------------------------------------------------------------------------------
// The page cache and swap of a shmem file (mm/shmem.c, 6.1). Simplifications: no shmem THP
// (shmem_is_huge() false: order-0 folios only), no tmpfs block accounting (max_blocks), no
// shmem_replace_folio() of swapped-in folios that sit in a zone the mapping's gfp excludes,
// and a shmem file is never mapped into a process (so shmem pages have mapcount 0).

/** enum sgp_type, the subset modelled. */
export type SgpType = 'read' | 'cache' | 'write';

function shmemOf(k: Kernel, pfn: number): ShmemInode {
  const owner = k.owners.get(k.mem.mapping[k.slot(pfn)]!);
  const inode = owner instanceof ShmemInode ? owner : null;
  if (!inode) throw new MmError(-EINVAL, `pfn 0x${pfn.toString(16)} is not a shmem page`);
  return inode;
}

/**
 * shmem_recalc_inode(): pages that left the cache behind shmem's back (invalidation, reclaim
 * of clean pages) stop counting as allocated: alloced = nrpages + swapped at most.
 */
function shmemRecalcInode(inode: ShmemInode): void {
  const freed = inode.alloced - inode.swapped - inode.nrpages;
  if (freed > 0) inode.alloced -= freed;
}

function checkIndex(index: number, what: string): void {
  if (!Number.isInteger(index) || index < 0) throw new MmError(-EINVAL, `${what}: bad page index ${index}`);
}

/**
 * shmem_add_to_page_cache(): index the folio (which may still be in the swap cache, replacing
 * the swap entry there) with the cache's references; NR_FILE_PAGES and NR_SHMEM. The LRU is
 * the caller's business.
 */
function shmemAddToPageCache(k: Kernel, inode: ShmemInode, pfn: number, index: number): void {
  const s = k.slot(pfn);
  const nr = k.nrPages(pfn);
  k.getPage(pfn, nr);
  k.mem.mapping[s] = inode.id;
  k.mem.index[s] = index;
  k.mem.flags[s]! |= PG_swapbacked;
  for (let i = 0; i < nr; i++) inode.iPages.set(index + i, pfn + i);
  inode.nrpages += nr;
  k.modNodeStat(pfn, NodeStat.NR_FILE_PAGES, nr);
  k.modNodeStat(pfn, NodeStat.NR_SHMEM, nr);
}

/**
 * shmem_delete_from_page_cache(): replace the folio in i_pages with `radswap` (a swap entry
 * value) and drop the cache's references. The folio loses its shmem identity: page->mapping
 * becomes the swap cache's (the kernel's NULL, see swap_state.ts).
 */
function shmemDeleteFromPageCache(k: Kernel, inode: ShmemInode, pfn: number, radswap: number): void {
  const s = k.slot(pfn);
  const nr = k.nrPages(pfn);
  const index = k.mem.index[s]!;
  for (let i = 0; i < nr; i++) inode.iPages.set(index + i, radswap);
  k.mem.mapping[s] = (k.mem.flags[s]! & PG_swapcache) !== 0 && k.swapCache ? k.swapCache.id : 0;
  inode.nrpages -= nr;
  k.modNodeStat(pfn, NodeStat.NR_FILE_PAGES, -nr);
  k.modNodeStat(pfn, NodeStat.NR_SHMEM, -nr);
  k.putPage(pfn, nr);
}

/**
 * shmem_writepage() (6.1): move a shmem folio to swap for reclaim. Redirties and returns
 * AOP_WRITEPAGE_ACTIVATE (for reclaim) when the file is SHM_LOCKed, there is no swap, the
 * call is not from reclaim, or swap is full. Otherwise: a swap slot, the swap cache,
 * info->swapped++, the slot's shmem reference, the shmem slot now holding the swap entry, and
 * swap_writepage() starts the write. The folio is left in the swap cache, under writeback.
 */
export function shmemWritepage(k: Kernel, pfn: number, wbc: WritebackControl): number {
  const inode = shmemOf(k, pfn);
  k.mem.flags[k.slot(pfn)]! &= ~PG_dirty; // the caller's folio_clear_dirty_for_io() (no accounting for shmem)
  redirty: {
    if (k.nrPages(pfn) > 1) break redirty; // split_huge_page(): no shmem THP in the model
    if (inode.locked) break redirty; // VM_LOCKED (SHM_LOCK)
    if (totalSwapPages(k) === 0) break redirty;
    if (!wbc.forReclaim) break redirty; // WARN_ON_ONCE: only reclaim writes shmem to swap
    const swap = folioAllocSwap(k, pfn);
    if (!swap) break redirty;
    if (addToSwapCache(k, pfn, swap) === 0) {
      inode.swapped++;
      swapShmemAlloc(k, swap);
      shmemDeleteFromPageCache(k, inode, pfn, swapEntryToValue(swap));
      swapWritepage(k, pfn, wbc);
      return 0;
    }
    putSwapFolio(k, pfn, swap);
  }
  noopDirtyFolio(k, inode, pfn); // folio_mark_dirty()
  return wbc.forReclaim ? AOP_WRITEPAGE_ACTIVATE : 0;
}

/**
 * shmem_swapin_folio(): read the entry back (or find it still in the swap cache), wait for a
 * write in flight, put the folio back in the file at its index, info->swapped--, take it out
 * of the swap cache, mark it dirty and free the swap slot. Returns the pfn with a reference
 * for the caller, or -ENOMEM.
 */
function shmemSwapinFolio(k: Kernel, inode: ShmemInode, index: number, entry: number, gfp: number, sgp: SgpType): number {
  const r = readSwapCacheAsync(k, entry, gfp);
  if (r.pfn < 0) return r.pfn;
  const pfn = r.pfn;
  folioWaitWriteback(k, pfn);
  shmemAddToPageCache(k, inode, pfn, index);
  inode.swapped--;
  if (sgp === 'write') folioMarkAccessed(k, pfn);
  deleteFromSwapCache(k, pfn);
  noopDirtyFolio(k, inode, pfn);
  swapFree(k, entry);
  return pfn;
}

/**
 * shmem_get_folio_gfp(): the folio at `index` with a reference for the caller (the kernel's
 * locked folio), swapping it in or allocating a new order-0 one with `gfp` (the mapping's
 * mask by default; __folio_alloc adds __GFP_COMP). SGP_READ does not allocate for a hole.
 * Returns the pfn, or -errno: -ENOENT for a hole (SGP_READ; the kernel returns 0 and no
 * folio), -EINVAL past i_size (sizeLimitPages) for reads, -EFBIG past it for writes, -ENOMEM.
 */
export function shmemGetFolio(k: Kernel, inode: ShmemInode, index: number, gfp = inode.gfpMask, sgp: SgpType = 'cache'): number {
  checkIndex(index, 'shmem_get_folio');
  if (index >= inode.sizeLimitPages) return sgp === 'write' ? -EFBIG : -EINVAL;
  const v = inode.iPages.get(index);
  if (v !== undefined && v < 0) return shmemSwapinFolio(k, inode, index, valueToSwapEntry(v), gfp, sgp);
  if (v !== undefined) {
    if (sgp === 'write') folioMarkAccessed(k, v);
    k.getPage(v);
    return v;
  }
  if (sgp === 'read') return -ENOENT;
  const pfn = k.alloc.allocPages(gfp | __GFP_COMP, 0); // shmem_alloc_folio()
  if (pfn < 0) return -ENOMEM;
  const s = k.slot(pfn);
  k.mem.flags[s]! |= PG_swapbacked;
  if (sgp === 'write') k.mem.flags[s]! |= PG_referenced;
  shmemAddToPageCache(k, inode, pfn, index);
  lruAdd(k, pfn); // folio_add_lru()
  inode.alloced++;
  shmemRecalcInode(inode);
  return pfn;
}

/** The folio has a hardware error (PageHWPoison): drop the caller's reference, -EIO. */
function hwpoisonEio(k: Kernel, pfn: number): boolean {
  if ((k.mem.flags[k.slot(pfn)]! & PG_hwpoison) === 0) return false;
  k.putPage(pfn);
  return true;
}

/**
 * shmem_read_mapping_page_gfp(): SGP_CACHE; the returned reference is the caller's (i915's
 * pin). -EIO for a poisoned page.
 */
export function shmemReadMappingPageGfp(k: Kernel, inode: ShmemInode, index: number, gfp: number): number {
  const pfn = shmemGetFolio(k, inode, index, gfp, 'cache');
  return pfn >= 0 && hwpoisonEio(k, pfn) ? -EIO : pfn;
}

/**
 * A write(2) of whole pages [index, index + count) to a shmem file (shmem_write_begin /
 * shmem_write_end): -EFBIG if any page is past sizeLimitPages (nothing is written then);
 * otherwise each page is found, swapped in or allocated, marked dirty (noop_dirty_folio).
 * Throws MmError (-EIO at a page with a hardware error); pages written before an error stay written.
 */
export function shmemWrite(k: Kernel, inode: ShmemInode, index: number, count: number): void {
  checkIndex(index, 'shmem write');
  if (!Number.isInteger(count) || count < 0) throw new MmError(-EINVAL, `shmem write: bad page count ${count}`);
  if (index + count > inode.sizeLimitPages) throw new MmError(-EFBIG, `shmem write past ${inode.sizeLimitPages} pages of ${inode.name}`);
  for (let i = index; i < index + count; i++) {
    let pfn = shmemGetFolio(k, inode, i, inode.gfpMask, 'write');
    if (pfn >= 0 && hwpoisonEio(k, pfn)) pfn = -EIO; // shmem_write_begin()
    if (pfn < 0) throw new MmError(pfn, `shmem write to ${inode.name} page ${i} failed`);
    noopDirtyFolio(k, inode, pfn);
    k.putPage(pfn);
  }
}

/**
 * A read(2) of whole pages (shmem_file_read_iter): SGP_READ, so holes stay holes; pages that
 * are there are marked accessed; swapped-out pages are read back. Returns the pages found;
 * throws MmError(-EIO) at a page with a hardware error.
 */
export function shmemRead(k: Kernel, inode: ShmemInode, index: number, count: number): number {
  checkIndex(index, 'shmem read');
  if (!Number.isInteger(count) || count < 0) throw new MmError(-EINVAL, `shmem read: bad page count ${count}`);
  let found = 0;
  const end = Math.min(index + count, inode.sizeLimitPages);
  for (let i = index; i < end; i++) {
    let pfn = shmemGetFolio(k, inode, i, inode.gfpMask, 'read');
    if (pfn === -ENOENT) continue; // a hole reads as zeros
    if (pfn >= 0 && hwpoisonEio(k, pfn)) pfn = -EIO; // shmem_file_read_iter()
    if (pfn < 0) throw new MmError(pfn, `shmem read of ${inode.name} page ${i} failed`);
    folioMarkAccessed(k, pfn);
    k.putPage(pfn);
    found++;
  }
  return found;
}

/**
 * shmem_truncate_range(inode, from << PAGE_SHIFT, -1) -> shmem_undo_range(): drop every cached
 * page at or after `fromIndex` from the file (truncate_inode_folio(): dirty state cancelled,
 * the cache's reference dropped; a page still referenced elsewhere, e.g. pinned by a driver,
 * lives on outside the cache) and free every swap entry there (shmem_free_swap() ->
 * free_swap_and_cache()). Returns the pages and swap entries dropped.
 */
export function shmemTruncate(k: Kernel, inode: ShmemInode, fromIndex: number): number {
  checkIndex(fromIndex, 'shmem_truncate');
  const indices: number[] = [];
  for (const index of inode.iPages.keys()) if (index >= fromIndex) indices.push(index);
  indices.sort((a, b) => a - b);
  let dropped = 0;
  let swapsFreed = 0;
  for (const index of indices) {
    const v = inode.iPages.get(index);
    if (v === undefined) continue;
    if (v < 0) {
      inode.iPages.delete(index);
      freeSwapAndCache(k, valueToSwapEntry(v));
      swapsFreed++;
    } else {
      folioWaitWriteback(k, v);
      k.mem.flags[k.slot(v)]! &= ~PG_dirty; // folio_cancel_dirty(): shmem does no dirty accounting
      filemapRemoveFolio(k, inode, v);
    }
    dropped++;
  }
  inode.swapped -= swapsFreed;
  shmemRecalcInode(inode);
  return dropped;
}

/** shmem_evict_inode(): truncate everything and forget the file (its owner id is released). */
export function shmemEvictInode(k: Kernel, inode: ShmemInode): void {
  shmemTruncate(k, inode, 0);
  k.owners.unregister(inode);
}

/**
 * mapping_set_unevictable(): new pages of the mapping go to the unevictable LRU; pages already
 * on an evictable list stay there until reclaim meets them and culls them (as in 6.1).
 */
export function mappingSetUnevictable(_k: Kernel, mapping: AddressSpace): void {
  mapping.unevictable = true;
}

/**
 * mapping_clear_unevictable() followed by check_move_unevictable_folios() over the mapping's
 * cached pages, as i915's shmem_sg_free_table() and shmem_unlock_mapping() do: pages on the
 * unevictable list go back to an evictable one (unevictable_pgs_rescued).
 */
export function mappingClearUnevictable(k: Kernel, mapping: AddressSpace): void {
  mapping.unevictable = false;
  for (const v of mapping.iPages.values()) if (v >= 0) checkMoveUnevictable(k, v);
}

/** shmem_lock() (SHM_LOCK / SHM_UNLOCK): VM_LOCKED on the file and an unevictable mapping. */
export function shmemLock(k: Kernel, inode: ShmemInode, lock: boolean): void {
  if (lock && !inode.locked) {
    inode.locked = true;
    mappingSetUnevictable(k, inode);
  } else if (!lock && inode.locked) {
    inode.locked = false;
    mappingClearUnevictable(k, inode);
  }
}
