/**
 * Regular files and their page cache (mm/filemap.c, mm/page-writeback.c, mm/truncate.c,
 * simplified): read(2) and write(2) of whole pages, writeback to a simulated disk with a
 * latency on the virtual clock, truncation, and dropping clean pages (POSIX_FADV_DONTNEED,
 * drop_caches).
 *
 * Simplifications: no readahead (each missing page is one synchronous read whose latency is
 * returned, not waited for on the clock); no workingset shadow entries; writes are whole-page
 * overwrites, so they never read first; no balance_dirty_pages() throttling and no flusher
 * threads (writeback happens when reclaim calls ->writepage or writebackMapping() is called);
 * file pages are never mapped into a process (mapcount stays 0, no NR_MAPPED).
 */
import {
  AddressSpace, type AddressSpaceOperations, accountFolioCleaned, filemapAddFolio, filemapDirtyFolio, filemapGetFolio,
  filemapReleaseFolio, filemapRemoveFolio, folioClearDirtyForIo, folioInvalidate, folioMarkDirty, folioNeedsRelease,
  type WritebackControl,
} from './filemap.js';
import { GFP_HIGHUSER_MOVABLE, __GFP_COMP } from './gfp.js';
import type { Kernel } from './kernel.js';
import { folioMarkAccessed } from './lru.js';
import { migrateFolio } from './migrate.js';
import { EFBIG, EINVAL, EIO, ENOMEM, MmError } from './mm_error.js';
import { PG_dirty, PG_writeback } from './page_flags.js';
import { countPageRead, folioWaitWriteback, submitWrite } from './page_io.js';

export interface FileOptions {
  /** i_size in pages (what exists on disk to be read); unbounded by default. */
  sizePages?: number;
  /** Writes beyond this many pages fail with -EFBIG (RLIMIT_FSIZE / s_maxbytes). */
  sizeLimitPages?: number;
  /** Virtual ns from submitting a page write to its completion. */
  writeLatencyNs?: number;
  /** Virtual ns of a synchronous page read (reported, not waited for). */
  readLatencyNs?: number;
  /** mapping_gfp_mask(); GFP_HIGHUSER_MOVABLE as inode_init_always() sets it. */
  gfpMask?: number;
}

/** A regular file on a simulated disk: its inode's address_space. */
export class File extends AddressSpace {
  /** i_size in pages. */
  sizePages: number;
  writeLatencyNs: number;
  readLatencyNs: number;

  constructor(name: string, opts: FileOptions = {}) {
    super('file', name, opts.gfpMask ?? GFP_HIGHUSER_MOVABLE, fileAops);
    this.sizePages = opts.sizePages ?? Number.MAX_SAFE_INTEGER;
    if (opts.sizeLimitPages !== undefined) this.sizeLimitPages = opts.sizeLimitPages;
    this.writeLatencyNs = opts.writeLatencyNs ?? 1_000_000;
    this.readLatencyNs = opts.readLatencyNs ?? 100_000;
  }
}

/**
 * A generic block filesystem's ->writepage (block_write_full_page() / mpage, simplified): the
 * caller has cleared the dirty bit (folio_clear_dirty_for_io()); start writeback, which ends
 * after the file's write latency. pgpgout is counted by the submission.
 */
export function fileWritepage(k: Kernel, pfn: number, _wbc: WritebackControl): number {
  const owner = k.owners.get(k.mem.mapping[k.slot(pfn)]!);
  if (!(owner instanceof File)) throw new MmError(-EINVAL, `writepage: pfn 0x${pfn.toString(16)} is not a file page`);
  folioClearDirtyForIo(k, pfn); // the caller's job; a no-op when it has been done
  submitWrite(k, pfn, owner.writeLatencyNs);
  return 0;
}

/**
 * truncate_inode_folio(): cancel the folio's dirty state (after invalidating any private data)
 * and take it out of the cache. -EIO if it is no longer in this mapping.
 */
function truncateInodeFolio(k: Kernel, mapping: AddressSpace, pfn: number): number {
  const s = k.slot(pfn);
  if (k.mem.mapping[s] !== mapping.id) return -EIO;
  folioInvalidate(k, pfn); // truncate_cleanup_folio()
  if ((k.mem.flags[s]! & PG_dirty) !== 0) {
    k.mem.flags[s]! &= ~PG_dirty; // folio_cancel_dirty()
    accountFolioCleaned(k, pfn);
  }
  filemapRemoveFolio(k, mapping, pfn);
  return 0;
}

