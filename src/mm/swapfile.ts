/**
 * Swap space (mm/swapfile.c, mm/swap_slots.c): one swap device of a configurable size in
 * pages, its swap_map of per-slot use counts, slot allocation and freeing.
 *
 * Where the state lives: the swap device is found from the Kernel (a WeakMap, swapInfo(k)),
 * not held by a caller-kept object, because ->writepage hooks such as shmem_writepage() get
 * only the kernel and a page, exactly as kernel code reaches the global swap_info[]. swapon()
 * also fills the Kernel's `swapCache` and `swap` fields that reclaim, migration and the OOM
 * killer read, and gives reclaim its anonymous-page operations (k.vmscan.anonOps) if it has
 * none yet.
 *
 * A swap entry is the slot's offset on the (single, type 0) device, so entry 0 is never valid
 * (slot 0 holds the swap header), which lets 0 mean "no entry" as swp_entry_t.val == 0 does.
 *
 * Simplifications:
 *  - One swap device, no priorities, no swapoff.
 *  - No SWAPFILE_CLUSTER clusters, per-cpu slot caches or SSD cluster logic
 *    (scan_swap_map_slots(): next-fit from the cluster_next rotor, wrapping once).
 *  - No swap count continuation: a slot's count tops out at SWAP_MAP_MAX (only fork could
 *    exceed it, and there is no fork).
 *  - No THP swap (folio_alloc_swap() of a large folio fails; reclaim splits it first), as
 *    swap_alloc_cluster() needs the SSD cluster allocator.
 */
import type { Kernel } from './kernel.js';
import { EINVAL, ENOENT, ENOMEM, EEXIST, EBUSY, MmError } from './mm_error.js';
import { PG_dirty, PG_swapcache, PG_writeback } from './page_flags.js';
import { anonReclaimOps, deleteFromSwapCache, initSwapAddressSpace, lookupSwapCache } from './swap_state.js';
import type { AddressSpace } from './filemap.js';

/** swap_map values (include/linux/swap.h). */
export const SWAP_HAS_CACHE = 0x40;
export const SWAP_MAP_MAX = 0x3e;
export const SWAP_MAP_BAD = 0x3f;
export const SWAP_MAP_SHMEM = 0xbf;

export interface SwapOptions {
  /** Virtual ns from submitting a page write to its completion (end_swap_bio_write). */
  writeLatencyNs?: number;
  /** Virtual ns a synchronous swap-in read takes (reported to the faulting caller). */
  readLatencyNs?: number;
}

/** struct swap_info_struct (the fields the model uses). */
export class SwapInfo {
  readonly type = 0;
  /** si->max: slots including the header slot 0. */
  readonly max: number;
  /** si->pages: usable slots (total_swap_pages with one device). */
  readonly pages: number;
  /** si->swap_map: use count per slot (count | SWAP_HAS_CACHE, or SWAP_MAP_SHMEM / SWAP_MAP_BAD). */
  readonly swapMap: Uint8Array;
  inusePages = 0;
  lowestBit: number;
  highestBit: number;
  clusterNext: number;
  writeLatencyNs: number;
  readLatencyNs: number;
  /** swapper_spaces[type]: the swap cache. */
  cache!: AddressSpace;

  constructor(maxpages: number, opts: SwapOptions) {
    this.max = maxpages;
    this.pages = maxpages - 1;
    this.swapMap = new Uint8Array(maxpages);
    this.swapMap[0] = SWAP_MAP_BAD;
    this.lowestBit = 1;
    this.highestBit = maxpages - 1;
    this.clusterNext = 1;
    this.writeLatencyNs = opts.writeLatencyNs ?? 200_000;
    this.readLatencyNs = opts.readLatencyNs ?? 200_000;
  }

  /** total_swap_pages */
  totalPages(): number {
    return this.pages;
  }

  /** get_nr_swap_pages(): free slots. */
  freePages(): number {
    return this.pages - this.inusePages;
  }
}

const devices = new WeakMap<Kernel, SwapInfo>();

/** The swap device, or null before swapon(). */
export function swapInfo(k: Kernel): SwapInfo | null {
  return devices.get(k) ?? null;
}

/**
 * swapon(2) of a swap area `pages` pages long (the first page is the header, so pages - 1
 * slots are usable, as setup_swap_map_and_extents() computes).
 */
export function swapon(k: Kernel, pages: number, opts: SwapOptions = {}): SwapInfo {
  if (!Number.isInteger(pages) || pages < 2) throw new MmError(-EINVAL, `swapon: ${pages} pages is not a usable swap area`);
  if (devices.has(k)) throw new MmError(-EBUSY, 'swapon: the model has one swap device and it is already on');
  for (const v of [opts.writeLatencyNs, opts.readLatencyNs]) {
    if (v !== undefined && !(v >= 0)) throw new MmError(-EINVAL, `swapon: bad latency ${v}`);
  }
  const si = new SwapInfo(pages, opts);
  si.cache = initSwapAddressSpace(k);
  devices.set(k, si);
  k.swap = si;
  k.vmscan.anonOps ??= anonReclaimOps(k); // anonymous memory is reclaimable from now on
  return si;
}

