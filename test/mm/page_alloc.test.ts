/**
 * Hand-worked cases for the buddy allocator model, each derived from Linux 6.1.192
 * mm/page_alloc.c (Debian linux-source-6.1). The comment on each case names the kernel
 * function(s) and gives the reasoning that produces the expected numbers; none of the
 * expectations was obtained by running the model.
 *
 * Conventions: P is the first pfn of the zone under test; "o<k>" is a free block of order k;
 * U/M/E/H/I are the migratetypes UNMOVABLE/MOVABLE/RECLAIMABLE/HIGHATOMIC/ISOLATE.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SYSCTLS, type MachineConfig, type Sysctls, type ZoneConfig } from '../../src/machine/config.js';
import { MAX_ORDER, MIGRATE_TYPES, MigrateType as MT, PAGEBLOCK_NR_PAGES, ZoneType } from '../../src/mm/constants.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import {
  __GFP_HIGH, __GFP_RECLAIMABLE, GFP_ATOMIC, GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_NOWAIT,
  GFP_TRANSHUGE, GFP_TRANSHUGE_LIGHT,
} from '../../src/mm/gfp.js';
import { bootMachine } from '../../src/mm/mm_init.js';
import {
  ALLOC_HIGHATOMIC, ALLOC_MIN_RESERVE, ALLOC_NON_BLOCK, ALLOC_OOM, PBD_HIGHATOMIC_UNSYNCED, PBD_MERGE_REFUSED, orderToPindex,
  type PageAllocator,
} from '../../src/mm/page_alloc.js';
import { PG_buddy, PG_lru, PG_movable, PG_pcp } from '../../src/mm/page_flags.js';
import { freeListCounts, pageblockCounts } from '../../src/mm/show.js';
import type { KmemTraceSink, TraceContext } from '../../src/mm/tracepoints.js';
import { VmEvent, ZoneStat } from '../../src/mm/vmstat.js';
import { WMARK_HIGH, WMARK_LOW, WMARK_MIN, type Zone } from '../../src/mm/zone.js';
import { KERNEL_FIXTURE_DIR, kernelFixtureFiles } from '../fixtures.js';

// ---------------------------------------------------------------------------------------------
// Helpers

const GFP_RECLAIMABLE_KERNEL = GFP_KERNEL | __GFP_RECLAIMABLE;
const P = 0x100000; // ZONE_NORMAL starts at 4 GiB on x86-64

interface Opts {
  pcp?: boolean;
  cpus?: number;
  thp?: boolean;
  sysctl?: Partial<Sysctls>;
}

function config(nodes: ZoneConfig[][], o: Opts = {}): MachineConfig {
  return {
    cpus: o.cpus ?? 1,
    pcp: o.pcp ?? false,
    thp: o.thp ?? false,
    sysctl: { ...DEFAULT_SYSCTLS, ...o.sysctl },
    nodes: nodes.map((zones, nid) => ({ nid, zones })),
  };
}

function zc(name: ZoneConfig['name'], startPfn: number, pages: number, present = pages, managed = present): ZoneConfig {
  return { name, startPfn, spanned: pages, present, managed };
}

/** One node with a single ZONE_NORMAL of `pages` pages at pfn 0x100000. */
function normalOnly(pages: number, o: Opts = {}): { alloc: PageAllocator; zone: Zone; minFreeKbytes: number } {
  const { alloc, minFreeKbytes } = bootMachine(config([[zc('Normal', P, pages)]], o));
  return { alloc, zone: alloc.nodes[0]!.zones[ZoneType.NORMAL]!, minFreeKbytes };
}

function listPfns(a: PageAllocator, z: Zone, order: number, mt: number): number[] {
  const out: number[] = [];
  const head = z.freeListHead(order, mt);
  for (let s = a.mem.next[head]!; s !== head; s = a.mem.next[s]!) out.push(s + a.mem.pfnBase);
  return out;
}

function pcpPfns(a: PageAllocator, z: Zone, cpu: number, pindex: number): number[] {
  const out: number[] = [];
  const head = z.pcpListHead(cpu, pindex);
  for (let s = a.mem.next[head]!; s !== head; s = a.mem.next[s]!) out.push(s + a.mem.pfnBase);
  return out;
}

/** Every free block of the zone as "mt:order:pfn" strings, sorted by pfn. */
function freeBlocks(a: PageAllocator, z: Zone): string[] {
  const out: [number, string][] = [];
  for (let order = 0; order < MAX_ORDER; order++) {
    for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
      for (const pfn of listPfns(a, z, order, mt)) out.push([pfn, `${'UMEHI'[mt]}:o${order}:0x${pfn.toString(16)}`]);
    }
  }
  return out.sort((x, y) => x[0] - y[0]).map((x) => x[1]);
}

const blk = (mt: number, order: number, pfn: number): string => `${'UMEHI'[mt]}:o${order}:0x${pfn.toString(16)}`;

function nrFreePages(z: Zone): number {
  return z.vmStat[ZoneStat.NR_FREE_PAGES]!;
}

function pbType(a: PageAllocator, pfn: number): number {
  return a.mem.getPageblockMigratetype(pfn - a.mem.pfnBase);
}

function setPbType(a: PageAllocator, pfn: number, mt: number): void {
  a.mem.setPageblockMigratetype(pfn - a.mem.pfnBase, mt);
}

function mustAllocAt(a: PageAllocator, pfn: number, order: number, gfp = GFP_KERNEL): void {
  if (!a.allocPagesAt(pfn, order, gfp)) throw new Error(`allocPagesAt(0x${pfn.toString(16)}, ${order}) failed`);
}

/** Cover [start, end) with naturally aligned blocks and allocate each with allocPagesAt. */
function allocRange(a: PageAllocator, start: number, end: number): void {
  let pfn = start;
  while (pfn < end) {
    let order = Math.min(MAX_ORDER - 1, 31 - Math.clz32(pfn & -pfn));
    while (pfn + (1 << order) > end) order--;
    mustAllocAt(a, pfn, order);
    pfn += 1 << order;
  }
}

interface Extfrag {
  pfn: number;
  allocOrder: number;
  fallbackOrder: number;
  allocMt: number;
  fallbackMt: number;
  changeOwnership: boolean;
}

class Recorder implements KmemTraceSink {
  allocs: { pfn: number; order: number; gfp: number; mt: number }[] = [];
  frees: { pfn: number; order: number }[] = [];
  drains: { pfn: number; order: number; mt: number; cpu: number }[] = [];
  extfrag: Extfrag[] = [];
  mmPageAlloc(_c: TraceContext, pfn: number, order: number, gfp: number, mt: number): void {
    this.allocs.push({ pfn, order, gfp, mt });
  }
  mmPageFree(_c: TraceContext, pfn: number, order: number): void {
    this.frees.push({ pfn, order });
  }
  mmPagePcpuDrain(c: TraceContext, pfn: number, order: number, mt: number): void {
    this.drains.push({ pfn, order, mt, cpu: c.cpu });
  }
  mmPageAllocExtfrag(
    _c: TraceContext, pfn: number, allocOrder: number, fallbackOrder: number, allocMt: number, fallbackMt: number,
    changeOwnership: boolean,
  ): void {
    this.extfrag.push({ pfn, allocOrder, fallbackOrder, allocMt, fallbackMt, changeOwnership });
  }
}

function record(a: PageAllocator): Recorder {
  const r = new Recorder();
  a.trace = r;
  return r;
}

function range(n: number): number[];
function range<T>(n: number, f: (i: number) => T): T[];
function range(n: number, f: (i: number) => unknown = (i) => i): unknown[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

// ---------------------------------------------------------------------------------------------

describe('boot: memmap_init_range() + memblock_free_all()', () => {
  it('1 GiB Normal: every pageblock MOVABLE, all memory on the MOVABLE order-10 list in ascending order', () => {
    // memmap_init_range() marks every pageblock-aligned pfn MIGRATE_MOVABLE. __free_pages_memory()
    // frees ascending max-order blocks via __free_pages_core() -> __free_pages_ok(FPI_TO_TAIL):
    // order 10 cannot merge (MAX_ORDER - 1) and FPI_TO_TAIL appends, so the list is ascending with
    // the lowest pfn at the head. __free_pages_ok() counts PGFREE for each block.
    const { alloc, zone } = normalOnly(262144);
    checkInvariants(alloc);
    expect(pageblockCounts(alloc, zone)).toEqual([0, 512, 0, 0, 0]);
    expect(listPfns(alloc, zone, 10, MT.MOVABLE)).toEqual(range(256, (i) => P + i * 1024));
    const counts = freeListCounts(alloc, zone);
    for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
      for (let o = 0; o < MAX_ORDER; o++) expect(counts[mt]![o]).toBe(mt === MT.MOVABLE && o === 10 ? 256 : 0);
    }
    expect(Array.from(zone.nrFree)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 256]);
    expect(nrFreePages(zone)).toBe(262144);
    expect(alloc.events.get(VmEvent.PGFREE)).toBe(262144);
    expect(alloc.mem.flags[0]! & PG_buddy).toBe(PG_buddy);
    expect(alloc.mem.private[0]).toBe(10);
  });

  it('a zone starting at pfn 1 (ZONE_DMA) leaves its first pageblock UNMOVABLE and frees 1,2,4,...', () => {
    // memmap_init_range() sets the migratetype only at pageblock_aligned(pfn); pfn 0 is not in the
    // zone, so pageblock 0 keeps the zero-initialised MIGRATE_UNMOVABLE.
    // __free_pages_memory(1, 4096): order = min(10, __ffs(start)) then shrunk to fit, giving
    // 1 o0, 2 o1, 4 o2, ..., 256 o8, 512 o9, 1024/2048/3072 o10. No merges: every buddy lies below
    // (pfn 0 is not free). __free_pages_ok() files each under get_pfnblock_migratetype(): U for
    // the blocks inside pageblock 0, M above.
    const { alloc } = bootMachine(config([[zc('DMA', 1, 4095)]]));
    const dma = alloc.nodes[0]!.zones[ZoneType.DMA]!;
    checkInvariants(alloc);
    expect(pbType(alloc, 1)).toBe(MT.UNMOVABLE);
    expect(pageblockCounts(alloc, dma)).toEqual([1, 7, 0, 0, 0]);
    const expected = [
      ...range(9, (o) => blk(MT.UNMOVABLE, o, 1 << o)),
      blk(MT.MOVABLE, 9, 512),
      blk(MT.MOVABLE, 10, 1024),
      blk(MT.MOVABLE, 10, 2048),
      blk(MT.MOVABLE, 10, 3072),
    ];
    expect(freeBlocks(alloc, dma)).toEqual(expected);
    expect(nrFreePages(dma)).toBe(4095);
  });

  it('an unaligned zone end is freed in decreasing smaller blocks', () => {
    // __free_pages_memory(P, P + 4615): 4 x o10, then at P+0x1000 order 10 does not fit -> o9, then
    // P+0x1200 leaves 7 pages: o2, o1, o0. The partial last pageblock starts aligned -> MOVABLE.
    const { alloc, zone } = normalOnly(4096 + 512 + 7);
    checkInvariants(alloc);
    expect(listPfns(alloc, zone, 10, MT.MOVABLE)).toEqual([P, P + 0x400, P + 0x800, P + 0xc00]);
    expect(freeBlocks(alloc, zone)).toEqual([
      blk(MT.MOVABLE, 10, P), blk(MT.MOVABLE, 10, P + 0x400), blk(MT.MOVABLE, 10, P + 0x800),
      blk(MT.MOVABLE, 10, P + 0xc00), blk(MT.MOVABLE, 9, P + 0x1000), blk(MT.MOVABLE, 2, P + 0x1200),
      blk(MT.MOVABLE, 1, P + 0x1204), blk(MT.MOVABLE, 0, P + 0x1206),
    ]);
    expect(pageblockCounts(alloc, zone)).toEqual([0, 10, 0, 0, 0]);
    expect(nrFreePages(zone)).toBe(4615);
  });
});

