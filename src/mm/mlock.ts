/**
 * Page-level mlock (mm/mlock.c, 6.1): PG_mlocked, NR_MLOCK and the unevictable LRU. The
 * mlock()/munlock() system calls that walk a process's range are in memory.ts.
 *
 * Simplifications: no per-cpu mlock pagevec (each operation lands at once, as if
 * mlock_page_drain_local() always ran); page->mlock_count is not kept, because an anonymous
 * page is mapped by one mm only (no fork), so it is 0 or 1 and one munlock ends it.
 */
import type { Kernel } from './kernel.js';
import { folioEvictable, lruAdd, lruDel } from './lru.js';
import { PG_lru, PG_mlocked, PG_unevictable } from './page_flags.js';
import { VmEvent, ZoneStat } from './vmstat.js';

function modMlock(k: Kernel, pfn: number, nr: number): void {
  k.zoneOf(pfn).vmStat[ZoneStat.NR_MLOCK]! += nr;
}

/**
 * mlock_folio() + __mlock_page(): set PG_mlocked (nr_mlock, unevictable_pgs_mlocked); a
 * folio on an evictable LRU list moves to the unevictable one (unevictable_pgs_culled). A
 * folio off the LRU (isolated) only gets the flag; putback files it as unevictable.
 */
export function mlockFolio(k: Kernel, pfn: number): void {
  const s = k.slot(pfn);
  const nr = k.nrPages(pfn);
  if ((k.mem.flags[s]! & PG_mlocked) === 0) {
    k.mem.flags[s]! |= PG_mlocked;
    modMlock(k, pfn, nr);
    k.alloc.events.add(VmEvent.UNEVICTABLE_PGS_MLOCKED, nr);
  }
  if ((k.mem.flags[s]! & PG_lru) === 0) return;
  if ((k.mem.flags[s]! & PG_unevictable) !== 0) return; // (mlock_count++)
  lruDel(k, pfn);
  lruAdd(k, pfn); // not evictable now: PG_unevictable, off the active list
  k.alloc.events.add(VmEvent.UNEVICTABLE_PGS_CULLED, nr);
}

/**
 * mlock_new_page() + __mlock_new_page(): a new page faulted into a VM_LOCKED vma goes
 * straight onto the unevictable list (folio_add_lru_vma()).
 */
export function mlockNewPage(k: Kernel, pfn: number): void {
  const s = k.slot(pfn);
  const nr = k.nrPages(pfn);
  k.mem.flags[s]! |= PG_mlocked;
  modMlock(k, pfn, nr);
  k.alloc.events.add(VmEvent.UNEVICTABLE_PGS_MLOCKED, nr);
  lruAdd(k, pfn);
  k.alloc.events.add(VmEvent.UNEVICTABLE_PGS_CULLED, nr);
}

/**
 * munlock_page() + __munlock_page(): clear PG_mlocked (nr_mlock; unevictable_pgs_munlocked,
 * or _stranded for an unevictable folio that is off the LRU), and move a folio on the
 * unevictable list back to an evictable one if nothing else keeps it there (_rescued).
 */
export function munlockFolio(k: Kernel, pfn: number): void {
  const s = k.slot(pfn);
  const nr = k.nrPages(pfn);
  const onLru = (k.mem.flags[s]! & PG_lru) !== 0;
  if ((k.mem.flags[s]! & PG_mlocked) !== 0) {
    k.mem.flags[s]! &= ~PG_mlocked;
    modMlock(k, pfn, -nr);
    const stranded = !onLru && (k.mem.flags[s]! & PG_unevictable) !== 0;
    k.alloc.events.add(stranded ? VmEvent.UNEVICTABLE_PGS_STRANDED : VmEvent.UNEVICTABLE_PGS_MUNLOCKED, nr);
  }
  if (onLru && (k.mem.flags[s]! & PG_unevictable) !== 0 && folioEvictable(k, pfn)) {
    lruDel(k, pfn);
    lruAdd(k, pfn);
    k.alloc.events.add(VmEvent.UNEVICTABLE_PGS_RESCUED, nr);
  }
}
