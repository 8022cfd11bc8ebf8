/**
 * Byte-exact renderers of the 6.1 mm/vmstat.c files, as pure functions of a MachineSnapshot:
 * /proc/buddyinfo, /proc/pagetypeinfo, /proc/zoneinfo, /proc/vmstat and debugfs
 * extfrag/unusable_index and extfrag/extfrag_index.
 *
 * Conventions for the snapshot's stats records (missing names read as 0):
 *  - zone.stats holds the zone_stat_item counters and the per-zone NUMA events
 *    (numa_hit..numa_other); /proc/vmstat prints their sums over all zones.
 *  - node.stats holds the node_stat_item counters as the kernel keeps them, except that the
 *    slab items are in pages (what node_page_state_pages() returns). The THP items
 *    (THP_PRINTED_NODE_ITEMS) are in base pages and are divided by HPAGE_PMD_NR when printed,
 *    as vmstat_item_print_in_thp() does. nr_kernel_stack is in KiB, as in the kernel.
 *  - m.derived holds nr_dirty_threshold and nr_dirty_background_threshold.
 *  - m.events holds the vm events with their /proc/vmstat values (pgpgin/pgpgout already in
 *    KiB, i.e. after the kernel's sectors/2).
 * Zone and node counters are clamped at 0 like the CONFIG_SMP readers
 * (zone_page_state(), node_page_state_pages(), global_*_page_state()).
 */
import {
  MAX_ORDER,
  MIGRATE_TYPES,
  MIGRATETYPE_NAMES,
  PAGEBLOCK_NR_PAGES,
  PAGEBLOCK_ORDER,
} from './constants.js';
import {
  type ContigPageInfo,
  fillContigPageInfo,
  fragmentationIndex,
  newContigPageInfo,
  unusableFreeIndex,
} from './extfrag.js';
import type { MachineSnapshot, NodeSnapshot, ZoneSnapshot } from './snapshot.js';
import {
  HPAGE_PMD_NR,
  NODE_STAT_ITEMS,
  NUMA_STAT_ITEMS,
  VM_EVENT_ITEMS,
  WRITEBACK_STAT_ITEMS,
  ZONE_STAT_ITEMS,
  vmstatItemPrintInThp,
} from './vmstat_items.js';

/** The list walk in pagetypeinfo_showfree_print() stops at this many entries. */
export const PAGETYPEINFO_FREE_CAP = 100000;

const TWO_64 = 1n << 64n;

/** printf %lu / seq_put_decimal_ull: negative values wrap like a C unsigned long. */
function fmtU(n: number): string {
  const v = Math.trunc(n);
  return v < 0 ? (TWO_64 + BigInt(v)).toString() : String(v);
}

/** printf %d / %ld / %i. */
function fmtD(n: number): string {
  return String(Math.trunc(n));
}

/** printf %<width>d or %0<width>d (zero padding goes after the sign). */
function fmtDW(n: number, width: number, zeroPad = false): string {
  const v = Math.trunc(n);
  if (!zeroPad) return String(v).padStart(width);
  const digits = String(Math.abs(v));
  const sign = v < 0 ? '-' : '';
  return sign + digits.padStart(width - sign.length, '0');
}

/** "%8s" of the zone name. */
function zoneName8(z: ZoneSnapshot): string {
  return z.name.padStart(8);
}

function stat(rec: Record<string, number>, name: string): number {
  return rec[name] ?? 0;
}

/** The CONFIG_SMP readers turn a transiently negative counter into 0. */
function clampPages(x: number): number {
  return x < 0 ? 0 : x;
}

/** node_state(nid, N_MEMORY): the node has present pages in some zone. */
function nodeHasMemory(node: NodeSnapshot): boolean {
  return node.zones.some((z) => z.populated);
}

/** "Node %d, zone %8s " then per order fmt(order), then '\n', for each populated zone. */
function perOrderLines(m: MachineSnapshot, cell: (z: ZoneSnapshot, order: number) => string): string {
  let out = '';
  for (const node of m.nodes) {
    for (const z of node.zones) {
      if (!z.populated) continue;
      out += `Node ${fmtD(node.nid)}, zone ${zoneName8(z)} `;
      for (let order = 0; order < MAX_ORDER; order++) out += cell(z, order);
      out += '\n';
    }
  }
  return out;
}

