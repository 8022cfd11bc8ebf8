import { describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { Compaction } from '../../src/mm/compaction.js';
import { MAX_ORDER, PAGEBLOCK_ORDER } from '../../src/mm/constants.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import { AddressSpace, type AddressSpaceOperations, filemapAddFolio, filemapGetFolio, filemapRemoveFolio } from '../../src/mm/filemap.js';
import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL, __GFP_COMP } from '../../src/mm/gfp.js';
import { Kernel } from '../../src/mm/kernel.js';
import { MIGRATEPAGE_SUCCESS, NR_MAX_MIGRATE_PAGES_RETRY, migrateFolio } from '../../src/mm/migrate.js';
import { VmEvent } from '../../src/mm/vmstat.js';

function machine(pcp: boolean): Kernel {
  return new Kernel(loadMachineSpec(`machine:\n  cpus: 1\n  pcp: ${pcp}\n  thp: false\n  zones:\n    - { name: Normal, start_pfn: 0x100000, size: 256MiB }\n`, 'm.yaml'));
}

/** Fill with page cache, then free 3/4 of every 2 MiB (Nitin Gupta's frag recipe). */
function fragment(k: Kernel, pin: (index: number) => boolean, aops: AddressSpaceOperations = { migrateFolio }): AddressSpace {
  const file = k.owners.register(new AddressSpace('file', 'fill', GFP_HIGHUSER_MOVABLE, aops));
  const zone = k.nodes[0]!.zones[2]!;
  let index = 0;
  while (zone.freePages > zone.wmarkPages(1) + 64) {
    const pfn = k.alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0);
    if (pfn < 0) break;
    filemapAddFolio(k, file, pfn, index++);
    k.putPage(pfn);
  }
  for (let i = 0; i < index; i++) {
    const pfn = filemapGetFolio(file, i);
    if ((pfn & 511) < 384) filemapRemoveFolio(k, file, pfn);
    else if (pin(i)) k.getPage(pfn);
  }
  k.alloc.drainAllPages();
  return file;
}

function hugeFreeFraction(k: Kernel): number {
  const zone = k.nodes[0]!.zones[2]!;
  let huge = 0;
  for (let o = PAGEBLOCK_ORDER; o < MAX_ORDER; o++) huge += zone.nrFree[o]! << o;
  return huge / zone.freePages;
}

describe('compact_memory', () => {
  it('turns the frag recipe back into free pageblocks when everything is movable', () => {
    const k = machine(false);
    fragment(k, () => false);
    expect(hugeFreeFraction(k)).toBeLessThan(0.05);
    new Compaction(k).compactMemory();
    checkInvariants(k.alloc);
    expect(hugeFreeFraction(k)).toBeGreaterThanOrEqual(0.95);
    expect(k.alloc.events.get(VmEvent.PGMIGRATE_SUCCESS)).toBeGreaterThan(0);
    expect(k.alloc.events.get(VmEvent.PGMIGRATE_FAIL)).toBe(0);
  });

  it('cannot move pinned page cache: -EAGAIN for ten passes, counted in pgmigrate_fail', () => {
    const k = machine(false);
    // Count the ->migrate_folio() attempts per source page; a pinned page fails each with -EAGAIN.
    const attempts = new Map<number, number>();
    const failed = new Set<number>();
    fragment(k, (i) => i % 2 === 0, {
      migrateFolio: (kk, mapping, dst, src, mode) => {
        attempts.set(src, (attempts.get(src) ?? 0) + 1);
        const rc = migrateFolio(kk, mapping, dst, src, mode);
        if (rc !== MIGRATEPAGE_SUCCESS) failed.add(src);
        return rc;
      },
    });
    new Compaction(k).compactMemory();
    checkInvariants(k.alloc);
    expect(hugeFreeFraction(k)).toBeLessThan(0.05);
    expect(failed.size).toBeGreaterThan(0);
    // Every pinned page was tried once per pass, NR_MAX_MIGRATE_PAGES_RETRY (10) passes, then failed
    // for good; only the last batch (one pageblock, isolated whole on its rescan) may stop sooner,
    // when the free scanner runs out (-ENOMEM ends the call) as the scanners meet.
    expect(NR_MAX_MIGRATE_PAGES_RETRY).toBe(10);
    const short = [...failed].filter((pfn) => attempts.get(pfn)! < 10);
    for (const pfn of failed) expect(attempts.get(pfn)).toBeLessThanOrEqual(10);
    expect(failed.size - short.length).toBeGreaterThan(short.length);
    expect(new Set(short.map((pfn) => pfn >> PAGEBLOCK_ORDER)).size).toBeLessThanOrEqual(1);
    // pgmigrate_fail: each page that failed its ten passes once; of the last batch only what the
    // -ENOMEM pass had reached (the kernel's nr_failed_pages += nr_pages + nr_retry_pages).
    const fail = k.alloc.events.get(VmEvent.PGMIGRATE_FAIL);
    expect(fail).toBeGreaterThanOrEqual(failed.size - short.length);
    expect(fail).toBeLessThanOrEqual(failed.size + 1);
  });
});

