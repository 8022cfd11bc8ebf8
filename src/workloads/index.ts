/**
 * The workload registry: every `kind:` a scenario may use, its options schema (strict: unknown
 * options are errors) and its constructor. Add a kind by adding an entry to WORKLOAD_KINDS.
 */
import { z } from 'zod';
import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL, __GFP_RECLAIMABLE } from '../mm/gfp.js';
import { zDuration } from '../scenario/units.js';
import type { Workload, WorkloadContext } from './workload.js';
import { gpuWorkloadKind } from './gpu.js';
import { AnonWorkload, anonOptions } from './anon.js';
import { CompactMemoryWorkload, compactMemoryOptions } from './compact_memory.js';
import { CompactionTestWorkload, compactionTestOptions } from './compaction_test.js';
import { FileWorkload, fileOptions } from './file.js';
import { FragWorkload, fragOptions } from './frag.js';
import { HighallocWorkload, highallocOptions } from './highalloc.js';
import { ShmemWorkload, shmemOptions } from './shmem.js';
import { SlabWorkload, slabOptions } from './slab.js';
import { StressHighallocWorkload, stressHighallocOptions } from './stress_highalloc.js';
import { MemscenWorkload, memscenOptions } from './memscen.js';

export { type WorkloadKind, defineWorkload } from './workload.js';
import { type WorkloadKind, defineWorkload } from './workload.js';

/**
 * `churn`: random user and kernel allocations and frees at a rate (the demo's mix): MOVABLE
 * order 0, UNMOVABLE orders 0-3, RECLAIMABLE orders 0-1, keeping a target fraction allocated.
 */
const churnOptions = z.strictObject({
  rate: z.number().positive().default(1000).describe('operations per simulated second'),
  target_fill: z.number().gt(0).lt(1).default(0.8).describe('fraction of memory to keep allocated'),
  start: zDuration.default(0),
});

class ChurnWorkload implements Workload {
  private readonly pfns: number[] = [];
  private readonly orders: number[] = [];
  private allocated = 0;

  constructor(readonly name: string, private readonly o: z.infer<typeof churnOptions>) {}

  start(ctx: WorkloadContext): void {
    const period = Math.max(1, Math.round(1e9 / this.o.rate));
    let managed = 0;
    for (const z of ctx.k.alloc.zoneById) if (z) managed += z.managed;
    const target = Math.floor(managed * this.o.target_fill);
    const step = (): void => {
      this.op(ctx, target);
      if (ctx.k.clock.now + period <= ctx.endNs) ctx.k.clock.scheduleAfter(period, step);
    };
    ctx.k.clock.scheduleAt(this.o.start, step);
  }

  private op(ctx: WorkloadContext, target: number): void {
    const { k, prng } = ctx;
    const wantAlloc = this.allocated < target ? prng.nextFloat() < 0.75 : prng.nextFloat() < 0.4;
    if (wantAlloc || this.pfns.length === 0) {
      const r = prng.nextInt(100);
      const [gfp, order] = r < 70 ? [GFP_HIGHUSER_MOVABLE, 0] : r < 85 ? [GFP_KERNEL, prng.nextInt(4)] : [GFP_KERNEL | __GFP_RECLAIMABLE, prng.nextInt(2)];
      const pfn = k.alloc.allocPages(gfp, order);
      if (pfn < 0) {
        ctx.counters.add(`${this.name}.alloc_fail`);
        return;
      }
      this.pfns.push(pfn);
      this.orders.push(order);
      this.allocated += 1 << order;
      ctx.counters.add(`${this.name}.allocs`);
    } else {
      const i = prng.nextInt(this.pfns.length);
      k.alloc.freePages(this.pfns[i]!, this.orders[i]!);
      this.allocated -= 1 << this.orders[i]!;
      this.pfns[i] = this.pfns[this.pfns.length - 1]!;
      this.orders[i] = this.orders[this.orders.length - 1]!;
      this.pfns.pop();
      this.orders.pop();
      ctx.counters.add(`${this.name}.frees`);
    }
  }
}

export const WORKLOAD_KINDS: WorkloadKind[] = [
  defineWorkload(
    'churn',
    'random user (movable) and kernel (unmovable, reclaimable) page allocations and frees at a rate',
    churnOptions,
    (o, name) => new ChurnWorkload(name, o),
  ),
  defineWorkload(
    'anon',
    'processes churning anonymous memory: mmap, write and munmap chunks at a rate, with lifetimes, THP advice and mlock; OOM-killed processes restart',
    anonOptions,
    (o, name) => new AnonWorkload(name, o),
  ),
  defineWorkload(
    'file',
    'readers and writers of files through the page cache (sequential, random or zipf offsets), a periodic flusher, optional drop_caches',
    fileOptions,
    (o, name) => new FileWorkload(name, o),
  ),
  defineWorkload(
    'shmem',
    'shmem/memfd objects created and freed at a rate up to a total size; a fraction pinned (extra references, unevictable mapping)',
    shmemOptions,
    (o, name) => new ShmemWorkload(name, o),
  ),
  defineWorkload(
    'slab',
    'kernel objects in one slab cache (unmovable, or reclaimable with a shrinker) allocated and freed at random up to a target footprint',
    slabOptions,
    (o, name) => new SlabWorkload(name, o),
  ),
  defineWorkload(
    'highalloc',
    'a kernel user of high-order blocks (network or pipe buffers): attempts at a rate with given orders and gfp flags, each block held for a time',
    highallocOptions,
    (o, name) => new HighallocWorkload(name, o),
  ),
  defineWorkload(
    'stress-highalloc',
    'mmtests stress-highalloc: fill memory with a background load, then passes of order-9 attempts under load and at rest, counting % success',
    stressHighallocOptions,
    (o, name) => new StressHighallocWorkload(name, o),
  ),
  defineWorkload(
    'frag',
    "Nitin Gupta's frag recipe: fill most of memory, free 3/4 of every 2 MiB; optional compact_memory and a hugepage hog",
    fragOptions,
    (o, name) => new FragWorkload(name, o),
  ),
  defineWorkload(
    'compaction-test',
    'the compaction_test selftest: lock 80% of MemFree in MAP_LOCKED chunks, unmap every other, ask for hugepages; pass at a third',
    compactionTestOptions,
    (o, name) => new CompactionTestWorkload(name, o),
  ),
  defineWorkload(
    'compact-memory',
    'echo 1 > /proc/sys/vm/compact_memory at given times or periodically',
    compactMemoryOptions,
    (o, name) => new CompactMemoryWorkload(name, o),
  ),
  gpuWorkloadKind,
  defineWorkload(
    'memscen',
    'the real-kernel harness memscen (pinned-shmem): fill with anon/shmem/cache units, pin, fragment, hugepages before and after compact_memory, unpin, again',
    memscenOptions,
    (o, name) => new MemscenWorkload(name, o),
  ),
];

export function findWorkloadKind(kind: string): WorkloadKind | undefined {
  return WORKLOAD_KINDS.find((w) => w.kind === kind);
}
