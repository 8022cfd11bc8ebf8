/**
 * One byte per page frame saying what holds it (web/src/shared/categories.ts), and one byte
 * per pageblock with its migratetype: the state the memory map draws. A single pass over the
 * MemMap that skips whole free blocks and compound pages, so 1 M pages take a few ms.
 * Read-only: it never changes the model.
 */
import type { Kernel } from '../../../src/mm/kernel.js';
import { PAGEBLOCK_ORDER } from '../../../src/mm/constants.js';
import {
  PG_anon, PG_buddy, PG_head, PG_hole, PG_pcp, PG_reserved, PG_swapcache, PG_tail,
} from '../../../src/mm/page_flags.js';
import {
  ANON, FILE, FREE, GEM_PINNED, GEM_UNPINNED, HIGHLIGHT, HOLE, KERNEL, NR_CATEGORIES, PCP, RECLAIMABLE, RESERVED, SHMEM,
  SWAPCACHE, UNOWNED,
} from '../shared/categories.js';
import { GEM_HAS_PAGES, GEM_NO_PAGES, type GemIndex } from './gem_pages.js';

/** The category of an owned page, by owner id (0: no owner), rebuilt each pass from k.owners. */
function ownerCategories(k: Kernel, gem: GemIndex, out: Uint8Array): Uint8Array {
  let table = out;
  table.fill(UNOWNED);
  for (const o of k.owners.all()) {
    if (o.id >= table.length) {
      let n = table.length;
      while (n <= o.id) n *= 2;
      const next = new Uint8Array(n).fill(UNOWNED);
      next.set(table);
      table = next;
    }
    let cat: number;
    switch (o.kind) {
      case 'anon':
        cat = ANON;
        break;
      case 'file':
        cat = FILE;
        break;
      case 'swap':
        cat = SWAPCACHE;
        break;
      case 'kernel':
        // A reclaimable slab cache (KmemCache) or kernel user (highalloc with __GFP_RECLAIMABLE).
        cat = 'reclaimable' in o && o.reclaimable === true ? RECLAIMABLE : KERNEL;
        break;
      case 'shmem': {
        const g = o.id < gem.state.length ? gem.state[o.id]! : 0;
        cat = g === GEM_HAS_PAGES ? GEM_PINNED : g === GEM_NO_PAGES ? GEM_UNPINNED : SHMEM;
        break;
      }
    }
    table[o.id] = cat;
  }
  return table;
}

export class Classifier {
  private owners: Uint8Array = new Uint8Array(1024);
  /** Pages per category of the last pass. */
  readonly counts = new Float64Array(NR_CATEGORIES);
  /** Pages of the selected owner in the last pass. */
  highlighted = 0;

  constructor(private readonly gem: GemIndex) {}

  /**
   * Fill `cats` (one byte per MemMap slot) and `blocks` (one per pageblock). Pages whose head is
   * owned by `selected` (an owner id, 0 for none) get the HIGHLIGHT bit.
   */
  classify(k: Kernel, cats: Uint8Array, blocks: Uint8Array, selected: number): void {
    const mem = k.mem;
    const flags = mem.flags;
    const refcount = mem.refcount;
    const order = mem.order;
    const priv = mem.private;
    const mapping = mem.mapping;
    const n = mem.nrPages;
    const owners = (this.owners = ownerCategories(k, this.gem, this.owners));
    const counts = this.counts;
    counts.fill(0);
    let highlighted = 0;
    // Locals, not module bindings, in the loop: a bundler inlines those, a dev loader may not.
    const hole = PG_hole, reserved = PG_reserved, buddy = PG_buddy, pcp = PG_pcp, tail = PG_tail, head = PG_head;
    const swapcache = PG_swapcache, anon = PG_anon;
    const cHole = HOLE, cReserved = RESERVED, cFree = FREE, cPcp = PCP, cSwapcache = SWAPCACHE, cUnowned = UNOWNED, cHighlight = HIGHLIGHT;

    // A free or allocated block spans several slots; its tails take the head's byte.
    let spanEnd = 0;
    let spanCat = 0;
    let prev = cFree;
    let s = 0;
    while (s < n) {
      const f = flags[s]!;
      let cat: number;
      let len = 1;
      if ((f & hole) !== 0) cat = cHole;
      else if ((f & reserved) !== 0) cat = cReserved;
      else if ((f & buddy) !== 0) {
        const o = priv[s]!;
        cat = cFree + o;
        len = 1 << o;
      } else if ((f & pcp) !== 0) cat = cPcp;
      else if ((f & tail) !== 0 || (refcount[s] === 0 && s < spanEnd)) cat = spanCat;
      else if (refcount[s] === 0) cat = prev === cPcp ? cPcp : cFree; // a pcp block's tail, or a page isolated by compaction
      else {
        const id = mapping[s]!;
        cat = (f & swapcache) !== 0 && (f & anon) === 0 ? cSwapcache : id < owners.length ? owners[id]! : cUnowned;
        if (selected !== 0 && id === selected) cat |= cHighlight;
        const o = order[s]!;
        if (o > 0) {
          spanEnd = s + (1 << o);
          spanCat = cat;
          if ((f & head) !== 0) len = 1 << o; // compound: every tail is PG_tail
        }
      }
      if (len === 1) cats[s] = cat;
      else cats.fill(cat, s, s + len);
      counts[cat & 0x7f]! += len;
      if (cat >= cHighlight) highlighted += len;
      prev = cat & 0x7f;
      s += len;
    }

    this.highlighted = highlighted;
    const pb = mem.pageblockFlags;
    const nb = n >>> PAGEBLOCK_ORDER;
    for (let b = 0; b < nb; b++) blocks[b] = pb[b]! & 7;
  }
}
