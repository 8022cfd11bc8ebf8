/**
 * Anonymous transparent hugepages (mm/huge_memory.c, 6.1): the sysfs settings, the fault-time
 * gfp mask, the huge PMD fault, and splitting a THP into base pages.
 *
 * Model of a THP: an order-9 compound folio (PG_head + PG_tail); when a huge PMD maps it, the
 * mm's page table holds pfn + i for each of its 512 vpns and the mm records the PMD in
 * `hugePmds`. Its mapcount (the kernel's entire_mapcount) is kept on the head page only.
 *
 * Simplifications: a PMD-mapped THP is never PTE-mapped: whenever the kernel would split only
 * the PMD (partial munmap/mlock, a VMA boundary through it) the model splits the page too
 * (split_huge_page()); there is no deferred split queue, no khugepaged, and the huge zero
 * page is modelled as 512 zero-page PTEs (what a write fault turns it into anyway).
 */
import { MAX_ORDER } from './constants.js';
import {
  GFP_TRANSHUGE, GFP_TRANSHUGE_LIGHT, __GFP_DIRECT_RECLAIM, __GFP_KSWAPD_RECLAIM, __GFP_NORETRY, __GFP_THISNODE,
} from './gfp.js';
import { EAGAIN } from './filemap.js';
import type { Kernel } from './kernel.js';
import { EINVAL, MmError } from './mm_error.js';
import {
  PG_active, PG_anon, PG_dirty, PG_head, PG_isolated, PG_lru, PG_mlocked, PG_referenced, PG_swapbacked, PG_tail,
  PG_unevictable, PG_young, ZONE_ID_MASK,
} from './page_flags.js';
import { NodeStat, VmEvent } from './vmstat.js';
import { khugepagedMinFreeKbytes } from './watermarks.js';

export const HPAGE_PMD_ORDER = 9;
export const HPAGE_PMD_NR = 1 << HPAGE_PMD_ORDER;

/** vm_flags bits the model uses (include/linux/mm.h values). */
export const VM_LOCKED = 0x00002000;
export const VM_HUGEPAGE = 0x20000000;
export const VM_NOHUGEPAGE = 0x40000000;

/** /sys/kernel/mm/transparent_hugepage/{enabled,defrag,use_zero_page}. */
export interface ThpSettings {
  enabled: 'always' | 'madvise' | 'never';
  defrag: 'always' | 'defer' | 'defer+madvise' | 'madvise' | 'never';
  useZeroPage: boolean;
}

const settings = new WeakMap<Kernel, ThpSettings>();

/**
 * The machine's THP settings. Defaults as Debian's 6.1 boots: enabled=always
 * (CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS=y), defrag=madvise, use_zero_page=1; a machine without
 * THP configured (config.thp false) has enabled=never.
 */
export function thpSettings(k: Kernel): ThpSettings {
  let s = settings.get(k);
  if (!s) {
    s = { enabled: k.config.thp ? 'always' : 'never', defrag: 'madvise', useZeroPage: true };
    settings.set(k, s);
  }
  return s;
}

/** Write the sysfs files. */
export function setThpSettings(k: Kernel, update: Partial<ThpSettings>): ThpSettings {
  const s = thpSettings(k);
  const enabled = ['always', 'madvise', 'never'];
  const defrag = ['always', 'defer', 'defer+madvise', 'madvise', 'never'];
  if (update.enabled !== undefined && !enabled.includes(update.enabled)) throw new MmError(-EINVAL, `THP enabled: ${String(update.enabled)}`);
  if (update.defrag !== undefined && !defrag.includes(update.defrag)) throw new MmError(-EINVAL, `THP defrag: ${String(update.defrag)}`);
  Object.assign(s, update);
  // enabled_store() -> start_stop_khugepaged() -> set_recommended_min_free_kbytes()
  if (update.enabled !== undefined) {
    k.minFreeKbytes = khugepagedMinFreeKbytes(k.nodes, k.minFreeKbytes, s.enabled !== 'never', k.config.sysctl.watermarkScaleFactor);
  }
  return s;
}

/** vma_thp_gfp_mask(): how hard a THP fault may try, from the defrag setting and MADV_HUGEPAGE. */
export function vmaThpGfpMask(k: Kernel, vmFlags: number): number {
  const madvised = (vmFlags & VM_HUGEPAGE) !== 0;
  switch (thpSettings(k).defrag) {
    case 'always':
      return GFP_TRANSHUGE | (madvised ? 0 : __GFP_NORETRY);
    case 'defer':
      return GFP_TRANSHUGE_LIGHT | __GFP_KSWAPD_RECLAIM;
    case 'defer+madvise':
      return GFP_TRANSHUGE_LIGHT | (madvised ? __GFP_DIRECT_RECLAIM : __GFP_KSWAPD_RECLAIM);
    case 'madvise':
      return GFP_TRANSHUGE_LIGHT | (madvised ? __GFP_DIRECT_RECLAIM : 0);
    case 'never':
      return GFP_TRANSHUGE_LIGHT;
  }
}

/**
 * hugepage_vma_check() for an anonymous vma at fault time, with transhuge_vma_suitable(): THP
 * enabled for it (always, or madvise with VM_HUGEPAGE; never with VM_NOHUGEPAGE), and the
 * aligned 2 MiB range around vpn inside [start, end).
 */
