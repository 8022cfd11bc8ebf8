/**
 * A full swap device under real reclaim (mm/vmscan.c, mm/swapfile.c, mm/oom_kill.c). Running
 * out of swap is not an error for reclaim: a folio that gets no slot is activated
 * (activate_locked) and, once no slot is free, get_scan_count() stops scanning anon at all. The
 * process that then cannot get memory is OOM-killed; its in-flight access ends with
 * OomKilledError, and the oom_reaper gives its memory and swap back.
 */
import { describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../../src/machine/spec.js';
import { ZoneType } from '../../../src/mm/constants.js';
import { touch } from '../../../src/mm/fault.js';
import { GFP_KERNEL } from '../../../src/mm/gfp.js';
import { Kernel } from '../../../src/mm/kernel.js';
import { createMm, mmap } from '../../../src/mm/memory.js';
import { OomKilledError } from '../../../src/mm/mm_error.js';
import { PG_active } from '../../../src/mm/page_flags.js';
import { pteIsSwap } from '../../../src/mm/pte.js';
import { getNrSwapPages, swapCount, swapon } from '../../../src/mm/swapfile.js';
import { NodeStat, VmEvent } from '../../../src/mm/vmstat.js';
import { boot, check, has } from './helpers.js';

describe('a full swap device', () => {
  it('is not an error for reclaim: folios that get no slot are activated', () => {
    const k = boot(false);
    swapon(k, 3); // two usable slots
    const mm = createMm(k, { pid: 7, comm: 'four' });
    const start = mmap(k, mm, 4, { nohugepage: true });
    touch(k, mm, start, 4, true);
    const pfns = [0, 1, 2, 3].map((i) => mm.pte.get(start + i)!);
    const direct = (): number => k.vmscan.tryToFreePages(GFP_KERNEL, 0, k.nodes[0]!.zonelist, ZoneType.NORMAL);
    expect(direct()).toBe(0); // first look: young PTEs, all kept with PG_referenced
    // Second look, priority 0 (all four at once): the two oldest get the two slots and are
    // written; the other two find swap full and are activated. Then, with no free slot, anon
    // is not scanned again, so the two written pages stay in the swap cache.
    expect(direct()).toBe(0);
    expect(getNrSwapPages(k)).toBe(0);
    expect(k.alloc.events.get(VmEvent.PSWPOUT)).toBe(2);
    expect(k.alloc.events.get(VmEvent.PGACTIVATE)).toBe(2);
    expect(pteIsSwap(mm.pte.get(start)!)).toBe(true);
    expect(pteIsSwap(mm.pte.get(start + 1)!)).toBe(true);
    for (const pfn of pfns.slice(2)) expect(has(k, pfn, PG_active)).toBe(true);
    expect(mm.pte.get(start + 2)).toBe(pfns[2]);
    expect(mm.pte.get(start + 3)).toBe(pfns[3]);
    check(k);
  });

  it('filled under pressure: the task that cannot get memory is OOM-killed mid-access, the other loses nothing', () => {
    const k = new Kernel(loadMachineSpec('machine:\n  cpus: 1\n  pcp: false\n  thp: false\n  memory: 32MiB\n', 'm.yaml'), 7);
    swapon(k, 257, { writeLatencyNs: 100_000 }); // 1 MiB: it fills well before memory runs out
    let swapFreeAtOom = -1;
    k.oom.registerNotifier(() => {
      swapFreeAtOom = getNrSwapPages(k);
      return 0; // frees nothing: the killer goes on
    });
    const small = createMm(k, { pid: 10, comm: 'small' });
    const big = createMm(k, { pid: 11, comm: 'big' });
    const vs = mmap(k, small, 1000, { nohugepage: true });
    touch(k, small, vs, 1000, true);
    check(k);
    const vb = mmap(k, big, 20000, { nohugepage: true }); // 78 MiB: more than RAM and swap
    let err: unknown = null;
    let touched = 0;
    let minSwapFree = getNrSwapPages(k);
    for (; touched < 20000; touched += 128) {
      try {
        touch(k, big, vb + touched, 128, true);
      } catch (e) {
        err = e;
        break;
      }
      k.clock.runUntil(k.clock.now + 200_000);
      minSwapFree = Math.min(minSwapFree, getNrSwapPages(k));
      check(k);
    }
    // Swap filled first; reclaim never failed with an error; then the allocation OOM-killed the
    // faulting task (the largest), whose access stopped there.
    expect(minSwapFree).toBe(0);
    expect(swapFreeAtOom).toBe(0);
    expect(err).toBeInstanceOf(OomKilledError);
    expect((err as OomKilledError).pid).toBe(11);
    expect(k.oom.events.map((e) => e.victim?.pid)).toEqual([11]);
    expect(big.rssAnon() + big.swapents()).toBeLessThan(touched + 128);
    expect(k.nodeStat(0, NodeStat.NR_ANON_PAGES)).toBe(small.rssAnon() + big.rssAnon());
    check(k);
    // The oom_reaper runs at the next clock event: big's memory comes back.
    k.clock.runUntil(k.clock.now);
    expect(big.exited).toBe(true);
    expect(k.nodeStat(0, NodeStat.NR_ANON_PAGES)).toBe(small.rssAnon());
    expect(() => touch(k, big, vb, 1, true)).toThrow(OomKilledError);
    k.clock.runUntil(k.clock.now + 10_000_000); // writes in flight end
    // Every slot still in use is small's, or held only by the swap cache (pages written out
    // whose owner is gone, until reclaim drops them): big holds none.
    const cacheOnly = [...k.swapCache!.iPages.keys()].filter((entry) => swapCount(k, entry) === 0).length;
    expect(256 - getNrSwapPages(k)).toBe(small.swapents() + cacheOnly);
    check(k);
    // The other task lost nothing and can read all of it back.
    expect(small.rssAnon() + small.swapents()).toBe(1000);
    touch(k, small, vs, 1000, false);
    expect(small.rssAnon()).toBe(1000);
    check(k);
  });
});
