/**
 * Moving one folio's identity to a new page (mm/migrate.c): the expected-refcount check that
 * makes a pinned page fail with -EAGAIN, the page-cache entry swap, and the flag copy. The
 * migrate_pages() loop and isolation build on these.
 */
import { COMPACTION_COST } from './compaction_cost.js';
import type { Kernel } from './kernel.js';
import { splitHugePage } from './huge_memory.js';
import { folioWaitWriteback } from './page_io.js';
import { type AddressSpace, EAGAIN, EBUSY, ENOMEM, MigrateMode } from './filemap.js';
import { folioPutbackLru, lruAdd } from './lru.js';
import {
  PG_active, PG_anon, PG_dirty, PG_isolated, PG_movable, PG_referenced, PG_swapbacked, PG_swapcache, PG_unevictable,
  PG_writeback, PG_young,
} from './page_flags.js';
import { NodeStat, VmEvent } from './vmstat.js';

export const MIGRATEPAGE_SUCCESS = 0;

/** folio_expected_refs(): the migrator's reference, plus the mapping's per page. */
export function folioExpectedRefs(k: Kernel, mapping: AddressSpace | null, pfn: number): number {
  if (!mapping) return 1;
  return 1 + k.nrPages(pfn);
}

/**
 * folio_migrate_mapping(): fail with -EAGAIN unless src holds exactly the expected references
 * (plus extraCount); then dst takes over src's index, mapping, cache slot and dirty state.
 */
export function folioMigrateMapping(k: Kernel, mapping: AddressSpace | null, dst: number, src: number, extraCount: number): number {
  const mem = k.mem;
  const s = k.slot(src);
  const d = k.slot(dst);
  const expected = folioExpectedRefs(k, mapping, src) + extraCount;
  if (mem.refcount[s] !== expected) return -EAGAIN;
  const nr = k.nrPages(src);
  mem.index[d] = mem.index[s]!;
  mem.mapping[d] = mem.mapping[s]!;
  const carried = mem.flags[s]! & (PG_swapbacked | PG_anon);
  mem.flags[d]! |= carried;
  if (!mapping) return MIGRATEPAGE_SUCCESS;
  k.getPage(dst, nr); // the cache reference moves to dst
  const swapcache = (mem.flags[s]! & PG_swapcache) !== 0;
  if (swapcache) {
    mem.flags[d]! |= PG_swapcache;
    for (let i = 0; i < nr; i++) mem.private[d + i] = mem.private[s + i]!;
  }
  if ((mem.flags[s]! & PG_dirty) !== 0) {
    mem.flags[s]! &= ~PG_dirty;
    mem.flags[d]! |= PG_dirty;
  }
  // The xarray slot(s): a swap-cache folio is indexed by its swap entry, others by page index.
  const index = swapcache ? mem.private[s]! : mem.index[s]!;
  for (let i = 0; i < nr; i++) mapping.iPages.set(index + i, dst + i);
  mem.refcount[s] = expected - nr; // folio_ref_unfreeze(): src keeps only the migrator's references
  return MIGRATEPAGE_SUCCESS;
}

/**
 * folio_migrate_flags(): the state flags the new folio inherits. PG_dirty is copied if
 * folio_migrate_mapping() has not moved it (anon pages); PG_mlocked is not copied (the old
 * folio was munlocked when unmapped and remove_migration_ptes() mlocks the new one).
 */
export function folioMigrateFlags(k: Kernel, dst: number, src: number): void {
  const mem = k.mem;
  const s = k.slot(src);
  const d = k.slot(dst);
  const f = mem.flags[s]!;
  let moved = f & (PG_referenced | PG_young | PG_dirty);
  if ((f & PG_active) !== 0) moved |= PG_active;
  else moved |= f & PG_unevictable;
  mem.flags[d]! |= moved;
  mem.flags[s]! &= ~((moved & (PG_active | PG_unevictable)) | PG_swapcache);
}

