/** shmem pages: allocation, shmem_writepage's paths, swap-in, truncation, unevictable mappings. */
import { beforeEach, describe, expect, it } from 'vitest';
import { MigrateType } from '../../../src/mm/constants.js';
import { AOP_WRITEPAGE_ACTIVATE, filemapGetFolio, swapEntryToValue } from '../../../src/mm/filemap.js';
import { GFP_HIGHUSER, __GFP_RECLAIMABLE } from '../../../src/mm/gfp.js';
import type { Kernel } from '../../../src/mm/kernel.js';
import { LruList, folioLruList } from '../../../src/mm/lru.js';
import { EFBIG, EINVAL, ENOENT, MmError } from '../../../src/mm/mm_error.js';
import {
  PG_active, PG_dirty, PG_lru, PG_referenced, PG_swapbacked, PG_swapcache, PG_unevictable, PG_writeback,
} from '../../../src/mm/page_flags.js';
import {
  ShmemInode, mappingClearUnevictable, mappingSetUnevictable, shmemAops, shmemEvictInode, shmemGetFolio, shmemLock,
  shmemRead, shmemReadMappingPageGfp, shmemSetGemOps, shmemTruncate, shmemWrite, shmemWritepage,
} from '../../../src/mm/shmem.js';
import { createFile } from '../../../src/mm/file.js';
import { lookupSwapCache } from '../../../src/mm/swap_state.js';
import { SWAP_HAS_CACHE, SWAP_MAP_SHMEM, getNrSwapPages, swapInfo, swapon } from '../../../src/mm/swapfile.js';
import { NodeStat, VmEvent, ZoneStat } from '../../../src/mm/vmstat.js';
import { boot, check, freeSwapCacheFolio, has, pageoutSwapBacked } from './helpers.js';

let k: Kernel;
let inode: ShmemInode;

beforeEach(() => {
  k = boot();
  inode = k.owners.register(new ShmemInode('memfd:test'));
});

function lruOf(pfn: number): LruList | null {
  const f = k.mem.flags[k.slot(pfn)]!;
  return (f & PG_lru) !== 0 ? folioLruList(f) : null;
}

describe('shmem_get_folio', () => {
  it('allocates with the mapping gfp into the page cache, on the anon LRU, with the caller holding a reference', () => {
    const pfn = shmemGetFolio(k, inode, 5);
    expect(pfn).toBeGreaterThan(0);
    const s = k.slot(pfn);
    expect(k.mem.getPageblockMigratetype(s)).toBe(MigrateType.MOVABLE);
    expect(filemapGetFolio(inode, 5)).toBe(pfn);
    expect(k.mem.mapping[s]).toBe(inode.id);
    expect(k.mem.index[s]).toBe(5);
    expect(k.mem.refcount[s]).toBe(2);
    expect(has(k, pfn, PG_swapbacked)).toBe(true);
    expect(lruOf(pfn)).toBe(LruList.INACTIVE_ANON);
    expect(k.nodeStat(0, NodeStat.NR_SHMEM)).toBe(1);
    expect(k.nodeStat(0, NodeStat.NR_FILE_PAGES)).toBe(1);
    expect(inode.alloced).toBe(1);
    expect(shmemGetFolio(k, inode, 5)).toBe(pfn); // found, another reference
    k.putPage(pfn, 2);
    check(k);
  });

  it("i915's mask (GFP_HIGHUSER | __GFP_RECLAIMABLE) gives reclaimable pageblocks", () => {
    const obj = k.owners.register(new ShmemInode('i915', GFP_HIGHUSER | __GFP_RECLAIMABLE));
    const pfn = shmemReadMappingPageGfp(k, obj, 0, obj.gfpMask);
    expect(k.mem.getPageblockMigratetype(k.slot(pfn))).toBe(MigrateType.RECLAIMABLE);
    k.putPage(pfn);
    check(k);
  });

  it('reads past i_size are -EINVAL, writes -EFBIG; SGP_READ leaves holes alone', () => {
    inode.sizeLimitPages = 4;
    expect(shmemGetFolio(k, inode, 4)).toBe(-EINVAL);
    expect(shmemGetFolio(k, inode, 4, inode.gfpMask, 'write')).toBe(-EFBIG);
    expect(shmemGetFolio(k, inode, 1, inode.gfpMask, 'read')).toBe(-ENOENT);
    expect(() => shmemWrite(k, inode, 2, 3)).toThrowError(expect.objectContaining({ code: -EFBIG }));
    expect(inode.nrpages).toBe(0); // nothing written
    expect(() => shmemWrite(k, inode, -1, 1)).toThrow(MmError);
    expect(() => shmemTruncate(k, inode, -3)).toThrow(MmError);
    expect(shmemRead(k, inode, 0, 10)).toBe(0);
    shmemWrite(k, inode, 0, 4);
    expect(shmemRead(k, inode, 0, 10)).toBe(4);
    const p0 = filemapGetFolio(inode, 0);
    expect(has(k, p0, PG_dirty)).toBe(true);
    expect(k.nodeStat(0, NodeStat.NR_DIRTY)).toBe(0); // noop_dirty_folio: no dirty accounting
    expect(has(k, p0, PG_active)).toBe(true); // written (referenced), then read: activated
    check(k);
  });
});

