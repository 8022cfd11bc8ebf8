/** `stress-highalloc`: passes of order-9 attempts under a background load and at rest. */
import { describe, expect, it } from 'vitest';
import { NodeStat, VmEvent } from '../../src/mm/vmstat.js';
import { managedPages } from '../../src/workloads/common.js';
import { SEC, check, ev, machine, nodeStat, runWorkloads } from './helpers.js';

const M256 = machine('256MiB', '  thp: false\n');
const QUICK = { kind: 'stress-highalloc', name: 'sh', percent: 50, mb_per_sec: 256, settle: '1s', pause: '500ms', rest_delay: '1s' };
// 256 MiB: 65,023 managed pages, so 63 attempts of 2 MiB a pass; 2 MiB at 256 MB/s: 7 ms apart.
const END = 6 * SEC;

describe('stress-highalloc workload', () => {
  it('reports each pass as mmtests does: attempts, successes, failures, % success, zones', () => {
    const r = runWorkloads(M256, [QUICK], END);
    const c = r.counters;
    check(r.k);
    expect(r.late).toEqual([]);
    const count = c['sh.attempts_per_pass']!;
    expect(c['sh.delay_ms']).toBe(7);
    expect(count).toBeGreaterThan(50);
    let stalls = 0;
    for (const p of [1, 2, 3]) {
      const n = (m: string): number => c[`sh.pass${p}.${m}`]!;
      expect(n('attempts')).toBe(count);
      expect(n('success') + n('fail')).toBe(count);
      expect(n('success_pct')).toBe(Math.floor((n('success') * 100) / count));
      expect(n('dma_allocs') + n('dma32_allocs') + n('normal_allocs') + n('movable_allocs')).toBe(n('success'));
      expect(n('success')).toBeGreaterThan(0);
      stalls += n('compact_stall');
    }
    expect(stalls).toBeLessThanOrEqual(ev(r, VmEvent.COMPACT_STALL));
    // The background load ran, was killed before the rested pass, and left its cache behind.
    expect(c['sh.fill_cache_pages']).toBeGreaterThan(0);
    expect(c['sh.anon.spawns']).toBeGreaterThanOrEqual(4);
    expect(c['sh.anon.processes']).toBe(0);
    expect(c['sh.file.reads']).toBeGreaterThan(0);
    expect(c['sh.slab.allocs']).toBeGreaterThan(0);
    expect(nodeStat(r.k, NodeStat.NR_ANON_PAGES)).toBe(0);
    expect(nodeStat(r.k, NodeStat.NR_FILE_PAGES)).toBeGreaterThan(0);
    // Memory was under pressure: reclaim and compaction both worked for the allocations.
    expect(ev(r, VmEvent.PGSTEAL_KSWAPD) + ev(r, VmEvent.PGSTEAL_DIRECT)).toBeGreaterThan(0);
    expect(ev(r, VmEvent.PGMIGRATE_SUCCESS)).toBeGreaterThan(0);
  });

  it('succeeds more at rest than under load', () => {
    const r = runWorkloads(M256, [QUICK], END);
    const c = r.counters;
    expect(c['sh.pass3.success']).toBeGreaterThan(Math.min(c['sh.pass1.success']!, c['sh.pass2.success']!));
  });

  it('holds what it got until the end of a pass and frees it before the next', () => {
    const r = runWorkloads(M256, [{ ...QUICK, passes_under_load: 1, rested: false, load_mb_per_sec: 0, anon_fraction: 0, slab_fraction: 0 }], END);
    check(r.k);
    expect(r.counters['sh.pass1.attempts']).toBe(r.counters['sh.attempts_per_pass']);
    expect(r.counters['sh.pass2.attempts']).toBeUndefined();
    // Every order-9 block went back: what is not free (buddy or pcp) is the fill's page cache
    // that the allocations' reclaim left.
    let free = 0;
    for (const z of r.k.alloc.zoneById) if (z) free += z.freePages + z.pcpCount.reduce((a, b) => a + b, 0);
    const cache = nodeStat(r.k, NodeStat.NR_FILE_PAGES);
    expect(cache).toBeLessThan(r.counters['sh.fill_cache_pages']!);
    expect(free + cache).toBe(managedPages(r.k));
  });

  it('is deterministic', () => {
    const a = runWorkloads(M256, [QUICK], 3 * SEC, { seed: 11 });
    const b = runWorkloads(M256, [QUICK], 3 * SEC, { seed: 11 });
    expect(a.counters).toEqual(b.counters);
    expect(a.k.alloc.events.toRecord()).toEqual(b.k.alloc.events.toRecord());
  });
});
