/**
 * `highalloc`: a kernel user of high-order pages (network receive buffers, pipe buffers,
 * skb frags, driver DMA rings): at `rate` attempts per second it asks the page allocator for
 * a block of one of `orders` (picked at random) with the given gfp flags, holds what it got
 * for `hold`, then frees it. Attempts are batched `batch` at a time per event; held blocks are
 * freed by the first event at or after their due time (a FIFO, as the hold is fixed).
 *
 * Stopping ends the attempts; blocks still held are freed at the stop time.
 *
 * Blocks asked for as unmovable or reclaimable belong to a kernel owner named after the
 * workload (page->mapping, as slab pages name their cache), so describePage() and the
 * playground show them as kernel memory; movable requests stay owner-less test allocations.
 *
 * Counters: order<N>.attempts, order<N>.success, order<N>.fail for each order asked for,
 * held_peak (pages); at the end: held_pages.
 */
import { z } from 'zod';
import { MAX_ORDER, MigrateType } from '../mm/constants.js';
import { GFP_KERNEL, gfpMigratetype } from '../mm/gfp.js';
import type { CurrentTask } from '../mm/kernel.js';
import type { Owner } from '../mm/owners.js';
import { showGfpFlags } from '../trace/gfp_names.js';
import { zDuration } from '../scenario/units.js';
import { allocPid, every, periodOf, scheduleAt, windowEnd, windowShape, zGfp } from './common.js';
import type { Workload, WorkloadContext } from './workload.js';

export const highallocOptions = z.strictObject({
  orders: z.array(z.number().int().min(0).max(MAX_ORDER - 1)).min(1).default([3]).describe('orders to ask for, one picked at random per attempt'),
  gfp: zGfp.prefault(showGfpFlags(GFP_KERNEL)).describe('gfp flags: kernel names joined with |, e.g. GFP_ATOMIC or GFP_KERNEL|__GFP_NOWARN'),
  rate: z.number().positive().default(100).describe('allocation attempts per simulated second'),
  batch: z.number().int().min(1).max(65536).default(1).describe('attempts made together per event'),
  hold: zDuration.prefault('10ms').describe('how long a block is held before it is freed (0: freed at once)'),
  ...windowShape,
});
export type HighallocOptions = z.output<typeof highallocOptions>;

/** The kernel user a highalloc workload stands for (not a slab cache: its pages are whole blocks). */
export class KernelUser implements Owner {
  id = 0;
  readonly kind = 'kernel' as const;
  constructor(readonly name: string, readonly reclaimable: boolean) {}
}

export class HighallocWorkload implements Workload {
  /** Held blocks, a FIFO: pfn, order and due time, from `head` on. */
  private pfns: number[] = [];
  private orders: number[] = [];
  private due: number[] = [];
  private head = 0;
  private held = 0;
  private heldPeak = 0;
  /** Counter names per order (built once; the hot path allocates no strings). */
  private readonly names: { attempts: string; success: string; fail: string }[] = [];
  private task: CurrentTask = { comm: '', pid: 0, oomScoreAdj: 0 };
  private cpu = 0;
  /** Owner id written to each held block's page->mapping (0: none, for movable requests). */
  private owner = 0;

  constructor(readonly name: string, private readonly o: HighallocOptions) {
    for (let order = 0; order < MAX_ORDER; order++) {
      const p = `${name}.order${order}`;
      this.names.push({ attempts: `${p}.attempts`, success: `${p}.success`, fail: `${p}.fail` });
    }
  }

  start(ctx: WorkloadContext): void {
    const o = this.o;
    this.task = { comm: this.name.slice(0, 15), pid: allocPid(ctx.k), oomScoreAdj: 0 };
    this.cpu = this.task.pid % ctx.k.config.cpus;
    // By the request's own migratetype (gfp_migratetype()), whatever page_group_by_mobility_disabled says.
    const mt = gfpMigratetype(o.gfp);
    if (mt !== MigrateType.MOVABLE) this.owner = ctx.k.owners.register(new KernelUser(this.name, mt === MigrateType.RECLAIMABLE)).id;
    // Every order asked for is reported, even with no attempt made.
    for (const order of o.orders) for (const n of Object.values(this.names[order]!)) ctx.counters.add(n, 0);
    const end = windowEnd(ctx, o.stop);
    every(ctx, o.start, periodOf(o.rate / o.batch), end - 1, () => this.tick(ctx));
    if (o.stop !== undefined) scheduleAt(ctx, o.stop, () => this.release(ctx, Infinity));
  }

  finish(ctx: WorkloadContext): void {
    ctx.counters.set(`${this.name}.held_pages`, this.held);
    ctx.counters.set(`${this.name}.held_peak`, this.heldPeak);
  }

  private tick(ctx: WorkloadContext): void {
    const { k, prng, counters } = ctx;
    const now = k.clock.now;
    this.release(ctx, now);
    const o = this.o;
    const orders = o.orders;
    const prev = k.current;
    k.setCurrent(this.task);
    k.alloc.cpu = this.cpu;
    try {
      for (let i = 0; i < o.batch; i++) {
        const order = orders.length === 1 ? orders[0]! : orders[prng.nextInt(orders.length)]!;
        const names = this.names[order]!;
        counters.add(names.attempts);
        const pfn = k.alloc.allocPages(o.gfp, order);
        if (pfn < 0) {
          counters.add(names.fail);
          continue;
        }
        counters.add(names.success);
        if (o.hold === 0) {
          k.alloc.freePages(pfn, order);
          continue;
        }
        k.mem.mapping[k.slot(pfn)] = this.owner; // cleared by free_pages_prepare()
        this.pfns.push(pfn);
        this.orders.push(order);
        this.due.push(now + o.hold);
        this.held += 1 << order;
      }
    } finally {
      k.setCurrent(prev);
    }
    if (this.held > this.heldPeak) this.heldPeak = this.held;
  }

  /** Free every held block due at or before `until`. */
  private release(ctx: WorkloadContext, until: number): void {
    const k = ctx.k;
    let h = this.head;
    while (h < this.pfns.length && this.due[h]! <= until) {
      k.alloc.freePages(this.pfns[h]!, this.orders[h]!);
      this.held -= 1 << this.orders[h]!;
      h++;
    }
    this.head = h;
    if (h > 4096 && h * 2 > this.pfns.length) {
      this.pfns = this.pfns.slice(h);
      this.orders = this.orders.slice(h);
      this.due = this.due.slice(h);
      this.head = 0;
    }
  }
}