/**
 * migrate_folio(): the generic ->migrate_folio for mappings without private data
 * (4.9: migrate_page()). The mode does not matter here.
 */
export function migrateFolio(k: Kernel, mapping: AddressSpace | null, dst: number, src: number, _mode: MigrateMode): number {
  const rc = folioMigrateMapping(k, mapping, dst, src, 0);
  if (rc !== MIGRATEPAGE_SUCCESS) return rc;
  folioMigrateFlags(k, dst, src);
  return MIGRATEPAGE_SUCCESS;
}

/** enum migrate_reason (include/linux/migrate_mode.h) with the names mm_migrate_pages prints. */
export enum MigrateReason {
  COMPACTION,
  MEMORY_FAILURE,
  MEMORY_HOTPLUG,
  SYSCALL,
  MEMPOLICY_MBIND,
  NUMA_MISPLACED,
  CONTIG_RANGE,
  LONGTERM_PIN,
  DEMOTION,
}
export const MIGRATE_REASON_NAMES = [
  'compaction', 'memory_failure', 'memory_hotplug', 'syscall_or_cpuset', 'mempolicy_mbind', 'numa_misplaced',
  'contig_range', 'longterm_pin', 'demotion',
] as const;
/** __print_symbolic(mode, MIGRATE_MODE): MIGRATE_SYNC_NO_COPY is not in the table, so its value prints in hex. */
export const MIGRATE_MODE_NAMES = ['MIGRATE_ASYNC', 'MIGRATE_SYNC_LIGHT', 'MIGRATE_SYNC', '0x3'] as const;

/** NR_MAX_MIGRATE_PAGES_RETRY: passes over the list before -EAGAIN failures are final. */
export const NR_MAX_MIGRATE_PAGES_RETRY = 10;

/** new_page_t / free_page_t: where destination pages come from and go back to. */
export interface MigrationTarget {
  /** A free destination page for src, or -1 (-ENOMEM). */
  getNewPage(src: number): number;
  /** Give back a destination page that was not used. */
  putNewPage(dst: number): void;
}

export interface MigrateStats {
  nrSucceeded: number;
  nrFailedPages: number;
  nrThpSucceeded: number;
  nrThpFailed: number;
  nrThpSplit: number;
  /** The call's cost in ns (COMPACTION_COST): attempts, copies, unmaps and writeback waits. */
  durationNs: number;
}

export function newMigrateStats(): MigrateStats {
  return { nrSucceeded: 0, nrFailedPages: 0, nrThpSucceeded: 0, nrThpFailed: 0, nrThpSplit: 0, durationNs: 0 };
}

const MIGRATEPAGE_UNMAP = 1;
const ENOMEM_RC = -ENOMEM;
const ENOSYS_RC = -38;

/** folio_mapping(): the address_space whose ->migrate_folio applies, or null for plain anon. */
export function folioMapping(k: Kernel, pfn: number): AddressSpace | null {
  const s = k.slot(pfn);
  const flags = k.mem.flags[s]!;
  if ((flags & PG_swapcache) !== 0) return k.swapCache;
  if ((flags & PG_anon) !== 0) return null;
  const owner = k.owners.get(k.mem.mapping[s]!);
  return owner && 'aops' in owner ? (owner as AddressSpace) : null;
}

/** fallback_migrate_folio(): for mappings without ->migrate_folio. */
function fallbackMigrateFolio(k: Kernel, mapping: AddressSpace, dst: number, src: number, mode: MigrateMode): number {
  if ((k.mem.flags[k.slot(src)]! & PG_dirty) !== 0) {
    // Sync modes would write the page out first (writeout()); the model reports busy either way.
    return mode === MigrateMode.SYNC || mode === MigrateMode.SYNC_NO_COPY ? -EAGAIN : -EBUSY;
  }
  return migrateFolio(k, mapping, dst, src, mode);
}

