/**
 * The GEM device (drivers/gpu/drm/i915/gem/i915_gem_shrinker.c, i915_gem_shmem.c, 6.1; the
 * 4.9 struct_mutex for the 2016 hook): the objects and the shrinker's lists, i915_gem_shrink(),
 * the "drm-i915_gem" shrinker and the OOM notifier registered with the kernel model, runtime
 * suspend, the driver lock the migratepage hook tries for 10 ms, the GPU engines, and
 * execbuf: objects re-faulted because they had been unpinned make the GPU wait.
 *
 * The lock model: `holdLock(ns)` says another task holds the driver lock until now + ns (an
 * execbuf, an eviction, a GPU reset). The hook waits for it up to 10 ms, or -EBUSY. Code
 * running inside the driver (lockDepth > 0: get_pages, execbuf) holds the lock itself, so a
 * hook reached from its own allocations proceeds (the 4.9 shrinker lock's "lock stealing",
 * mutex_is_locked_by(current)).
 */
import type { Kernel } from '../../mm/kernel.js';
import { shmemEvictInode, shmemSetDevInfo, ShmemInode, type ShmemDevInfo } from '../../mm/shmem.js';
import { getNrSwapPages } from '../../mm/swapfile.js';
import { DEFAULT_SEEKS, SHRINK_BATCH, SHRINK_STOP, type ShrinkControl, type Shrinker } from '../../mm/vmscan.js';
import { GpuEngine, type GemRequest } from './engine.js';
import {
  ENOENT, I915_GEM_OBJECT_UNBIND_ACTIVE, I915_GEM_OBJECT_UNBIND_TEST, I915_SHRINK_ACTIVE, I915_SHRINK_BOUND,
  I915_SHRINK_UNBOUND, I915_SHRINK_WRITEBACK, Madv,
} from './flags.js';
import { createShmemDevInfo } from './migratepage.js';
import { GemObject, type GemVma } from './object.js';
import { type GemPolicy, gemPolicy } from './policy.js';

const PAGE_SIZE = 4096;

/** What the device counts. Times are ns of simulated time. */
export class GemStats {
  objectsCreated = 0;
  objectsFreed = 0;
  getPagesCalls = 0;
  getPagesFail = 0;
  /** Pages acquired again by objects that had been unpinned (by the shrinker or the hook). */
  refaultPages = 0;
  /** The GPU's wait for those re-faults (refaultPages x the per-page cost). */
  gpuStallNs = 0;
  execbufs = 0;
  execbufFail = 0;
  // The migratepage hook
  hookCalls = 0;
  hookNoPrivate = 0;
  hookNotPinned = 0;
  hookEbusyLock = 0;
  hookEbusyActive = 0;
  hookEbusyPurgeable = 0;
  hookEbusyPinnedPages = 0;
  hookEbusyPinnedVma = 0;
  hookEbusySuspended = 0;
  hookEbusyDropFailed = 0;
  hookEbusyOverref = 0;
  hookMigrated = 0;
  hookMigrateFailed = 0;
  hookObjectsDropped = 0;
  hookPagesUnpinned = 0;
  hookLockStolen = 0;
  /** Time the hook waited for the driver lock (at most 10 ms a call). */
  hookLockWaitNs = 0;
  /** seed-wait-idle: time the hook waited for the GPU, and how often. */
  hookWaitNs = 0;
  hookWaits = 0;
  /** The lock helper's wait for the whole GPU to go idle (policy.lockWaitsForIdle). */
  hookGpuIdleWaitNs = 0;
  hookGpuIdleWaits = 0;
  // The shrinker and the OOM notifier
  shrinkerScans = 0;
  shrinkerFreedPages = 0;
  /** kswapd's I915_SHRINK_ACTIVE pass waiting for the GPU. */
  shrinkWaitNs = 0;
  oomNotifierCalls = 0;
  oomNotifierFreedPages = 0;
  purgedObjects = 0;
  purgedPages = 0;
  writebackPages = 0;
  /** Stalls charged to the task that was current (the allocating task), by pid. */
  readonly taskStallNs = new Map<number, { comm: string; ns: number }>();
}

