/**
 * The memory users' invariant checker (what CONFIG_DEBUG_VM's VM_BUG_ONs and a careful
 * reader of /proc would catch), to run after operations in tests. It walks the LRU lists, the
 * mem_map, every address_space, every mm's page table and the swap map, and throws an
 * InvariantError naming the first thing that does not add up:
 *  - every folio on an LRU list has PG_lru, is not isolated and is on the list its flags say;
 *    no other page has PG_lru; the list sizes equal NR_ZONE_* and NR_* LRU counters;
 *  - every page-cache page sits at its index in its mapping, and every mapping entry is such a
 *    page (or, for shmem, a swap entry); nrpages and info->swapped add up;
 *  - a folio on an LRU list is referenced; a folio's refcount is at least what the model knows
 *    of (cache references, mapcount, an isolation, private data, memory_failure()'s), and
 *    exactly that for a mapped anonymous folio, which nothing else can hold (no GUP pins of
 *    anonymous memory, no fork; drivers and pins hold page-cache pages only);
 *  - every present PTE maps an anonymous page of that mm at that vpn, and every mapped
 *    anonymous page is in its mm's page table; rss and swapents add up;
 *  - every used swap slot is referenced exactly as its count says: by PTEs, by one shmem slot
 *    (SWAP_MAP_SHMEM), and SWAP_HAS_CACHE iff the swap cache holds it;
 *  - NR_FILE_PAGES, NR_SHMEM, NR_SWAPCACHED, NR_ANON_PAGES, NR_ANON_TRANSPARENT_HUGEPAGES,
 *    NR_MLOCK, NR_SLAB_*, NR_DIRTY, NR_WRITEBACK, NR_ZONE_WRITE_PENDING and NR_ISOLATED_*
 *    equal what is found.
 */
import { InvariantError } from './debug_vm.js';
import { AddressSpace } from './filemap.js';
import { HPAGE_PMD_NR, compoundHead } from './huge_memory.js';
import type { Kernel } from './kernel.js';
import { LruList, NR_LRU_LISTS, folioLruList, isFileLru } from './lru.js';
import { MmStruct } from './memory.js';
import {
  PG_anon, PG_buddy, PG_dirty, PG_head, PG_hole, PG_hwpoison, PG_isolated, PG_lru, PG_mlocked, PG_movable, PG_pcp,
  PG_private, PG_reserved, PG_swapcache, PG_tail, PG_writeback,
} from './page_flags.js';
import { PTE_ZERO, pteIsSwap, pteSwapEntry } from './pte.js';
import { ShmemInode } from './shmem.js';
import { KmemCache } from './slab.js';
import { SWAP_HAS_CACHE, SWAP_MAP_BAD, SWAP_MAP_SHMEM, swapInfo } from './swapfile.js';
import { NodeStat, ZoneStat } from './vmstat.js';

const LRU_ZONE = [
  ZoneStat.NR_ZONE_INACTIVE_ANON, ZoneStat.NR_ZONE_ACTIVE_ANON, ZoneStat.NR_ZONE_INACTIVE_FILE,
  ZoneStat.NR_ZONE_ACTIVE_FILE, ZoneStat.NR_ZONE_UNEVICTABLE,
];
const LRU_NODE = [
  NodeStat.NR_INACTIVE_ANON, NodeStat.NR_ACTIVE_ANON, NodeStat.NR_INACTIVE_FILE, NodeStat.NR_ACTIVE_FILE,
  NodeStat.NR_UNEVICTABLE,
];

function fail(msg: string): never {
  throw new InvariantError(`memory users: ${msg}`);
}

const hex = (n: number): string => `0x${n.toString(16)}`;

/** Per-node and per-zone tallies of what the scan finds. */
class Tally {
  readonly node: Float64Array[];
  readonly zone: Float64Array[];
  constructor(nNodes: number, nZones: number, nNodeItems: number, nZoneItems: number) {
    this.node = Array.from({ length: nNodes }, () => new Float64Array(nNodeItems));
    this.zone = Array.from({ length: nZones }, () => new Float64Array(nZoneItems));
  }
}

