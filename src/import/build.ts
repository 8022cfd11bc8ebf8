/**
 * From an imported RealState to a simulated machine in that state:
 *  - machineConfigFromState(): the MachineConfig (geometry, cpus, sysctls) to boot;
 *  - machineSpecYaml(): the same as a machine spec the loader accepts;
 *  - planLayout(): where every free block, pageblock type, hole and reserved page goes;
 *  - applyState(): turn a freshly booted Kernel into exactly the recorded free lists and
 *    pageblock counts, the rest of memory held by placeholders: movable user memory in
 *    MOVABLE pageblocks, kernel owners in the others.
 *
 * The layout is a choice (the /proc files say how many, not where); see planLayout() for it.
 * Browser-safe: no Node modules.
 */
import type { MachineConfig, NodeConfig } from '../machine/config.js';
import {
  MAX_NR_ZONES, MAX_ORDER, MIGRATE_TYPES, MIGRATETYPE_NAMES, MigrateType, PAGEBLOCK_NR_PAGES, PAGEBLOCK_ORDER,
  ZONE_NAMES, type ZoneName,
} from '../mm/constants.js';
import { checkInvariants } from '../mm/debug_vm.js';
import { Kernel } from '../mm/kernel.js';
import type { Owner } from '../mm/owners.js';
import { lruAdd } from '../mm/lru.js';
import { PG_buddy, PG_dirty, PG_hole, PG_reserved, PG_swapbacked, ZONE_ID_MASK, ZONE_ID_SHIFT } from '../mm/page_flags.js';
import { ShmemInode } from '../mm/shmem.js';
import { freeListCounts, pageblockCounts } from '../mm/show.js';
import type { MachineSnapshot, NodeSnapshot, ZoneSnapshot } from '../mm/snapshot.js';
import { NodeStat, ZoneStat } from '../mm/vmstat.js';
import { updatePcpLimits } from '../mm/watermarks.js';
import { WMARK_HIGH, WMARK_LOW, WMARK_MIN, WMARK_PROMO, type Zone } from '../mm/zone.js';
import { Prng } from '../sim/prng.js';
import { ImportError, type RealState, type RealZone, freePagesOf } from './procfs_parse.js';

// ---------------------------------------------------------------------------------------------
// Machine config and spec

/** The MachineConfig of an imported state: its populated zones, cpus and sysctls, pcp on. */
export function machineConfigFromState(state: RealState): MachineConfig {
  const nodes: NodeConfig[] = [];
  for (const z of state.zones) {
    if (z.present === 0) continue;
    let node = nodes.find((n) => n.nid === z.nid);
    if (!node) {
      node = { nid: z.nid, zones: [] };
      nodes.push(node);
    }
    node.zones.push({ name: z.name, startPfn: z.startPfn, spanned: z.spanned, present: z.present, managed: z.managed });
  }
  const s = state.sysctl;
  return {
    cpus: state.cpus,
    pcp: true,
    // Only min_free_kbytes' boot-time default depends on it, and min_free_kbytes is always given.
    thp: state.thp.configured === true,
    nodes,
    sysctl: {
      minFreeKbytes: s.minFreeKbytes,
      watermarkScaleFactor: s.watermarkScaleFactor,
      watermarkBoostFactor: s.watermarkBoostFactor,
      lowmemReserveRatio: [...s.lowmemReserveRatio],
      percpuPagelistHighFraction: s.percpuPagelistHighFraction,
    },
  };
}

/** The machine spec (YAML) of an imported state, for loadMachineSpec(). `comments` go on top. */
export function machineSpecYaml(state: RealState, comments: readonly string[] = []): string {
  const c = machineConfigFromState(state);
  const hex = (n: number): string => `0x${n.toString(16)}`;
  const zoneLine = (z: NodeConfig['zones'][number]): string =>
    `{ name: ${z.name}, start_pfn: ${hex(z.startPfn)}, pages: ${z.spanned}, present: ${z.present}, managed: ${z.managed} }`;
  const src = state.source;
  const out: string[] = [
    `# Imported by \`pagelab import\` from ${src.files.join(', ')}${src.phase !== null ? ` (phase ${src.phase})` : ''}.`,
    ...(src.kernelRelease ? [`# Kernel ${src.kernelRelease}${src.scenario ? `, scenario ${src.scenario}` : ''}.`] : []),
    ...comments.map((l) => `# ${l}`),
    'machine:',
    `  cpus: ${c.cpus}`,
    `  pcp: ${c.pcp}`,
    `  thp: ${c.thp}`,
  ];
  if (c.nodes.length === 1 && c.nodes[0]!.nid === 0) {
    out.push('  zones:');
    for (const z of c.nodes[0]!.zones) out.push(`    - ${zoneLine(z)}`);
  } else {
    out.push('  nodes:');
    for (const n of c.nodes) {
      out.push('    - zones:');
      for (const z of n.zones) out.push(`        - ${zoneLine(z)}`);
    }
  }
  const s = c.sysctl;
  out.push(
    '  sysctl:',
    `    min_free_kbytes: ${s.minFreeKbytes ?? ''}`,
    `    watermark_scale_factor: ${s.watermarkScaleFactor}`,
    `    watermark_boost_factor: ${s.watermarkBoostFactor}`,
    `    lowmem_reserve_ratio: [${s.lowmemReserveRatio.join(', ')}]`,
    `    percpu_pagelist_high_fraction: ${s.percpuPagelistHighFraction}`,
  );
  return out.join('\n') + '\n';
}