describe('allocation shape: __rmqueue_smallest() + expand()', () => {
  it('order 0 from a fresh zone takes the lowest pfn and leaves one block per order 0..9', () => {
    // __rmqueue_smallest(MOVABLE, 0): lists 0..9 empty, order 10 head = P. expand(P, 0, 10) puts
    // the upper halves P+512 (o9), P+256 (o8), ..., P+1 (o0) with add_to_free_list() = list head.
    const { alloc, zone } = normalOnly(262144);
    expect(alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0)).toBe(P);
    checkInvariants(alloc);
    for (let o = 0; o <= 9; o++) expect(listPfns(alloc, zone, o, MT.MOVABLE)).toEqual([P + (1 << o)]);
    expect(listPfns(alloc, zone, 10, MT.MOVABLE)[0]).toBe(P + 1024);
    expect(zone.nrFree[10]).toBe(255);
    expect(nrFreePages(zone)).toBe(262143);
    expect(alloc.mem.refcount[0]).toBe(1);
    expect(alloc.mem.flags[0]! & PG_buddy).toBe(0);
    expect(alloc.events.get(VmEvent.PGALLOC_NORMAL)).toBe(1);
  });

  it('successive order-0 requests walk up the split block in pfn order', () => {
    // 2nd request: o0 head P+1. 3rd: o0 empty -> o1 P+2 split, P+3 to o0. 4th: P+3. 5th: o2 P+4.
    const { alloc } = normalOnly(4096);
    expect(range(5, () => alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0))).toEqual([P, P + 1, P + 2, P + 3, P + 4]);
    checkInvariants(alloc);
  });

  it('order 3 leaves o3..o9 above it', () => {
    const { alloc, zone } = normalOnly(4096);
    expect(alloc.allocPages(GFP_HIGHUSER_MOVABLE, 3)).toBe(P);
    for (let o = 0; o < 3; o++) expect(zone.nrFree[o]).toBe(0);
    for (let o = 3; o <= 9; o++) expect(listPfns(alloc, zone, o, MT.MOVABLE)).toEqual([P + (1 << o)]);
    expect(nrFreePages(zone)).toBe(4096 - 8);
  });
});

describe('freeing: __free_one_page()', () => {
  it('freeing the first page restores the order-10 block at the list head', () => {
    // Merges P with P+1, P+2, ..., P+512 up to order 10; order 10 never uses buddy_merge_likely()
    // (order >= MAX_ORDER - 2) and FPI_NONE, so add_to_free_list() puts P back at the head.
    const { alloc, zone } = normalOnly(262144);
    const pfn = alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0);
    alloc.freePages(pfn, 0);
    checkInvariants(alloc);
    expect(listPfns(alloc, zone, 10, MT.MOVABLE)).toEqual(range(256, (i) => P + i * 1024));
    expect(Array.from(zone.nrFree)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 256]);
    expect(nrFreePages(zone)).toBe(262144);
  });

  it('does not merge buddies that lie in different zones', () => {
    // page_is_buddy() requires page_zone_id(page) == page_zone_id(buddy). DMA32 [0x10000, 0x10600)
    // and Normal [0x10600, 0x11000): 0x10400 and 0x10600 are order-9 buddies in different zones.
    const { alloc } = bootMachine(config([[zc('DMA32', 0x10000, 0x600), zc('Normal', 0x10600, 0xa00)]]));
    const dma32 = alloc.nodes[0]!.zones[ZoneType.DMA32]!;
    const normal = alloc.nodes[0]!.zones[ZoneType.NORMAL]!;
    mustAllocAt(alloc, 0x10400, 9);
    mustAllocAt(alloc, 0x10600, 9);
    alloc.freePages(0x10400, 9);
    alloc.freePages(0x10600, 9);
    checkInvariants(alloc);
    expect(freeBlocks(alloc, dma32)).toEqual([blk(MT.MOVABLE, 10, 0x10000), blk(MT.MOVABLE, 9, 0x10400)]);
    expect(freeBlocks(alloc, normal)).toEqual([
      blk(MT.MOVABLE, 9, 0x10600), blk(MT.MOVABLE, 10, 0x10800), blk(MT.MOVABLE, 10, 0x10c00),
    ]);
  });

  it('does not merge a HIGHATOMIC pageblock with a MOVABLE one above pageblock order', () => {
    // At order >= pageblock_order: migratetype (H) != buddy_mt (M) and H is not
    // migratetype_is_mergeable() (mt < MIGRATE_PCPTYPES) -> goto done_merging.
    const { alloc, zone } = normalOnly(4096);
    mustAllocAt(alloc, P + 512, 9);
    setPbType(alloc, P + 512, MT.HIGHATOMIC);
    alloc.freePages(P + 512, 9); // __free_pages_ok(): mt = get_pfnblock_migratetype() = H
    checkInvariants(alloc);
    expect(listPfns(alloc, zone, 9, MT.MOVABLE)).toEqual([P]);
    expect(listPfns(alloc, zone, 9, MT.HIGHATOMIC)).toEqual([P + 512]);
    expect(zone.nrFree[10]).toBe(3);
    expect(nrFreePages(zone)).toBe(4096);
  });

  it('does not merge an ISOLATE pageblock with a MOVABLE one, and does not count it free', () => {
    // __free_pages_ok(): mt = I -> free path keeps I; __free_one_page() skips
    // __mod_zone_freepage_state() for isolate and stops at order 9 as for H.
    const { alloc, zone } = normalOnly(4096);
    mustAllocAt(alloc, P + 512, 9);
    setPbType(alloc, P + 512, MT.ISOLATE);
    zone.nrIsolatePageblock = 1; // has_isolate_pageblock()
    alloc.freePages(P + 512, 9);
    checkInvariants(alloc);
    expect(listPfns(alloc, zone, 9, MT.MOVABLE)).toEqual([P]);
    expect(listPfns(alloc, zone, 9, MT.ISOLATE)).toEqual([P + 512]);
    expect(nrFreePages(zone)).toBe(4096 - 512);
  });

  it('merges UNMOVABLE with MOVABLE above pageblock order and files the result under the freed type', () => {
    // Both mergeable -> merge to order 10; the merged block goes to the freed page's list (U).
    const { alloc, zone } = normalOnly(4096);
    mustAllocAt(alloc, P + 512, 9);
    setPbType(alloc, P + 512, MT.UNMOVABLE);
    alloc.freePages(P + 512, 9);
    checkInvariants(alloc);
    expect(listPfns(alloc, zone, 10, MT.UNMOVABLE)).toEqual([P]);
    expect(zone.nrFree[9]).toBe(0);
  });
});

describe('buddy_merge_likely(): tail insertion when the parent\'s buddy is free', () => {
  it('goes to the tail when the order+1 buddy of the would-be parent is free', () => {
    // Fresh 16 MiB. allocPagesAt(Q=P+1024, 0) leaves Q+1 on the o0 list. Take P and P+1: P+2 is a
    // free o1. Freeing P: buddy P+1 busy -> stays o0; higher = P & P+1 = P, its order-1 buddy P+2
    // is a free o1 -> to_tail: the o0 list becomes [Q+1, P].
    const { alloc, zone } = normalOnly(4096);
    mustAllocAt(alloc, P + 1024, 0);
    mustAllocAt(alloc, P, 0);
    mustAllocAt(alloc, P + 1, 0);
    expect(listPfns(alloc, zone, 0, MT.MOVABLE)).toEqual([P + 1025]);
    alloc.freePages(P, 0);
    checkInvariants(alloc);
    expect(listPfns(alloc, zone, 0, MT.MOVABLE)).toEqual([P + 1025, P]);
  });

  it('goes to the head when the parent\'s buddy is not free', () => {
    // Take P, P+1, P+2: P+3 is the o0 head. Freeing P: buddy P+1 busy; higher = P, its order-1
    // buddy P+2 is allocated -> add_to_free_list() at the head: [P, P+3].
    const { alloc, zone } = normalOnly(4096);
    mustAllocAt(alloc, P, 0);
    mustAllocAt(alloc, P + 1, 0);
    mustAllocAt(alloc, P + 2, 0);
    expect(listPfns(alloc, zone, 0, MT.MOVABLE)).toEqual([P + 3]);
    alloc.freePages(P, 0);
    checkInvariants(alloc);
    expect(listPfns(alloc, zone, 0, MT.MOVABLE)).toEqual([P, P + 3]);
  });

  it('applies at order 8 but not at order 9 (order >= MAX_ORDER - 2 returns false)', () => {
    // Order 8: allocPagesAt(S=P+2048, 8) leaves S+256 on the o8 list. Take P (o8) and P+256 (o8):
    // P+512 is a free o9. Freeing P: higher = P, order-9 buddy P+512 free -> tail: [S+256, P].
    const a8 = normalOnly(4096);
    mustAllocAt(a8.alloc, P + 2048, 8);
    mustAllocAt(a8.alloc, P, 8);
    mustAllocAt(a8.alloc, P + 256, 8);
    a8.alloc.freePages(P, 8);
    checkInvariants(a8.alloc);
    expect(listPfns(a8.alloc, a8.zone, 8, MT.MOVABLE)).toEqual([P + 2048 + 256, P]);

    // Order 9: S o9 leaves S+512 on the o9 list; take P and P+512 (o9); P+1024 is a free o10,
    // which would make the heuristic true, but order 9 >= MAX_ORDER - 2 -> head: [P, S+512].
    const a9 = normalOnly(4096);
    mustAllocAt(a9.alloc, P + 2048, 9);
    mustAllocAt(a9.alloc, P, 9);
    mustAllocAt(a9.alloc, P + 512, 9);
    a9.alloc.freePages(P, 9);
    checkInvariants(a9.alloc);
    expect(listPfns(a9.alloc, a9.zone, 9, MT.MOVABLE)).toEqual([P, P + 2048 + 512]);
  });
});

