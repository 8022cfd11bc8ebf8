/**
 * Kernel allocations through a slab cache (mm/slub.c, 6.1, reduced to what the page
 * allocator sees): a cache hands out objects of one size from slabs of 2^order pages, takes
 * a new slab from the page allocator when none has room (allocate_slab()) and gives an empty
 * slab back (discard_slab()). Slab pages are counted in NR_SLAB_RECLAIMABLE_B /
 * NR_SLAB_UNRECLAIMABLE_B (here in pages). A reclaimable cache (SLAB_RECLAIM_ACCOUNT, like
 * dentries and inodes) allocates with __GFP_RECLAIMABLE and offers count/scan functions for a
 * shrinker; scanning frees objects picked at random (k.prng), so slabs empty slowly and
 * reclaimable slab memory fragments as it does in the kernel.
 *
 * Simplifications: one slab in use at a time instead of per-cpu slabs and partial lists, most
 * recently freed-into slab first; no min_partial cache of empty slabs (an empty slab is freed
 * at once); objects are handles (numbers), not memory; no kmalloc_large().
 */
import { PAGE_SIZE, PAGE_ALLOC_COSTLY_ORDER } from './constants.js';
import {
  GFP_KERNEL, __GFP_COMP, __GFP_DIRECT_RECLAIM, __GFP_NOFAIL, __GFP_NOMEMALLOC, __GFP_NORETRY, __GFP_NOWARN,
  __GFP_RECLAIM, __GFP_RECLAIMABLE,
} from './gfp.js';
import type { Kernel } from './kernel.js';
import { EINVAL, ENOMEM, MmError } from './mm_error.js';
import type { Owner } from './owners.js';
import type { ShrinkControl, Shrinker } from './vmscan.js';
import { NodeStat } from './vmstat.js';

/** MAX_OBJS_PER_PAGE */
const MAX_OBJS_PER_PAGE = 32767;

export interface KmemCacheOptions {
  /** Slab order 0..3; by default calculate_order() picks it. */
  order?: number;
  /** SLAB_RECLAIM_ACCOUNT: __GFP_RECLAIMABLE slabs counted in NR_SLAB_RECLAIMABLE. */
  reclaimable?: boolean;
  /** The node slabs come from. */
  nid?: number;
}

interface Slab {
  readonly order: number;
  readonly objects: number;
  inuse: number;
  /** Free object indices (a stack). */
  readonly free: number[];
}

/** struct kmem_cache: an Owner of kind 'kernel'. */
export class KmemCache implements Owner {
  id = 0;
  readonly kind = 'kernel' as const;
  /** s->oo order and objects, and s->min's order. */
  readonly order: number;
  readonly objsPerSlab: number;
  readonly minOrder: number;
  readonly reclaimable: boolean;
  readonly nid: number;
  /** s->allocflags */
  readonly allocflags: number;
  readonly slabs = new Map<number, Slab>();
  /** Slabs with free objects, the one to use next last. */
  readonly partial: number[] = [];
  /** Live object handles (dense, for random picks) and where each sits. */
  private readonly live: number[] = [];
  private readonly livePos = new Map<number, number>();
  /** Pages held in slabs. */
  nrPages = 0;

  constructor(readonly name: string, readonly objectSize: number, opts: KmemCacheOptions, nrCpus: number) {
    this.reclaimable = opts.reclaimable ?? false;
    this.nid = opts.nid ?? 0;
    this.minOrder = getOrder(objectSize);
    this.order = opts.order ?? calculateOrder(objectSize, nrCpus);
    this.objsPerSlab = Math.floor((PAGE_SIZE << this.order) / objectSize);
    let flags = 0;
    if (this.order) flags |= __GFP_COMP;
    if (this.reclaimable) flags |= __GFP_RECLAIMABLE;
    this.allocflags = flags;
  }

  /** Live objects. */
  get nrObjects(): number {
    return this.live.length;
  }

  /** The handle of object `idx` of the slab at pfn. */
  handle(pfn: number, idx: number): number {
    return pfn * this.objsPerSlab + idx;
  }

  trackAlloc(h: number): void {
    this.livePos.set(h, this.live.length);
    this.live.push(h);
  }

  /** Forget a live handle; false if it is not live. */
  trackFree(h: number): boolean {
    const i = this.livePos.get(h);
    if (i === undefined) return false;
    const last = this.live.pop()!;
    if (last !== h) {
      this.live[i] = last;
      this.livePos.set(last, i);
    }
    this.livePos.delete(h);
    return true;
  }

