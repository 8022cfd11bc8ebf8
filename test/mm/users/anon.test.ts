/** Anonymous memory: faults, zero page, THP, munmap, mlock, swap out/in, the reverse map, migration. */
import { beforeEach, describe, expect, it } from 'vitest';
import { MigrateType } from '../../../src/mm/constants.js';
import { MigrateMode } from '../../../src/mm/filemap.js';
import {
  GFP_HIGHUSER_MOVABLE, GFP_TRANSHUGE, GFP_TRANSHUGE_LIGHT, __GFP_COMP, __GFP_DIRECT_RECLAIM, __GFP_KSWAPD_RECLAIM,
  __GFP_NORETRY,
} from '../../../src/mm/gfp.js';
import { VM_HUGEPAGE, setThpSettings, splitHugePage, vmaThpGfpMask } from '../../../src/mm/huge_memory.js';
import type { Kernel } from '../../../src/mm/kernel.js';
import { LruList, folioIsolateLru, folioLruList, folioPutbackLru } from '../../../src/mm/lru.js';
import {
  type MmStruct, PTE_ZERO, createMm, exitMm, madvise, mlock, mmap, munlock, munmap, pageReferenced, pteIsSwap,
  pteSwapEntry, touch, tryToUnmapAnon,
} from '../../../src/mm/memory.js';
import { MigrateReason, migratePages } from '../../../src/mm/migrate.js';
import { EFAULT, EINTR, EINVAL, ENOMEM, MmError, OomKilledError } from '../../../src/mm/mm_error.js';
import { OOM_SCORE_ADJ_MIN } from '../../../src/mm/oom_kill.js';
import {
  PG_anon, PG_dirty, PG_head, PG_mlocked, PG_swapbacked, PG_swapcache, PG_unevictable, PG_young,
} from '../../../src/mm/page_flags.js';
import { addToSwap } from '../../../src/mm/swap_state.js';
import { getNrSwapPages, swapInfo, swapon } from '../../../src/mm/swapfile.js';
import { NodeStat, VmEvent, ZoneStat } from '../../../src/mm/vmstat.js';
import { boot, check, flags, freeSwapCacheFolio, has, pageoutSwapBacked } from './helpers.js';

let k: Kernel;
let mm: MmStruct;

beforeEach(() => {
  k = boot();
  mm = createMm(k, { pid: 101, comm: 'bash' });
});

const ev = (e: VmEvent): number => k.alloc.events.get(e);
const freePages = (): number => k.alloc.zoneById.reduce((n, z) => n + (z ? z.vmStat[ZoneStat.NR_FREE_PAGES]! : 0), 0);

/** Leave no free block of order >= 9 (every other page of all memory held). */
function fragment(): number[] {
  const held: number[] = [];
  for (;;) {
    const p = k.alloc.allocPages(GFP_HIGHUSER_MOVABLE | __GFP_NORETRY, 0); // fill memory without invoking the OOM killer
    if (p < 0) break;
    held.push(p);
  }
  const kept: number[] = [];
  held.forEach((p, i) => (i % 2 ? k.putPage(p) : kept.push(p)));
  return kept;
}

/** What `fn` throws (null if nothing). */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return null;
}

