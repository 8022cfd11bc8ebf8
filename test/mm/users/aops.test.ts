/**
 * The address_space operations the VM calls besides writepage and migrate_folio:
 * ->release_folio (filemap_release_folio() from reclaim, invalidation and truncation, for
 * folios with private data) and ->error_remove_page (memory_failure() of a page-cache page).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { ZoneType } from '../../../src/mm/constants.js';
import { touch } from '../../../src/mm/fault.js';
import { File, createFile, fileAops, fileRead, fileTruncate, fileWrite, invalidateClean } from '../../../src/mm/file.js';
import { filemapGetFolio, folioAttachPrivate, folioDetachPrivate } from '../../../src/mm/filemap.js';
import { GFP_KERNEL, GFP_NOIO } from '../../../src/mm/gfp.js';
import type { Kernel } from '../../../src/mm/kernel.js';
import { LruList, folioLruList } from '../../../src/mm/lru.js';
import { memoryFailure } from '../../../src/mm/memory_failure.js';
import { createMm, mmap } from '../../../src/mm/memory.js';
import { EHWPOISON, EIO, ENXIO, EOPNOTSUPP, MmError } from '../../../src/mm/mm_error.js';
import { PG_active, PG_hwpoison, PG_lru, PG_private } from '../../../src/mm/page_flags.js';
import { ShmemInode, shmemRead, shmemReadMappingPageGfp, shmemTruncate, shmemWrite } from '../../../src/mm/shmem.js';
import { NodeStat, VmEvent } from '../../../src/mm/vmstat.js';
import { boot, check, flags, has } from './helpers.js';

let k: Kernel;
beforeEach(() => {
  k = boot(false);
});

/** A file whose filesystem keeps private data on its folios and answers ->release_folio as told. */
function fsWithPrivate(): { f: File; calls: { pfn: number; gfp: number }[]; refuse: Set<number> } {
  const f = createFile(k, 'journal');
  const calls: { pfn: number; gfp: number }[] = [];
  const refuse = new Set<number>();
  f.aops = {
    ...fileAops,
    releaseFolio: (kk, pfn, gfp) => {
      calls.push({ pfn, gfp });
      if (refuse.has(pfn)) return false;
      folioDetachPrivate(kk, pfn);
      return true;
    },
  };
  return { f, calls, refuse };
}

const expectMmError = (fn: () => unknown, code: number): void => {
  let err: unknown = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(MmError);
  expect((err as MmError).code).toBe(code);
};

describe('->release_folio', () => {
  it('private data holds a reference of its own, which the users checker counts', () => {
    const { f } = fsWithPrivate();
    fileRead(k, f, 0, 1);
    const pfn = filemapGetFolio(f, 0);
    folioAttachPrivate(k, pfn);
    expect(k.mem.refcount[k.slot(pfn)]).toBe(2);
    expect(has(k, pfn, PG_private)).toBe(true);
    check(k);
    k.mem.refcount[k.slot(pfn)]! -= 1; // a reference lost behind the model's back
    expect(() => check(k)).toThrow(/refcount 1 < 2 known references/);
    k.mem.refcount[k.slot(pfn)]! += 1;
  });

  it('invalidation evicts a folio with private data only if ->release_folio lets go (gfp 0)', () => {
    const { f, calls, refuse } = fsWithPrivate();
    fileRead(k, f, 0, 3);
    const pfns = [0, 1, 2].map((i) => filemapGetFolio(f, i));
    folioAttachPrivate(k, pfns[0]!);
    folioAttachPrivate(k, pfns[1]!);
    refuse.add(pfns[1]!);
    expect(invalidateClean(k, f)).toBe(2); // pfns[0] released, pfns[2] had nothing to release
    expect(calls).toEqual([{ pfn: pfns[0], gfp: 0 }, { pfn: pfns[1], gfp: 0 }]);
    expect(filemapGetFolio(f, 1)).toBe(pfns[1]);
    expect(filemapGetFolio(f, 0)).toBe(-1);
    check(k);
  });

  it('reclaim asks with its gfp mask; a refusal activates the folio instead of freeing it', () => {
    const { f, calls, refuse } = fsWithPrivate();
    fileRead(k, f, 0, 2);
    const [a, b] = [filemapGetFolio(f, 0), filemapGetFolio(f, 1)];
    folioAttachPrivate(k, a);
    folioAttachPrivate(k, b);
    refuse.add(b);
    expect(k.vmscan.tryToFreePages(GFP_KERNEL, 0, k.nodes[0]!.zonelist, ZoneType.NORMAL)).toBe(1);
    expect(calls.map((c) => c.gfp)).toEqual([GFP_KERNEL, GFP_KERNEL]);
    expect(filemapGetFolio(f, 0)).toBe(-1);
    expect(filemapGetFolio(f, 1)).toBe(b);
    expect(has(k, b, PG_active)).toBe(true);
    expect(has(k, b, PG_private)).toBe(true);
    check(k);
  });

  it('truncation invalidates the whole folio: its private data goes even if ->release_folio refuses', () => {
    const { f, calls, refuse } = fsWithPrivate();
    fileWrite(k, f, 0, 2);
    const [a, b] = [filemapGetFolio(f, 0), filemapGetFolio(f, 1)];
    folioAttachPrivate(k, a);
    folioAttachPrivate(k, b);
    refuse.add(b);
    const free = k.alloc.events.get(VmEvent.PGFREE);
    expect(fileTruncate(k, f, 0)).toBe(2);
    expect(calls.map((c) => c.pfn)).toEqual([a, b]);
    expect(k.alloc.events.get(VmEvent.PGFREE) - free).toBe(2); // both pages back in the allocator
    expect(k.nodeStat(0, NodeStat.NR_DIRTY)).toBe(0);
    check(k);
  });
});

