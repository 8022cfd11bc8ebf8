/**
 * `frag`: Nitin Gupta's fragmentation recipe (the `frag` program behind "mm: Proactive
 * compaction", LKML 2020, and his post "Linux kernel hugepage allocation latencies"):
 * allocate most of free memory, then free 3/4 of the pages of every 2 MiB, leaving a quarter
 * allocated but spread over all of it, so that no free order-9 block is left ("PA space
 * fragmentation w.r.t order-9 is 100%") while everything that remains is movable.
 *
 * How: the memory is faulted in (anonymous, MADV_NOHUGEPAGE) or read into the page cache one
 * page at a time, round-robin over `keep_one_in` regions (mappings or files), so consecutive
 * physical pages belong to different regions; then all regions but the first are unmapped
 * (truncated), freeing (keep_one_in - 1)/keep_one_in of every physical 2 MiB. By default
 * the round-robin starts at a random region for each group of N pages, so the page that stays
 * is at a random place in its group. `layout: regular` keeps always the first page of each
 * group: a perfectly periodic pattern that compaction's free scanner handles badly, because
 * isolate_freepages() doubles its stride after a block yielding nothing (up to
 * COMPACT_CLUSTER_MAX = 32, sync mode included) and a stride of 32 from a block start lands
 * only on kept pages, so every fragmented block looks full to it.
 *
 * Then, optionally: `compact_at`, a write to /proc/sys/vm/compact_memory; `hog_at`, a
 * driver (Nitin's khugehog) allocating order-9 pages with `hog_gfp` until the first failure,
 * counting them, then freeing them.
 *
 * Counters: filled_pages, kept_pages; hugepages_before / extfrag_before (free order-9 blocks in
 * 2 MiB units / % of free memory in smaller blocks, right after fragmenting); hugepages_after /
 * extfrag_after (right after compact_at; without it just before the hog, or at the end of the
 * run: what kcompactd did on its own); with hog_at: hugepages_free_at_hog, hugepages_allocated,
 * hog_compact_stall, hog_pgmigrate_success (vmstat deltas during the hog).
 */
import { z } from 'zod';
import { PAGEBLOCK_ORDER } from '../mm/constants.js';
import { createFile, fileRead, fileTruncate, type File } from '../mm/file.js';
import { GFP_HIGHUSER_MOVABLE, __GFP_COMP, __GFP_NOWARN, __GFP_RETRY_MAYFAIL } from '../mm/gfp.js';
import type { CurrentTask } from '../mm/kernel.js';
import { createMm, mmap, munmap } from '../mm/memory.js';
import { touch } from '../mm/fault.js';
import { ENOMEM, MmError, OomKilledError } from '../mm/mm_error.js';
import { VmEvent } from '../mm/vmstat.js';
import { showGfpFlags } from '../trace/gfp_names.js';
import { zDuration } from '../scenario/units.js';
import { allocPid, blocksObtainable, isDying, extfragPercent, freePages, runAs, scheduleAt, zGfp } from './common.js';
import type { Workload, WorkloadContext } from './workload.js';

export const fragOptions = z.strictObject({
  memory: z.enum(['anon', 'file']).default('anon').describe('what fills memory: anonymous pages or clean page cache'),
  fill: z.number().gt(0).max(1).default(0.9).describe('fraction of MemFree to allocate (28 GiB of 32 GiB in the recipe)'),
  keep_one_in: z.number().int().min(2).max(512).default(4).describe('keep 1 page of every N (4: free 3/4 of every 2 MiB)'),
  layout: z.enum(['shuffled', 'regular']).default('shuffled')
    .describe('which page of each group of N stays: a random one, or always the first (see the note on the free scanner)'),
  start: zDuration.default(0).describe('when memory is filled and fragmented'),
  compact_at: zDuration.optional().describe('echo 1 > /proc/sys/vm/compact_memory at this time'),
  hog_at: zDuration.optional().describe('allocate order-9 pages until the first failure at this time'),
  hog_gfp: zGfp
    .prefault(showGfpFlags(GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOWARN | __GFP_RETRY_MAYFAIL))
    .describe('gfp flags of the hog\'s order-9 allocations'),
});
export type FragOptions = z.output<typeof fragOptions>;

export class FragWorkload implements Workload {
  private files: File[] = [];
  private task: CurrentTask = { comm: '', pid: 0, oomScoreAdj: 0 };
  /** hugepages_after / extfrag_after have been taken. */
  private measuredAfter = false;

  constructor(readonly name: string, private readonly o: FragOptions) {}

  start(ctx: WorkloadContext): void {
    const o = this.o;
    scheduleAt(ctx, o.start, () => this.fragment(ctx));
    if (o.compact_at !== undefined) scheduleAt(ctx, Math.max(o.compact_at, o.start), () => this.compact(ctx));
    if (o.hog_at !== undefined) scheduleAt(ctx, Math.max(o.hog_at, o.start), () => this.hog(ctx));
  }

