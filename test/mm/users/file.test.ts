/** Regular files in the page cache: read, write, writeback, truncate, invalidation. */
import { beforeEach, describe, expect, it } from 'vitest';
import { MigrateType } from '../../../src/mm/constants.js';
import {
  File, createFile, dropPagecache, fileRead, fileTruncate, fileWrite, invalidateClean, releaseFile, writebackMapping,
} from '../../../src/mm/file.js';
import { filemapGetFolio, folioClearDirtyForIo } from '../../../src/mm/filemap.js';
import type { Kernel } from '../../../src/mm/kernel.js';
import { LruList, folioIsolateLru, folioLruList, folioPutbackLru } from '../../../src/mm/lru.js';
import { EFBIG, EINVAL, MmError } from '../../../src/mm/mm_error.js';
import { PG_active, PG_dirty, PG_reclaim, PG_referenced, PG_swapbacked, PG_writeback } from '../../../src/mm/page_flags.js';
import { NodeStat, VmEvent, ZoneStat } from '../../../src/mm/vmstat.js';
import { boot, check, flags, has } from './helpers.js';

let k: Kernel;
let f: File;

beforeEach(() => {
  k = boot();
  f = createFile(k, 'data.db', { sizePages: 100, writeLatencyNs: 2000, readLatencyNs: 50 });
});

describe('read', () => {
  it('reads missing pages into GFP_HIGHUSER_MOVABLE page-cache pages on the inactive file list', () => {
    const st = fileRead(k, f, 10, 4);
    expect(st).toEqual({ cached: 0, read: 4, ioNs: 200 });
    const pfn = filemapGetFolio(f, 11);
    const s = k.slot(pfn);
    expect(k.mem.getPageblockMigratetype(s)).toBe(MigrateType.MOVABLE);
    expect(k.mem.refcount[s]).toBe(1);
    expect(k.mem.mapping[s]).toBe(f.id);
    expect(has(k, pfn, PG_swapbacked)).toBe(false);
    expect(folioLruList(flags(k, pfn))).toBe(LruList.INACTIVE_FILE);
    expect(has(k, pfn, PG_referenced)).toBe(true);
    expect(k.nodeStat(0, NodeStat.NR_FILE_PAGES)).toBe(4);
    expect(k.nodeStat(0, NodeStat.NR_INACTIVE_FILE)).toBe(4);
    expect(k.alloc.events.get(VmEvent.PGPGIN)).toBe(16); // KiB
    check(k);
  });

  it('a second read hits the cache and activates', () => {
    fileRead(k, f, 0, 2);
    expect(fileRead(k, f, 0, 2)).toEqual({ cached: 2, read: 0, ioNs: 0 });
    expect(has(k, filemapGetFolio(f, 0), PG_active)).toBe(true);
    expect(k.nodeStat(0, NodeStat.NR_ACTIVE_FILE)).toBe(2);
    expect(k.alloc.events.get(VmEvent.PGACTIVATE)).toBe(2);
    check(k);
  });

  it('stops at end of file and rejects bad ranges', () => {
    expect(fileRead(k, f, 98, 10).read).toBe(2);
    expect(() => fileRead(k, f, -1, 1)).toThrowError(expect.objectContaining({ code: -EINVAL }));
    expect(() => fileRead(k, f, 0, 1.5)).toThrow(MmError);
    check(k);
  });
});

