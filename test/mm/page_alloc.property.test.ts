/**
 * Property tests for the buddy allocator model: random alloc/free sequences on small machines
 * (pcp on and off, 1-3 cpus, 1 or 2 zones, one two-node machine), with checkInvariants() after
 * every single operation, exact page accounting, no double allocation, full re-merge after
 * everything is freed and drained, /proc/pagetypeinfo agreeing with /proc/buddyinfo, and
 * determinism (the same sequence gives the same state, list order included).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SYSCTLS, type MachineConfig, type ZoneConfig } from '../../src/machine/config.js';
import { MAX_ORDER, MIGRATE_TYPES, PAGEBLOCK_NR_PAGES, PAGEBLOCK_ORDER } from '../../src/mm/constants.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import {
  __GFP_RECLAIMABLE, GFP_ATOMIC, GFP_HIGHUSER_MOVABLE, GFP_KERNEL, GFP_TRANSHUGE_LIGHT,
} from '../../src/mm/gfp.js';
import { bootMachine } from '../../src/mm/mm_init.js';
import { PBD_MERGE_REFUSED, type PageAllocator } from '../../src/mm/page_alloc.js';
import { PG_buddy, PG_hole, PG_pcp, PG_reserved } from '../../src/mm/page_flags.js';
import { renderBuddyinfo, renderPagetypeinfo } from '../../src/mm/procfs.js';
import { freeListCounts, takeSnapshot } from '../../src/mm/show.js';
import { ZoneStat } from '../../src/mm/vmstat.js';
import { NR_PCP_LISTS, type Zone } from '../../src/mm/zone.js';

const GFPS = [GFP_KERNEL, GFP_HIGHUSER_MOVABLE, GFP_KERNEL | __GFP_RECLAIMABLE, GFP_ATOMIC, GFP_TRANSHUGE_LIGHT];
const P = 0x100000;

function zc(name: ZoneConfig['name'], startPfn: number, pages: number, present = pages, managed = present): ZoneConfig {
  return { name, startPfn, spanned: pages, present, managed };
}

function machine(nodes: ZoneConfig[][], cpus: number, pcp: boolean): MachineConfig {
  return { cpus, pcp, thp: true, sysctl: { ...DEFAULT_SYSCTLS }, nodes: nodes.map((zones, nid) => ({ nid, zones })) };
}

const MACHINES: [string, MachineConfig][] = [
  ['16 MiB Normal, pcp off, 1 cpu', machine([[zc('Normal', P, 4096)]], 1, false)],
  ['32 MiB Normal, pcp on, 2 cpus', machine([[zc('Normal', P, 8192)]], 2, true)],
  ['DMA32 16 MiB + Normal 16 MiB, pcp on, 3 cpus', machine([[zc('DMA32', P - 4096, 4096), zc('Normal', P, 4096)]], 3, true)],
  ['2 nodes x 16 MiB Normal, pcp on, 2 cpus', machine([[zc('Normal', P, 4096)], [zc('Normal', P + 4096, 4096)]], 2, true)],
  [
    'DMA from pfn 1 (reserved pages) + DMA32 to an unaligned end, pcp off, 2 cpus',
    machine([[zc('DMA', 1, 4095, 3998, 3840), zc('DMA32', 4096, 8192 + 300)]], 2, false),
  ],
  ['64 MiB Normal with an unaligned end, pcp on, 1 cpu', machine([[zc('Normal', P, 16384 - 37)]], 1, true)],
];

type Op =
  | { kind: 'alloc'; g: number; order: number; cpu: number; nid: number }
  | { kind: 'burst'; g: number; count: number; cpu: number }
  | { kind: 'fill'; g: number; order: number; cpu: number }
  | { kind: 'free'; pick: number; cpu: number }
  | { kind: 'drain'; cpu: number }
  | { kind: 'unreserve'; force: boolean; cpu: number };

const orderArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 3 }) },
  { weight: 2, arbitrary: fc.integer({ min: 4, max: 8 }) },
  { weight: 2, arbitrary: fc.integer({ min: 9, max: 10 }) },
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('alloc' as const), g: fc.integer({ min: 0, max: GFPS.length - 1 }), order: orderArb,
      cpu: fc.nat(2), nid: fc.nat(1),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('burst' as const), g: fc.integer({ min: 0, max: GFPS.length - 1 }),
      count: fc.integer({ min: 1, max: 64 }), cpu: fc.nat(2),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('fill' as const), g: fc.integer({ min: 0, max: GFPS.length - 1 }),
      order: fc.integer({ min: 7, max: 10 }), cpu: fc.nat(2),
    }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('free' as const), pick: fc.nat(), cpu: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('drain' as const), cpu: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unreserve' as const), force: fc.boolean(), cpu: fc.nat(2) }) },
);
const opsArb = fc.array(opArb, { minLength: 10, maxLength: 100, size: 'max' });

interface Live {
  pfn: number;
  order: number;
}

/** The machine plus the bookkeeping of what the test holds. */
class Harness {
  readonly alloc: PageAllocator;
  readonly zones: Zone[];
  readonly live: Live[] = [];
  readonly owned: Uint8Array;
  /** Every allocation result, failures (-1) included, in order. */
  readonly results: number[] = [];
  private readonly nrNodes: number;