describe('fallback: __rmqueue_fallback() / steal_suitable_fallback() (pcp off)', () => {
  it('UNMOVABLE order 0 on a fresh zone steals the largest block and takes both its pageblocks', () => {
    // Fast path, ALLOC_NOFRAGMENT (Normal preferred): min_order = pageblock_order. co = 10:
    // find_suitable_fallback(U) -> E empty, M non-empty, can_steal (order >= pageblock_order).
    // steal_suitable_fallback(): current_order 10 >= 9 -> change_pageblock_range() sets the two
    // pageblocks of P to U (no boost on this path), move_to_free_list() -> U o10.
    // __rmqueue_smallest(U) then splits it. Trace: change_ownership = (U == pageblock type of P).
    const { alloc, zone } = normalOnly(262144);
    const rec = record(alloc);
    expect(alloc.allocPages(GFP_KERNEL, 0)).toBe(P);
    checkInvariants(alloc);
    expect(rec.extfrag).toEqual([
      { pfn: P, allocOrder: 0, fallbackOrder: 10, allocMt: MT.UNMOVABLE, fallbackMt: MT.MOVABLE, changeOwnership: true },
    ]);
    expect(rec.allocs).toEqual([{ pfn: P, order: 0, gfp: GFP_KERNEL, mt: MT.UNMOVABLE }]);
    expect(pageblockCounts(alloc, zone)).toEqual([2, 510, 0, 0, 0]);
    expect([pbType(alloc, P), pbType(alloc, P + 512), pbType(alloc, P + 1024)]).toEqual([MT.UNMOVABLE, MT.UNMOVABLE, MT.MOVABLE]);
    for (let o = 0; o <= 9; o++) expect(listPfns(alloc, zone, o, MT.UNMOVABLE)).toEqual([P + (1 << o)]);
    expect(listPfns(alloc, zone, 10, MT.MOVABLE)[0]).toBe(P + 1024);
    expect(zone.watermarkBoost).toBe(0);

    // The next UNMOVABLE request is served from the U lists without a fallback.
    expect(alloc.allocPages(GFP_KERNEL, 0)).toBe(P + 1);
    expect(rec.extfrag.length).toBe(1);

    // RECLAIMABLE next: the search is by order first, so at co = 10 only M has a block (U's
    // largest is o9) -> steals P+1024 o10 even though U comes first in fallbacks[E].
    expect(alloc.allocPages(GFP_RECLAIMABLE_KERNEL, 0)).toBe(P + 1024);
    expect(rec.extfrag[1]).toEqual({
      pfn: P + 1024, allocOrder: 0, fallbackOrder: 10, allocMt: MT.RECLAIMABLE, fallbackMt: MT.MOVABLE, changeOwnership: true,
    });
    expect(pageblockCounts(alloc, zone)).toEqual([2, 508, 2, 0, 0]);
    checkInvariants(alloc);
  });

  it('MOVABLE falling back into UNMOVABLE blocks takes the smallest block (find_smallest)', () => {
    // 16 MiB, every pageblock U, everything allocated, then free: the even pages of pageblock 0
    // except [P+256, P+264) (252 x o0, freed in ascending order, each to the head since its parent's
    // buddy is never a free o1 -> head = P+510) and P+256..P+259 (merge to o2). 256 free > low 160.
    // GFP_HIGHUSER_MOVABLE: NOFRAGMENT pass finds nothing >= o9; the retry finds co = 2 with U
    // non-empty but can_steal_fallback(2, M) false and co > order -> find_smallest from order 0 ->
    // the head of U o0 = P+510. steal_suitable_fallback(whole_block = false): boost_watermark()
    // (managed 4096 >= 4 * 512): max_boost = max(512, mult_frac(high 192, 15000, 10000) = 288) ->
    // boost 512; then single_page: move_to_free_list(M). The pageblock stays U.
    const { alloc, zone } = normalOnly(4096);
    for (let pb = 0; pb < 8; pb++) setPbType(alloc, P + pb * 512, MT.UNMOVABLE);
    for (let i = 0; i < 512; i++) mustAllocAt(alloc, P + i, 0);
    allocRange(alloc, P + 512, P + 4096);
    for (let i = 0; i < 512; i += 2) if (i < 256 || i >= 264) alloc.freePages(P + i, 0);
    for (let i = 256; i < 260; i++) alloc.freePages(P + i, 0);
    checkInvariants(alloc);
    expect(nrFreePages(zone)).toBe(256);
    expect(listPfns(alloc, zone, 2, MT.UNMOVABLE)).toEqual([P + 256]);
    expect(listPfns(alloc, zone, 0, MT.UNMOVABLE)[0]).toBe(P + 510);

    const rec = record(alloc);
    const wakes: number[][] = [];
    alloc.hooks = { wakeupKswapd: (z, _gfp, order, hi) => wakes.push([z.type, order, hi]) };
    expect(alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0)).toBe(P + 510);
    checkInvariants(alloc);
    expect(rec.extfrag).toEqual([
      { pfn: P + 510, allocOrder: 0, fallbackOrder: 0, allocMt: MT.MOVABLE, fallbackMt: MT.UNMOVABLE, changeOwnership: false },
    ]);
    expect(pbType(alloc, P)).toBe(MT.UNMOVABLE);
    expect(zone.watermarkBoost).toBe(512);
    // ZONE_BOOSTED_WATERMARK (ALLOC_KSWAPD from __GFP_KSWAPD_RECLAIM) -> rmqueue() wakes kswapd
    // with order 0 and highest_zoneidx = zone_idx(zone).
    expect(wakes).toEqual([[ZoneType.NORMAL, 0, ZoneType.NORMAL]]);
    expect(zone.boostedWatermark).toBe(false);
    expect(listPfns(alloc, zone, 2, MT.UNMOVABLE)).toEqual([P + 256]);
  });

  /**
   * 16 MiB; pageblocks 1..7 fully allocated; pageblock 0 has [P, P+300) allocated, leaving
   * P+300 o2, P+304 o4, P+320 o6, P+384 o7 = 212 free pages (> low watermark 160).
   */
  function partlyUsedBlock(lru: number, blockType: number, flag = PG_lru) {
    const m = normalOnly(4096);
    const { alloc } = m;
    for (let pb = 0; pb < 8; pb++) setPbType(alloc, P + pb * 512, blockType);
    mustAllocAt(alloc, P, 8);
    mustAllocAt(alloc, P + 256, 5);
    mustAllocAt(alloc, P + 288, 3);
    mustAllocAt(alloc, P + 296, 2);
    for (let pb = 1; pb < 8; pb++) mustAllocAt(alloc, P + pb * 512, 9);
    for (let i = 0; i < lru; i++) alloc.mem.flags[i]! |= flag;
    expect(freeBlocks(alloc, m.zone)).toEqual([
      blk(blockType, 2, P + 300), blk(blockType, 4, P + 304), blk(blockType, 6, P + 320), blk(blockType, 7, P + 384),
    ]);
    checkInvariants(alloc);
    return m;
  }

  // RECLAIMABLE from a MOVABLE block: alike = pageblock_nr_pages - (free + movable), so
  // free + alike = 512 - movable; the block is claimed iff that is >= 1 << (pageblock_order - 1).
  it.each([
    [0, true],
    [256, true],
    [257, false],
  ])('RECLAIMABLE steal from a partly used MOVABLE block with %i LRU pages: claimed = %s', (lru, claimed) => {
    // NOFRAGMENT pass fails (no block >= o9); the retry: co = 7, fallbacks[E] = {U (empty), M}
    // -> can_steal (start_mt E) -> steal P+384; move_freepages_block() moves all 4 free blocks to
    // the E lists (tail, pfn order) whatever the outcome; 212 + (512 - 212 - lru) >= 256?
    const { alloc, zone } = partlyUsedBlock(lru, MT.MOVABLE);
    const rec = record(alloc);
    expect(alloc.allocPages(GFP_RECLAIMABLE_KERNEL, 0)).toBe(P + 300);
    checkInvariants(alloc);
    expect(rec.extfrag).toEqual([
      { pfn: P + 384, allocOrder: 0, fallbackOrder: 7, allocMt: MT.RECLAIMABLE, fallbackMt: MT.MOVABLE, changeOwnership: claimed },
    ]);
    expect(pbType(alloc, P)).toBe(claimed ? MT.RECLAIMABLE : MT.MOVABLE);
    // __rmqueue_smallest(E, 0) split P+300 o2 -> P+302 o1, P+301 o0.
    expect(freeBlocks(alloc, zone)).toEqual([
      blk(MT.RECLAIMABLE, 0, P + 301), blk(MT.RECLAIMABLE, 1, P + 302), blk(MT.RECLAIMABLE, 4, P + 304),
      blk(MT.RECLAIMABLE, 6, P + 320), blk(MT.RECLAIMABLE, 7, P + 384),
    ]);
    expect(zone.watermarkBoost).toBe(512);
  });

  it('__PageMovable pages count as movable like PageLRU ones', () => {
    const { alloc } = partlyUsedBlock(257, MT.MOVABLE, PG_movable);
    expect(alloc.allocPages(GFP_RECLAIMABLE_KERNEL, 0)).toBe(P + 300);
    expect(pbType(alloc, P)).toBe(MT.MOVABLE);
  });

  // MOVABLE from an UNMOVABLE block: alike = movable_pages (LRU or __PageMovable), so the block
  // is claimed iff 212 + movable >= 256, i.e. movable >= 44.
  it.each([
    [0, false],
    [43, false],
    [44, true],
  ])('MOVABLE steal from a partly used UNMOVABLE block with %i LRU pages: claimed = %s', (lru, claimed) => {
    // can_steal_fallback(7, M): 7 >= pageblock_order / 2 -> whole_block; co = 7 is stolen directly.
    const { alloc, zone } = partlyUsedBlock(lru, MT.UNMOVABLE);
    const rec = record(alloc);
    expect(alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0)).toBe(P + 300);
    checkInvariants(alloc);
    expect(rec.extfrag).toEqual([
      { pfn: P + 384, allocOrder: 0, fallbackOrder: 7, allocMt: MT.MOVABLE, fallbackMt: MT.UNMOVABLE, changeOwnership: claimed },
    ]);
    expect(pbType(alloc, P)).toBe(claimed ? MT.MOVABLE : MT.UNMOVABLE);
    expect(listPfns(alloc, zone, 7, MT.MOVABLE)).toEqual([P + 384]);
    expect(zone.nrFree[7]).toBe(1);
  });

  // UNMOVABLE from a RECLAIMABLE block or the reverse: steal_suitable_fallback() cannot tell the
  // used pages' types apart, so alike_pages = 0 and only the free pages count: the block is
  // claimed iff free >= 1 << (pageblock_order - 1) = 256.
  it.each([
    { start: 'UNMOVABLE', block: 'RECLAIMABLE', free: 255 },
    { start: 'UNMOVABLE', block: 'RECLAIMABLE', free: 256 },
    { start: 'RECLAIMABLE', block: 'UNMOVABLE', free: 255 },
    { start: 'RECLAIMABLE', block: 'UNMOVABLE', free: 256 },
  ] as const)('$start steal from a $block block with $free free pages (alike_pages = 0)', ({ start, block, free }) => {
    const startMt = MT[start];
    const blockMt = MT[block];
    // 16 MiB, every pageblock blockMt, pageblocks 1..7 allocated; pageblock 0 has [P, P+256)
    // allocated, so P+256 o8 is free (256 pages). For 255, P+256 is allocated too:
    // break_down_buddy_pages() leaves P+257 o0, P+258 o1, ... P+384 o7 on blockMt's lists.
    // None of the used pages is LRU: had the MOVABLE-block rule applied (alike = 512 - free -
    // movable), 255 free pages would claim the block.
    const { alloc, zone } = normalOnly(4096);
    for (let pb = 0; pb < 8; pb++) setPbType(alloc, P + pb * 512, blockMt);
    for (let pb = 1; pb < 8; pb++) mustAllocAt(alloc, P + pb * 512, 9);
    mustAllocAt(alloc, P, 8);
    if (free === 255) mustAllocAt(alloc, P + 256, 0);
    expect(nrFreePages(zone)).toBe(free);
    checkInvariants(alloc);

    // The NOFRAGMENT pass finds no block >= o9; the retry's __rmqueue_fallback() takes the
    // largest block on blockMt's lists (fallbacks[U] = {E, M}, fallbacks[E] = {U, M}; can_steal
    // since start_mt is U or E): P+256 o8, or P+384 o7. move_freepages_block() moves every free
    // block of pageblock 0 to startMt's lists (tail) and returns free_pages = `free`.
    const gfp = startMt === MT.UNMOVABLE ? GFP_KERNEL : GFP_RECLAIMABLE_KERNEL;
    const claimed = free >= 256;
    const rec = record(alloc);
    const stolen = claimed ? P + 256 : P + 384;
    // __rmqueue_smallest(startMt, 0) then takes the head of startMt's smallest list.
    expect(alloc.allocPages(gfp, 0)).toBe(claimed ? P + 256 : P + 257);
    checkInvariants(alloc);
    expect(rec.extfrag).toEqual([
      { pfn: stolen, allocOrder: 0, fallbackOrder: claimed ? 8 : 7, allocMt: startMt, fallbackMt: blockMt, changeOwnership: claimed },
    ]);
    expect(pbType(alloc, P)).toBe(claimed ? startMt : blockMt);
    // Claimed or not, the free blocks left in pageblock 0 are all on startMt's lists (when not
    // claimed, on another type's lists than their pageblock's): o0..o7 from the split of P+256 o8,
    // or o1..o7 once P+257 is taken.
    const left = claimed ? range(8, (o) => blk(startMt, o, P + 256 + (1 << o))) : range(7, (i) => blk(startMt, i + 1, P + 256 + (2 << i)));
    expect(freeBlocks(alloc, zone)).toEqual(left);
    expect(zone.watermarkBoost).toBe(512);
  });

  it('ALLOC_NOFRAGMENT: with DMA32 populated an UNMOVABLE request steals a whole DMA32 block first', () => {
    // DMA32 [0xff000, 0x100000) and Normal [0x100000, 0x102000) on one node; every Normal
    // pageblock has its first page allocated, so Normal's largest free block is o8.
    // alloc_flags_nofragment(Normal) sets ALLOC_NOFRAGMENT. Pass 1: Normal passes its watermark
    // but __rmqueue_fallback() refuses co < pageblock_order -> NULL; DMA32 (free 4096 > low +
    // lowmem_reserve[NORMAL] = 8192/256) steals its o10 block at 0xff000.
    const { alloc } = bootMachine(config([[zc('DMA32', 0xff000, 4096), zc('Normal', P, 8192)]]));
    const normal = alloc.nodes[0]!.zones[ZoneType.NORMAL]!;
    for (let pb = 0; pb < 16; pb++) mustAllocAt(alloc, P + pb * 512, 0);
    const rec = record(alloc);
    expect(alloc.allocPages(GFP_KERNEL, 0)).toBe(0xff000);
    expect(rec.extfrag).toEqual([
      { pfn: 0xff000, allocOrder: 0, fallbackOrder: 10, allocMt: MT.UNMOVABLE, fallbackMt: MT.MOVABLE, changeOwnership: true },
    ]);
    expect(pageblockCounts(alloc, normal)).toEqual([0, 16, 0, 0, 0]);
    checkInvariants(alloc);
  });

  it('ALLOC_NOFRAGMENT: when no zone has a free pageblock the retry fragments the preferred zone', () => {
    // Both zones fragmented -> pass 1 fails everywhere -> get_page_from_freelist() clears
    // ALLOC_NOFRAGMENT and retries: Normal, co = 8, the head of M o8 is the piece of the last
    // pageblock broken by allocPagesAt (break_down_buddy_pages() adds to the head):
    // 0x101e00 + 256. The whole block is claimed (free 511 + alike 1 >= 256); __rmqueue_smallest(U)
    // then returns its o0 piece 0x101e01.
    const { alloc } = bootMachine(config([[zc('DMA32', 0xff000, 4096), zc('Normal', P, 8192)]]));
    for (let pb = 0; pb < 8; pb++) mustAllocAt(alloc, 0xff000 + pb * 512, 0);
    for (let pb = 0; pb < 16; pb++) mustAllocAt(alloc, P + pb * 512, 0);
    const rec = record(alloc);
    expect(alloc.allocPages(GFP_KERNEL, 0)).toBe(0x101e01);
    expect(rec.extfrag).toEqual([
      { pfn: 0x101f00, allocOrder: 0, fallbackOrder: 8, allocMt: MT.UNMOVABLE, fallbackMt: MT.MOVABLE, changeOwnership: true },
    ]);
    expect(pbType(alloc, 0x101e00)).toBe(MT.UNMOVABLE);
    checkInvariants(alloc);
  });

  it('ALLOC_NOFRAGMENT is not set on a multi-node machine whose node has no DMA32', () => {
    // alloc_flags_nofragment(): nr_online_nodes > 1 && !populated_zone(DMA32) -> no NOFRAGMENT, so
    // node 0's fragmented Normal serves the request by a sub-pageblock steal instead of node 1.
    const { alloc } = bootMachine(config([[zc('Normal', P, 4096)], [zc('Normal', P + 4096, 4096)]], { cpus: 2 }));
    for (let pb = 0; pb < 8; pb++) mustAllocAt(alloc, P + pb * 512, 0);
    const rec = record(alloc);
    expect(alloc.allocPages(GFP_KERNEL, 0, 0)).toBe(P + 7 * 512 + 1);
    expect(rec.extfrag[0]).toMatchObject({ pfn: P + 7 * 512 + 256, fallbackOrder: 8, changeOwnership: true });
    checkInvariants(alloc);
  });

  it('ALLOC_NOFRAGMENT on a Normal-only node: a pcp refill stops early instead of fragmenting', () => {
    // 1 GiB, pcp on (batch 63). Every pageblock has its first page allocated; pageblock 0 is U and
    // all of it is allocated except P+1..P+7 (o0, o1, o2 on the U lists).
    // GFP_KERNEL: rmqueue_pcplist() -> rmqueue_bulk(63) with ALLOC_NOFRAGMENT: 7 pages come from the
    // U lists, the 8th __rmqueue() finds no fallback >= o9 and the loop breaks. The list is not
    // empty, so the head P+1 is returned and 6 stay on the pcp. No steal happens.
    const { alloc, zone } = normalOnly(262144, { pcp: true });
    setPbType(alloc, P, MT.UNMOVABLE);
    for (let pb = 0; pb < 512; pb++) mustAllocAt(alloc, P + pb * 512, 0);
    for (let o = 3; o <= 8; o++) mustAllocAt(alloc, P + (1 << o), o);
    expect(freeBlocks(alloc, zone).filter((b) => b.startsWith('U'))).toEqual([
      blk(MT.UNMOVABLE, 0, P + 1), blk(MT.UNMOVABLE, 1, P + 2), blk(MT.UNMOVABLE, 2, P + 4),
    ]);
    const rec = record(alloc);
    const free0 = nrFreePages(zone);
    expect(alloc.allocPages(GFP_KERNEL, 0)).toBe(P + 1);
    expect(zone.pcpCount[0]).toBe(6);
    expect(pcpPfns(alloc, zone, 0, orderToPindex(MT.UNMOVABLE, 0))).toEqual(range(6, (i) => P + 2 + i));
    expect(nrFreePages(zone)).toBe(free0 - 7);
    expect(rec.extfrag).toEqual([]);
    checkInvariants(alloc);
    for (let i = 2; i <= 7; i++) expect(alloc.allocPages(GFP_KERNEL, 0)).toBe(P + i);
    // Now the refill gets nothing with NOFRAGMENT (rmqueue_buddy fails too), the zonelist pass
    // fails and the retry without it steals: M o8 head = last pageblock's piece 0x13ff00, claimed;
    // rmqueue_bulk then fills 63 pages 0x13fe01.. in pfn order.
    expect(alloc.allocPages(GFP_KERNEL, 0)).toBe(0x13fe01);
    expect(rec.extfrag).toEqual([
      { pfn: 0x13ff00, allocOrder: 0, fallbackOrder: 8, allocMt: MT.UNMOVABLE, fallbackMt: MT.MOVABLE, changeOwnership: true },
    ]);
    expect(pcpPfns(alloc, zone, 0, orderToPindex(MT.UNMOVABLE, 0))).toEqual(range(62, (i) => 0x13fe02 + i));
    expect(zone.pcpCount[0]).toBe(62);
    checkInvariants(alloc);
  });
});

