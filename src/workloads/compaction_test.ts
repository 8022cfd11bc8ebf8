/**
 * `compaction-test`: the kernel selftest tools/testing/selftests/vm/compaction_test.c (6.1),
 * written for "mm: Allow compaction of unevictable pages" (vm.compact_unevictable_allowed):
 *
 *   1. read MemFree; map MAP_LOCKED anonymous chunks of `map_size`, writing every page, until
 *      80% of MemFree is locked;
 *   2. munmap every other chunk, leaving mlocked memory interleaved with free holes;
 *   3. echo N > /proc/sys/vm/nr_hugepages, with N = (0.8 * MemFree) / hugepage size / 2: the
 *      kernel allocates hugepages (alloc_pool_huge_page(): htlb_alloc_mask | __GFP_COMP |
 *      __GFP_THISNODE | __GFP_NOWARN | __GFP_RETRY_MAYFAIL, order 9) until N or the first
 *      failure;
 *   4. pass when the hugepages cover at least a third of the locked memory. The selftest
 *      writes this as compaction_index = mem_free / (nr_hugepages * hugepage_size) > 3 fails,
 *      in integer division, which in fact passes down to just over a quarter; both figures
 *      are reported.
 *
 * Then nr_hugepages is set back to 0 and the process exits (its locked memory is freed),
 * unless `keep` holds both until the end of the run.
 *
 * `map_size`: the selftest's MAP_SIZE was 1 MiB when it was written (4.x); 6.1's source has
 * 100 MB chunks. With 100 MB chunks the holes are whole pageblocks, so hugepages come free
 * without compacting anything and the test cannot tell compact_unevictable_allowed = 0 from 1;
 * 1 MiB chunks leave half-pageblock holes next to locked pages, which is what the test is for.
 * `nr_hugepages: max` asks for as many as the kernel can make.
 *
 * Counters: mem_free_pages, locked_pages, requested, hugepages, pass (hugepages * 512 >=
 * locked / 3), compaction_index (the selftest's integer), selftest_pass (compaction_index <= 3),
 * lock_enomem (a locked chunk that could not be wholly populated).
 */
import { z } from 'zod';
import { PAGEBLOCK_NR_PAGES, PAGEBLOCK_ORDER } from '../mm/constants.js';
import { createMm, exitMm, mmap, munmap, type MmStruct } from '../mm/memory.js';
import { touch } from '../mm/fault.js';
import { ENOMEM, MmError, OomKilledError } from '../mm/mm_error.js';
import { allocBuddyHugePage } from '../mm/hugetlb.js';
import { zDuration, zSize } from '../scenario/units.js';
import { allocPid, bytesToPages, freePages, isDying, runAs, scheduleAt } from './common.js';
import type { Workload, WorkloadContext } from './workload.js';

export const compactionTestOptions = z.strictObject({
  start: zDuration.default(0).describe('when the test runs'),
  map_size: zSize.prefault('1MiB').describe('MAP_LOCKED chunk size (1 MiB as written; 100 MB in 6.1)'),
  fraction: z.number().gt(0).max(1).default(0.8).describe('share of MemFree to lock'),
  nr_hugepages: z.union([z.literal('auto'), z.literal('max'), z.number().int().min(0)]).default('auto')
    .describe('hugepages to ask for: auto = locked / hugepage size / 2 as the selftest, max = until failure, or a number'),
  keep: z.boolean().default(false).describe('keep the hugepages and the locked process until the end of the run'),
});
export type CompactionTestOptions = z.output<typeof compactionTestOptions>;

export class CompactionTestWorkload implements Workload {
  private mm: MmStruct | null = null;
  private huge: number[] = [];

  constructor(readonly name: string, private readonly o: CompactionTestOptions) {}

  start(ctx: WorkloadContext): void {
    scheduleAt(ctx, this.o.start, () => this.run(ctx));
  }

  private run(ctx: WorkloadContext): void {
    const { k, counters } = ctx;
    const n = this.name;
    const o = this.o;
    const mapPages = bytesToPages(o.map_size);
    const memFree = freePages(k);
    const lockedPages = Math.floor(memFree * o.fraction);
    counters.set(`${n}.mem_free_pages`, memFree);
    counters.set(`${n}.locked_pages`, lockedPages);
    const mm = createMm(k, { pid: allocPid(k), comm: 'compaction_test' });
    this.mm = mm;
    // 1. MAP_LOCKED chunks, every page written.
    const maps: number[] = [];
    for (let left = lockedPages; left > 0 && !isDying(k, mm); left -= mapPages) {
      try {
        const vpn = mmap(k, mm, mapPages, { locked: true });
        maps.push(vpn);
        touch(k, mm, vpn, mapPages, true);
      } catch (e) {
        if (e instanceof OomKilledError) break; // the loop's isDying() check would stop it too
        if (!(e instanceof MmError) || e.code !== -ENOMEM) throw e;
        counters.add(`${n}.lock_enomem`);
        break;
      }
    }
    // 2. Unmap every other one.
    if (!isDying(k, mm)) for (let i = 0; i < maps.length; i += 2) munmap(k, mm, maps[i]!, mapPages);
    // 3. nr_hugepages.
    const requested = o.nr_hugepages === 'auto'
      ? Math.floor(lockedPages / PAGEBLOCK_NR_PAGES / 2)
      : o.nr_hugepages === 'max' ? Infinity : o.nr_hugepages;
    counters.set(`${n}.requested`, Number.isFinite(requested) ? requested : -1);
    runAs(k, { comm: 'compaction_test', pid: mm.pid, oomScoreAdj: 0 }, () => {
      while (this.huge.length < requested) {
        const pfn = allocBuddyHugePage(k);
        if (pfn < 0) break;
        this.huge.push(pfn);
      }
    });
    // 4. The verdicts.
    const hugepages = this.huge.length;
    counters.set(`${n}.hugepages`, hugepages);
    counters.set(`${n}.pass`, hugepages * PAGEBLOCK_NR_PAGES >= lockedPages / 3 ? 1 : 0);
    const index = hugepages === 0 ? -1 : Math.floor(lockedPages / (hugepages * PAGEBLOCK_NR_PAGES));
    counters.set(`${n}.compaction_index`, index);
    counters.set(`${n}.selftest_pass`, index >= 0 && index <= 3 ? 1 : 0);
    if (!o.keep) this.release(ctx);
  }

  /** echo 0 > nr_hugepages, and the test process exits. */
  private release(ctx: WorkloadContext): void {
    for (const pfn of this.huge) ctx.k.alloc.freePages(pfn, PAGEBLOCK_ORDER);
    this.huge = [];
    if (this.mm && !this.mm.exited) exitMm(ctx.k, this.mm);
  }
}