export function thpFaultAllowed(k: Kernel, vmFlags: number, start: number, end: number, vpn: number): boolean {
  if ((vmFlags & VM_NOHUGEPAGE) !== 0) return false;
  const enabled = thpSettings(k).enabled;
  if (enabled === 'never' || (enabled === 'madvise' && (vmFlags & VM_HUGEPAGE) === 0)) return false;
  const haddr = vpn - (vpn % HPAGE_PMD_NR);
  return haddr >= start && haddr + HPAGE_PMD_NR <= end;
}

/**
 * vma_alloc_folio(gfp, HPAGE_PMD_ORDER, vma, haddr, true) under the default policy: first the
 * local node only without retrying (__GFP_THISNODE | __GFP_NORETRY); then, if the mask allows
 * direct reclaim, anywhere with the mask as is. Returns the head pfn or -1.
 */
export function allocHugepageVma(k: Kernel, gfp: number, nid: number): number {
  const pfn = k.alloc.allocPages(gfp | __GFP_THISNODE | __GFP_NORETRY, HPAGE_PMD_ORDER, nid);
  if (pfn >= 0 || (gfp & __GFP_DIRECT_RECLAIM) === 0) return pfn;
  return k.alloc.allocPages(gfp, HPAGE_PMD_ORDER, nid);
}

/** compound_head(): the head pfn of the folio containing pfn (pfn itself for a base page). */
export function compoundHead(k: Kernel, pfn: number): number {
  const mem = k.mem;
  const s = k.slot(pfn);
  if ((mem.flags[s]! & PG_tail) === 0) return pfn;
  for (let o = 1; o < MAX_ORDER; o++) {
    const h = s & ~((1 << o) - 1);
    if ((mem.flags[h]! & PG_head) !== 0 && mem.order[h]! >= o) return k.pfn(h);
  }
  throw new Error(`pfn 0x${pfn.toString(16)} is a tail page without a head`);
}

/**
 * split_huge_page_to_list() for an anonymous THP (mm/huge_memory.c): fails with -EAGAIN
 * (thp_split_page_failed) if anything but its mapping and an isolation hold a reference.
 * Otherwise: the huge PMD becomes 512 PTEs (thp_split_pmd, nr_anon_transparent_hugepages
 * drops), and each page becomes an order-0 anonymous folio with the THP's state, mapped once
 * if the THP was. On the LRU the new folios sit right after the head, on its list (the list
 * sizes do not change); if the THP was isolated, each page is isolated with its own
 * reference and handed to `onTail` (the kernel's `list` argument). Returns 0.
 */
export function splitHugePage(k: Kernel, pfn: number, onTail?: (tail: number) => void): number {
  const mem = k.mem;
  const s = k.slot(pfn);
  const flags = mem.flags[s]!;
  if ((flags & PG_head) === 0 || (flags & PG_anon) === 0) throw new MmError(-EINVAL, `split_huge_page: pfn 0x${pfn.toString(16)} is not an anonymous THP head`);
  const nr = k.nrPages(pfn);
  const mapped = mem.mapcount[s]! > 0 ? 1 : 0;
  const isolated = (flags & PG_isolated) !== 0 ? 1 : 0;
  if (isolated && !onTail) throw new MmError(-EINVAL, 'split_huge_page: an isolated THP needs a list for its tail pages');
  if (mem.refcount[s] !== mapped + isolated) {
    k.alloc.events.add(VmEvent.THP_SPLIT_PAGE_FAILED, 1);
    return -EAGAIN;
  }
  const haddr = mem.index[s]!;
  const owner = k.owners.get(mem.mapping[s]!);
  const hugePmds = owner && 'hugePmds' in owner && owner.hugePmds instanceof Set ? (owner.hugePmds as Set<number>) : null;
  if (mapped && hugePmds && hugePmds.delete(Math.floor(haddr / HPAGE_PMD_NR))) {
    k.alloc.events.add(VmEvent.THP_SPLIT_PMD, 1);
    k.modNodeStat(pfn, NodeStat.NR_ANON_TRANSPARENT_HUGEPAGES, -nr);
  }
  const carried = flags & (PG_active | PG_referenced | PG_unevictable | PG_swapbacked | PG_anon | PG_dirty | PG_young |
    PG_mlocked | PG_isolated | PG_lru);
  const onLru = (flags & PG_lru) !== 0;
  const id = mem.mapping[s]!;
  for (let i = 0; i < nr; i++) {
    const t = s + i;
    mem.flags[t] = (mem.flags[t]! & ZONE_ID_MASK) | carried;
    mem.order[t] = 0;
    mem.mapping[t] = id;
    mem.index[t] = haddr + i;
    mem.mapcount[t] = mapped;
    mem.refcount[t] = mapped + isolated;
    mem.private[t] = 0;
    if (i > 0 && onLru) mem.listAdd(t, t - 1); // lru_add_page_tail(): right after the previous page
  }
  k.alloc.events.add(VmEvent.THP_SPLIT_PAGE, 1);
  if (isolated && onTail) for (let i = 1; i < nr; i++) onTail(pfn + i);
  return 0;
}