describe('watermark boosting: boost_watermark()', () => {
  it('adds pageblock_nr_pages per sub-pageblock steal, up to watermark_boost_factor (150%) of high', () => {
    // 1 GiB: high = 1548 -> max_boost = mult_frac(1548, 15000, 10000) = 2322. Every pageblock
    // fragmented; each GFP_KERNEL order-8 request steals (and claims) a fresh pageblock's o8
    // piece (M o8 head, highest pageblock first), boosting by 512 each time.
    const { alloc, zone } = normalOnly(262144);
    for (let pb = 0; pb < 512; pb++) mustAllocAt(alloc, P + pb * 512, 0);
    const wakes: number[][] = [];
    alloc.hooks = { wakeupKswapd: (z, _gfp, order, hi) => wakes.push([z.type, order, hi]) };
    const boosts: number[] = [];
    const pfns: number[] = [];
    for (let i = 0; i < 5; i++) {
      pfns.push(alloc.allocPages(GFP_KERNEL, 8));
      boosts.push(zone.watermarkBoost);
    }
    expect(pfns).toEqual(range(5, (i) => P + (511 - i) * 512 + 256));
    expect(boosts).toEqual([512, 1024, 1536, 2048, 2322]);
    expect(wakes).toEqual(Array.from({ length: 5 }, () => [ZoneType.NORMAL, 0, ZoneType.NORMAL]));
    // min/low/high_wmark_pages() include the boost.
    expect(zone.wmarkPages(WMARK_LOW)).toBe(1286 + 2322);
    checkInvariants(alloc);
  });

  it('is at least pageblock_nr_pages: a 16 MiB zone (150% of high = 288) stays at 512', () => {
    const { alloc, zone } = normalOnly(4096);
    for (let pb = 0; pb < 8; pb++) mustAllocAt(alloc, P + pb * 512, 0);
    alloc.allocPages(GFP_KERNEL, 8);
    expect(zone.watermarkBoost).toBe(512);
    alloc.allocPages(GFP_KERNEL, 8);
    expect(zone.watermarkBoost).toBe(512);
  });

  it('does nothing when watermark_boost_factor is 0', () => {
    const { alloc, zone } = normalOnly(4096, { sysctl: { watermarkBoostFactor: 0 } });
    for (let pb = 0; pb < 8; pb++) mustAllocAt(alloc, P + pb * 512, 0);
    alloc.allocPages(GFP_KERNEL, 8);
    expect(zone.watermarkBoost).toBe(0);
  });
});