describe('compaction tracepoints', () => {
  it('emit 6.1-format mm_compaction_* and mm_migrate_pages lines', async () => {
    const { FtraceTextWriter, parseFtrace } = await import('../../src/trace/ftrace.js');
    const k = machine(false);
    fragment(k, () => false);
    const w = new FtraceTextWriter();
    k.eventTrace = w;
    k.compaction.compactMemory();
    const events = parseFtrace(w.text(1));
    const names = new Set(events.map((e) => e.event));
    expect(names).toEqual(new Set(['mm_compaction_begin', 'mm_compaction_isolate_migratepages', 'mm_compaction_isolate_freepages', 'mm_migrate_pages_start', 'mm_migrate_pages', 'mm_compaction_migratepages', 'mm_compaction_finished', 'mm_compaction_end', 'mm_compaction_suitable']));
    // migrate_pages() opens with mm_migrate_pages_start, once per call.
    const starts = events.filter((e) => e.event === 'mm_migrate_pages_start');
    expect(starts.length).toBe(events.filter((e) => e.event === 'mm_migrate_pages').length);
    expect(starts[0]!.body).toBe('mode=MIGRATE_SYNC reason=compaction');
    const begin = events.find((e) => e.event === 'mm_compaction_begin')!;
    expect(begin.body).toBe('zone_start=0x100000 migrate_pfn=0x100000 free_pfn=0x10fe00 zone_end=0x110000, mode=sync');
    const end = events.filter((e) => e.event === 'mm_compaction_end').at(-1)!;
    expect(end.body).toMatch(/^zone_start=0x100000 migrate_pfn=0x[0-9a-f]+ free_pfn=0x[0-9a-f]+ zone_end=0x110000, mode=sync status=complete$/);
    const mig = events.find((e) => e.event === 'mm_migrate_pages')!;
    expect(mig.body).toMatch(/^nr_succeeded=\d+ nr_failed=0 nr_thp_succeeded=0 nr_thp_failed=0 nr_thp_split=0 mode=MIGRATE_SYNC reason=compaction$/);
    const fin = events.find((e) => e.event === 'mm_compaction_finished')!;
    expect(fin.body).toBe('node=0 zone=Normal   order=-1 ret=continue');
    // Migrated pages sum up to the vmstat counter.
    const migrated = events.filter((e) => e.event === 'mm_migrate_pages').reduce((s, e) => s + Number(e.fields['nr_succeeded']), 0);
    expect(migrated).toBe(k.alloc.events.get(VmEvent.PGMIGRATE_SUCCESS));
  });
});

describe('pageblock_skip_persistent()', () => {
  // A compound page of pageblock order or more is no migration source: suitable_migration_source()
  // passes its pageblocks without scanning them, so they get no skip bit. That holds for the
  // pageblock that starts with a tail page too (PageCompound(), then compound_head()).
  it('covers every pageblock of an order-10 compound page, not only the one with its head', () => {
    const k = new Kernel(loadMachineSpec('machine:\n  cpus: 1\n  pcp: false\n  thp: false\n  zones:\n    - { name: Normal, start_pfn: 0x100000, size: 16MiB }\n', 'm.yaml'));
    const head = k.alloc.allocPages(GFP_KERNEL | __GFP_COMP, MAX_ORDER - 1);
    expect(head % (2 << PAGEBLOCK_ORDER)).toBe(0);
    const zone = k.nodes[0]!.zones[2]!;
    const skip = (pfn: number): boolean => k.mem.getPageblockSkip(k.slot(pfn));
    // compact_memory: nothing to migrate, so the migration scanner walks every pageblock below
    // the free scanner's (the zone's last) and marks those it scans.
    new Compaction(k).compactMemory();
    const blocks: boolean[] = [];
    for (let pfn = zone.startPfn; pfn < zone.endPfn - (1 << PAGEBLOCK_ORDER); pfn += 1 << PAGEBLOCK_ORDER) blocks.push(skip(pfn));
    const first = (head - zone.startPfn) >> PAGEBLOCK_ORDER;
    expect(blocks.slice(first, first + 2)).toEqual([false, false]);
    expect(blocks.filter((s) => s).length).toBe(blocks.length - 2);
  });
});
