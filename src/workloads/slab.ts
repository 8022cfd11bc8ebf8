/**
 * `slab`: kernel allocations through one slab cache: unmovable (kmalloc-like, network or
 * driver objects) or reclaimable (SLAB_RECLAIM_ACCOUNT, dentry/inode-like, with a shrinker
 * reclaim can call). Objects are allocated at `alloc_rate` while the cache's slab pages are
 * below `target`, and random live objects are freed at `free_rate`, so slabs end up partly
 * used and spread over memory as long-lived kernel caches are. Work is batched per `tick`.
 *
 * Stopping ends the churn; the objects stay (kernel memory outlives the load) unless
 * `destroy_at_stop`.
 *
 * Counters: allocs, frees, alloc_fail (kmem_cache_alloc() returned -ENOMEM: the rest of that
 * tick's allocations are skipped); at the end: objects, slab_pages, shrinker_freed (objects
 * the shrinker took: allocs - frees - objects).
 */
import { z } from 'zod';
import { PAGE_ALLOC_COSTLY_ORDER, PAGE_SIZE } from '../mm/constants.js';
import { GFP_KERNEL } from '../mm/gfp.js';
import type { CurrentTask } from '../mm/kernel.js';
import { kmemCacheAlloc, kmemCacheCreate, kmemCacheDestroy, kmemCacheFree, kmemCacheShrinker, type KmemCache } from '../mm/slab.js';
import type { Shrinker } from '../mm/vmscan.js';
import { showGfpFlags } from '../trace/gfp_names.js';
import { zDuration, zSize } from '../scenario/units.js';
import { allocPid, bytesToPages, every, scheduleAt, windowEnd, windowShape, zGfp } from './common.js';
import type { Workload, WorkloadContext } from './workload.js';

export const slabOptions = z
  .strictObject({
    cache_name: z.string().min(1).optional().describe('the cache\'s name (default: the workload name)'),
    object_size: zSize.default(192).describe('object size in bytes (8 B .. 32 KiB); 192 is a dentry'),
    order: z.number().int().min(0).max(PAGE_ALLOC_COSTLY_ORDER).optional().describe('slab order 0..3 (default: what SLUB\'s calculate_order() picks)'),
    reclaimable: z.boolean().default(false).describe('SLAB_RECLAIM_ACCOUNT: __GFP_RECLAIMABLE slabs, and a shrinker'),
    gfp: zGfp.prefault(showGfpFlags(GFP_KERNEL)).describe('kmem_cache_alloc() gfp flags'),
    target: zSize.prefault('32MiB').describe('slab memory the cache grows to (allocations pause above it)'),
    alloc_rate: z.number().min(0).default(20000).describe('objects allocated per simulated second (below target)'),
    free_rate: z.number().min(0).optional().describe('random live objects freed per simulated second (default: alloc_rate / 2)'),
    tick: zDuration.prefault('10ms').describe('batching interval'),
    destroy_at_stop: z.boolean().default(false).describe('kmem_cache_destroy() when the workload stops'),
    ...windowShape,
  })
  .refine((o) => o.object_size >= 8 && o.object_size <= PAGE_SIZE << PAGE_ALLOC_COSTLY_ORDER, {
    message: 'a size from 8 bytes to 32KiB',
    path: ['object_size'],
  })
  .refine((o) => o.tick > 0, { message: 'a positive duration', path: ['tick'] });
export type SlabOptions = z.output<typeof slabOptions>;

export class SlabWorkload implements Workload {
  private cache: KmemCache | null = null;
  private shrinker: Shrinker | null = null;
  private readonly targetPages: number;
  private allocCarry = 0;
  private freeCarry = 0;
  private task: CurrentTask = { comm: '', pid: 0, oomScoreAdj: 0 };
  private cpu = 0;
  /** Counter names, built once. */
  private readonly n: Record<'allocs' | 'frees' | 'fail', string>;

  constructor(readonly name: string, private readonly o: SlabOptions) {
    this.n = { allocs: `${name}.allocs`, frees: `${name}.frees`, fail: `${name}.alloc_fail` };
    this.targetPages = bytesToPages(o.target);
  }

  start(ctx: WorkloadContext): void {
    const { k } = ctx;
    const o = this.o;
    this.task = { comm: 'kworker', pid: allocPid(k), oomScoreAdj: 0 };
    this.cpu = this.task.pid % k.config.cpus;
    const opts: { reclaimable: boolean; order?: number } = { reclaimable: o.reclaimable };
    if (o.order !== undefined) opts.order = o.order;
    this.cache = kmemCacheCreate(k, o.cache_name ?? this.name, o.object_size, opts);
    if (o.reclaimable) {
      this.shrinker = kmemCacheShrinker(k, this.cache);
      k.vmscan.registerShrinker(this.shrinker);
    }
    every(ctx, o.start, o.tick, windowEnd(ctx, o.stop) - 1, () => this.tick(ctx));
    if (o.stop !== undefined && o.destroy_at_stop) scheduleAt(ctx, o.stop, () => this.destroy(ctx));
  }

  finish(ctx: WorkloadContext): void {
    const c = ctx.counters;
    const objects = this.cache ? this.cache.nrObjects : 0;
    c.set(`${this.name}.objects`, objects);
    c.set(`${this.name}.slab_pages`, this.cache ? this.cache.nrPages : 0);
    c.set(`${this.name}.shrinker_freed`, c.get(`${this.name}.allocs`) - c.get(`${this.name}.frees`) - objects - c.get(`${this.name}.destroyed`));
  }

  private tick(ctx: WorkloadContext): void {
    const cache = this.cache;
    if (!cache) return;
    const { k, prng, counters } = ctx;
    const o = this.o;
    const secs = o.tick / 1e9;
    this.allocCarry += o.alloc_rate * secs;
    this.freeCarry += (o.free_rate ?? o.alloc_rate / 2) * secs;
    let nAlloc = Math.floor(this.allocCarry);
    let nFree = Math.floor(this.freeCarry);
    this.allocCarry -= nAlloc;
    this.freeCarry -= nFree;
    let allocs = 0;
    let frees = 0;
    const prev = k.current;
    k.setCurrent(this.task);
    k.alloc.cpu = this.cpu;
    try {
      while (nAlloc-- > 0 && cache.nrPages < this.targetPages) {
        if (kmemCacheAlloc(k, cache, o.gfp) < 0) {
          counters.add(this.n.fail);
          break;
        }
        allocs++;
      }
      while (nFree-- > 0 && cache.nrObjects > 0) {
        kmemCacheFree(k, cache, cache.liveAt(prng.nextInt(cache.nrObjects)));
        frees++;
      }
    } finally {
      k.setCurrent(prev);
    }
    counters.add(this.n.allocs, allocs);
    counters.add(this.n.frees, frees);
  }

  private destroy(ctx: WorkloadContext): void {
    const cache = this.cache;
    if (!cache) return;
    ctx.counters.add(`${this.name}.destroyed`, cache.nrObjects);
    if (this.shrinker) ctx.k.vmscan.unregisterShrinker(this.shrinker);
    kmemCacheDestroy(ctx.k, cache);
    this.cache = null;
  }
}