/** /proc/buddyinfo (frag_show_print). */
export function renderBuddyinfo(m: MachineSnapshot): string {
  return perOrderLines(m, (z, order) => `${fmtU(z.nrFree[order] ?? 0).padStart(6)} `);
}

/** One free-count cell of pagetypeinfo: "%s%6lu " with ">" once the list walk hit the cap. */
function pagetypeFreeCell(count: number): string {
  if (count >= PAGETYPEINFO_FREE_CAP) return `>${String(PAGETYPEINFO_FREE_CAP).padStart(6)} `;
  return `${fmtU(count).padStart(6)} `;
}

/** /proc/pagetypeinfo (pagetypeinfo_show; printed per node with memory, headers included). */
export function renderPagetypeinfo(m: MachineSnapshot): string {
  let out = '';
  for (const node of m.nodes) {
    if (!nodeHasMemory(node)) continue;
    out += `Page block order: ${PAGEBLOCK_ORDER}\n`;
    out += `Pages per block:  ${PAGEBLOCK_NR_PAGES}\n`;
    out += '\n';

    // pagetypeinfo_showfree
    out += `${'Free pages count per migrate type at order'.padEnd(43)} `;
    for (let order = 0; order < MAX_ORDER; order++) out += `${fmtDW(order, 6)} `;
    out += '\n';
    for (const z of node.zones) {
      if (!z.populated) continue;
      for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
        out += `Node ${fmtDW(node.nid, 4)}, zone ${zoneName8(z)}, type ${MIGRATETYPE_NAMES[mt].padStart(12)} `;
        const counts = z.freeByType[mt];
        for (let order = 0; order < MAX_ORDER; order++) out += pagetypeFreeCell(counts?.[order] ?? 0);
        out += '\n';
      }
    }

    // pagetypeinfo_showblockcount
    out += `\n${'Number of blocks type '.padEnd(23)}`;
    for (let mt = 0; mt < MIGRATE_TYPES; mt++) out += `${MIGRATETYPE_NAMES[mt].padStart(12)} `;
    out += '\n';
    for (const z of node.zones) {
      if (!z.populated) continue;
      out += `Node ${fmtD(node.nid)}, zone ${zoneName8(z)} `;
      for (let mt = 0; mt < MIGRATE_TYPES; mt++) out += `${fmtU(z.pageblocksByType[mt] ?? 0).padStart(12)} `;
      out += '\n';
    }
    // pagetypeinfo_showmixedcount: CONFIG_PAGE_OWNER is off, nothing printed.
  }
  return out;
}

/** "\n      %-12s %lu" */
function statLine(name: string, value: number): string {
  return `\n      ${name.padEnd(12)} ${fmtU(value)}`;
}

/** is_zone_first_populated(): the node's lowest-index populated zone. */
function firstPopulatedZone(node: NodeSnapshot): ZoneSnapshot | undefined {
  return node.zones.find((z) => z.populated);
}

function nodeStatPrinted(node: NodeSnapshot, name: string): number {
  let v = clampPages(stat(node.stats, name));
  if (vmstatItemPrintInThp(name)) v = Math.floor(v / HPAGE_PMD_NR);
  return v;
}

