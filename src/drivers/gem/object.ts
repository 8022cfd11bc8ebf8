/**
 * A GEM buffer object backed by its own shmem file (drivers/gpu/drm/i915/gem/i915_gem_shmem.c,
 * i915_gem_pages.c, i915_gem_object.h; 6.1), with the state kernel-mm.md §6.2 lists:
 *  - `pages`: the backing pfns while the object "has pages", each holding one extra page
 *    reference (the pin that makes migration fail with -EAGAIN);
 *  - `madv`: WILLNEED, DONTNEED (purgeable: truncated rather than swapped) or PURGED;
 *  - `pagesPinCount` (obj->mm.pages_pin_count): one per bound VMA plus any other pin (a kernel
 *    CPU mapping, display); put_pages fails with -EBUSY while it is not zero;
 *  - VMAs {bound, pinCount, active}: a binding into a GPU address space pins the pages; a
 *    pinned VMA cannot be unbound; an active one (outstanding requests) only by waiting;
 *  - `shrinkPin`: non-zero hides the object from the shrinker lists.
 */
import { EAGAIN, EBUSY, EINVAL, ENOMEM, ENOSPC } from '../../mm/filemap.js';
import { __GFP_NORETRY, __GFP_NOWARN, __GFP_RECLAIM, __GFP_RETRY_MAYFAIL } from '../../mm/gfp.js';
import { folioMarkAccessed } from '../../mm/lru.js';
import { PG_dirty, PG_reclaim, PG_writeback } from '../../mm/page_flags.js';
import { noopDirtyFolio } from '../../mm/page_io.js';
import {
  ShmemInode, mappingClearUnevictable, mappingSetUnevictable, shmemReadMappingPageGfp, shmemTruncate,
} from '../../mm/shmem.js';
import type { GemDevice } from './driver.js';
import {
  EFAULT, I915_GEM_OBJECT_UNBIND_ACTIVE, I915_GEM_OBJECT_UNBIND_TEST, I915_SHRINK_BOUND, I915_SHRINK_UNBOUND, Madv,
} from './flags.js';

/** struct i915_vma, reduced: a binding of the object into one GPU address space. */
export interface GemVma {
  readonly obj: GemObject;
  /** The address space: 'ppgtt' (the client's) or 'ggtt' (global: scanout, rings). */
  readonly name: string;
  /** drm_mm_node_allocated(): bound, holding one pages_pin_count. */
  bound: boolean;
  /** i915_vma_pin() count: a pinned VMA cannot be unbound. */
  pinCount: number;
  /** Outstanding requests using it (i915_vma_is_active). */
  active: number;
}

export class GemObject {
  /** The backing pfns (obj->mm.pages), or null when the object has no pages. */
  pages: number[] | null = null;
  madv = Madv.WILLNEED;
  pagesPinCount = 0;
  readonly vmas: GemVma[] = [];
  shrinkPin = 0;
  /** i915_gem_object_is_framebuffer(): the shrinker skips it unless I915_SHRINK_ACTIVE. */
  framebuffer = false;
  /** obj->mm.dirty: the GPU wrote into it; put_pages marks the pages dirty. */
  dirty = false;
  /** It had pages before: the next get_pages is a re-fault. */
  everHadPages = false;
  /** The handle was closed; the object goes once its last request retires. */
  closed = false;
  /** Released (i915_gem_free_object ran): its file is gone. */
  freed = false;
  readonly nPages: number;

  constructor(
    readonly dev: GemDevice,
    /** The value patch 2/2 stores in page->private (never 0). */
    readonly id: number,
    readonly inode: ShmemInode,
    readonly sizeBytes: number,
  ) {
    this.nPages = inode.sizeLimitPages;
  }

  get hasPages(): boolean {
    return this.pages !== null;
  }

  /** i915_gem_object_is_active(): some VMA has outstanding requests. */
  isActive(): boolean {
    for (const v of this.vmas) if (v.active > 0) return true;
    return false;
  }

  /** obj->bind_count (4.9): bound VMAs, each holding one pages pin. */
  boundCount(): number {
    let n = 0;
    for (const v of this.vmas) if (v.bound) n++;
    return n;
  }

  /** any_vma_pinned() of patch 2/2. */
  anyVmaPinned(): boolean {
    for (const v of this.vmas) if (v.pinCount > 0) return true;
    return false;
  }

