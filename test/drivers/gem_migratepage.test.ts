/**
 * The 2016 hook (patch 2/2, i915_gem_shrinker_migratepage, kernel-mm.md §7.3) as the kernel
 * model's migrate_pages() reaches it: one isolated page of a 4-page GEM object, migrated to a
 * fresh page. Every refusal rule gives -EBUSY, final for the call (the hook runs once, where
 * the generic path's -EAGAIN on the same pinned page is tried ten times); an idle, merely
 * bound object is dropped whole and the page moves; the migrate mode makes no difference;
 * the wait-idle what-if waits in the sync modes and charges the wait to the allocating task.
 */
import { describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import { checkUserInvariants } from '../../src/mm/debug_vm_users.js';
import { EBUSY, MigrateMode, filemapGetFolio } from '../../src/mm/filemap.js';
import { GFP_HIGHUSER_MOVABLE } from '../../src/mm/gfp.js';
import { Kernel } from '../../src/mm/kernel.js';
import { folioIsolateLru } from '../../src/mm/lru.js';
import { MigrateReason, NR_MAX_MIGRATE_PAGES_RETRY, migratePages, putbackMovablePages } from '../../src/mm/migrate.js';
import { PG_lru, PG_unevictable } from '../../src/mm/page_flags.js';
import { shmemGetDevInfo } from '../../src/mm/shmem.js';
import { VmEvent } from '../../src/mm/vmstat.js';
import { GemDevice, type GemStats } from '../../src/drivers/gem/driver.js';
import { Madv } from '../../src/drivers/gem/flags.js';
import { HOOK_LOCK_TIMEOUT_NS, i915GemShrinkerMigratepage } from '../../src/drivers/gem/migratepage.js';
import type { GemObject } from '../../src/drivers/gem/object.js';
import type { PolicyName } from '../../src/drivers/gem/policy.js';

const MACHINE = loadMachineSpec('machine:\n  cpus: 1\n  pcp: false\n  thp: false\n  zones:\n    - { name: Normal, start_pfn: 0x100000, size: 64MiB }\n', 'm.yaml');
const MS = 1e6;
const MODES = [MigrateMode.ASYNC, MigrateMode.SYNC_LIGHT, MigrateMode.SYNC] as const;

interface Setup {
  k: Kernel;
  dev: GemDevice;
  obj: GemObject;
  /** The object's pfns as bound. */
  pages: number[];
}

/** A 4-page object with pages and a bound (unpinned, idle) ppGTT VMA: pagesPinCount 1 = bindings. */
function setup(policy: PolicyName = 'seed'): Setup {
  const k = new Kernel(MACHINE);
  const dev = new GemDevice(k, policy);
  const obj = dev.createObject(4 * 4096);
  expect(obj.bind(obj.vma())).toBe(0);
  expect(obj.pagesPinCount).toBe(1);
  const pages = obj.pages!.slice();
  for (const pfn of pages) {
    expect(k.mem.refcount[k.slot(pfn)]).toBe(2); // the page cache + i915's pin
    expect(k.mem.private[k.slot(pfn)]).toBe(policy === 'i915-6.1' ? 0 : obj.id);
  }
  return { k, dev, obj, pages };
}

interface Migrated {
  /** migrate_pages(): folios that failed. */
  rc: number;
  /** Destination pages asked for: one per attempt. */
  attempts: number;
  /** Where index `index` of the file is now. */
  now: number;
}

/** Isolate `pfn` (index `index` of obj) and migrate_pages() it to a fresh page, putting back what failed. */
function migrateOne(s: Setup, index: number, mode: MigrateMode): Migrated {
  const { k, obj } = s;
  const pfn = filemapGetFolio(obj.inode, index);
  expect(folioIsolateLru(k, pfn)).toBe(true);
  let attempts = 0;
  const from = [pfn];
  const rc = migratePages(k, from, {
    getNewPage: () => {
      attempts++;
      return k.alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0);
    },
    putNewPage: (p) => k.putPage(p),
  }, mode, MigrateReason.COMPACTION);
  putbackMovablePages(k, from);
  return { rc, attempts, now: filemapGetFolio(obj.inode, index) };
}