  constructor(readonly cfg: MachineConfig, readonly check: boolean) {
    this.alloc = bootMachine(cfg).alloc;
    this.zones = this.alloc.zoneById.filter((z) => z !== undefined && z.managed > 0);
    this.owned = new Uint8Array(this.alloc.mem.nrPages);
    this.nrNodes = cfg.nodes.length;
    if (check) this.verify();
  }

  apply(op: Op): void {
    this.alloc.cpu = op.cpu % this.cfg.cpus;
    if (op.kind === 'alloc') {
      this.allocOne(GFPS[op.g]!, op.order, op.nid % this.nrNodes);
    } else if (op.kind === 'burst') {
      for (let i = 0; i < op.count; i++) if (this.allocOne(GFPS[op.g]!, 0, 0) < 0) break;
    } else if (op.kind === 'fill') {
      // Large allocations until the first failure: quick memory pressure (each one checked).
      for (let i = 0; i < 64; i++) if (this.allocOne(GFPS[op.g]!, op.order, 0) < 0) break;
    } else if (op.kind === 'drain') {
      this.alloc.drainAllPages(); // drain_all_pages(NULL), as reclaim and compaction call it
      if (this.check) this.verify();
    } else if (op.kind === 'unreserve') {
      // unreserve_highatomic_pageblock(ac of the last request, force), as the slowpath calls it
      this.alloc.unreserveHighatomicPageblock(op.force);
      if (this.check) this.verify();
    } else if (this.live.length > 0) {
      const i = op.pick % this.live.length;
      const victim = this.live[i]!;
      this.live[i] = this.live[this.live.length - 1]!;
      this.live.pop();
      this.freeOne(victim);
    }
  }

  private allocOne(gfp: number, order: number, nid: number): number {
    const pfn = this.alloc.allocPages(gfp, order, nid);
    this.results.push(pfn);
    if (pfn >= 0) {
      // Plain checks (not expect()) on this per-page path: it runs for every page handed out.
      const mem = this.alloc.mem;
      const slot = pfn - mem.pfnBase;
      const where = `pfn 0x${pfn.toString(16)} order ${order}`;
      if ((slot & ((1 << order) - 1)) !== 0) throw new Error(`${where}: not naturally aligned`);
      if (mem.refcount[slot] !== 1) throw new Error(`${where}: refcount ${mem.refcount[slot]}`);
      const zoneId = mem.zoneId(slot);
      for (let s = slot; s < slot + (1 << order); s++) {
        if (this.owned[s]) throw new Error(`${where}: page 0x${(s + mem.pfnBase).toString(16)} handed out twice`);
        if (mem.flags[s]! & (PG_buddy | PG_pcp | PG_hole | PG_reserved)) throw new Error(`${where}: contains a free, hole or reserved page`);
        if (mem.zoneId(s) !== zoneId) throw new Error(`${where}: crosses a zone boundary`);
        this.owned[s] = 1;
      }
      this.live.push({ pfn, order });
    }
    if (this.check) this.verify();
    return pfn;
  }