/** JSON text of a RealState, with the number lists on one line each. */
export function realStateJson(state: RealState): string {
  const fmt = (v: unknown, indent: string): string => {
    if (Array.isArray(v)) {
      if (v.every((x) => typeof x !== 'object' || x === null || (Array.isArray(x) && x.every((y) => typeof y !== 'object')))) {
        return `[${v.map((x) => JSON.stringify(x)).join(', ')}]`;
      }
      const inner = indent + '  ';
      return `[\n${v.map((x) => inner + fmt(x, inner)).join(',\n')}\n${indent}]`;
    }
    if (typeof v === 'object' && v !== null) {
      const inner = indent + '  ';
      const entries = Object.entries(v).map(([k, x]) => `${inner}${JSON.stringify(k)}: ${fmt(x, inner)}`);
      return entries.length === 0 ? '{}' : `{\n${entries.join(',\n')}\n${indent}}`;
    }
    return JSON.stringify(v);
  };
  return fmt(state, '') + '\n';
}

/**
 * The recorded numbers as a MachineSnapshot, so the /proc renderers can print the state as the
 * kernel did (pagesets print count 0; counters other than nr_free_pages print 0).
 */
export function snapshotOfState(state: RealState): MachineSnapshot {
  const nids = [...new Set(state.zones.map((z) => z.nid))].sort((a, b) => a - b);
  const nodes: NodeSnapshot[] = nids.map((nid) => ({
    nid,
    stats: {},
    zones: ZONE_NAMES.map((name): ZoneSnapshot => {
      const z = state.zones.find((x) => x.nid === nid && x.name === name);
      const populated = z !== undefined && z.present > 0;
      return {
        nid,
        name,
        populated,
        startPfn: z?.startPfn ?? 0,
        spanned: z?.spanned ?? 0,
        present: z?.present ?? 0,
        managed: z?.managed ?? 0,
        cma: 0,
        wmarkMin: z ? z.min - z.boost : 0,
        wmarkLow: z ? z.low - z.boost : 0,
        wmarkHigh: z ? z.high - z.boost : 0,
        boost: z?.boost ?? 0,
        lowmemReserve: z ? [...z.protection] : new Array<number>(MAX_NR_ZONES).fill(0),
        nrFree: z ? [...z.nrFree] : new Array<number>(MAX_ORDER).fill(0),
        freeByType: z ? z.freeByType.map((r) => [...r]) : Array.from({ length: MIGRATE_TYPES }, () => new Array<number>(MAX_ORDER).fill(0)),
        pageblocksByType: z ? [...z.pageblocks] : new Array<number>(MIGRATE_TYPES).fill(0),
        stats: { nr_free_pages: z && populated ? freePagesOf(z) : 0 },
        pagesets: populated ? Array.from({ length: state.cpus }, (_, cpu) => ({ cpu, count: 0, high: 0, batch: 1 })) : [],
        statThreshold: 0,
        nodeUnreclaimable: false,
      };
    }),
  }));
  return { nodes, events: {}, derived: {} };
}

// ---------------------------------------------------------------------------------------------
// Layout

/** What each pfn of a zone's span is after the import. */
export const ROLE_ALLOCATED = 0;
export const ROLE_FREE = 1;
export const ROLE_HOLE = 2;
export const ROLE_RESERVED = 3;

/**
 * Where the zone's hole (spanned - present) and reserved pages (present - managed) go:
 *  - 'boot': as pagelab boots (reserved at the zone start, hole at its end; docs/fidelity.md);
 *  - 'hole-after-reserved': reserved at the start, the hole right after it (x86's DMA zone:
 *    BIOS pages, then the 640 KiB..1 MiB hole);
 *  - 'relocated': placed after the free blocks, reserved on the lowest and the hole on the
 *    highest pfns left over.
 * They are tried in this order; the first that fits with every free block in a pageblock of its
 * own type is used, else the one with the fewest blocks outside (see planLayout(), step 3).
 */
export type LayoutVariant = 'boot' | 'hole-after-reserved' | 'relocated';
const VARIANTS: readonly LayoutVariant[] = ['boot', 'hole-after-reserved', 'relocated'];

export interface ZoneLayout {
  nid: number;
  name: ZoneName;
  startPfn: number;
  spanned: number;
  variant: LayoutVariant;
  /** ROLE_* of each pfn startPfn + i. */
  role: Uint8Array;
  /** Pageblock number (pfn >> PAGEBLOCK_ORDER) of blockTypes[0]. */
  firstBlock: number;
  /** Migratetype of every pageblock the zone overlaps. */
  blockTypes: Uint8Array;
  /** Free blocks: head pfn, order, and the free list (migratetype) they go on. */
  freePfn: number[];
  freeOrder: number[];
  freeMt: number[];
  /** Free blocks on a list other than their pageblock's type (as after a partial steal). */
  foreign: number;
  /** Why the variants tried before this one were not used. */
  rejected: string[];
}

export interface LayoutPlan {
  zones: ZoneLayout[];
}

/** Preference when a free block cannot sit in a pageblock of its own type (never ISOLATE). */
const DONORS: readonly number[] = [MigrateType.MOVABLE, MigrateType.UNMOVABLE, MigrateType.RECLAIMABLE, MigrateType.HIGHATOMIC];
/** Types placed first at each order: the least flexible first. */
const PLACE_ORDER: readonly number[] = [
  MigrateType.ISOLATE, MigrateType.HIGHATOMIC, MigrateType.UNMOVABLE, MigrateType.RECLAIMABLE, MigrateType.MOVABLE,
];

