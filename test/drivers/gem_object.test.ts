/**
 * GEM objects under each policy: where get_pages puts the pages (the pageblock migratetype
 * the mapping's gfp mask selects: the seed as posted stays RECLAIMABLE because
 * IS_ENABLED(MIGRATION) is false, the fixed seed is MOVABLE, TTM-like pins UNMOVABLE), what a
 * page carries while the object holds it (the pin, page->private, the unevictable LRU), and
 * what put_pages, purge and close give back.
 */
import { describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { MigrateType } from '../../src/mm/constants.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import { checkUserInvariants } from '../../src/mm/debug_vm_users.js';
import { EBUSY } from '../../src/mm/filemap.js';
import { GFP_HIGHUSER, GFP_HIGHUSER_MOVABLE, __GFP_RECLAIMABLE } from '../../src/mm/gfp.js';
import { Kernel } from '../../src/mm/kernel.js';
import { PG_unevictable } from '../../src/mm/page_flags.js';
import { NodeStat } from '../../src/mm/vmstat.js';
import { GemDevice } from '../../src/drivers/gem/driver.js';
import { Madv } from '../../src/drivers/gem/flags.js';
import { GEM_POLICIES, POLICY_NAMES, type PolicyName, customGemPolicy, gemPolicy } from '../../src/drivers/gem/policy.js';

const MACHINE = loadMachineSpec('machine:\n  cpus: 1\n  pcp: false\n  thp: false\n  zones:\n    - { name: Normal, start_pfn: 0x100000, size: 64MiB }\n', 'm.yaml');

function check(k: Kernel): void {
  checkInvariants(k.alloc);
  checkUserInvariants(k);
}

const EXPECTED: Record<PolicyName, { gfp: number; mt: MigrateType; hook: boolean }> = {
  'i915-6.1': { gfp: GFP_HIGHUSER | __GFP_RECLAIMABLE, mt: MigrateType.RECLAIMABLE, hook: false },
  'seed-as-posted': { gfp: GFP_HIGHUSER | __GFP_RECLAIMABLE, mt: MigrateType.RECLAIMABLE, hook: true },
  seed: { gfp: GFP_HIGHUSER_MOVABLE, mt: MigrateType.MOVABLE, hook: true },
  'seed-trylock': { gfp: GFP_HIGHUSER_MOVABLE, mt: MigrateType.MOVABLE, hook: true },
  'movable-no-hook': { gfp: GFP_HIGHUSER_MOVABLE, mt: MigrateType.MOVABLE, hook: false },
  'unmovable-pins': { gfp: GFP_HIGHUSER, mt: MigrateType.UNMOVABLE, hook: false },
  'seed-wait-idle': { gfp: GFP_HIGHUSER_MOVABLE, mt: MigrateType.MOVABLE, hook: true },
};

describe('policies', () => {
  it('are data: seven presets, by name', () => {
    expect([...POLICY_NAMES].sort()).toEqual(Object.keys(EXPECTED).sort());
    expect(gemPolicy('seed')).toBe(GEM_POLICIES.seed);
    expect(GEM_POLICIES['seed-wait-idle'].hook).toBe('wait-idle');
    expect(GEM_POLICIES['seed-as-posted'].hook).toBe('as-posted');
    expect(() => gemPolicy('seed-v4')).toThrow(/unknown GEM policy "seed-v4": expected one of i915-6.1, /);
    // The lock helper: 4.9/4.10's waits for the GPU (as posted), 4.8's does not (seed-trylock).
    expect(POLICY_NAMES.filter((n) => GEM_POLICIES[n].lockWaitsForIdle)).toEqual(['seed-as-posted', 'seed']);
  });

  it('a policy spelled out as data starts from a preset; a hook without page->private is refused', () => {
    const p = customGemPolicy({ base: 'seed', lockWaitsForIdle: false, name: 'mine' });
    expect(p).toMatchObject({ name: 'mine', gfpMask: GFP_HIGHUSER_MOVABLE, hook: 'as-posted', lockWaitsForIdle: false, setPagePrivate: true });
    expect(customGemPolicy({ base: 'i915-6.1', hook: 'as-posted' }).setPagePrivate).toBe(true);
    expect(customGemPolicy({ base: 'seed', hook: 'none' })).toMatchObject({ setPagePrivate: false, description: 'seed with hook' });
    expect(() => customGemPolicy({ base: 'seed', setPagePrivate: false })).toThrow(/page->private/);
  });

  for (const name of POLICY_NAMES) {
    const want = EXPECTED[name];
    it(`${name}: pages land in ${MigrateType[want.mt]} pageblocks${want.hook ? ', carry the object in page->private' : ''}`, () => {
      const k = new Kernel(MACHINE);
      const dev = new GemDevice(k, name);
      const obj = dev.createObject(600 * 4096); // more than a pageblock
      expect(obj.inode.gfpMask).toBe(want.gfp);
      expect(obj.getPages()).toBe(0);
      expect(obj.pages).toHaveLength(600);
      for (const pfn of obj.pages!) {
        const s = k.slot(pfn);
        expect(k.mem.getPageblockMigratetype(s)).toBe(want.mt);
        expect(k.mem.refcount[s]).toBe(2);
        expect(k.mem.private[s]).toBe(want.hook ? obj.id : 0);
        expect(k.mem.flags[s]! & PG_unevictable).toBe(PG_unevictable); // mapping_set_unevictable()
      }
      expect(obj.inode.unevictable).toBe(true);
      expect(k.nodeStat(0, NodeStat.NR_UNEVICTABLE)).toBe(600);
      expect(dev.shrinkList.has(obj)).toBe(true);
      expect(dev.shrinkMemoryPages).toBe(600);
      check(k);
      // put_pages: the pin and page->private go, the pages stay cached, evictable again.
      const pages = obj.pages!.slice();
      expect(obj.putPages()).toBe(0);
      for (const pfn of pages) {
        expect(k.mem.refcount[k.slot(pfn)]).toBe(1);
        expect(k.mem.private[k.slot(pfn)]).toBe(0);
      }
      expect(obj.inode.nrpages).toBe(600);
      expect(k.nodeStat(0, NodeStat.NR_UNEVICTABLE)).toBe(0);
      expect([dev.shrinkCount, dev.shrinkMemoryPages]).toEqual([0, 0]);
      check(k);
    });
  }
});

describe('object state', () => {
  it('put_pages is -EBUSY while pages are pinned (bound VMA, pin_pages); unbind releases the binding pin', () => {
    const k = new Kernel(MACHINE);
    const dev = new GemDevice(k, 'i915-6.1');
    const obj = dev.createObject(3 * 4096);
    const vma = obj.vma();
    expect(obj.bind(vma)).toBe(0);
    expect(obj.pinPages()).toBe(0);
    expect(obj.pagesPinCount).toBe(2);
    expect(obj.putPages()).toBe(-EBUSY);
    expect(obj.unbind(0)).toBe(0);
    expect(obj.putPages()).toBe(-EBUSY);
    obj.unpinPages();
    expect(obj.putPages()).toBe(0);
    expect(obj.hasPages).toBe(false);
    // A pinned VMA cannot be unbound (-EAGAIN); an active one only by waiting.
    expect(obj.bind(vma, true)).toBe(0);
    expect(obj.unbind(0)).toBe(-11);
    obj.unpinVma(vma);
    expect(dev.execbuf([obj], { durationNs: 1e6 })).not.toBeTypeOf('number');
    expect(obj.unbind(0)).toBe(-EBUSY);
    k.setCurrent({ comm: 'kswapd0', pid: 90, oomScoreAdj: 0 });
    expect(obj.unbind(1)).toBe(0); // I915_GEM_OBJECT_UNBIND_ACTIVE: i915_vma_sync() first
    expect(dev.stats.taskStallNs.get(90)!.ns).toBe(1e6);
    check(k);
  });

  it('madvise: DONTNEED moves an object with pages to the purge list; without pages it is truncated at once', () => {
    const k = new Kernel(MACHINE);
    const dev = new GemDevice(k, 'seed');
    const a = dev.createObject(2 * 4096);
    expect(a.getPages()).toBe(0);
    dev.madvise(a, Madv.DONTNEED);
    expect([dev.purgeList.has(a), dev.shrinkList.has(a), dev.shrinkCount]).toEqual([true, false, 1]);
    dev.madvise(a, Madv.WILLNEED);
    expect([dev.purgeList.has(a), dev.shrinkList.has(a), dev.shrinkCount]).toEqual([false, true, 1]);
    const b = dev.createObject(2 * 4096);
    expect(b.getPages()).toBe(0);
    expect(b.putPages()).toBe(0);
    expect(b.inode.nrpages).toBe(2);
    expect(dev.madvise(b, Madv.DONTNEED)).toBe(Madv.PURGED);
    expect(b.inode.nrpages).toBe(0);
    expect(b.getPages()).toBe(-14); // -EFAULT: purged
    check(k);
  });

  it('purge: only a DONTNEED object, only once its pages can be put; the pages go back to the allocator', () => {
    const k = new Kernel(MACHINE);
    const dev = new GemDevice(k, 'seed');
    const zone = k.nodes[0]!.zones[2]!;
    const free0 = zone.freePages;
    const obj = dev.createObject(6 * 4096);
    expect(obj.bind(obj.vma())).toBe(0);
    expect(obj.purge()).toBe(-22); // -EINVAL: WILLNEED
    dev.madvise(obj, Madv.DONTNEED);
    expect(obj.purge()).toBe(-EBUSY); // the binding pins the pages
    expect(obj.unbind(0)).toBe(0);
    expect(obj.purge()).toBe(0);
    expect([obj.madv, obj.hasPages, obj.inode.nrpages, zone.freePages]).toEqual([Madv.PURGED, false, 0, free0]);
    expect([dev.stats.purgedObjects, dev.stats.purgedPages]).toEqual([1, 6]);
    check(k);
  });

  it('closing an active object frees it once its request retires (by the free worker)', () => {
    const k = new Kernel(MACHINE);
    const dev = new GemDevice(k, 'seed');
    const obj = dev.createObject(5 * 4096);
    const free0 = k.nodes[0]!.zones[2]!.freePages;
    expect(dev.execbuf([obj], { durationNs: 2e6 })).not.toBeTypeOf('number');
    dev.closeObject(obj);
    expect(obj.freed).toBe(false);
    expect(dev.execbuf([obj], { durationNs: 1e6 })).toBe(-2); // -ENOENT: the handle is gone
    k.clock.runUntil(2e6);
    expect(obj.freed).toBe(true);
    expect(dev.objectCount).toBe(0);
    expect(k.owners.get(obj.inode.id)).toBeUndefined();
    expect(k.nodes[0]!.zones[2]!.freePages).toBe(free0);
    check(k);
  });

  it('execbuf: a request starts when the engine is free, later by the re-fault cost of unpinned objects', () => {
    const k = new Kernel(MACHINE);
    const dev = new GemDevice(k, 'seed', { refaultCostNsPerPage: 500 });
    const a = dev.createObject(8 * 4096);
    const b = dev.createObject(2 * 4096);
    const r1 = dev.execbuf([a, b], { durationNs: 1e6, lockHoldNs: 3e6 });
    if (typeof r1 === 'number') throw new Error('execbuf failed');
    expect([r1.startNs, r1.endNs]).toEqual([0, 1e6]); // first faults are not re-faults
    expect(dev.lockBusyUntilNs).toBe(3e6);
    k.clock.runUntil(1e6);
    expect(a.unbind(0)).toBe(0);
    expect(a.putPages()).toBe(0); // as the shrinker would
    const r2 = dev.execbuf([a], { durationNs: 1e6 });
    const r3 = dev.execbuf([b], { durationNs: 1e6 });
    if (typeof r2 === 'number' || typeof r3 === 'number') throw new Error('execbuf failed');
    expect([r2.startNs, r2.endNs]).toEqual([1e6 + 8 * 500, 2e6 + 8 * 500]);
    expect([r3.startNs, r3.endNs]).toEqual([2e6 + 8 * 500, 3e6 + 8 * 500]); // FIFO
    expect([dev.stats.refaultPages, dev.stats.gpuStallNs]).toEqual([8, 4000]);
    k.clock.runUntil(2e6 + 4000);
    expect([a.isActive(), b.isActive()]).toEqual([false, true]);
    check(k);
  });
});
