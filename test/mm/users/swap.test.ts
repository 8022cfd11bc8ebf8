/** The swap device, its slot map and the swap cache (swapfile.ts, swap_state.ts, page_io.ts). */
import { describe, expect, it } from 'vitest';
import { MigrateType } from '../../../src/mm/constants.js';
import { GFP_HIGHUSER_MOVABLE, __GFP_COMP } from '../../../src/mm/gfp.js';
import { lruAdd } from '../../../src/mm/lru.js';
import { MmError, EBUSY, EINVAL } from '../../../src/mm/mm_error.js';
import { PG_anon, PG_dirty, PG_swapbacked, PG_swapcache, PG_writeback } from '../../../src/mm/page_flags.js';
import { writesInFlight } from '../../../src/mm/page_io.js';
import {
  addToSwap, addToSwapCache, deleteFromSwapCache, lookupSwapCache, readSwapCacheAsync,
} from '../../../src/mm/swap_state.js';
import {
  SWAP_HAS_CACHE, SWAP_MAP_SHMEM, folioAllocSwap, freeSwapAndCache, getNrSwapPages, putSwapFolio, swapCount,
  swapDuplicate, swapFree, swapInfo, swapShmemAlloc, swapcachePrepare, swapon, totalSwapPages, vmSwapFull,
} from '../../../src/mm/swapfile.js';
import { NodeStat, VmEvent } from '../../../src/mm/vmstat.js';
import { boot, check, has } from './helpers.js';

/** A bare swap-backed page on the LRU, as anon memory looks to the swap layer. */
function swapBackedPage(k: ReturnType<typeof boot>): number {
  const pfn = k.alloc.allocPages(GFP_HIGHUSER_MOVABLE | __GFP_COMP, 0);
  k.mem.flags[k.slot(pfn)]! |= PG_swapbacked;
  lruAdd(k, pfn);
  return pfn;
}

describe('swapon and slot allocation', () => {
  it('has no swap until swapon; slot 0 is the header', () => {
    const k = boot();
    expect(totalSwapPages(k)).toBe(0);
    expect(getNrSwapPages(k)).toBe(0);
    expect(k.swap).toBeNull();
    const si = swapon(k, 9);
    expect(totalSwapPages(k)).toBe(8);
    expect(getNrSwapPages(k)).toBe(8);
    expect(k.swap?.totalPages()).toBe(8);
    expect(k.swapCache).toBe(si.cache);
    expect(k.owners.get(si.cache.id)).toBe(si.cache);
    expect(si.cache.kind).toBe('swap');
    check(k);
  });

  it('rejects bad sizes and a second device with typed errors', () => {
    const k = boot();
    for (const bad of [0, 1, -5, 2.5, NaN]) {
      expect(() => swapon(k, bad)).toThrow(MmError);
    }
    try {
      swapon(k, -1);
    } catch (e) {
      expect((e as MmError).code).toBe(-EINVAL);
    }
    expect(swapInfo(k)).toBeNull();
    swapon(k, 4);
    expect(() => swapon(k, 4)).toThrowError(expect.objectContaining({ code: -EBUSY }));
    check(k);
  });

  it('allocates slots next-fit from the rotor, wraps, and reports full as 0', () => {
    const k = boot();
    swapon(k, 5); // slots 1..4
    const pages = [0, 1, 2, 3, 4].map(() => swapBackedPage(k));
    const got = pages.slice(0, 4).map((p) => folioAllocSwap(k, p));
    expect(got).toEqual([1, 2, 3, 4]);
    expect(swapInfo(k)!.swapMap[2]).toBe(SWAP_HAS_CACHE);
    expect(getNrSwapPages(k)).toBe(0);
    expect(folioAllocSwap(k, pages[4]!)).toBe(0); // swap full: a result, not an error
    putSwapFolio(k, pages[1]!, 2); // slot 2 free again
    expect(getNrSwapPages(k)).toBe(3 - 2); // 1 free
    expect(folioAllocSwap(k, pages[4]!)).toBe(2); // found by wrapping past the rotor
    putSwapFolio(k, pages[0]!, 1);
    putSwapFolio(k, pages[4]!, 2);
    putSwapFolio(k, pages[2]!, 3);
    putSwapFolio(k, pages[3]!, 4);
    expect(getNrSwapPages(k)).toBe(4);
  });

  it('keeps use counts: map references, the shmem reference and the cache bit', () => {
    const k = boot();
    swapon(k, 8);
    const pfn = swapBackedPage(k);
    const e = folioAllocSwap(k, pfn);
    expect(swapcachePrepare(k, e)).toBe(-17); // -EEXIST: the cache bit is already set
    expect(swapDuplicate(k, e)).toBe(0);
    expect(swapCount(k, e)).toBe(1);
    swapFree(k, e);
    expect(swapCount(k, e)).toBe(0);
    expect(swapInfo(k)!.swapMap[e]).toBe(SWAP_HAS_CACHE);
    swapShmemAlloc(k, e);
    expect(swapCount(k, e)).toBe(SWAP_MAP_SHMEM);
    putSwapFolio(k, pfn, e);
    expect(swapInfo(k)!.swapMap[e]).toBe(SWAP_MAP_SHMEM);
    expect(getNrSwapPages(k)).toBe(6);
    swapFree(k, e); // the shmem reference goes in one step
    expect(swapInfo(k)!.swapMap[e]).toBe(0);
    expect(getNrSwapPages(k)).toBe(7);
    expect(() => swapFree(k, e)).toThrow(MmError); // double free: typed, state unchanged
    expect(() => swapFree(k, 0)).toThrow(MmError);
    expect(() => swapFree(k, 99)).toThrow(MmError);
    expect(getNrSwapPages(k)).toBe(7);
  });

  it('vm_swap_full() is less than half free', () => {
    const k = boot();
    swapon(k, 5);
    const ps = [0, 1, 2].map(() => swapBackedPage(k));
    folioAllocSwap(k, ps[0]!);
    folioAllocSwap(k, ps[1]!);
    expect(vmSwapFull(k)).toBe(false);
    folioAllocSwap(k, ps[2]!);
    expect(vmSwapFull(k)).toBe(true);
  });
});

