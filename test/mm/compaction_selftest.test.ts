/**
 * The kernel selftest tools/testing/selftests/vm/compaction_test.c, in pagelab: lock 80% of
 * free memory in 1 MiB anonymous mappings (MAP_LOCKED), unmap every other one, then ask for as
 * many hugepages as the kernel can make. The test passes when they cover at least a third of
 * the locked amount — which needs compaction to move mlocked pages
 * (vm.compact_unevictable_allowed = 1).
 */
import { describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { PAGEBLOCK_ORDER } from '../../src/mm/constants.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import { GFP_HIGHUSER_MOVABLE, __GFP_COMP, __GFP_NOWARN, __GFP_RETRY_MAYFAIL, __GFP_THISNODE } from '../../src/mm/gfp.js';
import { Kernel } from '../../src/mm/kernel.js';
import { createMm, exitMm, mmap, munmap } from '../../src/mm/memory.js';
import { touch } from '../../src/mm/fault.js';
import { createFile, fileRead, invalidateClean } from '../../src/mm/file.js';
import { VmEvent } from '../../src/mm/vmstat.js';

const MAP_PAGES = 256; // MAP_SIZE = 1 MiB
/** alloc_pool_huge_page(): htlb_alloc_mask() | __GFP_COMP | __GFP_THISNODE | __GFP_NOWARN | __GFP_RETRY_MAYFAIL */
const HTLB_GFP = GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_THISNODE | __GFP_NOWARN | __GFP_RETRY_MAYFAIL;

/**
 * A system that has been up for a while: a desktop process and page cache have come and gone,
 * leaving free memory in fragments of many sizes rather than pristine MAX_ORDER blocks (on a
 * pristine machine the selftest's 1 MiB chunks would leave only half-pageblock holes, whose
 * fragmentation index, 500 - 1000/N, always stays under extfrag_threshold).
 */
function ageSystem(k: Kernel): void {
  const desktop = createMm(k, { pid: 7, comm: 'desktop' });
  const file = createFile(k, 'usr.squashfs');
  const managed = k.nodes[0]!.zones.reduce((n, z) => n + z.managed, 0);
  const va = mmap(k, desktop, managed);
  for (let i = 0; i < managed * 0.15; i++) {
    touch(k, desktop, va + i, 1, true);
    fileRead(k, file, 3 * i, 1 + (i % 3));
  }
  exitMm(k, desktop);
  invalidateClean(k, file); // echo 1 > drop_caches
}

function compactionTest(unevictableAllowed: boolean): { lockedPages: number; hugepages: number; k: Kernel } {
  const k = new Kernel(loadMachineSpec('machine:\n  cpus: 2\n  thp: false\n  memory: 512MiB\n', 'm.yaml'));
  k.vm.compactUnevictableAllowed = unevictableAllowed;
  ageSystem(k);
  let memFree = 0;
  for (const z of k.alloc.zoneById) if (z) memFree += z.freePages;
  const lockedPages = Math.floor(memFree * 0.8);
  const mm = createMm(k, { pid: 42, comm: 'compaction_test' });
  const maps: number[] = [];
  for (let left = lockedPages; left > 0; left -= MAP_PAGES) maps.push(mmap(k, mm, MAP_PAGES, { locked: true, populate: true }));
  for (let i = 0; i < maps.length; i += 2) munmap(k, mm, maps[i]!, MAP_PAGES);
  // echo 100000 > /proc/sys/vm/nr_hugepages: allocate until the first failure.
  const huge: number[] = [];
  for (;;) {
    const pfn = k.alloc.allocPages(HTLB_GFP, PAGEBLOCK_ORDER);
    if (pfn < 0) break;
    huge.push(pfn);
  }
  checkInvariants(k.alloc);
  return { lockedPages, hugepages: huge.length, k };
}

describe('compaction_test selftest', () => {
  it('makes hugepages of at least a third of the locked memory when unevictable pages may be compacted', () => {
    const { lockedPages, hugepages, k } = compactionTest(true);
    expect(hugepages << PAGEBLOCK_ORDER).toBeGreaterThanOrEqual(lockedPages / 3);
    expect(k.alloc.events.get(VmEvent.PGMIGRATE_SUCCESS)).toBeGreaterThan(0);
    expect(k.alloc.events.get(VmEvent.COMPACT_SUCCESS)).toBeGreaterThan(0);
  });

  it('makes fewer when vm.compact_unevictable_allowed = 0 leaves the mlocked pages in place', () => {
    const allowed = compactionTest(true).hugepages;
    const notAllowed = compactionTest(false);
    expect(notAllowed.hugepages).toBeLessThan(allowed);
    expect(notAllowed.hugepages << PAGEBLOCK_ORDER).toBeLessThan(notAllowed.lockedPages / 3);
    expect(notAllowed.k.alloc.events.get(VmEvent.PGMIGRATE_SUCCESS)).toBe(0); // nothing movable was left
  });
});
