/**
 * What the workload building blocks share: option schemas (time windows, gfp masks, size
 * distributions), scheduling that never passes the run's end, task identities, and the
 * free-memory figures several kinds report (hugepages obtainable, order-9 fragmentation).
 * Browser-safe and deterministic: no Node modules, randomness only from the Prng passed in.
 */
import { z } from 'zod';
import { MAX_ORDER, PAGE_SIZE, PAGEBLOCK_ORDER } from '../mm/constants.js';
import type { CurrentTask, Kernel } from '../mm/kernel.js';
import type { MmStruct } from '../mm/memory.js';
import { formatSize } from '../machine/size.js';
import { parseGfpFlags } from '../trace/gfp_names.js';
import type { Prng } from '../sim/prng.js';
import { zDuration, zSize } from '../scenario/units.js';
import type { WorkloadContext } from './workload.js';

// ---------------------------------------------------------------------------------------------
// Option schemas

/** `start` / `stop`: the window of simulated time a workload is active in. */
export const windowShape = {
  start: zDuration.default(0).describe('when the workload starts (simulated time)'),
  stop: zDuration.optional().describe('when it stops (default: the end of the run); what stopping means is per kind'),
};

/**
 * A gfp mask written with the kernel's names as trace events print them, `|`-joined
 * (`GFP_KERNEL`, `GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_RETRY_MAYFAIL`, `0x...` leftovers).
 */
export const zGfp = z.string().transform((s, ctx) => {
  try {
    return parseGfpFlags(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `expected gfp flags such as GFP_KERNEL or GFP_HIGHUSER_MOVABLE|__GFP_COMP (${(e as Error).message})` });
    return z.NEVER;
  }
});

/** A parsed size distribution, in bytes. */
export interface SizeDist {
  dist: 'fixed' | 'uniform' | 'lognormal';
  min: number;
  max: number;
}

/**
 * A size distribution: a plain size (`64MiB`, fixed), `{dist: fixed, size}`, or
 * `{dist: uniform | lognormal, min, max}`. The lognormal has min and max as its 2.5th and
 * 97.5th percentiles and is clamped to [min, max].
 */
export const zSizeDist = z.union([
  zSize.transform((b): SizeDist => ({ dist: 'fixed', min: b, max: b })),
  // Discriminated on dist, so an error names dist, or min/max of the form dist picked.
  z
    .discriminatedUnion('dist', [
      z.strictObject({ dist: z.literal('fixed'), size: zSize }),
      z.strictObject({ dist: z.literal('uniform'), min: zSize, max: zSize }).superRefine(checkMinMax),
      z.strictObject({ dist: z.literal('lognormal'), min: zSize, max: zSize }).superRefine(checkMinMax),
    ], { error: (iss) => (iss.code === 'invalid_union' ? 'fixed, uniform or lognormal' : undefined) })
    .transform((o): SizeDist => (o.dist === 'fixed' ? { dist: 'fixed', min: o.size, max: o.size } : { dist: o.dist, min: o.min, max: o.max })),
]);

function checkMinMax(o: { min: number; max: number }, ctx: z.RefinementCtx): void {
  if (!(o.min > 0)) ctx.addIssue({ code: 'custom', path: ['min'], message: 'a size > 0' });
  else if (o.min > o.max) ctx.addIssue({ code: 'custom', path: ['max'], message: `a size >= min (${formatSize(o.min)})` });
}

/** A standard normal variate from 12 uniforms (Irwin-Hall; deterministic, no trigonometry). */
function normal(prng: Prng): number {
  let s = 0;
  for (let i = 0; i < 12; i++) s += prng.nextFloat();
  return s - 6;
}

/** Draw a size (bytes) from a distribution. */
export function sampleSize(d: SizeDist, prng: Prng): number {
  if (d.dist === 'fixed' || d.min === d.max) return d.min;
  if (d.dist === 'uniform') return d.min + prng.nextFloat() * (d.max - d.min);
  const lo = Math.log(d.min);
  const hi = Math.log(d.max);
  const v = Math.exp((lo + hi) / 2 + ((hi - lo) / (2 * 1.96)) * normal(prng));
  return Math.min(d.max, Math.max(d.min, v));
}

/** Bytes to whole 4 KiB pages, at least one. */
export function bytesToPages(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / PAGE_SIZE));
}

// ---------------------------------------------------------------------------------------------
// Scheduling

