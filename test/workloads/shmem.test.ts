/** `shmem`: shmem/memfd objects created and freed, some pinned and unevictable. */
import { describe, expect, it } from 'vitest';
import type { Kernel } from '../../src/mm/kernel.js';
import { swapon } from '../../src/mm/swapfile.js';
import { ShmemInode } from '../../src/mm/shmem.js';
import { NodeStat, VmEvent } from '../../src/mm/vmstat.js';
import { SEC, check, ev, machine, nodeStat, runWorkloads } from './helpers.js';

const M128 = machine('128MiB', '  thp: false\n');

describe('shmem workload', () => {
  it('keeps objects near the total; pinned objects hold an extra reference on unevictable pages', () => {
    const r = runWorkloads(M128, [
      { kind: 'shmem', name: 'gem', total: '32MiB', object_size: { dist: 'uniform', min: '64KiB', max: '2MiB' }, rate: 200, pin_fraction: 0.5 },
    ], 3 * SEC);
    const c = r.counters;
    const k = r.k;
    check(k);
    expect(r.late).toEqual([]);
    expect(c['gem.created']! - c['gem.freed']!).toBe(c['gem.objects']);
    expect(c['gem.freed']).toBeGreaterThan(100); // at the total, every other operation frees
    expect(c['gem.pages']).toBe(nodeStat(k, NodeStat.NR_SHMEM));
    expect(c['gem.pages']! * 4096).toBeGreaterThan(28 * 2 ** 20);
    expect(c['gem.pages']! * 4096).toBeLessThan(36 * 2 ** 20);
    expect(c['gem.pinned_created']).toBeGreaterThan(c['gem.created']! * 0.3);
    // Pinned pages: the cache's reference plus the pin, on the unevictable list; nothing else is.
    expect(nodeStat(k, NodeStat.NR_UNEVICTABLE)).toBe(c['gem.pinned_pages']);
    let pinned = 0;
    for (const o of k.owners.all()) {
      if (!(o instanceof ShmemInode) || !o.unevictable) continue;
      for (const pfn of o.iPages.values()) {
        expect(k.mem.refcount[k.slot(pfn)]).toBe(2);
        pinned++;
      }
    }
    expect(pinned).toBe(c['gem.pinned_pages']);
  });

  it('pinned pages stay put under compaction; unpinned ones move', () => {
    const pinnedAt = (k: Kernel, pinned: boolean): Map<string, number> => {
      const m = new Map<string, number>();
      for (const o of k.owners.all()) {
        if (o instanceof ShmemInode && o.unevictable === pinned) for (const [i, pfn] of o.iPages) m.set(`${o.name}:${i}`, pfn);
      }
      return m;
    };
    let pinnedBefore = new Map<string, number>();
    let unpinnedBefore = new Map<string, number>();
    const r = runWorkloads(M128, [
      { kind: 'shmem', name: 'gem', total: '48MiB', object_size: '256KiB', rate: 1000, pin_fraction: 0.5, stop: '500ms' },
      { kind: 'compact-memory', name: 'compact', at: ['1s'] },
    ], 1 * SEC, {
      probes: [{ at: 900e6, fn: (k) => { pinnedBefore = pinnedAt(k, true); unpinnedBefore = pinnedAt(k, false); } }],
    });
    check(r.k);
    expect(r.counters['compact.pgmigrate_success']).toBeGreaterThan(0);
    expect(r.counters['compact.pgmigrate_success']).toBe(ev(r, VmEvent.PGMIGRATE_SUCCESS));
    expect(pinnedBefore.size).toBeGreaterThan(1000);
    expect(pinnedAt(r.k, true)).toEqual(pinnedBefore);
    const after = pinnedAt(r.k, false);
    let moved = 0;
    for (const [key, pfn] of unpinnedBefore) if (after.get(key) !== pfn) moved++;
    expect(moved).toBe(r.counters['compact.pgmigrate_success']);
  });

  it('goes to swap under pressure, except what is pinned; release_at_stop frees everything', () => {
    const r = runWorkloads(M128, [
      { kind: 'shmem', name: 'tmp', total: '160MiB', object_size: '1MiB', rate: 500, pin_fraction: 0.1, stop: '2s', release_at_stop: false },
    ], 2 * SEC, { setup: (k) => swapon(k, 65536) });
    check(r.k);
    expect(r.counters['tmp.swapped']).toBeGreaterThan(0);
    expect(ev(r, VmEvent.PSWPOUT)).toBeGreaterThan(0);
    expect(r.counters['tmp.pinned_pages']).toBeGreaterThan(0);
    for (const o of r.k.owners.all()) if (o instanceof ShmemInode && o.unevictable) expect(o.swapped).toBe(0);
    const s = runWorkloads(M128, [
      { kind: 'shmem', name: 'tmp', total: '160MiB', object_size: '1MiB', rate: 500, pin_fraction: 0.1, stop: '1500ms', release_at_stop: true },
    ], 2 * SEC, { setup: (k) => swapon(k, 65536) });
    check(s.k);
    expect(s.counters['tmp.objects']).toBe(0);
    expect(nodeStat(s.k, NodeStat.NR_SHMEM)).toBe(0);
    expect(nodeStat(s.k, NodeStat.NR_UNEVICTABLE)).toBe(0);
  });
});