export interface GemDeviceOptions {
  /** A name for the device's files and logs (default "i915"). */
  name?: string;
  /** GPU engines (default 1). */
  engines?: number;
  /** The GPU's wait per re-faulted page, ns (default 1000). */
  refaultCostNsPerPage?: number;
  /** Register the shrinker and the OOM notifier (default true). */
  registerShrinker?: boolean;
}

export interface ExecbufOptions {
  engine?: number;
  durationNs: number;
  /** How long this execbuf holds the driver lock, ns (default 0). */
  lockHoldNs?: number;
}

export class GemDevice {
  readonly policy: GemPolicy;
  readonly name: string;
  readonly stats = new GemStats();
  readonly engines: GpuEngine[];
  /** i915->mm.purge_list and shrink_list, in list order. */
  readonly purgeList = new Set<GemObject>();
  readonly shrinkList = new Set<GemObject>();
  /** i915->mm.shrink_count / shrink_memory (in pages). */
  shrinkCount = 0;
  shrinkMemoryPages = 0;
  readonly shmemInfo: ShmemDevInfo;
  readonly shrinker: Shrinker;
  /** Kernel log lines the driver printed (pr_info). */
  readonly log: string[] = [];
  refaultCostNsPerPage: number;
  /** Another task holds the driver lock until this time. */
  lockBusyUntilNs = 0;
  /** Nesting depth of driver code on the current call chain (it holds the lock). */
  lockDepth = 0;
  private readonly objects = new Map<number, GemObject>();
  private nextId = 1;
  private suspendRequested = false;
  private wakerefs = 0;
  private registered = false;
  private readonly oomNotifier = (): number => this.i915GemShrinkerOom();

  constructor(readonly k: Kernel, policy: GemPolicy | string, opts: GemDeviceOptions = {}) {
    this.policy = typeof policy === 'string' ? gemPolicy(policy) : policy;
    this.name = opts.name ?? 'i915';
    this.refaultCostNsPerPage = opts.refaultCostNsPerPage ?? 1000;
    const n = opts.engines ?? 1;
    this.engines = Array.from({ length: n }, (_, i) => new GpuEngine(k, `${this.name}.engine${i}`, (rq) => this.retired(rq)));
    this.shmemInfo = createShmemDevInfo(this);
    this.shrinker = {
      name: 'drm-i915_gem',
      countObjects: (sc) => this.i915GemShrinkerCount(sc),
      scanObjects: (sc) => this.i915GemShrinkerScan(sc),
      batch: 4096,
      seeks: DEFAULT_SEEKS,
    };
    if (opts.registerShrinker ?? true) this.register();
  }

  /** i915_gem_driver_register__shrinker() */
  register(): void {
    if (this.registered) return;
    this.registered = true;
    this.k.vmscan.registerShrinker(this.shrinker);
    this.k.oom.registerNotifier(this.oomNotifier);
  }

  /** i915_gem_driver_unregister__shrinker() */
  unregister(): void {
    if (!this.registered) return;
    this.registered = false;
    this.k.vmscan.unregisterShrinker(this.shrinker);
    const i = this.k.oom.notifiers.indexOf(this.oomNotifier);
    if (i >= 0) this.k.oom.notifiers.splice(i, 1);
  }

  // --- objects ---

  /**
   * i915_gem_object_create_shmem() -> shmem_object_init(): a shmem file of the size (whole
   * pages) with the policy's gfp mask and, if the policy has the hook, the device's
   * shmem_dev_info. The object has no pages yet.
   */
  createObject(sizeBytes: number, name?: string): GemObject {
    const nPages = Math.max(1, Math.ceil(sizeBytes / PAGE_SIZE));
    const id = this.nextId++;
    const inode = new ShmemInode(name ?? `${this.name}-obj-${id}`, this.policy.gfpMask);
    inode.sizeLimitPages = nPages;
    this.k.owners.register(inode);
    if (this.policy.hook !== 'none') shmemSetDevInfo(inode, this.shmemInfo);
    const obj = new GemObject(this, id, inode, nPages * PAGE_SIZE);
    this.objects.set(id, obj);
    this.stats.objectsCreated++;
    return obj;
  }

