/**
 * Page faults on anonymous memory (mm/memory.c, mm/huge_memory.c, 6.1): handle_mm_fault()
 * and its anonymous, zero-page, huge-PMD and swap-in paths, and touch(), what a CPU access
 * does. The mm, its VMAs and the other syscalls are in memory.ts.
 */
import { GFP_HIGHUSER_MOVABLE, __GFP_COMP, __GFP_ZERO } from './gfp.js';
import {
  HPAGE_PMD_NR, VM_LOCKED, allocHugepageVma, compoundHead, thpFaultAllowed, thpSettings, vmaThpGfpMask,
} from './huge_memory.js';
import type { Kernel } from './kernel.js';
import { lruAdd } from './lru.js';
import type { MmStruct, Vma } from './memory.js';
import { mlockFolio, mlockNewPage } from './mlock.js';
import { EFAULT, EINVAL, ENOMEM, MmError, OomKilledError } from './mm_error.js';
import { PG_anon, PG_dirty, PG_mlocked, PG_swapbacked, PG_swapcache, PG_young } from './page_flags.js';
import { PTE_ZERO, TASK_SIZE_PAGES, pteIsSwap, pteSwapEntry } from './pte.js';
import { readSwapCacheAsync } from './swap_state.js';
import { folioFreeSwap, swapFree, vmSwapFull } from './swapfile.js';
import { NodeStat, VmEvent } from './vmstat.js';

/** What a touch() cost: page faults taken, how many were major, and synchronous I/O time. */
export interface FaultStats {
  faults: number;
  majorFaults: number;
  ioNs: number;
}

/** A user range of whole pages: -EINVAL for bad numbers or a range past TASK_SIZE. */
export function checkRange(start: number, pages: number, what: string): void {
  if (!Number.isInteger(start) || start < 0) throw new MmError(-EINVAL, `${what}: bad start page ${start}`);
  if (!Number.isInteger(pages) || pages <= 0) throw new MmError(-EINVAL, `${what}: bad length ${pages} pages`);
  if (start + pages > TASK_SIZE_PAGES) throw new MmError(-EINVAL, `${what}: [0x${start.toString(16)}, +${pages}) is past TASK_SIZE`);
}

/** OomKilledError for an mm whose process the OOM killer took; -EINVAL if it exited by itself. */
export function checkAlive(mm: MmStruct, what: string): void {
  if (mm.oomVictim()) throw new OomKilledError(mm.pid, mm.comm, what);
  if (mm.exited) throw new MmError(-EINVAL, `${what}: ${mm.comm}[${mm.pid}] has exited`);
}

/** Does [start, end) lie wholly inside VMAs? */
export function rangeMapped(mm: MmStruct, start: number, end: number): boolean {
  let at = start;
  while (at < end) {
    const v = mm.findVma(at);
    if (!v) return false;
    at = v.end;
  }
  return true;
}

/** page_add_new_anon_rmap(): a new anonymous folio mapped once at vpn. */
function pageAddNewAnonRmap(k: Kernel, mm: MmStruct, pfn: number, vpn: number, compound: boolean): void {
  const s = k.slot(pfn);
  const nr = k.nrPages(pfn);
  k.mem.flags[s]! |= PG_anon | PG_swapbacked;
  k.mem.mapping[s] = mm.id;
  k.mem.index[s] = vpn;
  k.mem.mapcount[s] = 1;
  if (compound) k.modNodeStat(pfn, NodeStat.NR_ANON_TRANSPARENT_HUGEPAGES, nr);
  k.modNodeStat(pfn, NodeStat.NR_ANON_PAGES, nr);
}

/** folio_add_lru_vma(): mlocked onto the unevictable list in a VM_LOCKED vma, else the LRU. */
function folioAddLruVma(k: Kernel, vma: Vma, pfn: number): void {
  if ((vma.flags & VM_LOCKED) !== 0) mlockNewPage(k, pfn);
  else lruAdd(k, pfn);
}

/** Map a freshly allocated order-0 anonymous page at vpn (the tail of do_anonymous_page()). */
function mapNewAnonPage(k: Kernel, mm: MmStruct, vma: Vma, pfn: number, vpn: number): void {
  mm.anonRss++;
  pageAddNewAnonRmap(k, mm, pfn, vpn, false);
  folioAddLruVma(k, vma, pfn);
  k.mem.flags[k.slot(pfn)]! |= PG_young | PG_dirty; // pte_mkyoung + pte_mkdirty (dirty moves to the folio at unmap)
  mm.pte.set(vpn, pfn);
  mm.pmdPopulated.add(Math.floor(vpn / HPAGE_PMD_NR));
}

