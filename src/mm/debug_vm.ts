/**
 * The invariant checker (what CONFIG_DEBUG_VM and the free-list walkers would catch): run it
 * after any operation in tests. It throws an InvariantError naming the first broken invariant.
 *
 * Checked, per zone:
 * - every PageBuddy head is on exactly one free list, the one of its order; list links,
 *   alignment, zone span, nr_free and NR_FREE_PAGES (ISOLATE excluded) agree with the lists;
 * - every pcp page is on the list of its order and of the migratetype cached at free time
 *   (free_unref_page_prepare(); HIGHATOMIC on the MOVABLE list), and every PG_pcp page on one;
 * - no free buddies are left unmerged: below pageblock order never, at it only a pair whose
 *   merge __free_one_page() refused for their types (PBD_MERGE_REFUSED; the types may have
 *   become mergeable since: unreserve_highatomic_pageblock() does not merge);
 * - the list a block is on against its (head's) pageblock type: ISOLATE iff ISOLATE; HIGHATOMIC
 *   iff HIGHATOMIC unless the allocator recorded PBD_HIGHATOMIC_UNSYNCED for the pageblock (a pcp
 *   page kept the other side as its cached type when reserve/unreserve changed the pageblock,
 *   or a pageblock the zone spans only partly).
 * Not checked, because the kernel leaves these disagreements on ordinary paths:
 * - UNMOVABLE, MOVABLE and RECLAIMABLE lists against UNMOVABLE, MOVABLE and RECLAIMABLE
 *   pageblocks in any combination: steal_suitable_fallback() moves a whole pageblock's free
 *   blocks to another type without claiming it, or one block (single_page); expand() files the
 *   rest of a split block under the list it came from; __free_one_page() files a merged block
 *   under the freed page's (maybe stale pcp) type; __isolate_free_page() makes a pageblock
 *   MOVABLE around an order-8 block without moving the pageblock's other free blocks;
 * - the pageblocks after the first of an order-10 block: it is filed under one type although
 *   __free_one_page() merges pageblocks of different mergeable types (or two HIGHATOMIC ones,
 *   of which unreserve_highatomic_pageblock() then converts only the first).
 */
import { MAX_ORDER, MIGRATE_PCPTYPES, MIGRATE_TYPES, MigrateType, PAGEBLOCK_ORDER } from './constants.js';
import type { PageAllocator } from './page_alloc.js';
import { PG_buddy, PG_hole, PG_pcp } from './page_flags.js';
import { PBD_HIGHATOMIC_UNSYNCED, PBD_MERGE_REFUSED, orderToPindex, pindexToOrder } from './page_alloc.js';
import { ZoneStat } from './vmstat.js';
import { NR_PCP_LISTS, type Zone } from './zone.js';

export class InvariantError extends Error {}

export function checkInvariants(alloc: PageAllocator): void {
  for (const zone of alloc.zoneById) if (zone && zone.spanned) checkZone(alloc, zone);
}

function fail(zone: Zone, msg: string): never {
  throw new InvariantError(`zone ${zone.name} (node ${zone.nid}): ${msg}`);
}

function checkZone(alloc: PageAllocator, zone: Zone): void {
  const mem = alloc.mem;
  const pfn = (slot: number): string => `pfn 0x${alloc.slotToPfn(slot).toString(16)}`;
  // Every slot that is a buddy head must be seen exactly once on the lists; seen = list type + 1.
  const seen = new Uint8Array(zone.spanned);
  let freePages = 0;
  for (let order = 0; order < MAX_ORDER; order++) {
    let blocks = 0;
    for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
      const head = zone.freeListHead(order, mt);
      let prev = head;
      for (let s = mem.next[head]!; s !== head; s = mem.next[s]!) {
        if (mem.prev[s] !== prev) fail(zone, `free list order ${order} type ${mt}: broken prev link at ${pfn(s)}`);
        prev = s;
        if (!zone.spansSlot(s) || !zone.spansSlot(s + (1 << order) - 1)) fail(zone, `free block ${pfn(s)} order ${order} outside the zone`);
        if ((s & ((1 << order) - 1)) !== 0) fail(zone, `free block ${pfn(s)} not aligned to order ${order}`);
        if ((mem.flags[s]! & PG_buddy) === 0) fail(zone, `${pfn(s)} on free list without PageBuddy`);
        if (mem.private[s] !== order) fail(zone, `${pfn(s)} on order-${order} list has buddy order ${mem.private[s]}`);
        if (seen[s - zone.startSlot]) fail(zone, `${pfn(s)} is on two lists`);
        seen[s - zone.startSlot] = mt + 1;
        checkInside(alloc, zone, s, order, 'free block');
        checkListType(alloc, zone, s, mt);
        if (mt !== MigrateType.ISOLATE) freePages += 1 << order;
        blocks++;
      }
    }
    if (blocks !== zone.nrFree[order]) fail(zone, `nr_free[${order}] = ${zone.nrFree[order]} but the lists hold ${blocks}`);
  }
  let pcpFlagged = 0;
  for (let s = zone.startSlot; s < zone.endSlot; s++) {
    const f = mem.flags[s]!;
    if ((f & PG_pcp) !== 0) pcpFlagged++;
    if ((f & PG_buddy) === 0) continue;
    if (!seen[s - zone.startSlot]) fail(zone, `${pfn(s)} is PageBuddy but on no list`);
    checkMerged(alloc, zone, s);
  }
  if (zone.vmStat[ZoneStat.NR_FREE_PAGES] !== freePages) {
    fail(zone, `NR_FREE_PAGES = ${zone.vmStat[ZoneStat.NR_FREE_PAGES]} but the free lists hold ${freePages}`);
  }
  const pcpListed = checkPcp(alloc, zone);
  if (pcpFlagged !== pcpListed) fail(zone, `${pcpFlagged} pages carry the pcp mark but the pcp lists hold ${pcpListed}`);
}