/** total_swap_pages (0 without swap). */
export function totalSwapPages(k: Kernel): number {
  return devices.get(k)?.pages ?? 0;
}

/** get_nr_swap_pages(): free swap slots. */
export function getNrSwapPages(k: Kernel): number {
  return devices.get(k)?.freePages() ?? 0;
}

/** vm_swap_full(): less than half the swap space is free. */
export function vmSwapFull(k: Kernel): boolean {
  const si = devices.get(k);
  return si !== undefined && si.freePages() * 2 < si.pages;
}

function checkEntry(si: SwapInfo, entry: number, what: string): void {
  if (!Number.isInteger(entry) || entry <= 0 || entry >= si.max) {
    throw new MmError(-EINVAL, `${what}: bad swap entry ${entry}`);
  }
}

function requireSwap(k: Kernel, what: string): SwapInfo {
  const si = devices.get(k);
  if (!si) throw new MmError(-EINVAL, `${what}: no swap device`);
  return si;
}

/** swap_range_alloc() */
function swapRangeAlloc(si: SwapInfo, offset: number): void {
  if (offset === si.lowestBit) si.lowestBit++;
  if (offset === si.highestBit) si.highestBit--;
  si.inusePages++;
  if (si.inusePages === si.pages) {
    si.lowestBit = si.max;
    si.highestBit = 0;
  }
}

/** swap_range_free() */
function swapRangeFree(si: SwapInfo, offset: number): void {
  if (offset < si.lowestBit) si.lowestBit = offset;
  if (offset > si.highestBit) si.highestBit = offset;
  si.inusePages--;
}

/**
 * scan_swap_map_slots() for one slot, simplified: the first free slot at or after the
 * cluster_next rotor up to highest_bit, then from lowest_bit; 0 when the device is full.
 */
function scanSwapMapSlot(si: SwapInfo, usage: number): number {
  if (si.highestBit === 0) return 0;
  const map = si.swapMap;
  let offset = si.clusterNext;
  if (offset > si.highestBit || offset < si.lowestBit) offset = si.lowestBit;
  let found = 0;
  for (let o = offset; o <= si.highestBit; o++) {
    if (map[o] === 0) {
      found = o;
      break;
    }
  }
  if (!found) {
    for (let o = si.lowestBit; o < offset; o++) {
      if (map[o] === 0) {
        found = o;
        break;
      }
    }
  }
  if (!found) return 0;
  map[found] = usage;
  swapRangeAlloc(si, found);
  si.clusterNext = found + 1;
  return found;
}

/**
 * folio_alloc_swap(): a slot with SWAP_HAS_CACHE for the folio, or 0 (no swap, swap full, or
 * a large folio: no THP swap in the model).
 */
export function folioAllocSwap(k: Kernel, pfn: number): number {
  const si = devices.get(k);
  if (!si) return 0;
  if (k.nrPages(pfn) > 1) return 0;
  if (si.freePages() <= 0) return 0; // get_swap_pages(): avail_pgs <= 0
  return scanSwapMapSlot(si, SWAP_HAS_CACHE);
}

/** swap_entry_free(): the slot's last user is gone. */
function swapEntryFree(si: SwapInfo, offset: number): void {
  si.swapMap[offset] = 0;
  swapRangeFree(si, offset);
}

/**
 * __swap_entry_free_locked(): drop one use (a map count, the SHMEM reference, or the cache
 * bit when usage is SWAP_HAS_CACHE); frees the slot when nothing is left. Returns what is left.
 */
function swapEntryPut(si: SwapInfo, offset: number, usage: number): number {
  const v = si.swapMap[offset]!;
  if (v === 0 || v === SWAP_MAP_BAD) throw new MmError(-EINVAL, `swap slot ${offset} is not in use`);
  let hasCache = v & SWAP_HAS_CACHE;
  let count = v & ~SWAP_HAS_CACHE;
  if (usage === SWAP_HAS_CACHE) {
    if (!hasCache) throw new MmError(-EINVAL, `swap slot ${offset} has no swap cache`);
    hasCache = 0;
  } else if (count === SWAP_MAP_SHMEM) {
    count = 0;
  } else {
    if (count === 0) throw new MmError(-EINVAL, `swap slot ${offset} has no map count`);
    count--;
  }
  const left = count | hasCache;
  if (left) si.swapMap[offset] = left;
  else swapEntryFree(si, offset);
  return left;
}

/** swap_free(): drop a page-table (or shmem) reference to the slot. */
export function swapFree(k: Kernel, entry: number): void {
  const si = requireSwap(k, 'swap_free');
  checkEntry(si, entry, 'swap_free');
  swapEntryPut(si, entry, 1);
}

/** put_swap_folio(): drop the swap cache's hold (SWAP_HAS_CACHE) on the folio's slots. */
export function putSwapFolio(k: Kernel, pfn: number, entry: number): void {
  const si = requireSwap(k, 'put_swap_folio');
  const nr = k.nrPages(pfn);
  for (let i = 0; i < nr; i++) {
    checkEntry(si, entry + i, 'put_swap_folio');
    swapEntryPut(si, entry + i, SWAP_HAS_CACHE);
  }
}