  /** The VMA in address space `name`, created unbound on first use (i915_vma_instance). */
  vma(name = 'ppgtt'): GemVma {
    for (const v of this.vmas) if (v.name === name) return v;
    const v: GemVma = { obj: this, name, bound: false, pinCount: 0, active: 0 };
    this.vmas.push(v);
    return v;
  }

  /**
   * shmem_get_pages() -> shmem_sg_alloc_table(): make the mapping unevictable, then read every
   * page with a reference kept: first without direct reclaim (__GFP_NORETRY|__GFP_NOWARN),
   * then after reaping our own idle buffers (i915_gem_shrink BOUND|UNBOUND), last with the
   * mapping's full mask |__GFP_RETRY_MAYFAIL|__GFP_NOWARN (reclaim, no OOM). On failure the
   * pages taken so far are released and -ENOMEM returned. 0 on success (or if it had pages).
   */
  getPages(): number {
    if (this.pages) return 0;
    if (this.freed) return -EFAULT;
    if (this.madv !== Madv.WILLNEED) return -EFAULT; // i915_gem_object_get_pages(): purgeable/purged
    const dev = this.dev;
    const k = dev.k;
    const inode = this.inode;
    const mask = inode.gfpMask;
    const setPrivate = dev.policy.setPagePrivate;
    dev.stats.getPagesCalls++;
    mappingSetUnevictable(k, inode);
    const noreclaim = (mask & ~__GFP_RECLAIM) | __GFP_NORETRY | __GFP_NOWARN;
    const got: number[] = [];
    dev.lockDepth++; // under the driver's lock (struct_mutex in 4.9): the hook steals it if we recurse into it
    try {
      for (let i = 0; i < this.nPages; i++) {
        const shrink = [I915_SHRINK_BOUND | I915_SHRINK_UNBOUND, 0];
        let s = 0;
        let gfp = noreclaim;
        let pfn: number;
        for (;;) {
          pfn = shmemReadMappingPageGfp(k, inode, i, gfp);
          if (pfn >= 0) break;
          if (shrink[s] === 0) {
            this.releasePages(got, false, false);
            mappingClearUnevictable(k, inode);
            dev.stats.getPagesFail++;
            return pfn === -ENOSPC ? -ENOMEM : pfn;
          }
          dev.i915GemShrink(2 * this.nPages, shrink[s++]!);
          if (shrink[s] === 0) gfp = mask | __GFP_RETRY_MAYFAIL | __GFP_NOWARN; // reclaim and warn, but no oom
        }
        if (setPrivate) k.mem.private[k.slot(pfn)] = this.id; // set_page_private(page, obj)
        got.push(pfn);
      }
    } finally {
      dev.lockDepth--;
    }
    this.pages = got;
    this.everHadPages = true;
    dev.onSetPages(this); // __i915_gem_object_set_pages(): onto shrink_list or purge_list
    return 0;
  }

  /**
   * __i915_gem_object_put_pages() -> shmem_put_pages -> shmem_sg_free_table(): -EBUSY while
   * pages are pinned; otherwise off the shrinker lists, mapping_clear_unevictable() (the
   * pages go back to evictable LRU lists), each page marked dirty if the GPU wrote to it and
   * accessed if WILLNEED, its page->private cleared, and i915's reference dropped.
   */
  putPages(): number {
    if (this.pagesPinCount > 0) return -EBUSY;
    const pages = this.pages;
    if (!pages) return 0;
    this.pages = null;
    this.dev.onUnsetPages(this);
    if (this.madv === Madv.DONTNEED) this.dirty = false; // __i915_gem_object_release_shmem()
    mappingClearUnevictable(this.dev.k, this.inode);
    this.releasePages(pages, this.dirty, this.madv === Madv.WILLNEED);
    this.dirty = false;
    return 0;
  }

  private releasePages(pages: number[], dirty: boolean, backup: boolean): void {
    const k = this.dev.k;
    const clearPrivate = this.dev.policy.setPagePrivate;
    for (const pfn of pages) {
      if (dirty) noopDirtyFolio(k, this.inode, pfn); // set_page_dirty()
      if (backup) folioMarkAccessed(k, pfn);
      if (clearPrivate) k.mem.private[k.slot(pfn)] = 0; // set_page_private(page, 0)
      k.putPage(pfn);
    }
    pages.length = 0;
  }

  /**
   * The purge of a DONTNEED object (shmem_shrink -> i915_gem_object_truncate): its pages are
   * put, then its contents dropped. -EINVAL unless purgeable, -EBUSY while pages are pinned.
   */
  purge(): number {
    if (this.madv !== Madv.DONTNEED) return -EINVAL;
    const rc = this.putPages();
    if (rc) return rc;
    this.truncate();
    return 0;
  }

