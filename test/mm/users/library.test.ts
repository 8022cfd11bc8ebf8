/**
 * The memory users as a library sees them: everything through the package entry point
 * (src/index.ts, the only module the `exports` map lets users import), typed errors included.
 */
import { describe, expect, it } from 'vitest';
import {
  EFBIG, EINTR, ENOSPC, Kernel, MmError, OomKilledError, ShmemInode, createFile, createMm, dropPagecache, fileRead,
  fileWrite, loadMachineSpec, mmap, parseGfpFlags, setThpSettings, shmemLock, shmemWrite, thpSettings, touch,
  writebackMapping,
} from '../../../src/index.js';
import { NodeStat } from '../../../src/mm/vmstat.js';

const MACHINE = 'machine:\n  cpus: 1\n  pcp: false\n  thp: false\n  memory: 64MiB\n';

describe('the library entry point', () => {
  it('registers a shrinker given only its callbacks, seeks and batch; the name defaults', () => {
    const k = new Kernel(loadMachineSpec(MACHINE, 'm.yaml'), 1);
    let scanned = 0;
    const shrinker = { countObjects: () => 1000, scanObjects: (sc: { nrToScan: number }) => (scanned += sc.nrToScan), seeks: 2, batch: 100 };
    k.vmscan.registerShrinker(shrinker);
    k.vmscan.registerShrinker({ name: 'mine', countObjects: () => 0, scanObjects: () => 0 });
    expect(k.vmscan.shrinkers.map((s) => s.name)).toEqual(['shrinker-0', 'mine']);
    k.vmscan.shrinkSlab(parseGfpFlags('GFP_KERNEL'), 0, 0, false);
    expect(scanned).toBe(2000); // priority 0: min(1000 * 4 / 2, 2 * 1000) in batches of 100
  });

  it('refusals are MmErrors with exported errno values; an OOM kill is an OomKilledError', () => {
    const k = new Kernel(loadMachineSpec(MACHINE, 'm.yaml'), 1);
    const f = createFile(k, 'f', { sizeLimitPages: 4 });
    const efbig = (() => {
      try {
        fileWrite(k, f, 0, 5);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(efbig).toBeInstanceOf(MmError);
    expect((efbig as MmError).code).toBe(-EFBIG);
    expect(ENOSPC).toBe(28);
    const mm = createMm(k, { pid: 3, comm: 'hog' });
    const start = mmap(k, mm, 1 << 15);
    let killed: unknown = null;
    try {
      touch(k, mm, start, 1 << 15, true); // 128 MiB on a 64 MiB machine with no swap
    } catch (e) {
      killed = e;
    }
    expect(killed).toBeInstanceOf(OomKilledError);
    expect(killed).toBeInstanceOf(MmError);
    expect((killed as OomKilledError).code).toBe(-EINTR);
    expect((killed as OomKilledError).pid).toBe(3);
  });

  it('exports writeback, drop_caches, SHM_LOCK and the THP switches', () => {
    const k = new Kernel(loadMachineSpec(MACHINE, 'm.yaml'), 1);
    const f = createFile(k, 'f', { writeLatencyNs: 1000 });
    fileWrite(k, f, 0, 8);
    fileRead(k, f, 8, 8);
    expect(writebackMapping(k, f)).toBe(8);
    k.clock.runUntil(k.clock.now + 1000);
    expect(dropPagecache(k)).toBe(16);
    const shm = k.owners.register(new ShmemInode('shm'));
    shmemWrite(k, shm, 0, 4);
    shmemLock(k, shm, true);
    expect(shm.locked).toBe(true);
    expect(setThpSettings(k, { enabled: 'never' }).enabled).toBe('never');
    expect(thpSettings(k).enabled).toBe('never');
    expect(k.nodeStat(0, NodeStat.NR_FILE_PAGES)).toBe(4); // the shmem pages are all that is cached
  });
});