describe('the swap cache', () => {
  it('add_to_swap: slot, cache entry, PG_swapcache, private, references, NR_SWAPCACHED and NR_FILE_PAGES', () => {
    const k = boot();
    swapon(k, 16);
    const pfn = swapBackedPage(k);
    const s = k.slot(pfn);
    expect(addToSwap(k, pfn)).toBe(true);
    const e = k.mem.private[s]!;
    expect(e).toBe(1);
    expect(has(k, pfn, PG_swapcache)).toBe(true);
    expect(has(k, pfn, PG_dirty)).toBe(true);
    expect(k.mem.refcount[s]).toBe(2);
    expect(lookupSwapCache(k, e)).toBe(pfn);
    expect(k.nodeStat(0, NodeStat.NR_SWAPCACHED)).toBe(1);
    expect(k.nodeStat(0, NodeStat.NR_FILE_PAGES)).toBe(1);
    expect(k.mem.mapping[s]).toBe(k.swapCache!.id); // no other owner: the swap cache names it
    check(k);
    deleteFromSwapCache(k, pfn);
    expect(has(k, pfn, PG_swapcache)).toBe(false);
    expect(k.mem.refcount[s]).toBe(1);
    expect(lookupSwapCache(k, e)).toBe(-1);
    expect(getNrSwapPages(k)).toBe(15);
    expect(k.nodeStat(0, NodeStat.NR_SWAPCACHED)).toBe(0);
    check(k);
  });

  it('add_to_swap fails cleanly with no swap, a full device, or a THP', () => {
    const k = boot();
    const pfn = swapBackedPage(k);
    expect(addToSwap(k, pfn)).toBe(false);
    swapon(k, 2); // one slot
    const other = swapBackedPage(k);
    expect(addToSwap(k, other)).toBe(true);
    expect(addToSwap(k, pfn)).toBe(false);
    expect(has(k, pfn, PG_swapcache)).toBe(false);
    const thp = k.alloc.allocPages(GFP_HIGHUSER_MOVABLE | __GFP_COMP, 9);
    k.mem.flags[k.slot(thp)]! |= PG_swapbacked;
    lruAdd(k, thp);
    deleteFromSwapCache(k, other);
    expect(addToSwap(k, thp)).toBe(false);
    expect(getNrSwapPages(k)).toBe(1);
    check(k);
  });

  it('add_to_swap_cache refuses an entry that is already cached', () => {
    const k = boot();
    swapon(k, 4);
    const a = swapBackedPage(k);
    const b = swapBackedPage(k);
    expect(addToSwap(k, a)).toBe(true);
    const e = k.mem.private[k.slot(a)]!;
    expect(addToSwapCache(k, b, e)).toBe(-17);
    expect(has(k, b, PG_swapcache)).toBe(false);
    check(k);
  });

  it('swap_writepage starts a write that completes on the clock, counting pswpout and pgpgout (KiB)', () => {
    const k = boot();
    swapon(k, 16, { writeLatencyNs: 5000 });
    const pfn = swapBackedPage(k);
    k.mem.flags[k.slot(pfn)]! |= PG_anon;
    addToSwap(k, pfn);
    const e = k.mem.private[k.slot(pfn)]!;
    swapDuplicate(k, e); // a PTE refers to it, so the write is needed
    k.mem.flags[k.slot(pfn)]! &= ~PG_dirty;
    expect(k.swapCache!.aops.writepage!(k, pfn, { forReclaim: true })).toBe(0);
    expect(has(k, pfn, PG_writeback)).toBe(true);
    expect(k.nodeStat(0, NodeStat.NR_WRITEBACK)).toBe(1);
    expect(k.alloc.events.get(VmEvent.PSWPOUT)).toBe(1);
    expect(k.alloc.events.get(VmEvent.PGPGOUT)).toBe(4);
    expect(writesInFlight(k)).toBe(1);
    k.clock.runUntil(4999);
    expect(has(k, pfn, PG_writeback)).toBe(true);
    k.clock.runUntil(5000);
    expect(has(k, pfn, PG_writeback)).toBe(false);
    expect(k.nodeStat(0, NodeStat.NR_WRITEBACK)).toBe(0);
    expect(writesInFlight(k)).toBe(0);
    swapFree(k, e);
    check(k);
  });

  it('swap_writepage of a slot nobody refers to just drops the swap cache (folio_free_swap)', () => {
    const k = boot();
    swapon(k, 16);
    const pfn = swapBackedPage(k);
    addToSwap(k, pfn);
    k.mem.flags[k.slot(pfn)]! &= ~PG_dirty;
    expect(k.swapCache!.aops.writepage!(k, pfn, { forReclaim: true })).toBe(0);
    expect(has(k, pfn, PG_writeback)).toBe(false);
    expect(has(k, pfn, PG_swapcache)).toBe(false);
    expect(has(k, pfn, PG_dirty)).toBe(true);
    expect(k.alloc.events.get(VmEvent.PSWPOUT)).toBe(0);
    expect(getNrSwapPages(k)).toBe(15);
    check(k);
  });

  it('read_swap_cache_async reads a used slot into a new page on the LRU (pswpin, pgpgin)', () => {
    const k = boot();
    swapon(k, 16, { readLatencyNs: 777 });
    const pfn = swapBackedPage(k);
    addToSwap(k, pfn);
    const e = k.mem.private[k.slot(pfn)]!;
    swapShmemAlloc(k, e); // someone (a shmem file) holds the entry
    deleteFromSwapCache(k, pfn);
    k.putPage(pfn); // the page is gone, the data is on swap
    const r = readSwapCacheAsync(k, e, GFP_HIGHUSER_MOVABLE);
    expect(r.read).toBe(true);
    expect(r.ioNs).toBe(777);
    expect(k.mem.getPageblockMigratetype(k.slot(r.pfn))).toBe(MigrateType.MOVABLE);
    expect(lookupSwapCache(k, e)).toBe(r.pfn);
    expect(k.mem.refcount[k.slot(r.pfn)]).toBe(2); // the caller's + the cache's
    expect(k.alloc.events.get(VmEvent.PSWPIN)).toBe(1);
    expect(k.alloc.events.get(VmEvent.PGPGIN)).toBe(4);
    const again = readSwapCacheAsync(k, e, GFP_HIGHUSER_MOVABLE);
    expect(again).toEqual({ pfn: r.pfn, read: false, ioNs: 0 });
    k.putPage(r.pfn, 2);
    freeSwapAndCache(k, e); // the holder lets go: slot and cache copy both go
    expect(lookupSwapCache(k, e)).toBe(-1);
    expect(getNrSwapPages(k)).toBe(15);
    check(k);
  });
});