function allocAnonPage(k: Kernel, mm: MmStruct, vpn: number): number {
  // alloc_zeroed_user_highpage_movable() -> vma_alloc_folio(): __GFP_COMP on every folio.
  const pfn = k.alloc.allocPages(GFP_HIGHUSER_MOVABLE | __GFP_ZERO | __GFP_COMP, 0, mm.nid);
  if (pfn < 0) throw new MmError(-ENOMEM, `page fault of ${mm.comm}[${mm.pid}] at vpn 0x${vpn.toString(16)}: out of memory (VM_FAULT_OOM)`);
  return pfn;
}

/** do_anonymous_page(): the zero page for a read, a new zeroed page for a write. */
function doAnonymousPage(k: Kernel, mm: MmStruct, vma: Vma, vpn: number, write: boolean): void {
  if (!write) {
    mm.pte.set(vpn, PTE_ZERO);
    mm.pmdPopulated.add(Math.floor(vpn / HPAGE_PMD_NR));
    return;
  }
  mapNewAnonPage(k, mm, vma, allocAnonPage(k, mm, vpn), vpn);
}

/**
 * do_huge_pmd_anonymous_page(): a read maps the huge zero page (modelled as 512 zero PTEs);
 * a write allocates an order-9 folio with vma_thp_gfp_mask() (thp_fault_alloc) or falls back
 * to order 0 (thp_fault_fallback). Returns false for the fallback.
 */
function doHugePmdAnonymousPage(k: Kernel, mm: MmStruct, vma: Vma, vpn: number, write: boolean): boolean {
  const h = Math.floor(vpn / HPAGE_PMD_NR);
  const haddr = h * HPAGE_PMD_NR;
  if (!write && thpSettings(k).useZeroPage) {
    for (let i = 0; i < HPAGE_PMD_NR; i++) mm.pte.set(haddr + i, PTE_ZERO);
    mm.pmdPopulated.add(h);
    return true;
  }
  const pfn = allocHugepageVma(k, vmaThpGfpMask(k, vma.flags), mm.nid);
  if (pfn < 0) {
    k.alloc.events.add(VmEvent.THP_FAULT_FALLBACK, 1);
    return false;
  }
  pageAddNewAnonRmap(k, mm, pfn, haddr, true);
  folioAddLruVma(k, vma, pfn);
  k.mem.flags[k.slot(pfn)]! |= PG_young | PG_dirty;
  for (let i = 0; i < HPAGE_PMD_NR; i++) mm.pte.set(haddr + i, pfn + i);
  mm.hugePmds.add(h);
  mm.pmdPopulated.add(h);
  mm.anonRss += HPAGE_PMD_NR;
  k.alloc.events.add(VmEvent.THP_FAULT_ALLOC, 1);
  return true;
}

/** should_try_to_free_swap() */
function shouldTryToFreeSwap(k: Kernel, pfn: number, vma: Vma, write: boolean): boolean {
  const s = k.slot(pfn);
  const flags = k.mem.flags[s]!;
  if ((flags & PG_swapcache) === 0) return false;
  if (vmSwapFull(k) || (vma.flags & VM_LOCKED) !== 0 || (flags & PG_mlocked) !== 0) return true;
  return write && k.mem.refcount[s] === 2;
}

/**
 * do_swap_page(): find the entry's folio in the swap cache or read it (a major fault), drop
 * the PTE's swap reference, map the folio (page_add_anon_rmap(), which mlocks it in a
 * VM_LOCKED vma), and free its swap slot when the swap copy is no longer worth keeping.
 */