  /** The object patch 2/2 finds from page->private. */
  objectById(id: number): GemObject | undefined {
    return this.objects.get(id);
  }

  /** Live objects, in creation order. */
  allObjects(): IterableIterator<GemObject> {
    return this.objects.values();
  }

  get objectCount(): number {
    return this.objects.size;
  }

  /**
   * The last handle is closed (gem_close): the object is released now if idle, otherwise
   * once its last request retires (by the free worker, on the next clock event).
   */
  closeObject(obj: GemObject): void {
    if (obj.freed || obj.closed) return;
    obj.closed = true;
    if (!obj.isActive()) this.freeObject(obj);
  }

  /**
   * i915_gem_free_object(): every VMA unbound and unpinned (their owners are gone), other
   * pins dropped, the pages put, and the shmem file truncated and released.
   */
  private freeObject(obj: GemObject): void {
    if (obj.freed) return;
    for (const v of obj.vmas) {
      v.pinCount = 0;
      v.bound = false;
    }
    obj.pagesPinCount = 0;
    obj.putPages();
    shmemEvictInode(this.k, obj.inode);
    obj.freed = true;
    this.objects.delete(obj.id);
    this.stats.objectsFreed++;
  }

  /**
   * i915_gem_madvise_ioctl(): a WILLNEED/DONTNEED change moves an object with pages between
   * the shrink and purge lists; a DONTNEED object without pages is truncated at once.
   */
  madvise(obj: GemObject, madv: Madv.WILLNEED | Madv.DONTNEED): Madv {
    if (obj.madv === Madv.PURGED) return obj.madv;
    obj.madv = madv;
    if (obj.pages && obj.shrinkPin === 0) {
      this.removeFromLists(obj);
      this.addToLists(obj);
    }
    if (madv === Madv.DONTNEED && !obj.pages) obj.truncate();
    return obj.madv;
  }

  /** i915_gem_object_make_unshrinkable() */
  makeUnshrinkable(obj: GemObject): void {
    obj.shrinkPin++;
    if (obj.shrinkPin === 1) this.removeFromLists(obj);
  }

  /** i915_gem_object_make_shrinkable() / make_purgeable() */
  makeShrinkable(obj: GemObject): void {
    if (obj.shrinkPin <= 0) throw new Error(`${obj.inode.name} is not unshrinkable`);
    obj.shrinkPin--;
    if (obj.shrinkPin === 0 && obj.pages) this.addToLists(obj);
  }

  /** __i915_gem_object_set_pages(): shrinkable objects go on a list. */
  onSetPages(obj: GemObject): void {
    if (obj.shrinkPin === 0) this.addToLists(obj);
  }

  /** __i915_gem_object_unset_pages() -> make_unshrinkable(): off the lists. */
  onUnsetPages(obj: GemObject): void {
    this.removeFromLists(obj);
  }

  private addToLists(obj: GemObject): void {
    if (this.purgeList.has(obj) || this.shrinkList.has(obj)) return;
    (obj.madv === Madv.WILLNEED ? this.shrinkList : this.purgeList).add(obj);
    this.shrinkCount++;
    this.shrinkMemoryPages += obj.nPages;
  }

  private removeFromLists(obj: GemObject): void {
    if (!this.purgeList.delete(obj) && !this.shrinkList.delete(obj)) return;
    this.shrinkCount--;
    this.shrinkMemoryPages -= obj.nPages;
  }

  // --- runtime PM ---

  /** Ask for runtime suspend: the device suspends once no wakeref is held and the GPU is idle. */
  requestSuspend(): void {
    this.suspendRequested = true;
  }

  resume(): void {
    this.suspendRequested = false;
  }

  /** The device is runtime suspended (no wakeref, GPU idle, suspend asked for). */
  get runtimeSuspended(): boolean {
    return this.suspendRequested && this.wakerefs === 0 && this.engines.every((e) => e.idle);
  }

