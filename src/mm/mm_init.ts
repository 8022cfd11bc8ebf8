/**
 * Boot: build the mem_map, nodes and zones from a MachineConfig, mark every pageblock MOVABLE
 * (memmap_init_range), set watermarks and pcp limits, then hand all memory to the buddy
 * allocator as memblock_free_all() does.
 */
import type { MachineConfig } from '../machine/config.js';
import { MAX_NR_ZONES, MAX_ORDER, MIGRATE_TYPES, MigrateType, PAGEBLOCK_NR_PAGES, ZoneType } from './constants.js';
import { MemMap } from './memmap.js';
import { PageAllocator } from './page_alloc.js';
import { PG_hole, PG_reserved } from './page_flags.js';
import { initZoneLimits } from './watermarks.js';
import { NR_LRU_LISTS } from './lru.js';
import { NR_PCP_LISTS, PgData, Zone } from './zone.js';

export interface BootedMachine {
  alloc: PageAllocator;
  /** vm.min_free_kbytes in force after boot. */
  minFreeKbytes: number;
}

export function bootMachine(config: MachineConfig): BootedMachine {
  let firstPfn = Infinity;
  let endPfn = 0;
  for (const node of config.nodes) {
    for (const z of node.zones) {
      firstPfn = Math.min(firstPfn, z.startPfn);
      endPfn = Math.max(endPfn, z.startPfn + z.spanned);
    }
  }
  if (!Number.isFinite(firstPfn)) throw new Error('machine has no memory');
  const nrZones = config.nodes.length * MAX_NR_ZONES;
  const headsPerZone = MAX_ORDER * MIGRATE_TYPES + config.cpus * NR_PCP_LISTS;
  const mem = new MemMap(firstPfn, endPfn, nrZones * headsPerZone + config.nodes.length * NR_LRU_LISTS);

  const nodes: PgData[] = config.nodes.map((nc) => {
    const zones: Zone[] = [];
    for (let type = 0; type < MAX_NR_ZONES; type++) {
      const zc = nc.zones.find((z) => ZONE_TYPE_OF[z.name] === type);
      const z = zc
        ? new Zone(nc.nid, type, zc.startPfn, zc.spanned, zc.present, zc.managed, mem.pfnBase, config.cpus)
        : new Zone(nc.nid, type, 0, 0, 0, 0, mem.pfnBase, config.cpus);
      z.freeHead = mem.allocListHeads(MAX_ORDER * MIGRATE_TYPES);
      z.pcpHead = mem.allocListHeads(config.cpus * NR_PCP_LISTS);
      zones.push(z);
    }
    const node = new PgData(nc.nid, zones);
    node.lruHead = mem.allocListHeads(NR_LRU_LISTS);
    return node;
  });
  // CPUs spread round-robin over the nodes (cpumask_of_node()).
  for (let cpu = 0; cpu < config.cpus; cpu++) nodes[cpu % nodes.length]!.cpus.push(cpu);
  buildZonelists(nodes);

  // Every slot starts as a hole; each zone's span is then initialised (memmap_init_range()).
  mem.flags.fill(PG_hole);
  for (const node of nodes) for (const z of node.zones) if (z.spanned) initZoneMemmap(mem, z);

  const minFreeKbytes = initZoneLimits(nodes, config.sysctl, config.thp, config.cpus);
  const alloc = new PageAllocator(mem, nodes, config.cpus, config.pcp, config.sysctl.watermarkBoostFactor);
  for (const node of nodes) for (const z of node.zones) if (z.managed) freeZoneMemory(alloc, z);
  return { alloc, minFreeKbytes };
}

const ZONE_TYPE_OF: Record<string, ZoneType> = {
  DMA: ZoneType.DMA,
  DMA32: ZoneType.DMA32,
  Normal: ZoneType.NORMAL,
  Movable: ZoneType.MOVABLE,
  Device: ZoneType.DEVICE,
};

/**
 * build_zonelists() in node order: the local node first, then the others by id (all node
 * distances are taken as equal), each node's populated zones from the highest type down.
 */
function buildZonelists(nodes: PgData[]): void {
  for (const node of nodes) {
    const order = [node, ...nodes.filter((n) => n !== node)];
    node.zonelist = [];
    for (const n of order) {
      for (let type = MAX_NR_ZONES - 1; type >= 0; type--) {
        const z = n.zones[type]!;
        if (z.managed > 0) node.zonelist.push(z);
      }
    }
  }
}

/**
 * memmap_init_range(): pages get their zone; pageblock-aligned pfns mark their block MOVABLE
 * (a zone starting mid-block leaves that block UNMOVABLE, as pfn 1 does for ZONE_DMA).
 * Simplification: a zone's hole (spanned - present) is taken at its end, and its reserved
 * pages (present - managed) at its start.
 */
function initZoneMemmap(mem: MemMap, z: Zone): void {
  const presentEnd = z.startSlot + z.present;
  const reservedEnd = z.startSlot + (z.present - z.managed);
  for (let slot = z.startSlot; slot < z.endSlot; slot++) {
    if (slot >= presentEnd) {
      mem.flags[slot] = PG_hole;
      mem.setZoneId(slot, z.id);
      continue;
    }
    mem.flags[slot] = slot < reservedEnd ? PG_reserved : 0;
    mem.refcount[slot] = 1; // __init_single_page(): "allocated" until freed to the buddy
    mem.setZoneId(slot, z.id);
    if ((slot & (PAGEBLOCK_NR_PAGES - 1)) === 0) mem.setPageblockMigratetype(slot, MigrateType.MOVABLE);
  }
}

/**
 * memblock_free_all() -> __free_pages_memory(): ascending pfn, the largest aligned block that
 * fits, each freed with FPI_TO_TAIL so the lowest block is handed out first.
 */
function freeZoneMemory(alloc: PageAllocator, z: Zone): void {
  const mem = alloc.mem;
  let start = z.startSlot + (z.present - z.managed);
  const end = z.startSlot + z.present;
  while (start < end) {
    const pfn = start + mem.pfnBase;
    let order = Math.min(MAX_ORDER - 1, pfn === 0 ? MAX_ORDER - 1 : ctz(pfn));
    while (start + (1 << order) > end) order--;
    for (let i = 0; i < 1 << order; i++) mem.refcount[start + i] = 0;
    alloc.freePagesOk(start, order, true);
    start += 1 << order;
  }
}

function ctz(x: number): number {
  return 31 - Math.clz32(x & -x);
}
