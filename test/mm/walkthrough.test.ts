/**
 * kernel-mm.md §11.1 in pagelab: an order-2 GFP_KERNEL request on a zone fragmented by pinned
 * i915-style shmem pages (GFP_HIGHUSER | __GFP_RECLAIMABLE) runs async compaction, reclaim,
 * sync compaction with priority escalation, and ends in an OOM kill with plenty of free order-0
 * memory — while the same request succeeds without an OOM kill when the pins are released,
 * whichever pfn parity the holes have.
 */
import { describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { MAX_ORDER, MigrateType, PAGEBLOCK_NR_PAGES } from '../../src/mm/constants.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import { createFile, fileRead } from '../../src/mm/file.js';
import { FtraceTextWriter, parseFtrace } from '../../src/trace/ftrace.js';
import { GFP_HIGHUSER, GFP_KERNEL, __GFP_NORETRY, __GFP_NOWARN, __GFP_RECLAIMABLE } from '../../src/mm/gfp.js';
import { Kernel } from '../../src/mm/kernel.js';
import { createMm, mmap } from '../../src/mm/memory.js';
import { touch } from '../../src/mm/fault.js';
import { ShmemInode, mappingClearUnevictable, mappingSetUnevictable, shmemGetFolio, shmemTruncate } from '../../src/mm/shmem.js';
import { VmEvent } from '../../src/mm/vmstat.js';
import { WMARK_HIGH } from '../../src/mm/zone.js';

const I915_GFP = GFP_HIGHUSER | __GFP_RECLAIMABLE;

interface Setup {
  k: Kernel;
  pinned: ShmemInode;
}

/**
 * The lower part of memory holds two i915 objects allocated page by page in turn (so their
 * pages alternate), the rest a desktop process whose anon pages alternate with clean page cache.
 * Whatever is still free is then taken by unmovable kernel memory, and one object is freed:
 * the free memory is order-0 holes between the other object's pages, at even or odd pfns.
 * Odd holes are where the linear free scanner's stride (isolate_freepages: 1, 2, 4 ... 32)
 * no longer lands; only the free-list search (fast_isolate_freepages) finds them.
 */
function setup(holes: 'even' | 'odd'): Setup {
  const k = new Kernel(loadMachineSpec('machine:\n  cpus: 1\n  pcp: false\n  thp: false\n  zones:\n    - { name: Normal, start_pfn: 0x100000, size: 256MiB }\n', 'm.yaml'));
  const zone = k.nodes[0]!.zones[2]!;
  const a = k.owners.register(new ShmemInode('i915-obj-a', I915_GFP));
  const b = k.owners.register(new ShmemInode('i915-obj-b', I915_GFP));
  const i915Pages = Math.floor((zone.managed * 0.5) / 2);
  for (let i = 0; i < i915Pages; i++) {
    // The object allocated first (the zone starts at an even pfn) has the even pfns.
    for (const obj of holes === 'even' ? [b, a] : [a, b]) {
      const pfn = shmemGetFolio(k, obj, i, I915_GFP | __GFP_NORETRY | __GFP_NOWARN);
      expect(pfn).toBeGreaterThan(0);
      expect(pfn % 2 === 0).toBe((obj === b) === (holes === 'even'));
      if (obj === b) k.putPage(pfn); // i915 keeps its pin on every page while the object is in use
    }
  }
  mappingSetUnevictable(k, a);
  k.setCurrent({ comm: 'desktop', pid: 100, oomScoreAdj: 0 });
  const desktop = createMm(k, { pid: 100, comm: 'desktop' });
  const cache = createFile(k, 'libs.so');
  const va = mmap(k, desktop, zone.managed);
  let n = 0;
  while (zone.freePages > zone.wmarkPages(WMARK_HIGH) + 64) {
    touch(k, desktop, va + n, 1, true);
    fileRead(k, cache, n, 1);
    n++;
  }
  // The rest goes to unmovable kernel memory, so the holes below are all that is free.
  const mem = k.mem;
  for (let order = MAX_ORDER - 1; order >= 0; order--) {
    for (let mt = 0; mt < 5; mt++) {
      const head = zone.freeListHead(order, mt);
      while (!mem.listEmpty(head)) expect(k.alloc.allocPagesAt(k.pfn(mem.next[head]!), order, GFP_KERNEL)).toBe(true);
    }
  }
  shmemTruncate(k, b, 0);
  k.setCurrent({ comm: 'kworker/0:1', pid: 30, oomScoreAdj: 0 });
  return { k, pinned: a };
}

/** The driver lets go of the object: the pins dropped, the mapping evictable again. */
function releasePins(k: Kernel, obj: ShmemInode): void {
  for (const pfn of obj.iPages.values()) k.putPage(pfn);
  mappingClearUnevictable(k, obj);
}

function freeAtOrder(k: Kernel, order: number): number {
  const zone = k.nodes[0]!.zones[2]!;
  let n = 0;
  for (let o = order; o < MAX_ORDER; o++) n += zone.nrFree[o]!;
  return n;
}

describe('the order-2 walk-through (kernel-mm.md §11.1)', () => {
  it('pinned i915 pages: compaction fails at every priority and the OOM killer runs with plenty free', () => {
    const { k } = setup('even');
    const zone = k.nodes[0]!.zones[2]!;
    expect(freeAtOrder(k, 2)).toBe(0);
    const freeBefore = zone.freePages;
    expect(freeBefore).toBeGreaterThan(zone.managed * 0.2); // a quarter of memory is free, in order-0 holes
    const trace = new FtraceTextWriter();
    k.eventTrace = trace;
    const ev = k.alloc.events;
    const pfn = k.alloc.allocPages(GFP_KERNEL, 2);
    k.eventTrace = null;
    checkInvariants(k.alloc);

    // Async compaction first (non-movable order > 0), then sync light, then sync full.
    const prios = parseFtrace(trace.text(1))
      .filter((e) => e.event === 'mm_compaction_try_to_compact_pages')
      .map((e) => Number(e.fields['priority']));
    expect(prios[0]).toBe(2); // COMPACT_PRIO_ASYNC
    expect(prios).toContain(1); // SYNC_LIGHT
    expect(prios).toContain(0); // SYNC_FULL: the escalation of should_compact_retry()
    expect(ev.get(VmEvent.ALLOCSTALL_NORMAL)).toBeGreaterThan(0); // direct reclaim ran
    expect(ev.get(VmEvent.PGSTEAL_DIRECT)).toBeGreaterThan(0); // and freed page cache (progress)
    expect(ev.get(VmEvent.COMPACT_STALL)).toBeGreaterThan(0);
    expect(ev.get(VmEvent.COMPACT_FAIL)).toBe(ev.get(VmEvent.COMPACT_STALL));
    expect(ev.get(VmEvent.PGMIGRATE_FAIL)).toBeGreaterThan(0); // the pinned pages: -EAGAIN, 10 passes

    // The OOM killer ran with lots of free order-0 memory: a premature OOM.
    expect(ev.get(VmEvent.OOM_KILL)).toBe(1);
    const oom = k.oom.events[0]!;
    expect(oom.victim).toEqual({ pid: 100, comm: 'desktop' });
    expect(oom.premature).toBe(true);
    expect(oom.freePages).toBeGreaterThan(zone.managed * 0.2);
    expect(oom.report).toMatch(/^kworker\/0:1 invoked oom-killer: gfp_mask=0xcc0\(GFP_KERNEL\), order=2, oom_score_adj=0$/m);
    expect(oom.report).toMatch(/^Node 0 Normal: \d+\*4kB \(\w+\) 0\*8kB 0\*16kB 0\*32kB 0\*64kB 0\*128kB 0\*256kB 0\*512kB 0\*1024kB 0\*2048kB 0\*4096kB = \d+kB$/m);
    expect(oom.report).toMatch(/^Out of memory: Killed process 100 \(desktop\) total-vm:\d+kB, anon-rss:\d+kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:\d+kB oom_score_adj:0$/m);
    // Killing the desktop freed its movable pageblocks, so the retry then succeeded there.
    expect(pfn).toBeGreaterThan(0);
    expect(k.mem.getPageblockMigratetype(k.slot(pfn))).toBe(MigrateType.UNMOVABLE);
  });

  for (const holes of ['even', 'odd'] as const) {
    it(`the same request succeeds without an OOM kill once the pins are released (holes at ${holes} pfns)`, () => {
      const { k, pinned } = setup(holes);
      const ev = k.alloc.events;
      expect(freeAtOrder(k, 2)).toBe(0);
      releasePins(k, pinned);
      expect(pinned.unevictable).toBe(false);
      expect(freeAtOrder(k, 2)).toBe(0); // releasing the pins freed nothing
      const pfn = k.alloc.allocPages(GFP_KERNEL, 2);
      checkInvariants(k.alloc);
      expect(pfn).toBeGreaterThan(0);
      expect(ev.get(VmEvent.OOM_KILL)).toBe(0);
      expect(ev.get(VmEvent.PGMIGRATE_SUCCESS)).toBeGreaterThan(0); // i915 pages moved out of the way
      expect(ev.get(VmEvent.COMPACT_SUCCESS)).toBeGreaterThan(0);
      // The order-2 block came out of a pageblock the i915 pages used to fill.
      const block = k.slot(pfn) & ~(PAGEBLOCK_NR_PAGES - 1);
      expect(k.mem.getPageblockMigratetype(block)).not.toBe(MigrateType.MOVABLE);
    });
  }
});
