import { describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { Compaction } from '../../src/mm/compaction.js';
import { MAX_ORDER, PAGEBLOCK_ORDER } from '../../src/mm/constants.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import { AddressSpace, filemapAddFolio, filemapGetFolio, filemapRemoveFolio } from '../../src/mm/filemap.js';
import { GFP_HIGHUSER_MOVABLE } from '../../src/mm/gfp.js';
import { Kernel } from '../../src/mm/kernel.js';
import { migrateFolio } from '../../src/mm/migrate.js';
import { VmEvent } from '../../src/mm/vmstat.js';

function machine(pcp: boolean): Kernel {
  return new Kernel(loadMachineSpec(`machine:\n  cpus: 1\n  pcp: ${pcp}\n  thp: false\n  zones:\n    - { name: Normal, start_pfn: 0x100000, size: 256MiB }\n`, 'm.yaml'));
}

/** Fill with page cache, then free 3/4 of every 2 MiB (Nitin Gupta's frag recipe). */
function fragment(k: Kernel, pin: (index: number) => boolean): AddressSpace {
  const file = k.owners.register(new AddressSpace('file', 'fill', GFP_HIGHUSER_MOVABLE, { migrateFolio }));
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
    fragment(k, (i) => i % 2 === 0);
    new Compaction(k).compactMemory();
    checkInvariants(k.alloc);
    expect(hugeFreeFraction(k)).toBeLessThan(0.05);
    expect(k.alloc.events.get(VmEvent.PGMIGRATE_FAIL)).toBeGreaterThan(0);
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
    expect(names).toEqual(new Set(['mm_compaction_begin', 'mm_compaction_isolate_migratepages', 'mm_compaction_isolate_freepages', 'mm_migrate_pages', 'mm_compaction_migratepages', 'mm_compaction_finished', 'mm_compaction_end', 'mm_compaction_suitable']));
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