/** The pages after the head of a free or pcp block are plain pages. */
function checkInside(alloc: PageAllocator, zone: Zone, s: number, order: number, what: string): void {
  const flags = alloc.mem.flags;
  for (let i = 1; i < 1 << order; i++) {
    if (flags[s + i]! & (PG_buddy | PG_pcp | PG_hole)) {
      fail(zone, `pfn 0x${alloc.slotToPfn(s + i).toString(16)} inside ${what} pfn 0x${alloc.slotToPfn(s).toString(16)} is buddy/pcp/hole`);
    }
  }
}

/** The free list's type against the pageblock of the block's head (see the file comment). */
function checkListType(alloc: PageAllocator, zone: Zone, s: number, mt: number): void {
  const bmt = alloc.mem.getPageblockMigratetype(s);
  if (mt === bmt) return;
  const where = `pfn 0x${alloc.slotToPfn(s).toString(16)} on the ${mt} list but its pageblock is ${bmt}`;
  if (mt === MigrateType.ISOLATE || bmt === MigrateType.ISOLATE) fail(zone, where);
  if ((mt === MigrateType.HIGHATOMIC || bmt === MigrateType.HIGHATOMIC) && (alloc.pbDebug[s >>> PAGEBLOCK_ORDER]! & PBD_HIGHATOMIC_UNSYNCED) === 0) {
    fail(zone, `${where}, and no pcp page or partial pageblock explains it`);
  }
}

/**
 * No two free buddies of one order stay unmerged: below pageblock order never; at it only a
 * pair whose merge __free_one_page() refused (both pageblocks marked PBD_MERGE_REFUSED).
 */
function checkMerged(alloc: PageAllocator, zone: Zone, s: number): void {
  const mem = alloc.mem;
  const order = mem.private[s]!;
  if (order >= MAX_ORDER - 1) return; // the largest blocks have no buddy to merge with
  const b = s ^ (1 << order);
  if (b < s || !zone.spansSlot(b) || (mem.flags[b]! & PG_buddy) === 0 || mem.private[b] !== order) return;
  const d = alloc.pbDebug;
  if (order >= PAGEBLOCK_ORDER && (d[s >>> PAGEBLOCK_ORDER]! & d[b >>> PAGEBLOCK_ORDER]! & PBD_MERGE_REFUSED) !== 0) return;
  fail(zone, `free buddies pfn 0x${alloc.slotToPfn(s).toString(16)} and 0x${alloc.slotToPfn(b).toString(16)} of order ${order} are not merged`);
}

/** The pcp lists of every cpu; returns the number of pages listed. */
function checkPcp(alloc: PageAllocator, zone: Zone): number {
  const mem = alloc.mem;
  let listed = 0;
  for (let cpu = 0; cpu < alloc.nrCpus; cpu++) {
    let count = 0;
    for (let pindex = 0; pindex < NR_PCP_LISTS; pindex++) {
      const head = zone.pcpListHead(cpu, pindex);
      const order = pindexToOrder(pindex);
      for (let s = mem.next[head]!; s !== head; s = mem.next[s]!) {
        const pfn = `pfn 0x${alloc.slotToPfn(s).toString(16)}`;
        const f = mem.flags[s]!;
        if ((f & PG_pcp) === 0) fail(zone, `${pfn} on cpu ${cpu} pcp list without the pcp mark`);
        if ((f & PG_buddy) !== 0) fail(zone, `${pfn} on cpu ${cpu} pcp list is PageBuddy`);
        if (mem.zoneId(s) !== zone.id) fail(zone, `${pfn} on this zone's pcp list belongs to another zone`);
        if ((s & ((1 << order) - 1)) !== 0) fail(zone, `${pfn} on an order-${order} pcp list is not aligned`);
        const cached = mem.index[s]!;
        const listMt = cached < MIGRATE_PCPTYPES ? cached : MigrateType.MOVABLE;
        if (cached === MigrateType.ISOLATE || cached >= MIGRATE_TYPES || orderToPindex(listMt, order) !== pindex) {
          fail(zone, `${pfn} with cached migratetype ${cached} is on pcp list ${pindex} (order ${order})`);
        }
        checkInside(alloc, zone, s, order, 'pcp block');
        count += 1 << order;
        listed++;
      }
    }
    if (count !== zone.pcpCount[cpu]) fail(zone, `cpu ${cpu} pcp count ${zone.pcpCount[cpu]} but its lists hold ${count}`);
  }
  return listed;
}
