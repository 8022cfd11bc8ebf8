/** `slab`: unmovable and reclaimable slab caches, footprint, pageblock types, the shrinker. */
import { describe, expect, it } from 'vitest';
import { MigrateType } from '../../src/mm/constants.js';
import { KmemCache } from '../../src/mm/slab.js';
import { NodeStat, VmEvent } from '../../src/mm/vmstat.js';
import { SEC, check, ev, machine, nodeStat, runWorkloads } from './helpers.js';

const M128 = machine('128MiB', '  thp: false\n');

function cacheOf(k: import('../../src/mm/kernel.js').Kernel, name: string): KmemCache {
  for (const o of k.owners.all()) if (o instanceof KmemCache && o.name === name) return o;
  throw new Error(`no cache ${name}`);
}

describe('slab workload', () => {
  it('an unmovable cache grows to its target in UNMOVABLE pageblocks; objects = allocs - frees', () => {
    const r = runWorkloads(M128, [
      { kind: 'slab', name: 'skbuff', object_size: 2048, order: 3, target: '8MiB', alloc_rate: 20000, free_rate: 5000 },
    ], 2 * SEC);
    const c = r.counters;
    const k = r.k;
    check(k);
    expect(r.late).toEqual([]);
    expect(c['skbuff.objects']).toBe(c['skbuff.allocs']! - c['skbuff.frees']!);
    expect(c['skbuff.shrinker_freed']).toBe(0);
    expect(c['skbuff.slab_pages']).toBe(nodeStat(k, NodeStat.NR_SLAB_UNRECLAIMABLE));
    // At the target (8 MiB = 2048 pages) give or take one slab, with slabs partly used by random frees.
    expect(c['skbuff.slab_pages']).toBeGreaterThanOrEqual(2048 - 8);
    expect(c['skbuff.slab_pages']).toBeLessThanOrEqual(2048 + 8);
    expect(c['skbuff.objects']).toBeLessThan(c['skbuff.slab_pages']! * 2);
    const cache = cacheOf(k, 'skbuff');
    expect(cache.order).toBe(3);
    for (const pfn of cache.slabs.keys()) expect(k.mem.getPageblockMigratetype(k.slot(pfn))).toBe(MigrateType.UNMOVABLE);
  });

  it('a reclaimable cache sits in RECLAIMABLE pageblocks and gives objects back to reclaim through its shrinker', () => {
    const r = runWorkloads(M128, [
      { kind: 'slab', name: 'dentry', reclaimable: true, target: '24MiB', alloc_rate: 200000, free_rate: 0 },
      // Page cache pressure after the cache has grown: reclaim runs and calls the shrinker.
      { kind: 'file', name: 'scan', size: '256MiB', rate: 400, io_size: '1MiB', start: '1s' },
    ], 3 * SEC);
    const c = r.counters;
    const k = r.k;
    check(k);
    expect(c['dentry.slab_pages']).toBe(nodeStat(k, NodeStat.NR_SLAB_RECLAIMABLE));
    expect(ev(r, VmEvent.SLABS_SCANNED)).toBeGreaterThan(0);
    expect(c['dentry.shrinker_freed']).toBeGreaterThan(0);
    expect(c['dentry.frees']).toBe(0);
    expect(c['dentry.objects']).toBe(c['dentry.allocs']! - c['dentry.shrinker_freed']!);
    const cache = cacheOf(k, 'dentry');
    for (const pfn of cache.slabs.keys()) expect(k.mem.getPageblockMigratetype(k.slot(pfn))).toBe(MigrateType.RECLAIMABLE);
  });

  it('destroy_at_stop gives every slab back', () => {
    const r = runWorkloads(M128, [
      { kind: 'slab', name: 'c', target: '4MiB', stop: '1s', destroy_at_stop: true },
    ], 2 * SEC);
    check(r.k);
    expect(r.counters['c.objects']).toBe(0);
    expect(r.counters['c.destroyed']).toBeGreaterThan(0);
    expect(r.counters['c.shrinker_freed']).toBe(0);
    expect(nodeStat(r.k, NodeStat.NR_SLAB_UNRECLAIMABLE)).toBe(0);
  });

  it('is deterministic', () => {
    const e = [{ kind: 'slab', reclaimable: true, target: '8MiB' }, { kind: 'slab', object_size: 512, target: '4MiB' }];
    expect(runWorkloads(M128, e, SEC, { seed: 5 }).counters).toEqual(runWorkloads(M128, e, SEC, { seed: 5 }).counters);
  });
});