describe('anonymous faults', () => {
  it('a write fault maps a new movable page: anon, swapbacked, inactive anon, counters', () => {
    const start = mmap(k, mm, 10, { nohugepage: true });
    const st = touch(k, mm, start + 3, 1, true);
    expect(st).toEqual({ faults: 1, majorFaults: 0, ioNs: 0 });
    const pfn = mm.pte.get(start + 3)!;
    const s = k.slot(pfn);
    expect(flags(k, pfn) & (PG_anon | PG_swapbacked)).toBe(PG_anon | PG_swapbacked);
    expect(k.mem.getPageblockMigratetype(s)).toBe(MigrateType.MOVABLE);
    expect(k.mem.mapping[s]).toBe(mm.id);
    expect(k.mem.index[s]).toBe(start + 3);
    expect(k.mem.mapcount[s]).toBe(1);
    expect(k.mem.refcount[s]).toBe(1);
    expect(folioLruList(flags(k, pfn))).toBe(LruList.INACTIVE_ANON);
    expect(k.nodeStat(0, NodeStat.NR_ANON_PAGES)).toBe(1);
    expect(mm.rssAnon()).toBe(1);
    expect(ev(VmEvent.PGFAULT)).toBe(1);
    expect(touch(k, mm, start + 3, 1, false).faults).toBe(0); // present: no fault
    check(k);
  });

  it('a read fault maps the zero page (no memory); a later write allocates', () => {
    const start = mmap(k, mm, 10, { nohugepage: true });
    const free = freePages();
    touch(k, mm, start, 10, false);
    expect(mm.pte.get(start)).toBe(PTE_ZERO);
    expect(freePages()).toBe(free);
    expect(k.nodeStat(0, NodeStat.NR_ANON_PAGES)).toBe(0);
    expect(touch(k, mm, start, 10, false).faults).toBe(0);
    expect(touch(k, mm, start, 2, true).faults).toBe(2);
    expect(k.nodeStat(0, NodeStat.NR_ANON_PAGES)).toBe(2);
    expect(ev(VmEvent.PGFAULT)).toBe(12);
    check(k);
  });

  it('munmap frees; a second munmap and touching unmapped memory are typed errors', () => {
    const free = freePages();
    const start = mmap(k, mm, 64, { nohugepage: true });
    touch(k, mm, start, 64, true);
    expect(freePages()).toBe(free - 64);
    munmap(k, mm, start, 64);
    expect(freePages()).toBe(free);
    expect(k.nodeStat(0, NodeStat.NR_ANON_PAGES)).toBe(0);
    expect(mm.rssAnon()).toBe(0);
    check(k);
    expect(() => munmap(k, mm, start, 64)).toThrowError(expect.objectContaining({ code: -EINVAL }));
    expect(() => touch(k, mm, start, 1, true)).toThrowError(expect.objectContaining({ code: -EFAULT }));
    expect(() => mmap(k, mm, -3)).toThrow(MmError);
    expect(() => mmap(k, mm, 0)).toThrow(MmError);
    check(k);
  });

  it('munmap of part of a VMA splits it; the rest stays mapped', () => {
    const start = mmap(k, mm, 30, { nohugepage: true });
    touch(k, mm, start, 30, true);
    munmap(k, mm, start + 10, 10);
    expect(mm.vmas.map((v) => [v.start - start, v.end - start])).toEqual([[0, 10], [20, 30]]);
    expect(mm.rssAnon()).toBe(20);
    expect(() => touch(k, mm, start + 5, 10, true)).toThrow(MmError);
    check(k);
  });

  it('running out of memory OOM-kills the faulting task: its touch stops there with OomKilledError', () => {
    const start = mmap(k, mm, 1 << 15, { nohugepage: true });
    const err = thrownBy(() => touch(k, mm, start, 1 << 15, true));
    expect(err).toBeInstanceOf(OomKilledError);
    expect((err as MmError).code).toBe(-EINTR);
    expect(k.oom.events.map((e) => e.victim?.pid)).toEqual([101]);
    // Killed at its own fault: nothing after the faulting page was touched, and what it has
    // stays until the oom_reaper runs at the next clock event.
    const rss = mm.rssAnon();
    expect(rss).toBeGreaterThan(10_000);
    expect(mm.pte.has(start + rss)).toBe(false);
    check(k);
    // Its SIGKILL is pending: even an access that needs no fault is refused.
    expect(() => touch(k, mm, start, 1, false)).toThrow(OomKilledError);
    k.clock.runUntil(k.clock.now);
    expect(mm.exited).toBe(true);
    expect(k.nodeStat(0, NodeStat.NR_ANON_PAGES)).toBe(0);
    expect(() => touch(k, mm, start, 1, true)).toThrow(OomKilledError);
    expect(() => mmap(k, mm, 1)).toThrow(OomKilledError);
    check(k);
  });

  it('a task the OOM killer may not kill gets -ENOMEM, with the faulted pages kept', () => {
    mm.oomScoreAdj = OOM_SCORE_ADJ_MIN;
    const start = mmap(k, mm, 1 << 15, { nohugepage: true });
    const err = thrownBy(() => touch(k, mm, start, 1 << 15, true));
    expect(err).toBeInstanceOf(MmError);
    expect((err as MmError).code).toBe(-ENOMEM);
    expect(k.oom.events.every((e) => e.victim === null)).toBe(true);
    expect(mm.rssAnon()).toBeGreaterThan(10_000);
    check(k);
    exitMm(k, mm);
    expect(k.nodeStat(0, NodeStat.NR_ANON_PAGES)).toBe(0);
    expect(() => touch(k, mm, start, 1, true)).toThrowError(expect.objectContaining({ code: -EINVAL })); // exited, not killed
    check(k);
  });
});

