/**
 * Anonymous memory of processes (mm/memory.c, mm/mmap.c, mm/mlock.c syscalls, 6.1): an mm
 * with its VMAs and page table, page faults (anonymous, zero page, THP, swap-in), munmap,
 * mlock/munlock and madvise(MADV_[NO]HUGEPAGE), and process exit.
 *
 * Page table entries (mm.pte: vpn -> value, encoded as pte.ts describes): a pfn, the zero
 * page, a swap entry or a migration entry.
 * An anonymous page has PG_anon | PG_swapbacked, page->mapping = its mm's owner id (standing
 * in for the anon_vma), page->index = its vpn, mapcount 1 while mapped.
 *
 * Simplifications: one mm per anonymous page (no fork, no KSM, so no COW of anon pages and
 * no swap count above 1); every VMA is private, anonymous and writable; mmap places regions
 * top-down without reusing holes; munmap of a range with no mapping at all is an error
 * (-EINVAL) rather than the kernel's silent success; page tables cost no memory (their pages
 * are not allocated, only counted in pgtablesBytes()); a write to a present page never faults
 * (no write-protect faults: the PTE is taken as writable, its dirty bit set on the folio at
 * once); user addresses stay below 2^32 pages (TASK_SIZE_PAGES).
 */
import { PAGE_SIZE } from './constants.js';
import { checkAlive, checkRange, rangeMapped, touch } from './fault.js';
import { HPAGE_PMD_NR, VM_HUGEPAGE, VM_LOCKED, VM_NOHUGEPAGE, compoundHead, splitHugePage } from './huge_memory.js';
import type { Kernel } from './kernel.js';
import type { OomTask } from './oom_kill.js';
import { mlockFolio, munlockFolio } from './mlock.js';
import { EAGAIN, EBUSY, EEXIST, EINVAL, ENOMEM, MmError } from './mm_error.js';
import type { Owner } from './owners.js';
import { PG_swapcache } from './page_flags.js';
import { PTE_ZERO, PageTable, TASK_SIZE_PAGES, pteIsMigration, pteIsSwap, pteSwapEntry } from './pte.js';
import { removeMigrationPtesAnon, tryToMigrateAnon } from './rmap.js';
import { folioFreeSwap, freeSwapAndCache } from './swapfile.js';
import { NodeStat } from './vmstat.js';

export { pageReferenced, tryToUnmapAnon, folioAnonMm } from './rmap.js';
export { PTE_ZERO, TASK_SIZE_PAGES, pteIsSwap, pteIsMigration, swapPte, pteSwapEntry } from './pte.js';
export { touch, type FaultStats } from './fault.js';

/** struct vm_area_struct: [start, end) in pages, and vm_flags. */
export interface Vma {
  start: number;
  end: number;
  flags: number;
}

export interface MmOptions {
  pid: number;
  comm: string;
  oomScoreAdj?: number;
  uid?: number;
  /** The node its page faults allocate on first (numa_node_id() of where it runs). */
  nid?: number;
}


const MMAP_BASE_VPN = TASK_SIZE_PAGES - 0x10000;

/**
 * struct mm_struct of a process, with its task's identity: an Owner of kind 'anon'. It has
 * the shape the OOM killer reads (OomTask) and the reverse-map hooks migration calls.
 */
export class MmStruct implements Owner, OomTask {
  id = 0;
  readonly kind = 'anon' as const;
  readonly name: string;
  readonly pid: number;
  readonly comm: string;
  oomScoreAdj: number;
  readonly uid: number;
  nid: number;
  /** The page table: vpn -> pfn, PTE_ZERO, swap entry value or migration entry. */
  readonly pte = new PageTable();
  /** VMAs, sorted by start, disjoint. */
  readonly vmas: Vma[] = [];
  /** 2 MiB ranges (vpn / HPAGE_PMD_NR) whose PMD is populated (a page table or a huge PMD). */
  readonly pmdPopulated = new Set<number>();
  /** 2 MiB ranges mapped by a huge PMD (a THP). */
  readonly hugePmds = new Set<number>();
  /** MM_ANONPAGES */
  anonRss = 0;
  /** MM_SWAPENTS */
  swapEnts = 0;
  mmapBase = MMAP_BASE_VPN;
  exited = false;
  /** Killed by the OOM killer (calls on it throw OomKilledError). */
  oomKilled = false;

  constructor(private readonly k: Kernel, opts: MmOptions) {
    this.pid = opts.pid;
    this.comm = opts.comm;
    this.name = opts.comm;
    this.oomScoreAdj = opts.oomScoreAdj ?? 0;
    this.uid = opts.uid ?? 0;
    this.nid = opts.nid ?? 0;
  }