describe('shmem_writepage', () => {
  let pfn: number;
  beforeEach(() => {
    shmemWrite(k, inode, 3, 1);
    pfn = filemapGetFolio(inode, 3);
  });

  it('with no swap: redirties, returns AOP_WRITEPAGE_ACTIVATE, the page stays in the file', () => {
    expect(pageoutSwapBacked(k, pfn, inode)).toBe(AOP_WRITEPAGE_ACTIVATE);
    expect(filemapGetFolio(inode, 3)).toBe(pfn);
    expect(has(k, pfn, PG_dirty)).toBe(true);
    expect(has(k, pfn, PG_swapcache)).toBe(false);
    expect(inode.swapped).toBe(0);
    check(k);
  });

  it('SHM_LOCKed: redirties and activates even with swap', () => {
    swapon(k, 16);
    inode.locked = true;
    expect(pageoutSwapBacked(k, pfn, inode)).toBe(AOP_WRITEPAGE_ACTIVATE);
    expect(filemapGetFolio(inode, 3)).toBe(pfn);
    expect(getNrSwapPages(k)).toBe(15);
    check(k);
  });

  it('not from reclaim: redirties and returns 0', () => {
    swapon(k, 16);
    expect(shmemWritepage(k, pfn, { forReclaim: false })).toBe(0);
    expect(filemapGetFolio(inode, 3)).toBe(pfn);
    expect(has(k, pfn, PG_dirty)).toBe(true);
    check(k);
  });

  it('swap full: redirties and activates, nothing leaks', () => {
    swapon(k, 2);
    shmemWrite(k, inode, 9, 1);
    expect(pageoutSwapBacked(k, filemapGetFolio(inode, 9), inode)).toBe(0); // takes the only slot
    expect(pageoutSwapBacked(k, pfn, inode)).toBe(AOP_WRITEPAGE_ACTIVATE);
    expect(filemapGetFolio(inode, 3)).toBe(pfn);
    expect(inode.swapped).toBe(1);
    check(k);
  });

  it('success: swap cache, the shmem slot holds the entry, swapped++, write in flight, then freed', () => {
    swapon(k, 16, { writeLatencyNs: 1000 });
    expect(pageoutSwapBacked(k, pfn, inode)).toBe(0);
    const s = k.slot(pfn);
    const entry = k.mem.private[s]!;
    expect(has(k, pfn, PG_swapcache)).toBe(true);
    expect(lookupSwapCache(k, entry)).toBe(pfn);
    expect(inode.iPages.get(3)).toBe(swapEntryToValue(entry));
    expect(filemapGetFolio(inode, 3)).toBe(-1);
    expect(inode.swapped).toBe(1);
    expect(inode.nrpages).toBe(0);
    expect(swapInfo(k)!.swapMap[entry]).toBe(SWAP_MAP_SHMEM | SWAP_HAS_CACHE);
    expect(k.mem.mapping[s]).toBe(k.swapCache!.id);
    expect(has(k, pfn, PG_writeback)).toBe(true);
    expect(k.nodeStat(0, NodeStat.NR_SHMEM)).toBe(0);
    expect(k.nodeStat(0, NodeStat.NR_SWAPCACHED)).toBe(1);
    expect(k.alloc.events.get(VmEvent.PSWPOUT)).toBe(1);
    check(k);
    k.clock.runUntil(1000);
    expect(has(k, pfn, PG_writeback)).toBe(false);
    expect(k.alloc.events.get(VmEvent.PGROTATED)).toBe(1); // PG_reclaim: to the inactive tail
    freeSwapCacheFolio(k, pfn);
    expect(swapInfo(k)!.swapMap[entry]).toBe(SWAP_MAP_SHMEM);
    expect(k.nodeStat(0, NodeStat.NR_FILE_PAGES)).toBe(0);
    check(k);
  });
});