  private freeOne(b: Live): void {
    const slot = b.pfn - this.alloc.mem.pfnBase;
    this.owned.fill(0, slot, slot + (1 << b.order));
    this.alloc.freePages(b.pfn, b.order);
    if (this.check) this.verify();
  }

  freeAll(): void {
    while (this.live.length > 0) this.freeOne(this.live.pop()!);
  }

  /** checkInvariants() plus exact accounting: free + pcp + held == managed. */
  verify(): void {
    checkInvariants(this.alloc);
    let managed = 0;
    let accounted = 0;
    for (const z of this.zones) {
      managed += z.managed;
      accounted += z.vmStat[ZoneStat.NR_FREE_PAGES]!;
      for (let cpu = 0; cpu < this.cfg.cpus; cpu++) accounted += z.pcpCount[cpu]!;
    }
    for (const b of this.live) accounted += 1 << b.order;
    if (accounted !== managed) throw new Error(`NR_FREE_PAGES + pcp + allocated = ${accounted}, managed = ${managed}`);
  }
}


/** Parse /proc/buddyinfo and sum /proc/pagetypeinfo's free counts per zone; they must agree. */
function checkPagetypeinfoMatchesBuddyinfo(alloc: PageAllocator): void {
  const snap = takeSnapshot(alloc);
  const buddy = new Map<string, number[]>();
  for (const line of renderBuddyinfo(snap).trim().split('\n')) {
    const m = /^Node (\d+), zone\s+(\S+)\s+(.*)$/.exec(line);
    expect(m, line).not.toBeNull();
    buddy.set(`${m![1]}:${m![2]}`, m![3]!.trim().split(/\s+/).map(Number));
  }
  const sums = new Map<string, number[]>();
  for (const line of renderPagetypeinfo(snap).split('\n')) {
    const m = /^Node\s+(\d+), zone\s+(\S+), type\s+\S+\s+(.*)$/.exec(line);
    if (!m) continue;
    const key = `${m[1]}:${m[2]}`;
    const counts = m[3]!.trim().split(/\s+/).map(Number);
    const acc = sums.get(key) ?? new Array<number>(MAX_ORDER).fill(0);
    counts.forEach((c, o) => (acc[o]! += c));
    sums.set(key, acc);
  }
  expect(sums.size).toBe(buddy.size);
  for (const [key, counts] of buddy) expect(sums.get(key), `pagetypeinfo vs buddyinfo for ${key}`).toEqual(counts);
}

/** The maximal aligned blocks covering [start, end), as __free_pages_memory() builds them. */
function canonicalBlocks(start: number, end: number): [number, number][] {
  const out: [number, number][] = [];
  while (start < end) {
    let order = Math.min(MAX_ORDER - 1, start === 0 ? MAX_ORDER - 1 : 31 - Math.clz32(start & -start));
    while (start + (1 << order) > end) order--;
    out.push([start, order]);
    start += 1 << order;
  }
  return out;
}

/**
 * After everything is freed and drained: every zone's managed range is free and each free block
 * is as large as alignment and the zone edges allow. The one exception __free_one_page() makes:
 * above pageblock_order it does not merge when the freed block's migratetype and the buddy's
 * pageblock type differ and one of them is not mergeable (HIGHATOMIC; ISOLATE), and nothing
 * merges the halves later (unreserve_highatomic_pageblock() only moves them). So an order-10
 * block may stay two order-9 halves, but only where that merge was refused (PBD_MERGE_REFUSED).
 */
