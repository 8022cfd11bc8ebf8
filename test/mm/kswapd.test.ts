/**
 * kswapd (mm/vmscan.c, 6.1): balance_pgdat() to the high watermark and its boost reclaim, and
 * kswapd()'s loop. kswapd_order is cleared when kswapd reads it, and when
 * balance_pgdat() returns without dropping to a lower order the loop goes back to the top and
 * tries to sleep at kswapd_order re-read (0 unless woken again meanwhile). So a high-order
 * balance that cannot succeed still ends in kswapd_try_to_sleep() at order 0, which flushes the
 * compaction skip bits (reset_isolation_suitable) instead of balancing again until hopeless.
 */
import { describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { ZoneType } from '../../src/mm/constants.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import { checkUserInvariants } from '../../src/mm/debug_vm_users.js';
import { touch } from '../../src/mm/fault.js';
import { createFile, fileRead, fileWrite } from '../../src/mm/file.js';
import { GFP_KERNEL, __GFP_NORETRY } from '../../src/mm/gfp.js';
import { Kernel } from '../../src/mm/kernel.js';
import { createMm, mmap } from '../../src/mm/memory.js';
import { swapon } from '../../src/mm/swapfile.js';
import { DEF_PRIORITY, KSWAPD_NAP_NS, SWAP_CLUSTER_MAX } from '../../src/mm/vmscan.js';
import { NodeStat, VmEvent, ZoneStat } from '../../src/mm/vmstat.js';
import { WMARK_HIGH, WMARK_LOW, type Zone } from '../../src/mm/zone.js';

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

  it('a wakeup during the HZ/10 nap is premature (kswapd_low_wmark_hit_quickly), one after it is not', () => {
    const k = machine();
    checkerboard(k);
    const zone: Zone = k.nodes[0]!.zones[ZoneType.NORMAL]!;
    k.clock.runUntil(k.clock.now + 2 * KSWAPD_NAP_NS); // whatever kswapd did during the fill is over
    const base = [VmEvent.PAGEOUTRUN, VmEvent.KSWAPD_LOW_WMARK_HIT_QUICKLY, VmEvent.KSWAPD_HIGH_WMARK_HIT_QUICKLY].map((e) => k.alloc.events.get(e));
    const delta = (): number[] => [VmEvent.PAGEOUTRUN, VmEvent.KSWAPD_LOW_WMARK_HIT_QUICKLY, VmEvent.KSWAPD_HIGH_WMARK_HIT_QUICKLY].map((e, i) => k.alloc.events.get(e) - base[i]!);
    const wake = (): void => {
      k.vmscan.wakeupKswapd(zone, GFP_KERNEL, 9, ZoneType.NORMAL);
      k.clock.runUntil(k.clock.now);
    };
    expect(k.kswapdFailures(0)).toBeLessThan(13);
    // Each wakeup at order 9 runs one failing balance_pgdat(); kswapd then naps at order 0.
    wake();
    expect(delta()).toEqual([1, 0, 0]);
    // Woken again 99 ms later: schedule_timeout(HZ/10) returns with time left.
    k.clock.runUntil(k.clock.now + KSWAPD_NAP_NS - 1_000_000);
    wake();
    expect(delta()).toEqual([2, 1, 0]);
    // The nap over, kswapd slept for good: this wakeup is an ordinary one.
    k.clock.runUntil(k.clock.now + KSWAPD_NAP_NS);
    wake();
    expect(delta()).toEqual([3, 1, 0]);
  });
});

/** The zone's free pages as the watermark checks see them (NR_FREE_PAGES; pcp is off). */
function free(zone: Zone): number {
  return zone.vmStat[ZoneStat.NR_FREE_PAGES]!;
}