describe('swap-in and truncation', () => {
  function swapOut(index: number): number {
    const pfn = filemapGetFolio(inode, index);
    expect(pageoutSwapBacked(k, pfn, inode)).toBe(0);
    const entry = k.mem.private[k.slot(pfn)]!;
    k.clock.runUntil(k.clock.now + 1_000_000);
    freeSwapCacheFolio(k, pfn);
    return entry;
  }

  beforeEach(() => {
    swapon(k, 32);
    shmemWrite(k, inode, 0, 8);
  });

  it('swap-in restores the page at its index and frees the swap slot', () => {
    const entry = swapOut(6);
    expect(inode.swapped).toBe(1);
    const free = getNrSwapPages(k);
    const pfn = shmemGetFolio(k, inode, 6);
    expect(pfn).toBeGreaterThan(0);
    expect(filemapGetFolio(inode, 6)).toBe(pfn);
    expect(k.mem.index[k.slot(pfn)]).toBe(6);
    expect(k.mem.mapping[k.slot(pfn)]).toBe(inode.id);
    expect(inode.swapped).toBe(0);
    expect(has(k, pfn, PG_swapcache)).toBe(false);
    expect(has(k, pfn, PG_dirty)).toBe(true);
    expect(lookupSwapCache(k, entry)).toBe(-1);
    expect(getNrSwapPages(k)).toBe(free + 1);
    expect(k.alloc.events.get(VmEvent.PSWPIN)).toBe(1);
    expect(k.mem.refcount[k.slot(pfn)]).toBe(2);
    k.putPage(pfn);
    check(k);
  });

  it('swap-in of a page still in the swap cache (under writeback) waits for the write, reads nothing', () => {
    const pfn = filemapGetFolio(inode, 2);
    pageoutSwapBacked(k, pfn, inode);
    expect(has(k, pfn, PG_writeback)).toBe(true);
    const got = shmemGetFolio(k, inode, 2);
    expect(got).toBe(pfn);
    expect(has(k, pfn, PG_writeback)).toBe(false);
    expect(k.alloc.events.get(VmEvent.PSWPIN)).toBe(0);
    expect(getNrSwapPages(k)).toBe(31);
    k.putPage(got);
    k.clock.runUntil(k.clock.now + 10_000_000); // the stale completion is a no-op
    check(k);
  });

  it('truncate drops cached pages and swap entries from the index on', () => {
    swapOut(5);
    swapOut(1);
    const pinned = shmemGetFolio(k, inode, 7); // a driver's pin on page 7
    expect(shmemTruncate(k, inode, 4)).toBe(4); // 4, 5 (swap), 6, 7
    expect(inode.nrpages).toBe(3); // 0, 2, 3
    expect(inode.swapped).toBe(1); // entry at 1 stays
    expect(getNrSwapPages(k)).toBe(30);
    expect(k.mem.refcount[k.slot(pinned)]).toBe(1); // outside the cache, still pinned
    expect(k.mem.mapping[k.slot(pinned)]).toBe(0);
    k.putPage(pinned);
    check(k);
    shmemEvictInode(k, inode);
    expect(getNrSwapPages(k)).toBe(31);
    expect(k.nodeStat(0, NodeStat.NR_SHMEM)).toBe(0);
    check(k);
  });

  it('truncating a page out on swap but still under writeback leaves the cache copy for reclaim', () => {
    const pfn = filemapGetFolio(inode, 0);
    pageoutSwapBacked(k, pfn, inode);
    shmemTruncate(k, inode, 0);
    expect(has(k, pfn, PG_swapcache)).toBe(true); // writeback: folio_free_swap() refused
    check(k);
    k.clock.runUntil(k.clock.now + 10_000_000);
    freeSwapCacheFolio(k, pfn);
    expect(getNrSwapPages(k)).toBe(31);
    check(k);
  });
});

describe('unevictable mappings (as i915 uses them)', () => {
  it('set: new pages go to the unevictable list, existing ones stay; clear: all back', () => {
    shmemWrite(k, inode, 0, 2);
    mappingSetUnevictable(k, inode);
    shmemWrite(k, inode, 2, 2);
    expect(lruOf(filemapGetFolio(inode, 0))).toBe(LruList.INACTIVE_ANON);
    expect(lruOf(filemapGetFolio(inode, 2))).toBe(LruList.UNEVICTABLE);
    expect(k.zoneOf(filemapGetFolio(inode, 2)).vmStat[ZoneStat.NR_ZONE_UNEVICTABLE]).toBe(2);
    check(k);
    mappingClearUnevictable(k, inode);
    for (let i = 0; i < 4; i++) expect(has(k, filemapGetFolio(inode, i), PG_unevictable)).toBe(false);
    expect(k.alloc.events.get(VmEvent.UNEVICTABLE_PGS_RESCUED)).toBe(2);
    check(k);
  });

  it('SHM_LOCK / SHM_UNLOCK', () => {
    shmemLock(k, inode, true);
    shmemWrite(k, inode, 0, 1);
    const p = filemapGetFolio(inode, 0);
    expect(lruOf(p)).toBe(LruList.UNEVICTABLE);
    expect(has(k, p, PG_referenced)).toBe(true);
    shmemLock(k, inode, false);
    expect(lruOf(p)).toBe(LruList.INACTIVE_ANON);
    check(k);
  });

  it('shmem_aops has writepage, noop dirty and the seed migrate hook', () => {
    expect(shmemAops.writepage).toBe(shmemWritepage);
    expect(inode.aops.dirtyFolio).toBeDefined();
  });
});

describe('the seed API on the wrong mapping', () => {
  it('shmemSetGemOps() on a regular file is MmError(-EINVAL), and changes nothing', () => {
    const f = createFile(k, 'not-shmem');
    let err: unknown = null;
    try {
      shmemSetGemOps(f, { privateData: null, migratepage: () => 0 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MmError);
    expect((err as MmError).code).toBe(-EINVAL);
    expect(f.privateData).toBeNull();
    shmemSetGemOps(inode, { privateData: 7 });
    expect(inode.gemOps?.privateData).toBe(7);
  });
});
