/**
 * `shmem`: users of shmem/memfd objects (tmpfs files, memfds, GEM objects of a GPU driver).
 * Objects with sizes from a distribution are created (every page written) while the total is
 * below `total`, and a random object is freed (the file truncated and evicted) once it is
 * reached. A fraction of the objects is pinned as a driver pins the pages it hands to a device
 * (one extra page reference per page, k.getPage, held for the object's life) and, as i915 does
 * for pinned objects, its mapping is marked unevictable (mapping_set_unevictable): pinned
 * pages can be neither migrated nor reclaimed.
 *
 * Stopping ends the churn; objects stay unless `release_at_stop`.
 *
 * Counters: created, freed, pinned_created, enomem (an object cut short: no memory for a page;
 * it is freed again); at the end: objects, pages (in memory), swapped (out on swap),
 * pinned_pages.
 */
import { z } from 'zod';
import { GFP_HIGHUSER_MOVABLE } from '../mm/gfp.js';
import type { CurrentTask } from '../mm/kernel.js';
import { noopDirtyFolio } from '../mm/page_io.js';
import { ShmemInode, mappingSetUnevictable, shmemEvictInode, shmemGetFolio } from '../mm/shmem.js';
import { showGfpFlags } from '../trace/gfp_names.js';
import { zSize } from '../scenario/units.js';
import {
  allocPid, bytesToPages, every, periodOf, runAs, sampleSize, scheduleAt, windowEnd, windowShape, zGfp, zSizeDist,
} from './common.js';
import type { Workload, WorkloadContext } from './workload.js';

export const shmemOptions = z.strictObject({
  total: zSize.prefault('64MiB').describe('size the objects together grow to'),
  object_size: zSizeDist.prefault({ dist: 'uniform', min: '64KiB', max: '4MiB' }).describe('size of one object: a size or {dist, min, max}'),
  rate: z.number().positive().default(50).describe('object creations or frees per simulated second'),
  pin_fraction: z.number().min(0).max(1).default(0).describe('share of objects whose pages are pinned (extra reference, unevictable mapping)'),
  gfp: zGfp.prefault(showGfpFlags(GFP_HIGHUSER_MOVABLE)).describe('mapping gfp mask (i915: GFP_HIGHUSER|__GFP_RECLAIMABLE)'),
  release_at_stop: z.boolean().default(false).describe('free every object when the workload stops'),
  ...windowShape,
});
export type ShmemOptions = z.output<typeof shmemOptions>;

interface ShmemObject {
  inode: ShmemInode;
  /** Pinned pfns (one reference each), or null for an unpinned object. */
  pins: number[] | null;
  /** Its size in pages. */
  size: number;
}

export class ShmemWorkload implements Workload {
  private readonly objects: ShmemObject[] = [];
  private readonly totalPages: number;
  private pages = 0;
  private seq = 0;
  private task: CurrentTask = { comm: '', pid: 0, oomScoreAdj: 0 };

  constructor(readonly name: string, private readonly o: ShmemOptions) {
    this.totalPages = bytesToPages(o.total);
  }

  start(ctx: WorkloadContext): void {
    const o = this.o;
    this.task = { comm: this.name.slice(0, 15), pid: allocPid(ctx.k), oomScoreAdj: 0 };
    every(ctx, o.start, periodOf(o.rate), windowEnd(ctx, o.stop) - 1, () => this.op(ctx));
    if (o.stop !== undefined && o.release_at_stop) {
      scheduleAt(ctx, o.stop, () => {
        while (this.objects.length) this.free(ctx, this.objects.length - 1);
      });
    }
  }

  finish(ctx: WorkloadContext): void {
    let pages = 0;
    let swapped = 0;
    let pinned = 0;
    for (const obj of this.objects) {
      pages += obj.inode.nrpages;
      swapped += obj.inode.swapped;
      if (obj.pins) pinned += obj.pins.length;
    }
    const c = ctx.counters;
    c.set(`${this.name}.objects`, this.objects.length);
    c.set(`${this.name}.pages`, pages);
    c.set(`${this.name}.swapped`, swapped);
    c.set(`${this.name}.pinned_pages`, pinned);
  }

  private op(ctx: WorkloadContext): void {
    if (this.pages < this.totalPages || this.objects.length === 0) this.create(ctx);
    else this.free(ctx, ctx.prng.nextInt(this.objects.length));
  }

  private create(ctx: WorkloadContext): void {
    const { k, prng, counters } = ctx;
    const n = bytesToPages(sampleSize(this.o.object_size, prng));
    const pinned = this.o.pin_fraction > 0 && prng.nextFloat() < this.o.pin_fraction;
    const inode = k.owners.register(new ShmemInode(`${this.name}.${this.seq++}`, this.o.gfp));
    const obj: ShmemObject = { inode, pins: pinned ? [] : null, size: n };
    if (pinned) mappingSetUnevictable(k, inode);
    const gfp = this.o.gfp;
    k.alloc.cpu = this.task.pid % k.config.cpus;
    const ok = runAs(k, this.task, () => {
      for (let i = 0; i < n; i++) {
        const pfn = shmemGetFolio(k, inode, i, gfp, 'write');
        if (pfn < 0) return false;
        noopDirtyFolio(k, inode, pfn); // shmem_write_end(): the page is dirty until it reaches swap
        if (obj.pins) obj.pins.push(pfn); // the reference shmem_get_folio() returned is the pin
        else k.putPage(pfn);
      }
      return true;
    });
    this.objects.push(obj);
    this.pages += n;
    if (!ok) {
      counters.add(`${this.name}.enomem`);
      this.free(ctx, this.objects.length - 1, false);
      return;
    }
    counters.add(`${this.name}.created`);
    if (pinned) counters.add(`${this.name}.pinned_created`);
  }

  /** Unpin and evict object i (swap-remove from the list). */
  private free(ctx: WorkloadContext, i: number, count = true): void {
    const { k } = ctx;
    const obj = this.objects[i]!;
    this.objects[i] = this.objects[this.objects.length - 1]!;
    this.objects.pop();
    this.pages -= obj.size;
    if (obj.pins) for (const pfn of obj.pins) k.putPage(pfn);
    shmemEvictInode(k, obj.inode);
    if (count) ctx.counters.add(`${this.name}.freed`);
  }
}