/** move_to_new_folio() */
function moveToNewFolio(k: Kernel, dst: number, src: number, mode: MigrateMode): number {
  const s = k.slot(src);
  if ((k.mem.flags[s]! & PG_movable) !== 0) {
    const ops = k.owners.get(k.mem.mapping[s]!)?.movableOps;
    if (!ops) return MIGRATEPAGE_SUCCESS; // the driver let go of it meanwhile (!folio_test_movable)
    const rc = ops.migratePage(dst, src, mode);
    if (rc === MIGRATEPAGE_SUCCESS) k.mem.flags[s]! &= ~PG_isolated;
    return rc;
  }
  const mapping = folioMapping(k, src);
  if (!mapping) return migrateFolio(k, null, dst, src, mode);
  if (mapping.aops.migrateFolio) return mapping.aops.migrateFolio(k, mapping, dst, src, mode);
  return fallbackMigrateFolio(k, mapping, dst, src, mode);
}

/** migrate_folio_done(): the source is done with; drop the isolation reference (frees it). */
function migrateFolioDone(k: Kernel, src: number): void {
  const s = k.slot(src);
  if ((k.mem.flags[s]! & PG_movable) === 0) {
    const file = (k.mem.flags[s]! & PG_swapbacked) === 0;
    k.modNodeStat(src, file ? NodeStat.NR_ISOLATED_FILE : NodeStat.NR_ISOLATED_ANON, -k.nrPages(src));
  }
  k.mem.flags[s]! &= ~PG_isolated;
  k.putPage(src);
}

/**
 * migrate_pages() / migrate_pages_batch(): up to NR_MAX_MIGRATE_PAGES_RETRY passes over the
 * isolated folios in `from`; -EAGAIN retries on the next pass, any other error is final for
 * this call, -ENOMEM ends it. A THP that finds no destination (-ENOMEM) is split instead
 * (try_split_folio(), nr_thp_split) and its pages are migrated in a round of their own after
 * the passes, whose failures are not counted as folios (no_split_folio_counting). On return
 * `from` holds the folios that were not migrated, for the caller to put back. Returns the
 * number of folios that failed (0 when all moved), or -ENOMEM.
 */
