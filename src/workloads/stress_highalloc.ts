/**
 * `stress-highalloc`: modelled on mmtests' stress-highalloc benchmark (configs
 * config-global-dhp__background-highalloc-{hugetlbfs,thp}-performance; kernel side
 * stap-scripts/highalloc.stp; report MMTests::ExtractStresshighalloc). mmtests fills memory
 * with a background load (kernbench, fsmark-threaded, postmark: page cache, anonymous memory
 * and filesystem metadata), then a kernel module makes HIGHALLOC_COUNT attempts to allocate
 * order-9 blocks (enough for HIGHALLOC_PERCENTAGE = 95% of memory), one every MS_DELAY ms
 * (HIGHALLOC_ALLOC_RATE = 16 MB/s: 125 ms for 2 MiB), holding what it gets until the end of
 * the pass. It reports each pass as "HighAlloc Under Load Test Results Pass 1", "... Pass 2"
 * and, once the load has been killed, "HighAlloc Test Results while Rested" — Attempted
 * allocations, Success allocs, Failed allocs, per-zone allocs and "% Success" (changelogs
 * quote them as "Success 1/2/3").
 *
 * Here: at `start`, memory is filled to `fill` of managed memory with page cache (a file read
 * sequentially), anonymous memory (kernbench-like processes, `anon_fraction` of the fill) and
 * reclaimable slab (dentry-sized objects, `slab_fraction`); that load keeps running (file
 * reads and writes at `load_mb_per_sec`, processes exiting and restarting, dentries churning)
 * through the under-load passes, then is stopped (processes killed; the cache and the slab
 * objects stay) `rest_delay` before the rested pass. Between passes the blocks are freed and
 * the test sleeps `pause`. Allocation attempts take no simulated time (compaction and reclaim
 * are instantaneous in the model), so latency is not reported; the vmstat deltas of each pass
 * say what it cost instead.
 *
 * Counters, N = 1, 2 (under load) and 3 (rested): passN.attempts, passN.success,
 * passN.fail, passN.success_pct (integer, (success * 100) / attempts, as highalloc.stp
 * prints "% Success"), passN.<zone>_allocs (dma, dma32, normal, movable), passN.compact_stall,
 * passN.compact_success, passN.pgmigrate_success; attempts_per_pass, delay_ms; and the load's
 * own counters under <name>.anon.*, <name>.file.*, <name>.slab.*.
 */
import { z } from 'zod';
import { PAGE_SIZE, ZONE_NAMES } from '../mm/constants.js';
import {
  GFP_HIGHUSER_MOVABLE, __GFP_COMP, __GFP_KSWAPD_RECLAIM, __GFP_NOMEMALLOC, __GFP_NORETRY, __GFP_NOWARN, __GFP_RETRY_MAYFAIL,
} from '../mm/gfp.js';
import { createFile, fileRead } from '../mm/file.js';
import type { CurrentTask } from '../mm/kernel.js';
import { ENOMEM, MmError } from '../mm/mm_error.js';
import { VmEvent } from '../mm/vmstat.js';
import { parseGfpFlags } from '../trace/gfp_names.js';
import { zDuration } from '../scenario/units.js';
import { AnonWorkload, anonOptions } from './anon.js';
import { allocPid, managedPages, runAs, scheduleAt } from './common.js';
import { FileWorkload, fileOptions } from './file.js';
import { SlabWorkload, slabOptions } from './slab.js';
import type { Workload, WorkloadContext } from './workload.js';

/** GFP_ALLOC_LIKE_HUGETLB of highalloc.stp in 6.1 terms (__GFP_REPEAT became __GFP_RETRY_MAYFAIL), with the __GFP_NOWARN it adds. */
export const GFP_ALLOC_LIKE_HUGETLB = GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_RETRY_MAYFAIL | __GFP_NOWARN;
/** GFP_ALLOC_LIKE_THP (GFP_HIGHUSER_MOVABLE | __GFP_NOMEMALLOC | __GFP_NORETRY | __GFP_NO_KSWAPD) in 6.1 terms. */
export const GFP_ALLOC_LIKE_THP = (GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOMEMALLOC | __GFP_NORETRY | __GFP_NOWARN) & ~__GFP_KSWAPD_RECLAIM;

const zHighallocGfp = z.string().transform((s, ctx) => {
  if (s === 'GFP_ALLOC_LIKE_HUGETLB') return GFP_ALLOC_LIKE_HUGETLB;
  if (s === 'GFP_ALLOC_LIKE_THP') return GFP_ALLOC_LIKE_THP;
  try {
    return parseGfpFlags(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `expected GFP_ALLOC_LIKE_HUGETLB, GFP_ALLOC_LIKE_THP or gfp flags (${(e as Error).message})` });
    return z.NEVER;
  }
});

