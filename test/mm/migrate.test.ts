/**
 * migrate_pages() (mm/migrate.c, 6.1) outside compaction: folio_migrate_flags(), the writeback
 * wait of full sync migration, the mm_migrate_pages(_start) tracepoints and the cost model
 * (COMPACTION_COST) that gives each call a duration charged to the current task.
 */
import { describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { COMPACTION_COST } from '../../src/mm/compaction_cost.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import { touch } from '../../src/mm/fault.js';
import { AddressSpace, MigrateMode, filemapAddFolio, filemapGetFolio } from '../../src/mm/filemap.js';
import { GFP_HIGHUSER_MOVABLE } from '../../src/mm/gfp.js';
import { Kernel } from '../../src/mm/kernel.js';
import { folioIsolateLru } from '../../src/mm/lru.js';
import { createMm, mmap } from '../../src/mm/memory.js';
import {
  MIGRATE_MODE_NAMES, MigrateReason, type MigrationTarget, migrateFolio, migratePages,
  newMigrateStats, putbackMovablePages,
} from '../../src/mm/migrate.js';
import { submitWrite } from '../../src/mm/page_io.js';
import { PG_dirty, PG_mlocked, PG_referenced, PG_writeback } from '../../src/mm/page_flags.js';
import { FtraceTextWriter, parseFtrace } from '../../src/trace/ftrace.js';
import { VmEvent } from '../../src/mm/vmstat.js';

function machine(): Kernel {
  return new Kernel(loadMachineSpec('machine:\n  cpus: 1\n  pcp: false\n  thp: false\n  zones:\n    - { name: Normal, start_pfn: 0x100000, size: 64MiB }\n', 'm.yaml'));
}

/** Destination pages straight from the buddy allocator, counting how many were taken. */
function buddyTarget(k: Kernel): MigrationTarget & { taken: number } {
  const t = {
    taken: 0,
    getNewPage: (): number => {
      t.taken++;
      return k.alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0);
    },
    putNewPage: (pfn: number): void => {
      t.taken--;
      k.putPage(pfn);
    },
  };
  return t;
}

/** `n` clean page-cache pages of one file, isolated from the LRU for migration. */
function isolatedCache(k: Kernel, n: number): { file: AddressSpace; pfns: number[] } {
  const file = k.owners.register(new AddressSpace('file', 'data', GFP_HIGHUSER_MOVABLE, { migrateFolio }));
  const pfns: number[] = [];
  for (let i = 0; i < n; i++) {
    const pfn = k.alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0);
    filemapAddFolio(k, file, pfn, i);
    k.putPage(pfn);
    expect(folioIsolateLru(k, pfn)).toBe(true);
    pfns.push(pfn);
  }
  return { file, pfns };
}

