/**
 * struct address_space and the page cache (include/linux/fs.h, mm/filemap.c): an index ->
 * folio map per file (the kernel's i_pages xarray), and the operations table a filesystem or
 * driver supplies. The operations are plain objects of functions, so a driver or a test can
 * bring its own — which is what the 2016 shmem_dev_info patch is about.
 */
import type { Kernel } from './kernel.js';
import { lruAdd, lruDel } from './lru.js';
import type { Owner } from './owners.js';
import {
  PG_active, PG_dirty, PG_lru, PG_private, PG_reclaim, PG_swapbacked, PG_swapcache, PG_unevictable, PG_writeback,
} from './page_flags.js';
import { NodeStat, VmEvent, ZoneStat } from './vmstat.js';

/** enum migrate_mode (include/linux/migrate_mode.h) */
export enum MigrateMode {
  ASYNC = 0,
  SYNC_LIGHT = 1,
  SYNC = 2,
  SYNC_NO_COPY = 3,
}

/** Error numbers the operations return, negated as in the kernel. */
export const EAGAIN = 11;
export const EBUSY = 16;
export const ENOMEM = 12;
export const ENOSPC = 28;
export const EFBIG = 27;
export const EINVAL = 22;

/** AOP_WRITEPAGE_ACTIVATE: ->writepage could not write; keep the page (locked) and activate it. */
export const AOP_WRITEPAGE_ACTIVATE = 0x80000;

/** struct writeback_control (the fields the model uses). */
export interface WritebackControl {
  /** Called from reclaim (shrink_folio_list -> pageout). */
  forReclaim: boolean;
}

/**
 * struct address_space_operations (6.1 names). Pages are passed as pfns.
 * 4.9 called `migrateFolio` `migratepage`, with (mapping, newpage, page, mode).
 */
export interface AddressSpaceOperations {
  /** ->writepage: start writing one dirty page; 0, AOP_WRITEPAGE_ACTIVATE or -errno. */
  writepage?(k: Kernel, pfn: number, wbc: WritebackControl): number;
  /** ->dirty_folio: mark dirty; returns true if it was clean. */
  dirtyFolio?(k: Kernel, mapping: AddressSpace, pfn: number): boolean;
  /**
   * ->release_folio: drop the folio's private data (folioDetachPrivate()) so it can be freed;
   * false to refuse. `gfp` says how the caller may block (0 from invalidation).
   */
  releaseFolio?(k: Kernel, pfn: number, gfp: number): boolean;
  /** ->migrate_folio: move src's contents and identity to dst; 0 or -errno (-EAGAIN retries). */
  migrateFolio?(k: Kernel, mapping: AddressSpace, dst: number, src: number, mode: MigrateMode): number;
  /**
   * ->error_remove_page: memory_failure() found a hardware error in this cached page; take it
   * out of the mapping (generic_error_remove_page()) or keep it (shmem); 0 or -errno.
   */
  errorRemoveFolio?(k: Kernel, mapping: AddressSpace, pfn: number): number;
}

/** A page-cache slot holding a swap entry (shmem pages out on swap), encoded below zero. */
export function swapEntryToValue(entry: number): number {
  return -(entry + 1);
}
export function valueToSwapEntry(value: number): number {
  return -value - 1;
}

export class AddressSpace implements Owner {
  id = 0;
  /** i_pages: page index -> pfn (>= 0), or a swap entry (< 0, see swapEntryToValue). */
  readonly iPages = new Map<number, number>();
  /** nrpages: folios' pages in the cache (swap entries not counted). */
  nrpages = 0;
  /** AS_UNEVICTABLE (mapping_set_unevictable()). */
  unevictable = false;
  /** I_DIRTY_PAGES of the host inode: set when a page is dirtied, so the flusher visits it. */
  inodeDirtyPages = false;
  /** The gfp mask its pages are allocated with (mapping_gfp_mask()). */
  gfpMask: number;
  /** mapping->private_data: owner-specific data (the seed stores its shmem_dev_info here). */
  privateData: unknown = null;
  /** i_size limit in pages; writes beyond it fail with -EFBIG. */
  sizeLimitPages = Number.MAX_SAFE_INTEGER;

  constructor(
    readonly kind: 'file' | 'shmem' | 'swap',
    readonly name: string,
    gfpMask: number,
    public aops: AddressSpaceOperations,
  ) {
    this.gfpMask = gfpMask;
  }
}

