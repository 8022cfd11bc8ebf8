/** The workload registry: every kind's options (strict, defaulted, documented) and all kinds together. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { anonOptions } from '../../src/workloads/anon.js';
import { highallocOptions } from '../../src/workloads/highalloc.js';
import { stressHighallocOptions } from '../../src/workloads/stress_highalloc.js';
import { WORKLOAD_KINDS, findWorkloadKind } from '../../src/workloads/index.js';
import { GFP_ATOMIC, GFP_HIGHUSER_MOVABLE, __GFP_COMP, __GFP_RETRY_MAYFAIL } from '../../src/mm/gfp.js';
import { swapon } from '../../src/mm/swapfile.js';
import { SEC, check, machine, runWorkloads } from './helpers.js';

/** The building blocks this suite covers (other kinds may be registered beside them). */
const KINDS = ['anon', 'file', 'shmem', 'slab', 'highalloc', 'stress-highalloc', 'frag', 'compaction-test', 'compact-memory'];
const OURS = () => WORKLOAD_KINDS.filter((w) => KINDS.includes(w.kind));

describe('workload registry', () => {
  it('has every building block, each with a description', () => {
    expect(WORKLOAD_KINDS.map((w) => w.kind)).toEqual(expect.arrayContaining(['churn', ...KINDS]));
    expect(new Set(WORKLOAD_KINDS.map((w) => w.kind)).size).toBe(WORKLOAD_KINDS.length);
    for (const w of OURS()) expect(w.description.length).toBeGreaterThan(20);
  });

  it('documents every option', () => {
    for (const w of OURS()) {
      for (const [key, schema] of Object.entries(w.options.shape)) {
        expect((schema as z.ZodType).description, `${w.kind}.${key}`).toBeTruthy();
      }
    }
  });

  it('builds every kind from an empty entry (all options have defaults) and rejects unknown options', () => {
    for (const w of [...OURS(), findWorkloadKind('churn')!]) {
      expect(w.create({}, `${w.kind}-x`).name).toBe(`${w.kind}-x`);
      expect(w.options.safeParse({ no_such_option: 1 }).success).toBe(false);
    }
  });

  it('parses sizes, durations, distributions and gfp flags as a scenario writes them', () => {
    const anon = anonOptions.parse({ rss: { dist: 'lognormal', min: '1MiB', max: '1GiB' }, chunk: '2MiB', lifetime: '1.5s' });
    expect(anon.rss).toEqual({ dist: 'lognormal', min: 2 ** 20, max: 2 ** 30 });
    expect(anon.chunk).toBe(2 ** 21);
    expect(anon.lifetime).toBe(1.5e9);
    expect(anon.respawn_delay).toBe(100e6);
    expect(anonOptions.parse({ rss: '64MiB' }).rss).toEqual({ dist: 'fixed', min: 2 ** 26, max: 2 ** 26 });
    expect(findWorkloadKind('anon')!.options.safeParse({ rss: { dist: 'uniform', min: '2MiB', max: '1MiB' } }).success).toBe(false);
    const h = highallocOptions;
    expect(h.parse({ gfp: 'GFP_ATOMIC' }).gfp).toBe(GFP_ATOMIC);
    expect(h.parse({ gfp: 'GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_RETRY_MAYFAIL' }).gfp).toBe(GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_RETRY_MAYFAIL);
    expect(h.safeParse({ gfp: 'GFP_KERNAL' }).success).toBe(false);
    expect(h.safeParse({ orders: [11] }).success).toBe(false);
    expect(h.safeParse({ hold: 'soon' }).success).toBe(false);
    const sh = stressHighallocOptions;
    expect(sh.parse({ gfp: 'GFP_ALLOC_LIKE_THP' }).gfp & __GFP_RETRY_MAYFAIL).toBe(0);
    expect(sh.parse({}).gfp & __GFP_RETRY_MAYFAIL).not.toBe(0);
    expect(findWorkloadKind('slab')!.options.safeParse({ object_size: '64KiB' }).success).toBe(false);
  });

  it('runs every kind together: invariants hold, nothing is scheduled after the end, same seed same result', () => {
    const all = [
      { kind: 'churn', rate: 200, target_fill: 0.3 },
      { kind: 'anon', processes: 2, rss: '16MiB', lifetime: '700ms', thp: 'hugepage', chunk: '2MiB' },
      { kind: 'file', size: '32MiB', write_fraction: 0.2, pattern: 'zipf', drop_caches_every: '900ms' },
      { kind: 'shmem', total: '16MiB', pin_fraction: 0.3, stop: '1500ms', release_at_stop: true },
      { kind: 'slab', reclaimable: true, target: '8MiB' },
      { kind: 'highalloc', orders: [2, 3], gfp: 'GFP_ATOMIC', rate: 300 },
      { kind: 'frag', fill: 0.3, start: '200ms', hog_at: '1800ms' },
      { kind: 'compact-memory', at: ['1s'], every: '600ms' },
      { kind: 'compaction-test', start: '1900ms', fraction: 0.3 },
    ];
    const setup = (k: import('../../src/mm/kernel.js').Kernel): void => void swapon(k, 32768);
    const a = runWorkloads(machine('256MiB'), all, 2 * SEC, { seed: 21, setup });
    const b = runWorkloads(machine('256MiB'), all, 2 * SEC, { seed: 21, setup });
    check(a.k);
    expect(a.late).toEqual([]);
    expect(a.counters).toEqual(b.counters);
    expect(a.k.alloc.events.toRecord()).toEqual(b.k.alloc.events.toRecord());
    for (const name of ['anon1.faults', 'file2.reads', 'shmem3.created', 'slab4.allocs', 'highalloc5.order3.attempts', 'frag6.kept_pages', 'compact-memory7.runs', 'compaction-test8.locked_pages']) {
      expect(a.counters[name], name).toBeGreaterThan(0);
    }
  });
});