function doSwapPage(k: Kernel, mm: MmStruct, vma: Vma, vpn: number, entry: number, write: boolean, st: FaultStats): void {
  const r = readSwapCacheAsync(k, entry, GFP_HIGHUSER_MOVABLE, mm.nid);
  if (r.pfn < 0) {
    if (r.pfn === -ENOMEM) throw new MmError(-ENOMEM, `swap-in fault of ${mm.comm}[${mm.pid}] at vpn 0x${vpn.toString(16)}: out of memory`);
    throw new Error(`do_swap_page: swap entry ${entry} of ${mm.comm} is not in use (${r.pfn})`);
  }
  if (r.read) {
    k.alloc.events.add(VmEvent.PGMAJFAULT, 1);
    st.majorFaults++;
    st.ioNs += r.ioNs;
  }
  const pfn = r.pfn; // its reference becomes the PTE's
  const s = k.slot(pfn);
  swapFree(k, entry);
  mm.anonRss++;
  mm.swapEnts--;
  // page_add_anon_rmap()
  if ((k.mem.flags[s]! & PG_anon) === 0) {
    k.mem.flags[s]! |= PG_anon | PG_swapbacked;
    k.mem.mapping[s] = mm.id;
    k.mem.index[s] = vpn;
  }
  k.mem.mapcount[s] = 1;
  k.modNodeStat(pfn, NodeStat.NR_ANON_PAGES, 1);
  k.mem.flags[s]! |= PG_young | (write ? PG_dirty : 0);
  mm.pte.set(vpn, pfn);
  if ((vma.flags & VM_LOCKED) !== 0) mlockFolio(k, pfn);
  if (shouldTryToFreeSwap(k, pfn, vma, write)) folioFreeSwap(k, pfn);
}

/** handle_mm_fault() for one page: pgfault, then the THP, anonymous, wp or swap path. */
function handleMmFault(k: Kernel, mm: MmStruct, vma: Vma, vpn: number, write: boolean, st: FaultStats): void {
  k.alloc.events.add(VmEvent.PGFAULT, 1);
  st.faults++;
  const v = mm.pte.get(vpn);
  if (v === undefined) {
    const h = Math.floor(vpn / HPAGE_PMD_NR);
    if (!mm.pmdPopulated.has(h) && thpFaultAllowed(k, vma.flags, vma.start, vma.end, vpn)) {
      if (doHugePmdAnonymousPage(k, mm, vma, vpn, write)) return;
    }
    doAnonymousPage(k, mm, vma, vpn, write);
  } else if (v === PTE_ZERO) {
    // do_wp_page() -> wp_page_copy() of the zero page: a new zeroed page.
    mapNewAnonPage(k, mm, vma, allocAnonPage(k, mm, vpn), vpn);
  } else if (pteIsSwap(v)) {
    doSwapPage(k, mm, vma, vpn, pteSwapEntry(v), write, st);
  } else {
    throw new Error(`fault on a migration entry at vpn 0x${vpn.toString(16)} outside migration`);
  }
}

/**
 * Access `count` pages from vpn, reading or writing (what the CPU does; handle_mm_fault() on
 * each access that faults). A present page only gets its accessed bit (PG_young) and, for a
 * write, its dirty bit. Throws MmError: -EFAULT if the range is not wholly mapped (nothing is
 * touched then), -ENOMEM when a fault cannot get memory (pages touched so far stay), and
 * OomKilledError when a fault's allocation OOM-killed this very process (touching stops there).
 */
export function touch(k: Kernel, mm: MmStruct, vpn: number, count: number, write: boolean): FaultStats {
  checkAlive(mm, 'touch');
  const st: FaultStats = { faults: 0, majorFaults: 0, ioNs: 0 };
  if (count === 0) return st;
  checkRange(vpn, count, 'touch');
  const end = vpn + count;
  if (!rangeMapped(mm, vpn, end)) throw new MmError(-EFAULT, `touch: [0x${vpn.toString(16)}, 0x${end.toString(16)}) of ${mm.comm} is not mapped (SIGSEGV)`);
  const mem = k.mem;
  // The faults run as this process: current for the allocator, the OOM killer and traces.
  const prev = k.current;
  k.setCurrent(mm);
  try {
    let at = vpn;
    while (at < end) {
      const vma = mm.findVma(at)!;
      const stop = Math.min(end, vma.end);
      for (; at < stop; at++) {
        const v = mm.pte.get(at);
        if (v !== undefined && v >= 0) {
          mem.flags[k.slot(compoundHead(k, v))]! |= PG_young | (write ? PG_dirty : 0);
          continue;
        }
        if (v === PTE_ZERO && !write) continue;
        handleMmFault(k, mm, vma, at, write, st);
        // Chosen by the OOM killer while faulting: the SIGKILL ends the task on its way back
        // to user space, so the rest of the access never happens.
        if (mm.oomVictim()) throw new OomKilledError(mm.pid, mm.comm, 'touch');
      }
    }
  } finally {
    k.setCurrent(prev);
  }
  return st;
}