/** generic_error_remove_page(): memory failure punches the page out of a regular file. */
export function genericErrorRemovePage(k: Kernel, mapping: AddressSpace, pfn: number): number {
  return truncateInodeFolio(k, mapping, pfn);
}

/**
 * The generic file aops: writepage, filemap_dirty_folio, the plain folio migration, and
 * generic_error_remove_page as ext4 and most block filesystems have it.
 */
export const fileAops: AddressSpaceOperations = {
  writepage: fileWritepage,
  dirtyFolio: filemapDirtyFolio,
  migrateFolio: migrateFolio,
  errorRemoveFolio: genericErrorRemovePage,
};

/** A new regular file, registered as an owner. */
export function createFile(k: Kernel, name: string, opts: FileOptions = {}): File {
  for (const [key, v] of Object.entries(opts)) {
    if (key !== 'gfpMask' && v !== undefined && (typeof v !== 'number' || !(v >= 0))) {
      throw new MmError(-EINVAL, `file ${name}: bad ${key} ${String(v)}`);
    }
  }
  return k.owners.register(new File(name, opts));
}

function checkPages(index: number, count: number, what: string): void {
  if (!Number.isInteger(index) || index < 0) throw new MmError(-EINVAL, `${what}: bad page index ${index}`);
  if (!Number.isInteger(count) || count < 0) throw new MmError(-EINVAL, `${what}: bad page count ${count}`);
}

/**
 * filemap_alloc_folio() + filemap_add_folio(): a new order-0 page in the cache at index (the
 * cache's reference only; the allocation's is dropped). Throws -ENOMEM.
 */
function addNewPage(k: Kernel, file: File, index: number): number {
  const pfn = k.alloc.allocPages(file.gfpMask | __GFP_COMP, 0);
  if (pfn < 0) throw new MmError(-ENOMEM, `page cache of ${file.name}: no memory for page ${index}`);
  filemapAddFolio(k, file, pfn, index);
  k.putPage(pfn);
  return pfn;
}

/** What a read cost. */
export interface FileReadStats {
  /** Pages found in the page cache. */
  cached: number;
  /** Pages read from disk (pgpgin). */
  read: number;
  /** Their synchronous read time. */
  ioNs: number;
}

/**
 * read(2) of pages [index, index + count), up to end of file (filemap_read()): each page is
 * found in the cache or read from disk into a new page (GFP_HIGHUSER_MOVABLE by default),
 * and marked accessed (referenced, then active on a second read). Throws MmError(-ENOMEM)
 * when a page cannot be allocated (pages read so far stay cached).
 */
export function fileRead(k: Kernel, file: File, index: number, count: number): FileReadStats {
  checkPages(index, count, `read ${file.name}`);
  const st: FileReadStats = { cached: 0, read: 0, ioNs: 0 };
  const end = Math.min(index + count, file.sizePages);
  for (let i = index; i < end; i++) {
    let pfn = filemapGetFolio(file, i);
    if (pfn < 0) {
      pfn = addNewPage(k, file, i);
      countPageRead(k, 1);
      st.read++;
      st.ioNs += file.readLatencyNs;
    } else {
      st.cached++;
    }
    folioMarkAccessed(k, pfn);
  }
  return st;
}

/**
 * write(2) of whole pages [index, index + count) (generic_perform_write()): each page found
 * or added, then dirtied through ->dirty_folio (NR_DIRTY, NR_ZONE_WRITE_PENDING); i_size
 * grows. -EFBIG (nothing written) if the write would pass sizeLimitPages; -ENOMEM if a page
 * cannot be allocated (pages written so far stay written).
 */
export function fileWrite(k: Kernel, file: File, index: number, count: number): void {
  checkPages(index, count, `write ${file.name}`);
  if (index + count > file.sizeLimitPages) throw new MmError(-EFBIG, `write past ${file.sizeLimitPages} pages of ${file.name}`);
  for (let i = index; i < index + count; i++) {
    let pfn = filemapGetFolio(file, i);
    if (pfn < 0) pfn = addNewPage(k, file, i);
    folioMarkDirty(k, file, pfn);
    if (i + 1 > file.sizePages) file.sizePages = i + 1;
  }
}

