/** The memory users under the real reclaim (vmscan.ts): anon and shmem go to swap and come back. */
import { describe, expect, it } from 'vitest';
import { createFile, fileRead, fileWrite } from '../../../src/mm/file.js';
import { createMm, mmap, touch } from '../../../src/mm/memory.js';
import { ShmemInode, shmemRead, shmemWrite } from '../../../src/mm/shmem.js';
import { getNrSwapPages, swapon } from '../../../src/mm/swapfile.js';
import { VmEvent } from '../../../src/mm/vmstat.js';
import { boot, check } from './helpers.js';

describe('memory pressure through reclaim', () => {
  it('swaps anon and shmem out and faults them back, keeping every invariant', () => {
    const k = boot();
    swapon(k, 8192, { writeLatencyNs: 100_000 });
    expect(k.vmscan.anonOps).not.toBeNull();
    const mm = createMm(k, { pid: 5, comm: 'hog' });
    const f = createFile(k, 'big');
    fileRead(k, f, 0, 4000);
    fileWrite(k, f, 5000, 500);
    const shm = k.owners.register(new ShmemInode('shm'));
    shmemWrite(k, shm, 0, 2000);
    const start = mmap(k, mm, 16000, { nohugepage: true });
    for (let i = 0; i < 16000; i += 100) {
      // 64 MiB machine: this cannot all stay in memory. Time passes between bursts so swap
      // writes complete and their clean swap-cache pages can be freed before swap fills up.
      touch(k, mm, start + i, 100, true);
      k.clock.runUntil(k.clock.now + 1_000_000);
      check(k);
    }
    const ev = (e: VmEvent): number => k.alloc.events.get(e);
    expect(ev(VmEvent.PSWPOUT)).toBeGreaterThan(1000);
    expect(mm.swapents()).toBeGreaterThan(0);
    expect(getNrSwapPages(k)).toBeLessThan(8191);
    let swapped = 0;
    for (let v = start; v < start + 1000; v++) if (mm.pte.get(v)! < -1) swapped++;
    expect(swapped).toBeGreaterThan(0);
    const majors = ev(VmEvent.PGMAJFAULT);
    // Fault them back in small steps, letting swap writes of the pages evicted meanwhile finish
    // (swap-cache hits are minor faults, reads are major).
    const back = { faults: 0, majorFaults: 0 };
    for (let v = start; v < start + 1000; v += 50) {
      const r = touch(k, mm, v, 50, false);
      back.faults += r.faults;
      back.majorFaults += r.majorFaults;
      k.clock.runUntil(k.clock.now + 1_000_000);
    }
    expect(back.faults).toBeGreaterThanOrEqual(swapped); // pages evicted again meanwhile fault once more
    expect(ev(VmEvent.PGMAJFAULT) - majors).toBe(back.majorFaults);
    expect(ev(VmEvent.PSWPIN)).toBe(back.majorFaults);
    for (let v = start; v < start + 1000; v++) expect(mm.pte.get(v)!).toBeGreaterThanOrEqual(0);
    check(k);
    const swappedShmem = shm.swapped;
    expect(swappedShmem).toBeGreaterThan(0);
    for (let i = 0; i < 2000; i += 20) {
      // Reclaim's writes complete only as virtual time passes (direct reclaim does not wait
      // for writeback), so read in small steps.
      k.clock.runUntil(k.clock.now + 1_000_000);
      expect(shmemRead(k, shm, i, 20)).toBe(20);
      k.clock.runUntil(k.clock.now + 1_000_000);
    }
    expect(ev(VmEvent.PSWPIN)).toBeGreaterThan(back.majorFaults); // shmem came back from swap too
    k.clock.runUntil(k.clock.now + 10_000_000);
    check(k);
  });
});