function check(k: Kernel): void {
  checkInvariants(k.alloc);
  checkUserInvariants(k);
}

describe('registration (patch 2/2 as posted)', () => {
  it('one shmem_dev_info per device, private_data = the device, on every object of a hook policy', () => {
    const k = new Kernel(MACHINE);
    const dev = new GemDevice(k, 'seed');
    const a = dev.createObject(4096);
    const b = dev.createObject(8192);
    expect(shmemGetDevInfo(a.inode)).toBe(dev.shmemInfo);
    expect(shmemGetDevInfo(b.inode)).toBe(dev.shmemInfo);
    expect(dev.shmemInfo.privateData).toBe(dev);
    const plain = new GemDevice(k, 'i915-6.1', { registerShrinker: false });
    expect(shmemGetDevInfo(plain.createObject(4096).inode)).toBeNull();
  });
});

describe('an idle, merely bound object: unbind, put the whole object, migrate', () => {
  for (const mode of MODES) {
    it(`mode ${MigrateMode[mode]}: the page moves and the other pages become plain shmem pages`, () => {
      const s = setup('seed');
      const { k, dev, obj, pages } = s;
      const m = migrateOne(s, 1, mode);
      expect(m.rc).toBe(0);
      expect(m.attempts).toBe(1);
      expect(m.now).not.toBe(pages[1]);
      const st = dev.stats;
      expect([st.hookCalls, st.hookMigrated, st.hookObjectsDropped, st.hookPagesUnpinned]).toEqual([1, 1, 1, 4]);
      expect(k.alloc.events.get(VmEvent.PGMIGRATE_SUCCESS)).toBe(1);
      // The whole object was dropped: no pages, nothing bound, nothing pinned, off the lists.
      expect(obj.pages).toBeNull();
      expect(obj.vma().bound).toBe(false);
      expect(obj.pagesPinCount).toBe(0);
      expect(dev.shrinkList.has(obj)).toBe(false);
      expect(obj.inode.unevictable).toBe(false);
      // Its other pages: only the page cache's reference, no page->private, evictable LRU.
      for (const i of [0, 2, 3]) {
        const p = filemapGetFolio(obj.inode, i);
        expect(p).toBe(pages[i]);
        const slot = k.slot(p);
        expect(k.mem.refcount[slot]).toBe(1);
        expect(k.mem.private[slot]).toBe(0);
        expect(k.mem.flags[slot]! & (PG_lru | PG_unevictable)).toBe(PG_lru);
      }
      // The moved page too (newpage's private was cleared; the object's id is gone).
      expect(k.mem.private[k.slot(m.now)]).toBe(0);
      expect(k.mem.refcount[k.slot(m.now)]).toBe(1);
      check(k);
      // Isolated, another page has page_count 2 = the expected references: the hook's fast path.
      const m2 = migrateOne(s, 2, mode);
      expect(m2.rc).toBe(0);
      expect(m2.now).not.toBe(pages[2]);
      expect([st.hookCalls, st.hookNoPrivate, st.hookMigrated, st.hookObjectsDropped]).toEqual([2, 1, 2, 1]);
      check(k);
      // The next batch re-faults the object: same pfns for the pages that stayed, new for those moved.
      expect(dev.execbuf([obj], { durationNs: MS })).not.toBeTypeOf('number');
      expect(dev.stats.refaultPages).toBe(4);
      expect(dev.stats.gpuStallNs).toBe(4 * dev.refaultCostNsPerPage);
      expect(obj.pages).toEqual([pages[0], m.now, m2.now, pages[3]]);
      check(k);
    });
  }
});

interface Refusal {
  name: string;
  arrange(s: Setup): void;
  /** The GemStats field that counts it. */
  stat: keyof GemStats;
  /** The object still has its pages afterwards (the over-reference case drops them first). */
  keepsPages: boolean;
}