  liveAt(i: number): number {
    return this.live[i]!;
  }
}

/** get_order(size) */
function getOrder(size: number): number {
  let order = 0;
  while (PAGE_SIZE << order < size) order++;
  return order;
}

/** fls() */
function fls(x: number): number {
  return x ? 32 - Math.clz32(x) : 0;
}

/** calc_slab_order() */
function calcSlabOrder(size: number, minObjects: number, maxOrder: number, fractLeftover: number): number {
  if (Math.floor(PAGE_SIZE / size) > MAX_OBJS_PER_PAGE) return getOrder(size * MAX_OBJS_PER_PAGE) - 1;
  let order = Math.max(0, getOrder(minObjects * size));
  for (; order <= maxOrder; order++) {
    const slabSize = PAGE_SIZE << order;
    if (slabSize % size <= slabSize / fractLeftover) break;
  }
  return order;
}

/** calculate_order() with slub_max_order = PAGE_ALLOC_COSTLY_ORDER and no boot overrides. */
function calculateOrder(size: number, nrCpus: number): number {
  let minObjects = 4 * (fls(nrCpus) + 1);
  const maxObjects = Math.floor((PAGE_SIZE << PAGE_ALLOC_COSTLY_ORDER) / size);
  minObjects = Math.min(minObjects, maxObjects);
  while (minObjects > 1) {
    for (let fraction = 16; fraction >= 4; fraction /= 2) {
      const order = calcSlabOrder(size, minObjects, PAGE_ALLOC_COSTLY_ORDER, fraction);
      if (order <= PAGE_ALLOC_COSTLY_ORDER) return order;
    }
    minObjects--;
  }
  return calcSlabOrder(size, 1, PAGE_ALLOC_COSTLY_ORDER, 1);
}

/**
 * kmem_cache_create(name, size, SLAB_RECLAIM_ACCOUNT?): registered as an owner. Objects up to
 * 8 pages; the order (default: calculate_order()) must be 0..3 and fit one object.
 */
export function kmemCacheCreate(k: Kernel, name: string, objectSize: number, opts: KmemCacheOptions = {}): KmemCache {
  if (!Number.isInteger(objectSize) || objectSize < 8 || objectSize > PAGE_SIZE << PAGE_ALLOC_COSTLY_ORDER) {
    throw new MmError(-EINVAL, `kmem_cache ${name}: bad object size ${objectSize}`);
  }
  const order = opts.order;
  if (order !== undefined && (!Number.isInteger(order) || order < getOrder(objectSize) || order > PAGE_ALLOC_COSTLY_ORDER)) {
    throw new MmError(-EINVAL, `kmem_cache ${name}: bad slab order ${order}`);
  }
  return k.owners.register(new KmemCache(name, objectSize, opts, k.config.cpus));
}

function slabStat(cache: KmemCache): NodeStat {
  return cache.reclaimable ? NodeStat.NR_SLAB_RECLAIMABLE : NodeStat.NR_SLAB_UNRECLAIMABLE;
}

/**
 * allocate_slab(): the preferred order first, without retrying and, when that order is above
 * the minimum, without direct reclaim; then the minimum order with the caller's flags.
 * Returns the slab's pfn or -1.
 */
function allocateSlab(k: Kernel, cache: KmemCache, gfp: number): number {
  const flags = gfp | cache.allocflags;
  let allocGfp = (flags | __GFP_NOWARN | __GFP_NORETRY) & ~__GFP_NOFAIL;
  if ((allocGfp & __GFP_DIRECT_RECLAIM) !== 0 && cache.order > cache.minOrder) {
    allocGfp = (allocGfp | __GFP_NOMEMALLOC) & ~__GFP_RECLAIM;
  }
  let order = cache.order;
  let pfn = k.alloc.allocPages(allocGfp, order, cache.nid);
  if (pfn < 0) {
    order = cache.minOrder;
    pfn = k.alloc.allocPages(flags, order, cache.nid);
    if (pfn < 0) return -1;
  }
  const nr = 1 << order;
  k.mem.mapping[k.slot(pfn)] = cache.id;
  k.mem.index[k.slot(pfn)] = 0;
  const objects = Math.floor((PAGE_SIZE << order) / cache.objectSize);
  const free: number[] = [];
  for (let i = objects - 1; i >= 0; i--) free.push(i);
  cache.slabs.set(pfn, { order, objects, inuse: 0, free });
  cache.partial.push(pfn);
  cache.nrPages += nr;
  k.modNodeStat(pfn, slabStat(cache), nr); // account_slab()
  return pfn;
}