  /** intel_runtime_pm_get_if_in_use(): a wakeref only if the device is awake. */
  runtimePmGetIfInUse(): boolean {
    if (this.runtimeSuspended) return false;
    this.wakerefs++;
    return true;
  }

  runtimePmPut(): void {
    if (this.wakerefs <= 0) throw new Error('runtime pm wakeref underflow');
    this.wakerefs--;
  }

  /** with_intel_runtime_pm(): wake the device for `fn`. */
  withRuntimePm<T>(fn: () => T): T {
    this.wakerefs++;
    try {
      return fn();
    } finally {
      this.wakerefs--;
    }
  }

  // --- the driver lock ---

  /** Another task takes the driver lock for `ns` from now. */
  holdLock(ns: number): void {
    if (ns > 0) this.lockBusyUntilNs = Math.max(this.lockBusyUntilNs, this.k.clock.now + ns);
  }

  /**
   * i915_gem_shrinker_lock_uninterruptible(dev_priv, &slu, timeout): steal the lock if the
   * current call chain already holds it. Otherwise, with the 4.9/4.10 helper
   * (policy.lockWaitsForIdle), first wait for the whole GPU to go idle
   * (i915_gem_wait_for_idle(dev_priv, 0): uninterruptible, no timeout), then trylock every
   * jiffy until `timeoutNs` after the call; the 4.8 helper only trylocks. Waits are charged to
   * the current task. False if the lock is still held at the deadline.
   */
  shrinkerLockUninterruptible(timeoutNs: number): boolean {
    if (this.lockDepth > 0) {
      this.stats.hookLockStolen++;
      this.lockDepth++;
      return true;
    }
    let idleWait = 0;
    if (this.policy.lockWaitsForIdle) {
      for (const e of this.engines) idleWait = Math.max(idleWait, e.waitIdle());
      if (idleWait > 0) {
        this.stats.hookGpuIdleWaits++;
        this.stats.hookGpuIdleWaitNs += idleWait;
        this.chargeStall(idleWait);
      }
    }
    // The lock's holder keeps it until lockBusyUntilNs; the tries go on to the deadline.
    const busy = this.lockBusyUntilNs - (this.k.clock.now + idleWait);
    if (busy > 0) {
      const lockWait = Math.min(busy, Math.max(0, timeoutNs - idleWait));
      this.stats.hookLockWaitNs += lockWait;
      this.chargeStall(lockWait);
      if (busy > lockWait) return false;
    }
    this.lockDepth++;
    return true;
  }

  shrinkerUnlock(): void {
    this.lockDepth--;
  }

  /** Charge a stall to the current (allocating) task. */
  chargeStall(ns: number): void {
    if (ns <= 0) return;
    const cur = this.k.current;
    const e = this.stats.taskStallNs.get(cur.pid);
    if (e) e.ns += ns;
    else this.stats.taskStallNs.set(cur.pid, { comm: cur.comm, ns });
  }

  // --- the GPU ---

  /** Wait for every request using `obj` on every engine; the wait is the longest. */
  waitObjectIdle(obj: GemObject): number {
    let wait = 0;
    for (const e of this.engines) wait = Math.max(wait, e.waitFor((rq) => rq.vmas.some((v) => v.obj === obj)));
    return wait;
  }

  /** i915_vma_sync() from the shrinker's ACTIVE pass: the wait is charged to the current task. */
  waitVmaIdle(vma: GemVma): number {
    let wait = 0;
    for (const e of this.engines) wait = Math.max(wait, e.waitFor((rq) => rq.vmas.includes(vma)));
    this.stats.shrinkWaitNs += wait;
    this.chargeStall(wait);
    return wait;
  }