export function checkUserInvariants(k: Kernel): void {
  const mem = k.mem;
  const n = mem.nrPages;
  const zones = k.alloc.zoneById;
  const t = new Tally(k.nodes.length, zones.length, 64, 16);
  const pfnOf = (s: number): string => hex(k.pfn(s));

  // --- 1. LRU lists ---
  const onList = new Uint8Array(n);
  for (const node of k.nodes) {
    if (node.lruHead < 0) continue;
    for (let lru = 0; lru < NR_LRU_LISTS; lru++) {
      const head = node.lruHead + lru;
      let prev = head;
      for (let s = mem.next[head]!; s !== head; s = mem.next[s]!) {
        if (s < 0 || s >= n) fail(`node ${node.nid} LRU ${LruList[lru]}: bad link ${s}`);
        if (mem.prev[s] !== prev) fail(`node ${node.nid} LRU ${LruList[lru]}: broken prev link at pfn ${pfnOf(s)}`);
        prev = s;
        if (onList[s]) fail(`pfn ${pfnOf(s)} is on an LRU list twice`);
        onList[s] = 1;
        const f = mem.flags[s]!;
        if ((f & PG_lru) === 0) fail(`pfn ${pfnOf(s)} on LRU ${LruList[lru]} without PG_lru`);
        if ((f & PG_tail) !== 0) fail(`tail page pfn ${pfnOf(s)} on LRU ${LruList[lru]}`);
        if ((f & PG_isolated) !== 0) fail(`isolated pfn ${pfnOf(s)} on LRU ${LruList[lru]}`);
        if (folioLruList(f) !== lru) fail(`pfn ${pfnOf(s)} on LRU ${LruList[lru]} but its flags say ${LruList[folioLruList(f)]}`);
        const zid = mem.zoneId(s);
        if (zones[zid]!.nid !== node.nid) fail(`pfn ${pfnOf(s)} of node ${zones[zid]!.nid} on node ${node.nid}'s LRU`);
        const nr = (f & PG_head) !== 0 ? 1 << mem.order[s]! : 1;
        t.zone[zid]![LRU_ZONE[lru]!]! += nr;
        t.node[node.nid]![LRU_NODE[lru]!]! += nr;
      }
    }
  }

  // --- 2. every page ---
  const swapCache = k.swapCache;
  for (let s = 0; s < n; s++) {
    const f = mem.flags[s]!;
    if ((f & (PG_hole | PG_reserved | PG_buddy | PG_pcp | PG_tail)) !== 0) continue;
    if ((f & PG_lru) !== 0 && !onList[s]) fail(`pfn ${pfnOf(s)} has PG_lru but is on no LRU list`);
    const ref = mem.refcount[s]!;
    if (ref === 0) {
      if ((f & PG_lru) !== 0) fail(`pfn ${pfnOf(s)} is on an LRU list with refcount 0`);
      continue;
    }
    const pfn = k.pfn(s);
    const nr = (f & PG_head) !== 0 ? 1 << mem.order[s]! : 1;
    const zid = mem.zoneId(s);
    const nid = zones[zid]!.nid;
    const nodeT = t.node[nid]!;
    const zoneT = t.zone[zid]!;
    const owner = k.owners.get(mem.mapping[s]!);
    const mapcount = mem.mapcount[s]!;
    let cacheRefs = 0;
    if ((f & PG_swapcache) !== 0) {
      if (!swapCache) fail(`pfn ${hex(pfn)} has PG_swapcache but there is no swap`);
      const entry = mem.private[s]!;
      for (let i = 0; i < nr; i++) {
        if (swapCache.iPages.get(entry + i) !== pfn + i) fail(`swap-cache pfn ${hex(pfn + i)} is not at entry ${hex(entry + i)}`);
      }
      cacheRefs += nr;
      nodeT[NodeStat.NR_SWAPCACHED]! += nr;
      nodeT[NodeStat.NR_FILE_PAGES]! += nr;
    } else if (owner instanceof AddressSpace && (owner.kind === 'file' || owner.kind === 'shmem')) {
      const index = mem.index[s]!;
      for (let i = 0; i < nr; i++) {
        if (owner.iPages.get(index + i) !== pfn + i) fail(`${owner.kind} page pfn ${hex(pfn + i)} of ${owner.name} is not at index ${index + i}`);
      }
      cacheRefs += nr;
      nodeT[NodeStat.NR_FILE_PAGES]! += nr;
      if (owner.kind === 'shmem') nodeT[NodeStat.NR_SHMEM]! += nr;
      else if ((f & PG_dirty) !== 0) {
        nodeT[NodeStat.NR_DIRTY]! += nr;
        zoneT[ZoneStat.NR_ZONE_WRITE_PENDING]! += nr;
      }
    }
    if ((f & PG_anon) !== 0 && mapcount > 0) {
      if (!(owner instanceof MmStruct)) fail(`mapped anon pfn ${hex(pfn)} has no mm (mapping ${mem.mapping[s]})`);
      const vpn = mem.index[s]!;
      for (let i = 0; i < nr; i++) {
        if (owner.pte.get(vpn + i) !== pfn + i) fail(`anon pfn ${hex(pfn + i)} of ${owner.comm} is not mapped at vpn ${hex(vpn + i)}`);
      }
      nodeT[NodeStat.NR_ANON_PAGES]! += nr;
      if (nr > 1 && owner.hugePmds.has(Math.floor(vpn / HPAGE_PMD_NR))) nodeT[NodeStat.NR_ANON_TRANSPARENT_HUGEPAGES]! += nr;
    } else if (mapcount !== 0) {
      fail(`pfn ${hex(pfn)} has mapcount ${mapcount} but is not a mapped anonymous page`);
    }
    // Isolation (reclaim, migration, compaction), private data and memory_failure() each hold one.
    const known = cacheRefs + mapcount + ((f & PG_isolated) !== 0 ? 1 : 0) + ((f & PG_private) !== 0 ? 1 : 0) + ((f & PG_hwpoison) !== 0 ? 1 : 0);
    if (ref < known) fail(`pfn ${hex(pfn)} has refcount ${ref} < ${known} known references (${cacheRefs} cache, ${mapcount} mapping)`);
    if ((f & PG_anon) !== 0 && mapcount > 0 && ref !== known) {
      fail(`mapped anon pfn ${hex(pfn)} has refcount ${ref} but ${known} references (${cacheRefs} cache, ${mapcount} mapping)`);
    }
    if ((f & PG_mlocked) !== 0) zoneT[ZoneStat.NR_MLOCK]! += nr;
    if ((f & PG_writeback) !== 0) {
      nodeT[NodeStat.NR_WRITEBACK]! += nr;
      zoneT[ZoneStat.NR_ZONE_WRITE_PENDING]! += nr;
    }
    if ((f & PG_isolated) !== 0 && (f & PG_movable) === 0) {
      nodeT[isFileLru(f) ? NodeStat.NR_ISOLATED_FILE : NodeStat.NR_ISOLATED_ANON]! += nr;
    }
    if (owner instanceof KmemCache) {
      nodeT[owner.reclaimable ? NodeStat.NR_SLAB_RECLAIMABLE : NodeStat.NR_SLAB_UNRECLAIMABLE]! += nr;
    }
  }

  // --- 3. address spaces, 4. page tables ---
  const si = swapInfo(k);
  const pteRefs = new Map<number, number>();
  const shmemRefs = new Map<number, number>();
  for (const owner of k.owners.all()) {
    if (owner instanceof AddressSpace) checkMapping(k, owner, shmemRefs);
    else if (owner instanceof MmStruct) checkMm(k, owner, pteRefs);
  }

  // --- 5. swap slots ---
  if (si) {
    let inuse = 0;
    for (let off = 1; off < si.max; off++) {
      const v = si.swapMap[off]!;
      if (v === SWAP_MAP_BAD) fail(`swap slot ${off} is marked bad`);
      const count = v & ~SWAP_HAS_CACHE;
      const ptes = pteRefs.get(off) ?? 0;
      const shm = shmemRefs.get(off) ?? 0;
      const cached = si.cache.iPages.has(off);
      if (v !== 0) inuse++;
      if (shm > 0) {
        if (shm !== 1 || ptes !== 0 || count !== SWAP_MAP_SHMEM) fail(`swap slot ${off} has count ${hex(count)} but ${shm} shmem and ${ptes} PTE references`);
      } else if (count !== ptes) {
        fail(`swap slot ${off} has count ${hex(count)} but ${ptes} PTE references`);
      }
      if (((v & SWAP_HAS_CACHE) !== 0) !== cached) fail(`swap slot ${off}: SWAP_HAS_CACHE ${(v & SWAP_HAS_CACHE) !== 0} but swap cache ${cached}`);
    }
    if (inuse !== si.inusePages) fail(`swap inuse_pages ${si.inusePages} but ${inuse} slots are used`);
    for (const off of [...pteRefs.keys(), ...shmemRefs.keys()]) if (off <= 0 || off >= si.max) fail(`swap entry ${off} is outside the device`);
  } else if (pteRefs.size || shmemRefs.size) {
    fail('swap entries exist without a swap device');
  }

  // --- 6. counters ---
  const nodeItems = [
    NodeStat.NR_FILE_PAGES, NodeStat.NR_SHMEM, NodeStat.NR_SWAPCACHED, NodeStat.NR_ANON_PAGES,
    NodeStat.NR_ANON_TRANSPARENT_HUGEPAGES, NodeStat.NR_SLAB_RECLAIMABLE, NodeStat.NR_SLAB_UNRECLAIMABLE,
    NodeStat.NR_DIRTY, NodeStat.NR_WRITEBACK, NodeStat.NR_ISOLATED_ANON, NodeStat.NR_ISOLATED_FILE, ...LRU_NODE,
  ];
  for (const node of k.nodes) {
    for (const item of nodeItems) {
      const have = k.nodeStat(node.nid, item);
      const found = t.node[node.nid]![item]!;
      if (have !== found) fail(`node ${node.nid} ${NodeStat[item]} = ${have} but ${found} found`);
    }
  }
  const zoneItems = [ZoneStat.NR_MLOCK, ZoneStat.NR_ZONE_WRITE_PENDING, ...LRU_ZONE];
  for (const zone of zones) {
    if (!zone) continue;
    for (const item of zoneItems) {
      const have = zone.vmStat[item]!;
      const found = t.zone[zone.id]![item]!;
      if (have !== found) fail(`zone ${zone.name} (node ${zone.nid}) ${ZoneStat[item]} = ${have} but ${found} found`);
    }
  }
}