describe('migrate_pages()', () => {
  it('moves clean page cache: each page costs one attempt and one copy, charged to the current task', () => {
    const k = machine();
    k.setCurrent({ comm: 'mover', pid: 42, oomScoreAdj: 0 });
    const { file, pfns } = isolatedCache(k, 8);
    const stats = newMigrateStats();
    const rc = migratePages(k, pfns, buddyTarget(k), MigrateMode.SYNC, MigrateReason.SYSCALL, stats);
    expect(rc).toBe(0);
    expect(stats.nrSucceeded).toBe(8);
    for (let i = 0; i < 8; i++) expect(filemapGetFolio(file, i)).toBeGreaterThan(0);
    // Not mapped, so no unmap: 8 x (attempt + copy).
    expect(stats.durationNs).toBe(8 * (COMPACTION_COST.migrateAttemptNs + COMPACTION_COST.copyNsPerPage));
    expect(k.compaction.stall.byTask.get(42)).toEqual({ comm: 'mover', ns: stats.durationNs });
    expect(k.compaction.stall.migrationNs).toBe(stats.durationNs);
    checkInvariants(k.alloc);
  });

  it('a mapped anon page pays the unmap; PG_dirty moves to the new page (the kernel copies it), PG_mlocked is not copied', () => {
    const k = machine();
    const mm = createMm(k, { pid: 7, comm: 'app' });
    const va = mmap(k, mm, 1);
    touch(k, mm, va, 1, true);
    const src = mm.pte.get(va)!;
    const s = k.slot(src);
    k.mem.flags[s]! |= PG_dirty | PG_referenced;
    expect(folioIsolateLru(k, src)).toBe(true);
    const stats = newMigrateStats();
    expect(migratePages(k, [src], buddyTarget(k), MigrateMode.SYNC_LIGHT, MigrateReason.COMPACTION, stats)).toBe(0);
    const dst = mm.pte.get(va)!;
    expect(dst).not.toBe(src);
    const d = k.slot(dst);
    expect(k.mem.flags[d]! & PG_dirty).toBe(PG_dirty);
    expect(k.mem.flags[d]! & PG_referenced).toBe(PG_referenced);
    expect(k.mem.flags[d]! & PG_mlocked).toBe(0);
    expect(stats.durationNs).toBe(COMPACTION_COST.migrateAttemptNs + COMPACTION_COST.unmapNsPerPage + COMPACTION_COST.copyNsPerPage);
    checkInvariants(k.alloc);
  });

  it('MIGRATE_SYNC waits for writeback once the retries are forced (pass > 2) and charges the I/O left', () => {
    const k = machine();
    const { pfns } = isolatedCache(k, 1);
    const src = pfns[0]!;
    k.clock.now = 1_000;
    submitWrite(k, src, 5_000_000); // completes at 5_001_000
    const stats = newMigrateStats();
    expect(migratePages(k, pfns, buddyTarget(k), MigrateMode.SYNC, MigrateReason.COMPACTION, stats)).toBe(0);
    expect(stats.nrSucceeded).toBe(1);
    expect(k.mem.flags[k.slot(src)]! & PG_writeback).toBe(0);
    // Passes 0-2 -EAGAIN, pass 3 waits 5 ms of I/O and migrates: four attempts, one copy.
    expect(stats.durationNs).toBe(4 * COMPACTION_COST.migrateAttemptNs + 5_000_000 + COMPACTION_COST.copyNsPerPage);
    checkInvariants(k.alloc);
  });

  it('MIGRATE_SYNC_LIGHT never waits for writeback: -EBUSY, final at once', () => {
    const k = machine();
    const { pfns } = isolatedCache(k, 1);
    const src = pfns[0]!;
    submitWrite(k, src, 5_000_000);
    const stats = newMigrateStats();
    const list = [src];
    expect(migratePages(k, list, buddyTarget(k), MigrateMode.SYNC_LIGHT, MigrateReason.COMPACTION, stats)).toBe(1);
    expect(list).toEqual([src]);
    expect(stats.durationNs).toBe(COMPACTION_COST.migrateAttemptNs); // one attempt, no retry passes
    expect(k.mem.flags[k.slot(src)]! & PG_writeback).toBe(PG_writeback);
    putbackMovablePages(k, list);
    checkInvariants(k.alloc);
  });

  it('traces mm_migrate_pages_start and mm_migrate_pages, printing MIGRATE_SYNC_NO_COPY as 0x3 (__print_symbolic)', () => {
    const k = machine();
    const { pfns } = isolatedCache(k, 2);
    const w = new FtraceTextWriter();
    k.eventTrace = w;
    migratePages(k, pfns, buddyTarget(k), MigrateMode.SYNC_NO_COPY, MigrateReason.LONGTERM_PIN);
    k.eventTrace = null;
    const events = parseFtrace(w.text(1));
    expect(events.map((e) => e.event)).toEqual(['mm_migrate_pages_start', 'mm_migrate_pages']);
    expect(events[0]!.body).toBe('mode=0x3 reason=longterm_pin');
    expect(events[1]!.body).toBe('nr_succeeded=2 nr_failed=0 nr_thp_succeeded=0 nr_thp_failed=0 nr_thp_split=0 mode=0x3 reason=longterm_pin');
    expect(MIGRATE_MODE_NAMES[MigrateMode.SYNC]).toBe('MIGRATE_SYNC');
    expect(k.alloc.events.get(VmEvent.PGMIGRATE_SUCCESS)).toBe(2);
  });
});