  /**
   * i915_gem_object_truncate() -> shmem_truncate(): drop every page of the file now; the
   * object becomes PURGED. Its pages must have been put. Returns the pages dropped.
   */
  truncate(): number {
    const dropped = shmemTruncate(this.dev.k, this.inode, 0);
    this.madv = Madv.PURGED;
    this.dev.stats.purgedObjects++;
    this.dev.stats.purgedPages += dropped;
    return dropped;
  }

  /**
   * __shmem_writeback(): start writing every unmapped dirty page of the file to swap through
   * ->writepage (shmem_writepage, for_reclaim), as the shrinker's WRITEBACK pass does.
   * Returns the pages written.
   */
  writeback(): number {
    const k = this.dev.k;
    const inode = this.inode;
    const writepage = inode.aops.writepage;
    if (!writepage) return 0;
    let written = 0;
    for (let i = 0; i < this.nPages; i++) {
      const pfn = inode.iPages.get(i);
      if (pfn === undefined || pfn < 0) continue; // a hole or already on swap
      const s = k.slot(pfn);
      if (k.mem.mapcount[s]! > 0 || (k.mem.flags[s]! & (PG_dirty | PG_writeback)) !== PG_dirty) continue;
      k.getPage(pfn); // find_lock_page()
      k.mem.flags[s]! |= PG_reclaim; // SetPageReclaim()
      writepage(k, pfn, { forReclaim: true });
      if ((k.mem.flags[s]! & PG_writeback) === 0) k.mem.flags[s]! &= ~PG_reclaim;
      else written++;
      k.putPage(pfn);
    }
    return written;
  }

  /**
   * The shmem ops->shrink (shmem_shrink), the shrinker's try_to_writeback(): a DONTNEED
   * object is truncated, a PURGED one left alone, otherwise written back if asked.
   */
  shrink(writebackToo: boolean): number {
    if (this.madv === Madv.DONTNEED) {
      this.truncate();
      return 0;
    }
    if (this.madv === Madv.PURGED) return 0;
    if (writebackToo) this.dev.stats.writebackPages += this.writeback();
    return 0;
  }

  /** i915_gem_object_pin_pages() (a kernel CPU mapping, display): pins beyond the bindings. */
  pinPages(): number {
    const rc = this.getPages();
    if (rc) return rc;
    this.pagesPinCount++;
    return 0;
  }

  unpinPages(): void {
    if (this.pagesPinCount <= this.boundCount()) throw new Error(`${this.inode.name}: unpin_pages without a pin beyond the bindings`);
    this.pagesPinCount--;
  }

  /**
   * Bind `vma` (i915_vma_bind via i915_vma_pin): the object's pages are acquired if need be
   * and pinned by the binding. With `pin`, the VMA pin count is raised too (i915_vma_pin).
   */
  bind(vma: GemVma, pin = false): number {
    if (vma.obj !== this) throw new Error('vma of another object');
    if (!vma.bound) {
      const rc = this.getPages();
      if (rc) return rc;
      vma.bound = true;
      this.pagesPinCount++;
    }
    if (pin) vma.pinCount++;
    return 0;
  }

  /** i915_vma_unpin(): the binding (and its pages pin) stays. */
  unpinVma(vma: GemVma): void {
    if (vma.pinCount <= 0) throw new Error(`${this.inode.name}: ${vma.name} vma is not pinned`);
    vma.pinCount--;
  }

  /**
   * i915_gem_object_unbind(obj, flags): unbind every bound VMA, stopping at the first that
   * cannot be: with UNBIND_TEST any bound VMA is -EBUSY; an active VMA is -EBUSY unless
   * UNBIND_ACTIVE, which waits for the GPU (i915_vma_sync) first; a pinned VMA is -EAGAIN
   * (__i915_vma_unbind). 0 when nothing is left bound.
   */
  unbind(flags: number): number {
    for (const vma of this.vmas) {
      if (!vma.bound) continue;
      if ((flags & I915_GEM_OBJECT_UNBIND_TEST) !== 0) return -EBUSY;
      if (vma.active > 0) {
        if ((flags & I915_GEM_OBJECT_UNBIND_ACTIVE) === 0) return -EBUSY;
        this.dev.waitVmaIdle(vma);
      }
      if (vma.pinCount > 0) return -EAGAIN;
      vma.bound = false;
      this.pagesPinCount--;
    }
    return 0;
  }
}
