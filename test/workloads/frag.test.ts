/** `frag` (Nitin Gupta's recipe) and `compact-memory`. */
import { describe, expect, it } from 'vitest';
import type { Kernel } from '../../src/mm/kernel.js';
import { VmEvent } from '../../src/mm/vmstat.js';
import { blocksObtainable, buddyFreePages, extfragPercent, freeInBlocksOf } from '../../src/workloads/common.js';
import { SEC, check, ev, machine, runWorkloads } from './helpers.js';

/** Without per-cpu lists: compact_memory leaves nothing stranded on them (see the pcp test below). */
const M512_NOPCP = machine('512MiB', '  pcp: false\n');
const noProactive = (k: Kernel): void => {
  k.compaction.proactiveness = 0;
};

describe('frag workload', () => {
  it('leaves no free order-9 block in the memory it filled: fragmentation w.r.t order 9 near 100%', () => {
    for (const memory of ['anon', 'file']) {
      const r = runWorkloads(M512_NOPCP, [{ kind: 'frag', name: 'frag', memory, fill: 0.95 }], 1 * SEC, { setup: noProactive });
      const c = r.counters;
      check(r.k);
      expect(r.late).toEqual([]);
      expect(c['frag.kept_pages']).toBe(Math.floor(c['frag.filled_pages']! / 4));
      // Free memory is the 3/4 freed of every 2 MiB (order-0 and order-1 holes) plus the 5%
      // left unfilled: at most that 5% is in order-9 blocks.
      expect(c['frag.extfrag_before']).toBeGreaterThanOrEqual(90);
      expect(c['frag.hugepages_before']! * 512).toBeLessThanOrEqual(0.06 * 131072);
      // Nothing ran to undo it (kcompactd's proactive timer was off: proactiveness 0).
      expect(c['frag.hugepages_after']).toBe(c['frag.hugepages_before']);
    }
  }, 30_000);

  it('compact_memory turns at least 95% of free memory into order-9 blocks when everything is movable', () => {
    for (const memory of ['anon', 'file']) {
      const r = runWorkloads(M512_NOPCP, [{ kind: 'frag', name: 'frag', memory, fill: 0.95, compact_at: '1s' }], 2 * SEC, { setup: noProactive });
      const c = r.counters;
      check(r.k);
      expect(c['frag.extfrag_after']).toBeLessThanOrEqual(5);
      expect(freeInBlocksOf(r.k)).toBeGreaterThanOrEqual(0.95 * buddyFreePages(r.k));
      expect(c['frag.hugepages_after']).toBeGreaterThan(c['frag.hugepages_before']! * 10);
      // The kept pages below where the scanners met were moved; those above stayed.
      expect(ev(r, VmEvent.PGMIGRATE_SUCCESS)).toBeGreaterThan(0.5 * c['frag.kept_pages']!);
      expect(ev(r, VmEvent.PGMIGRATE_SUCCESS)).toBeLessThan(c['frag.kept_pages']!);
    }
  }, 30_000);

  it('on a machine with per-cpu lists, freed migration sources stay stranded there after compact_memory', () => {
    // 6.1's compact_nodes() does not drain_all_pages() (kcompactd does, direct compaction's
    // capture path does not need to): the migration sources freed onto pcp lists, up to
    // pcp->high (about half the low watermark per CPU), keep their free neighbours from
    // merging until the lists are drained.
    const r = runWorkloads(machine('1GiB'), [{ kind: 'frag', name: 'frag', fill: 0.95, compact_at: '1s' }], 1 * SEC, { setup: noProactive });
    check(r.k);
    let onPcp = 0;
    for (const z of r.k.alloc.zoneById) if (z) for (const n of z.pcpCount) onPcp += n;
    expect(onPcp).toBeGreaterThan(1000);
    expect(r.counters['frag.extfrag_after']).toBeGreaterThan(5);
    r.k.alloc.drainAllPages();
    expect(extfragPercent(r.k)).toBeLessThanOrEqual(5);
    expect(blocksObtainable(r.k)).toBeGreaterThan(r.counters['frag.hugepages_after']!);
  });

  it('a perfectly regular pattern (layout: regular) hides its holes from a free scanner whose stride has grown', () => {
    // kcompactd's proactive pass at 0.5 s fills the top of the zone; compact_memory's free
    // scanner then crosses full blocks, its stride doubles to 32, and from there on it samples
    // only pfns = 0 mod 32 — all kept pages with a regular 1-in-4 pattern.
    const run = (layout: string) => runWorkloads(M512_NOPCP, [{ kind: 'frag', name: 'frag', fill: 0.95, layout, compact_at: '1s' }], 1 * SEC);
    const regular = run('regular');
    const shuffled = run('shuffled');
    check(regular.k);
    expect(regular.counters['frag.extfrag_after']).toBeGreaterThan(50);
    expect(shuffled.counters['frag.extfrag_after']).toBeLessThanOrEqual(5);
  });

  it('proactive compaction (vm.compaction_proactiveness) undoes it in the background; 0 leaves it', () => {
    // Fill 0.95 puts the node's fragmentation score (94) above the high mark for
    // proactiveness 20 (min(100 - 20, 5) + 10 = 90); kcompactd's 500 ms timer compacts until
    // the score is below the low mark (80), so part of the fragmentation stays.
    const run = (proactiveness: number) => runWorkloads(M512_NOPCP, [{ kind: 'frag', name: 'frag', fill: 0.95 }], 3 * SEC, {
      setup: (k) => { k.compaction.proactiveness = proactiveness; },
    });
    const on = run(20);
    const off = run(0);
    check(on.k);
    check(off.k);
    expect(off.counters['frag.hugepages_after']).toBe(off.counters['frag.hugepages_before']);
    expect(ev(off, VmEvent.PGMIGRATE_SUCCESS)).toBe(0);
    expect(on.counters['frag.hugepages_after']).toBeGreaterThan(on.counters['frag.hugepages_before']! * 3);
    expect(ev(on, VmEvent.PGMIGRATE_SUCCESS)).toBeGreaterThan(0);
    expect(on.counters['frag.extfrag_after']).toBeGreaterThan(5);
    expect(on.counters['frag.extfrag_after']).toBeLessThan(80);
  }, 30_000);

  it('the hog: direct compaction makes some hugepages on fragmented memory, a compacted machine gives all its free 2 MiB', () => {
    const run = (compact: boolean) => runWorkloads(M512_NOPCP, [
      { kind: 'frag', name: 'frag', fill: 0.9, hog_at: '2s', ...(compact ? { compact_at: '1s' } : {}) },
    ], 3 * SEC, { setup: noProactive });
    const cold = run(false);
    const warm = run(true);
    check(cold.k);
    check(warm.k);
    const wc = warm.counters;
    const cc = cold.counters;
    // Compacted beforehand: every free order-9 block but those the watermarks keep.
    expect(wc['frag.hugepages_allocated']).toBeGreaterThanOrEqual(wc['frag.hugepages_free_at_hog']! - 2);
    expect(wc['frag.hog_compact_stall']).toBe(0);
    // Not compacted: each allocation compacts directly until one fails. Order-9 requests
    // escalate only to COMPACT_PRIO_SYNC_LIGHT (MIN_COMPACT_COSTLY_PRIORITY), which honours the
    // pageblock skip bits the earlier passes left, so the scanners meet, compaction is
    // deferred and the hog stops with fragmented memory left behind.
    expect(cc['frag.hugepages_allocated']).toBeGreaterThan(cc['frag.hugepages_free_at_hog']!);
    expect(cc['frag.hugepages_allocated']).toBeLessThan(wc['frag.hugepages_allocated']!);
    expect(cc['frag.hog_compact_stall']).toBeGreaterThan(0);
    expect(cc['frag.hog_pgmigrate_success']).toBeGreaterThan(0);
  }, 30_000);
});