  finish(ctx: WorkloadContext): void {
    if (!this.measuredAfter) this.measure(ctx, 'after');
  }

  private measure(ctx: WorkloadContext, when: 'before' | 'after'): void {
    if (when === 'after') this.measuredAfter = true;
    ctx.counters.set(`${this.name}.hugepages_${when}`, blocksObtainable(ctx.k, PAGEBLOCK_ORDER));
    ctx.counters.set(`${this.name}.extfrag_${when}`, extfragPercent(ctx.k, PAGEBLOCK_ORDER));
  }

  private fragment(ctx: WorkloadContext): void {
    const { k, counters } = ctx;
    const ways = this.o.keep_one_in;
    const total = Math.floor(freePages(k) * this.o.fill);
    const per = Math.floor(total / ways);
    let filled = 0;
    if (this.o.memory === 'anon') {
      const pid = allocPid(k);
      const mm = createMm(k, { pid, comm: 'frag' });
      const regions: number[] = [];
      for (let w = 0; w < ways; w++) regions.push(mmap(k, mm, per, { nohugepage: true }));
      try {
        for (let i = 0; i < per && !isDying(k, mm); i++) {
          const first = this.firstWay(ctx);
          for (let j = 0; j < ways; j++) {
            const w = (first + j) % ways;
            touch(k, mm, regions[w]! + i, 1, true);
            filled++;
          }
        }
      } catch (e) {
        if (!(e instanceof OomKilledError)) {
          if (!(e instanceof MmError) || e.code !== -ENOMEM) throw e;
          counters.add(`${this.name}.fill_enomem`);
        }
      }
      counters.set(`${this.name}.filled_pages`, filled);
      if (isDying(k, mm)) return; // the OOM killer took it
      for (let w = 1; w < ways; w++) munmap(k, mm, regions[w]!, per);
      counters.set(`${this.name}.kept_pages`, mm.anonRss);
    } else {
      this.task = { comm: 'frag', pid: allocPid(k), oomScoreAdj: 0 };
      for (let w = 0; w < ways; w++) this.files.push(createFile(k, `${this.name}.${w}`, { sizePages: per }));
      runAs(k, this.task, () => {
        try {
          for (let i = 0; i < per; i++) {
            const first = this.firstWay(ctx);
            for (let j = 0; j < ways; j++) {
              fileRead(k, this.files[(first + j) % ways]!, i, 1);
              filled++;
            }
          }
        } catch (e) {
          if (!(e instanceof MmError) || e.code !== -ENOMEM) throw e;
          counters.add(`${this.name}.fill_enomem`);
        }
      });
      counters.set(`${this.name}.filled_pages`, filled);
      for (let w = 1; w < ways; w++) fileTruncate(k, this.files[w]!, 0);
      counters.set(`${this.name}.kept_pages`, this.files[0]!.nrpages);
    }
    this.measure(ctx, 'before');
  }

  /** Which region takes the first page of the next group (the one that stays is region 0). */
  private firstWay(ctx: WorkloadContext): number {
    return this.o.layout === 'regular' ? 0 : ctx.prng.nextInt(this.o.keep_one_in);
  }

  private compact(ctx: WorkloadContext): void {
    ctx.k.compaction.compactMemory();
    this.measure(ctx, 'after');
  }

  /** khugehog: order-9 allocations until the first failure, counted, then freed. */
  private hog(ctx: WorkloadContext): void {
    const { k, counters } = ctx;
    const n = this.name;
    if (!this.measuredAfter) this.measure(ctx, 'after');
    counters.set(`${n}.hugepages_free_at_hog`, blocksObtainable(k, PAGEBLOCK_ORDER));
    const stalls = k.alloc.events.get(VmEvent.COMPACT_STALL);
    const migrated = k.alloc.events.get(VmEvent.PGMIGRATE_SUCCESS);
    const got: number[] = [];
    runAs(k, { comm: 'khugehog', pid: allocPid(k), oomScoreAdj: 0 }, () => {
      for (;;) {
        const pfn = k.alloc.allocPages(this.o.hog_gfp, PAGEBLOCK_ORDER);
        if (pfn < 0) break;
        got.push(pfn);
      }
    });
    counters.set(`${n}.hugepages_allocated`, got.length);
    counters.set(`${n}.hog_compact_stall`, k.alloc.events.get(VmEvent.COMPACT_STALL) - stalls);
    counters.set(`${n}.hog_pgmigrate_success`, k.alloc.events.get(VmEvent.PGMIGRATE_SUCCESS) - migrated);
    for (const pfn of got) k.alloc.freePages(pfn, PAGEBLOCK_ORDER);
  }
}