const REFUSALS: Refusal[] = [
  { name: 'active (a request outstanding)', arrange: (s) => expect(s.dev.execbuf([s.obj], { durationNs: 5 * MS })).not.toBeTypeOf('number'), stat: 'hookEbusyActive', keepsPages: true },
  { name: 'purgeable (madv DONTNEED)', arrange: (s) => s.dev.madvise(s.obj, Madv.DONTNEED), stat: 'hookEbusyPurgeable', keepsPages: true },
  { name: 'pinned beyond its bindings (pin_pages: a kernel CPU mapping)', arrange: (s) => expect(s.obj.pinPages()).toBe(0), stat: 'hookEbusyPinnedPages', keepsPages: true },
  { name: 'a pinned VMA (scanout)', arrange: (s) => expect(s.obj.bind(s.obj.vma('ggtt'), true)).toBe(0), stat: 'hookEbusyPinnedVma', keepsPages: true },
  { name: 'the device runtime suspended', arrange: (s) => s.dev.requestSuspend(), stat: 'hookEbusySuspended', keepsPages: true },
  { name: 'the driver lock held for more than 10 ms', arrange: (s) => s.dev.holdLock(HOOK_LOCK_TIMEOUT_NS + 1), stat: 'hookEbusyLock', keepsPages: true },
  { name: 'still over-referenced after the drop (a third reference, e.g. get_user_pages)', arrange: (s) => s.k.getPage(s.pages[1]!), stat: 'hookEbusyOverref', keepsPages: false },
];

// The refusals under seed-trylock: the 4.8 lock helper, which never waits for the GPU (under
// seed, the lock helper's GPU-idle wait would make the active object idle first: see below).
describe('each refusal is -EBUSY, final for the migrate_pages() call, in every mode', () => {
  for (const r of REFUSALS) {
    for (const mode of MODES) {
      it(`${r.name}: ${MigrateMode[mode]}`, () => {
        const s = setup('seed-trylock');
        const { k, dev, obj, pages } = s;
        r.arrange(s);
        const m = migrateOne(s, 1, mode);
        expect(m.rc).toBe(1);
        expect(m.attempts).toBe(1); // -EBUSY: no second pass
        expect(dev.stats.hookCalls).toBe(1);
        expect(dev.stats[r.stat]).toBe(1);
        expect(dev.stats.hookMigrated).toBe(0);
        expect(m.now).toBe(pages[1]);
        expect(k.alloc.events.get(VmEvent.PGMIGRATE_FAIL)).toBe(1);
        expect(obj.hasPages).toBe(r.keepsPages);
        if (r.keepsPages) expect(obj.pages).toEqual(pages);
        check(k);
      });
    }
  }

  it('the same pinned page without the hook (i915-6.1): the generic -EAGAIN, tried ten times', () => {
    const s = setup('i915-6.1');
    const m = migrateOne(s, 1, MigrateMode.SYNC);
    expect(m.rc).toBe(1);
    expect(m.attempts).toBe(NR_MAX_MIGRATE_PAGES_RETRY);
    expect(s.dev.stats.hookCalls).toBe(0);
    expect(m.now).toBe(s.pages[1]);
    expect(s.obj.pages).toEqual(s.pages);
    check(s.k);
  });

  it('the hook returns -EBUSY itself (not -EAGAIN) for each rule', () => {
    for (const r of REFUSALS) {
      const s = setup('seed-trylock');
      r.arrange(s);
      const { k } = s;
      const pfn = s.pages[1]!;
      expect(folioIsolateLru(k, pfn)).toBe(true);
      const dst = k.alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0);
      k.mem.private[k.slot(dst)] = 12345; // a stale value on the target page
      expect(i915GemShrinkerMigratepage(s.dev, s.obj.inode, dst, pfn, MigrateMode.SYNC), r.name).toBe(-EBUSY);
      expect(k.mem.private[k.slot(dst)], r.name).toBe(0); // rule 1: newpage's private cleared first
      k.putPage(dst);
      putbackMovablePages(k, [pfn]);
    }
  });
});

