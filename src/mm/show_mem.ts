/**
 * __show_free_areas() (mm/page_alloc.c, 6.1): the memory summary printed in OOM reports and
 * allocation-failure warnings. Its per-zone "Normal: 12*4kB (UME) 3*8kB (M) ..." line is how a
 * fragmentation OOM is recognised: plenty free, nothing at the failing order.
 */
import { MAX_NR_ZONES, MAX_ORDER, MIGRATETYPE_LETTERS, MIGRATE_TYPES, PAGE_SIZE } from './constants.js';
import type { Kernel } from './kernel.js';
import { NodeStat, ZoneStat } from './vmstat.js';
import { WMARK_HIGH, WMARK_LOW, WMARK_MIN, type Zone } from './zone.js';

const K = (pages: number): number => pages * (PAGE_SIZE / 1024);

function sumNodes(k: Kernel, item: NodeStat): number {
  let s = 0;
  for (const n of k.nodes) s += k.nodeStat(n.nid, item);
  return s;
}

function freePcp(k: Kernel, z: Zone): number {
  let n = 0;
  for (let cpu = 0; cpu < k.alloc.nrCpus; cpu++) n += z.pcpCount[cpu]!;
  return n;
}

/** The free-area line of one zone: "Node 0 Normal: 3*4kB (UM) 0*8kB ... = 12kB". */
export function freeAreaLine(k: Kernel, z: Zone): string {
  let out = `Node ${z.nid} ${z.name}: `;
  let total = 0;
  for (let order = 0; order < MAX_ORDER; order++) {
    const nr = z.nrFree[order]!;
    total += nr << order;
    out += `${nr}*${K(1) << order}kB `;
    if (nr) {
      let types = '';
      for (let mt = 0; mt < MIGRATE_TYPES; mt++) if (!k.mem.listEmpty(z.freeListHead(order, mt))) types += MIGRATETYPE_LETTERS[mt];
      out += `(${types}) `;
    }
  }
  return `${out}= ${K(total)}kB\n`;
}

