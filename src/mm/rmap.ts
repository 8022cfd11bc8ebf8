/**
 * The reverse map of anonymous pages (mm/rmap.c, 6.1), for reclaim and migration. An
 * anonymous folio is mapped by one mm only (no fork), at page->index in the mm named by
 * page->mapping, so every rmap walk visits at most one PTE (or one huge PMD).
 */
import { VM_LOCKED, HPAGE_PMD_NR } from './huge_memory.js';
import type { Kernel } from './kernel.js';
import type { MmStruct } from './memory.js';
import { mlockFolio, munlockFolio } from './mlock.js';
import { PG_anon, PG_swapbacked, PG_swapcache, PG_young } from './page_flags.js';
import { migrationPte, swapPte } from './pte.js';
import { swapDuplicate } from './swapfile.js';
import { NodeStat } from './vmstat.js';

/** The mm mapping an anonymous folio (folio_anon_vma()), or null. */
export function folioAnonMm(k: Kernel, pfn: number): MmStruct | null {
  const owner = k.owners.get(k.mem.mapping[k.slot(pfn)]!);
  return owner && owner.kind === 'anon' && 'pte' in owner ? (owner as MmStruct) : null;
}

/**
 * folio_referenced() approximated for reclaim: test and clear the accessed bit (PG_young,
 * which touch() sets) of the folio's one mapping; 1 if it was set, else 0. A folio mapped in
 * a VM_LOCKED vma is mlocked instead (mlock_vma_folio(), the kernel's VM_LOCKED report) and
 * 0 is returned: the caller should then find it unevictable. Unmapped folios return 0.
 */
export function pageReferenced(k: Kernel, pfn: number): number {
  const s = k.slot(pfn);
  if (k.mem.mapcount[s] === 0) return 0;
  const mm = folioAnonMm(k, pfn);
  if (!mm) return 0;
  const vma = mm.findVma(k.mem.index[s]!);
  if (vma && (vma.flags & VM_LOCKED) !== 0) {
    mlockFolio(k, pfn);
    return 0;
  }
  if ((k.mem.flags[s]! & PG_young) === 0) return 0;
  k.mem.flags[s]! &= ~PG_young;
  return 1;
}

/** page_remove_rmap() of the folio's one mapping. */
function removeRmap(k: Kernel, mm: MmStruct, pfn: number, locked: boolean): void {
  const s = k.slot(pfn);
  const nr = k.nrPages(pfn);
  k.mem.mapcount[s] = 0;
  if (nr > 1 && mm.hugePmds.has(Math.floor(k.mem.index[s]! / HPAGE_PMD_NR))) {
    k.modNodeStat(pfn, NodeStat.NR_ANON_TRANSPARENT_HUGEPAGES, -nr);
  }
  k.modNodeStat(pfn, NodeStat.NR_ANON_PAGES, -nr);
  if (locked) munlockFolio(k, pfn);
}

/**
 * try_to_unmap() of an anonymous folio for reclaim, after add_to_swap(): its PTE becomes the
 * folio's swap entry (swap_duplicate(), MM_ANONPAGES -> MM_SWAPENTS), the mapping's reference
 * and NR_ANON_PAGES go. True if the folio is no longer mapped. False (nothing changed) for a
 * VM_LOCKED vma (the folio is mlocked instead), a folio not in the swap cache, or a large
 * folio (reclaim splits THPs before add_to_swap()).
 */
export function tryToUnmapAnon(k: Kernel, pfn: number): boolean {
  const s = k.slot(pfn);
  if (k.mem.mapcount[s] === 0) return true;
  const mm = folioAnonMm(k, pfn);
  if (!mm || k.nrPages(pfn) > 1) return false;
  const vpn = k.mem.index[s]!;
  if (mm.pte.get(vpn) !== pfn) return false;
  const vma = mm.findVma(vpn);
  if (!vma) return false;
  if ((vma.flags & VM_LOCKED) !== 0) {
    mlockFolio(k, pfn); // "Restore the mlock which got missed"
    return false;
  }
  if ((k.mem.flags[s]! & PG_swapcache) === 0) return false;
  const entry = k.mem.private[s]!;
  if (swapDuplicate(k, entry) < 0) return false;
  mm.anonRss--;
  mm.swapEnts++;
  mm.pte.set(vpn, swapPte(entry));
  k.mem.flags[s]! &= ~PG_young; // the PTE and its accessed bit are gone
  removeRmap(k, mm, pfn, false);
  k.putPage(pfn);
  return true;
}

/**
 * try_to_migrate() for an anonymous folio: its PTEs (or huge PMD) become migration entries,
 * the mapping's reference, mapcount and NR_ANON_PAGES (NR_ANON_THPS) go; in a VM_LOCKED vma
 * the folio is munlocked (page_remove_rmap() -> munlock_vma_page()).
 */
export function tryToMigrateAnon(k: Kernel, mm: MmStruct, pfn: number): void {
  const s = k.slot(pfn);
  if (k.mem.mapcount[s] === 0) return;
  const vpn = k.mem.index[s]!;
  if (mm.pte.get(vpn) !== pfn) return;
  const nr = k.nrPages(pfn);
  for (let i = 0; i < nr; i++) mm.pte.set(vpn + i, migrationPte(pfn + i));
  const vma = mm.findVma(vpn);
  removeRmap(k, mm, pfn, vma !== null && (vma.flags & VM_LOCKED) !== 0);
  k.putPage(pfn);
}

/**
 * remove_migration_ptes(): the migration entries for src now map dst (src itself after a
 * failed migration): the mapping's reference, mapcount, NR_ANON_PAGES (NR_ANON_THPS for a
 * huge PMD) come back, and page_add_anon_rmap() mlocks it again in a VM_LOCKED vma.
 */
export function removeMigrationPtesAnon(k: Kernel, mm: MmStruct, src: number, dst: number): void {
  const vpn = k.mem.index[k.slot(src)]!;
  const nr = k.nrPages(dst);
  let restored = false;
  for (let i = 0; i < nr; i++) {
    if (mm.pte.get(vpn + i) === migrationPte(src + i)) {
      mm.pte.set(vpn + i, dst + i);
      restored = true;
    }
  }
  if (!restored) return;
  const d = k.slot(dst);
  k.getPage(dst);
  k.mem.flags[d]! |= PG_anon | PG_swapbacked;
  k.mem.mapping[d] = mm.id;
  k.mem.index[d] = vpn;
  k.mem.mapcount[d] = 1;
  if (nr > 1 && mm.hugePmds.has(Math.floor(vpn / HPAGE_PMD_NR))) {
    k.modNodeStat(dst, NodeStat.NR_ANON_TRANSPARENT_HUGEPAGES, nr);
  }
  k.modNodeStat(dst, NodeStat.NR_ANON_PAGES, nr);
  const vma = mm.findVma(vpn);
  if (vma && (vma.flags & VM_LOCKED) !== 0) mlockFolio(k, dst);
}