describe('write and writeback', () => {
  it('dirties pages with accounting; -EFBIG past the size limit writes nothing', () => {
    const g = createFile(k, 'log', { sizePages: 0, sizeLimitPages: 8 });
    fileWrite(k, g, 0, 3);
    expect(g.sizePages).toBe(3);
    expect(k.nodeStat(0, NodeStat.NR_DIRTY)).toBe(3);
    expect(k.zoneOf(filemapGetFolio(g, 0)).vmStat[ZoneStat.NR_ZONE_WRITE_PENDING]).toBe(3);
    expect(() => fileWrite(k, g, 6, 3)).toThrowError(expect.objectContaining({ code: -EFBIG }));
    expect(g.nrpages).toBe(3);
    expect(k.alloc.events.get(VmEvent.PGPGIN)).toBe(0); // whole-page writes read nothing
    check(k);
  });

  it('writeback: clean for I/O, PG_writeback, pgpgout, then done after the latency', () => {
    fileWrite(k, f, 0, 2);
    expect(writebackMapping(k, f)).toBe(2);
    const p = filemapGetFolio(f, 0);
    expect(has(k, p, PG_dirty)).toBe(false);
    expect(has(k, p, PG_writeback)).toBe(true);
    expect(k.nodeStat(0, NodeStat.NR_DIRTY)).toBe(0);
    expect(k.nodeStat(0, NodeStat.NR_WRITEBACK)).toBe(2);
    expect(k.alloc.events.get(VmEvent.PGPGOUT)).toBe(8);
    expect(writebackMapping(k, f)).toBe(0); // nothing dirty
    check(k);
    k.clock.runUntil(2000);
    expect(k.nodeStat(0, NodeStat.NR_WRITEBACK)).toBe(0);
    expect(has(k, p, PG_writeback)).toBe(false);
    check(k);
  });

  it('the flusher visits only dirty inodes (I_DIRTY_PAGES), and keeps one dirty whose page it had to skip', () => {
    fileRead(k, f, 0, 4);
    expect(f.inodeDirtyPages).toBe(false); // reads dirty nothing: writeback does not walk the file
    fileWrite(k, f, 0, 1);
    expect(f.inodeDirtyPages).toBe(true);
    expect(writebackMapping(k, f)).toBe(1);
    expect(f.inodeDirtyPages).toBe(false);
    // Re-dirtied while its write is in flight: the pass must leave it and the inode stays dirty.
    const p = filemapGetFolio(f, 0);
    k.mem.flags[k.slot(p)]! |= PG_dirty;
    f.inodeDirtyPages = true;
    expect(writebackMapping(k, f)).toBe(0);
    expect(f.inodeDirtyPages).toBe(true);
    k.clock.runUntil(2000);
    expect(writebackMapping(k, f)).toBe(1);
    expect(f.inodeDirtyPages).toBe(false);
  });

  it('->writepage from reclaim (pageout) with PG_reclaim rotates the page to the inactive tail when done', () => {
    fileWrite(k, f, 0, 1);
    fileRead(k, f, 1, 1);
    const p = filemapGetFolio(f, 0);
    folioIsolateLru(k, p);
    folioClearDirtyForIo(k, p);
    expect(f.aops.writepage!(k, p, { forReclaim: true })).toBe(0);
    k.mem.flags[k.slot(p)]! |= PG_reclaim;
    folioPutbackLru(k, p);
    const head = k.nodes[0]!.lruHead + LruList.INACTIVE_FILE;
    expect(k.mem.next[head]).toBe(k.slot(p)); // at the head after putback
    k.clock.runUntil(5000);
    expect(k.mem.prev[head]).toBe(k.slot(p)); // rotated to the tail
    expect(k.alloc.events.get(VmEvent.PGROTATED)).toBe(1);
    check(k);
  });
});

describe('truncate and invalidate', () => {
  it('truncate waits for writeback, cancels dirty and drops pages', () => {
    fileWrite(k, f, 0, 6);
    writebackMapping(k, f);
    fileWrite(k, f, 4, 2); // dirty again while under writeback
    expect(fileTruncate(k, f, 2)).toBe(4);
    expect(f.nrpages).toBe(2);
    expect(f.sizePages).toBe(2);
    expect(k.nodeStat(0, NodeStat.NR_DIRTY)).toBe(0);
    check(k);
    k.clock.runUntil(10_000); // stale completions do nothing
    check(k);
    releaseFile(k, f);
    expect(k.nodeStat(0, NodeStat.NR_FILE_PAGES)).toBe(0);
    check(k);
  });

  it('invalidate drops only clean, idle, unreferenced pages; drop_caches does all files', () => {
    fileRead(k, f, 0, 6);
    fileWrite(k, f, 1, 1);
    writebackMapping(k, f);
    fileWrite(k, f, 2, 1);
    const pinned = filemapGetFolio(f, 3);
    k.getPage(pinned);
    expect(invalidateClean(k, f, 0, 5)).toBe(2); // 0 and 4; 1 writeback, 2 dirty, 3 pinned, 5 outside
    expect(filemapGetFolio(f, 0)).toBe(-1);
    expect(filemapGetFolio(f, 5)).toBeGreaterThan(0);
    check(k);
    k.clock.runUntil(10_000);
    expect(dropPagecache(k)).toBe(2); // 1 (written back) and 5
    k.putPage(pinned);
    expect(dropPagecache(k)).toBe(1);
    expect(f.nrpages).toBe(1); // the dirty one
    check(k);
  });
});
