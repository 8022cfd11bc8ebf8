/**
 * The i915 shrinker and OOM notifier of 6.1 (i915_gem_shrinker.c; kernel-mm.md §4.7) with
 * five objects of distinct sizes so the page counts identify them:
 *   E  2 pages  purgeable (DONTNEED), bound, idle      -> purge_list
 *   A  3 pages  idle, unbound                          -> shrink_list
 *   B  5 pages  idle, bound
 *   C  7 pages  bound, active (a 10 ms batch)
 *   D 11 pages  scanout: framebuffer with a pinned GGTT VMA
 * With swap, direct reclaim frees E, A and B and skips C (active) and D (framebuffer); kswapd
 * goes on to C, waiting for the GPU and writing it back, but D's pinned VMA holds. A suspended
 * device drops BOUND. Without swap only purgeable objects can be released; the OOM notifier
 * purges the idle ones, and that counts as progress: nobody is killed.
 */
import { describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { ZoneType } from '../../src/mm/constants.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import { checkUserInvariants } from '../../src/mm/debug_vm_users.js';
import {
  GFP_HIGHUSER, GFP_KERNEL, __GFP_NORETRY, __GFP_NOWARN, __GFP_RECLAIM, __GFP_RECLAIMABLE,
} from '../../src/mm/gfp.js';
import { Kernel } from '../../src/mm/kernel.js';
import { PG_writeback } from '../../src/mm/page_flags.js';
import { swapon } from '../../src/mm/swapfile.js';
import { SHRINK_STOP, type ShrinkControl } from '../../src/mm/vmscan.js';
import { VmEvent } from '../../src/mm/vmstat.js';
import { GemDevice } from '../../src/drivers/gem/driver.js';
import { Madv } from '../../src/drivers/gem/flags.js';
import type { GemObject } from '../../src/drivers/gem/object.js';

const MACHINE = loadMachineSpec('machine:\n  cpus: 1\n  pcp: false\n  thp: false\n  zones:\n    - { name: Normal, start_pfn: 0x100000, size: 64MiB }\n', 'm.yaml');
const MS = 1e6;

interface Objs {
  k: Kernel;
  dev: GemDevice;
  A: GemObject;
  B: GemObject;
  C: GemObject;
  D: GemObject;
  E: GemObject;
}

function setup(swap: boolean): Objs {
  const k = new Kernel(MACHINE);
  if (swap) swapon(k, 4096);
  const dev = new GemDevice(k, 'i915-6.1');
  const mk = (pages: number): GemObject => dev.createObject(pages * 4096);
  const E = mk(2);
  const A = mk(3);
  const B = mk(5);
  const C = mk(7);
  const D = mk(11);
  expect(E.bind(E.vma())).toBe(0);
  dev.madvise(E, Madv.DONTNEED);
  expect(A.getPages()).toBe(0);
  expect(B.bind(B.vma())).toBe(0);
  expect(dev.execbuf([C], { durationNs: 10 * MS })).not.toBeTypeOf('number');
  D.framebuffer = true;
  expect(D.bind(D.vma('ggtt'), true)).toBe(0);
  return { k, dev, A, B, C, D, E };
}

const sc = (isKswapd: boolean, nrToScan = 1 << 20): ShrinkControl => ({ gfpMask: GFP_KERNEL, nid: 0, nrToScan, nrScanned: 0, isKswapd });

function check(k: Kernel): void {
  checkInvariants(k.alloc);
  checkUserInvariants(k);
}

describe('i915_gem_shrinker_count', () => {
  it('counts the pages on both lists and moves the batch towards two objects’ worth', () => {
    const { dev } = setup(true);
    expect([dev.purgeList.size, dev.shrinkList.size]).toEqual([1, 4]);
    expect(dev.i915GemShrinkerCount(sc(false))).toBe(2 + 3 + 5 + 7 + 11);
    // batch = max((4096 + 2*28/5) >> 1, 128) = max(2053, 128)
    expect(dev.shrinker.batch).toBe(2053);
    expect(dev.i915GemShrinkerCount(sc(false))).toBe(28);
    expect(dev.shrinker.batch).toBe((2053 + 11) >> 1);
  });
});

describe('i915_gem_shrinker_scan', () => {
  it('direct reclaim: purges E, unpins A and B; skips active C and framebuffer D', () => {
    const { k, dev, A, B, C, D, E } = setup(true);
    const c = sc(false);
    const ePages = E.pages!.slice();
    const freed = dev.i915GemShrinkerScan(c);
    expect(freed).toBe(2 + 3 + 5);
    expect(c.nrScanned).toBe(2 + 3 + 5 + 7); // C was looked at (and failed to unbind); D not even that
    expect([E.madv, E.hasPages, E.inode.nrpages]).toEqual([Madv.PURGED, false, 0]);
    for (const pfn of ePages) expect(k.mem.refcount[k.slot(pfn)]).toBe(0); // truncated: back to the allocator
    expect([A.hasPages, B.hasPages, B.vma().bound]).toEqual([false, false, false]);
    expect([A.inode.nrpages, B.inode.nrpages]).toEqual([3, 5]); // unpinned, still cached: evictable now
    expect([C.hasPages, C.isActive(), D.hasPages]).toEqual([true, true, true]);
    expect(dev.stats.shrinkerFreedPages).toBe(10);
    expect(dev.stats.shrinkWaitNs).toBe(0);
    // What is left on the list went to its tail in the order scanned.
    expect([...dev.shrinkList]).toEqual([C, D]);
    check(k);
    // Nothing left that direct reclaim may take: C scanned again, D skipped, nothing freed.
    const c2 = sc(false);
    expect(dev.i915GemShrinkerScan(c2)).toBe(0);
    expect(c2.nrScanned).toBe(7);
  });

  it('kswapd escalates: ACTIVE waits for C, unbinds it and writes it back to swap; D’s pinned VMA holds', () => {
    const { k, dev, C, D } = setup(true);
    k.clock.runUntil(4 * MS);
    k.setCurrent({ comm: 'kswapd0', pid: 90, oomScoreAdj: 0 });
    const c = sc(true);
    const cPages = C.pages!.slice();
    const freed = dev.i915GemShrinkerScan(c);
    expect(freed).toBe(2 + 3 + 5 + 7);
    expect(c.nrScanned).toBe(2 + 3 + 5 + 7 + 7 + 11); // C twice (once per pass), D in the ACTIVE pass
    expect([C.hasPages, C.isActive()]).toEqual([false, false]);
    expect(dev.stats.shrinkWaitNs).toBe(6 * MS);
    expect(dev.stats.taskStallNs.get(90)!.ns).toBe(6 * MS);
    // C was dirty (the GPU wrote it): __shmem_writeback() started writing every page to swap.
    expect(dev.stats.writebackPages).toBe(7);
    for (const pfn of cPages) expect(k.mem.flags[k.slot(pfn)]! & PG_writeback).toBe(PG_writeback);
    expect(k.alloc.events.get(VmEvent.PSWPOUT)).toBe(7);
    expect([D.hasPages, D.vma('ggtt').bound]).toEqual([true, true]);
    check(k);
    k.clock.runUntil(1e9); // the writes complete; the pages are swap cache now, reclaimable
    check(k);
  });

  it('a runtime-suspended device is not woken: BOUND is dropped, only unbound objects go', () => {
    const { k, dev, A, B, E } = setup(true);
    k.clock.runUntil(20 * MS); // C's batch is done: the GPU is idle and may suspend
    dev.requestSuspend();
    expect(dev.runtimeSuspended).toBe(true);
    const c = sc(false);
    expect(dev.i915GemShrinkerScan(c)).toBe(3);
    expect([A.hasPages, B.hasPages, E.hasPages]).toEqual([false, true, true]); // E is bound: UNBIND_TEST fails
    check(k);
  });

  it('through shrink_slab(): the registered "drm-i915_gem" shrinker at priority 0', () => {
    const { k, dev, C } = setup(true);
    expect(k.vmscan.shrinkers.map((s) => s.name)).toContain('drm-i915_gem');
    k.vmscan.shrinkSlab(GFP_KERNEL, 0, 0, false);
    // do_shrink_slab(): freeable 28, batch 2053 (count's update), delta = 28 * 4 / 2 = 56 =
    // total_scan. Scans while total_scan >= freeable: 56 (E, A, B, C: 17 scanned), 39 (C: 7), 32 (C: 7).
    expect(dev.stats.shrinkerScans).toBe(3);
    expect(dev.stats.shrinkerFreedPages).toBe(10);
    expect(C.hasPages).toBe(true);
    expect(k.alloc.events.get(VmEvent.SLABS_SCANNED)).toBe(17 + 7 + 7);
  });

  it('no swap: only purgeable objects can be released; SHRINK_STOP when nothing was scanned', () => {
    const { dev, A, B, E } = setup(false);
    const c = sc(false);
    expect(dev.i915GemShrinkerScan(c)).toBe(2);
    expect(c.nrScanned).toBe(2);
    expect([E.madv, A.hasPages, B.hasPages]).toEqual([Madv.PURGED, true, true]);
    expect(dev.i915GemShrinkerScan(sc(false))).toBe(SHRINK_STOP);
  });

  it('get_pages reaps our own buffers before it reclaims: i915_gem_shrink(BOUND|UNBOUND) after the first failure', () => {
    const k = new Kernel(MACHINE);
    const dev = new GemDevice(k, 'i915-6.1');
    const cache = dev.createObject(512 * 4096);
    expect(cache.getPages()).toBe(0);
    dev.madvise(cache, Madv.DONTNEED); // userspace's BO cache
    // Take memory without reclaim (which would purge the cache itself) until a non-blocking
    // request fails: below min - min/4 (ALLOC_NON_BLOCK), so well under the min watermark.
    const zone = k.nodes[0]!.zones[ZoneType.NORMAL]!;
    const held: number[] = [];
    for (;;) {
      const pfn = k.alloc.allocPages((GFP_KERNEL & ~__GFP_RECLAIM) | __GFP_NORETRY | __GFP_NOWARN, 0);
      if (pfn < 0) break;
      held.push(pfn);
    }
    const noreclaim = (GFP_HIGHUSER | __GFP_RECLAIMABLE | __GFP_NORETRY | __GFP_NOWARN) & ~__GFP_RECLAIM;
    expect(k.alloc.allocPages(noreclaim, 0)).toBeLessThan(0); // get_pages' first attempt fails
    const free = zone.freePages;
    const obj = dev.createObject(32 * 4096);
    expect(obj.getPages()).toBe(0);
    expect(cache.madv).toBe(Madv.PURGED);
    expect(dev.stats.purgedPages).toBe(512);
    expect(dev.stats.getPagesFail).toBe(0);
    expect(zone.freePages).toBe(free + 512 - 32);
    expect(k.alloc.events.get(VmEvent.ALLOCSTALL_NORMAL)).toBe(0); // no direct reclaim was needed
    check(k);
    for (const pfn of held) k.putPage(pfn);
  });
});

describe('i915_gem_shrinker_oom', () => {
  it('purges idle purgeable objects, logs, and counts as progress: no OOM kill', () => {
    const { k, dev, A, C, E } = setup(false);
    dev.madvise(C, Madv.DONTNEED); // active: the notifier does not wait for it
    const progress = k.oom.outOfMemory({ gfp: GFP_KERNEL, order: 0, highestZoneidx: ZoneType.NORMAL });
    expect(progress).toBe(true);
    expect(k.oom.events).toHaveLength(0);
    expect(k.alloc.events.get(VmEvent.OOM_KILL)).toBe(0);
    expect(dev.stats.oomNotifierFreedPages).toBe(2);
    expect([E.madv, C.madv, C.hasPages, A.hasPages]).toEqual([Madv.PURGED, Madv.DONTNEED, true, true]);
    // A, B and D are still pinned; without swap nothing is "available".
    expect(dev.log).toEqual(['Purging GPU memory, 2 pages freed, 19 pages still pinned, 0 pages left available.']);
    // Nothing purgeable left: the notifier frees nothing, and out_of_memory() goes on to select
    // a victim (there is none on this machine: no progress).
    expect(k.oom.outOfMemory({ gfp: GFP_KERNEL, order: 0, highestZoneidx: ZoneType.NORMAL })).toBe(false);
    expect(dev.stats.oomNotifierCalls).toBe(2);
    expect(k.oom.events).toHaveLength(1);
    expect(k.oom.events[0]!.victim).toBeNull();
  });
});
