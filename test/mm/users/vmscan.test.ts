/**
 * Reclaim decisions of mm/vmscan.c (6.1) worked by hand on small lists: folio_check_references(),
 * shrink_lruvec()'s full scan for direct reclaim at DEF_PRIORITY, who may write dirty file
 * folios, and what lru_note_cost() is fed.
 */
import { describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../../src/machine/spec.js';
import { ZoneType } from '../../../src/mm/constants.js';
import { touch } from '../../../src/mm/fault.js';
import { createFile, fileRead, fileWrite, invalidateClean } from '../../../src/mm/file.js';
import { filemapGetFolio } from '../../../src/mm/filemap.js';
import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL } from '../../../src/mm/gfp.js';
import { Kernel } from '../../../src/mm/kernel.js';
import { LruList, folioLruList } from '../../../src/mm/lru.js';
import { createMm, mmap } from '../../../src/mm/memory.js';
import { PG_active, PG_dirty, PG_referenced, PG_reclaim, PG_young } from '../../../src/mm/page_flags.js';
import { pteIsSwap } from '../../../src/mm/pte.js';
import { swapon } from '../../../src/mm/swapfile.js';
import { DEF_PRIORITY, SWAP_CLUSTER_MAX } from '../../../src/mm/vmscan.js';
import { NodeStat, VmEvent, ZoneStat } from '../../../src/mm/vmstat.js';
import { WMARK_HIGH, WMARK_LOW } from '../../../src/mm/zone.js';
import { boot, check, flags, has } from './helpers.js';

const directReclaim = (k: Kernel): number => k.vmscan.tryToFreePages(GFP_KERNEL, 0, k.nodes[0]!.zonelist, ZoneType.NORMAL);

describe('folio_check_references()', () => {
  it('a young anon page is kept (PG_referenced) on its first scan, activated only if used again', () => {
    const k = boot(false);
    swapon(k, 64);
    const mm = createMm(k, { pid: 7, comm: 'three' });
    const start = mmap(k, mm, 3, { nohugepage: true });
    touch(k, mm, start, 3, true);
    const [a, b, c] = [0, 1, 2].map((i) => mm.pte.get(start + i)!) as [number, number, number];
    const ev = (e: VmEvent): number => k.alloc.events.get(e);
    // Three pages: 3 >> priority (times the anon fraction) is 0 down to priority 1; priority 0
    // scans both kinds equally, all three. Each PTE was young: PG_referenced, kept inactive.
    expect(directReclaim(k)).toBe(0);
    expect(ev(VmEvent.PGSCAN_DIRECT)).toBe(3);
    expect(ev(VmEvent.PGACTIVATE)).toBe(0);
    for (const pfn of [a, b, c]) {
      expect(has(k, pfn, PG_referenced)).toBe(true);
      expect(has(k, pfn, PG_young)).toBe(false);
      expect(folioLruList(flags(k, pfn))).toBe(LruList.INACTIVE_ANON);
    }
    // Only a is used again. Next scan: a (young and referenced) is activated; b and c (merely
    // referenced) are reclaimed: swapped out, and freed once their writes end.
    touch(k, mm, start, 1, false);
    expect(directReclaim(k)).toBe(2);
    expect(ev(VmEvent.PGACTIVATE)).toBe(1);
    expect(ev(VmEvent.PSWPOUT)).toBe(2);
    expect(mm.pte.get(start)).toBe(a);
    expect(pteIsSwap(mm.pte.get(start + 1)!)).toBe(true);
    expect(pteIsSwap(mm.pte.get(start + 2)!)).toBe(true);
    check(k);
  });

  it('an unmapped file page read once (PG_referenced) is freed on its first scan (FOLIOREF_RECLAIM_CLEAN)', () => {
    const k = boot(false);
    const f = createFile(k, 'f');
    fileRead(k, f, 0, 1); // PG_referenced, clean
    expect(has(k, filemapGetFolio(f, 0), PG_referenced)).toBe(true);
    expect(directReclaim(k)).toBe(1);
    expect(filemapGetFolio(f, 0)).toBe(-1);
    check(k);
  });
});

describe('shrink_lruvec()', () => {
  it('global direct reclaim at DEF_PRIORITY scans its whole targets, not just SWAP_CLUSTER_MAX', () => {
    const k = new Kernel(loadMachineSpec('machine:\n  cpus: 1\n  pcp: false\n  thp: false\n  memory: 1280MiB\n', 'm.yaml'), 7);
    const f = createFile(k, 'big');
    fileRead(k, f, 0, 280_000); // read once: inactive, PG_referenced, clean
    const ev = (e: VmEvent): number => k.alloc.events.get(e);
    expect(ev(VmEvent.PAGEOUTRUN)).toBe(0); // never near the watermarks
    // No swap: SCAN_FILE. nr[LRU_INACTIVE_FILE] = inactive >> DEF_PRIORITY, scanned in batches
    // of 32; proportional_reclaim keeps going after the first 32 pages are reclaimed.
    const target = k.nodeStat(0, NodeStat.NR_INACTIVE_FILE) >> DEF_PRIORITY;
    expect(target).toBeGreaterThan(2 * SWAP_CLUSTER_MAX);
    expect(directReclaim(k)).toBe(target);
    expect(ev(VmEvent.PGSCAN_DIRECT)).toBe(target);
    expect(ev(VmEvent.PGSTEAL_DIRECT)).toBe(target);
  });
});