describe('transparent hugepages', () => {
  const at = 0x40000; // 2 MiB aligned (vpn)

  it('a write fault in an aligned range maps an order-9 folio (thp_fault_alloc)', () => {
    mmap(k, mm, 1024, { at });
    touch(k, mm, at + 700, 1, true);
    const head = mm.pte.get(at + 512)!;
    expect(has(k, head, PG_head)).toBe(true);
    expect(k.nrPages(head)).toBe(512);
    expect(mm.pte.get(at + 700)).toBe(head + 188);
    expect(k.mem.index[k.slot(head)]).toBe(at + 512);
    expect(ev(VmEvent.THP_FAULT_ALLOC)).toBe(1);
    expect(k.nodeStat(0, NodeStat.NR_ANON_TRANSPARENT_HUGEPAGES)).toBe(512);
    expect(k.nodeStat(0, NodeStat.NR_ANON_PAGES)).toBe(512);
    expect(k.nodeStat(0, NodeStat.NR_INACTIVE_ANON)).toBe(512);
    expect(mm.rssAnon()).toBe(512);
    expect(touch(k, mm, at + 512, 512, true).faults).toBe(0);
    check(k);
    munmap(k, mm, at, 1024);
    expect(k.nodeStat(0, NodeStat.NR_ANON_TRANSPARENT_HUGEPAGES)).toBe(0);
    check(k);
  });

  it('falls back to order 0 when no order-9 block is free (thp_fault_fallback)', () => {
    const kept = fragment();
    mmap(k, mm, 512, { at });
    touch(k, mm, at, 1, true);
    expect(ev(VmEvent.THP_FAULT_FALLBACK)).toBe(1);
    expect(ev(VmEvent.THP_FAULT_ALLOC)).toBe(0);
    expect(k.nrPages(mm.pte.get(at)!)).toBe(1);
    touch(k, mm, at + 1, 1, true); // the PMD has a page table now: no more THP attempts
    expect(ev(VmEvent.THP_FAULT_FALLBACK)).toBe(1);
    check(k);
    for (const p of kept) k.putPage(p);
  });

  it('honours enabled=never/madvise, MADV_NOHUGEPAGE and the VMA bounds', () => {
    setThpSettings(k, { enabled: 'never' });
    mmap(k, mm, 512, { at });
    touch(k, mm, at, 1, true);
    expect(ev(VmEvent.THP_FAULT_ALLOC)).toBe(0);
    setThpSettings(k, { enabled: 'madvise' });
    mmap(k, mm, 512, { at: at + 512 });
    touch(k, mm, at + 512, 1, true);
    expect(ev(VmEvent.THP_FAULT_ALLOC)).toBe(0);
    mmap(k, mm, 512, { at: at + 1024 });
    madvise(k, mm, at + 1024, 512, 'hugepage');
    touch(k, mm, at + 1024, 1, true);
    expect(ev(VmEvent.THP_FAULT_ALLOC)).toBe(1);
    setThpSettings(k, { enabled: 'always' });
    mmap(k, mm, 511, { at: at + 2048 }); // too small for an aligned 2 MiB
    touch(k, mm, at + 2048, 1, true);
    expect(ev(VmEvent.THP_FAULT_ALLOC)).toBe(1);
    expect(() => setThpSettings(k, { enabled: 'sometimes' as 'never' })).toThrow(MmError);
    check(k);
  });

  it('a read fault maps the huge zero page, and a write then gets a base page', () => {
    mmap(k, mm, 512, { at });
    touch(k, mm, at, 512, false);
    expect(mm.pte.get(at + 100)).toBe(PTE_ZERO);
    touch(k, mm, at + 100, 1, true);
    expect(k.nrPages(mm.pte.get(at + 100)!)).toBe(1);
    expect(ev(VmEvent.THP_FAULT_ALLOC)).toBe(0);
    check(k);
  });

  it('vma_thp_gfp_mask follows defrag and MADV_HUGEPAGE', () => {
    const cases: [Parameters<typeof setThpSettings>[1]['defrag'], number, number][] = [
      ['always', GFP_TRANSHUGE | __GFP_NORETRY, GFP_TRANSHUGE],
      ['defer', GFP_TRANSHUGE_LIGHT | __GFP_KSWAPD_RECLAIM, GFP_TRANSHUGE_LIGHT | __GFP_KSWAPD_RECLAIM],
      ['defer+madvise', GFP_TRANSHUGE_LIGHT | __GFP_KSWAPD_RECLAIM, GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM],
      ['madvise', GFP_TRANSHUGE_LIGHT, GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM],
      ['never', GFP_TRANSHUGE_LIGHT, GFP_TRANSHUGE_LIGHT],
    ];
    for (const [defrag, plain, madvised] of cases) {
      setThpSettings(k, { defrag });
      expect(vmaThpGfpMask(k, 0)).toBe(plain);
      expect(vmaThpGfpMask(k, VM_HUGEPAGE)).toBe(madvised);
    }
    expect(GFP_TRANSHUGE_LIGHT & __GFP_COMP).toBe(__GFP_COMP);
  });

  it('reclaim can split an isolated THP onto its own list; a pinned THP refuses (-EAGAIN)', () => {
    mmap(k, mm, 512, { at });
    touch(k, mm, at, 1, true);
    const head = mm.pte.get(at)!;
    k.getPage(head); // a pin
    expect(folioIsolateLru(k, head)).toBe(true);
    expect(splitHugePage(k, head, () => undefined)).toBe(-11);
    expect(ev(VmEvent.THP_SPLIT_PAGE_FAILED)).toBe(1);
    k.putPage(head);
    const list: number[] = [];
    expect(splitHugePage(k, head, (t) => list.push(t))).toBe(0);
    expect(list.length).toBe(511);
    expect(k.nodeStat(0, NodeStat.NR_ISOLATED_ANON)).toBe(512);
    expect(k.mem.refcount[k.slot(head + 7)]).toBe(2); // its PTE's + the isolation's
    for (const p of [head, ...list]) folioPutbackLru(k, p);
    expect(k.nodeStat(0, NodeStat.NR_INACTIVE_ANON)).toBe(512);
    expect(k.nodeStat(0, NodeStat.NR_ANON_TRANSPARENT_HUGEPAGES)).toBe(0);
    check(k);
    munmap(k, mm, at, 512);
    check(k);
  });

  it('a partial munmap splits the THP; the rest stays mapped as base pages', () => {
    mmap(k, mm, 512, { at });
    touch(k, mm, at, 1, true);
    const head = mm.pte.get(at)!;
    munmap(k, mm, at + 256, 256);
    expect(ev(VmEvent.THP_SPLIT_PAGE)).toBe(1);
    expect(ev(VmEvent.THP_SPLIT_PMD)).toBe(1);
    expect(k.nodeStat(0, NodeStat.NR_ANON_TRANSPARENT_HUGEPAGES)).toBe(0);
    expect(k.nodeStat(0, NodeStat.NR_ANON_PAGES)).toBe(256);
    expect(k.nrPages(head)).toBe(1);
    expect(k.mem.refcount[k.slot(head + 255)]).toBe(1);
    expect(k.mem.refcount[k.slot(head + 256)]).toBe(0); // freed
    expect(mm.rssAnon()).toBe(256);
    check(k);
  });
});