describe('memory_failure() and ->error_remove_page', () => {
  it('a clean file page is punched out (generic_error_remove_page); the next read gets a new page', () => {
    const f = createFile(k, 'data');
    fileRead(k, f, 0, 2);
    const pfn = filemapGetFolio(f, 0);
    expect(memoryFailure(k, pfn)).toEqual({ rc: 0, type: 'clean LRU page', result: 'recovered' });
    expect(filemapGetFolio(f, 0)).toBe(-1);
    const s = k.slot(pfn);
    expect(has(k, pfn, PG_hwpoison)).toBe(true);
    expect(has(k, pfn, PG_lru)).toBe(false);
    expect(k.mem.refcount[s]).toBe(1); // memory_failure()'s reference: never freed again
    check(k);
    expect(fileRead(k, f, 0, 1).read).toBe(1);
    expect(filemapGetFolio(f, 0)).not.toBe(pfn);
    expect(memoryFailure(k, pfn)).toEqual({ rc: -EHWPOISON, type: 'already hardware poisoned', result: null });
    check(k);
  });

  it('a dirty file page is punched out too: its data is lost, its dirty accounting goes', () => {
    const f = createFile(k, 'data');
    fileWrite(k, f, 0, 1);
    const pfn = filemapGetFolio(f, 0);
    expect(memoryFailure(k, pfn)).toEqual({ rc: 0, type: 'dirty LRU page', result: 'recovered' });
    expect(k.nodeStat(0, NodeStat.NR_DIRTY)).toBe(0);
    expect(f.nrpages).toBe(0);
    check(k);
  });

  it('a shmem page stays in the file (shmem_error_remove_page) and later access is -EIO', () => {
    const shm = k.owners.register(new ShmemInode('shm'));
    shmemWrite(k, shm, 0, 2);
    const pfn = filemapGetFolio(shm, 0);
    expect(memoryFailure(k, pfn)).toEqual({ rc: 0, type: 'dirty LRU page', result: 'recovered' });
    expect(filemapGetFolio(shm, 0)).toBe(pfn);
    expect(has(k, pfn, PG_lru)).toBe(false); // out of reclaim's and compaction's way
    expect(k.mem.refcount[k.slot(pfn)]).toBe(2); // the cache's and memory_failure()'s
    check(k);
    expectMmError(() => shmemRead(k, shm, 0, 1), -EIO);
    expectMmError(() => shmemWrite(k, shm, 0, 1), -EIO);
    expect(shmemReadMappingPageGfp(k, shm, 0, shm.gfpMask)).toBe(-EIO);
    expect(shmemRead(k, shm, 1, 1)).toBe(1); // the other page is fine
    expect(k.mem.refcount[k.slot(pfn)]).toBe(2); // the failed accesses took no reference
    // Truncation drops it from the file; memory_failure()'s reference keeps it out of the allocator.
    shmemTruncate(k, shm, 0);
    expect(k.mem.refcount[k.slot(pfn)]).toBe(1);
    check(k);
  });

  it('a page someone else holds (a pin) fails: has_extra_refcount()', () => {
    const shm = k.owners.register(new ShmemInode('gem'));
    shmemWrite(k, shm, 0, 1);
    const pfn = shmemReadMappingPageGfp(k, shm, 0, shm.gfpMask); // the driver's pin
    expect(memoryFailure(k, pfn)).toEqual({ rc: -16, type: 'dirty LRU page', result: 'failed' });
    expect(has(k, pfn, PG_hwpoison)).toBe(true);
    check(k);
  });

  it('without ->error_remove_page only a clean, unused page is invalidated', () => {
    const f = createFile(k, 'plain');
    f.aops = { ...fileAops, errorRemoveFolio: undefined };
    fileRead(k, f, 0, 1);
    fileWrite(k, f, 1, 1);
    const clean = filemapGetFolio(f, 0);
    expect(folioLruList(flags(k, clean))).toBe(LruList.INACTIVE_FILE);
    expect(memoryFailure(k, clean)).toEqual({ rc: 0, type: 'clean LRU page', result: 'recovered' }); // invalidate_inode_page()
    expect(memoryFailure(k, filemapGetFolio(f, 1))).toEqual({ rc: -16, type: 'dirty LRU page', result: 'failed' });
    expect(filemapGetFolio(f, 0)).toBe(-1);
    check(k);
  });

  it('what is not page cache is refused and left alone', () => {
    const mm = createMm(k, { pid: 5, comm: 'a' });
    const start = mmap(k, mm, 1, { nohugepage: true });
    touch(k, mm, start, 1, true);
    const anon = mm.pte.get(start)!;
    expectMmError(() => memoryFailure(k, anon), -EOPNOTSUPP);
    expect(has(k, anon, PG_hwpoison)).toBe(false);
    const free = k.alloc.allocPages(GFP_NOIO, 0);
    k.alloc.freePages(free, 0);
    expectMmError(() => memoryFailure(k, free), -EOPNOTSUPP);
    expectMmError(() => memoryFailure(k, k.mem.pfnBase + k.mem.nrPages + 10), -ENXIO);
    check(k);
  });
});
