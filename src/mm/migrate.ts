/**
 * Moving one folio's identity to a new page (mm/migrate.c): the expected-refcount check that
 * makes a pinned page fail with -EAGAIN, the page-cache entry swap, and the flag copy. The
 * migrate_pages() loop and isolation build on these.
 */
import type { Kernel } from './kernel.js';
import { type AddressSpace, EAGAIN, type MigrateMode } from './filemap.js';
import {
  PG_active, PG_anon, PG_dirty, PG_mlocked, PG_referenced, PG_swapbacked, PG_swapcache, PG_unevictable,
  PG_young,
} from './page_flags.js';

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

/** folio_migrate_flags(): the LRU and state flags the new folio inherits. */
export function folioMigrateFlags(k: Kernel, dst: number, src: number): void {
  const mem = k.mem;
  const s = k.slot(src);
  const d = k.slot(dst);
  const moved = PG_referenced | PG_active | PG_unevictable | PG_young | PG_mlocked;
  mem.flags[d]! |= mem.flags[s]! & moved;
  mem.flags[s]! &= ~(PG_active | PG_unevictable | PG_mlocked | PG_swapcache);
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
