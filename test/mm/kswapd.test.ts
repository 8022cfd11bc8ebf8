/**
 * kswapd()'s loop (mm/vmscan.c): kswapd_order is cleared when kswapd reads it, and when
 * balance_pgdat() returns without dropping to a lower order the loop goes back to the top and
 * tries to sleep at kswapd_order re-read (0 unless woken again meanwhile). So a high-order
 * balance that cannot succeed still ends in kswapd_try_to_sleep() at order 0, which flushes the
 * compaction skip bits (reset_isolation_suitable) instead of balancing again until hopeless.
 */
import { describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { ZoneType } from '../../src/mm/constants.js';
import { GFP_KERNEL, __GFP_NORETRY } from '../../src/mm/gfp.js';
import { Kernel } from '../../src/mm/kernel.js';
import { VmEvent } from '../../src/mm/vmstat.js';
import type { Zone } from '../../src/mm/zone.js';

function machine(): Kernel {
  return new Kernel(
    loadMachineSpec('machine:\n  cpus: 1\n  pcp: false\n  thp: false\n  zones:\n    - { name: Normal, start_pfn: 0x100000, size: 64MiB }\n', 'm.yaml'),
  );
}

/** Every page down to the min watermark taken by unmovable kernel allocations, then every other
 * one freed: lots of free order-0 pages, no free order-9 block, nothing on the LRU to reclaim. */
function checkerboard(k: Kernel): void {
  const held: number[] = [];
  for (;;) {
    const pfn = k.alloc.allocPages(GFP_KERNEL | __GFP_NORETRY, 0);
    if (pfn < 0) break;
    held.push(pfn);
  }
  held.sort((a, b) => a - b);
  for (const pfn of held) if (pfn % 2 === 0) k.alloc.freePages(pfn, 0);
}

describe('kswapd() loop: sleeping after a failed high-order balance', () => {
  it('one balance_pgdat() pass at order 9, then sleep at order 0 and the skip-bit flush', () => {
    const k = machine();
    checkerboard(k);
    const zone: Zone = k.nodes[0]!.zones[ZoneType.NORMAL]!;
    for (let o = 9; o < zone.nrFree.length; o++) expect(zone.nrFree[o]).toBe(0);
    // Balanced at order 0 (about half the zone is free), not at order 9.
    expect(zone.freePages).toBeGreaterThan(zone.wmarkPages(2) * 4);
    // A direct compaction that found its scanners met asked kswapd to flush the skip bits
    // (only __reset_isolation_suitable() clears the request).
    zone.compactBlockskipFlush = true;
    const runs = k.alloc.events.get(VmEvent.PAGEOUTRUN);
    const failures = k.kswapdFailures(0);
    expect(failures).toBeLessThan(15);

    k.vmscan.wakeupKswapd(zone, GFP_KERNEL, 9, ZoneType.NORMAL);
    k.clock.runUntil(k.clock.now);

    expect(k.alloc.events.get(VmEvent.PAGEOUTRUN) - runs).toBe(1);
    expect(k.kswapdFailures(0)).toBe(failures + 1); // not the "hopeless node" path
    expect(zone.compactBlockskipFlush).toBe(false);
  });
});