describe('mlock', () => {
  it('mlock moves mapped pages to the unevictable list, populates the rest; munlock brings them back', () => {
    const start = mmap(k, mm, 8, { nohugepage: true });
    touch(k, mm, start, 4, true);
    mlock(k, mm, start, 8);
    expect(mm.rssAnon()).toBe(8);
    for (let i = 0; i < 8; i++) {
      const p = mm.pte.get(start + i)!;
      expect(flags(k, p) & (PG_mlocked | PG_unevictable)).toBe(PG_mlocked | PG_unevictable);
    }
    expect(k.nodeStat(0, NodeStat.NR_UNEVICTABLE)).toBe(8);
    expect(k.zoneOf(mm.pte.get(start)!).vmStat[ZoneStat.NR_MLOCK]).toBe(8);
    expect(ev(VmEvent.UNEVICTABLE_PGS_MLOCKED)).toBe(8);
    expect(ev(VmEvent.UNEVICTABLE_PGS_CULLED)).toBe(8);
    check(k);
    munlock(k, mm, start, 2);
    expect(ev(VmEvent.UNEVICTABLE_PGS_MUNLOCKED)).toBe(2);
    expect(ev(VmEvent.UNEVICTABLE_PGS_RESCUED)).toBe(2);
    expect(has(k, mm.pte.get(start)!, PG_unevictable)).toBe(false);
    expect(mm.vmas.length).toBe(2);
    check(k);
    munmap(k, mm, start, 8); // the locked part is munlocked on the way out
    expect(ev(VmEvent.UNEVICTABLE_PGS_MUNLOCKED)).toBe(8);
    expect(k.nodeStat(0, NodeStat.NR_UNEVICTABLE)).toBe(0);
    check(k);
  });

  it('MAP_LOCKED populates onto the unevictable list; mlock of unmapped memory is -ENOMEM', () => {
    const start = mmap(k, mm, 4, { locked: true, nohugepage: true });
    expect(k.nodeStat(0, NodeStat.NR_UNEVICTABLE)).toBe(4);
    expect(() => mlock(k, mm, start, 5)).toThrowError(expect.objectContaining({ code: -ENOMEM }));
    check(k);
  });

  it('reclaim cannot unmap a page of a VM_LOCKED vma', () => {
    swapon(k, 16);
    const start = mmap(k, mm, 1, { nohugepage: true });
    touch(k, mm, start, 1, true);
    const p = mm.pte.get(start)!;
    mlock(k, mm, start, 1);
    folioIsolateLru(k, p);
    k.mem.flags[k.slot(p)]! &= ~PG_mlocked; // as if the mlock had been missed
    k.zoneOf(p).vmStat[ZoneStat.NR_MLOCK]! -= 1;
    expect(addToSwap(k, p)).toBe(true);
    expect(tryToUnmapAnon(k, p)).toBe(false);
    expect(has(k, p, PG_mlocked)).toBe(true); // restored
  });
});