class LayoutFailure extends Error {}

function shuffle<T>(a: T[], prng: Prng): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = prng.nextInt(i + 1);
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}

/**
 * Choose a layout for every populated zone, deterministically from `seed`:
 *
 * 1. Free blocks of order 10 take aligned pairs of wholly free pageblocks, order 9 a wholly
 *    free pageblock whose buddy pageblock is not (preferring pairs whose other half is partly
 *    reserved, a hole, or outside the zone). Which pageblocks: a seeded shuffle.
 * 2. Pageblock types: each free block's pageblock gets its list's type while the recorded
 *    count of that type allows (the kernel files a freed block under its pageblock's type).
 *    The remaining pageblocks get the remaining counts: first each type with small free
 *    blocks gets enough roomy pageblocks for them (seeded choice); the rest of the
 *    Unmovable/Reclaimable/HighAtomic/Isolate counts then take the pageblocks with the least
 *    room (wholly reserved ones first: to the allocator they are fully allocated blocks, as
 *    slab-filled unmovable blocks are), and MOVABLE takes the rest. With pagelab's boot
 *    layout (reserved pages at the zone start) this puts the unmovable blocks at low pfns,
 *    where the kernel's early boot allocations put them.
 * 3. Free blocks below order 9 are spread round-robin over their type's pageblocks (seeded
 *    order, seeded start position inside each), so that no two free blocks are buddies of
 *    the same order (they would have merged). A block that fits in no pageblock of its type
 *    goes to another type's pageblock but stays on its own list, as a partial steal
 *    (steal_suitable_fallback() without claiming the block) leaves it; ISOLATE never mixes.
 */
export function planLayout(state: RealState, seed: number): LayoutPlan {
  const base = new Prng(seed);
  const fixed = new Map<number, number>();
  const zones: ZoneLayout[] = [];
  for (const z of state.zones) {
    if (z.present === 0) continue;
    const zoneSeed = base.nextU32();
    const failures: string[] = [];
    let layout: ZoneLayout | null = null;
    for (let vi = 0; vi < VARIANTS.length && (layout === null || layout.foreign > 0); vi++) {
      const variant = VARIANTS[vi]!;
      const hole = z.spanned - z.present;
      const reserved = z.present - z.managed;
      if (variant === 'hole-after-reserved' && hole === 0) continue;
      if (variant === 'relocated' && hole + reserved === 0) continue;
      try {
        const candidate = planZone(z, variant, new Prng((zoneSeed + vi * 0x9e3779b9) >>> 0), fixed);
        if (layout === null || candidate.foreign < layout.foreign) {
          if (layout !== null) failures.push(`${layout.variant} layout: ${layout.foreign} free blocks outside their type's pageblocks`);
          candidate.rejected = [...failures];
          layout = candidate;
        } else {
          failures.push(`${variant} layout: ${candidate.foreign} free blocks outside their type's pageblocks`);
        }
      } catch (e) {
        if (!(e instanceof LayoutFailure)) throw e;
        failures.push(`${variant} layout: ${e.message}`);
      }
    }
    if (layout === null) {
      throw new ImportError(state.source.files[0] ?? '<state>', undefined, '',
        `free lists and pageblock counts that fit node ${z.nid} zone ${z.name}`, `no layout fits (${failures.join('; ')})`);
    }
    layout.blockTypes.forEach((mt, k) => {
      if (!fixed.has(layout.firstBlock + k)) fixed.set(layout.firstBlock + k, mt);
    });
    zones.push(layout);
  }
  return { zones };
}