describe('per-cpu lists', () => {
  it('zone_batchsize() and zone_highsize() for a 1 GiB zone', () => {
    // batch = min(262144 >> 10, 256) / 4 = 64 -> rounddown_pow_of_two(96) - 1 = 63.
    // high = low_wmark_pages / cpus of the node, at least 4 * batch: 1286 (1 cpu), 643 (2 cpus).
    expect(normalOnly(262144, { pcp: true }).zone.pcpBatch[0]).toBe(63);
    expect(normalOnly(262144, { pcp: true }).zone.pcpHigh[0]).toBe(1286);
    expect(Array.from(normalOnly(262144, { pcp: true, cpus: 2 }).zone.pcpHigh)).toEqual([643, 643]);
    // 16 MiB: min(4, 256) / 4 = 1 -> rounddown_pow_of_two(1) - 1 = 0 -> caller raises to 1;
    // high = max(160, 4).
    const small = normalOnly(4096, { pcp: true }).zone;
    expect([small.pcpBatch[0], small.pcpHigh[0]]).toEqual([1, 160]);
  });

  it.each([
    // [order, blocks fetched = max(63 >> order, 2)]
    [0, 63],
    [1, 31],
    [3, 7],
    [9, 2],
  ])('a refill at order %i takes %i blocks in pfn order and hands out the list head', (order, blocks) => {
    // __rmqueue_pcplist(): batch > 1 -> max(batch >> order, 2); rmqueue_bulk() appends each block
    // to the list tail (ascending pfns from one split), subtracts i << order from NR_FREE_PAGES;
    // the allocation takes list_first_entry(). pcp pages are not in nr_free/buddyinfo.
    const { alloc, zone } = normalOnly(262144, { pcp: true });
    expect(alloc.allocPages(GFP_HIGHUSER_MOVABLE, order)).toBe(P);
    checkInvariants(alloc);
    const size = 1 << order;
    expect(zone.pcpCount[0]).toBe((blocks - 1) * size);
    expect(pcpPfns(alloc, zone, 0, orderToPindex(MT.MOVABLE, order))).toEqual(range(blocks - 1, (i) => P + (i + 1) * size));
    expect(nrFreePages(zone)).toBe(262144 - blocks * size);
    let buddyPages = 0;
    for (let o = 0; o < MAX_ORDER; o++) buddyPages += zone.nrFree[o]! << o;
    expect(buddyPages).toBe(262144 - blocks * size);
    expect(alloc.events.get(VmEvent.PGALLOC_NORMAL)).toBe(size);
  });

  it('order 0 refill leaves the buddy remainder of the first block as o0, o6, o7, o8, o9', () => {
    // 63 pages taken from [P, P+1024): free [P+63, P+1024) = o0 @P+63, o6 @P+64, o7, o8, o9.
    const { alloc, zone } = normalOnly(262144, { pcp: true });
    alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0);
    expect(Array.from(zone.nrFree)).toEqual([1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 255]);
    expect(listPfns(alloc, zone, 0, MT.MOVABLE)).toEqual([P + 63]);
    expect(listPfns(alloc, zone, 6, MT.MOVABLE)).toEqual([P + 64]);
  });

  it('orders above 3 other than pageblock_order bypass the pcp', () => {
    const { alloc, zone } = normalOnly(262144, { pcp: true });
    expect(alloc.allocPages(GFP_HIGHUSER_MOVABLE, 4)).toBe(P);
    expect(zone.pcpCount[0]).toBe(0);
    alloc.freePages(P, 4);
    expect(zone.pcpCount[0]).toBe(0);
    expect(nrFreePages(zone)).toBe(262144);
  });

  it('free_pcppages_bulk() at count >= high frees nr_pcp_free() pages from the list tail, doubling each time', () => {
    // 2520 = 40 refills of 63 -> pages P..P+2519 allocated, pcp empty. Free them in ascending
    // order: list_add() at the head, so the tail holds the oldest. count reaches high 1286 at the
    // 1286th free -> nr_pcp_free(): batch 63 << free_factor, free_factor++ while batch < high -
    // batch (1223) and free_factor < CONFIG_PCP_BATCH_SCALE_MAX (5), clamped to [63, 1223]:
    // 63 (ff 1), then after 63 more frees 126 (ff 2), +126 -> 252 (ff 3), +252 -> 504 (ff 4),
    // +504 -> 1008 (ff 5). The remaining 289 frees leave 278 + 289 = 567 on the pcp.
    const { alloc, zone } = normalOnly(262144, { pcp: true });
    const pfns = range(2520, () => alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0));
    expect(pfns).toEqual(range(2520, (i) => P + i));
    expect(zone.pcpCount[0]).toBe(0);
    const rec = record(alloc);
    const bulks: [number, number][] = [];
    let seen = 0;
    for (let i = 0; i < 2520; i++) {
      alloc.freePages(P + i, 0);
      if (rec.drains.length !== seen) {
        bulks.push([i, rec.drains.length - seen]);
        seen = rec.drains.length;
        if (i === 1285) {
          expect(zone.pcpCount[0]).toBe(1223);
          expect(zone.pcpFreeFactor[0]).toBe(1);
          checkInvariants(alloc);
        }
      }
    }
    expect(bulks).toEqual([[1285, 63], [1348, 126], [1474, 252], [1726, 504], [2230, 1008]]);
    expect(rec.drains.map((d) => d.pfn)).toEqual(range(1953, (i) => P + i));
    expect(rec.drains.every((d) => d.order === 0 && d.mt === MT.MOVABLE)).toBe(true);
    expect(zone.pcpCount[0]).toBe(567);
    expect(zone.pcpFreeFactor[0]).toBe(5);
    expect(nrFreePages(zone)).toBe(262144 - 2520 + 1953);
    checkInvariants(alloc);

    // drain_all_pages(): everything back, fully merged.
    alloc.drainAllPages();
    expect(zone.pcpCount[0]).toBe(0);
    expect(nrFreePages(zone)).toBe(262144);
    expect(Array.from(zone.nrFree)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 256]);
    checkInvariants(alloc);
  });

  /** 1 GiB pcp: X = an order-1 page, then 1323 order-0 pages, 1226 of them freed (ff = 1, count 1223 + 60). */
  function freeFactorSetup() {
    const m = normalOnly(262144, { pcp: true });
    const { alloc, zone } = m;
    const x = alloc.allocPages(GFP_HIGHUSER_MOVABLE, 1); // 31 o1 refill -> 30 stay (60 pages)
    const pages = range(1323, () => alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0));
    expect(zone.pcpCount[0]).toBe(60);
    for (let i = 0; i < 1226; i++) alloc.freePages(pages[i]!, 0); // count 1286 -> bulk of 63
    expect(zone.pcpCount[0]).toBe(1223);
    expect(zone.pcpFreeFactor[0]).toBe(1);
    return { ...m, x };
  }

  it('free_high: an order 1..3 free while free_factor > 0 flushes the whole pcp', () => {
    // free_unref_page_commit(): free_high = free_factor && order && order <= COSTLY ->
    // nr_pcp_high() = 0 -> nr_pcp_free() returns pcp->count.
    const { alloc, zone, x } = freeFactorSetup();
    alloc.freePages(x, 1);
    expect(zone.pcpCount[0]).toBe(0);
    expect(nrFreePages(zone)).toBe(262144 - 97);
    checkInvariants(alloc);
  });

  it('an allocation halves free_factor (rmqueue_pcplist), so the same free is kept', () => {
    const { alloc, zone, x } = freeFactorSetup();
    alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0);
    expect(zone.pcpFreeFactor[0]).toBe(0);
    alloc.freePages(x, 1);
    expect(zone.pcpCount[0]).toBe(1223 - 1 + 2);
    checkInvariants(alloc);
  });

  it('drain uses the migratetype cached at free time even if the pageblock changed since', () => {
    // free_unref_page_prepare() caches get_pfnblock_migratetype() (M); free_pcppages_bulk() passes
    // get_pcppage_migratetype() to __free_one_page() (no isolated pageblocks) -> the merged o10
    // lands on the M list although pageblock P is now U.
    const { alloc, zone } = normalOnly(262144, { pcp: true });
    const rec = record(alloc);
    const pfn = alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0);
    alloc.freePages(pfn, 0);
    setPbType(alloc, P, MT.UNMOVABLE);
    alloc.drainAllPages();
    checkInvariants(alloc);
    expect(rec.drains.length).toBe(63);
    expect(rec.drains.every((d) => d.mt === MT.MOVABLE)).toBe(true);
    expect(listPfns(alloc, zone, 10, MT.MOVABLE)).toContain(P);
    expect(freeListCounts(alloc, zone)[MT.UNMOVABLE]!.every((n) => n === 0)).toBe(true);
    expect(pbType(alloc, P)).toBe(MT.UNMOVABLE);
  });

  it('HIGHATOMIC pages go to the MOVABLE pcp list but drain to the HIGHATOMIC free list', () => {
    // free_unref_page(): mt = H >= MIGRATE_PCPTYPES -> pcpmigratetype = M (pindex 1) but the
    // cached type stays H; at drain __free_one_page(mt H) merges up to o9 inside the block and
    // stops at the M buddy P+512 (non-mergeable H).
    const { alloc, zone } = normalOnly(262144, { pcp: true });
    mustAllocAt(alloc, P, 0);
    setPbType(alloc, P, MT.HIGHATOMIC);
    alloc.freePages(P, 0);
    expect(pcpPfns(alloc, zone, 0, orderToPindex(MT.MOVABLE, 0))).toEqual([P]);
    alloc.drainAllPages();
    checkInvariants(alloc);
    expect(listPfns(alloc, zone, 9, MT.HIGHATOMIC)).toEqual([P]);
    expect(listPfns(alloc, zone, 9, MT.MOVABLE)).toEqual([P + 512]);
  });

  it('ISOLATE pages bypass the pcp', () => {
    // free_unref_page(): is_migrate_isolate(mt) -> free_one_page() directly, no PGFREE here.
    const { alloc, zone } = normalOnly(262144, { pcp: true });
    mustAllocAt(alloc, P, 9);
    setPbType(alloc, P, MT.ISOLATE);
    zone.nrIsolatePageblock = 1;
    alloc.freePages(P, 9);
    expect(zone.pcpCount[0]).toBe(0);
    expect(listPfns(alloc, zone, 9, MT.ISOLATE)).toEqual([P]);
    expect(nrFreePages(zone)).toBe(262144 - 512);
    checkInvariants(alloc);
  });

  it('each cpu has its own pcp; drainAllPages() empties all of them', () => {
    const { alloc, zone } = normalOnly(262144, { pcp: true, cpus: 2 });
    alloc.cpu = 0;
    expect(alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0)).toBe(P);
    alloc.cpu = 1;
    expect(alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0)).toBe(P + 63);
    expect(Array.from(zone.pcpCount)).toEqual([62, 62]);
    alloc.freePages(P, 0);
    expect(Array.from(zone.pcpCount)).toEqual([62, 63]);
    alloc.drainAllPages();
    expect(Array.from(zone.pcpCount)).toEqual([0, 0]);
    expect(nrFreePages(zone)).toBe(262144 - 1);
    checkInvariants(alloc);
  });
});