/** One zone of /proc/zoneinfo (zoneinfo_show_print). */
function zoneinfoZone(node: NodeSnapshot, z: ZoneSnapshot, first: boolean): string {
  let out = `Node ${fmtD(node.nid)}, zone ${zoneName8(z)}`;
  if (first) {
    out += '\n  per-node stats';
    for (const name of NODE_STAT_ITEMS) out += statLine(name, nodeStatPrinted(node, name));
  }
  out +=
    `\n  pages free     ${fmtU(clampPages(stat(z.stats, 'nr_free_pages')))}` +
    `\n        boost    ${fmtU(z.boost)}` +
    `\n        min      ${fmtU(z.wmarkMin + z.boost)}` +
    `\n        low      ${fmtU(z.wmarkLow + z.boost)}` +
    `\n        high     ${fmtU(z.wmarkHigh + z.boost)}` +
    `\n        spanned  ${fmtU(z.spanned)}` +
    `\n        present  ${fmtU(z.present)}` +
    `\n        managed  ${fmtU(z.managed)}` +
    `\n        cma      ${fmtU(z.cma)}`;
  out += `\n        protection: (${z.lowmemReserve.map(fmtD).join(', ')})`;
  if (!z.populated) return out + '\n';

  for (const name of ZONE_STAT_ITEMS) out += statLine(name, clampPages(stat(z.stats, name)));
  for (const name of NUMA_STAT_ITEMS) out += statLine(name, stat(z.stats, name));

  out += '\n  pagesets';
  for (const p of z.pagesets) {
    out +=
      `\n    cpu: ${fmtD(p.cpu)}` +
      `\n              count: ${fmtD(p.count)}` +
      `\n              high:  ${fmtD(p.high)}` +
      `\n              batch: ${fmtD(p.batch)}` +
      `\n  vm stats threshold: ${fmtD(z.statThreshold)}`;
  }
  out +=
    `\n  node_unreclaimable:  ${z.nodeUnreclaimable ? 1 : 0}` + `\n  start_pfn:           ${fmtU(z.startPfn)}` + '\n';
  return out;
}

/** /proc/zoneinfo: every zone of every node, populated or not. */
export function renderZoneinfo(m: MachineSnapshot): string {
  let out = '';
  for (const node of m.nodes) {
    const first = firstPopulatedZone(node);
    for (const z of node.zones) out += zoneinfoZone(node, z, z === first);
  }
  return out;
}

/** /proc/vmstat (vmstat_start + vmstat_show), ending with the deprecated `nr_unstable 0`. */
export function renderVmstat(m: MachineSnapshot): string {
  let out = '';
  const line = (name: string, v: number): void => {
    out += `${name} ${fmtU(v)}\n`;
  };
  for (const name of ZONE_STAT_ITEMS) {
    let sum = 0;
    for (const node of m.nodes) for (const z of node.zones) sum += stat(z.stats, name);
    line(name, clampPages(sum));
  }
  for (const name of NUMA_STAT_ITEMS) {
    let sum = 0;
    for (const node of m.nodes) for (const z of node.zones) sum += stat(z.stats, name);
    line(name, sum);
  }
  for (const name of NODE_STAT_ITEMS) {
    let sum = 0;
    for (const node of m.nodes) sum += stat(node.stats, name);
    sum = clampPages(sum);
    if (vmstatItemPrintInThp(name)) sum = Math.floor(sum / HPAGE_PMD_NR);
    line(name, sum);
  }
  for (const name of WRITEBACK_STAT_ITEMS) line(name, stat(m.derived, name));
  for (const name of VM_EVENT_ITEMS) line(name, stat(m.events, name));
  out += 'nr_unstable 0\n';
  return out;
}

/** "%d.%03d " / "%2d.%03d " of index/1000, index%1000 with C truncating division. */
function thousandths(index: number, intWidth: number): string {
  return `${fmtDW(Math.trunc(index / 1000), intWidth)}.${fmtDW(index % 1000, 3, true)} `;
}

/** debugfs extfrag/unusable_index (unusable_show_print). */
export function renderUnusableIndex(m: MachineSnapshot): string {
  const info: ContigPageInfo = newContigPageInfo();
  return perOrderLines(m, (z, order) => {
    fillContigPageInfo(z.nrFree, order, info);
    return thousandths(unusableFreeIndex(order, info), 0);
  });
}

/** debugfs extfrag/extfrag_index (extfrag_show_print). */
export function renderExtfragIndex(m: MachineSnapshot): string {
  const info: ContigPageInfo = newContigPageInfo();
  return perOrderLines(m, (z, order) => {
    fillContigPageInfo(z.nrFree, order, info);
    return thousandths(fragmentationIndex(order, info), 2);
  });
}