  /** find_vma() containing vpn, or null. */
  findVma(vpn: number): Vma | null {
    const v = this.vmas;
    let lo = 0;
    let hi = v.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = v[mid]!;
      if (vpn < m.start) hi = mid - 1;
      else if (vpn >= m.end) lo = mid + 1;
      else return m;
    }
    return null;
  }

  // --- what the OOM killer reads (struct task_struct / get_mm_counter()) ---
  totalVmPages(): number {
    let n = 0;
    for (const v of this.vmas) n += v.end - v.start;
    return n;
  }
  rssAnon(): number {
    return this.anonRss;
  }
  rssFile(): number {
    return 0;
  }
  rssShmem(): number {
    return 0;
  }
  swapents(): number {
    return this.swapEnts;
  }
  /** mm_pgtables_bytes(): one PTE table per populated PMD, one PMD table per GiB touched. */
  pgtablesBytes(): number {
    const pmdTables = new Set<number>();
    for (const h of this.pmdPopulated) pmdTables.add(Math.floor(h / 512));
    return (this.pmdPopulated.size + pmdTables.size) * PAGE_SIZE;
  }
  /** SIGKILL + the oom_reaper: the process exits and its memory is freed. */
  kill(): void {
    this.oomKilled = true;
    exitMm(this.k, this);
  }
  /** Chosen by the OOM killer: reaped already, or its SIGKILL pending (fatal_signal_pending()). */
  oomVictim(): boolean {
    return this.oomKilled || this.k.oom.victims.has(this);
  }

  // --- the reverse map, for migration (Owner.tryToMigrate / removeMigrationPtes) ---
  tryToMigrate(pfn: number): void {
    tryToMigrateAnon(this.k, this, pfn);
  }
  removeMigrationPtes(src: number, dst: number): void {
    removeMigrationPtesAnon(this.k, this, src, dst);
  }
}

/** A process's mm, registered as an owner. */
export function createMm(k: Kernel, opts: MmOptions): MmStruct {
  if (!Number.isInteger(opts.pid) || opts.pid < 0) throw new MmError(-EINVAL, `bad pid ${opts.pid}`);
  const mm = k.owners.register(new MmStruct(k, opts));
  k.oom.tasks.add(mm); // for_each_process() as the OOM killer walks it
  return mm;
}

function sortVmas(mm: MmStruct): void {
  mm.vmas.sort((a, b) => a.start - b.start);
}

/** split_vma() at vpn, if a VMA straddles it. */
function splitVmaAt(mm: MmStruct, vpn: number): void {
  const v = mm.findVma(vpn);
  if (!v || v.start === vpn) return;
  mm.vmas.push({ start: vpn, end: v.end, flags: v.flags });
  v.end = vpn;
  sortVmas(mm);
}

/**
 * A range boundary through a PMD-mapped THP: the kernel splits the PMD; the model splits the
 * page (split_huge_page()). Fails with -EBUSY if the THP has extra references.
 */
function splitThpAt(k: Kernel, mm: MmStruct, vpn: number): void {
  if (vpn % HPAGE_PMD_NR === 0) return;
  const h = Math.floor(vpn / HPAGE_PMD_NR);
  if (!mm.hugePmds.has(h)) return;
  const v = mm.pte.get(h * HPAGE_PMD_NR)!;
  const head = compoundHead(k, v);
  if (splitHugePage(k, head) !== 0) throw new MmError(-EBUSY, `cannot split the THP at vpn 0x${(h * HPAGE_PMD_NR).toString(16)}`);
}

/** Split VMAs and THPs at both ends of [start, end). */
function splitAtBoundaries(k: Kernel, mm: MmStruct, start: number, end: number): void {
  splitThpAt(k, mm, start);
  splitThpAt(k, mm, end);
  splitVmaAt(mm, start);
  splitVmaAt(mm, end);
}

/** The VMAs inside [start, end) after splitAtBoundaries(). */
function vmasIn(mm: MmStruct, start: number, end: number): Vma[] {
  return mm.vmas.filter((v) => v.start >= start && v.end <= end);
}

export interface MmapOptions {
  /** MAP_FIXED_NOREPLACE address (vpn); -EEXIST if anything is mapped there. */
  at?: number;
  /** MAP_LOCKED: VM_LOCKED, and the range is populated. */
  locked?: boolean;
  /** madvise(MADV_HUGEPAGE) on the new range. */
  hugepage?: boolean;
  /** madvise(MADV_NOHUGEPAGE) on the new range. */
  nohugepage?: boolean;
  /** MAP_POPULATE: fault the range in (write faults). */
  populate?: boolean;
}