/** filemap_add_folio(): insert at index with the cache's reference, then onto the LRU. */
export function filemapAddFolio(k: Kernel, mapping: AddressSpace, pfn: number, index: number): void {
  const s = k.slot(pfn);
  const nr = k.nrPages(pfn);
  k.getPage(pfn, nr);
  k.mem.mapping[s] = mapping.id;
  k.mem.index[s] = index;
  for (let i = 0; i < nr; i++) mapping.iPages.set(index + i, pfn + i);
  mapping.nrpages += nr;
  k.modNodeStat(pfn, NodeStat.NR_FILE_PAGES, nr);
  if (mapping.kind === 'shmem') {
    k.mem.flags[s]! |= PG_swapbacked;
    k.modNodeStat(pfn, NodeStat.NR_SHMEM, nr);
  }
  lruAdd(k, pfn);
}

/**
 * __filemap_remove_folio() + the cache's folio_put: take the folio out of i_pages (or replace
 * it with `replacement`, e.g. a swap entry) and drop the cache's reference.
 */
export function filemapRemoveFolio(k: Kernel, mapping: AddressSpace, pfn: number, replacement?: number): void {
  const s = k.slot(pfn);
  const nr = k.nrPages(pfn);
  const index = k.mem.index[s]!;
  for (let i = 0; i < nr; i++) {
    if (replacement === undefined) mapping.iPages.delete(index + i);
    else mapping.iPages.set(index + i, replacement);
  }
  mapping.nrpages -= nr;
  k.modNodeStat(pfn, NodeStat.NR_FILE_PAGES, -nr);
  if (mapping.kind === 'shmem') k.modNodeStat(pfn, NodeStat.NR_SHMEM, -nr);
  if ((k.mem.flags[s]! & PG_dirty) !== 0 && mappingCanWriteback(mapping)) accountFolioCleaned(k, pfn);
  k.mem.mapping[s] = 0;
  k.putPage(pfn, nr);
}

/** filemap_get_folio(): the pfn cached at index, or -1 (swap entries and holes). */
export function filemapGetFolio(mapping: AddressSpace, index: number): number {
  const v = mapping.iPages.get(index);
  return v === undefined || v < 0 ? -1 : v;
}

/** folio_account_dirtied() */
export function accountFolioDirtied(k: Kernel, pfn: number): void {
  const nr = k.nrPages(pfn);
  k.modNodeStat(pfn, NodeStat.NR_DIRTY, nr);
  k.zoneOf(pfn).vmStat[ZoneStat.NR_ZONE_WRITE_PENDING]! += nr;
}

/** folio_account_cleaned() */
export function accountFolioCleaned(k: Kernel, pfn: number): void {
  const nr = k.nrPages(pfn);
  k.modNodeStat(pfn, NodeStat.NR_DIRTY, -nr);
  k.zoneOf(pfn).vmStat[ZoneStat.NR_ZONE_WRITE_PENDING]! -= nr;
}

/** filemap_dirty_folio(): the default ->dirty_folio. */
export function filemapDirtyFolio(k: Kernel, mapping: AddressSpace, pfn: number): boolean {
  const s = k.slot(pfn);
  if ((k.mem.flags[s]! & PG_dirty) !== 0) return false;
  k.mem.flags[s]! |= PG_dirty;
  accountFolioDirtied(k, pfn);
  mapping.inodeDirtyPages = true; // __mark_inode_dirty(mapping->host, I_DIRTY_PAGES)
  return true;
}

/**
 * folio_mark_dirty(): through the mapping's ->dirty_folio. A PG_reclaim left by reclaim is
 * cleared first: the folio is in use again and must not be freed the moment a write ends.
 */
export function folioMarkDirty(k: Kernel, mapping: AddressSpace, pfn: number): boolean {
  k.mem.flags[k.slot(pfn)]! &= ~PG_reclaim;
  return (mapping.aops.dirtyFolio ?? filemapDirtyFolio)(k, mapping, pfn);
}

/**
 * folio_attach_private(): the filesystem hangs data on the folio (buffers, journal state),
 * which holds a reference of its own until folio_detach_private().
 */
export function folioAttachPrivate(k: Kernel, pfn: number): void {
  const s = k.slot(pfn);
  if ((k.mem.flags[s]! & PG_private) !== 0) return;
  k.getPage(pfn);
  k.mem.flags[s]! |= PG_private;
}

/** folio_detach_private(): drop the private data and its reference; false if there was none. */
export function folioDetachPrivate(k: Kernel, pfn: number): boolean {
  const s = k.slot(pfn);
  if ((k.mem.flags[s]! & PG_private) === 0) return false;
  k.mem.flags[s]! &= ~PG_private;
  k.putPage(pfn);
  return true;
}

