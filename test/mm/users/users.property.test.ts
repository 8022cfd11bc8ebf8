/**
 * Random mixes of every memory user's operations keep both invariant checkers happy after
 * each step, typed errors change nothing, and tearing everything down gives every page back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkInvariants } from '../../../src/mm/debug_vm.js';
import {
  type File, createFile, dropPagecache, fileRead, fileTruncate, fileWrite, releaseFile, writebackMapping,
} from '../../../src/mm/file.js';
import { filemapGetFolio } from '../../../src/mm/filemap.js';
import type { Kernel } from '../../../src/mm/kernel.js';
import { type MmStruct, createMm, exitMm, mlock, mmap, munlock, munmap, pteIsSwap, touch } from '../../../src/mm/memory.js';
import { MmError } from '../../../src/mm/mm_error.js';
import { PG_dirty, PG_lru, PG_tail, PG_writeback } from '../../../src/mm/page_flags.js';
import {
  ShmemInode, mappingClearUnevictable, mappingSetUnevictable, shmemEvictInode, shmemGetFolio, shmemTruncate, shmemWrite,
} from '../../../src/mm/shmem.js';
import {
  type KmemCache, kmemCacheAllocBulk, kmemCacheCreate, kmemCacheDestroy, kmemCacheScan,
} from '../../../src/mm/slab.js';
import { swapon } from '../../../src/mm/swapfile.js';
import { ZoneStat } from '../../../src/mm/vmstat.js';
import { boot, check, freeSwapCacheFolio, pageoutSwapBacked } from './helpers.js';

type Op =
  | { t: 'touch'; who: number; off: number; n: number; write: boolean }
  | { t: 'mmap'; who: number; n: number; thp: boolean }
  | { t: 'munmap'; who: number; off: number; n: number }
  | { t: 'mlock'; who: number; off: number; n: number; lock: boolean }
  | { t: 'reclaimAnon'; who: number; off: number; finish: boolean }
  | { t: 'swapin'; who: number; write: boolean }
  | { t: 'shmem'; which: number; off: number; n: number }
  | { t: 'reclaimShmem'; which: number; off: number }
  | { t: 'shmemTrunc'; which: number; off: number }
  | { t: 'shmemPin'; which: number; off: number }
  | { t: 'unevictable'; which: number; on: boolean }
  | { t: 'file'; off: number; n: number; write: boolean }
  | { t: 'fileWb' }
  | { t: 'fileTrunc'; off: number }
  | { t: 'drop' }
  | { t: 'slab'; n: number; scan: number }
  | { t: 'clock'; ns: number }
  | { t: 'freeCache' };

const who = fc.nat(2);
const off = fc.nat(1100);
const len = fc.integer({ min: -1, max: 600 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ t: fc.constant('touch' as const), who, off, n: len, write: fc.boolean() }), weight: 5 },
  {
    arbitrary: fc.record({ t: fc.constant('mmap' as const), who, n: fc.oneof(fc.integer({ min: 0, max: 1100 }), fc.constant(1024)), thp: fc.boolean() }),
    weight: 3,
  },
  fc.record({ t: fc.constant('munmap' as const), who, off, n: len }),
  fc.record({ t: fc.constant('mlock' as const), who, off, n: len, lock: fc.boolean() }),
  { arbitrary: fc.record({ t: fc.constant('reclaimAnon' as const), who, off, finish: fc.boolean() }), weight: 4 },
  { arbitrary: fc.record({ t: fc.constant('swapin' as const), who, write: fc.boolean() }), weight: 2 },
  fc.record({ t: fc.constant('shmem' as const), which: fc.nat(1), off: fc.nat(64), n: fc.integer({ min: -1, max: 40 }) }),
  fc.record({ t: fc.constant('reclaimShmem' as const), which: fc.nat(1), off: fc.nat(64) }),
  fc.record({ t: fc.constant('shmemTrunc' as const), which: fc.nat(1), off: fc.integer({ min: -1, max: 64 }) }),
  fc.record({ t: fc.constant('shmemPin' as const), which: fc.nat(1), off: fc.nat(64) }),
  fc.record({ t: fc.constant('unevictable' as const), which: fc.nat(1), on: fc.boolean() }),
  fc.record({ t: fc.constant('file' as const), off: fc.nat(200), n: fc.integer({ min: -1, max: 80 }), write: fc.boolean() }),
  fc.record({ t: fc.constant('fileWb' as const) }),
  fc.record({ t: fc.constant('fileTrunc' as const), off: fc.integer({ min: -1, max: 200 }) }),
  fc.record({ t: fc.constant('drop' as const) }),
  fc.record({ t: fc.constant('slab' as const), n: fc.nat(300), scan: fc.nat(300) }),
  fc.record({ t: fc.constant('clock' as const), ns: fc.nat(3_000_000) }),
  fc.record({ t: fc.constant('freeCache' as const) }),
);

interface World {
  k: Kernel;
  mms: MmStruct[];
  /** Each process's mmap()ed regions, newest first: [start, pages]. */
  regions: [number, number][][];
  shm: ShmemInode[];
  pins: number[];
  file: File;
  slab: KmemCache;
}