export function migratePages(
  k: Kernel,
  from: number[],
  target: MigrationTarget,
  mode: MigrateMode,
  reason: MigrateReason,
  stats: MigrateStats = newMigrateStats(),
): number {
  if (k.eventTrace) k.traceEvent('mm_migrate_pages_start', `mode=${MIGRATE_MODE_NAMES[mode]} reason=${MIGRATE_REASON_NAMES[reason]}`);
  const failedForGood: number[] = [];
  const nosplit = reason === MigrateReason.NUMA_MISPLACED;
  let splitFolios: number[] = [];
  let noSplitFolioCounting = false;
  let retry = 1;
  let thpRetry = 0;
  let nrFailed = 0;
  let nrRetryPages = 0;
  let rc = 0;
  let list = from.splice(0, from.length);
  round: for (;;) {
    outer: for (let pass = 0; pass < NR_MAX_MIGRATE_PAGES_RETRY && retry; pass++) {
      retry = 0;
      thpRetry = 0;
      nrRetryPages = 0;
      const again: number[] = [];
      for (let i = 0; i < list.length; i++) {
        const src = list[i]!;
        const nr = k.nrPages(src);
        const isThp = nr > 1;
        const r = migrateOneFolio(k, src, target, pass > 2, mode, stats);
        switch (r) {
          case MIGRATEPAGE_SUCCESS:
            stats.nrSucceeded += nr;
            if (isThp) stats.nrThpSucceeded++;
            break;
          case -EAGAIN:
            // A large folio counts in large_retry, which keeps the passes going like retry.
            if (isThp) thpRetry++;
            if (isThp || !noSplitFolioCounting) retry++;
            nrRetryPages += nr;
            again.push(src);
            break;
          case ENOMEM_RC:
            if (isThp && !nosplit) {
              const split = trySplitFolio(k, src, splitFolios);
              if (split === 0) {
                nrFailed++;
                stats.nrThpFailed++;
                stats.nrThpSplit++;
                break;
              }
              if (split === -EAGAIN && reason === MigrateReason.LONGTERM_PIN) {
                // Try the split again on the next pass, to let the long-term pin succeed.
                retry++;
                thpRetry++;
                nrRetryPages += nr;
                again.push(src);
                break;
              }
            }
            if (isThp) stats.nrThpFailed++;
            if (isThp || !noSplitFolioCounting) nrFailed++;
            // Out of destination pages: everything not yet migrated fails for this call.
            stats.nrThpFailed += thpRetry;
            stats.nrFailedPages += nr + nrRetryPages;
            failedForGood.push(src, ...again, ...list.slice(i + 1), ...splitFolios);
            splitFolios = [];
            list = [];
            rc = -ENOMEM;
            break outer;
          default:
            if (isThp) stats.nrThpFailed++;
            if (isThp || !noSplitFolioCounting) nrFailed++;
            stats.nrFailedPages += nr;
            failedForGood.push(src);
            break;
        }
      }
      list = again;
    }
    if (rc !== 0) break;
    nrFailed += retry;
    stats.nrThpFailed += thpRetry;
    stats.nrFailedPages += nrRetryPages;
    if (!splitFolios.length) break round;
    // Migrate the pages of the split THPs; what is left of this round is done with.
    failedForGood.push(...list);
    list = splitFolios;
    splitFolios = [];
    noSplitFolioCounting = true;
    retry = 1;
  }
  if (rc === 0) rc = nrFailed;
  from.push(...failedForGood, ...list);
  const ev = k.alloc.events;
  ev.add(VmEvent.PGMIGRATE_SUCCESS, stats.nrSucceeded);
  ev.add(VmEvent.PGMIGRATE_FAIL, stats.nrFailedPages);
  ev.add(VmEvent.THP_MIGRATION_SUCCESS, stats.nrThpSucceeded);
  ev.add(VmEvent.THP_MIGRATION_FAIL, stats.nrThpFailed);
  ev.add(VmEvent.THP_MIGRATION_SPLIT, stats.nrThpSplit);
  // Its cost is the current task's stall (the model does not delay the task).
  const stall = k.compaction.stall;
  stall.migrationNs += stats.durationNs;
  stall.charge(k.current, stats.durationNs);
  if (k.eventTrace) {
    k.traceEvent(
      'mm_migrate_pages',
      `nr_succeeded=${stats.nrSucceeded} nr_failed=${stats.nrFailedPages} nr_thp_succeeded=${stats.nrThpSucceeded} ` +
        `nr_thp_failed=${stats.nrThpFailed} nr_thp_split=${stats.nrThpSplit} mode=${MIGRATE_MODE_NAMES[mode]} reason=${MIGRATE_REASON_NAMES[reason]}`,
    );
  }
  return from.length === 0 ? 0 : rc;
}

/** migrate_folio_unmap() + migrate_folio_move() for one folio; its cost is added to stats. */
function migrateOneFolio(k: Kernel, src: number, target: MigrationTarget, force: boolean, mode: MigrateMode, stats: MigrateStats): number {
  const mem = k.mem;
  const s = k.slot(src);
  stats.durationNs += COMPACTION_COST.migrateAttemptNs;
  if (mem.refcount[s] === 1) {
    // Freed under us: only the isolation reference is left.
    mem.flags[s]! &= ~(PG_active | PG_unevictable);
    migrateFolioDone(k, src);
    return MIGRATEPAGE_SUCCESS;
  }
  const nr = k.nrPages(src);
  if (nr > 1 && !THP_MIGRATION_SUPPORTED) return ENOSYS_RC;
  const dst = target.getNewPage(src);
  if (dst < 0) return ENOMEM_RC;
  const owner = k.owners.get(mem.mapping[s]!);
  let rc = migrateFolioUnmap(k, src, mode, force, stats);
  if (rc >= MIGRATEPAGE_UNMAP) {
    const wasMapped = rc === MIGRATEPAGE_UNMAP + 1;
    const movable = (mem.flags[s]! & PG_movable) !== 0;
    rc = moveToNewFolio(k, dst, src, mode);
    if (rc === MIGRATEPAGE_SUCCESS && !movable) lruAdd(k, dst);
    if (wasMapped) owner?.removeMigrationPtes?.(src, rc === MIGRATEPAGE_SUCCESS ? dst : src);
    if (rc === MIGRATEPAGE_SUCCESS) {
      stats.durationNs += nr * COMPACTION_COST.copyNsPerPage;
      k.putPage(dst); // the allocation's reference; the mapping and page tables hold theirs
      migrateFolioDone(k, src);
      return rc;
    }
  }
  target.putNewPage(dst);
  return rc;
}

