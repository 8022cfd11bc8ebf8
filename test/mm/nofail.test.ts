/**
 * __GFP_NOFAIL in __alloc_pages_slowpath() (mm/page_alloc.c, 6.1): when reclaim and the OOM
 * killer cannot help, __alloc_pages_may_oom() gives the request the whole reserve
 * (__alloc_pages_cpuset_fallback() with ALLOC_NO_WATERMARKS), nopage tries ALLOC_MIN_RESERVE
 * and retries; the kernel retries forever, the model gives up after NOFAIL_MAX_RETRIES rounds
 * and records a livelock.
 */
import { describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { NOFAIL_MAX_RETRIES } from '../../src/mm/alloc_slowpath.js';
import { MAX_ORDER } from '../../src/mm/constants.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import { GFP_KERNEL, GFP_NOWAIT, __GFP_NOFAIL } from '../../src/mm/gfp.js';
import { Kernel } from '../../src/mm/kernel.js';
import { WMARK_MIN } from '../../src/mm/zone.js';
import { FtraceTextWriter, parseFtrace } from '../../src/trace/ftrace.js';

/** A machine with no tasks and no reclaimable memory, filled as far as GFP_NOWAIT may go. */
function exhausted(): Kernel {
  const k = new Kernel(loadMachineSpec('machine:\n  cpus: 1\n  pcp: false\n  thp: false\n  zones:\n    - { name: Normal, start_pfn: 0x100000, size: 64MiB }\n', 'm.yaml'));
  k.setCurrent({ comm: 'driver', pid: 300, oomScoreAdj: 0 });
  while (k.alloc.allocPages(GFP_NOWAIT, 0) >= 0);
  return k;
}

describe('__GFP_NOFAIL', () => {
  it('gets a page from below the min watermark where the same request without it fails', () => {
    const k = exhausted();
    const zone = k.nodes[0]!.zones[2]!;
    const free = zone.freePages;
    expect(free).toBeGreaterThan(0);
    expect(free).toBeLessThanOrEqual(zone.wmarkPages(WMARK_MIN)); // only the reserves are left
    expect(k.alloc.allocPages(GFP_KERNEL, 0)).toBe(-1);
    expect(k.oom.events.at(-1)!.report).toMatch(/Out of memory and no killable processes/);
    const pfn = k.alloc.allocPages(GFP_KERNEL | __GFP_NOFAIL, 0);
    expect(pfn).toBeGreaterThan(0);
    expect(zone.freePages).toBe(free - 1);
    expect(k.slowpath.stats.nofailLivelocks).toBe(0);
    checkInvariants(k.alloc);
  });

  it('records a livelock instead of looping forever when not even the reserves have a page', () => {
    const k = exhausted();
    const zone = k.nodes[0]!.zones[2]!;
    const mem = k.mem;
    for (let order = MAX_ORDER - 1; order >= 0; order--) {
      for (let mt = 0; mt < 5; mt++) {
        const head = zone.freeListHead(order, mt);
        while (!mem.listEmpty(head)) expect(k.alloc.allocPagesAt(k.pfn(mem.next[head]!), order, GFP_KERNEL)).toBe(true);
      }
    }
    expect(zone.freePages).toBe(0);
    const w = new FtraceTextWriter();
    k.eventTrace = w;
    expect(k.alloc.allocPages(GFP_KERNEL | __GFP_NOFAIL, 0)).toBe(-1);
    k.eventTrace = null;
    expect(k.slowpath.stats.nofailLivelocks).toBe(1);
    expect(k.slowpath.livelocks).toEqual([{ timeNs: 0, comm: 'driver', pid: 300, gfp: GFP_KERNEL | __GFP_NOFAIL, order: 0 }]);
    const lines = parseFtrace(w.text(1)).filter((e) => e.event === 'pagelab_nofail_livelock');
    expect(lines.map((e) => e.body)).toEqual([`order=0 gfp_mask=GFP_KERNEL|__GFP_NOFAIL retries=${NOFAIL_MAX_RETRIES}`]);
    // Every round went through the OOM killer, which found nobody to kill.
    expect(k.oom.events.length).toBeGreaterThanOrEqual(NOFAIL_MAX_RETRIES);
    checkInvariants(k.alloc);
  });
});
