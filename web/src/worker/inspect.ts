/** What hovering a page shows: its struct page fields, owner and pageblock (read-only). */
import { MAX_NR_ZONES, MAX_ORDER, MIGRATETYPE_NAMES, ZONE_NAMES } from '../../../src/mm/constants.js';
import { describePage } from '../../../src/mm/describe_page.js';
import type { Kernel } from '../../../src/mm/kernel.js';
import * as PG from '../../../src/mm/page_flags.js';
import type { PageInfo } from '../shared/protocol.js';
import type { GemIndex } from './gem_pages.js';

/** PG_* names in bit order (the zone id bits excluded). */
const FLAG_NAMES: readonly [string, number][] = Object.entries(PG)
  .filter(([name]) => name.startsWith('PG_'))
  .map(([name, bit]): [string, number] => [name.slice(3), bit])
  .sort((a, b) => a[1] - b[1]);

export function inspectPage(k: Kernel, gem: GemIndex, pfn: number): PageInfo | null {
  const mem = k.mem;
  const s = pfn - mem.pfnBase;
  if (!Number.isInteger(pfn) || s < 0 || s >= mem.nrPages) return null;
  const f = mem.flags[s]!;
  const zid = mem.zoneId(s);
  const zone = (f & PG.PG_hole) !== 0 ? '-' : `Node ${Math.floor(zid / MAX_NR_ZONES)}, ${ZONE_NAMES[zid % MAX_NR_ZONES] ?? '?'}`;
  const head = headSlot(k, s);
  const obj = gem.object(mem.mapping[head]!);
  return {
    pfn,
    zone,
    flags: FLAG_NAMES.filter(([, bit]) => (f & bit) !== 0).map(([name]) => name),
    refcount: mem.refcount[s]!,
    mapcount: mem.mapcount[s]!,
    order: (f & PG.PG_buddy) !== 0 ? mem.private[s]! : mem.order[s]!,
    owner: head === s ? describePage(k, pfn) : `${describePage(k, head + mem.pfnBase)} +${s - head}`,
    pageblock: MIGRATETYPE_NAMES[mem.getPageblockMigratetype(s)] ?? '?',
    pageblockSkip: mem.getPageblockSkip(s),
    gem: obj
      ? { name: obj.inode.name, hasPages: obj.hasPages, pagesPinCount: obj.pagesPinCount, active: obj.isActive(), pages: obj.nPages }
      : null,
  };
}

/**
 * The first page of the allocation `s` is in: a compound page's head, or the first page of a
 * non-compound high-order block (its other pages have refcount 0 and no flags). `s` otherwise.
 */
function headSlot(k: Kernel, s: number): number {
  const mem = k.mem;
  const f = mem.flags[s]!;
  const tail = (f & PG.PG_tail) !== 0;
  if (!tail && (mem.refcount[s] !== 0 || (f & (PG.PG_buddy | PG.PG_pcp | PG.PG_hole | PG.PG_reserved)) !== 0)) return s;
  for (let o = 1; o < MAX_ORDER; o++) {
    const h = s & ~((1 << o) - 1);
    const hf = mem.flags[h]!;
    if ((hf & PG.PG_buddy) !== 0 && mem.private[h]! >= o) return s; // inside a free block
    if (mem.refcount[h]! > 0 && mem.order[h]! >= o && (!tail || (hf & PG.PG_head) !== 0)) return h;
  }
  return s;
}