describe('swap out and in', () => {
  let start: number;
  beforeEach(() => {
    swapon(k, 64, { writeLatencyNs: 1000, readLatencyNs: 300 });
    start = mmap(k, mm, 16, { nohugepage: true });
    touch(k, mm, start, 16, true);
  });

  function swapOut(vpn: number): number {
    const pfn = mm.pte.get(vpn)!;
    expect(pageoutSwapBacked(k, pfn, null)).toBe(0);
    k.clock.runUntil(k.clock.now + 1000);
    freeSwapCacheFolio(k, pfn);
    return pteSwapEntry(mm.pte.get(vpn)!);
  }

  it('reclaim of an anon page: the PTE holds its swap entry, rss moves to swapents', () => {
    const pfn = mm.pte.get(start + 2)!;
    expect(pageoutSwapBacked(k, pfn, null)).toBe(0);
    const v = mm.pte.get(start + 2)!;
    expect(pteIsSwap(v)).toBe(true);
    expect(has(k, pfn, PG_swapcache)).toBe(true);
    expect(k.mem.mapcount[k.slot(pfn)]).toBe(0);
    expect(mm.rssAnon()).toBe(15);
    expect(mm.swapents()).toBe(1);
    expect(k.nodeStat(0, NodeStat.NR_ANON_PAGES)).toBe(15);
    expect(swapInfo(k)!.swapMap[pteSwapEntry(v)]).toBe(0x41); // one PTE + the cache
    check(k);
    k.clock.runUntil(1000);
    freeSwapCacheFolio(k, pfn);
    expect(swapInfo(k)!.swapMap[pteSwapEntry(v)]).toBe(1);
    check(k);
  });

  it('a write fault swaps it back in (major fault) and frees the slot', () => {
    const entry = swapOut(start + 5);
    const free = getNrSwapPages(k);
    const st = touch(k, mm, start + 5, 1, true);
    expect(st).toEqual({ faults: 1, majorFaults: 1, ioNs: 300 });
    expect(ev(VmEvent.PGMAJFAULT)).toBe(1);
    expect(ev(VmEvent.PSWPIN)).toBe(1);
    const pfn = mm.pte.get(start + 5)!;
    expect(pfn).toBeGreaterThanOrEqual(0);
    expect(k.mem.index[k.slot(pfn)]).toBe(start + 5);
    expect(has(k, pfn, PG_swapcache)).toBe(false);
    expect(getNrSwapPages(k)).toBe(free + 1);
    expect(swapInfo(k)!.swapMap[entry]).toBe(0);
    expect(mm.swapents()).toBe(0);
    check(k);
  });

  it('a read fault keeps the swap-cache copy (swap is not full)', () => {
    const entry = swapOut(start + 5);
    touch(k, mm, start + 5, 1, false);
    const pfn = mm.pte.get(start + 5)!;
    expect(has(k, pfn, PG_swapcache)).toBe(true);
    expect(swapInfo(k)!.swapMap[entry]).toBe(0x40);
    check(k);
    munmap(k, mm, start, 16); // zap frees the unmapped cache copy and the slot
    expect(getNrSwapPages(k)).toBe(63);
    check(k);
  });

  it('munmap of swapped-out memory frees the slots; exit frees everything', () => {
    swapOut(start);
    swapOut(start + 1);
    expect(getNrSwapPages(k)).toBe(61);
    munmap(k, mm, start, 1);
    expect(getNrSwapPages(k)).toBe(62);
    check(k);
    mm.kill();
    expect(mm.exited).toBe(true);
    expect(getNrSwapPages(k)).toBe(63);
    expect(k.nodeStat(0, NodeStat.NR_ANON_PAGES)).toBe(0);
    expect(k.owners.get(mm.id)).toBeUndefined();
    check(k);
  });

  it('pageReferenced tests and clears the accessed bit that touch() sets', () => {
    const pfn = mm.pte.get(start)!;
    expect(has(k, pfn, PG_young)).toBe(true);
    expect(pageReferenced(k, pfn)).toBe(1);
    expect(pageReferenced(k, pfn)).toBe(0);
    touch(k, mm, start, 1, false);
    expect(pageReferenced(k, pfn)).toBe(1);
    expect(has(k, pfn, PG_dirty)).toBe(true);
  });
});