function planZone(z: RealZone, variant: LayoutVariant, prng: Prng, fixed: ReadonlyMap<number, number>): ZoneLayout {
  const zs = z.startPfn;
  const ze = zs + z.spanned;
  const hole = z.spanned - z.present;
  const reserved = z.present - z.managed;
  const role = new Uint8Array(z.spanned);
  if (variant === 'boot') {
    role.fill(ROLE_RESERVED, 0, reserved);
    role.fill(ROLE_HOLE, z.present, z.spanned);
  } else if (variant === 'hole-after-reserved') {
    role.fill(ROLE_RESERVED, 0, reserved);
    role.fill(ROLE_HOLE, reserved, reserved + hole);
  }
  /** Order + 1 of the free block whose head is at offset i (0 = none). */
  const freeHead = new Uint8Array(z.spanned);
  const firstBlock = zs >>> PAGEBLOCK_ORDER;
  const nb = ((ze - 1) >>> PAGEBLOCK_ORDER) - firstBlock + 1;
  const lo = (k: number): number => Math.max(zs, (firstBlock + k) * PAGEBLOCK_NR_PAGES);
  const hi = (k: number): number => Math.min(ze, (firstBlock + k + 1) * PAGEBLOCK_NR_PAGES);

  // Pageblocks pagetypeinfo_showblockcount_print() counts, and types fixed by another zone.
  const counted = new Uint8Array(nb);
  for (let pfn = zs; pfn < ze; pfn += PAGEBLOCK_NR_PAGES) counted[(pfn >>> PAGEBLOCK_ORDER) - firstBlock] = 1;
  const type = new Int8Array(nb).fill(-1);
  const budget = [...z.pageblocks];
  for (let k = 0; k < nb; k++) {
    const f = fixed.get(firstBlock + k);
    if (f !== undefined) {
      type[k] = f;
      if (counted[k]) budget[f]!--;
    } else if (!counted[k]) {
      type[k] = MigrateType.MOVABLE; // memmap_init_range(): a block no zone counts stays MOVABLE
    }
  }
  if (budget.some((b) => b < 0)) throw new LayoutFailure('pageblocks shared with another zone already use more of a type than recorded');

  const managedIn = (k: number): number => {
    let n = 0;
    for (let p = lo(k); p < hi(k); p++) if (role[p - zs] === ROLE_ALLOCATED) n++;
    return n;
  };
  const usable = Array.from({ length: nb }, (_, k) => managedIn(k));
  const full = usable.map((u, k) => u === PAGEBLOCK_NR_PAGES && type[k] === -1);

  const freePfn: number[] = [];
  const freeOrder: number[] = [];
  const freeMt: number[] = [];
  const mark = (pfn: number, order: number, mt: number): void => {
    const off = pfn - zs;
    role.fill(ROLE_FREE, off, off + (1 << order));
    freeHead[off] = order + 1;
    freePfn.push(pfn);
    freeOrder.push(order);
    freeMt.push(mt);
  };
  const c = z.freeByType; // c[mt][order]

  // 1. Orders 10 and 9: whole pageblocks.
  const inRange = (k: number): boolean => k >= 0 && k < nb;
  const ffUnits: number[] = []; // k of the even half
  const singles: number[] = []; // a full block whose buddy block is not full
  for (let k = 0; k < nb; k++) {
    if (!full[k]) continue;
    const buddy = ((firstBlock + k) ^ 1) - firstBlock;
    if (inRange(buddy) && full[buddy]) {
      if (((firstBlock + k) & 1) === 0) ffUnits.push(k);
    } else {
      singles.push(k);
    }
  }
  shuffle(ffUnits, prng);
  shuffle(singles, prng);
  const big10: number[] = [];
  const big9: number[] = [];
  for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
    for (let i = 0; i < c[mt]![MAX_ORDER - 1]!; i++) big10.push(mt);
    for (let i = 0; i < c[mt]![PAGEBLOCK_ORDER]!; i++) big9.push(mt);
  }
  shuffle(big10, prng);
  shuffle(big9, prng);
  if (big10.length > ffUnits.length) {
    throw new LayoutFailure(`${big10.length} free order-${MAX_ORDER - 1} blocks but only ${ffUnits.length} aligned pairs of wholly usable pageblocks`);
  }
  const leftover = ffUnits.slice(big10.length).map((k) => k + prng.nextInt(2));
  const homes9 = [...singles, ...leftover];
  if (big9.length > homes9.length) {
    throw new LayoutFailure(`${big9.length} free order-${PAGEBLOCK_ORDER} blocks but room for ${homes9.length} (a wholly free pageblock needs a buddy pageblock that is not)`);
  }
  const isBig = new Uint8Array(nb);
  const bigBlocks: { ks: number[]; mt: number }[] = [];
  big10.forEach((mt, i) => {
    const k = ffUnits[i]!;
    isBig[k] = isBig[k + 1] = 1;
    bigBlocks.push({ ks: [k, k + 1], mt });
    mark(lo(k), MAX_ORDER - 1, mt);
  });
  big9.forEach((mt, i) => {
    const k = homes9[i]!;
    isBig[k] = 1;
    bigBlocks.push({ ks: [k], mt });
    mark(lo(k), PAGEBLOCK_ORDER, mt);
  });

  // 2. Pageblock types: free blocks' own type first, then donors for the rest.
  const pending: { k: number; mt: number }[] = [];
  for (const b of bigBlocks) {
    for (const k of b.ks) {
      if (budget[b.mt]! > 0) {
        type[k] = b.mt;
        budget[b.mt]!--;
      } else {
        pending.push({ k, mt: b.mt });
      }
    }
  }
  for (const p of pending) {
    const isHead = bigBlocks.some((b) => b.ks[0] === p.k);
    if (p.mt === MigrateType.ISOLATE && isHead) throw new LayoutFailure('more free MIGRATE_ISOLATE pageblocks than Isolate pageblocks');
    const donor = DONORS.find((t) => budget[t]! > 0);
    if (donor === undefined) throw new LayoutFailure('not enough pageblocks for the free order-9/10 blocks');
    type[p.k] = donor;
    budget[donor]!--;
  }
  let foreign = 0;
  for (const b of bigBlocks) if (type[b.ks[0]!] !== b.mt) foreign++;

  // The other pageblocks hold the free blocks below order 9, and everything allocated.
  const small: number[] = []; // pages of small free blocks per type
  for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
    let pages = 0;
    for (let o = 0; o < PAGEBLOCK_ORDER; o++) pages += c[mt]![o]! << o;
    small.push(pages);
  }
  const capacity = (k: number): number => usable[k]! - (usable[k] === PAGEBLOCK_NR_PAGES ? 1 : 0);
  const pool = shuffle(
    Array.from({ length: nb }, (_, k) => k).filter((k) => !isBig[k] && type[k] === -1),
    prng,
  );
  if (pool.length !== budget.reduce((a, b) => a + b, 0)) throw new LayoutFailure('pageblock counts do not match the zone');
  const want = budget.map((b, mt) => {
    if (small[mt] === 0 || b === 0) return 0;
    // A free block keeps at least one page of its buddy's range allocated: count it twice.
    let room = 0;
    for (let o = 0; o < PAGEBLOCK_ORDER; o++) room += c[mt]![o]! << (o + 1);
    let need = Math.ceil(room / (PAGEBLOCK_NR_PAGES - 32));
    for (let o = 0; o < PAGEBLOCK_ORDER; o++) need = Math.max(need, Math.ceil(c[mt]![o]! / (1 << (PAGEBLOCK_ORDER - 1 - o))));
    return Math.min(b, need);
  });
  const roomy = pool.filter((k) => capacity(k) >= PAGEBLOCK_NR_PAGES / 2);
  const tight = pool.filter((k) => capacity(k) < PAGEBLOCK_NR_PAGES / 2).sort((a, b) => capacity(b) - capacity(a));
  const take = (k: number, mt: number): void => {
    type[k] = mt;
    budget[mt]!--;
  };
  for (let more = true; more; ) {
    more = false;
    for (const mt of PLACE_ORDER) {
      if (want[mt]! <= 0) continue;
      const k = roomy.length > 0 ? roomy.pop() : tight.shift();
      if (k === undefined) break;
      take(k, mt);
      want[mt]!--;
      more = true;
    }
  }
  // Remaining non-movable counts (pageblocks without free blocks of their type, as if filled
  // by slab) take the pageblocks with the least room first: wholly reserved ones look just like
  // that. MOVABLE takes what is left, keeping the room for its own free pages.
  const rest = [...tight.sort((a, b) => capacity(a) - capacity(b)), ...roomy.reverse()];
  for (const mt of PLACE_ORDER) {
    if (mt === MigrateType.MOVABLE) continue;
    while (budget[mt]! > 0) take(rest.shift()!, mt);
  }
  for (const k of rest) take(k, MigrateType.MOVABLE);

  // 3. Free blocks below pageblock order.
  const byType: number[][] = Array.from({ length: MIGRATE_TYPES }, () => []);
  for (const k of pool) byType[type[k]!]!.push(k);
  for (let k = 0; k < nb; k++) if (!isBig[k] && fixed.has(firstBlock + k)) byType[type[k]!]!.push(k);
  for (let k = 0; k < nb; k++) if (!counted[k] && !fixed.has(firstBlock + k)) byType[type[k]!]!.push(k);
  const cursor = new Array<number>(MIGRATE_TYPES).fill(0);
  const maxAvail = new Int8Array(nb).fill(PAGEBLOCK_ORDER - 1);
  const findPos = (k: number, o: number): number => {
    const size = 1 << o;
    const base = (firstBlock + k) * PAGEBLOCK_NR_PAGES;
    const slots = PAGEBLOCK_NR_PAGES >>> o;
    const start = prng.nextInt(slots);
    for (let t = 0; t < slots; t++) {
      const p = base + ((start + t) % slots) * size;
      if (p < zs || p + size > ze) continue;
      const off = p - zs;
      let ok = true;
      for (let i = 0; i < size; i++) {
        if (role[off + i] !== ROLE_ALLOCATED) {
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      const q = (p ^ size) - zs; // the buddy: must not be a free block of this order
      if (q >= 0 && q < z.spanned && freeHead[q] === o + 1) continue;
      return p;
    }
    return -1;
  };
  const placeIn = (t: number, o: number, mt: number): boolean => {
    const list = byType[t]!;
    for (let i = 0; i < list.length; i++) {
      const idx = (cursor[t]! + i) % list.length;
      const k = list[idx]!;
      if (maxAvail[k]! < o) continue;
      const p = findPos(k, o);
      if (p < 0) {
        maxAvail[k] = o - 1;
        continue;
      }
      mark(p, o, mt);
      cursor[t] = (idx + 1) % list.length;
      return true;
    }
    return false;
  };
  for (let o = PAGEBLOCK_ORDER - 1; o >= 0; o--) {
    const unplaced: number[] = [];
    for (const mt of PLACE_ORDER) {
      for (let i = 0; i < c[mt]![o]!; i++) if (!placeIn(mt, o, mt)) unplaced.push(mt);
    }
    for (const mt of unplaced) {
      if (mt === MigrateType.ISOLATE) throw new LayoutFailure(`no room for a free order-${o} Isolate block in the Isolate pageblocks`);
      const donor = DONORS.find((t) => t !== mt && placeIn(t, o, mt));
      if (donor === undefined) throw new LayoutFailure(`no room for a free order-${o} ${MIGRATETYPE_NAMES[mt]} block`);
      foreign++;
    }
  }

  if (variant === 'relocated') {
    let h = hole;
    for (let i = z.spanned - 1; i >= 0 && h > 0; i--) {
      if (role[i] === ROLE_ALLOCATED) {
        role[i] = ROLE_HOLE;
        h--;
      }
    }
    let r = reserved;
    for (let i = 0; i < z.spanned && r > 0; i++) {
      if (role[i] === ROLE_ALLOCATED) {
        role[i] = ROLE_RESERVED;
        r--;
      }
    }
    if (h > 0 || r > 0) throw new LayoutFailure('no room left for the hole and the reserved pages');
  }
  const blockTypes = Uint8Array.from(type, (t) => (t < 0 ? MigrateType.MOVABLE : t));
  return { nid: z.nid, name: z.name, startPfn: zs, spanned: z.spanned, variant, role, firstBlock, blockTypes, freePfn, freeOrder, freeMt, foreign, rejected: [] };
}

// ---------------------------------------------------------------------------------------------
// Applying the state to a booted machine

/**
 * Which allocated pages of the zone's MOVABLE pageblocks are kernel memory (1 per span offset):
 * none when the LRU pages are not recorded; otherwise all beyond `lruPages`. Unmovable
 * allocations that fall back into a MOVABLE pageblock without claiming it cluster in few
 * pageblocks, so they take the fullest MOVABLE pageblocks first (lowest pfns first within one,
 * ties to the lower pfn).
 */
export function kernelPagesInMovable(zl: ZoneLayout, lruPages: number | null): Uint8Array {
  const kernel = new Uint8Array(zl.spanned);
  if (lruPages === null) return kernel;
  const zs = zl.startPfn;
  const blocks: { lo: number; hi: number; used: number }[] = [];
  for (let k = 0; k < zl.blockTypes.length; k++) {
    if (zl.blockTypes[k] !== MigrateType.MOVABLE) continue;
    const lo = Math.max(zs, (zl.firstBlock + k) * PAGEBLOCK_NR_PAGES) - zs;
    const hi = Math.min(zs + zl.spanned, (zl.firstBlock + k + 1) * PAGEBLOCK_NR_PAGES) - zs;
    let used = 0;
    for (let i = lo; i < hi; i++) if (zl.role[i] === ROLE_ALLOCATED) used++;
    if (used > 0) blocks.push({ lo, hi, used });
  }
  let quota = blocks.reduce((sum, b) => sum + b.used, 0) - lruPages;
  blocks.sort((a, b) => b.used - a.used || a.lo - b.lo);
  for (const b of blocks) {
    for (let i = b.lo; i < b.hi && quota > 0; i++) {
      if (zl.role[i] !== ROLE_ALLOCATED) continue;
      kernel[i] = 1;
      quota--;
    }
    if (quota <= 0) break;
  }
  return kernel;
}

/**
 * An allocated page (refcount 1, no owner) becomes page `index` of the tmpfs placeholder, as
 * shmem_get_folio_gfp() leaves a page it allocated for a write: swap-backed and in the page
 * cache (shmem_add_to_page_cache(), whose reference is the one the page has), dirty
 * (noop_dirty_folio), on the LRU (folio_add_lru).
 */
function addMovablePlaceholder(k: Kernel, inode: ShmemInode, pfn: number, index: number): void {
  const s = k.slot(pfn);
  k.mem.flags[s]! |= PG_swapbacked | PG_dirty;
  k.mem.mapping[s] = inode.id;
  k.mem.index[s] = index;
  inode.iPages.set(index, pfn);
  inode.nrpages++;
  inode.alloced++;
  k.modNodeStat(pfn, NodeStat.NR_FILE_PAGES, 1);
  k.modNodeStat(pfn, NodeStat.NR_SHMEM, 1);
  lruAdd(k, pfn);
}

export interface ImportedZoneReport {
  nid: number;
  name: ZoneName;
  variant: LayoutVariant;
  freeBlocks: number;
  freePages: number;
  /** Managed pages held by the placeholder owners. */
  allocatedPages: number;
  /** Free blocks on a list other than their pageblock's migratetype. */
  foreignBlocks: number;
}

export interface ImportReport {
  zones: ImportedZoneReport[];
  /** The placeholder owners by pageblock type name ("imported-movable", ...). */
  owners: Owner[];
  /** What was adjusted after boot (watermarks, protection, boost) and other remarks. */
  notes: string[];
}

const OWNER_NAMES = ['imported-unmovable', 'imported-movable', 'imported-reclaimable', 'imported-highatomic', 'imported-isolate'] as const;

function fmtTuple(a: ArrayLike<number>): string {
  return `(${Array.from(a).join(', ')})`;
}

/**
 * Turn a freshly booted machine (booted from machineConfigFromState(state)) into the recorded
 * state: every free list of every populated zone holds the recorded number of blocks per order
 * and migratetype, the pageblock counts per migratetype match, the pcp lists are empty, and
 * the rest of managed memory is allocated as order-0 pages owned by placeholders named after
 * their pageblock's type: movable user memory (a tmpfs file, see addMovablePlaceholder()) in
 * MOVABLE pageblocks, 'kernel' owners in the others. Deterministic in `seed` (see planLayout()).
 * Watermarks, lowmem_reserve ("protection") and watermark_boost are set to the recorded values
 * where the booted ones differ (the notes say which). vm event counters are left as boot set
 * them: the import's own allocations and frees are not counted.
 */
export function applyState(kernel: Kernel, state: RealState, seed: number): ImportReport {
  const alloc = kernel.alloc;
  const mem = kernel.mem;
  const notes: string[] = [];
  const file = state.source.files[0] ?? '<state>';
  const zoneOf = (z: RealZone): Zone | undefined => alloc.nodes[z.nid]?.zones[ZONE_NAMES.indexOf(z.name)];

  // The machine must be this state's, freshly booted.
  for (const z of state.zones) {
    const kz = zoneOf(z);
    if (z.present === 0) continue;
    if (!kz || kz.startPfn !== z.startPfn || kz.spanned !== z.spanned || kz.present !== z.present || kz.managed !== z.managed) {
      throw new ImportError(file, undefined, '', `a machine booted from this state (node ${z.nid} zone ${z.name}: start_pfn ${z.startPfn}, spanned ${z.spanned}, present ${z.present}, managed ${z.managed})`,
        kz ? `start_pfn ${kz.startPfn}, spanned ${kz.spanned}, present ${kz.present}, managed ${kz.managed}` : 'no such zone');
    }
  }
  alloc.drainAllPages();
  for (const node of alloc.nodes) {
    for (const kz of node.zones) {
      if (kz.managed > 0 && kz.vmStat[ZoneStat.NR_FREE_PAGES] !== kz.managed) {
        throw new Error(`applyState: node ${kz.nid} zone ${kz.name} is not freshly booted (${kz.vmStat[ZoneStat.NR_FREE_PAGES]} of ${kz.managed} managed pages free)`);
      }
    }
  }

  const plan = planLayout(state, seed);
  const savedEvents = alloc.events.values.slice();
  const owners: (Owner | undefined)[] = new Array(MIGRATE_TYPES).fill(undefined);
  const ownerFor = (mt: number): Owner => {
    let o = owners[mt];
    if (!o) {
      o = kernel.owners.register(mt === MigrateType.MOVABLE ? new ShmemInode(OWNER_NAMES[mt]!) : { id: 0, kind: 'kernel', name: OWNER_NAMES[mt]! });
      owners[mt] = o;
    }
    return o;
  };
  let movableIndex = 0;
  const reports: ImportedZoneReport[] = [];

  for (const zl of plan.zones) {
    const kz = alloc.nodes[zl.nid]!.zones[ZONE_NAMES.indexOf(zl.name)]!;
    const zid = kz.id << ZONE_ID_SHIFT;
    // Take every boot-time free block off the free lists (take_page_off_buddy()).
    for (let s = kz.startSlot; s < kz.endSlot; s++) {
      if ((mem.flags[s]! & PG_buddy) === 0) continue;
      const order = mem.private[s]!;
      if (!alloc.allocPagesAt(s + mem.pfnBase, order, 0)) throw new Error(`applyState: cannot take the free block at pfn 0x${(s + mem.pfnBase).toString(16)}`);
      s += (1 << order) - 1;
    }
    // Every page gets its role: allocated pages become separate order-0 pages (split_page()),
    // and the hole and reserved pages move where the layout put them (memmap_init_range(),
    // init_unavailable_range()).
    for (let i = 0; i < zl.spanned; i++) {
      const s = kz.startSlot + i;
      const r = zl.role[i]!;
      mem.flags[s] = zid | (r === ROLE_HOLE ? PG_hole : r === ROLE_RESERVED ? PG_reserved : 0);
      mem.refcount[s] = r === ROLE_HOLE ? 0 : 1;
      mem.mapcount[s] = 0;
      mem.order[s] = 0;
      mem.private[s] = 0;
      mem.mapping[s] = 0;
      mem.index[s] = 0;
    }
    // set_pageblock_migratetype() on every pageblock the zone overlaps; no skip hints.
    for (let k = 0; k < zl.blockTypes.length; k++) {
      const slot = (zl.firstBlock + k) * PAGEBLOCK_NR_PAGES - mem.pfnBase;
      mem.setPageblockMigratetype(slot, zl.blockTypes[k]!);
      mem.setPageblockSkip(slot, false);
    }
    // Placeholder owners for the allocated pages, by pageblock type. In MOVABLE pageblocks the
    // used pages of a real machine are user memory that compaction can move (anon, tmpfs, page
    // cache): they become the dirty pages of one tmpfs file, on the anon LRU as shmem is, not
    // in any task's RSS, reclaimable only to swap. Beyond the zone's recorded LRU pages they are
    // kernel memory (see kernelPagesInMovable()). The other types hold kernel placeholders.
    const lruPages = state.zones.find((z) => z.nid === zl.nid && z.name === zl.name)?.lruPages ?? null;
    const kernelPage = kernelPagesInMovable(zl, lruPages);
    let allocated = 0;
    for (let i = 0; i < zl.spanned; i++) {
      if (zl.role[i] !== ROLE_ALLOCATED) continue;
      const s = kz.startSlot + i;
      const owner = ownerFor(kernelPage[i] ? MigrateType.UNMOVABLE : mem.getPageblockMigratetype(s));
      if (owner instanceof ShmemInode) addMovablePlaceholder(kernel, owner, s + mem.pfnBase, movableIndex++);
      else mem.mapping[s] = owner.id;
      allocated++;
    }
    // Free the recorded blocks in ascending pfn order, to the list tails (__free_pages_ok()
    // with FPI_TO_TAIL, as memblock_free_all() does), so each list is in pfn order. A block
    // whose list differs from its pageblock's type is freed while the pageblock carries the
    // list's type, which is then restored: the state a partial steal leaves.
    const order = zl.freePfn.map((_, j) => j).sort((a, b) => zl.freePfn[a]! - zl.freePfn[b]!);
    let freePages = 0;
    for (const j of order) {
      const pfn = zl.freePfn[j]!;
      const o = zl.freeOrder[j]!;
      const mt = zl.freeMt[j]!;
      const s = pfn - mem.pfnBase;
      for (let i = 0; i < 1 << o; i++) {
        mem.flags[s + i]! &= ZONE_ID_MASK;
        mem.refcount[s + i] = 0;
      }
      const blockMt = mem.getPageblockMigratetype(s);
      if (blockMt !== mt) mem.setPageblockMigratetype(s, mt);
      alloc.freePagesOk(s, o, true);
      if (blockMt !== mt) mem.setPageblockMigratetype(s, blockMt);
      if (mt !== MigrateType.ISOLATE) freePages += 1 << o;
    }
    // has_isolate_pageblock() and the highatomic reserve (reserve_highatomic_pageblock()).
    const counts = pageblockCounts(alloc, kz);
    kz.nrIsolatePageblock = counts[MigrateType.ISOLATE]!;
    kz.nrReservedHighatomic = counts[MigrateType.HIGHATOMIC]! * PAGEBLOCK_NR_PAGES;
    reports.push({
      nid: zl.nid, name: zl.name, variant: zl.variant, freeBlocks: zl.freePfn.length, freePages,
      allocatedPages: allocated, foreignBlocks: zl.foreign,
    });
    if (zl.variant !== 'boot') {
      notes.push(`node ${zl.nid} zone ${zl.name}: used the ${zl.variant} layout, not pagelab's boot layout (reserved pages at the zone start, hole at its end): ${zl.rejected.join('; ')}`);
    }
    if (zl.foreign > 0) {
      notes.push(`node ${zl.nid} zone ${zl.name}: ${zl.foreign} free blocks sit in pageblocks of another migratetype than their free list (as after partial steals)`);
    }
  }
  alloc.events.values.set(savedEvents);

  // Watermarks (__setup_per_zone_wmarks()), lowmem_reserve (setup_per_zone_lowmem_reserve())
  // and watermark_boost as recorded.
  let wmarksChanged = false;
  for (const z of state.zones) {
    const kz = zoneOf(z);
    if (!kz) continue;
    const label = `node ${z.nid} zone ${z.name}`;
    const rec = [z.min - z.boost, z.low - z.boost, z.high - z.boost];
    const got = [kz.watermark[WMARK_MIN]!, kz.watermark[WMARK_LOW]!, kz.watermark[WMARK_HIGH]!];
    if (rec.some((v, i) => v !== got[i])) {
      notes.push(`${label}: the booted watermarks min/low/high ${got.join('/')} differ from the recorded ${rec.join('/')}; set to the recorded values`);
      kz.watermark[WMARK_MIN] = rec[0]!;
      kz.watermark[WMARK_LOW] = rec[1]!;
      kz.watermark[WMARK_HIGH] = rec[2]!;
      kz.watermark[WMARK_PROMO] = rec[0]! + 3 * (rec[1]! - rec[0]!);
      wmarksChanged = true;
    }
    if (z.protection.some((v, j) => v !== kz.lowmemReserve[j])) {
      notes.push(`${label}: protection ${fmtTuple(kz.lowmemReserve)} computed from the managed pages differs from the recorded ${fmtTuple(z.protection)} (the kernel computed it at boot, before late memory was freed); lowmem_reserve set to the recorded values`);
      z.protection.forEach((v, j) => (kz.lowmemReserve[j] = v));
    }
  }
  if (wmarksChanged) updatePcpLimits(alloc.nodes, alloc.nrCpus, state.sysctl.percpuPagelistHighFraction);
  for (const z of state.zones) {
    const kz = zoneOf(z);
    if (kz && z.boost !== kz.watermarkBoost) {
      kz.watermarkBoost = z.boost;
      notes.push(`node ${z.nid} zone ${z.name}: watermark_boost set to the recorded ${z.boost}`);
    }
  }

  // The result must be the recorded state.
  checkInvariants(alloc);
  for (const z of state.zones) {
    const kz = zoneOf(z);
    if (!kz || z.present === 0) continue;
    const free = freeListCounts(alloc, kz);
    const blocks = pageblockCounts(alloc, kz);
    if (JSON.stringify(free) !== JSON.stringify(z.freeByType) || JSON.stringify(blocks) !== JSON.stringify(z.pageblocks)) {
      throw new Error(`applyState: node ${z.nid} zone ${z.name} did not come out as recorded`);
    }
  }
  if (state.source.settled) {
    settleSkipHints(kernel, state, seed);
    notes.push('the pageblock skip hints of the settle step\'s compact_memory rebuilt (compact_memory run on a copy of the state)');
  }
  return { zones: reports, owners: owners.filter((o): o is Owner => o !== undefined), notes };
}

/**
 * The PB_migrate_skip bits that memscen's settle step (compact_memory before the recorded
 * phase) left behind: /proc does not show them, yet until __reset_isolation_suitable() clears
 * them they steer every later compaction. Rebuilt by running compact_node() (compact_memory)
 * on a scratch machine in the same state and copying its skip bits; the state stays as
 * recorded. The scanners' cached pfns need no copy: compact_memory ends with the scanners met,
 * which resets them to the zone's ends, as a fresh zone's zeroes do.
 * Simplification: the scratch compacts the recorded, already settled state, not the unrecorded
 * state before the settle, so the user pages it moves (and where its scanners meet) differ a little.
 */
function settleSkipHints(kernel: Kernel, state: RealState, seed: number): void {
  const scratch = new Kernel(kernel.config, seed);
  applyState(scratch, { ...state, source: { ...state.source, settled: false } }, seed);
  scratch.compaction.compactMemory();
  const mem = kernel.mem;
  for (let slot = 0; slot < mem.nrPages; slot += PAGEBLOCK_NR_PAGES) mem.setPageblockSkip(slot, scratch.mem.getPageblockSkip(slot));
}
