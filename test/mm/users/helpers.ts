/** Shared set-up for the memory-user tests: a small machine, invariant checks, and a stand-in for reclaim's pageout of one folio. */
import { loadMachineSpec } from '../../../src/machine/spec.js';
import { checkInvariants } from '../../../src/mm/debug_vm.js';
import { checkUserInvariants } from '../../../src/mm/debug_vm_users.js';
import type { AddressSpace } from '../../../src/mm/filemap.js';
import { Kernel } from '../../../src/mm/kernel.js';
import { folioIsolateLru, folioPutbackLru } from '../../../src/mm/lru.js';
import { PG_dirty, PG_isolated, PG_reclaim, PG_swapbacked, PG_swapcache, PG_writeback } from '../../../src/mm/page_flags.js';
import { NodeStat } from '../../../src/mm/vmstat.js';
import { tryToUnmapAnon } from '../../../src/mm/rmap.js';
import { addToSwap, deleteFromSwapCache } from '../../../src/mm/swap_state.js';

export const MACHINE_64M = loadMachineSpec('machine:\n  cpus: 1\n  pcp: false\n  memory: 64MiB\n', 'm.yaml');
export const MACHINE_64M_NOTHP = loadMachineSpec('machine:\n  cpus: 1\n  pcp: false\n  thp: false\n  memory: 64MiB\n', 'm.yaml');

export function boot(thp = true): Kernel {
  return new Kernel(thp ? MACHINE_64M : MACHINE_64M_NOTHP, 7);
}

/** Both invariant checkers. */
export function check(k: Kernel): void {
  checkInvariants(k.alloc);
  checkUserInvariants(k);
}

export function flags(k: Kernel, pfn: number): number {
  return k.mem.flags[k.slot(pfn)]!;
}

export function has(k: Kernel, pfn: number, flag: number): boolean {
  return (flags(k, pfn) & flag) !== 0;
}

/**
 * What shrink_folio_list() does to one swap-backed folio, as far as the memory users are
 * concerned (reclaim itself is another module): isolate, add_to_swap (anon), try_to_unmap,
 * pageout through ->writepage. Returns the ->writepage result; the folio is put back on the
 * LRU (PG_reclaim when under writeback).
 */
export function pageoutSwapBacked(k: Kernel, pfn: number, mapping: AddressSpace | null): number | 'nospace' | 'mapped' | 'writeback' {
  const s = k.slot(pfn);
  if (!folioIsolateLru(k, pfn)) throw new Error('not on the LRU');
  try {
    if ((k.mem.flags[s]! & PG_writeback) !== 0) return 'writeback'; // kept (or marked for reclaim)
    if (mapping === null) {
      if ((k.mem.flags[s]! & PG_swapcache) === 0 && !addToSwap(k, pfn)) return 'nospace';
      if (!tryToUnmapAnon(k, pfn)) return 'mapped';
    }
    // folio_clear_dirty_for_io() of a mapping that cannot writeback: just the flag.
    k.mem.flags[s]! &= ~PG_dirty;
    const target = mapping ?? k.swapCache!;
    const rc = target.aops.writepage!(k, pfn, { forReclaim: true });
    if ((k.mem.flags[s]! & PG_writeback) !== 0) k.mem.flags[s]! |= PG_reclaim;
    return rc;
  } finally {
    folioPutbackLru(k, pfn);
  }
}

/** __remove_mapping() of a clean swap-cache folio + freeing it (the second reclaim pass). */
export function freeSwapCacheFolio(k: Kernel, pfn: number): void {
  const s = k.slot(pfn);
  if ((k.mem.flags[s]! & (PG_writeback | PG_dirty)) !== 0 || (k.mem.flags[s]! & PG_swapbacked) === 0) throw new Error('not freeable');
  if (!folioIsolateLru(k, pfn)) throw new Error('not on the LRU');
  deleteFromSwapCache(k, pfn);
  k.modNodeStat(pfn, NodeStat.NR_ISOLATED_ANON, -k.nrPages(pfn));
  k.mem.flags[s]! &= ~PG_isolated;
  k.putPage(pfn);
}