/**
 * truncate(2) to `fromIndex` pages (truncate_inode_pages_range()): every cached page at or
 * past it waits for its writeback (folio_wait_writeback(), instantaneous in the model), has
 * its private data invalidated and its dirty state cancelled, and leaves the cache. Returns
 * the pages dropped.
 */
export function fileTruncate(k: Kernel, file: File, fromIndex: number): number {
  checkPages(fromIndex, 0, `truncate ${file.name}`);
  const indices: number[] = [];
  for (const [index, v] of file.iPages) if (index >= fromIndex && v >= 0) indices.push(index);
  indices.sort((a, b) => a - b);
  for (const index of indices) {
    const pfn = file.iPages.get(index)!;
    folioWaitWriteback(k, pfn);
    truncateInodeFolio(k, file, pfn);
  }
  file.sizePages = Math.min(file.sizePages, fromIndex);
  return indices.length;
}

/**
 * mapping_evict_folio(): a clean folio not under writeback, held by nobody but the cache, the
 * caller (`callerRefs`) and its private data (which ->release_folio must agree to drop),
 * leaves the cache. True if it did.
 */
export function mappingEvictFolio(k: Kernel, mapping: AddressSpace, pfn: number, callerRefs = 0): boolean {
  const s = k.slot(pfn);
  if ((k.mem.flags[s]! & (PG_dirty | PG_writeback)) !== 0) return false;
  if (k.mem.mapcount[s]! > 0) return false;
  // Anyone else holding it (a pin, an isolation) keeps it.
  if (k.mem.refcount[s]! > k.nrPages(pfn) + (folioNeedsRelease(k, pfn) ? 1 : 0) + callerRefs) return false;
  if (!filemapReleaseFolio(k, pfn, 0)) return false;
  filemapRemoveFolio(k, mapping, pfn); // remove_mapping()
  return true;
}

/**
 * invalidate_mapping_pages() over [start, end) (POSIX_FADV_DONTNEED, drop_caches): every page
 * mapping_evict_folio() lets go leaves the cache and is freed. Returns the pages dropped.
 */
export function invalidateClean(k: Kernel, mapping: AddressSpace, start = 0, end = Number.MAX_SAFE_INTEGER): number {
  if (mapping.kind === 'swap') throw new MmError(-EINVAL, 'invalidate_mapping_pages: not for the swap cache');
  const candidates: number[] = [];
  for (const [index, pfn] of mapping.iPages) if (index >= start && index < end && pfn >= 0) candidates.push(pfn);
  let n = 0;
  for (const pfn of candidates) if (mappingEvictFolio(k, mapping, pfn)) n++;
  return n;
}

/** echo 1 > /proc/sys/vm/drop_caches: invalidate every file's and shmem file's clean pages. */
export function dropPagecache(k: Kernel): number {
  let n = 0;
  for (const owner of k.owners.all()) {
    if (owner instanceof AddressSpace && (owner.kind === 'file' || owner.kind === 'shmem')) n += invalidateClean(k, owner);
  }
  return n;
}

/**
 * filemap_fdatawrite() (write_cache_pages() with WB_SYNC_NONE): every dirty page not under
 * writeback is cleaned for I/O and handed to ->writepage. Returns the pages submitted.
 */
export function writebackMapping(k: Kernel, file: File): number {
  // The flusher only visits inodes on the dirty list (I_DIRTY_PAGES); the flag is cleared for
  // the pass and set again if a dirty page had to be left (under writeback), as requeue_inode().
  if (!file.inodeDirtyPages) return 0;
  file.inodeDirtyPages = false;
  const wbc: WritebackControl = { forReclaim: false };
  const dirty: number[] = [];
  for (const pfn of file.iPages.values()) {
    if (pfn < 0) continue;
    const f = k.mem.flags[k.slot(pfn)]! & (PG_dirty | PG_writeback);
    if (f === PG_dirty) dirty.push(pfn);
    else if (f === (PG_dirty | PG_writeback)) file.inodeDirtyPages = true;
  }
  let n = 0;
  for (const pfn of dirty) {
    if (!folioClearDirtyForIo(k, pfn)) continue;
    if (file.aops.writepage!(k, pfn, wbc) === 0) n++;
  }
  return n;
}

/** iput() of an unlinked file: truncate it all and forget it. */
export function releaseFile(k: Kernel, file: File): void {
  fileTruncate(k, file, 0);
  k.owners.unregister(file);
}
