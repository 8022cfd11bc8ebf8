/**
 * A scenario-free program: fill a 1 GiB machine with page cache, then anonymous memory and
 * shmem, then a burst kswapd cannot keep up with, and check what reclaim did through the
 * /proc files. At the default swappiness clean page cache goes first: while inactive file
 * pages remain, reclaim scans no anon (cache_trim_mode) and nothing is swapped. Only once the
 * cache is gone do swap-backed pages go, shmem first (written once, never mapped: nothing keeps
 * it) before mapped anon pages (a young PTE earns another trip round the inactive list).
 */
import { describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import { checkUserInvariants } from '../../src/mm/debug_vm_users.js';
import { createFile, fileRead } from '../../src/mm/file.js';
import { touch } from '../../src/mm/fault.js';
import { Kernel } from '../../src/mm/kernel.js';
import { createMm, mmap } from '../../src/mm/memory.js';
import { renderBuddyinfo, renderVmstat, renderZoneinfo } from '../../src/mm/procfs.js';
import { ShmemInode, shmemWrite } from '../../src/mm/shmem.js';
import { takeSnapshot } from '../../src/mm/show.js';
import { swapon } from '../../src/mm/swapfile.js';

type Stats = Map<string, number>;

function proc(k: Kernel): { vmstat: Stats; zoneinfo: string; buddyinfo: string } {
  const snap = takeSnapshot(k.alloc, { nodeStats: (nid) => k.nodeStats[nid]!.toRecord() });
  const vmstat = new Map(renderVmstat(snap).trim().split('\n').map((l) => {
    const [name, v] = l.split(' ');
    return [name!, Number(v)] as [string, number];
  }));
  return { vmstat, zoneinfo: renderZoneinfo(snap), buddyinfo: renderBuddyinfo(snap) };
}

/** A per-zone counter of /proc/zoneinfo ("  pages free N" or "      nr_x N" under the zone's header). */
function zoneinfoValue(zoneinfo: string, zone: string, name: string): number {
  const section = zoneinfo.split(/^Node /m).find((s) => s.startsWith(`0, zone ${zone.padStart(8)}\n`))!;
  const m = new RegExp(`^\\s+${name}\\s+(\\d+)$`, 'm').exec(section)!;
  return Number(m[1]);
}

describe('filling a 1 GiB machine', () => {
  it('evicts clean page cache first, then swaps shmem before mapped anon, through kswapd and direct reclaim', () => {
    const k = new Kernel(loadMachineSpec('machine:\n  cpus: 2\n  thp: false\n  memory: 1GiB\n', 'm.yaml'));
    swapon(k, 262144, { writeLatencyNs: 200_000 }); // 1 GiB of swap
    const mm = createMm(k, { pid: 1000, comm: 'fill' });
    const file = createFile(k, 'dataset', { sizePages: 1 << 20 });
    const shm = k.owners.register(new ShmemInode('shm'));
    let fileIdx = 0;
    let shmIdx = 0;
    let vpn = mmap(k, mm, 1 << 20);
    const phase = (n: number, fileStep: number, shmStep: number, anonStep: number): void => {
      for (let i = 0; i < n; i++) {
        k.clock.runUntil(k.clock.now + 2_000_000); // 2 ms of virtual time between steps
        if (fileStep) fileRead(k, file, fileIdx, fileStep), (fileIdx += fileStep);
        if (shmStep) shmemWrite(k, shm, shmIdx, shmStep), (shmIdx += shmStep);
        if (anonStep) touch(k, mm, vpn, anonStep, true), (vpn += anonStep);
      }
    };
    const p0 = proc(k).vmstat;

    // 1) Read 1.2 GiB of a file once: kswapd keeps memory free by dropping the oldest cache.
    phase(300, 1024, 0, 0);
    const p1 = proc(k).vmstat;
    const d1 = (name: string): number => p1.get(name)! - p0.get(name)!;
    expect(d1('pgpgin')).toBe(300 * 1024 * 4); // KiB read
    expect(d1('pgsteal_kswapd')).toBeGreaterThan(0);
    expect(d1('pgsteal_file')).toBe(d1('pgsteal_kswapd'));
    expect(d1('allocstall_movable')).toBe(0);
    expect(p1.get('nr_file_pages')! + d1('pgsteal_file')).toBe(300 * 1024); // every page read is cached or was reclaimed

    // 2) Then shmem and anon grow by 1000 MiB while the cache shrinks: with inactive file
    //    pages left, reclaim does not even scan anon, let alone swap.
    phase(250, 0, 256, 768);
    const p2 = proc(k).vmstat;
    const d2 = (name: string): number => p2.get(name)! - p1.get(name)!;
    expect(p2.get('nr_inactive_file')).toBeGreaterThan(0);
    expect(d2('pgsteal_file')).toBeGreaterThan(d1('pgsteal_file'));
    expect(d2('pgscan_anon')).toBe(0);
    expect(d2('pgsteal_anon')).toBe(0);
    expect(d2('pswpout')).toBe(0);
    expect(p2.get('nr_shmem')).toBe(250 * 256);
    expect(p2.get('nr_anon_pages')).toBe(250 * 768);

    // 3) A burst of 30000 anon pages while kswapd waits 1 ms to be scheduled: the allocating
    //    task reclaims directly, and what is left to reclaim is swap-backed.
    k.vmscan.kswapdLatencyNs = 1_000_000;
    touch(k, mm, vpn, 30000, true);
    vpn += 30000;
    k.clock.runUntil(k.clock.now + 50_000_000);
    checkInvariants(k.alloc);
    checkUserInvariants(k);
    const { vmstat: p3, zoneinfo, buddyinfo } = proc(k);
    const d3 = (name: string): number => p3.get(name)! - p2.get(name)!;
    expect(d3('allocstall_movable')).toBeGreaterThan(0);
    expect(d3('pgsteal_direct')).toBeGreaterThan(0);
    expect(d3('pswpout')).toBeGreaterThan(0);
    expect(shm.swapped).toBeGreaterThan(0);
    expect(shm.swapped).toBeGreaterThanOrEqual(mm.swapents());
    // Every page written to swap went out once: shmem's and anon's swap entries, no more.
    expect(p3.get('pswpout')).toBe(shm.swapped + mm.swapents());
    expect(d3('pswpin')).toBe(0);
    // Nothing lost: every shmem and anon page is in memory or on swap.
    expect(shm.nrpages + shm.swapped).toBe(shmIdx);
    expect(mm.rssAnon() + mm.swapents()).toBe(250 * 768 + 30000);
    // The vmstat deltas add up: all steals are kswapd's or direct, anon or file; swap writes
    // are within pgpgout; reads are the file's only.
    const d = (name: string): number => p3.get(name)! - p0.get(name)!;
    expect(d('pgsteal_kswapd') + d('pgsteal_direct')).toBe(d('pgsteal_anon') + d('pgsteal_file'));
    expect(d('pgscan_kswapd') + d('pgscan_direct')).toBe(d('pgscan_anon') + d('pgscan_file'));
    expect(d('pgscan_anon')).toBeGreaterThanOrEqual(d('pgsteal_anon'));
    expect(d('pgsteal_file')).toBe(300 * 1024 - p3.get('nr_file_pages')! + p3.get('nr_shmem')! + p3.get('nr_swapcached')!);
    expect(d('pgpgout')).toBe(4 * d('pswpout'));
    expect(d('pgpgin')).toBe(4 * 300 * 1024);
    // /proc/zoneinfo agrees with /proc/vmstat, and /proc/buddyinfo with both.
    let free = 0;
    for (const zone of ['DMA', 'DMA32']) {
      const zoneFree = zoneinfoValue(zoneinfo, zone, 'pages free');
      const counts = buddyinfo.split('\n').find((l) => l.includes(`zone ${zone.padStart(8)}`))!.trim().split(/\s+/).slice(4).map(Number);
      expect(counts).toHaveLength(11);
      expect(counts.reduce((n, c, order) => n + (c << order), 0)).toBe(zoneFree);
      expect(zoneinfoValue(zoneinfo, zone, 'nr_free_pages')).toBe(zoneFree);
      expect(zoneFree).toBeGreaterThan(zoneinfoValue(zoneinfo, zone, 'min') / 2);
      free += zoneFree;
    }
    expect(p3.get('nr_free_pages')).toBe(free);
    for (const item of ['nr_inactive_anon', 'nr_active_anon', 'nr_inactive_file', 'nr_shmem', 'nr_anon_pages', 'nr_swapcached']) {
      expect(zoneinfoValue(zoneinfo, 'DMA', item), item).toBe(p3.get(item)); // the node's stats print under its first zone
    }
    expect(zoneinfoValue(zoneinfo, 'DMA', 'nr_zone_inactive_anon') + zoneinfoValue(zoneinfo, 'DMA32', 'nr_zone_inactive_anon')).toBe(p3.get('nr_inactive_anon'));
  });
});