describe('watermarks: __setup_per_zone_wmarks(), calculate_min_free_kbytes(), lowmem reserve', () => {
  const wm = (z: Zone): number[] => [z.watermark[WMARK_MIN]!, z.watermark[WMARK_LOW]!, z.watermark[WMARK_HIGH]!];

  it('matches the real kernel for DMA 3840 + DMA32 241526 managed and min_free_kbytes 3823', () => {
    // pages_min = 3823 >> 2 = 955, lowmem = 245366. DMA: 955*3840/245366 = 14, gap = max(14 >> 2,
    // mult_frac(3840, 10, 10000) = 3) = 3 -> 14/17/20. DMA32: 940, gap = max(235, 241) = 241 ->
    // 940/1181/1422.
    const { alloc } = bootMachine(config(
      [[zc('DMA', 1, 4095, 3998, 3840), zc('DMA32', 4096, 258013, 258013, 241526)]],
      { cpus: 2, pcp: true, sysctl: { minFreeKbytes: 3823 } },
    ));
    const [dma, dma32] = [alloc.nodes[0]!.zones[ZoneType.DMA]!, alloc.nodes[0]!.zones[ZoneType.DMA32]!];
    expect(wm(dma)).toEqual([14, 17, 20]);
    expect(wm(dma32)).toEqual([940, 1181, 1422]);
    // setup_per_zone_lowmem_reserve(): DMA[j] = sum(managed of zones (DMA, j]) / 256 = 241526/256.
    // (The fixture's recorded 933 reflects DMA32's managed count when the reserve was computed
    // during boot, before init memory was released.)
    expect(Array.from(dma.lowmemReserve)).toEqual([0, 943, 943, 943, 943]);
    expect(Array.from(dma32.lowmemReserve)).toEqual([0, 0, 0, 0, 0]);
    // zone_batchsize(): DMA min(3, 256)/4 = 0 -> 1 -> 0 -> raised to 1; DMA32 235/4 = 58 ->
    // rounddown_pow_of_two(87) - 1 = 63. zone_highsize(): DMA max(17/2, 4) = 8; DMA32 1181/2 = 590.
    expect([dma.pcpBatch[0], dma.pcpHigh[0], dma32.pcpBatch[0], dma32.pcpHigh[0]]).toEqual([1, 8, 63, 590]);
  });

  it('matches every recorded kernel fixture', () => {
    const seen = new Set<string>();
    for (const f of kernelFixtureFiles()) {
      const d = JSON.parse(readFileSync(join(KERNEL_FIXTURE_DIR, f), 'utf8')) as {
        nr_cpus: number;
        sysctl: { min_free_kbytes: string };
        zones: { node: number; zone: ZoneConfig['name']; start_pfn?: number; spanned: number; present: number; managed: number; min: number; low: number; high: number; boost: number }[];
      };
      const zones = d.zones.filter((z) => z.spanned > 0);
      const key = JSON.stringify([zones.map((z) => [z.zone, z.start_pfn, z.spanned, z.present, z.managed, z.min, z.low, z.high]), d.sysctl.min_free_kbytes]);
      if (seen.has(key)) continue;
      seen.add(key);
      const { alloc } = bootMachine(config(
        [zones.map((z) => zc(z.zone, z.start_pfn!, z.spanned, z.present, z.managed))],
        { cpus: d.nr_cpus, sysctl: { minFreeKbytes: Number(d.sysctl.min_free_kbytes) } },
      ));
      for (const z of zones) {
        const mz = alloc.nodes[0]!.zones.find((x) => x.name === z.zone)!;
        expect(wm(mz), `${f} ${z.zone}`).toEqual([z.min - z.boost, z.low - z.boost, z.high - z.boost]);
      }
    }
    expect(seen.size).toBeGreaterThan(0);
  });

  it.each([
    // [pages, min_free_kbytes = clamp(int_sqrt(managed * 4 * 16), 128, 262144)]
    [262144, 4096], // 1024 MB: 4096k (the table in calculate_min_free_kbytes())
    [65536, 2048], // 256 MB
    [16384, 1024], // 64 MB
    [4096, 512], // 16 MB
    [100000, 2529], // int_sqrt(6400000) = 2529 (floor)
    [128, 128], // int_sqrt(8192) = 90 -> clamped to 128
  ])('default min_free_kbytes for %i pages is %i', (pages, kb) => {
    expect(normalOnly(pages).minFreeKbytes).toBe(kb);
  });

  it('1 GiB Normal: 1024/1286/1548', () => {
    // pages_min 1024; gap = max(256, mult_frac(262144, 10, 10000) = 262) -> low 1286, high 1548.
    expect(wm(normalOnly(262144).zone)).toEqual([1024, 1286, 1548]);
  });

  it('THP: set_recommended_min_free_kbytes() gives 67584 KiB for DMA + DMA32 + Normal', () => {
    // DMA [1, 4096) 3840 managed, DMA32 [4096, 4 GiB) 1044480, Normal 1 GiB 262144.
    // First: int_sqrt(1310464 * 64) = 9158. Watermarks with pages_min 2289: highs DMA 6+2*3 = 12,
    // DMA32 1824+2*1044 = 3912, Normal 457+2*262 = 981 -> nr_free_buffer_pages() = 1305559.
    // Recommended: 512*3*2 + 512*3*3*3 = 16896 pages <= 1305559/20 -> 67584 KiB > 9158.
    const zones = [zc('DMA', 1, 4095, 3998, 3840), zc('DMA32', 4096, 0x100000 - 4096), zc('Normal', P, 262144)];
    const thp = bootMachine(config([zones], { thp: true }));
    expect(thp.minFreeKbytes).toBe(67584);
    // Watermarks recomputed from 16896 pages: Normal 16896*262144/1310464 = 3379.
    const normal = thp.alloc.nodes[0]!.zones[ZoneType.NORMAL]!;
    expect(normal.watermark[WMARK_MIN]).toBe(3379);
    expect(normal.watermark[WMARK_LOW]).toBe(3379 + 844);
    const plain = bootMachine(config([zones], { thp: false }));
    expect(plain.minFreeKbytes).toBe(9158);
    const n2 = plain.alloc.nodes[0]!.zones;
    expect(wm(n2[ZoneType.DMA]!)).toEqual([6, 9, 12]);
    expect(wm(n2[ZoneType.DMA32]!)).toEqual([1824, 2868, 3912]);
    expect(wm(n2[ZoneType.NORMAL]!)).toEqual([457, 719, 981]);
    // lowmem_reserve: DMA [0, 1044480/256, (1044480+262144)/256, ...], DMA32 [.., 262144/256],
    // Normal: ratio 32 over Movable/Device (0 managed) -> 0.
    expect(Array.from(n2[ZoneType.DMA]!.lowmemReserve)).toEqual([0, 4080, 5104, 5104, 5104]);
    expect(Array.from(n2[ZoneType.DMA32]!.lowmemReserve)).toEqual([0, 0, 1024, 1024, 1024]);
    expect(Array.from(n2[ZoneType.NORMAL]!.lowmemReserve)).toEqual([0, 0, 0, 0, 0]);
  });

  it('THP on a single 1 GiB zone recommends 5632 pages; below 512 MiB hugepage_init() disables THP', () => {
    // nr_zones 1: 512*2 + 512*9 = 5632 pages <= (262144 - 1548)/20 -> 22528 KiB.
    const big = normalOnly(262144, { thp: true });
    expect(big.minFreeKbytes).toBe(22528);
    // pages_min 5632, gap max(1408, 262) -> 5632/7040/8448.
    expect(wm(big.zone)).toEqual([5632, 7040, 8448]);
    expect(normalOnly(65536, { thp: true }).minFreeKbytes).toBe(2048);
  });

  it('lowmem_reserve protects DMA32 from Normal-capable requests', () => {
    // __zone_watermark_ok(): free_pages <= min + lowmem_reserve[highest_zoneidx] fails.
    const { alloc } = bootMachine(config([[zc('DMA32', 4096, 0x100000 - 4096), zc('Normal', P, 262144)]]));
    const dma32 = alloc.nodes[0]!.zones[ZoneType.DMA32]!;
    expect(dma32.lowmemReserve[ZoneType.NORMAL]).toBe(1024);
    expect(alloc.zoneWatermarkOk(dma32, 0, 100, ZoneType.NORMAL, 0, 1124)).toBe(false);
    expect(alloc.zoneWatermarkOk(dma32, 0, 100, ZoneType.NORMAL, 0, 1125)).toBe(true);
    expect(alloc.zoneWatermarkOk(dma32, 0, 100, ZoneType.DMA32, 0, 101)).toBe(true);
  });

  it('__zone_watermark_ok(): reserve access for MIN_RESERVE, NON_BLOCK and OOM', () => {
    // min = 128. ALLOC_MIN_RESERVE: min -= min/2 -> 64; + ALLOC_NON_BLOCK: min -= min/4 -> 48;
    // ALLOC_OOM alone: 64. Fails when free_pages <= min.
    const { alloc, zone } = normalOnly(4096);
    const ok = (flags: number, free: number): boolean => alloc.zoneWatermarkOk(zone, 0, 128, ZoneType.NORMAL, flags, free);
    expect([ok(0, 128), ok(0, 129)]).toEqual([false, true]);
    expect([ok(ALLOC_MIN_RESERVE, 64), ok(ALLOC_MIN_RESERVE, 65)]).toEqual([false, true]);
    expect([ok(ALLOC_MIN_RESERVE | ALLOC_NON_BLOCK, 48), ok(ALLOC_MIN_RESERVE | ALLOC_NON_BLOCK, 49)]).toEqual([false, true]);
    expect([ok(ALLOC_NON_BLOCK, 128), ok(ALLOC_NON_BLOCK, 129)]).toEqual([false, true]);
    expect([ok(ALLOC_OOM, 64), ok(ALLOC_OOM, 65)]).toEqual([false, true]);
    // nr_reserved_highatomic is unusable without ALLOC_RESERVES; order-k requests also lose 2^k - 1.
    zone.nrReservedHighatomic = 512;
    expect([ok(0, 640), ok(0, 641), ok(ALLOC_NON_BLOCK, 129)]).toEqual([false, true, true]);
    zone.nrReservedHighatomic = 0;
    expect(alloc.zoneWatermarkOk(zone, 3, 128, ZoneType.NORMAL, 0, 135)).toBe(false);
    expect(alloc.zoneWatermarkOk(zone, 3, 128, ZoneType.NORMAL, 0, 136)).toBe(true);
  });

  it('__zone_watermark_ok() for order > 0 needs a free block of that order on a U/M/E list', () => {
    // 16 MiB: only P o3 (M) and D = P+3072 o10 on the H list (pageblocks H) are free.
    const { alloc, zone } = normalOnly(4096);
    mustAllocAt(alloc, P + 1024, 10);
    mustAllocAt(alloc, P + 2048, 10);
    mustAllocAt(alloc, P + 3072, 10);
    setPbType(alloc, P + 3072, MT.HIGHATOMIC);
    setPbType(alloc, P + 3584, MT.HIGHATOMIC);
    alloc.freePages(P + 3072, 10);
    mustAllocAt(alloc, P + 8, 3);
    for (let o = 4; o <= 9; o++) mustAllocAt(alloc, P + (1 << o), o);
    expect(freeBlocks(alloc, zone)).toEqual([blk(MT.MOVABLE, 3, P), blk(MT.HIGHATOMIC, 10, P + 3072)]);
    checkInvariants(alloc);
    const ok = (order: number, flags: number, free = 100000): boolean => alloc.zoneWatermarkOk(zone, order, 0, ZoneType.NORMAL, flags, free);
    expect([ok(0, 0), ok(3, 0), ok(4, 0), ok(10, 0)]).toEqual([true, true, false, false]);
    expect([ok(4, ALLOC_HIGHATOMIC), ok(10, ALLOC_OOM), ok(4, ALLOC_MIN_RESERVE | ALLOC_NON_BLOCK)]).toEqual([true, true, false]);
    // With the real free count (1032) and the two pageblocks accounted as reserved: 1032 - 7 - 1024
    // <= low 160 -> fails; with ALLOC_HIGHATOMIC the reserve is usable.
    zone.nrReservedHighatomic = 1024;
    const free = nrFreePages(zone);
    expect(free).toBe(1032);
    expect(alloc.zoneWatermarkOk(zone, 3, 160, ZoneType.NORMAL, 0, free)).toBe(false);
    expect(alloc.zoneWatermarkOk(zone, 3, 160, ZoneType.NORMAL, ALLOC_HIGHATOMIC, free)).toBe(true);
  });

  it('a request fails once free pages are at the watermark it may use', () => {
    // 16 MiB (min 128, low 160), all pageblocks U, only P o8 free (256 pages, U list).
    // GFP_KERNEL: fast path at low, slowpath at min with gfp_to_alloc_flags() (no reserves): succeeds
    // while free > 128 -> 128 pages. GFP_NOWAIT (ALLOC_NON_BLOCK, no MIN_RESERVE): min stays 128.
    // GFP_ATOMIC: 128 - 64 - 16 = 48 -> 80 more pages.
    const { alloc, zone } = normalOnly(4096);
    for (let pb = 0; pb < 8; pb++) setPbType(alloc, P + pb * 512, MT.UNMOVABLE);
    mustAllocAt(alloc, P, 8);
    allocRange(alloc, P + 256, P + 4096);
    alloc.freePages(P, 8);
    expect(nrFreePages(zone)).toBe(256);
    let n = 0;
    while (alloc.allocPages(GFP_KERNEL, 0) >= 0) n++;
    expect(n).toBe(128);
    expect(nrFreePages(zone)).toBe(128);
    expect(alloc.allocPages(GFP_NOWAIT, 0)).toBe(-1);
    n = 0;
    while (alloc.allocPages(GFP_ATOMIC, 0) >= 0) n++;
    expect(n).toBe(80);
    expect(nrFreePages(zone)).toBe(48);
    expect(zone.watermarkBoost).toBe(0);
    checkInvariants(alloc);
  });

  it('gfp_to_alloc_flags() (6.1.y)', () => {
    const { alloc } = normalOnly(4096);
    expect(alloc.gfpToAllocFlags(GFP_KERNEL, 0)).toBe(0x840); // CPUSET | KSWAPD
    expect(alloc.gfpToAllocFlags(GFP_ATOMIC, 0)).toBe(0x830); // MIN_RESERVE | NON_BLOCK | KSWAPD, no CPUSET
    expect(alloc.gfpToAllocFlags(GFP_ATOMIC, 1)).toBe(0xa30); // + HIGHATOMIC
    expect(alloc.gfpToAllocFlags(GFP_NOWAIT, 0)).toBe(0x850); // CPUSET | NON_BLOCK | KSWAPD
    expect(alloc.gfpToAllocFlags(GFP_TRANSHUGE_LIGHT, 9)).toBe(0x40); // __GFP_NOMEMALLOC: no NON_BLOCK
    expect(alloc.gfpToAllocFlags(GFP_TRANSHUGE, 9)).toBe(0x40);
    expect(alloc.gfpToAllocFlags(__GFP_HIGH, 2)).toBe(0x230);
    expect(alloc.gfpToAllocFlags(GFP_HIGHUSER_MOVABLE, 0)).toBe(0x840); // CONFIG_CMA off: no ALLOC_CMA
  });
});