export function showFreeAreas(k: Kernel, maxZoneIdx = MAX_NR_ZONES - 1): string {
  const zones = k.nodes.flatMap((n) => n.zones).filter((z) => z.populated && z.type <= maxZoneIdx);
  let totalPcp = 0;
  let totalFree = 0;
  for (const z of zones) {
    totalPcp += freePcp(k, z);
    totalFree += z.vmStat[ZoneStat.NR_FREE_PAGES]!;
  }
  const g = (item: NodeStat): number => sumNodes(k, item);
  let out =
    `active_anon:${g(NodeStat.NR_ACTIVE_ANON)} inactive_anon:${g(NodeStat.NR_INACTIVE_ANON)} isolated_anon:${g(NodeStat.NR_ISOLATED_ANON)}\n` +
    ` active_file:${g(NodeStat.NR_ACTIVE_FILE)} inactive_file:${g(NodeStat.NR_INACTIVE_FILE)} isolated_file:${g(NodeStat.NR_ISOLATED_FILE)}\n` +
    ` unevictable:${g(NodeStat.NR_UNEVICTABLE)} dirty:${g(NodeStat.NR_DIRTY)} writeback:${g(NodeStat.NR_WRITEBACK)}\n` +
    ` slab_reclaimable:${g(NodeStat.NR_SLAB_RECLAIMABLE)} slab_unreclaimable:${g(NodeStat.NR_SLAB_UNRECLAIMABLE)}\n` +
    ` mapped:${g(NodeStat.NR_MAPPED)} shmem:${g(NodeStat.NR_SHMEM)} pagetables:0\n` +
    ` sec_pagetables:0 bounce:0\n` +
    ` kernel_misc_reclaimable:0\n` +
    ` free:${totalFree} free_pcp:${totalPcp} free_cma:0\n`;
  for (const node of k.nodes) {
    const n = (item: NodeStat): number => K(k.nodeStat(node.nid, item));
    out +=
      `Node ${node.nid} active_anon:${n(NodeStat.NR_ACTIVE_ANON)}kB inactive_anon:${n(NodeStat.NR_INACTIVE_ANON)}kB` +
      ` active_file:${n(NodeStat.NR_ACTIVE_FILE)}kB inactive_file:${n(NodeStat.NR_INACTIVE_FILE)}kB` +
      ` unevictable:${n(NodeStat.NR_UNEVICTABLE)}kB isolated(anon):${n(NodeStat.NR_ISOLATED_ANON)}kB` +
      ` isolated(file):${n(NodeStat.NR_ISOLATED_FILE)}kB mapped:${n(NodeStat.NR_MAPPED)}kB dirty:${n(NodeStat.NR_DIRTY)}kB` +
      ` writeback:${n(NodeStat.NR_WRITEBACK)}kB shmem:${n(NodeStat.NR_SHMEM)}kB shmem_thp: 0kB shmem_pmdmapped: 0kB` +
      ` anon_thp: ${n(NodeStat.NR_ANON_TRANSPARENT_HUGEPAGES)}kB writeback_tmp:0kB kernel_stack:${k.nodeStat(node.nid, NodeStat.NR_KERNEL_STACK)}kB` +
      ` pagetables:0kB sec_pagetables:0kB all_unreclaimable? ${k.kswapdFailures(node.nid) >= 16 ? 'yes' : 'no'}\n`;
  }
  for (const z of zones) {
    const zs = (item: ZoneStat): number => K(z.vmStat[item]!);
    out +=
      `Node ${z.nid} ${z.name} free:${zs(ZoneStat.NR_FREE_PAGES)}kB boost:${K(z.watermarkBoost)}kB min:${K(z.wmarkPages(WMARK_MIN))}kB` +
      ` low:${K(z.wmarkPages(WMARK_LOW))}kB high:${K(z.wmarkPages(WMARK_HIGH))}kB reserved_highatomic:${K(z.nrReservedHighatomic)}KB` +
      ` active_anon:${zs(ZoneStat.NR_ZONE_ACTIVE_ANON)}kB inactive_anon:${zs(ZoneStat.NR_ZONE_INACTIVE_ANON)}kB` +
      ` active_file:${zs(ZoneStat.NR_ZONE_ACTIVE_FILE)}kB inactive_file:${zs(ZoneStat.NR_ZONE_INACTIVE_FILE)}kB` +
      ` unevictable:${zs(ZoneStat.NR_ZONE_UNEVICTABLE)}kB writepending:${zs(ZoneStat.NR_ZONE_WRITE_PENDING)}kB` +
      ` present:${K(z.present)}kB managed:${K(z.managed)}kB mlocked:${zs(ZoneStat.NR_MLOCK)}kB bounce:0kB` +
      ` free_pcp:${K(freePcp(k, z))}kB local_pcp:${K(z.pcpCount[k.alloc.cpu]!)}kB free_cma:0kB\n` +
      `lowmem_reserve[]:${Array.from(z.lowmemReserve, (r) => ` ${r}`).join('')}\n`;
  }
  for (const z of zones) out += freeAreaLine(k, z);
  // hugetlb_show_meminfo_node(): one line per hstate (1 GiB and 2 MiB on x86-64; no pool here).
  for (const node of k.nodes) {
    for (const size of [1048576, 2048]) {
      out += `Node ${node.nid} hugepages_total=0 hugepages_free=0 hugepages_surp=0 hugepages_size=${size}kB\n`;
    }
  }
  out += `${sumNodes(k, NodeStat.NR_FILE_PAGES)} total pagecache pages\n`;
  // show_swap_cache_info()
  const totalSwap = k.swap?.totalPages() ?? 0;
  out += `${sumNodes(k, NodeStat.NR_SWAPCACHED)} pages in swap cache\n`;
  out += `Free swap  = ${K(k.swap?.freePages() ?? 0)}kB\nTotal swap = ${K(totalSwap)}kB\n`;
  // __show_mem()
  let present = 0;
  let reserved = 0;
  for (const node of k.nodes) {
    for (const z of node.zones) {
      present += z.present;
      reserved += z.present - z.managed;
    }
  }
  out += `${present} pages RAM\n0 pages HighMem/MovableOnly\n${reserved} pages reserved\n0 pages hwpoisoned\n`;
  return out;
}