/**
 * __swap_duplicate(): add a use. usage 1 (a page table's), SWAP_MAP_SHMEM or SWAP_HAS_CACHE.
 * Returns 0, -EEXIST (the cache bit is already set), -ENOENT (slot unused) or -ENOMEM (would
 * need a count continuation).
 */
function swapDuplicateUsage(si: SwapInfo, offset: number, usage: number): number {
  const v = si.swapMap[offset]!;
  if (v === SWAP_MAP_BAD) return -ENOENT;
  let hasCache = v & SWAP_HAS_CACHE;
  let count = v & ~SWAP_HAS_CACHE;
  if (usage === SWAP_HAS_CACHE) {
    if (!hasCache && count) hasCache = SWAP_HAS_CACHE;
    else if (hasCache) return -EEXIST;
    else return -ENOENT;
  } else if (count || hasCache) {
    if (count < SWAP_MAP_MAX) count += usage;
    else return count > SWAP_MAP_MAX ? -EINVAL : -ENOMEM;
  } else {
    return -ENOENT;
  }
  si.swapMap[offset] = count | hasCache;
  return 0;
}

/** swap_duplicate(): one more page table refers to the slot; 0 or -errno. */
export function swapDuplicate(k: Kernel, entry: number): number {
  const si = requireSwap(k, 'swap_duplicate');
  checkEntry(si, entry, 'swap_duplicate');
  return swapDuplicateUsage(si, entry, 1);
}

/** swap_shmem_alloc(): the slot is referenced from a shmem mapping. */
export function swapShmemAlloc(k: Kernel, entry: number): void {
  const si = requireSwap(k, 'swap_shmem_alloc');
  checkEntry(si, entry, 'swap_shmem_alloc');
  const rc = swapDuplicateUsage(si, entry, SWAP_MAP_SHMEM);
  if (rc) throw new MmError(rc, `swap_shmem_alloc: slot ${entry} cannot take a shmem reference`);
}

/** swapcache_prepare(): claim SWAP_HAS_CACHE before reading the slot into the swap cache. */
export function swapcachePrepare(k: Kernel, entry: number): number {
  const si = requireSwap(k, 'swapcache_prepare');
  checkEntry(si, entry, 'swapcache_prepare');
  return swapDuplicateUsage(si, entry, SWAP_HAS_CACHE);
}

/** __swap_count(): page-table/shmem users of the slot (SWAP_MAP_SHMEM for shmem). */
export function swapCount(k: Kernel, entry: number): number {
  const si = devices.get(k);
  if (!si || entry <= 0 || entry >= si.max) return 0;
  return si.swapMap[entry]! & ~SWAP_HAS_CACHE;
}

/** folio_swapped(): is any of the folio's slots still referenced from a page table or shmem? */
export function folioSwapped(k: Kernel, pfn: number): boolean {
  const s = k.slot(pfn);
  const nr = k.nrPages(pfn);
  const entry = k.mem.private[s]!;
  for (let i = 0; i < nr; i++) if (swapCount(k, entry + i) !== 0) return true;
  return false;
}

/**
 * folio_free_swap(): drop the folio from the swap cache (freeing its slot) if no page table or
 * shmem file refers to the slot any more and no write is in flight. Marks the folio dirty:
 * its only copy is in memory again.
 */
export function folioFreeSwap(k: Kernel, pfn: number): boolean {
  const s = k.slot(pfn);
  const flags = k.mem.flags[s]!;
  if ((flags & PG_swapcache) === 0) return false;
  if ((flags & PG_writeback) !== 0) return false;
  if (folioSwapped(k, pfn)) return false;
  k.mem.flags[s]! |= PG_dirty; // folio_set_dirty(): no accounting for a swap-backed folio
  deleteFromSwapCache(k, pfn);
  return true;
}

/** __try_to_reclaim_swap() with TTRS_UNMAPPED | TTRS_FULL, as free_swap_and_cache() calls it. */
function tryToReclaimSwap(k: Kernel, entry: number): void {
  const pfn = lookupSwapCache(k, entry);
  if (pfn < 0) return;
  const s = k.slot(pfn);
  const unmapped = k.mem.mapcount[s] === 0;
  k.getPage(pfn); // filemap_get_folio()'s reference
  if (unmapped || vmSwapFull(k)) folioFreeSwap(k, pfn);
  k.putPage(pfn);
}

/**
 * free_swap_and_cache(): a page table or shmem slot lets go of a swap entry; when only the
 * swap cache is left holding the slot, try to drop that too.
 */
export function freeSwapAndCache(k: Kernel, entry: number): void {
  const si = requireSwap(k, 'free_swap_and_cache');
  checkEntry(si, entry, 'free_swap_and_cache');
  const left = swapEntryPut(si, entry, 1);
  if (left === SWAP_HAS_CACHE) tryToReclaimSwap(k, entry);
}
