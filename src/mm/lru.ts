/**
 * Per-node LRU lists (include/linux/mm_inline.h, mm/swap.c): which list a folio belongs on,
 * adding and removing it with the zone and node counters, activation, and isolation.
 * Simplification: no per-cpu folio batches (pagevecs); folio_add_lru() lands at once, as if
 * lru_add_drain() always ran.
 */
import type { Kernel } from './kernel.js';
import type { AddressSpace } from './filemap.js';
import {
  PG_active, PG_anon, PG_isolated, PG_lru, PG_mlocked, PG_referenced, PG_swapbacked, PG_tail, PG_unevictable,
} from './page_flags.js';
import { NodeStat, VmEvent, ZoneStat } from './vmstat.js';

/** enum lru_list */
export enum LruList {
  INACTIVE_ANON = 0,
  ACTIVE_ANON = 1,
  INACTIVE_FILE = 2,
  ACTIVE_FILE = 3,
  UNEVICTABLE = 4,
}
export const NR_LRU_LISTS = 5;
const LRU_ZONE_STAT = [
  ZoneStat.NR_ZONE_INACTIVE_ANON, ZoneStat.NR_ZONE_ACTIVE_ANON, ZoneStat.NR_ZONE_INACTIVE_FILE,
  ZoneStat.NR_ZONE_ACTIVE_FILE, ZoneStat.NR_ZONE_UNEVICTABLE,
] as const;
const LRU_NODE_STAT = [
  NodeStat.NR_INACTIVE_ANON, NodeStat.NR_ACTIVE_ANON, NodeStat.NR_INACTIVE_FILE, NodeStat.NR_ACTIVE_FILE,
  NodeStat.NR_UNEVICTABLE,
] as const;

/** folio_is_file_lru(): page cache that is not swap-backed. */
export function isFileLru(flags: number): boolean {
  return (flags & PG_swapbacked) === 0;
}

/** folio_lru_list() */
export function folioLruList(flags: number): LruList {
  if ((flags & PG_unevictable) !== 0) return LruList.UNEVICTABLE;
  const base = isFileLru(flags) ? LruList.INACTIVE_FILE : LruList.INACTIVE_ANON;
  return (flags & PG_active) !== 0 ? base + 1 : base;
}

/** folio_evictable(): not on an unevictable mapping and not mlocked. */
export function folioEvictable(k: Kernel, pfn: number): boolean {
  const s = k.slot(pfn);
  const flags = k.mem.flags[s]!;
  if ((flags & PG_mlocked) !== 0) return false;
  if ((flags & PG_anon) !== 0) return true;
  const owner = k.owners.get(k.mem.mapping[s]!) as AddressSpace | undefined;
  return !(owner && 'unevictable' in owner && owner.unevictable);
}

/** update_lru_size() for nr pages entering (+) or leaving (-) list lru. */
function updateLruSize(k: Kernel, pfn: number, lru: LruList, nr: number): void {
  k.zoneOf(pfn).vmStat[LRU_ZONE_STAT[lru]]! += nr;
  k.modNodeStat(pfn, LRU_NODE_STAT[lru], nr);
}

/** Set or clear a flag on every page of a folio (PageLRU on tails reports the head's). */
function setFolioFlag(k: Kernel, pfn: number, flag: number, on: boolean): void {
  const s = k.slot(pfn);
  const n = k.nrPages(pfn);
  const flags = k.mem.flags;
  for (let i = 0; i < n; i++) flags[s + i] = on ? flags[s + i]! | flag : flags[s + i]! & ~flag;
}

/** lruvec_add_folio(): onto the head of its list (reclaim takes from the tail). */
function lruvecAddFolio(k: Kernel, pfn: number, tail: boolean): void {
  const s = k.slot(pfn);
  const lru = folioLruList(k.mem.flags[s]!);
  const head = k.nodeOf(pfn).lruHead + lru;
  if (tail) k.mem.listAddTail(s, head);
  else k.mem.listAdd(s, head);
  updateLruSize(k, pfn, lru, k.nrPages(pfn));
  setFolioFlag(k, pfn, PG_lru, true);
}

