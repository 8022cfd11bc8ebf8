/** `file`: page-cache readers and writers, the flusher, access patterns and drop_caches. */
import { describe, expect, it } from 'vitest';
import { KB_PER_PAGE } from '../../src/mm/page_io.js';
import { NodeStat, VmEvent } from '../../src/mm/vmstat.js';
import { SEC, check, ev, machine, nodeStat, runWorkloads } from './helpers.js';

const M128 = machine('128MiB', '  thp: false\n');

describe('file workload', () => {
  it('reads and writes through the page cache; counters agree with pgpgin, pgpgout and NR_FILE_PAGES', () => {
    const r = runWorkloads(M128, [
      { kind: 'file', name: 'db', size: '32MiB', rate: 200, io_size: '64KiB', write_fraction: 0.3, pattern: 'random', writeback_every: '1s' },
    ], 3 * SEC);
    const c = r.counters;
    check(r.k);
    expect(r.late).toEqual([]);
    expect(c['db.reads']! + c['db.writes']!).toBe(600);
    expect(c['db.writes']).toBeGreaterThan(100);
    expect(c['db.pages_written']).toBe(c['db.writes']! * 16);
    expect(c['db.pages_read']! + c['db.pages_cached']!).toBe(c['db.reads']! * 16);
    expect(c['db.pages_read']! * KB_PER_PAGE).toBe(ev(r, VmEvent.PGPGIN));
    // No memory pressure: only the flusher writes, and everything it submitted was written.
    expect(c['db.writeback_pages']).toBeGreaterThan(0);
    expect(c['db.writeback_pages']! * KB_PER_PAGE).toBe(ev(r, VmEvent.PGPGOUT));
    expect(c['db.cache_pages']).toBe(nodeStat(r.k, NodeStat.NR_FILE_PAGES));
    expect(c['db.cache_pages']).toBeLessThanOrEqual(32 * 256);
  });

  it('a sequential reader of a file larger than memory keeps missing and drives reclaim', () => {
    const r = runWorkloads(M128, [
      { kind: 'file', name: 'scan', size: '192MiB', rate: 400, io_size: '1MiB' },
    ], 2 * SEC);
    const c = r.counters;
    check(r.k);
    expect(c['scan.reads']).toBe(800); // 800 MiB: more than four passes over the file
    expect(c['scan.pages_cached']).toBe(0); // each chunk is evicted before the cursor comes back
    expect(c['scan.pages_read']).toBe(800 * 256);
    expect(ev(r, VmEvent.PGSTEAL_KSWAPD) + ev(r, VmEvent.PGSTEAL_DIRECT)).toBeGreaterThan(0);
  });

  it('zipf offsets hit the cache more often than uniform ones', () => {
    const hitRatio = (pattern: string): number => {
      const r = runWorkloads(M128, [
        { kind: 'file', name: 'f', size: '256MiB', rate: 1000, io_size: '64KiB', pattern, zipf_s: 1.1 },
      ], 2 * SEC);
      check(r.k);
      return r.counters['f.pages_cached']! / (r.counters['f.reads']! * 16);
    };
    const zipf = hitRatio('zipf');
    const random = hitRatio('random');
    expect(zipf).toBeGreaterThan(0.5);
    expect(random).toBeLessThan(0.3);
  });

  it('drop_caches empties the clean cache; the counters say how much it dropped', () => {
    const r = runWorkloads(M128, [
      { kind: 'file', name: 'f', size: '16MiB', rate: 100, stop: '1s', drop_caches_at: ['1500ms'] },
    ], 2 * SEC);
    const c = r.counters;
    check(r.k);
    expect(c['f.pages_read']).toBe(16 * 256); // one pass over the file, then hits
    expect(c['f.drop_caches']).toBe(1);
    expect(c['f.dropped_pages']).toBe(16 * 256);
    expect(c['f.cache_pages']).toBe(0);
    expect(nodeStat(r.k, NodeStat.NR_FILE_PAGES)).toBe(0);
  });

  it('is deterministic', () => {
    const e = [{ kind: 'file', size: '64MiB', rate: 300, write_fraction: 0.5, pattern: 'zipf', files: 3 }];
    const a = runWorkloads(M128, e, 2 * SEC, { seed: 9 });
    const b = runWorkloads(M128, e, 2 * SEC, { seed: 9 });
    expect(a.counters).toEqual(b.counters);
    expect(a.k.alloc.events.toRecord()).toEqual(b.k.alloc.events.toRecord());
  });
});
