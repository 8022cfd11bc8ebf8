/**
 * A scenario-free program: fill a 1 GiB machine with page cache, anonymous memory and shmem
 * until kswapd and direct reclaim both run, then check what reclaim did through the vmstat
 * deltas and the /proc files: clean page cache goes first at the default swappiness, shmem and
 * anon go to swap only once the cache is thin, and nothing is lost.
 */
import { describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import { checkUserInvariants } from '../../src/mm/debug_vm_users.js';
import { createFile, fileRead } from '../../src/mm/file.js';
import { touch } from '../../src/mm/fault.js';
import { Kernel } from '../../src/mm/kernel.js';
import { createMm, mmap } from '../../src/mm/memory.js';
import { renderVmstat, renderZoneinfo } from '../../src/mm/procfs.js';
import { ShmemInode, shmemWrite } from '../../src/mm/shmem.js';
import { takeSnapshot } from '../../src/mm/show.js';
import { swapon } from '../../src/mm/swapfile.js';
import { NODE_STAT_NAMES } from '../../src/mm/vmstat.js';

function vmstat(k: Kernel): Map<string, number> {
  const text = renderVmstat(takeSnapshot(k.alloc, { nodeStats: (nid) => k.nodeStats[nid]!.toRecord() }));
  return new Map(text.trim().split('\n').map((l) => {
    const [name, v] = l.split(' ');
    return [name!, Number(v)];
  }));
}

describe('filling a 1 GiB machine', () => {
  it('reclaims clean page cache first, then swaps shmem and anon, with kswapd and direct reclaim', () => {
    const k = new Kernel(loadMachineSpec('machine:\n  cpus: 2\n  thp: false\n  memory: 1GiB\n', 'm.yaml'));
    swapon(k, 262144, { writeLatencyNs: 200_000 }); // 1 GiB of swap
    const proc = createMm(k, { pid: 1000, comm: 'fill' });
    const file = createFile(k, 'dataset', { sizePages: 1 << 20 });
    const shm = k.owners.register(new ShmemInode('shm'));
    const before = vmstat(k);
    const at = (step: number): number => step * 2_000_000; // 2 ms of virtual time between steps
    let fileIdx = 0;
    let shmIdx = 0;
    let vpn = mmap(k, proc, 1 << 20);
    const phase = (n: number, fileStep: number, shmStep: number, anonStep: number): void => {
      for (let i = 0; i < n; i++) {
        k.clock.runUntil(k.clock.now + at(1));
        if (fileStep) fileRead(k, file, fileIdx, fileStep), (fileIdx += fileStep);
        if (shmStep) shmemWrite(k, shm, shmIdx, shmStep), (shmIdx += shmStep);
        if (anonStep) touch(k, proc, vpn, anonStep, true), (vpn += anonStep);
      }
    };
    // 1) Read a large file: the cache fills memory, kswapd keeps free memory above the watermarks.
    phase(300, 1024, 0, 0);
    const afterCache = vmstat(k);
    // 2) Then anon and shmem grow: the cache is pushed out before anything is swapped.
    phase(250, 0, 256, 768);
    // 3) A burst faster than kswapd can run: the allocating task reclaims directly.
    touch(k, proc, vpn, 30000, true);
    vpn += 30000;
    k.clock.runUntil(k.clock.now + 50_000_000);
    const after = vmstat(k);
    checkInvariants(k.alloc);
    checkUserInvariants(k);

    const d = (name: string, from = before): number => after.get(name)! - from.get(name)!;
    expect(d('pgsteal_kswapd')).toBeGreaterThan(0);
    expect(d('pageoutrun')).toBeGreaterThan(0);
    expect(d('allocstall_dma32') + d('allocstall_normal') + d('allocstall_movable')).toBeGreaterThan(0);
    expect(d('pgsteal_direct')).toBeGreaterThan(0);
    // While only the file was read, nothing was swapped: clean cache goes first.
    expect(afterCache.get('pswpout')! - before.get('pswpout')!).toBe(0);
    expect(afterCache.get('pgsteal_file')! - before.get('pgsteal_file')!).toBeGreaterThan(0);
    // Reclaim took far more file than anon pages at swappiness 60 ...
    expect(d('pgsteal_file')).toBeGreaterThan(d('pgsteal_anon'));
    // ... but once the cache was thin, shmem and anon went to swap.
    expect(d('pswpout')).toBeGreaterThan(0);
    expect(shm.swapped).toBeGreaterThan(0);
    expect(proc.swapents()).toBeGreaterThan(0);
    // Nothing lost: every shmem and anon page is in memory or on swap.
    expect(shm.nrpages + shm.swapped).toBe(shmIdx);
    expect(proc.rssAnon() + proc.swapents()).toBe(250 * 768 + 30000);
    // The /proc files agree with the counters.
    const zoneinfo = renderZoneinfo(takeSnapshot(k.alloc, { nodeStats: (nid) => k.nodeStats[nid]!.toRecord() }));
    expect(zoneinfo).toContain(`\n      nr_shmem     ${k.nodeStat(0, NODE_STAT_NAMES.indexOf('nr_shmem'))}\n`);
    expect(after.get('nr_free_pages')).toBe(k.nodes[0]!.zones.reduce((n, z) => n + z.freePages, 0));
  });
});