/**
 * mmap(MAP_PRIVATE | MAP_ANONYMOUS) of `pages` pages: a new VMA; returns its start vpn. A
 * populate (MAP_POPULATE / MAP_LOCKED) that runs out of memory is ignored, as mm_populate()
 * ignores it for mmap.
 */
export function mmap(k: Kernel, mm: MmStruct, pages: number, opts: MmapOptions = {}): number {
  checkAlive(mm, 'mmap');
  const start = opts.at ?? mm.mmapBase - pages;
  checkRange(start, pages, 'mmap');
  const end = start + pages;
  for (const v of mm.vmas) if (v.start < end && start < v.end) throw new MmError(-EEXIST, `mmap: [0x${start.toString(16)}, 0x${end.toString(16)}) overlaps a mapping`);
  if (opts.at === undefined) mm.mmapBase = start;
  let flags = 0;
  if (opts.locked) flags |= VM_LOCKED;
  if (opts.hugepage) flags |= VM_HUGEPAGE;
  if (opts.nohugepage) flags |= VM_NOHUGEPAGE;
  mm.vmas.push({ start, end, flags });
  sortVmas(mm);
  if (opts.locked || opts.populate) {
    try {
      touch(k, mm, start, pages, true);
    } catch (e) {
      if (!(e instanceof MmError) || e.code !== -ENOMEM) throw e;
    }
  }
  return start;
}

// ---------------------------------------------------------------------------------------------
// Unmapping

/** page_remove_rmap() + munlock_vma_page() for a folio mapped once. */
function pageRemoveRmap(k: Kernel, mm: MmStruct, pfn: number, vma: Vma, compound: boolean): void {
  const s = k.slot(pfn);
  const nr = k.nrPages(pfn);
  k.mem.mapcount[s] = 0;
  if (compound && mm.hugePmds.delete(Math.floor(k.mem.index[s]! / HPAGE_PMD_NR))) {
    k.modNodeStat(pfn, NodeStat.NR_ANON_TRANSPARENT_HUGEPAGES, -nr);
  }
  k.modNodeStat(pfn, NodeStat.NR_ANON_PAGES, -nr);
  if ((vma.flags & VM_LOCKED) !== 0) munlockFolio(k, pfn);
}

/**
 * zap_pte_range() / zap_huge_pmd() over [start, end) of one VMA: present pages lose their
 * mapping (free_swap_cache() drops an unmapped swap-cache copy, then the PTE's reference goes),
 * swap entries are freed (free_swap_and_cache()).
 */
function zapRange(k: Kernel, mm: MmStruct, vma: Vma, start: number, end: number): void {
  for (let vpn = start; vpn < end; vpn++) {
    if (!mm.pte.hasTable(vpn)) {
      vpn = (Math.floor(vpn / HPAGE_PMD_NR) + 1) * HPAGE_PMD_NR - 1; // pmd_none(): skip the PMD
      continue;
    }
    const v = mm.pte.get(vpn);
    if (v === undefined) continue;
    mm.pte.delete(vpn);
    if (v === PTE_ZERO) continue;
    if (pteIsSwap(v)) {
      freeSwapAndCache(k, pteSwapEntry(v));
      mm.swapEnts--;
      continue;
    }
    if (pteIsMigration(v)) throw new Error(`zap of a migration entry at vpn 0x${vpn.toString(16)}`);
    const head = compoundHead(k, v);
    if (head !== v) continue; // a THP's other PTEs: handled with its head
    const nr = k.nrPages(head);
    if (nr > 1) for (let j = 1; j < nr; j++) mm.pte.delete(vpn + j);
    mm.anonRss -= nr;
    pageRemoveRmap(k, mm, head, vma, nr > 1);
    if ((k.mem.flags[k.slot(head)]! & PG_swapcache) !== 0) folioFreeSwap(k, head);
    k.putPage(head);
  }
}

/** free_pgtables(): PMDs of [start, end) that no VMA covers any more lose their page table. */
function freePgtables(mm: MmStruct, start: number, end: number): void {
  const first = Math.floor(start / HPAGE_PMD_NR);
  const last = Math.floor((end - 1) / HPAGE_PMD_NR);
  for (let h = first; h <= last; h++) {
    if (!mm.pmdPopulated.has(h)) continue;
    const lo = h * HPAGE_PMD_NR;
    const hi = lo + HPAGE_PMD_NR;
    if (!mm.vmas.some((v) => v.start < hi && lo < v.end)) mm.pmdPopulated.delete(h);
  }
}

/**
 * munmap(): unmap every VMA part inside [start, start + pages) and free what they mapped.
 * Throws MmError(-EINVAL) if nothing in the range is mapped (a second munmap of the same
 * range), before changing anything.
 */