function totalFree(k: Kernel): number {
  return k.alloc.zoneById.reduce((n, z) => n + (z ? z.vmStat[ZoneStat.NR_FREE_PAGES]! : 0), 0);
}

/**
 * Reclaim over the swap cache: free what is clean, idle and unmapped; write out what is dirty
 * and unmapped (swap_writepage() drops it at once when no PTE or shmem slot refers to it).
 */
function freeCleanSwapCache(k: Kernel): void {
  if (!k.swapCache) return;
  for (const pfn of [...k.swapCache.iPages.values()]) {
    const s = k.slot(pfn);
    const f = k.mem.flags[s]!;
    if ((f & PG_writeback) !== 0 || (f & PG_lru) === 0 || k.mem.mapcount[s] !== 0 || k.mem.refcount[s] !== 1) continue;
    if ((f & PG_dirty) === 0) freeSwapCacheFolio(k, pfn);
    else pageoutSwapBacked(k, pfn, k.swapCache);
  }
}

function run(w: World, o: Op): void {
  const { k } = w;
  // A range inside the process's newest region (a length of -1 stays -1: a bad argument).
  const range = (i: number, offset: number, n: number): [number, number] | null => {
    const r = w.regions[i]![offset % 3 === 0 ? 1 : 0] ?? w.regions[i]![0];
    if (!r) return null;
    const at = offset % r[1];
    return [r[0] + at, n < 0 ? n : Math.max(1, Math.min(n, r[1] - at))];
  };
  switch (o.t) {
    case 'touch': {
      const r = range(o.who, o.off, o.n);
      if (r) touch(k, w.mms[o.who]!, r[0], r[1], o.write);
      break;
    }
    case 'mmap': {
      const at = o.thp ? 0x100000 + w.regions[o.who]!.length * 0x1000 + o.who * 0x100000 : undefined;
      w.regions[o.who]!.unshift([mmap(k, w.mms[o.who]!, o.n, { at, nohugepage: !o.thp }), o.n]);
      break;
    }
    case 'munmap': {
      const r = range(o.who, o.off, o.n);
      if (r) munmap(k, w.mms[o.who]!, r[0], r[1]);
      break;
    }
    case 'mlock': {
      const r = range(o.who, o.off, o.n);
      if (r) (o.lock ? mlock : munlock)(k, w.mms[o.who]!, r[0], r[1]);
      break;
    }
    case 'reclaimAnon': {
      // The first page reclaim could swap out, from a point in the region on.
      const r = range(o.who, o.off, 64);
      if (!r) break;
      const mm = w.mms[o.who]!;
      for (let vpn = r[0]; vpn < r[0] + r[1]; vpn++) {
        const pfn = mm.pte.get(vpn);
        if (pfn === undefined || pfn < 0 || k.nrPages(pfn) > 1 || (k.mem.flags[k.slot(pfn)]! & PG_tail) !== 0) continue;
        if ((k.mem.flags[k.slot(pfn)]! & PG_lru) === 0) continue;
        pageoutSwapBacked(k, pfn, null);
        if (o.finish) {
          // The write completes and a later reclaim pass frees the page.
          k.clock.runUntil(k.clock.now + 500_000);
          freeCleanSwapCache(k);
        }
        break;
      }
      break;
    }
    case 'swapin': {
      // Fault back the first swapped-out page of the process.
      const mm = w.mms[o.who]!;
      for (const [vpn, v] of mm.pte) {
        if (pteIsSwap(v)) {
          touch(k, mm, vpn, 1, o.write);
          break;
        }
      }
      break;
    }
    case 'shmem':
      shmemWrite(k, w.shm[o.which]!, o.off, o.n);
      break;
    case 'reclaimShmem': {
      const pfn = filemapGetFolio(w.shm[o.which]!, o.off);
      if (pfn >= 0 && (k.mem.flags[k.slot(pfn)]! & PG_lru) !== 0 && k.mem.refcount[k.slot(pfn)] === 1) pageoutSwapBacked(k, pfn, w.shm[o.which]!);
      break;
    }
    case 'shmemTrunc':
      shmemTruncate(k, w.shm[o.which]!, o.off);
      break;
    case 'shmemPin': {
      const pfn = shmemGetFolio(k, w.shm[o.which]!, o.off);
      if (pfn >= 0) w.pins.push(pfn);
      break;
    }
    case 'unevictable':
      if (o.on) mappingSetUnevictable(k, w.shm[o.which]!);
      else mappingClearUnevictable(k, w.shm[o.which]!);
      break;
    case 'file':
      if (o.write) fileWrite(k, w.file, o.off, o.n);
      else fileRead(k, w.file, o.off, o.n);
      break;
    case 'fileWb':
      writebackMapping(k, w.file);
      break;
    case 'fileTrunc':
      fileTruncate(k, w.file, o.off);
      break;
    case 'drop':
      dropPagecache(k);
      break;
    case 'slab':
      kmemCacheAllocBulk(k, w.slab, o.n);
      kmemCacheScan(k, w.slab, o.scan);
      break;
    case 'clock':
      k.clock.runUntil(k.clock.now + o.ns);
      break;
    case 'freeCache':
      freeCleanSwapCache(k);
      break;
  }
}