describe('the driver lock (≤ 10 ms trylock)', () => {
  it('held exactly 10 ms more: the hook waits it out, charges the wait to the allocating task, and migrates', () => {
    const s = setup('seed');
    s.dev.holdLock(HOOK_LOCK_TIMEOUT_NS);
    s.k.setCurrent({ comm: 'alloc-task', pid: 4242, oomScoreAdj: 0 });
    expect(migrateOne(s, 0, MigrateMode.ASYNC).rc).toBe(0);
    expect(s.dev.stats.hookLockWaitNs).toBe(10 * MS);
    expect(s.dev.stats.taskStallNs.get(4242)).toEqual({ comm: 'alloc-task', ns: 10 * MS });
  });

  it('held longer: -EBUSY after waiting the 10 ms', () => {
    const s = setup('seed');
    s.dev.holdLock(30 * MS);
    s.k.clock.runUntil(15 * MS); // 15 ms left
    s.k.setCurrent({ comm: 'alloc-task', pid: 4242, oomScoreAdj: 0 });
    expect(migrateOne(s, 0, MigrateMode.SYNC).rc).toBe(1);
    expect(s.dev.stats.hookEbusyLock).toBe(1);
    expect(s.dev.stats.taskStallNs.get(4242)!.ns).toBe(10 * MS);
    s.k.clock.runUntil(20 * MS); // 10 ms left: now it waits
    expect(migrateOne(s, 0, MigrateMode.SYNC).rc).toBe(0);
    expect(s.dev.stats.taskStallNs.get(4242)!.ns).toBe(20 * MS);
  });

  it('taken by the current call chain (the driver allocating): stolen, no wait', () => {
    const s = setup('seed');
    s.dev.holdLock(1e9);
    s.dev.lockDepth++; // inside the driver, e.g. get_pages of another object reaching compaction
    expect(migrateOne(s, 0, MigrateMode.SYNC).rc).toBe(0);
    s.dev.lockDepth--;
    expect(s.dev.stats.hookLockStolen).toBe(1);
    expect(s.dev.stats.hookLockWaitNs).toBe(0);
  });
});

describe('as posted, the lock helper waits for the whole GPU first (4.9/4.10 i915_gem_shrinker_lock_uninterruptible)', () => {
  /** `obj` busy for 5 ms on engine 0, and another object busy for 9 ms on engine 1, 1 ms ago. */
  function busy(policy: PolicyName): Setup & { other: GemObject } {
    const k = new Kernel(MACHINE);
    const dev = new GemDevice(k, policy, { engines: 2 });
    const obj = dev.createObject(4 * 4096);
    expect(obj.bind(obj.vma())).toBe(0);
    const pages = obj.pages!.slice();
    const other = dev.createObject(4096);
    expect(dev.execbuf([obj], { engine: 0, durationNs: 5 * MS })).not.toBeTypeOf('number');
    expect(dev.execbuf([other], { engine: 1, durationNs: 9 * MS })).not.toBeTypeOf('number');
    k.clock.runUntil(1 * MS);
    k.setCurrent({ comm: 'kcompactd0', pid: 55, oomScoreAdj: 0 });
    return { k, dev, obj, pages, other };
  }

  for (const mode of MODES) {
    it(`seed, ${MigrateMode[mode]}: waits 8 ms for both engines, charged to the caller, then drops the idle object and migrates`, () => {
      const s = busy('seed');
      const m = migrateOne(s, 1, mode);
      expect(m.rc).toBe(0);
      const st = s.dev.stats;
      expect([st.hookGpuIdleWaits, st.hookGpuIdleWaitNs, st.hookEbusyActive, st.hookObjectsDropped]).toEqual([1, 8 * MS, 0, 1]);
      expect(st.taskStallNs.get(55)).toEqual({ comm: 'kcompactd0', ns: 8 * MS });
      expect(s.dev.engines.every((e) => e.idle)).toBe(true);
      expect(s.other.isActive()).toBe(false);
      check(s.k);
    });
  }

  it('the lock is still given up 10 ms after the call: an 8 ms idle wait leaves 2 ms for a held lock', () => {
    const s = busy('seed');
    s.dev.holdLock(12 * MS); // held until 13 ms: free 4 ms after the GPU goes idle at 9 ms
    expect(migrateOne(s, 1, MigrateMode.SYNC).rc).toBe(1);
    const st = s.dev.stats;
    expect([st.hookEbusyLock, st.hookGpuIdleWaitNs, st.hookLockWaitNs]).toEqual([1, 8 * MS, 2 * MS]);
    expect(st.taskStallNs.get(55)!.ns).toBe(10 * MS);
  });

  it('an idle GPU costs nothing: no wait counted', () => {
    const s = setup('seed');
    expect(migrateOne(s, 1, MigrateMode.ASYNC).rc).toBe(0);
    expect([s.dev.stats.hookGpuIdleWaits, s.dev.stats.taskStallNs.size]).toEqual([0, 0]);
  });
});