export function munmap(k: Kernel, mm: MmStruct, start: number, pages: number): void {
  checkAlive(mm, 'munmap');
  checkRange(start, pages, 'munmap');
  const end = start + pages;
  if (!mm.vmas.some((v) => v.start < end && start < v.end)) {
    throw new MmError(-EINVAL, `munmap: [0x${start.toString(16)}, 0x${end.toString(16)}) of ${mm.comm} is not mapped`);
  }
  splitAtBoundaries(k, mm, start, end);
  const gone = vmasIn(mm, start, end);
  for (const vma of gone) {
    zapRange(k, mm, vma, vma.start, vma.end);
    mm.vmas.splice(mm.vmas.indexOf(vma), 1);
  }
  freePgtables(mm, start, end);
}

/**
 * exit_mmap(): unmap everything and forget the mm. Swap-cache pages it left behind (unmapped,
 * still being written) are handed to the swap cache as their owner.
 */
export function exitMm(k: Kernel, mm: MmStruct): void {
  if (mm.exited) return;
  k.oom.tasks.delete(mm);
  for (const vma of mm.vmas.slice()) zapRange(k, mm, vma, vma.start, vma.end);
  mm.vmas.length = 0;
  mm.pmdPopulated.clear();
  const cache = k.swapCache;
  if (cache) {
    for (const pfn of cache.iPages.values()) {
      const s = k.slot(pfn);
      if (k.mem.mapping[s] === mm.id) k.mem.mapping[s] = cache.id;
    }
  }
  k.owners.unregister(mm);
  mm.exited = true;
}

// ---------------------------------------------------------------------------------------------
// mlock, munlock, madvise

/** The mapped folios of [start, end): each head pfn once, with its VMA. */
function forEachPresentFolio(k: Kernel, mm: MmStruct, start: number, end: number, fn: (pfn: number) => void): void {
  for (let vpn = start; vpn < end; vpn++) {
    const v = mm.pte.get(vpn);
    if (v === undefined || v < 0) continue;
    const head = compoundHead(k, v);
    if (head === v) fn(head);
  }
}

function applyVmaFlags(k: Kernel, mm: MmStruct, start: number, pages: number, what: string, set: number, clear: number): Vma[] {
  checkAlive(mm, what);
  checkRange(start, pages, what);
  const end = start + pages;
  if (!rangeMapped(mm, start, end)) throw new MmError(-ENOMEM, `${what}: [0x${start.toString(16)}, 0x${end.toString(16)}) is not wholly mapped`);
  splitAtBoundaries(k, mm, start, end);
  const vmas = vmasIn(mm, start, end);
  for (const v of vmas) v.flags = (v.flags & ~clear) | set;
  return vmas;
}

/**
 * mlock(): VM_LOCKED on the range, every mapped folio mlocked (mlock_vma_pages_range()), then
 * the range populated with write faults (__mm_populate()), new pages going straight to the
 * unevictable list. Throws MmError: -ENOMEM if the range is not wholly mapped (nothing done),
 * -EAGAIN if populating ran out of memory (the range stays locked, partly populated).
 */
export function mlock(k: Kernel, mm: MmStruct, start: number, pages: number): void {
  applyVmaFlags(k, mm, start, pages, 'mlock', VM_LOCKED, 0);
  forEachPresentFolio(k, mm, start, start + pages, (pfn) => mlockFolio(k, pfn));
  try {
    touch(k, mm, start, pages, true);
  } catch (e) {
    if (e instanceof MmError && e.code === -ENOMEM) throw new MmError(-EAGAIN, `mlock: ${e.message}`);
    throw e;
  }
}

/** munlock(): VM_LOCKED off, every mapped folio munlocked (back to an evictable list). */
export function munlock(k: Kernel, mm: MmStruct, start: number, pages: number): void {
  applyVmaFlags(k, mm, start, pages, 'munlock', 0, VM_LOCKED);
  forEachPresentFolio(k, mm, start, start + pages, (pfn) => munlockFolio(k, pfn));
}

/** madvise(MADV_HUGEPAGE / MADV_NOHUGEPAGE): the VMA flags THP faults look at. */
export function madvise(k: Kernel, mm: MmStruct, start: number, pages: number, advice: 'hugepage' | 'nohugepage'): void {
  if (advice === 'hugepage') applyVmaFlags(k, mm, start, pages, 'madvise', VM_HUGEPAGE, VM_NOHUGEPAGE);
  else if (advice === 'nohugepage') applyVmaFlags(k, mm, start, pages, 'madvise', VM_NOHUGEPAGE, VM_HUGEPAGE);
  else throw new MmError(-EINVAL, `madvise: unknown advice ${String(advice)}`);
}