describe('compact-memory workload', () => {
  it('compacts at the given times; its counters are the vmstat deltas', () => {
    const r = runWorkloads(M512_NOPCP, [
      { kind: 'frag', name: 'frag', fill: 0.9 },
      { kind: 'compact-memory', name: 'cm', at: ['1s', '2s'] },
    ], 2 * SEC, { setup: noProactive });
    const c = r.counters;
    check(r.k);
    expect(r.late).toEqual([]);
    expect(c['cm.runs']).toBe(2);
    expect(c['cm.pgmigrate_success']).toBe(ev(r, VmEvent.PGMIGRATE_SUCCESS));
    expect(c['cm.compact_isolated']).toBe(ev(r, VmEvent.COMPACT_ISOLATED));
    // The second run finds nothing left to do.
    expect(c['cm.hugepages_before']).toBe(c['cm.hugepages_after']);
    expect(c['cm.extfrag_after']).toBeLessThanOrEqual(5);
    expect(c['cm.hugepages_after']).toBeGreaterThan(c['frag.hugepages_before']! * 5);
  });

  it('runs periodically with every, never past the end', () => {
    const r = runWorkloads(machine('128MiB'), [{ kind: 'compact-memory', name: 'cm', every: '300ms' }], 1 * SEC);
    expect(r.counters['cm.runs']).toBe(3);
    expect(r.late).toEqual([]);
  });
});