  /**
   * i915_gem_do_execbuffer(), reduced: every object gets its pages (a re-fault if it had
   * them before), its ppGTT VMA bound and pinned for the duration of the call, then the
   * request goes to the engine, starting late by the re-faults' cost; the VMAs are unpinned
   * and stay active until it retires. Returns the request, or -errno (nothing submitted).
   */
  execbuf(objs: readonly GemObject[], opts: ExecbufOptions): GemRequest | number {
    const engine = this.engines[opts.engine ?? 0];
    if (!engine) throw new RangeError(`no engine ${opts.engine}`);
    this.stats.execbufs++;
    const vmas: GemVma[] = [];
    let refault = 0;
    let rc = 0;
    this.lockDepth++;
    try {
      for (const obj of objs) {
        if (obj.closed || obj.freed) {
          rc = -ENOENT;
          break;
        }
        const refaulting = !obj.pages && obj.everHadPages;
        const vma = obj.vma('ppgtt');
        rc = obj.bind(vma, true); // eb_pin_vma()
        if (rc) break;
        vmas.push(vma);
        if (refaulting) refault += obj.nPages;
      }
    } finally {
      this.lockDepth--;
      this.holdLock(opts.lockHoldNs ?? 0);
    }
    for (const vma of vmas) vma.obj.unpinVma(vma); // eb_release_vmas()
    if (rc) {
      this.stats.execbufFail++;
      return rc;
    }
    const stall = refault * this.refaultCostNsPerPage;
    this.stats.refaultPages += refault;
    this.stats.gpuStallNs += stall;
    for (const vma of vmas) vma.obj.dirty = true;
    return engine.submit(vmas, opts.durationNs, stall);
  }

  /** A request retired: closed objects it kept alive go, by the free worker (next clock event). */
  private retired(rq: GemRequest): void {
    for (const vma of rq.vmas) {
      const obj = vma.obj;
      if (obj.closed && !obj.freed && !obj.isActive()) {
        this.k.clock.scheduleAfter(0, () => {
          if (!obj.freed && !obj.isActive()) this.freeObject(obj);
        });
      }
    }
  }

  // --- the shrinker ---

  /** can_release_pages(): shmem objects are shrinkable; swap space or purgeable. */
  canReleasePages(obj: GemObject): boolean {
    return getNrSwapPages(this.k) > 0 || obj.madv === Madv.DONTNEED;
  }

  /** drop_pages(): i915_gem_object_unbind() with the flags the shrink flags imply. */
  private dropPages(obj: GemObject, shrink: number): boolean {
    let flags = 0;
    if ((shrink & I915_SHRINK_ACTIVE) !== 0) flags |= I915_GEM_OBJECT_UNBIND_ACTIVE;
    if ((shrink & I915_SHRINK_BOUND) === 0) flags |= I915_GEM_OBJECT_UNBIND_TEST;
    return obj.unbind(flags) === 0;
  }

  /**
   * i915_gem_shrink(NULL, i915, target, nr_scanned, shrink): release up to `target` pages of
   * backing storage, the purge list first, then the shrink list (if BOUND or UNBOUND). BOUND
   * is dropped unless the device is awake (no waking it to reclaim). Each object is moved to
   * the list's tail; framebuffers are skipped unless ACTIVE, and so is anything that cannot
   * release pages (no swap and not purgeable). An object counts as released when it could be
   * unbound, its pages put, and it was purged or written back as asked. Returns the pages
   * released; `scanned.n` grows by the pages looked at.
   */
  i915GemShrink(target: number, shrinkFlags: number, scanned?: { n: number }): number {
    let shrink = shrinkFlags;
    let wakeref = false;
    if ((shrink & I915_SHRINK_BOUND) !== 0) {
      wakeref = this.runtimePmGetIfInUse();
      if (!wakeref) shrink &= ~I915_SHRINK_BOUND;
    }
    // I915_SHRINK_ACTIVE: intel_gt_retire_requests() — retirement is event-driven here.
    let count = 0;
    let nScanned = 0;
    try {
      const phases: [Set<GemObject>, number][] = [[this.purgeList, ~0], [this.shrinkList, I915_SHRINK_BOUND | I915_SHRINK_UNBOUND]];
      for (const [list, bit] of phases) {
        if ((shrink & bit) === 0) continue;
        // Without swap nothing on the shrink list (WILLNEED objects) can release pages: the walk
        // would skip every object and leave the list as it was. Same result, without the O(n).
        if (list === this.shrinkList && getNrSwapPages(this.k) === 0) continue;
        const stillInList: GemObject[] = [];
        for (const obj of [...list]) {
          if (count >= target) break;
          if (!list.has(obj)) continue; // released meanwhile
          stillInList.push(obj); // list_move_tail(&obj->mm.link, &still_in_list)
          if ((shrink & I915_SHRINK_ACTIVE) === 0 && obj.framebuffer) continue;
          if (!this.canReleasePages(obj)) continue;
          if (obj.freed) continue; // kref_get_unless_zero()
          if (this.dropPages(obj, shrink) && obj.putPages() === 0 && obj.shrink((shrink & I915_SHRINK_WRITEBACK) !== 0) === 0) {
            count += obj.nPages;
          }
          nScanned += obj.nPages;
        }
        for (const obj of stillInList) {
          if (list.delete(obj)) list.add(obj); // list_splice_tail(&still_in_list, phase->list)
        }
      }
    } finally {
      if (wakeref) this.runtimePmPut();
    }
    if (scanned) scanned.n += nScanned;
    return count;
  }