describe('migration through the reverse map', () => {
  it('migrate_pages moves a mapped anon page and its PTE', () => {
    const start = mmap(k, mm, 4, { nohugepage: true });
    touch(k, mm, start, 4, true);
    mlock(k, mm, start + 1, 1);
    const src = [mm.pte.get(start)!, mm.pte.get(start + 1)!];
    for (const p of src) expect(folioIsolateLru(k, p)).toBe(true);
    const list = [...src];
    const rc = migratePages(k, list, {
      getNewPage: () => k.alloc.allocPages(GFP_HIGHUSER_MOVABLE | __GFP_COMP, 0),
      putNewPage: (p) => k.putPage(p),
    }, MigrateMode.SYNC, MigrateReason.SYSCALL);
    expect(rc).toBe(0);
    const moved = [mm.pte.get(start)!, mm.pte.get(start + 1)!];
    expect(moved[0]).not.toBe(src[0]);
    expect(k.mem.mapping[k.slot(moved[0]!)]).toBe(mm.id);
    expect(k.mem.index[k.slot(moved[1]!)]).toBe(start + 1);
    expect(has(k, moved[1]!, PG_mlocked)).toBe(true);
    expect(folioLruList(flags(k, moved[1]!))).toBe(LruList.UNEVICTABLE);
    expect(k.nodeStat(0, NodeStat.NR_ANON_PAGES)).toBe(4);
    expect(k.zoneOf(moved[1]!).vmStat[ZoneStat.NR_MLOCK]).toBe(1);
    expect(ev(VmEvent.PGMIGRATE_SUCCESS)).toBe(2);
    check(k);
  });

  it('a pinned page fails to migrate and keeps its mapping', () => {
    const start = mmap(k, mm, 1, { nohugepage: true });
    touch(k, mm, start, 1, true);
    const p = mm.pte.get(start)!;
    k.getPage(p); // a GUP pin
    folioIsolateLru(k, p);
    const list = [p];
    const rc = migratePages(k, list, {
      getNewPage: () => k.alloc.allocPages(GFP_HIGHUSER_MOVABLE | __GFP_COMP, 0),
      putNewPage: (q) => k.putPage(q),
    }, MigrateMode.ASYNC, MigrateReason.COMPACTION);
    expect(rc).toBeGreaterThan(0);
    expect(mm.pte.get(start)).toBe(p);
    expect(k.mem.mapcount[k.slot(p)]).toBe(1);
  });
});
