/** `compaction-test`: the compaction_test selftest, on an aged machine and on a pristine one. */
import { describe, expect, it } from 'vitest';
import { PAGEBLOCK_NR_PAGES } from '../../src/mm/constants.js';
import { NodeStat, VmEvent, ZoneStat } from '../../src/mm/vmstat.js';
import { SEC, check, ev, machine, nodeStat, runWorkloads, zoneStat, type Entry } from './helpers.js';

const M512 = machine('512MiB', '  thp: false\n');

/**
 * A machine that has been up for a while: for its first second a desktop process faults
 * anonymous memory in small chunks while files are read in small random pieces, then the
 * process exits and `echo 1 > drop_caches` runs. Free memory ends up in fragments of many
 * sizes (pages held on per-cpu lists keep buddies from merging, pageblocks have changed hands).
 */
const AGEING: Entry[] = [
  { kind: 'anon', name: 'desktop', processes: 1, rss: '80MiB', chunk: '16KiB', rate: 5000, stop: '1s' },
  { kind: 'file', name: 'usr', size: '512MiB', io_size: '8KiB', rate: 5000, pattern: 'random', stop: '1s', drop_caches_at: ['1s'] },
];

function selftest(allowed: boolean, aged: boolean, extra: Record<string, unknown> = {}, m = M512) {
  return runWorkloads(m, [...(aged ? AGEING : []), { kind: 'compaction-test', name: 'ct', start: '1500ms', ...extra }], 2 * SEC, {
    setup: (k) => { k.vm.compactUnevictableAllowed = allowed; },
  });
}

describe('compaction-test workload', () => {
  it('passes on an aged machine with compact_unevictable_allowed = 1', () => {
    const r = selftest(true, true);
    const c = r.counters;
    check(r.k);
    expect(r.late).toEqual([]);
    expect(c['ct.locked_pages']).toBe(Math.floor(c['ct.mem_free_pages']! * 0.8));
    expect(c['ct.requested']).toBe(Math.floor(c['ct.locked_pages']! / PAGEBLOCK_NR_PAGES / 2));
    expect(c['ct.hugepages']).toBe(c['ct.requested']); // as many as it asked for: half the locked memory
    expect(c['ct.pass']).toBe(1);
    expect(c['ct.selftest_pass']).toBe(1);
    expect(c['ct.compaction_index']).toBe(Math.floor(c['ct.locked_pages']! / (c['ct.hugepages']! * PAGEBLOCK_NR_PAGES)));
    // It took moving mlocked pages.
    expect(ev(r, VmEvent.PGMIGRATE_SUCCESS)).toBeGreaterThan(0);
    expect(ev(r, VmEvent.COMPACT_SUCCESS)).toBeGreaterThan(0);
    // Then nr_hugepages went back to 0 and the test exited: nothing locked, nothing mapped.
    expect(zoneStat(r.k, ZoneStat.NR_MLOCK)).toBe(0);
    expect(nodeStat(r.k, NodeStat.NR_ANON_PAGES)).toBe(0);
  });

  it('fails with compact_unevictable_allowed = 0: the mlocked pages stay where they are', () => {
    const allowed = selftest(true, true, { nr_hugepages: 'max' });
    const r = selftest(false, true, { nr_hugepages: 'max' });
    check(r.k);
    expect(r.counters['ct.pass']).toBe(0);
    expect(r.counters['ct.hugepages']).toBeLessThan(allowed.counters['ct.hugepages']!);
    expect(r.counters['ct.hugepages']! * PAGEBLOCK_NR_PAGES).toBeLessThan(r.counters['ct.locked_pages']! / 3);
    expect(allowed.counters['ct.pass']).toBe(1);
  });

  it('fails on a pristine machine whatever the sysctl says: compaction is hardly tried', () => {
    // Fresh from boot, 1 MiB locked chunks come out of MAX_ORDER blocks in order, so the holes
    // left are exactly order-8 blocks; with every free block of one size the fragmentation
    // index for order 9 is 500 - 1000/N, under extfrag_threshold (500): the kernel decides the
    // failure is for lack of memory, not fragmentation, and does not compact.
    const r = selftest(true, false);
    check(r.k);
    expect(r.counters['ct.pass']).toBe(0);
    // The hugepage allocations stall in compaction at most once or twice; their failures are
    // put down to a lack of memory.
    expect(ev(r, VmEvent.COMPACT_STALL)).toBeLessThanOrEqual(2);
    expect(ev(r, VmEvent.PGMIGRATE_SUCCESS)).toBeLessThanOrEqual(2 * 256);
    expect(r.counters['ct.hugepages']! * PAGEBLOCK_NR_PAGES).toBeLessThan(r.counters['ct.locked_pages']! / 3);
  });

  it("with 6.1's 100 MB chunks the holes are whole pageblocks: it passes even with compact_unevictable_allowed = 0", () => {
    const m = machine('1GiB', '  thp: false\n');
    const r = selftest(false, false, { map_size: '100MB' }, m);
    check(r.k);
    expect(r.counters['ct.pass']).toBe(1);
    expect(ev(r, VmEvent.PGMIGRATE_SUCCESS)).toBe(0);
  });

  it('keep holds the hugepages and the locked memory to the end of the run', () => {
    const r = selftest(true, true, { keep: true });
    check(r.k);
    expect(zoneStat(r.k, ZoneStat.NR_MLOCK)).toBeGreaterThan(0.3 * r.counters['ct.locked_pages']!);
    expect(nodeStat(r.k, NodeStat.NR_ANON_PAGES)).toBe(zoneStat(r.k, ZoneStat.NR_MLOCK));
  });
});