describe('dirty file folios', () => {
  it('direct reclaim never writes them: PG_reclaim, activated, counted as immediate reclaim', () => {
    const k = boot(false);
    const f = createFile(k, 'log');
    fileWrite(k, f, 0, 64);
    expect(directReclaim(k)).toBe(0);
    expect(k.nodeStat(0, NodeStat.NR_VMSCAN_WRITE)).toBe(0);
    expect(k.alloc.events.get(VmEvent.PGPGOUT)).toBe(0);
    expect(k.nodeStat(0, NodeStat.NR_DIRTY)).toBe(64);
    // Every page met was marked; pages that came back from the active list were marked again.
    for (let i = 0; i < 64; i++) expect(has(k, filemapGetFolio(f, i), PG_reclaim)).toBe(true);
    expect(k.nodeStat(0, NodeStat.NR_VMSCAN_IMMEDIATE_RECLAIM)).toBeGreaterThanOrEqual(64);
    check(k);
  });

  it('kswapd writes them only once it finds nothing but dirty file folios (PGDAT_DIRTY), and only ones it marked before', () => {
    const k = new Kernel(loadMachineSpec('machine:\n  cpus: 1\n  pcp: false\n  thp: false\n  zones:\n    - { name: Normal, start_pfn: 0x100000, size: 64MiB }\n', 'm.yaml'), 7);
    const zone = k.nodes[0]!.zones[ZoneType.NORMAL]!;
    const free = (): number => zone.vmStat[ZoneStat.NR_FREE_PAGES]!;
    const ev = (e: VmEvent): number => k.alloc.events.get(e);
    const dirty = createFile(k, 'dirty', { writeLatencyNs: 1_000_000 });
    const clean = createFile(k, 'clean');
    // Dirty and clean pages alternate along the inactive list: every batch kswapd takes (at
    // least 2 pages: 12000 >> 12) holds a clean one, so PGDAT_DIRTY is never set.
    for (let i = 0; i < 6000; i++) {
      fileWrite(k, dirty, i, 1);
      fileRead(k, clean, i, 1);
    }
    let held = 0;
    const pressure = (): void => {
      // Plain movable pages off the LRU: no fallback steal, so no watermark boost.
      while (free() >= zone.wmarkPages(WMARK_LOW)) {
        expect(k.alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0)).toBeGreaterThanOrEqual(0);
        held++;
      }
      k.clock.runUntil(k.clock.now); // kswapd, woken by the last allocation
    };
    pressure();
    expect(ev(VmEvent.PGSTEAL_KSWAPD)).toBeGreaterThan(0);
    expect(k.nodeStat(0, NodeStat.NR_VMSCAN_WRITE)).toBe(0);
    const marked = k.nodeStat(0, NodeStat.NR_VMSCAN_IMMEDIATE_RECLAIM);
    expect(marked).toBeGreaterThan(0);
    check(k);
    // Now only dirty page cache is left to reclaim. kswapd marks what it meets (PG_reclaim,
    // activated), flags the node PGDAT_DIRTY, and writes marked pages when they come back from
    // the active list; meeting them again under writeback it waits for the I/O
    // (PGDAT_WRITEBACK), and frees them once they have rotated to the inactive tail.
    invalidateClean(k, clean);
    const stolen = ev(VmEvent.PGSTEAL_KSWAPD);
    pressure();
    const written = k.nodeStat(0, NodeStat.NR_VMSCAN_WRITE);
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThanOrEqual(k.nodeStat(0, NodeStat.NR_VMSCAN_IMMEDIATE_RECLAIM));
    expect(ev(VmEvent.PGPGOUT)).toBe(written * 4);
    expect(k.nodeStat(0, NodeStat.NR_DIRTY)).toBe(6000 - written);
    expect(ev(VmEvent.PGSTEAL_KSWAPD)).toBeGreaterThan(stolen);
    expect(k.vmscan.writebackThrottles).toBeGreaterThan(0);
    expect(free()).toBeGreaterThan(zone.wmarkPages(WMARK_HIGH)); // balanced by kswapd alone
    expect(k.kswapdFailures(0)).toBe(0);
    expect(held).toBeGreaterThan(0);
    check(k);
  });
});

describe('lru_note_cost()', () => {
  it('is fed the pages written out, not the pages scanned and kept', () => {
    const k = boot(false);
    swapon(k, 64);
    const f = createFile(k, 'f');
    fileWrite(k, f, 0, 200); // oldest: dirty, kept (activated) by direct reclaim
    fileRead(k, f, 200, 32); // clean
    const mm = createMm(k, { pid: 9, comm: 'a' });
    const start = mmap(k, mm, 16, { nohugepage: true });
    touch(k, mm, start, 16, true);
    expect(directReclaim(k)).toBeGreaterThan(0);
    // Dirty file pages were scanned and kept, clean ones freed: nothing was written.
    expect(k.nodeStat(0, NodeStat.NR_VMSCAN_WRITE)).toBe(0);
    expect(k.vmscan.lruvecCost(0)).toEqual({ anon: 0, file: 0 });
    // The anon pages go to swap once they are scanned a second time; their writes are the cost.
    for (let i = 0; i < 4 && k.alloc.events.get(VmEvent.PSWPOUT) < 16; i++) directReclaim(k);
    const out = k.alloc.events.get(VmEvent.PSWPOUT);
    expect(out).toBeGreaterThan(0);
    expect(k.vmscan.lruvecCost(0)).toEqual({ anon: out, file: 0 }); // 216 LRU pages: no decay below 54
    expect(has(k, filemapGetFolio(f, 0), PG_dirty)).toBe(true);
    expect(has(k, filemapGetFolio(f, 0), PG_active) || has(k, filemapGetFolio(f, 0), PG_reclaim)).toBe(true);
    check(k);
  });
});