/** discard_slab(): an empty slab goes back to the page allocator. */
function discardSlab(k: Kernel, cache: KmemCache, pfn: number, slab: Slab): void {
  const nr = 1 << slab.order;
  cache.slabs.delete(pfn);
  const i = cache.partial.lastIndexOf(pfn);
  if (i >= 0) cache.partial.splice(i, 1);
  cache.nrPages -= nr;
  k.modNodeStat(pfn, slabStat(cache), -nr); // unaccount_slab()
  k.mem.mapping[k.slot(pfn)] = 0;
  k.putPage(pfn);
}

/**
 * kmem_cache_alloc(): an object handle (>= 0), or -ENOMEM if no slab has room and a new one
 * cannot be allocated (GFP_KERNEL by default).
 */
export function kmemCacheAlloc(k: Kernel, cache: KmemCache, gfp = GFP_KERNEL): number {
  let pfn = cache.partial.length ? cache.partial[cache.partial.length - 1]! : -1;
  if (pfn < 0) {
    pfn = allocateSlab(k, cache, gfp);
    if (pfn < 0) return -ENOMEM;
  }
  const slab = cache.slabs.get(pfn)!;
  const idx = slab.free.pop()!;
  slab.inuse++;
  if (slab.inuse === slab.objects) cache.partial.pop();
  const h = cache.handle(pfn, idx);
  cache.trackAlloc(h);
  return h;
}

/** Allocate up to n objects; returns how many were allocated (stops at the first -ENOMEM). */
export function kmemCacheAllocBulk(k: Kernel, cache: KmemCache, n: number, gfp = GFP_KERNEL): number {
  if (!Number.isInteger(n) || n < 0) throw new MmError(-EINVAL, `kmem_cache_alloc_bulk: bad count ${n}`);
  for (let i = 0; i < n; i++) if (kmemCacheAlloc(k, cache, gfp) < 0) return i;
  return n;
}

/** kmem_cache_free(): the object's slab frees it; an empty slab is discarded. */
export function kmemCacheFree(k: Kernel, cache: KmemCache, handle: number): void {
  if (!cache.trackFree(handle)) throw new MmError(-EINVAL, `kmem_cache_free(${cache.name}): ${handle} is not a live object`);
  const pfn = Math.floor(handle / cache.objsPerSlab);
  const idx = handle - pfn * cache.objsPerSlab;
  const slab = cache.slabs.get(pfn)!;
  const wasFull = slab.inuse === slab.objects;
  slab.free.push(idx);
  slab.inuse--;
  if (slab.inuse === 0) discardSlab(k, cache, pfn, slab);
  else if (wasFull) cache.partial.push(pfn);
}

/** The shrinker's count_objects(): freeable objects (0 for an unreclaimable cache). */
export function kmemCacheCount(cache: KmemCache): number {
  return cache.reclaimable ? cache.nrObjects : 0;
}

/**
 * The shrinker's scan_objects(): free up to nr objects picked at random (as an LRU of
 * dentries or inodes is spread over slabs). Returns the number freed.
 */
export function kmemCacheScan(k: Kernel, cache: KmemCache, nr: number): number {
  if (!cache.reclaimable) return 0;
  let freed = 0;
  while (freed < nr && cache.nrObjects > 0) {
    kmemCacheFree(k, cache, cache.liveAt(k.prng.nextInt(cache.nrObjects)));
    freed++;
  }
  return freed;
}

/**
 * A shrinker for a reclaimable cache (what the dcache/icache super_block shrinkers are to the
 * dentry and inode caches): count_objects = live objects on the shrinker's node, scan_objects
 * frees sc.nrToScan of them. Register it with k.vmscan.registerShrinker().
 */
export function kmemCacheShrinker(k: Kernel, cache: KmemCache): Shrinker {
  return {
    name: `${cache.name}-shrinker`,
    countObjects: (sc: ShrinkControl) => (sc.nid === cache.nid ? kmemCacheCount(cache) : 0),
    scanObjects: (sc: ShrinkControl) => {
      if (sc.nid !== cache.nid) return 0;
      return kmemCacheScan(k, cache, sc.nrToScan);
    },
  };
}

/** kmem_cache_destroy(): free every object and slab, and forget the cache. */
export function kmemCacheDestroy(k: Kernel, cache: KmemCache): void {
  while (cache.nrObjects > 0) kmemCacheFree(k, cache, cache.liveAt(cache.nrObjects - 1));
  k.owners.unregister(cache);
}
