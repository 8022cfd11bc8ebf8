/**
 * The simulated mem_map: one slot per page frame in struct-of-arrays form, plus intrusive
 * doubly linked lists threaded through `prev`/`next` by slot index, as the kernel threads
 * page->lru / buddy_list / pcp_list. List heads are sentinel slots after the last page, so
 * every list is circular and insertion/removal needs no branches.
 *
 * Slots are pfn - pfnBase, with pfnBase aligned to MAX_ORDER_NR_PAGES so that buddy arithmetic
 * (slot ^ (1 << order)) is the kernel's pfn arithmetic.
 */
import { MAX_ORDER_NR_PAGES, PAGEBLOCK_ORDER } from './constants.js';
import { ZONE_ID_MASK, ZONE_ID_SHIFT } from './page_flags.js';

export class MemMap {
  /** pfn of slot 0 (aligned down to MAX_ORDER_NR_PAGES). */
  readonly pfnBase: number;
  /** Number of page slots. */
  readonly nrPages: number;
  /** page->flags (PG_* bits) with the zone id in the top byte. */
  readonly flags: Uint32Array;
  /** page->_refcount */
  readonly refcount: Int32Array;
  /** page->_mapcount + 1 (number of page-table mappings). */
  readonly mapcount: Int32Array;
  /** Compound order of an allocated head page. */
  readonly order: Uint8Array;
  /** page_private(): the buddy order of a free block head (set_buddy_order), or owner data. */
  readonly private: Uint32Array;
  /** page->mapping as an owner id (0 = none); the owner table lives with the memory users. */
  readonly mapping: Uint32Array;
  /** page->index: file offset of a page-cache page, or the cached migratetype of a pcp page. */
  readonly index: Uint32Array;
  /** Intrusive list links (slots and list-head sentinels). */
  readonly prev: Int32Array;
  readonly next: Int32Array;
  /** Pageblock bits: PB_migrate (3 bits) and PB_migrate_skip (bit 3), one byte per pageblock. */
  readonly pageblockFlags: Uint8Array;
  private nextHead: number;
  readonly nrHeads: number;

  constructor(firstPfn: number, endPfn: number, nrListHeads: number) {
    this.pfnBase = Math.floor(firstPfn / MAX_ORDER_NR_PAGES) * MAX_ORDER_NR_PAGES;
    const end = Math.ceil(endPfn / MAX_ORDER_NR_PAGES) * MAX_ORDER_NR_PAGES;
    this.nrPages = end - this.pfnBase;
    const n = this.nrPages;
    this.flags = new Uint32Array(n);
    this.refcount = new Int32Array(n);
    this.mapcount = new Int32Array(n);
    this.order = new Uint8Array(n);
    this.private = new Uint32Array(n);
    this.mapping = new Uint32Array(n);
    this.index = new Uint32Array(n);
    this.prev = new Int32Array(n + nrListHeads);
    this.next = new Int32Array(n + nrListHeads);
    this.pageblockFlags = new Uint8Array(n >>> PAGEBLOCK_ORDER);
    this.nextHead = n;
    this.nrHeads = nrListHeads;
  }

  /** Bytes of typed-array storage per page slot (list heads and pageblock bits included). */
  bytesPerPage(): number {
    const arrays = [
      this.flags, this.refcount, this.mapcount, this.order, this.private, this.mapping,
      this.index, this.prev, this.next, this.pageblockFlags,
    ];
    let total = 0;
    for (const a of arrays) total += a.byteLength;
    return total / this.nrPages;
  }

  /** Reserve `count` list-head sentinels; returns the first one's slot. */
  allocListHeads(count: number): number {
    const first = this.nextHead;
    if (first + count > this.nrPages + this.nrHeads) throw new Error('MemMap: out of list heads');
    for (let h = first; h < first + count; h++) {
      this.prev[h] = h;
      this.next[h] = h;
    }
    this.nextHead += count;
    return first;
  }

  zoneId(slot: number): number {
    return this.flags[slot]! >>> ZONE_ID_SHIFT;
  }

  setZoneId(slot: number, zoneId: number): void {
    this.flags[slot] = (this.flags[slot]! & ~ZONE_ID_MASK) | (zoneId << ZONE_ID_SHIFT);
  }

  // --- list_head operations on slots ---

  listEmpty(head: number): boolean {
    return this.next[head] === head;
  }

  /** list_add: insert after head. */
  listAdd(slot: number, head: number): void {
    const nx = this.next[head]!;
    this.prev[slot] = head;
    this.next[slot] = nx;
    this.prev[nx] = slot;
    this.next[head] = slot;
  }

  /** list_add_tail: insert before head. */
  listAddTail(slot: number, head: number): void {
    const pv = this.prev[head]!;
    this.next[slot] = head;
    this.prev[slot] = pv;
    this.next[pv] = slot;
    this.prev[head] = slot;
  }

  listDel(slot: number): void {
    const pv = this.prev[slot]!;
    const nx = this.next[slot]!;
    this.next[pv] = nx;
    this.prev[nx] = pv;
    this.prev[slot] = -1;
    this.next[slot] = -1;
  }

  // --- pageblock bits (get_pfnblock_flags_mask / set_pfnblock_flags_mask) ---

  getPageblockMigratetype(slot: number): number {
    return this.pageblockFlags[slot >>> PAGEBLOCK_ORDER]! & 7;
  }

  setPageblockMigratetype(slot: number, mt: number): void {
    const b = slot >>> PAGEBLOCK_ORDER;
    this.pageblockFlags[b] = (this.pageblockFlags[b]! & ~7) | mt;
  }

  getPageblockSkip(slot: number): boolean {
    return (this.pageblockFlags[slot >>> PAGEBLOCK_ORDER]! & 8) !== 0;
  }

  setPageblockSkip(slot: number, skip: boolean): void {
    const b = slot >>> PAGEBLOCK_ORDER;
    this.pageblockFlags[b] = skip ? this.pageblockFlags[b]! | 8 : this.pageblockFlags[b]! & ~8;
  }
}