/** folio_needs_release(): it has private data (no mapping here sets AS_RELEASE_ALWAYS). */
export function folioNeedsRelease(k: Kernel, pfn: number): boolean {
  return (k.mem.flags[k.slot(pfn)]! & PG_private) !== 0;
}

/**
 * filemap_release_folio(): ask the mapping's ->release_folio to drop the folio's private data.
 * True when there is none left; false under writeback or when the owner refuses. Without a
 * ->release_folio the kernel would try_to_free_buffers(); the model has no buffer heads, so
 * such data cannot be released.
 */
export function filemapReleaseFolio(k: Kernel, pfn: number, gfp: number): boolean {
  if (!folioNeedsRelease(k, pfn)) return true;
  if ((k.mem.flags[k.slot(pfn)]! & PG_writeback) !== 0) return false;
  const mapping = k.owners.get(k.mem.mapping[k.slot(pfn)]!);
  const release = mapping instanceof AddressSpace ? mapping.aops.releaseFolio : undefined;
  return release ? release(k, pfn, gfp) && !folioNeedsRelease(k, pfn) : false;
}

/**
 * folio_invalidate() of a whole folio, as truncation does: a block filesystem's
 * ->invalidate_folio (block_invalidate_folio()) discards the buffers and releases the folio.
 * Simplification: ->release_folio is asked, and whatever private data it leaves is dropped
 * anyway, so a truncated folio never outlives its mapping.
 */
export function folioInvalidate(k: Kernel, pfn: number): void {
  if (!folioNeedsRelease(k, pfn)) return;
  const mapping = k.owners.get(k.mem.mapping[k.slot(pfn)]!);
  if (mapping instanceof AddressSpace) mapping.aops.releaseFolio?.(k, pfn, 0);
  folioDetachPrivate(k, pfn);
}

/**
 * mapping_can_writeback(): only regular files account dirty and writeback pages; shmem and
 * the swap cache use noop_dirty_folio and a bdi without writeback accounting.
 */
export function mappingCanWriteback(mapping: AddressSpace | null): boolean {
  return mapping !== null && mapping.kind === 'file';
}

/** folio_clear_dirty_for_io(): clear dirty before ->writepage (accounted for files only). */
export function folioClearDirtyForIo(k: Kernel, pfn: number): boolean {
  const s = k.slot(pfn);
  if ((k.mem.flags[s]! & PG_dirty) === 0) return false;
  k.mem.flags[s]! &= ~PG_dirty;
  const owner = k.owners.get(k.mem.mapping[s]!);
  if ((k.mem.flags[s]! & PG_swapcache) === 0 && owner && owner.kind === 'file') accountFolioCleaned(k, pfn);
  return true;
}

/** folio_start_writeback() */
export function folioStartWriteback(k: Kernel, pfn: number): void {
  k.mem.flags[k.slot(pfn)]! |= PG_writeback;
  k.modNodeStat(pfn, NodeStat.NR_WRITEBACK, k.nrPages(pfn));
  k.zoneOf(pfn).vmStat[ZoneStat.NR_ZONE_WRITE_PENDING]! += k.nrPages(pfn);
}

/**
 * folio_end_writeback(): and, for a folio reclaim wanted (PG_reclaim), folio_rotate_reclaimable()
 * to the inactive list's tail so the next scan frees it.
 */
export function folioEndWriteback(k: Kernel, pfn: number): void {
  const s = k.slot(pfn);
  k.mem.flags[s]! &= ~PG_writeback;
  k.modNodeStat(pfn, NodeStat.NR_WRITEBACK, -k.nrPages(pfn));
  k.zoneOf(pfn).vmStat[ZoneStat.NR_ZONE_WRITE_PENDING]! -= k.nrPages(pfn);
  const flags = k.mem.flags[s]!;
  if ((flags & PG_reclaim) !== 0) {
    k.mem.flags[s] = flags & ~PG_reclaim;
    // folio_rotate_reclaimable(): a clean evictable folio goes to the inactive tail (lru_move_tail_fn).
    if ((flags & PG_lru) !== 0 && (flags & (PG_dirty | PG_unevictable)) === 0) {
      lruDel(k, pfn);
      k.mem.flags[s]! &= ~PG_active;
      lruAdd(k, pfn, true);
      k.alloc.events.add(VmEvent.PGROTATED, k.nrPages(pfn));
    }
  }
}