/** i_pages against the pages, nrpages and (shmem) swapped; collect shmem swap references. */
function checkMapping(k: Kernel, mapping: AddressSpace, shmemRefs: Map<number, number>): void {
  const mem = k.mem;
  let pages = 0;
  let swaps = 0;
  for (const [index, v] of mapping.iPages) {
    if (v < 0) {
      if (mapping.kind !== 'shmem') fail(`${mapping.kind} mapping ${mapping.name} holds a swap entry at ${index}`);
      const entry = pteSwapEntry(v);
      shmemRefs.set(entry, (shmemRefs.get(entry) ?? 0) + 1);
      swaps++;
      continue;
    }
    const s = k.slot(v);
    if (s < 0 || s >= mem.nrPages) fail(`${mapping.name}[${index}] = pfn ${hex(v)} is outside memory`);
    pages++;
    if (mapping.kind === 'swap') {
      if ((mem.flags[s]! & PG_swapcache) === 0 || mem.private[s] !== index) fail(`swap cache entry ${hex(index)} holds pfn ${hex(v)} that is not its swap-cache page`);
      continue;
    }
    // The folio's head carries mapping and index (tails are found through it).
    const f = mem.flags[s]!;
    if ((f & PG_tail) !== 0) continue;
    if (mem.mapping[s] !== mapping.id || mem.index[s] !== index) {
      fail(`${mapping.name}[${index}] holds pfn ${hex(v)} whose mapping/index is ${mem.mapping[s]}/${mem.index[s]}`);
    }
    if (mem.refcount[s]! <= 0) fail(`${mapping.name}[${index}] holds free pfn ${hex(v)}`);
  }
  if (pages !== mapping.nrpages) fail(`${mapping.name}: nrpages ${mapping.nrpages} but ${pages} pages cached`);
  if (mapping instanceof ShmemInode && swaps !== mapping.swapped) fail(`${mapping.name}: swapped ${mapping.swapped} but ${swaps} swap entries`);
}