describe('HIGHATOMIC reserve', () => {
  it('reserve_highatomic_pageblock() and unreserve_highatomic_pageblock()', () => {
    // 16 MiB, all pageblocks U and allocated; free in pageblock 0: P o7, P+128 o4, P+144 o2,
    // P+148 o1 = 150 pages (U lists). low 160, min 128.
    const { alloc, zone } = normalOnly(4096);
    for (let pb = 0; pb < 8; pb++) setPbType(alloc, P + pb * 512, MT.UNMOVABLE);
    for (const [off, o] of [[0, 7], [128, 4], [144, 2], [148, 1], [150, 1], [152, 3], [160, 5], [192, 6], [256, 8]] as const) {
      mustAllocAt(alloc, P + off, o);
    }
    allocRange(alloc, P + 512, P + 4096);
    for (const [off, o] of [[0, 7], [128, 4], [144, 2], [148, 1]] as const) alloc.freePages(P + off, o);
    expect(nrFreePages(zone)).toBe(150);
    checkInvariants(alloc);

    // 1. GFP_ATOMIC order 1: fast path 150 - 1 <= 160 fails; slowpath flags 0xa30 (HIGHATOMIC):
    //    149 > 48; rmqueue_buddy: H lists empty -> __rmqueue(U) -> P+148. Then
    //    reserve_highatomic_pageblock(): 0 < 4096/100 + 512, block U is mergeable -> H, +512,
    //    move_freepages_block(H) moves P o7, P+128 o4, P+144 o2.
    expect(alloc.allocPages(GFP_ATOMIC, 1)).toBe(P + 148);
    expect(zone.nrReservedHighatomic).toBe(512);
    expect(pbType(alloc, P)).toBe(MT.HIGHATOMIC);
    expect(freeBlocks(alloc, zone)).toEqual([blk(MT.HIGHATOMIC, 7, P), blk(MT.HIGHATOMIC, 4, P + 128), blk(MT.HIGHATOMIC, 2, P + 144)]);
    expect(pageblockCounts(alloc, zone)).toEqual([7, 0, 0, 1, 0]);
    checkInvariants(alloc);

    // 2. GFP_KERNEL fails: without ALLOC_RESERVES the 512 reserved pages are unusable (148 - 512).
    expect(alloc.allocPages(GFP_KERNEL, 0)).toBe(-1);

    // 3. GFP_ATOMIC order 1 again: served from the H list first (__rmqueue_smallest(H, 1): o2
    //    P+144 split -> P+146 o1 stays H); the block is already H (not mergeable): no new reserve.
    expect(alloc.allocPages(GFP_ATOMIC, 1)).toBe(P + 144);
    expect(zone.nrReservedHighatomic).toBe(512);

    // 4. GFP_ATOMIC order 0 (ALLOC_NON_BLOCK, no HIGHATOMIC): __rmqueue(U) finds nothing and no
    //    fallback -> rmqueue_buddy() falls back to __rmqueue_smallest(H): o1 P+146 split, P+147
    //    stays on the H o0 list.
    expect(alloc.allocPages(GFP_ATOMIC, 0)).toBe(P + 146);
    expect(nrFreePages(zone)).toBe(145);
    expect(freeBlocks(alloc, zone)).toEqual([blk(MT.HIGHATOMIC, 7, P), blk(MT.HIGHATOMIC, 4, P + 128), blk(MT.HIGHATOMIC, 0, P + 147)]);
    checkInvariants(alloc);

    // 5. unreserve(force = false) keeps the last pageblock; force = true takes the first H block
    //    found from order 0 up (P+147), converts its pageblock back to ac->migratetype (U, from the
    //    last GFP_ATOMIC request) and moves all its free pages.
    expect(alloc.unreserveHighatomicPageblock(false)).toBe(false);
    expect(alloc.unreserveHighatomicPageblock(true)).toBe(true);
    expect(zone.nrReservedHighatomic).toBe(0);
    expect(pbType(alloc, P)).toBe(MT.UNMOVABLE);
    expect(freeBlocks(alloc, zone)).toEqual([blk(MT.UNMOVABLE, 7, P), blk(MT.UNMOVABLE, 4, P + 128), blk(MT.UNMOVABLE, 0, P + 147)]);
    expect(alloc.unreserveHighatomicPageblock(true)).toBe(false);
    checkInvariants(alloc);

    // 6. GFP_KERNEL works again (slowpath: 145 > min 128) from the U lists.
    expect(alloc.allocPages(GFP_KERNEL, 0)).toBe(P + 147);
  });

  it('a GFP_ATOMIC order-1 request that succeeds in the fast path does not reserve', () => {
    // ALLOC_HIGHATOMIC only comes from gfp_to_alloc_flags() in the slowpath.
    const { alloc, zone } = normalOnly(262144);
    expect(alloc.allocPages(GFP_ATOMIC, 1)).toBe(P);
    expect(zone.nrReservedHighatomic).toBe(0);
    expect(pbType(alloc, P)).toBe(MT.UNMOVABLE);
  });
});

// ---------------------------------------------------------------------------------------------
// Places where the model once disagreed with the 6.1.192 source; each test pins the kernel's behaviour.