/**
 * try_split_folio(): split an isolated anonymous THP; its pages, each isolated, join `list`
 * (tails from the last, as __split_huge_page() adds them, then the head). Returns 0, or
 * -EAGAIN while something else holds a reference (-EBUSY for a non-anonymous folio, which
 * the model has none of).
 */
function trySplitFolio(k: Kernel, pfn: number, list: number[]): number {
  if ((k.mem.flags[k.slot(pfn)]! & PG_anon) === 0) return -EBUSY;
  const tails: number[] = [];
  const rc = splitHugePage(k, pfn, (t) => tails.push(t));
  if (rc !== 0) return rc;
  for (let i = tails.length - 1; i >= 0; i--) list.push(tails[i]!);
  list.push(pfn);
  return 0;
}

/** x86-64 with THP: CONFIG_ARCH_ENABLE_THP_MIGRATION is set. */
const THP_MIGRATION_SUPPORTED = true;

/**
 * __migrate_folio_unmap(): the writeback rule by mode, then try_to_migrate() for a mapped
 * folio. Returns MIGRATEPAGE_UNMAP (+1 if the folio was mapped) or -errno. A folio under
 * writeback is waited for only in the full sync modes once the retries are forced (pass > 2);
 * the wait completes the I/O at once and its remaining latency is charged to the call.
 */
function migrateFolioUnmap(k: Kernel, src: number, mode: MigrateMode, force: boolean, stats: MigrateStats): number {
  const s = k.slot(src);
  const flags = k.mem.flags[s]!;
  if ((flags & PG_writeback) !== 0) {
    if (mode !== MigrateMode.SYNC && mode !== MigrateMode.SYNC_NO_COPY) return -EBUSY;
    if (!force) return -EAGAIN;
    stats.durationNs += folioWaitWriteback(k, src);
  }
  if ((flags & PG_movable) !== 0) return MIGRATEPAGE_UNMAP;
  if (k.mem.mapcount[s]! > 0) {
    const owner = k.owners.get(k.mem.mapping[s]!);
    stats.durationNs += k.nrPages(src) * COMPACTION_COST.unmapNsPerPage;
    owner?.tryToMigrate?.(src);
    if (k.mem.mapcount[s]! > 0) {
      owner?.removeMigrationPtes?.(src, src);
      return -EAGAIN;
    }
    return MIGRATEPAGE_UNMAP + 1;
  }
  return MIGRATEPAGE_UNMAP;
}

/** putback_movable_pages(): return folios that were not migrated to where they came from. */
export function putbackMovablePages(k: Kernel, list: number[]): void {
  for (const pfn of list) {
    const s = k.slot(pfn);
    if ((k.mem.flags[s]! & PG_movable) !== 0) {
      const ops = k.owners.get(k.mem.mapping[s]!)?.movableOps;
      if (ops) ops.putbackPage(pfn); // still PageIsolated() while the driver takes it back
      k.mem.flags[s]! &= ~PG_isolated;
      k.putPage(pfn);
    } else {
      folioPutbackLru(k, pfn);
    }
  }
  list.length = 0;
}
