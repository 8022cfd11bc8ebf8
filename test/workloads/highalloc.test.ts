/** `highalloc`: high-order requests at a rate, per-order counters, holding and freeing. */
import { describe, expect, it } from 'vitest';
import type { Kernel } from '../../src/mm/kernel.js';
import { VmEvent } from '../../src/mm/vmstat.js';
import { SEC, check, ev, machine, runWorkloads } from './helpers.js';

const M128 = machine('128MiB', '  thp: false\n');
const M512 = machine('512MiB', '  thp: false\n');

/** Count the pfns the page allocator hands out, per order. */
function spyAllocations(k: Kernel, got: number[]): void {
  const alloc = k.alloc;
  const orig = alloc.allocPages.bind(alloc);
  alloc.allocPages = (gfp: number, order: number, nid?: number): number => {
    const pfn = orig(gfp, order, nid);
    if (pfn >= 0) got[order]!++;
    return pfn;
  };
}

describe('highalloc workload', () => {
  it('counts attempts, successes and failures per order; successes are the pfns handed out', () => {
    const got = new Array<number>(11).fill(0);
    const r = runWorkloads(M128, [
      { kind: 'highalloc', name: 'net', orders: [2, 3], gfp: 'GFP_KERNEL', rate: 1000, hold: '5ms' },
    ], 1 * SEC, { setup: (k) => spyAllocations(k, got) });
    const c = r.counters;
    check(r.k);
    expect(r.late).toEqual([]);
    expect(c['net.order2.attempts']! + c['net.order3.attempts']!).toBe(1000);
    expect(c['net.order2.attempts']).toBeGreaterThan(400);
    for (const o of [2, 3]) {
      expect(c[`net.order${o}.success`]! + c[`net.order${o}.fail`]!).toBe(c[`net.order${o}.attempts`]);
      expect(c[`net.order${o}.success`]).toBe(got[o]);
    }
    expect(c['net.order2.fail']).toBe(0); // a pristine machine
    // The allocator's own view: pages allocated and freed.
    const allocated = (c['net.order2.success']! << 2) + (c['net.order3.success']! << 3);
    const pgalloc = ev(r, VmEvent.PGALLOC_DMA) + ev(r, VmEvent.PGALLOC_DMA32) + ev(r, VmEvent.PGALLOC_NORMAL);
    expect(pgalloc).toBe(allocated);
    expect(ev(r, VmEvent.PGFREE)).toBe(allocated - c['net.held_pages']!);
    // Held for 5 ms at 1000/s: about five blocks at a time.
    expect(c['net.held_pages']).toBeGreaterThan(0);
    expect(c['net.held_peak']).toBeLessThanOrEqual(6 * 8);
  });

  it('on fragmented memory GFP_ATOMIC order-3 requests fail where GFP_KERNEL ones compact', () => {
    const run = (gfp: string) => runWorkloads(M512, [
      { kind: 'frag', fill: 0.95 },
      { kind: 'highalloc', name: 'net', orders: [3], gfp, rate: 2000, hold: '1s', start: '100ms' },
    ], 1 * SEC);
    const atomic = run('GFP_ATOMIC');
    check(atomic.k);
    const kernel = run('GFP_KERNEL');
    check(kernel.k);
    expect(atomic.counters['net.order3.fail']).toBeGreaterThan(0);
    expect(ev(atomic, VmEvent.COMPACT_STALL)).toBe(0); // atomic requests cannot compact ...
    expect(ev(atomic, VmEvent.COMPACT_DAEMON_WAKE)).toBeGreaterThan(0); // ... but wake kcompactd, which rescues later ones
    expect(kernel.counters['net.order3.fail']).toBe(0);
    expect(ev(kernel, VmEvent.COMPACT_STALL)).toBeGreaterThan(0);
    expect(ev(kernel, VmEvent.PGMIGRATE_SUCCESS)).toBeGreaterThan(0);
  });

  it('frees what it holds when it stops, and schedules nothing after the end', () => {
    const r = runWorkloads(M128, [
      { kind: 'highalloc', name: 'pipe', orders: [0, 1, 2, 3], rate: 5000, batch: 10, hold: '100ms', stop: '500ms' },
    ], 1 * SEC);
    check(r.k);
    expect(r.late).toEqual([]);
    expect(r.counters['pipe.held_pages']).toBe(0);
    expect(r.counters['pipe.held_peak']).toBeGreaterThan(0);
    const attempts = [0, 1, 2, 3].reduce((n, o) => n + r.counters[`pipe.order${o}.attempts`]!, 0);
    expect(attempts).toBe(2500);
    expect(ev(r, VmEvent.PGFREE)).toBe(ev(r, VmEvent.PGALLOC_DMA) + ev(r, VmEvent.PGALLOC_DMA32));
  });
});