/** The page table against the pages and rss counters; collect PTE swap references. */
function checkMm(k: Kernel, mm: MmStruct, pteRefs: Map<number, number>): void {
  const mem = k.mem;
  for (let i = 1; i < mm.vmas.length; i++) {
    const a = mm.vmas[i - 1]!;
    const b = mm.vmas[i]!;
    if (a.end > b.start || a.start >= a.end) fail(`${mm.comm}: VMAs [${hex(a.start)}, ${hex(a.end)}) and [${hex(b.start)}, ${hex(b.end)}) overlap or are unsorted`);
  }
  let present = 0;
  let swapents = 0;
  for (const [vpn, v] of mm.pte) {
    if (!mm.findVma(vpn)) fail(`${mm.comm}: PTE at vpn ${hex(vpn)} outside any VMA`);
    if (v === PTE_ZERO) continue;
    if (pteIsSwap(v)) {
      const entry = pteSwapEntry(v);
      pteRefs.set(entry, (pteRefs.get(entry) ?? 0) + 1);
      swapents++;
      continue;
    }
    if (v < 0) fail(`${mm.comm}: migration entry at vpn ${hex(vpn)} outside migration`);
    const s = k.slot(v);
    if (s < 0 || s >= mem.nrPages) fail(`${mm.comm}: vpn ${hex(vpn)} maps pfn ${hex(v)} outside memory`);
    const h = k.slot(compoundHead(k, v));
    if ((mem.flags[h]! & PG_anon) === 0 || mem.mapping[h] !== mm.id || mem.mapcount[h]! < 1) {
      fail(`${mm.comm}: vpn ${hex(vpn)} maps pfn ${hex(v)} that is not its mapped anonymous page`);
    }
    if (mem.index[h]! + (s - h) !== vpn) fail(`${mm.comm}: vpn ${hex(vpn)} maps pfn ${hex(v)} whose index is ${hex(mem.index[h]! + (s - h))}`);
    present++;
  }
  if (present !== mm.anonRss) fail(`${mm.comm}: MM_ANONPAGES ${mm.anonRss} but ${present} pages mapped`);
  if (swapents !== mm.swapEnts) fail(`${mm.comm}: MM_SWAPENTS ${mm.swapEnts} but ${swapents} swap PTEs`);
  for (const h of mm.hugePmds) {
    if (!mm.pmdPopulated.has(h)) fail(`${mm.comm}: huge PMD ${hex(h * HPAGE_PMD_NR)} not populated`);
  }
}