/** folio_add_lru() + lru_add_fn(): decide evictability, then add (at the tail for rotation). */
export function lruAdd(k: Kernel, pfn: number, tail = false): void {
  const s = k.slot(pfn);
  if (folioEvictable(k, pfn)) {
    k.mem.flags[s]! &= ~PG_unevictable;
  } else {
    k.mem.flags[s] = (k.mem.flags[s]! & ~PG_active) | PG_unevictable;
  }
  lruvecAddFolio(k, pfn, tail);
}

/** lruvec_del_folio() */
export function lruDel(k: Kernel, pfn: number): void {
  const s = k.slot(pfn);
  const lru = folioLruList(k.mem.flags[s]!);
  k.mem.listDel(s);
  updateLruSize(k, pfn, lru, -k.nrPages(pfn));
  setFolioFlag(k, pfn, PG_lru, false);
}

/** folio_isolate_lru(): take it off the LRU with a reference; false if it was not on one. */
export function folioIsolateLru(k: Kernel, pfn: number): boolean {
  const s = k.slot(pfn);
  if ((k.mem.flags[s]! & (PG_lru | PG_tail)) !== PG_lru) return false; // tails share the head's PG_lru

  k.getPage(pfn);
  lruDel(k, pfn);
  k.mem.flags[s]! |= PG_isolated;
  k.modNodeStat(pfn, isFileLru(k.mem.flags[s]!) ? NodeStat.NR_ISOLATED_FILE : NodeStat.NR_ISOLATED_ANON, k.nrPages(pfn));
  return true;
}

/** folio_putback_lru(): back onto the list its flags now say, dropping the isolation reference. */
export function folioPutbackLru(k: Kernel, pfn: number): void {
  const s = k.slot(pfn);
  k.mem.flags[s]! &= ~PG_isolated;
  k.modNodeStat(pfn, isFileLru(k.mem.flags[s]!) ? NodeStat.NR_ISOLATED_FILE : NodeStat.NR_ISOLATED_ANON, -k.nrPages(pfn));
  lruAdd(k, pfn);
  k.putPage(pfn);
}

/** folio_mark_accessed(): referenced, then active on the second touch (mm/swap.c). */
export function folioMarkAccessed(k: Kernel, pfn: number): void {
  const s = k.slot(pfn);
  const flags = k.mem.flags[s]!;
  if ((flags & PG_referenced) === 0) {
    k.mem.flags[s] = flags | PG_referenced;
    return;
  }
  if ((flags & (PG_active | PG_unevictable)) !== 0) return;
  // folio_activate(): move to the active list now (no pagevec).
  if ((flags & PG_lru) !== 0) {
    lruDel(k, pfn);
    k.mem.flags[s] = (k.mem.flags[s]! | PG_active) & ~PG_referenced;
    lruvecAddFolio(k, pfn, false);
    k.alloc.events.add(VmEvent.PGACTIVATE, k.nrPages(pfn));
  } else {
    k.mem.flags[s] = (flags | PG_active) & ~PG_referenced;
  }
}

/** Re-file a folio on the LRU after its evictability may have changed (check_move_unevictable_folios()). */
export function checkMoveUnevictable(k: Kernel, pfn: number): void {
  const s = k.slot(pfn);
  if ((k.mem.flags[s]! & PG_lru) === 0) return;
  const evictable = folioEvictable(k, pfn);
  const unevictable = (k.mem.flags[s]! & PG_unevictable) !== 0;
  if (evictable === !unevictable) return;
  lruDel(k, pfn);
  lruAdd(k, pfn);
  if (evictable) k.alloc.events.add(VmEvent.UNEVICTABLE_PGS_RESCUED, k.nrPages(pfn));
}

/** Move a folio to the head or tail of the list its flags say (list_move / rotation). */
export function lruMove(k: Kernel, pfn: number, tail: boolean): void {
  lruDel(k, pfn);
  lruvecAddFolio(k, pfn, tail);
}