describe('balance_pgdat()', () => {
  it('kswapd reclaims to the high watermark, then sleeps', () => {
    const k = machine();
    const zone: Zone = k.nodes[0]!.zones[ZoneType.NORMAL]!;
    const high = zone.wmarkPages(WMARK_HIGH);
    // Clean page cache (read once: PG_referenced, inactive) until an allocation finds the zone
    // below its low watermark and wakes kswapd; nothing runs it until the clock moves.
    const file = createFile(k, 'data');
    let index = 0;
    while (free(zone) >= zone.wmarkPages(WMARK_LOW)) fileRead(k, file, index++, 1);
    expect(zone.watermarkBoost).toBe(0); // movable allocations from MOVABLE blocks: no fallback, no boost
    const before = free(zone);
    const ev = (e: VmEvent): number => k.alloc.events.get(e);
    const runs = ev(VmEvent.PAGEOUTRUN);
    const quick = ev(VmEvent.KSWAPD_HIGH_WMARK_HIT_QUICKLY);
    k.clock.runUntil(k.clock.now);
    expect(ev(VmEvent.PAGEOUTRUN) - runs).toBe(1);
    // Balanced: above high. kswapd_shrink_node() asks for max(high, SWAP_CLUSTER_MAX) pages and,
    // with no anon to balance against, shrink_lruvec() stops once it has them, so the last pass
    // (which began at or below high) adds less than that plus one batch of SWAP_CLUSTER_MAX.
    const after = free(zone);
    expect(after).toBeGreaterThan(high);
    expect(after).toBeLessThan(high + Math.max(high, SWAP_CLUSTER_MAX) + SWAP_CLUSTER_MAX);
    expect(ev(VmEvent.PGSTEAL_KSWAPD)).toBe(after - before); // nothing else freed memory
    expect(ev(VmEvent.PGSTEAL_FILE)).toBe(after - before);
    expect(k.nodeStat(0, NodeStat.NR_VMSCAN_WRITE)).toBe(0);
    // Then it sleeps: no quick re-balance, no failure, and no further run as time passes.
    expect(k.vmscan.isKswapdRunning(0)).toBe(false);
    expect(ev(VmEvent.KSWAPD_HIGH_WMARK_HIT_QUICKLY)).toBe(quick);
    expect(k.kswapdFailures(0)).toBe(0);
    k.clock.runUntil(k.clock.now + 1_000_000_000);
    expect(ev(VmEvent.PAGEOUTRUN) - runs).toBe(1);
    expect(free(zone)).toBe(after);
    checkInvariants(k.alloc);
    checkUserInvariants(k);
  });

  it('boost reclaim does not swap or write back and repays the boost', () => {
    const k = machine();
    swapon(k, 4096);
    const zone: Zone = k.nodes[0]!.zones[ZoneType.NORMAL]!;
    const ev = (e: VmEvent): number => k.alloc.events.get(e);
    // 8192 clean cache pages (oldest, at the inactive file tail), then 2048 anon pages that
    // normal reclaim could swap: about a third of the zone stays free, well above high.
    const file = createFile(k, 'data');
    fileRead(k, file, 0, 8192);
    const mm = createMm(k, { pid: 200, comm: 'anon' });
    touch(k, mm, mmap(k, mm, 2048, { nohugepage: true }), 2048, true);
    // A fallback steal boosted the watermark (boost_watermark()); the node is balanced even so.
    const boost = 64;
    zone.watermarkBoost = boost;
    expect(free(zone)).toBeGreaterThan(zone.wmarkPages(WMARK_HIGH));
    k.vmscan.wakeupKswapd(zone, GFP_KERNEL, 0, ZoneType.NORMAL);
    k.clock.runUntil(k.clock.now);
    expect(ev(VmEvent.PAGEOUTRUN)).toBe(1);
    // No swap (may_swap off: anon is not even scanned), no writeback, clean cache only.
    expect(ev(VmEvent.PGSCAN_ANON)).toBe(0);
    expect(ev(VmEvent.PSWPOUT)).toBe(0);
    expect(k.nodeStat(0, NodeStat.NR_VMSCAN_WRITE)).toBe(0);
    // Repaid: reclaim stops once it has the boost back. The passes run at DEF_PRIORITY,
    // DEF_PRIORITY - 1, then stay at DEF_PRIORITY - 2 (each at most 8192 >> 10 = 8 pages).
    const stolen = ev(VmEvent.PGSTEAL_KSWAPD);
    expect(stolen).toBeGreaterThanOrEqual(boost);
    expect(stolen).toBeLessThan(boost + (8192 >> (DEF_PRIORITY - 2)));
    expect(ev(VmEvent.PGSTEAL_FILE)).toBe(stolen);
    expect(zone.watermarkBoost).toBe(0);
    expect(k.kswapdFailures(0)).toBe(0);
    checkInvariants(k.alloc);
    checkUserInvariants(k);
  });

  it('a boost pass that reclaims nothing ends balance_pgdat() at once, without writing or swapping', () => {
    const k = machine();
    swapon(k, 4096);
    const zone: Zone = k.nodes[0]!.zones[ZoneType.NORMAL]!;
    const ev = (e: VmEvent): number => k.alloc.events.get(e);
    // Only dirty page cache and anon: nothing a boost pass may free.
    const file = createFile(k, 'data');
    fileWrite(k, file, 0, 4096);
    const mm = createMm(k, { pid: 200, comm: 'anon' });
    touch(k, mm, mmap(k, mm, 2048, { nohugepage: true }), 2048, true);
    zone.watermarkBoost = 64;
    k.vmscan.wakeupKswapd(zone, GFP_KERNEL, 0, ZoneType.NORMAL);
    k.clock.runUntil(k.clock.now);
    // One pass at DEF_PRIORITY: SCAN_FILE (no swap for a boost), 4096 >> 12 = 1 page, dirty and
    // not yet marked: PG_reclaim and activated (nr_vmscan_immediate_reclaim), not written.
    // No progress: "nr_boost_reclaim && !nr_reclaimed" breaks out; a failure is counted.
    expect(ev(VmEvent.PAGEOUTRUN)).toBe(1);
    expect(ev(VmEvent.PGSCAN_KSWAPD)).toBe(1);
    expect(ev(VmEvent.PGSTEAL_KSWAPD)).toBe(0);
    expect(k.nodeStat(0, NodeStat.NR_VMSCAN_IMMEDIATE_RECLAIM)).toBe(1);
    expect(k.nodeStat(0, NodeStat.NR_VMSCAN_WRITE)).toBe(0);
    expect(ev(VmEvent.PSWPOUT)).toBe(0);
    expect(k.kswapdFailures(0)).toBe(1);
    expect(zone.watermarkBoost).toBe(0); // the boost is dropped all the same
    checkInvariants(k.alloc);
    checkUserInvariants(k);
  });
});