/** The end of a workload's window: its stop time or the run's end, whichever is first. */
export function windowEnd(ctx: WorkloadContext, stop: number | undefined): number {
  return stop === undefined ? ctx.endNs : Math.min(stop, ctx.endNs);
}

/** Schedule `cb` at `at` unless that is past the run's end (or before now). Returns whether it was. */
export function scheduleAt(ctx: WorkloadContext, at: number, cb: () => void): boolean {
  if (!(at <= ctx.endNs) || at < ctx.k.clock.now) return false;
  ctx.k.clock.scheduleAt(at, cb);
  return true;
}

/**
 * Run `fn` at start, start + period, ... up to and including `until` (and never past the run's
 * end), on absolute times so the period does not drift. `fn` returns false to stop early.
 */
export function every(ctx: WorkloadContext, start: number, period: number, until: number, fn: () => boolean | void): void {
  if (!(period > 0)) throw new RangeError(`period must be positive, got ${period}`);
  const end = Math.min(until, ctx.endNs);
  let next = start;
  const step = (): void => {
    if (fn() === false) return;
    next += period;
    if (next <= end) ctx.k.clock.scheduleAt(next, step);
  };
  if (start <= end && start >= ctx.k.clock.now) ctx.k.clock.scheduleAt(start, step);
}

/** A period in ns from a rate per simulated second (at least 1 ns). */
export function periodOf(ratePerSec: number): number {
  return Math.max(1, Math.round(1e9 / ratePerSec));
}

// ---------------------------------------------------------------------------------------------
// Tasks

const nextPids = new WeakMap<Kernel, number>();

/** A fresh pid on this machine (1000, 1001, ... in the order workloads ask). */
export function allocPid(k: Kernel): number {
  const pid = nextPids.get(k) ?? 1000;
  nextPids.set(k, pid + 1);
  return pid;
}

/** A process that has exited or that the OOM killer has chosen and not yet reaped (fatal_signal_pending()). */
export function isDying(k: Kernel, mm: MmStruct): boolean {
  return mm.exited || k.oom.victims.has(mm);
}

/** Run `fn` as `task` (current for the allocator, the OOM killer and traces), then restore. */
export function runAs<T>(k: Kernel, task: CurrentTask, fn: () => T): T {
  const prev = k.current;
  k.setCurrent(task);
  try {
    return fn();
  } finally {
    k.setCurrent(prev);
  }
}

// ---------------------------------------------------------------------------------------------
// Memory figures

/** managed_pages of every zone. */
export function managedPages(k: Kernel): number {
  let n = 0;
  for (const zone of k.alloc.zoneById) if (zone) n += zone.managed;
  return n;
}

/** NR_FREE_PAGES of every zone (MemFree in pages). */
export function freePages(k: Kernel): number {
  let n = 0;
  for (const zone of k.alloc.zoneById) if (zone) n += zone.freePages;
  return n;
}

/** Free pages sitting in buddy blocks of at least `order` (pcp lists not counted). */
export function freeInBlocksOf(k: Kernel, order = PAGEBLOCK_ORDER): number {
  let n = 0;
  for (const zone of k.alloc.zoneById) {
    if (!zone) continue;
    for (let o = order; o < MAX_ORDER; o++) n += zone.nrFree[o]! << o;
  }
  return n;
}

/** Blocks of 2^order pages that could be handed out right now without compaction. */
export function blocksObtainable(k: Kernel, order = PAGEBLOCK_ORDER): number {
  return freeInBlocksOf(k, order) >> order;
}

/** Free pages on the buddy lists (NR_FREE_PAGES less what sits on pcp lists). */
export function buddyFreePages(k: Kernel): number {
  let n = 0;
  for (const zone of k.alloc.zoneById) {
    if (!zone) continue;
    for (let o = 0; o < MAX_ORDER; o++) n += zone.nrFree[o]! << o;
  }
  return n;
}

/**
 * extfrag_for_order() over the whole machine: the percentage (0..100) of free buddy memory in
 * blocks smaller than 2^order — what Nitin Gupta calls "fragmentation w.r.t order-9".
 */
export function extfragPercent(k: Kernel, order = PAGEBLOCK_ORDER): number {
  const free = buddyFreePages(k);
  if (free === 0) return 0;
  return Math.floor(((free - freeInBlocksOf(k, order)) * 100) / free);
}
