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