  /** i915_gem_shrinker_count(): pages on both lists; the batch follows two objects' worth. */
  i915GemShrinkerCount(_sc: ShrinkControl): number {
    const count = this.shrinkMemoryPages;
    const num = this.shrinkCount;
    if (num) {
      const avg = Math.floor((2 * count) / num);
      this.shrinker.batch = Math.max(((this.shrinker.batch ?? SHRINK_BATCH) + avg) >> 1, SHRINK_BATCH);
    }
    return count;
  }

  /**
   * i915_gem_shrinker_scan(): idle objects (BOUND|UNBOUND); only kswapd goes on to active
   * ones (ACTIVE|BOUND|UNBOUND|WRITEBACK, waking the device). SHRINK_STOP if nothing was scanned.
   */
  i915GemShrinkerScan(sc: ShrinkControl): number {
    this.stats.shrinkerScans++;
    const scanned = { n: 0 };
    let freed = this.i915GemShrink(sc.nrToScan, I915_SHRINK_BOUND | I915_SHRINK_UNBOUND, scanned);
    if (scanned.n < sc.nrToScan && sc.isKswapd) {
      freed += this.withRuntimePm(() =>
        this.i915GemShrink(sc.nrToScan - scanned.n, I915_SHRINK_ACTIVE | I915_SHRINK_BOUND | I915_SHRINK_UNBOUND | I915_SHRINK_WRITEBACK, scanned),
      );
    }
    sc.nrScanned = scanned.n;
    this.stats.shrinkerFreedPages += freed;
    return scanned.n ? freed : SHRINK_STOP;
  }

  /**
   * i915_gem_shrinker_oom(): release everything idle (BOUND|UNBOUND|WRITEBACK, waking the
   * device), report, and return the pages released: any makes out_of_memory() retry instead
   * of killing.
   */
  i915GemShrinkerOom(): number {
    this.stats.oomNotifierCalls++;
    const freed = this.withRuntimePm(() =>
      this.i915GemShrink(Number.MAX_SAFE_INTEGER, I915_SHRINK_BOUND | I915_SHRINK_UNBOUND | I915_SHRINK_WRITEBACK),
    );
    let unevictable = 0;
    let available = 0;
    for (const obj of this.shrinkList) {
      if (!this.canReleasePages(obj)) unevictable += obj.nPages;
      else available += obj.nPages;
    }
    if (freed || available) {
      this.log.push(`Purging GPU memory, ${freed} pages freed, ${unevictable} pages still pinned, ${available} pages left available.`);
    }
    this.stats.oomNotifierFreedPages += freed;
    return freed;
  }

  /** Pages the driver holds pinned (objects with pages). */
  pinnedPages(): number {
    let n = 0;
    for (const obj of this.objects.values()) if (obj.pages) n += obj.nPages;
    return n;
  }

  /** Bytes of live objects. */
  bytesLive(): number {
    let n = 0;
    for (const obj of this.objects.values()) n += obj.sizeBytes;
    return n;
  }
}

