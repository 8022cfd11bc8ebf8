/**
 * Non-LRU movable pages (include/linux/migrate.h struct movable_operations, 6.1.192): a
 * driver (think zsmalloc or the balloon) owns pages it marked with __SetPageMovable();
 * compaction isolates them through isolate_movable_page() -> mops->isolate_page(), migrates
 * them with move_to_new_folio() -> mops->migrate_page(dst, src, mode), and on failure gives
 * them back with putback_movable_pages() -> mops->putback_page().
 *
 * The driver here behaves like balloon_page_migrate()/zs_page_migrate(): in migrate_page it
 * takes a reference on dst and marks it movable, moves its bookkeeping (and the page's
 * "contents") to dst, clears src's movable ops (__ClearPageMovable() keeps PAGE_MAPPING_MOVABLE,
 * i.e. __PageMovable stays true, here PG_movable stays set while mapping goes to 0) and drops
 * its reference on src.
 *
 * The machine: one 32 MiB Normal zone (16 pageblocks). The layout before compaction:
 * blocks 0-1 hold the driver's pages at even pfns (the odd pfns free), blocks 2-15 each hold
 * one plain (non-LRU, non-movable) allocated page and are otherwise free. compact_memory
 * (compact_node(): order -1, MIGRATE_SYNC, whole zone, ignore_skip_hint) then moves every
 * driver page to the top of the zone: the free scanner starts in block 15, whose 511 free
 * pages are below pageblock order (suitable_migration_target()), then block 14.
 */
import { describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { PAGEBLOCK_NR_PAGES, ZoneType } from '../../src/mm/constants.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import { EAGAIN, EBUSY, MigrateMode } from '../../src/mm/filemap.js';
import { GFP_HIGHUSER_MOVABLE, __GFP_NORETRY } from '../../src/mm/gfp.js';
import { Kernel } from '../../src/mm/kernel.js';
import type { MovableOperations, Owner } from '../../src/mm/owners.js';
import { PG_buddy, PG_isolated, PG_lru, PG_movable } from '../../src/mm/page_flags.js';
import { NodeStat, VmEvent } from '../../src/mm/vmstat.js';
import type { Zone } from '../../src/mm/zone.js';

/** isolate_mode_t bits (include/linux/mmzone.h:537-541). */
const ISOLATE_ASYNC_MIGRATE = 0x4;
const ISOLATE_UNEVICTABLE = 0x8;
/** NR_MAX_MIGRATE_PAGES_RETRY (mm/migrate.c:1490) */
const NR_MAX_MIGRATE_PAGES_RETRY = 10;

function machine(): Kernel {
  return new Kernel(
    loadMachineSpec('machine:\n  cpus: 1\n  pcp: false\n  thp: false\n  zones:\n    - { name: Normal, start_pfn: 0x100000, size: 32MiB }\n', 'm.yaml'),
  );
}

function normal(k: Kernel): Zone {
  return k.nodes[0]!.zones[ZoneType.NORMAL]!;
}

class Driver implements Owner {
  id = 0;
  readonly kind = 'kernel' as const;
  readonly name = 'zsmalloc';
  /** Page contents, by pfn: what the driver's bookkeeping says lives where. */
  readonly pages = new Map<number, number>();
  readonly isolateCalls: { pfn: number; mode: number; refcount: number }[] = [];
  readonly migrateCalls: { dst: number; src: number; mode: number; srcRef: number; dstRef: number; srcIsolated: boolean }[] = [];
  readonly putbackCalls: { pfn: number; refcount: number }[] = [];
  /** PageIsolated() as putback_page() saw it, by pfn. */
  readonly putbackIsolated = new Map<number, boolean>();
  /** Pages whose isolation the driver refuses. */
  readonly refuse = new Set<number>();
  /** migrate_page() result for a page (0 = MIGRATEPAGE_SUCCESS). */
  rcFor: (src: number) => number = () => 0;
  readonly movableOps: MovableOperations;

  constructor(private readonly k: Kernel) {
    const mem = k.mem;
    this.movableOps = {
      isolatePage: (pfn, mode) => {
        this.isolateCalls.push({ pfn, mode, refcount: mem.refcount[k.slot(pfn)]! });
        return !this.refuse.has(pfn);
      },
      migratePage: (dst, src, mode) => {
        const s = k.slot(src);
        const d = k.slot(dst);
        this.migrateCalls.push({ dst, src, mode, srcRef: mem.refcount[s]!, dstRef: mem.refcount[d]!, srcIsolated: (mem.flags[s]! & PG_isolated) !== 0 });
        const rc = this.rcFor(src);
        if (rc !== 0) return rc;
        k.getPage(dst); // the driver's reference moves to the new page
        mem.flags[d]! |= PG_movable; // __SetPageMovable(dst, mops)
        mem.mapping[d] = this.id;
        this.pages.set(dst, this.pages.get(src)!);
        this.pages.delete(src);
        mem.mapping[s] = 0; // __ClearPageMovable(src): PageMovable() false, __PageMovable() still true
        k.putPage(src);
        return 0;
      },
      putbackPage: (pfn) => {
        this.putbackCalls.push({ pfn, refcount: mem.refcount[k.slot(pfn)]! });
        this.putbackIsolated.set(pfn, (mem.flags[k.slot(pfn)]! & PG_isolated) !== 0);
      },
    };
  }

  /** Take over an allocated page: __SetPageMovable(), the allocation's reference is ours. */
  adopt(pfn: number, payload: number): void {
    const s = this.k.slot(pfn);
    this.k.mem.flags[s]! |= PG_movable;
    this.k.mem.mapping[s] = this.id;
    this.pages.set(pfn, payload);
  }
}

interface Scene {
  k: Kernel;
  zone: Zone;
  driver: Driver;
  /** The driver's pages before compaction, ascending. */
  before: number[];
}

function scene(): Scene {
  const k = machine();
  const zone = normal(k);
  const driver = k.owners.register(new Driver(k));
  const held: number[] = [];
  for (;;) {
    const pfn = k.alloc.allocPages(GFP_HIGHUSER_MOVABLE | __GFP_NORETRY, 0);
    if (pfn < 0) break;
    held.push(pfn);
  }
  held.sort((a, b) => a - b);
  const block = (pfn: number): number => Math.floor((pfn - zone.startPfn) / PAGEBLOCK_NR_PAGES);
  const plainKept = new Set<number>();
  const before: number[] = [];
  for (const pfn of held) {
    const b = block(pfn);
    if (b < 2 && (pfn & 1) === 0) {
      driver.adopt(pfn, 0x5eed0000 + (pfn - zone.startPfn));
      before.push(pfn);
    } else if (b >= 2 && !plainKept.has(b)) {
      plainKept.add(b); // the first allocated page of each upper block stays allocated
    } else {
      k.putPage(pfn);
    }
  }
  for (let b = 2; b < 16; b++) expect(plainKept.has(b)).toBe(true);
  return { k, zone, driver, before };
}

function blockOf(zone: Zone, pfn: number): number {
  return Math.floor((pfn - zone.startPfn) / PAGEBLOCK_NR_PAGES);
}

/** The driver's bookkeeping matches the memory map: every page movable, ours, one reference. */
function expectConsistent(k: Kernel, driver: Driver): void {
  for (const pfn of driver.pages.keys()) {
    const s = k.slot(pfn);
    expect(k.mem.flags[s]! & (PG_movable | PG_isolated | PG_buddy | PG_lru)).toBe(PG_movable);
    expect(k.mem.mapping[s]).toBe(driver.id);
    expect(k.mem.refcount[s]).toBe(1);
  }
  expect(k.nodeStat(0, NodeStat.NR_ISOLATED_ANON)).toBe(0);
  expect(k.nodeStat(0, NodeStat.NR_ISOLATED_FILE)).toBe(0);
  checkInvariants(k.alloc);
}

describe('compaction of non-LRU movable pages (isolate_movable_page, move_to_new_folio)', () => {
  it('isolates every driver page, migrates it through migrate_page(dst, src, MIGRATE_SYNC) and the bookkeeping follows', () => {
    const { k, zone, driver, before } = scene();
    expect(before).toHaveLength(512); // all even pfns of blocks 0-1
    const payloads = new Map([...driver.pages].map(([pfn, v]) => [v, pfn]));
    k.compaction.onStep = () => checkInvariants(k.alloc);
    k.compaction.compactMemory();
    k.compaction.onStep = null;

    // isolate_movable_page(): get_page_unless_zero() first, so isolate_page() sees the
    // driver's reference plus the isolation's.
    expect(driver.isolateCalls.map((c) => c.pfn).sort((a, b) => a - b)).toEqual(before);
    expect(driver.isolateCalls.every((c) => c.refcount === 2)).toBe(true);
    // One migrate_page() per page, in compact_node()'s mode; src isolated and referenced by
    // the driver and the isolation, dst fresh from compaction_alloc() (split_map_pages()'s
    // post_alloc_hook: refcount 1).
    expect(driver.migrateCalls).toHaveLength(512);
    expect(new Set(driver.migrateCalls.map((c) => c.src))).toEqual(new Set(before));
    for (const c of driver.migrateCalls) {
      expect(c.mode).toBe(MigrateMode.SYNC);
      expect(c.srcRef).toBe(2);
      expect(c.dstRef).toBe(1);
      expect(c.srcIsolated).toBe(true);
    }
    expect(driver.putbackCalls).toEqual([]);
    expect(k.alloc.events.get(VmEvent.PGMIGRATE_SUCCESS)).toBe(512);
    expect(k.alloc.events.get(VmEvent.PGMIGRATE_FAIL)).toBe(0);

    // The bookkeeping followed: same contents, new pfns, all at the top of the zone — block 15
    // gives its 511 free pages, block 14 the 512th.
    expect(driver.pages.size).toBe(512);
    expect(new Set(driver.pages.values())).toEqual(new Set(payloads.keys()));
    const blocks = new Map<number, number>();
    for (const pfn of driver.pages.keys()) blocks.set(blockOf(zone, pfn), (blocks.get(blockOf(zone, pfn)) ?? 0) + 1);
    expect(blocks).toEqual(new Map([[15, 511], [14, 1]]));
    expectConsistent(k, driver);
    // The old pages were freed: blocks 0-1 merged into one order-10 buddy.
    const s0 = k.slot(zone.startPfn);
    expect(k.mem.flags[s0]! & PG_buddy).toBe(PG_buddy);
    expect(k.mem.private[s0]).toBe(10);
  });

  it('a driver that refuses isolation keeps its page where it is; migrate/putback are never called for it', () => {
    const { k, zone, driver, before } = scene();
    const refused = before[5]!;
    driver.refuse.add(refused);
    k.compaction.compactMemory();
    expect(driver.isolateCalls.filter((c) => c.pfn === refused)).toHaveLength(1);
    expect(driver.migrateCalls.some((c) => c.src === refused)).toBe(false);
    expect(driver.putbackCalls).toEqual([]);
    // isolate_movable_page(): out_no_isolated -> put_page(): back to the driver's reference.
    expect(driver.pages.has(refused)).toBe(true);
    expect(blockOf(zone, refused)).toBe(0);
    expect(k.alloc.events.get(VmEvent.PGMIGRATE_SUCCESS)).toBe(511);
    expect(k.alloc.events.get(VmEvent.PGMIGRATE_FAIL)).toBe(0);
    expectConsistent(k, driver);
  });

  it('-EAGAIN from migrate_page is retried NR_MAX_MIGRATE_PAGES_RETRY times, then putback_page; the page stays', () => {
    const { k, driver, before } = scene();
    const stuck = before[40]!;
    driver.rcFor = (src) => (src === stuck ? -EAGAIN : 0);
    k.compaction.compactMemory();
    // migrate_pages_batch(): -EAGAIN keeps the folio on the list for the next of 10 passes.
    expect(driver.migrateCalls.filter((c) => c.src === stuck)).toHaveLength(NR_MAX_MIGRATE_PAGES_RETRY);
    // Then it is a failure (nr_failed += retry, nr_failed_pages += nr_retry_pages) and
    // compact_zone() calls putback_movable_pages(): putback_page() with the isolation
    // reference still held, then put_page().
    expect(driver.putbackCalls).toEqual([{ pfn: stuck, refcount: 2 }]);
    expect(k.alloc.events.get(VmEvent.PGMIGRATE_FAIL)).toBe(1);
    expect(k.alloc.events.get(VmEvent.PGMIGRATE_SUCCESS)).toBe(511);
    expect(driver.pages.has(stuck)).toBe(true);
    expectConsistent(k, driver);
  });

  it('another error (-EBUSY) is final at once: one call, one putback_page', () => {
    const { k, driver, before } = scene();
    const busy = before[300]!;
    driver.rcFor = (src) => (src === busy ? -EBUSY : 0);
    k.compaction.compactMemory();
    expect(driver.migrateCalls.filter((c) => c.src === busy)).toHaveLength(1);
    expect(driver.putbackCalls).toEqual([{ pfn: busy, refcount: 2 }]);
    expect(k.alloc.events.get(VmEvent.PGMIGRATE_FAIL)).toBe(1);
    expect(k.alloc.events.get(VmEvent.PGMIGRATE_SUCCESS)).toBe(511);
    expect(driver.pages.has(busy)).toBe(true);
    expectConsistent(k, driver);
  });

  it('a page the driver let go of while isolated counts as migrated, without migrate_page', () => {
    // migrate_folio_unmap() (mm/migrate.c:1250-1258): folio_ref_count(src) == 1, only the
    // isolation reference is left ("Folio was freed from under us"): migrate_folio_done()
    // releases it and migrate_pages_batch() counts MIGRATEPAGE_SUCCESS.
    const { k, driver, before } = scene();
    const gone = before[7]!;
    const ops = driver.movableOps;
    const isolate = ops.isolatePage;
    ops.isolatePage = (pfn, mode) => {
      const ok = isolate(pfn, mode);
      if (ok && pfn === gone) {
        // The driver frees its object: __ClearPageMovable() and its reference goes.
        k.mem.mapping[k.slot(pfn)] = 0;
        driver.pages.delete(pfn);
        k.putPage(pfn);
      }
      return ok;
    };
    k.compaction.compactMemory();
    expect(driver.migrateCalls.some((c) => c.src === gone)).toBe(false);
    expect(k.alloc.events.get(VmEvent.PGMIGRATE_SUCCESS)).toBe(512);
    expect(driver.pages.size).toBe(511);
    expectConsistent(k, driver);
  });

  // isolate_migratepages() (mm/compaction.c:1873-1875) builds isolate_mode =
  // (sysctl_compact_unevictable_allowed ? ISOLATE_UNEVICTABLE : 0) |
  // (cc->mode != MIGRATE_SYNC ? ISOLATE_ASYNC_MIGRATE : 0) and isolate_movable_page() passes it
  // to mops->isolate_page(page, mode) (mm/migrate.c:104). compact_memory runs MIGRATE_SYNC with
  // compact_unevictable_allowed = 1, so the driver sees ISOLATE_UNEVICTABLE (0x8). The model's
  // Compaction.isolateMovablePage() always passes 0.
  it('isolate_page() gets the isolate_mode_t of the compaction', () => {
    const { k, driver } = scene();
    expect(k.vm.compactUnevictableAllowed).toBe(true);
    k.compaction.compactMemory();
    expect(driver.isolateCalls.length).toBeGreaterThan(0);
    expect(new Set(driver.isolateCalls.map((c) => c.mode))).toEqual(new Set([ISOLATE_UNEVICTABLE]));
    expect(ISOLATE_ASYNC_MIGRATE).toBe(4);
  });

  // isolate_migratepages_block() queues an isolated page with list_add(&page->lru,
  // &cc->migratepages) (mm/compaction.c:1097): at the head. migrate_pages() walks the list from
  // the head, so within one isolation batch the page isolated last is migrated first. The model
  // pushes to the end of cc.migratepages, migrating in isolation (ascending pfn) order.
  it('within a batch, the last isolated page is migrated first (list_add at the head)', () => {
    const { k, driver } = scene();
    k.compaction.compactMemory();
    // The first batch is the first COMPACT_CLUSTER_MAX (32) driver pages of block 0.
    const firstBatch = driver.isolateCalls.slice(0, 32).map((c) => c.pfn);
    expect(driver.migrateCalls.slice(0, 32).map((c) => c.src)).toEqual([...firstBatch].reverse());
  });

  // putback_movable_pages() -> putback_movable_page() (mm/migrate.c:122-128, 154-160) calls
  // mops->putback_page(page) first and ClearPageIsolated(page) after it, so the driver's
  // putback_page() still sees PageIsolated(). The model's putbackMovablePages() clears
  // PG_isolated before calling putbackPage().
  it('putback_page() runs while the page is still PageIsolated()', () => {
    const { k, driver, before } = scene();
    const stuck = before[40]!;
    driver.rcFor = (src) => (src === stuck ? -EBUSY : 0);
    k.compaction.compactMemory();
    expect(driver.putbackIsolated.get(stuck)).toBe(true);
  });
});