describe('the fast paths', () => {
  it('page->private 0 (the object has no pages): plain migration without the lock', () => {
    const s = setup('seed');
    expect(s.obj.unbind(0)).toBe(0);
    expect(s.obj.putPages()).toBe(0);
    s.dev.holdLock(1e9);
    expect(migrateOne(s, 3, MigrateMode.ASYNC).rc).toBe(0);
    expect([s.dev.stats.hookNoPrivate, s.dev.stats.hookEbusyLock]).toEqual([1, 0]);
  });

  it('seed-as-posted behaves like seed at migration time (only the pageblocks differ)', () => {
    const s = setup('seed-as-posted');
    expect(migrateOne(s, 2, MigrateMode.SYNC_LIGHT).rc).toBe(0);
    expect(s.obj.pages).toBeNull();
  });
});

describe('seed-wait-idle: the what-if that waits for the GPU in the sync modes', () => {
  function active(): Setup {
    const s = setup('seed-wait-idle');
    const rq = s.dev.execbuf([s.obj], { durationNs: 5 * MS });
    expect(rq).not.toBeTypeOf('number');
    s.k.clock.runUntil(1 * MS); // 4 ms of GPU work left
    expect(s.obj.isActive()).toBe(true);
    s.k.setCurrent({ comm: 'thp-fault', pid: 777, oomScoreAdj: 0 });
    return s;
  }

  for (const mode of [MigrateMode.SYNC_LIGHT, MigrateMode.SYNC]) {
    it(`${MigrateMode[mode]}: waits the 4 ms left, charges them to the allocating task, migrates`, () => {
      const s = active();
      const m = migrateOne(s, 1, mode);
      expect(m.rc).toBe(0);
      expect(m.now).not.toBe(s.pages[1]);
      const st = s.dev.stats;
      expect([st.hookWaits, st.hookWaitNs, st.hookEbusyActive]).toEqual([1, 4 * MS, 0]);
      expect(st.taskStallNs.get(777)).toEqual({ comm: 'thp-fault', ns: 4 * MS });
      expect(s.obj.isActive()).toBe(false);
      expect(s.dev.engines[0]!.idle).toBe(true);
      expect(s.obj.pages).toBeNull();
      s.k.clock.runUntil(10 * MS); // the request's own completion event finds it retired already
      expect(s.dev.engines[0]!.retiredCount).toBe(1);
      check(s.k);
    });
  }

  it('ASYNC: still -EBUSY, nothing waited', () => {
    const s = active();
    expect(migrateOne(s, 1, MigrateMode.ASYNC).rc).toBe(1);
    expect([s.dev.stats.hookEbusyActive, s.dev.stats.hookWaitNs]).toEqual([1, 0]);
    expect(s.dev.stats.taskStallNs.size).toBe(0);
    expect(s.obj.isActive()).toBe(true);
  });

  it('seed-trylock (the 4.8 lock helper): the same active object is -EBUSY in SYNC too, nothing waited', () => {
    const s = setup('seed-trylock');
    s.dev.execbuf([s.obj], { durationNs: 5 * MS });
    expect(migrateOne(s, 1, MigrateMode.SYNC).rc).toBe(1);
    expect([s.dev.stats.hookEbusyActive, s.dev.stats.hookWaitNs, s.dev.stats.hookGpuIdleWaitNs]).toEqual([1, 0, 0]);
  });

  it('after the wait the other rules still apply (an active scanout stays put)', () => {
    const s = active();
    expect(s.obj.bind(s.obj.vma('ggtt'), true)).toBe(0);
    expect(migrateOne(s, 1, MigrateMode.SYNC).rc).toBe(1);
    expect([s.dev.stats.hookWaits, s.dev.stats.hookEbusyPinnedVma]).toEqual([1, 1]);
    expect(s.obj.pages).toEqual(s.pages);
  });
});
