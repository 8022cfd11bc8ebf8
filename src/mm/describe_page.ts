/**
 * Who holds a page, in one line, for reports and maps: every allocated page names its owner
 * through page->mapping (an owner id).
 *   anon bash[101] vpn 0x1234            an anonymous page of a process
 *   anon bash[101] vpn 0x1200 thp        the head of a transparent hugepage (tails: "+n")
 *   shmem i915-obj-7 index 3             a shmem/tmpfs page
 *   file data.db index 12                a page-cache page of a regular file
 *   swapcache entry 0x2a                 a page in the swap cache with no other owner
 *   kernel kmalloc-4k                    a slab page of a kernel cache
 *   free / reserved / hole / allocated   no owner
 */
import { MAX_ORDER } from './constants.js';
import { compoundHead } from './huge_memory.js';
import type { Kernel } from './kernel.js';
import { PG_anon, PG_buddy, PG_head, PG_hole, PG_pcp, PG_reserved, PG_swapcache, PG_tail } from './page_flags.js';

const hex = (n: number): string => `0x${n.toString(16)}`;

/** Is the slot inside a free buddy block (the head or one of its pages)? */
function inFreeBlock(k: Kernel, s: number): boolean {
  const mem = k.mem;
  if ((mem.flags[s]! & (PG_buddy | PG_pcp)) !== 0) return true;
  for (let o = 1; o < MAX_ORDER; o++) {
    const h = s & ~((1 << o) - 1);
    if ((mem.flags[h]! & PG_buddy) !== 0 && mem.private[h]! >= o) return true;
  }
  return false;
}

export function describePage(k: Kernel, pfn: number): string {
  const mem = k.mem;
  const s = k.slot(pfn);
  if (!Number.isInteger(pfn) || s < 0 || s >= mem.nrPages) return 'invalid';
  const flags = mem.flags[s]!;
  if ((flags & PG_hole) !== 0) return 'hole';
  if ((flags & PG_reserved) !== 0) return 'reserved';
  if (inFreeBlock(k, s)) return 'free';
  const head = (flags & PG_tail) !== 0 ? compoundHead(k, pfn) : pfn;
  const hs = k.slot(head);
  const hflags = mem.flags[hs]!;
  if (mem.refcount[hs] === 0) return 'free';
  const owner = k.owners.get(mem.mapping[hs]!);
  const tail = head !== pfn ? ` +${pfn - head}` : '';
  const swap = (hflags & PG_swapcache) !== 0 ? ` swapcache ${hex(mem.private[s]!)}` : '';
  if ((hflags & PG_anon) !== 0 && owner && owner.kind === 'anon') {
    const thp = (hflags & PG_head) !== 0 ? ' thp' : '';
    const who = 'pid' in owner ? `${owner.name}[${String(owner.pid)}]` : owner.name;
    return `anon ${who} vpn ${hex(mem.index[hs]! + (pfn - head))}${thp}${tail}${swap}`;
  }
  if (!owner) return mem.mapping[hs] ? `owner #${mem.mapping[hs]}` : 'allocated';
  switch (owner.kind) {
    case 'swap':
      return `swapcache entry ${hex(mem.private[s]!)}`;
    case 'shmem':
    case 'file':
      return `${owner.kind} ${owner.name} index ${mem.index[hs]! + (pfn - head)}${swap}`;
    case 'kernel':
      return `kernel ${owner.name}${tail}`;
    case 'anon':
      return `anon ${owner.name}${tail}`;
  }
}