function checkFullyMerged(h: Harness): void {
  const { alloc } = h;
  const mem = alloc.mem;
  for (const z of h.zones) {
    expect(z.vmStat[ZoneStat.NR_FREE_PAGES], `zone ${z.name} NR_FREE_PAGES == managed`).toBe(z.managed);
    for (let cpu = 0; cpu < h.cfg.cpus; cpu++) expect(z.pcpCount[cpu]).toBe(0);
    const actual = new Map<number, [order: number, mt: number]>();
    for (let order = 0; order < MAX_ORDER; order++) {
      for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
        const head = z.freeListHead(order, mt);
        for (let s = mem.next[head]!; s !== head; s = mem.next[s]!) actual.set(s + mem.pfnBase, [order, mt]);
      }
    }
    const refused = (pfn: number): boolean => (alloc.pbDebug[(pfn - mem.pfnBase) >>> PAGEBLOCK_ORDER]! & PBD_MERGE_REFUSED) !== 0;
    // mm_init's layout: reserved pages (present - managed) at the zone start, holes at its end.
    const first = z.startPfn + (z.present - z.managed);
    for (const [pfn, order] of canonicalBlocks(first, z.startPfn + z.present)) {
      if (actual.get(pfn)?.[0] === order) {
        actual.delete(pfn);
        continue;
      }
      const half = pfn + PAGEBLOCK_NR_PAGES;
      const split = order === PAGEBLOCK_ORDER + 1 && actual.get(pfn)?.[0] === PAGEBLOCK_ORDER && actual.get(half)?.[0] === PAGEBLOCK_ORDER;
      expect(split && refused(pfn) && refused(half), `zone ${z.name}: block 0x${pfn.toString(16)} order ${order} not fully merged`).toBe(true);
      actual.delete(pfn);
      actual.delete(half);
    }
    expect([...actual.keys()], `zone ${z.name}: unexpected free blocks`).toEqual([]);
  }
}

/** Everything observable about the allocator state, list order included. */
function fingerprint(h: Harness): unknown {
  const { alloc } = h;
  const mem = alloc.mem;
  const walk = (head: number): number[] => {
    const out: number[] = [];
    for (let s = mem.next[head]!; s !== head; s = mem.next[s]!) out.push(s);
    return out;
  };
  return {
    zones: h.zones.map((z) => ({
      counts: freeListCounts(alloc, z),
      lists: Array.from({ length: MAX_ORDER * MIGRATE_TYPES }, (_, i) => walk(z.freeListHead(Math.floor(i / MIGRATE_TYPES), i % MIGRATE_TYPES))),
      pcp: Array.from({ length: h.cfg.cpus * NR_PCP_LISTS }, (_, i) => walk(z.pcpListHead(Math.floor(i / NR_PCP_LISTS), i % NR_PCP_LISTS))),
      pcpCount: Array.from(z.pcpCount),
      freeFactor: Array.from(z.pcpFreeFactor),
      vmStat: Array.from(z.vmStat),
      boost: z.watermarkBoost,
      highatomic: z.nrReservedHighatomic,
    })),
    pageblocks: Array.from(mem.pageblockFlags),
    events: alloc.events.toRecord(),
    results: h.results,
  };
}

// numRuns per machine, tuned so the whole file stays well under 20 s.
const NUM_RUNS = 20;

describe('page allocator properties', () => {
  describe.each(MACHINES)('%s', (_name, cfg) => {
    it('random alloc/free sequences keep every invariant after every operation and fully re-merge', () => {
      fc.assert(
        fc.property(opsArb, (ops) => {
          const h = new Harness(cfg, true);
          for (const op of ops) h.apply(op);
          checkPagetypeinfoMatchesBuddyinfo(h.alloc);
          h.freeAll();
          h.alloc.drainAllPages();
          h.verify();
          checkFullyMerged(h);
          checkPagetypeinfoMatchesBuddyinfo(h.alloc);
        }),
        { numRuns: NUM_RUNS },
      );
    });

    it('the same sequence gives the same state (determinism)', () => {
      fc.assert(
        fc.property(opsArb, (ops) => {
          const a = new Harness(cfg, false);
          const b = new Harness(cfg, false);
          for (const op of ops) a.apply(op);
          for (const op of ops) b.apply(op);
          expect(fingerprint(b)).toEqual(fingerprint(a));
          a.freeAll();
          b.freeAll();
          a.alloc.drainAllPages();
          b.alloc.drainAllPages();
          expect(fingerprint(b)).toEqual(fingerprint(a));
        }),
        { numRuns: 10 },
      );
    });
  });
});