function property(ops: Op[], withSwap: boolean): void {
  const k = boot();
  const free0 = totalFree(k);
  if (withSwap) swapon(k, 256, { writeLatencyNs: 500_000 });
  const w: World = {
    k,
    mms: [0, 1, 2].map((i) => createMm(k, { pid: 100 + i, comm: `task${i}` })),
    regions: [[], [], []],
    shm: [0, 1].map((i) => k.owners.register(new ShmemInode(`shm${i}`))),
    pins: [],
    file: createFile(k, 'f', { sizePages: 150, sizeLimitPages: 220 }),
    slab: kmemCacheCreate(k, 'dentry', 192, { reclaimable: true }),
  };
  for (const o of ops) {
    const before = totalFree(k);
    try {
      run(w, o);
    } catch (e) {
      if (!(e instanceof MmError)) throw e;
      // Argument errors change nothing; running out of memory keeps what was done.
      if (e.code !== -12 && e.code !== -11) expect(totalFree(k)).toBe(before);
    }
    check(k);
  }
  // Tear down: processes exit, pins drop, files go, I/O finishes, the swap cache empties.
  for (const mm of w.mms) exitMm(k, mm);
  for (const p of w.pins) k.putPage(p);
  for (const s of w.shm) shmemEvictInode(k, s);
  releaseFile(k, w.file);
  kmemCacheDestroy(k, w.slab);
  for (let i = 0; i < 2; i++) {
    k.clock.runUntil(k.clock.now + 10_000_000);
    freeCleanSwapCache(k);
  }
  check(k);
  checkInvariants(k.alloc);
  expect(totalFree(k)).toBe(free0);
}

/** Anonymous memory and swap only, so that pages go out and come back often. */
const anonOp: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ t: fc.constant('touch' as const), who, off, n: len, write: fc.boolean() }), weight: 4 },
  { arbitrary: fc.record({ t: fc.constant('mmap' as const), who, n: fc.oneof(fc.integer({ min: 1, max: 600 }), fc.constant(1024)), thp: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant('reclaimAnon' as const), who, off, finish: fc.boolean() }), weight: 6 },
  { arbitrary: fc.record({ t: fc.constant('swapin' as const), who, write: fc.boolean() }), weight: 4 },
  fc.record({ t: fc.constant('munmap' as const), who, off, n: len }),
  fc.record({ t: fc.constant('mlock' as const), who, off, n: len, lock: fc.boolean() }),
  fc.record({ t: fc.constant('clock' as const), ns: fc.nat(3_000_000) }),
  fc.record({ t: fc.constant('freeCache' as const) }),
);

describe('memory users under random operation mixes', () => {
  it('keep every invariant and leak nothing', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 10, maxLength: 40, size: 'max' }), fc.oneof(fc.constant(true), fc.constant(true), fc.constant(false)), property),
      { numRuns: 60, seed: 20240611 },
    );
  });

  it('anonymous memory going to swap and back keeps every invariant and leaks nothing', () => {
    fc.assert(
      fc.property(fc.array(anonOp, { minLength: 10, maxLength: 40, size: 'max' }), fc.constant(true), property),
      { numRuns: 60, seed: 20240612 },
    );
  });
});
