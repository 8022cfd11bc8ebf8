/**
 * The invariant checker (what CONFIG_DEBUG_VM and the free-list walkers would catch): run it
 * after any operation in tests. It throws an Error naming the first broken invariant.
 */
import { MAX_ORDER, MIGRATE_TYPES, MigrateType, PAGEBLOCK_ORDER } from './constants.js';
import type { PageAllocator } from './page_alloc.js';
import { PG_buddy, PG_hole, PG_pcp } from './page_flags.js';
import { pindexToOrder } from './page_alloc.js';
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
        for (let i = 1; i < 1 << order; i++) {
          const f = mem.flags[s + i]!;
          if (f & (PG_buddy | PG_pcp | PG_hole)) fail(zone, `${pfn(s + i)} inside free block ${pfn(s)} is buddy/pcp/hole`);
        }
        const bmt = mem.getPageblockMigratetype(s);
        if (mt === MigrateType.ISOLATE !== (bmt === MigrateType.ISOLATE)) {
          fail(zone, `${pfn(s)} on the ${mt} list but its pageblock is ${bmt}`);
        }
        if (mt !== MigrateType.ISOLATE) freePages += 1 << order;
        blocks++;
      }
    }
    if (blocks !== zone.nrFree[order]) fail(zone, `nr_free[${order}] = ${zone.nrFree[order]} but the lists hold ${blocks}`);
  }
  for (let s = zone.startSlot; s < zone.endSlot; s++) {
    if ((mem.flags[s]! & PG_buddy) === 0) continue;
    if (!seen[s - zone.startSlot]) fail(zone, `${pfn(s)} is PageBuddy but on no list`);
    checkMerged(alloc, zone, s);
  }
  if (zone.vmStat[ZoneStat.NR_FREE_PAGES] !== freePages) {
    fail(zone, `NR_FREE_PAGES = ${zone.vmStat[ZoneStat.NR_FREE_PAGES]} but the free lists hold ${freePages}`);
  }
  checkPcp(alloc, zone);
}

/**
 * No two free buddies of one order below pageblock order stay unmerged. At or above it the
 * check cannot tell: __free_one_page() refuses to merge across a HIGHATOMIC or ISOLATE
 * pageblock, and unreserve_highatomic_pageblock() later moves such free blocks to another
 * list without merging them (move_freepages_block() never merges), so unmerged mergeable
 * halves are a state the kernel reaches too.
 */
function checkMerged(alloc: PageAllocator, zone: Zone, s: number): void {
  const mem = alloc.mem;
  const order = mem.private[s]!;
  if (order >= PAGEBLOCK_ORDER) return;
  const b = s ^ (1 << order);
  if (b < s || !zone.spansSlot(b) || (mem.flags[b]! & PG_buddy) === 0 || mem.private[b] !== order) return;
  fail(zone, `free buddies pfn 0x${alloc.slotToPfn(s).toString(16)} and 0x${alloc.slotToPfn(b).toString(16)} of order ${order} are not merged`);
}

function checkPcp(alloc: PageAllocator, zone: Zone): void {
  const mem = alloc.mem;
  for (let cpu = 0; cpu < alloc.nrCpus; cpu++) {
    let count = 0;
    for (let pindex = 0; pindex < NR_PCP_LISTS; pindex++) {
      const head = zone.pcpListHead(cpu, pindex);
      const order = pindexToOrder(pindex);
      for (let s = mem.next[head]!; s !== head; s = mem.next[s]!) {
        if ((mem.flags[s]! & PG_pcp) === 0) fail(zone, `pfn 0x${alloc.slotToPfn(s).toString(16)} on cpu ${cpu} pcp list without the pcp mark`);
        if (mem.zoneId(s) !== zone.id) fail(zone, `pfn 0x${alloc.slotToPfn(s).toString(16)} on this zone's pcp list belongs to another zone`);
        count += 1 << order;
      }
    }
    if (count !== zone.pcpCount[cpu]) fail(zone, `cpu ${cpu} pcp count ${zone.pcpCount[cpu]} but its lists hold ${count}`);
  }
}