describe('checkInvariants(): as strict as the kernel allows', () => {
  it('unmerged order-9 halves pass only where __free_one_page() refused their merge', () => {
    // 16 MiB. The first request sets ac (MOVABLE) for unreserve and takes P. Pageblocks 2+3
    // (P+1024 o10) are taken; pageblock 2 becomes H (as reserve_highatomic_pageblock() does).
    const { alloc, zone } = normalOnly(4096);
    expect(alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0)).toBe(P);
    const A = P + 1024;
    const B = P + 1536;
    mustAllocAt(alloc, A, 10);
    setPbType(alloc, A, MT.HIGHATOMIC);
    zone.nrReservedHighatomic += PAGEBLOCK_NR_PAGES;
    alloc.freePages(A, 9); // H list; its buddy B is not free
    alloc.freePages(B, 9); // order 9: mt M, buddy's pageblock H, H not mergeable -> refused
    expect([listPfns(alloc, zone, 9, MT.HIGHATOMIC), listPfns(alloc, zone, 9, MT.MOVABLE).includes(B)]).toEqual([[A], true]);
    checkInvariants(alloc);
    // unreserve_highatomic_pageblock(force): A's pageblock back to M, A moved to the M list, not merged.
    expect(alloc.unreserveHighatomicPageblock(true)).toBe(true);
    expect(listPfns(alloc, zone, 9, MT.MOVABLE).filter((p) => p === A || p === B).sort()).toEqual([A, B]);
    checkInvariants(alloc);
    // Without the record of the refusal the same state is a bug.
    const saved = alloc.pbDebug.slice();
    alloc.pbDebug[(A - P) >> 9] = 0;
    expect(() => checkInvariants(alloc)).toThrow(/free buddies pfn 0x100400 and 0x100600 of order 9 are not merged/);
    alloc.pbDebug.set(saved);
    // Freeing B again now merges (both M): the pair is gone, and so is the record.
    mustAllocAt(alloc, B, 9);
    alloc.freePages(B, 9);
    expect(listPfns(alloc, zone, 10, MT.MOVABLE)).toContain(A);
    expect([alloc.pbDebug[(A - P) >> 9], alloc.pbDebug[(B - P) >> 9]]).toEqual([0, 0]);
    checkInvariants(alloc);
  });

  it('a block on the other side of HIGHATOMIC from its pageblock fails unless recorded as unsynced', () => {
    const { alloc, zone } = normalOnly(4096);
    const mem = alloc.mem;
    const slot = mem.next[zone.freeListHead(10, MT.MOVABLE)]!; // P, pageblock M
    mem.listDel(slot);
    mem.listAddTail(slot, zone.freeListHead(10, MT.HIGHATOMIC));
    expect(() => checkInvariants(alloc)).toThrow(/pfn 0x100000 on the 3 list but its pageblock is 1, and no pcp page/);
    alloc.pbDebug[slot >> 9] = PBD_HIGHATOMIC_UNSYNCED; // as a stale pcp type or a partial pageblock would
    checkInvariants(alloc);
    // The other direction: an M-list block in an H pageblock.
    const { alloc: b, zone: bz } = normalOnly(4096);
    setPbType(b, P + 2048, MT.HIGHATOMIC);
    expect(() => checkInvariants(b)).toThrow(/pfn 0x100800 on the 1 list but its pageblock is 3/);
    b.moveFreepagesBlock(bz, 2048, MT.HIGHATOMIC); // what reserve_highatomic_pageblock() does next
    checkInvariants(b);
    // Between U, M and E any combination passes (steals leave them; see debug_vm.ts).
    setPbType(b, P + 3072, MT.RECLAIMABLE);
    checkInvariants(b);
  });

  it('pcp pages: on the list of their cached migratetype, and every pcp-marked page on a list', () => {
    const { alloc, zone } = normalOnly(4096, { pcp: true });
    const pfn = alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0);
    alloc.freePages(pfn, 0); // stays on the MOVABLE order-0 pcp list (high 160)
    expect(pcpPfns(alloc, zone, 0, orderToPindex(MT.MOVABLE, 0))).toContain(pfn);
    checkInvariants(alloc);
    const slot = pfn - P;
    alloc.mem.index[slot] = MT.UNMOVABLE;
    expect(() => checkInvariants(alloc)).toThrow(/cached migratetype 0 is on pcp list 1 \(order 0\)/);
    alloc.mem.index[slot] = MT.HIGHATOMIC; // HIGHATOMIC pages are kept on the MOVABLE list
    checkInvariants(alloc);
    alloc.mem.index[slot] = MT.MOVABLE;
    const used = alloc.allocPages(GFP_KERNEL, 0);
    alloc.mem.flags[used - P]! |= PG_pcp;
    expect(() => checkInvariants(alloc)).toThrow(/pages carry the pcp mark but the pcp lists hold/);
  });
});

describe('former discrepancies with mm/page_alloc.c, now fixed', () => {
  it('rmqueue() wakes kswapd for a boosted zone with gfp_flags 0', () => {
    // mm/page_alloc.c rmqueue(), label out: "if (unlikely(test_bit(ZONE_BOOSTED_WATERMARK, ...)))
    // { clear_bit(...); wakeup_kswapd(zone, 0, 0, zone_idx(zone)); }". src/mm/page_alloc.ts
    // rmqueue() passes the request's gfp instead of 0; wakeup_kswapd() tests
    // __GFP_DIRECT_RECLAIM in gfp_flags to decide whether to wake kcompactd.
    const { alloc } = normalOnly(4096);
    for (let pb = 0; pb < 8; pb++) mustAllocAt(alloc, P + pb * 512, 0);
    const gfps: number[] = [];
    alloc.hooks = { wakeupKswapd: (_z, gfp) => gfps.push(gfp) };
    alloc.allocPages(GFP_KERNEL, 8);
    expect(gfps).toEqual([0]);
  });

  it('wake_all_kswapds() wakes each node once, not each zone', () => {
    // mm/page_alloc.c wake_all_kswapds(): "if (last_pgdat != zone->zone_pgdat) {
    // wakeup_kswapd(zone, gfp_mask, order, highest_zoneidx); last_pgdat = zone->zone_pgdat; }".
    // src/mm/page_alloc.ts allocPagesSlowpath() calls the hook for every eligible zone.
    // DMA32 [0xff000, +4096) + Normal [P, +4096): min_free_kbytes int_sqrt(8192 * 64) = 724 ->
    // pages_min 181 -> each zone min 90, low 112; DMA32 lowmem_reserve[MOVABLE] = 4096/256 = 16.
    // With 100 free pages in each zone the fast path fails everywhere and the slowpath (min)
    // succeeds in Normal: wake_all_kswapds() calls wakeup_kswapd() once, for Normal.
    const { alloc } = bootMachine(config([[zc('DMA32', 0xff000, 4096), zc('Normal', P, 4096)]]));
    allocRange(alloc, P, P + 4096 - 100);
    allocRange(alloc, 0xff000, 0xff000 + 4096 - 100);
    const calls: number[][] = [];
    alloc.hooks = { wakeupKswapd: (z, _gfp, order, hi) => calls.push([z.type, order, hi]) };
    expect(alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0)).toBe(P + 4096 - 100);
    expect(calls).toEqual([[ZoneType.NORMAL, 0, ZoneType.MOVABLE]]);
  });

  it('drain_all_pages() drains cpu by cpu, each cpu\'s zones in order', () => {
    // mm/page_alloc.c __drain_all_pages(): for_each_cpu(cpu, &cpus_with_pcps) drain_pages(cpu),
    // and drain_pages(cpu): for_each_populated_zone(zone) drain_pages_zone(cpu, zone). src
    // drainAllPages() loops zones outside and cpus inside, so mm_page_pcpu_drain events come in
    // another order (the free lists end up identical).
    // One page on each (cpu, zone) pcp: kernel order is cpu0/DMA32, cpu0/Normal, cpu1/DMA32,
    // cpu1/Normal. (16 MiB zones: batch 1, high max(112 / 2, 4) = 56, so single frees stay.)
    const { alloc } = bootMachine(config([[zc('DMA32', 0xff000, 4096), zc('Normal', P, 4096)]], { pcp: true, cpus: 2 }));
    const D = 0xff000;
    for (const cpu of [0, 1]) {
      alloc.cpu = cpu;
      for (const pfn of [D + 1000 + cpu, P + 1000 + cpu]) {
        mustAllocAt(alloc, pfn, 0);
        alloc.freePages(pfn, 0);
      }
    }
    const rec = record(alloc);
    alloc.drainAllPages();
    expect(rec.drains.map((d) => d.pfn)).toEqual([D + 1000, P + 1000, D + 1001, P + 1001]);
  });

  /**
   * A page freed to the pcp while its pageblock is HIGHATOMIC keeps that type
   * (free_unref_page_prepare()); unreserve_highatomic_pageblock() then sets the pageblock back to
   * ac->migratetype and moves only the buddy pages. The drain merges the page with mt H up to
   * order 9, where __free_one_page() refuses the MOVABLE buddy pageblock (H not mergeable).
   * 16 MiB, pcp on (batch 1, high 160).
   */
  function staleHighatomicDrain() {
    const { alloc, zone } = normalOnly(4096, { pcp: true });
    const Y = P + 3584; // pageblock 7; its buddy pageblock 6 (P+3072) stays MOVABLE
    expect(alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0)).toBe(P); // sets ac: zonelist, ac->migratetype M
    mustAllocAt(alloc, Y, 0); // P+3072 o9 and Y+1.. (o0..o8) free on the M lists
    // reserve_highatomic_pageblock(): H, +pageblock_nr_pages, move_freepages_block(H).
    setPbType(alloc, Y, MT.HIGHATOMIC);
    zone.nrReservedHighatomic += PAGEBLOCK_NR_PAGES;
    alloc.moveFreepagesBlock(zone, Y - P, MT.HIGHATOMIC);
    alloc.freePages(Y, 0); // pcp, cached migratetype H
    expect(alloc.unreserveHighatomicPageblock(true)).toBe(true);
    alloc.drainAllPages();
    return { alloc, zone, Y };
  }

  it('(the kernel state behind the next case)', () => {
    const { alloc, zone, Y } = staleHighatomicDrain();
    expect(pbType(alloc, Y)).toBe(MT.MOVABLE);
    expect(listPfns(alloc, zone, 9, MT.HIGHATOMIC)).toEqual([Y]);
    // P+512 o9 is left from the first request's expand(); P+3072 came later from
    // break_down_buddy_pages(), both at the list head.
    expect(listPfns(alloc, zone, 9, MT.MOVABLE)).toEqual([P + 3072, P + 512]);
    expect(nrFreePages(zone)).toBe(4096 - 1);
    // The allocator recorded both reasons the checker needs: unreserve's move_freepages_block()
    // saw Y on a pcp list with H cached, and the drain's merge of Y with P+3072 was refused.
    expect(alloc.pbDebug[(Y - P) >> 9]).toBe(PBD_HIGHATOMIC_UNSYNCED | PBD_MERGE_REFUSED);
    expect(alloc.pbDebug[(P + 3072 - P) >> 9]).toBe(PBD_MERGE_REFUSED);
  });

  it('checkInvariants() accepts unmerged pageblock buddies left by a stale pcp migratetype', () => {
    // src/mm/debug_vm.ts checkMerged() accepts unmerged order >= 9 buddies only when the block's
    // list type differs from the *buddy's pageblock* type and one is non-mergeable. For P+3072
    // (M list) vs Y (pageblock M, but on the H list) it throws "not merged", although this is
    // exactly what __free_one_page() leaves (its check compares the migratetype passed for the
    // block freed last with the other's get_pageblock_migratetype() at that time).
    const { alloc } = staleHighatomicDrain();
    expect(() => checkInvariants(alloc)).not.toThrow();
  });

  it('__alloc_pages() returns NULL for order >= MAX_ORDER without a mm_page_alloc event', () => {
    // mm/page_alloc.c __alloc_pages(): "if (WARN_ON_ONCE_GFP(order >= MAX_ORDER, gfp)) return NULL;"
    // comes before trace_mm_page_alloc(); src allocPages() emits the event with pfn -1.
    const { alloc } = normalOnly(4096);
    const rec = record(alloc);
    expect(alloc.allocPages(GFP_KERNEL, MAX_ORDER)).toBe(-1);
    expect(rec.allocs).toEqual([]);
  });

  it('a negative order is refused at every entry point and leaves the free lists alone', () => {
    // __alloc_pages() takes `unsigned int order`: -1 is UINT_MAX, refused by the MAX_ORDER check.
    const { alloc, zone } = normalOnly(4096);
    const before = freeBlocks(alloc, zone);
    const rec = record(alloc);
    expect(alloc.allocPages(GFP_KERNEL, -1)).toBe(-1);
    expect(alloc.allocPagesNoWatermarks(GFP_KERNEL, -1)).toBe(-1);
    expect(alloc.allocPagesAt(P, -1, GFP_KERNEL)).toBe(false);
    expect(() => alloc.freePages(P, -1)).toThrow(RangeError);
    expect(() => alloc.freePages(P, MAX_ORDER)).toThrow(RangeError);
    expect(rec.allocs).toEqual([]);
    expect(rec.frees).toEqual([]);
    expect(freeBlocks(alloc, zone)).toEqual(before);
    expect(nrFreePages(zone)).toBe(4096);
    checkInvariants(alloc);
  });
});
