/** Slab caches: whole slabs from the page allocator, slab counters, freeing, shrinking. */
import { describe, expect, it } from 'vitest';
import { MigrateType } from '../../../src/mm/constants.js';
import { EINVAL, ENOMEM, MmError } from '../../../src/mm/mm_error.js';
import { PG_head, PG_lru } from '../../../src/mm/page_flags.js';
import {
  kmemCacheAlloc, kmemCacheAllocBulk, kmemCacheCount, kmemCacheCreate, kmemCacheDestroy, kmemCacheFree, kmemCacheScan, kmemCacheShrinker,
} from '../../../src/mm/slab.js';
import { NodeStat } from '../../../src/mm/vmstat.js';
import { boot, check, has } from './helpers.js';

describe('slab caches', () => {
  it('calculate_order() as SLUB picks it for one CPU', () => {
    const k = boot();
    expect(kmemCacheCreate(k, 'kmalloc-64', 64).order).toBe(0);
    expect(kmemCacheCreate(k, 'kmalloc-1k', 1024).order).toBe(1);
    expect(kmemCacheCreate(k, 'kmalloc-4k', 4096).order).toBe(3);
    expect(kmemCacheCreate(k, 'kmalloc-8k', 8192).order).toBe(3);
  });

  it('an unreclaimable cache takes order-3 compound slabs of unmovable pages', () => {
    const k = boot();
    const c = kmemCacheCreate(k, 'kmalloc-4k', 4096);
    const objs = [0, 1, 2, 3, 4, 5, 6, 7, 8].map(() => kmemCacheAlloc(k, c));
    expect(objs.every((h) => h >= 0)).toBe(true);
    expect(c.slabs.size).toBe(2); // 8 objects a slab
    expect(c.nrPages).toBe(16);
    expect(k.nodeStat(0, NodeStat.NR_SLAB_UNRECLAIMABLE)).toBe(16);
    const pfn = [...c.slabs.keys()][0]!;
    expect(has(k, pfn, PG_head)).toBe(true);
    expect(has(k, pfn, PG_lru)).toBe(false);
    expect(k.mem.mapping[k.slot(pfn)]).toBe(c.id);
    expect(k.mem.getPageblockMigratetype(k.slot(pfn))).toBe(MigrateType.UNMOVABLE);
    check(k);
    kmemCacheFree(k, c, objs[8]!); // empties the second slab: it goes back
    expect(c.slabs.size).toBe(1);
    expect(k.nodeStat(0, NodeStat.NR_SLAB_UNRECLAIMABLE)).toBe(8);
    expect(() => kmemCacheFree(k, c, objs[8]!)).toThrowError(expect.objectContaining({ code: -EINVAL }));
    expect(kmemCacheCount(c)).toBe(0); // not reclaimable
    expect(kmemCacheScan(k, c, 10)).toBe(0);
    kmemCacheDestroy(k, c);
    expect(k.nodeStat(0, NodeStat.NR_SLAB_UNRECLAIMABLE)).toBe(0);
    check(k);
  });

  it('a reclaimable cache uses reclaimable pageblocks and shrinks at random, fragmenting its slabs', () => {
    const k = boot();
    const c = kmemCacheCreate(k, 'dentry', 192, { reclaimable: true });
    expect(c.order).toBe(0);
    expect(kmemCacheAllocBulk(k, c, 2100)).toBe(2100);
    const slabs = c.slabs.size;
    expect(slabs).toBe(Math.ceil(2100 / 21));
    expect(k.nodeStat(0, NodeStat.NR_SLAB_RECLAIMABLE)).toBe(slabs);
    const pfn = [...c.slabs.keys()][0]!;
    expect(k.mem.getPageblockMigratetype(k.slot(pfn))).toBe(MigrateType.RECLAIMABLE);
    expect(kmemCacheCount(c)).toBe(2100);
    expect(kmemCacheScan(k, c, 1050)).toBe(1050);
    expect(c.nrObjects).toBe(1050);
    expect(c.slabs.size).toBeGreaterThan(slabs * 0.9); // half the objects gone, few slabs freed
    check(k);
    const shrinker = kmemCacheShrinker(k, c);
    const sc = { gfpMask: 0, nid: 0, nrToScan: 50, nrScanned: 50, isKswapd: true };
    expect(shrinker.countObjects(sc)).toBe(1050);
    expect(shrinker.scanObjects(sc)).toBe(50);
    expect(shrinker.countObjects({ ...sc, nid: 1 })).toBe(0);
    expect(kmemCacheScan(k, c, 5000)).toBe(1000);
    expect(c.slabs.size).toBe(0);
    expect(k.nodeStat(0, NodeStat.NR_SLAB_RECLAIMABLE)).toBe(0);
    check(k);
  });

  it('bad sizes and orders are -EINVAL; a full machine is -ENOMEM, nothing leaked', () => {
    const k = boot();
    expect(() => kmemCacheCreate(k, 'x', 0)).toThrow(MmError);
    expect(() => kmemCacheCreate(k, 'x', 4096, { order: 0 })).not.toThrow();
    expect(() => kmemCacheCreate(k, 'x', 8192, { order: 0 })).toThrow(MmError);
    expect(() => kmemCacheCreate(k, 'x', 64, { order: 4 })).toThrow(MmError);
    const c = kmemCacheCreate(k, 'big', 8192);
    let h = 0;
    let n = 0;
    while ((h = kmemCacheAlloc(k, c)) >= 0) n++;
    expect(h).toBe(-ENOMEM);
    expect(n).toBeGreaterThan(1000);
    check(k);
    kmemCacheDestroy(k, c);
    check(k);
  });
});