export const stressHighallocOptions = z.strictObject({
  order: z.number().int().min(1).max(10).default(9).describe('order of the test allocations'),
  gfp: zHighallocGfp.prefault('GFP_ALLOC_LIKE_HUGETLB').describe('GFP_ALLOC_LIKE_HUGETLB, GFP_ALLOC_LIKE_THP, or gfp flags'),
  percent: z.number().gt(0).max(100).default(95).describe('HIGHALLOC_PERCENTAGE: attempts enough for this % of memory'),
  mb_per_sec: z.number().positive().default(16).describe('HIGHALLOC_ALLOC_RATE: sets the delay between attempts'),
  attempts: z.number().int().min(1).optional().describe('attempts per pass (default: from percent)'),
  passes_under_load: z.number().int().min(0).max(10).default(2).describe('passes while the load runs (mmtests: 2)'),
  rested: z.boolean().default(true).describe('a last pass after the load is killed'),
  pause: zDuration.prefault('5s').describe('sleep between passes'),
  rest_delay: zDuration.prefault('5s').describe('sleep between killing the load and the rested pass'),
  settle: zDuration.prefault('5s').describe('load running between the fill and the first pass'),
  fill: z.number().gt(0).max(1).default(0.9).describe('share of managed memory the load fills at start'),
  anon_fraction: z.number().min(0).max(1).default(0.3).describe('share of the fill that is anonymous memory'),
  slab_fraction: z.number().min(0).max(0.5).default(0.05).describe('share of managed memory in reclaimable slab (fs metadata)'),
  load_mb_per_sec: z.number().min(0).default(32).describe('file I/O of the load while it runs'),
  load_processes: z.number().int().min(1).max(256).default(4).describe('kernbench-like processes of the load (they share the anonymous part of the fill)'),
  start: zDuration.default(0).describe('when the fill starts'),
});
export type StressHighallocOptions = z.output<typeof stressHighallocOptions>;

const ns = (t: number): string => `${Math.round(t)}ns`;

export class StressHighallocWorkload implements Workload {
  private readonly load: Workload[] = [];
  private readonly loadCtx: WorkloadContext[] = [];
  private held: number[] = [];
  private task: CurrentTask = { comm: '', pid: 0, oomScoreAdj: 0 };

  constructor(readonly name: string, private readonly o: StressHighallocOptions) {}

  /** MS_DELAY: 2^order pages at mb_per_sec, in whole ms as the shell script computes it. */
  delayNs(): number {
    const bytesPerMs = Math.floor((this.o.mb_per_sec * 1048576) / 1000);
    return Math.max(1, Math.floor((PAGE_SIZE << this.o.order) / bytesPerMs)) * 1e6;
  }

  start(ctx: WorkloadContext): void {
    const { k } = ctx;
    const o = this.o;
    const n = this.name;
    this.task = { comm: 'highalloc', pid: allocPid(k), oomScoreAdj: 0 };
    const managed = managedPages(k);
    const count = o.attempts ?? Math.max(1, Math.floor((managed * o.percent) / 100 / (1 << o.order)));
    const delay = this.delayNs();
    ctx.counters.set(`${n}.attempts_per_pass`, count);
    ctx.counters.set(`${n}.delay_ms`, delay / 1e6);
    const passLen = count * delay;

    // The schedule: fill, settle, load passes separated by pauses, kill the load, rest, rested pass.
    let t = o.start + o.settle;
    const passes: { n: number; at: number }[] = [];
    for (let i = 0; i < o.passes_under_load; i++) {
      passes.push({ n: i + 1, at: t });
      t += passLen + o.pause;
    }
    const loadStop = t;
    if (o.rested) passes.push({ n: o.passes_under_load + 1, at: loadStop + o.rest_delay });

    // The background load, as sub-workloads with their own random streams.
    const fillPages = Math.floor(managed * o.fill);
    const anonPages = Math.floor(fillPages * o.anon_fraction);
    const slabBytes = Math.floor(managed * o.slab_fraction) * PAGE_SIZE;
    const window = { start: ns(o.start), stop: ns(loadStop) };
    const sub = (w: Workload): void => {
      this.load.push(w);
      this.loadCtx.push({ ...ctx, prng: ctx.prng.fork() });
    };
    if (anonPages > 0) {
      const per = Math.max(1, Math.floor(anonPages / o.load_processes)) * PAGE_SIZE;
      sub(new AnonWorkload(`${n}.anon`, anonOptions.parse({
        processes: o.load_processes, rss: { dist: 'uniform', min: Math.ceil(per / 2), max: Math.ceil(per * 1.5) },
        chunk: '1MiB', rate: 20, unmap_fraction: 0.2, lifetime: '20s', respawn_delay: '500ms', comm: 'cc1', ...window,
      })));
    }
    if (o.load_mb_per_sec > 0) {
      sub(new FileWorkload(`${n}.file`, fileOptions.parse({
        files: 1, size: 2 * managed * PAGE_SIZE, io_size: '1MiB', rate: o.load_mb_per_sec, write_fraction: 0.1,
        pattern: 'sequential', ...window,
      })));
    }
    if (slabBytes > 0) {
      sub(new SlabWorkload(`${n}.slab`, slabOptions.parse({
        cache_name: 'dentry', object_size: 192, reclaimable: true, target: slabBytes,
        alloc_rate: Math.ceil(slabBytes / 192 / 10), free_rate: Math.ceil(slabBytes / 192 / 100), ...window,
      })));
    }
    scheduleAt(ctx, o.start, () => this.fill(ctx, fillPages - anonPages - Math.floor(slabBytes / PAGE_SIZE)));
    for (let i = 0; i < this.load.length; i++) this.load[i]!.start(this.loadCtx[i]!);
    for (const p of passes) this.schedulePass(ctx, p.n, p.at, count, delay);
  }

