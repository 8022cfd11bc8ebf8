/**
 * Long-term pins of user memory (mm/gup.c, 6.1): pin_user_pages() with FOLL_LONGTERM faults an
 * anonymous range in and pins it, and check_and_migrate_movable_pages() first moves pages that
 * must not stay pinned for long — those in ZONE_MOVABLE, which has to stay migratable — out of
 * the way with migrate_pages(MIGRATE_SYNC, MR_LONGTERM_PIN): the second migration caller
 * besides compaction.
 *
 * Simplifications: a pin is one page reference (the kernel adds GUP_PIN_COUNTING_BIAS, 1024);
 * folio_migrate_mapping()'s reference check fails on either. The faults run as ordinary ones:
 * memalloc_pin_save()'s PF_MEMALLOC_PIN (which drops __GFP_MOVABLE from them) is not modelled.
 */
import { ZoneType } from './constants.js';
import { touch } from './fault.js';
import { MigrateMode } from './filemap.js';
import { GFP_TRANSHUGE, GFP_USER, __GFP_HIGHMEM, __GFP_MOVABLE, __GFP_NOWARN, __GFP_RECLAIM } from './gfp.js';
import { compoundHead } from './huge_memory.js';
import type { Kernel } from './kernel.js';
import { folioIsolateLru } from './lru.js';
import type { MmStruct } from './memory.js';
import { MigrateReason, type MigrationTarget, migratePages, putbackMovablePages } from './migrate.js';
import { ENOMEM, MmError } from './mm_error.js';

const EAGAIN_RC = -11;
const ENOMEM_RC = -ENOMEM;

/** folio_is_longterm_pinnable(): no CMA or device memory here, so: not in ZONE_MOVABLE. */
export function folioIsLongtermPinnable(k: Kernel, pfn: number): boolean {
  return k.zoneOf(pfn).type !== ZoneType.MOVABLE;
}

/**
 * pin_user_pages(start, count, FOLL_WRITE | FOLL_LONGTERM) on an anonymous range of `mm`:
 * __gup_longterm_locked()'s loop of pin, check and migrate, and pin again. Returns the pinned
 * pfns, one per page; throws MmError(-ENOMEM) when migration failed.
 */
export function pinUserPagesLongterm(k: Kernel, mm: MmStruct, start: number, count: number): number[] {
  for (;;) {
    const pages = getUserPagesPinned(k, mm, start, count);
    const rc = checkAndMigrateMovablePages(k, pages);
    if (rc === 0) return pages;
    if (rc !== EAGAIN_RC) throw new MmError(rc, `pin_user_pages: migrating the range out of ZONE_MOVABLE failed`);
  }
}

/** unpin_user_pages() */
export function unpinUserPages(k: Kernel, pages: readonly number[]): void {
  for (const pfn of pages) k.putPage(compoundHead(k, pfn));
}

/** __get_user_pages_locked() with FOLL_PIN | FOLL_WRITE: fault the range in, pin each page's folio. */
function getUserPagesPinned(k: Kernel, mm: MmStruct, start: number, count: number): number[] {
  touch(k, mm, start, count, true);
  const pages: number[] = [];
  for (let vpn = start; vpn < start + count; vpn++) {
    const pfn = mm.pte.get(vpn)!;
    k.getPage(compoundHead(k, pfn));
    pages.push(pfn);
  }
  return pages;
}

/**
 * check_and_migrate_movable_pages(): collect_longterm_unpinnable_pages() isolates the folios
 * that may not be pinned; if there are any, migrate_longterm_unpinnable_pages() unpins the
 * whole range and migrates them. Returns 0 (all pinnable, pins kept), -EAGAIN (migrated: pin
 * again) or -ENOMEM (migration failed).
 */
function checkAndMigrateMovablePages(k: Kernel, pages: number[]): number {
  const movable: number[] = [];
  let collected = 0;
  let prev = -1;
  for (const pfn of pages) {
    const folio = compoundHead(k, pfn);
    if (folio === prev) continue;
    prev = folio;
    if (folioIsLongtermPinnable(k, folio)) continue;
    collected++;
    if (folioIsolateLru(k, folio)) movable.push(folio);
  }
  if (!collected) return 0;
  unpinUserPages(k, pages);
  pages.length = 0;
  if (movable.length && migratePages(k, movable, longtermTarget(k), MigrateMode.SYNC, MigrateReason.LONGTERM_PIN)) {
    putbackMovablePages(k, movable);
    return ENOMEM_RC;
  }
  putbackMovablePages(k, movable);
  return EAGAIN_RC;
}

/**
 * alloc_migration_target() with { nid: NUMA_NO_NODE, gfp_mask: GFP_USER | __GFP_NOWARN }: the
 * source folio's order on its node; a ZONE_MOVABLE source adds __GFP_HIGHMEM. The allocation
 * runs under memalloc_pin_save(): current_gfp_context() drops __GFP_MOVABLE (which
 * GFP_TRANSHUGE brings for a THP), so the new folio never lands in ZONE_MOVABLE.
 */
function longtermTarget(k: Kernel): MigrationTarget {
  return {
    getNewPage: (src: number): number => {
      let gfp = GFP_USER | __GFP_NOWARN;
      const order = k.mem.order[k.slot(src)]!;
      const large = k.nrPages(src) > 1;
      if (large) gfp = (gfp & ~__GFP_RECLAIM) | GFP_TRANSHUGE;
      if (k.zoneOf(src).type === ZoneType.MOVABLE) gfp |= __GFP_HIGHMEM;
      gfp &= ~__GFP_MOVABLE; // PF_MEMALLOC_PIN
      return k.alloc.allocPages(gfp, large ? order : 0, k.zoneOf(src).nid);
    },
    putNewPage: (dst: number): void => k.putPage(dst),
  };
}