  finish(_ctx: WorkloadContext): void {
    for (let i = 0; i < this.load.length; i++) this.load[i]!.finish?.(this.loadCtx[i]!);
  }

  /** The page cache part of the fill: a file read at once (what a kernel source tree untar leaves). */
  private fill(ctx: WorkloadContext, pages: number): void {
    if (pages <= 0) return;
    const { k } = ctx;
    const file = createFile(k, `${this.name}.tree`, { sizePages: pages });
    runAs(k, this.task, () => {
      try {
        fileRead(k, file, 0, pages);
      } catch (e) {
        if (!(e instanceof MmError) || e.code !== -ENOMEM) throw e;
        ctx.counters.add(`${this.name}.fill_enomem`);
      }
    });
    ctx.counters.set(`${this.name}.fill_cache_pages`, file.nrpages);
  }

  private schedulePass(ctx: WorkloadContext, pass: number, at: number, count: number, delay: number): void {
    const { k, counters } = ctx;
    const p = `${this.name}.pass${pass}`;
    let done = 0;
    let success = 0;
    const zoneAllocs = new Array<number>(ZONE_NAMES.length).fill(0);
    let stall0 = 0;
    let compactOk0 = 0;
    let migrated0 = 0;
    const attempt = (): void => {
      if (done === 0) {
        stall0 = k.alloc.events.get(VmEvent.COMPACT_STALL);
        compactOk0 = k.alloc.events.get(VmEvent.COMPACT_SUCCESS);
        migrated0 = k.alloc.events.get(VmEvent.PGMIGRATE_SUCCESS);
      }
      const pfn = runAs(k, this.task, () => k.alloc.allocPages(this.o.gfp, this.o.order));
      done++;
      if (pfn >= 0) {
        success++;
        this.held.push(pfn);
        zoneAllocs[k.zoneOf(pfn).type]!++;
      }
      counters.set(`${p}.attempts`, done);
      counters.set(`${p}.success`, success);
      counters.set(`${p}.fail`, done - success);
      counters.set(`${p}.success_pct`, Math.floor((success * 100) / count));
      if (done < count && scheduleAt(ctx, k.clock.now + delay, attempt)) return;
      // Test complete: the report, then the pages are freed.
      for (let z = 0; z < ZONE_NAMES.length - 1; z++) counters.set(`${p}.${ZONE_NAMES[z]!.toLowerCase()}_allocs`, zoneAllocs[z]!);
      counters.set(`${p}.compact_stall`, k.alloc.events.get(VmEvent.COMPACT_STALL) - stall0);
      counters.set(`${p}.compact_success`, k.alloc.events.get(VmEvent.COMPACT_SUCCESS) - compactOk0);
      counters.set(`${p}.pgmigrate_success`, k.alloc.events.get(VmEvent.PGMIGRATE_SUCCESS) - migrated0);
      for (const pfn of this.held) k.alloc.freePages(pfn, this.o.order);
      this.held = [];
    };
    scheduleAt(ctx, at, attempt);
  }
}
