/**
 * `gpu`: GPU clients of an i915-like GEM device (src/drivers/gem/) under one of the driver
 * policies compared (`policy:`; see src/drivers/gem/policy.ts).
 *
 * Each client keeps about `objects_per_client` buffer objects (sizes from `object_size`,
 * lognormal 4 KiB..64 MiB by default) and submits batches at `batch_rate`, each gap jittered
 * by `batch_jitter` (skipping one
 * while `max_in_flight` of its own are outstanding, as a client throttles on its frames): a
 * batch uses a random subset of up to `batch_objects` of them, which get their pages
 * (pinned) and a bound ppGTT VMA if they lack them, and keeps the GPU busy `batch_duration`
 * on the client's engine; the objects stay active until it retires. An object lives for an exponential lifetime (mean
 * `object_lifetime`); then it is closed, or with `purgeable_fraction` first parked in the
 * userspace BO cache as DONTNEED for `purgeable_time` (the shrinker purges those first). A
 * share of new objects (`pin_pages_fraction`) keeps a kernel CPU mapping: pages pinned beyond
 * their bindings for life. A share (`scanout_fraction`, at most `scanout_max` at a time) are
 * scanout buffers of `scanout_size`: framebuffers with a pinned GGTT VMA, kept for the rest of
 * the run. Optional runtime-suspend periods (`suspend: {every, for}`) stop the clients; the
 * device suspends once the GPU is idle. Each execbuf holds the driver lock `lock_hold`
 * (`long_lock`: a share of them much longer, as evictions or resets do), which the
 * migratepage hook waits for at most 10 ms.
 *
 * Counters (`<name>.`): objects_created, objects_freed, objects_live, bytes_live,
 * pinned_pages, batches, batches_failed, batches_skipped_suspended, batches_throttled,
 * get_pages_fail, refault_pages, gpu_stall_ms (the GPU's wait for re-faulted objects),
 * gpu_busy_ms (batch time submitted), hook_calls, hook_migrated, hook_ebusy_active,
 * hook_ebusy_pinned (pages pinned beyond bindings or a pinned VMA), hook_ebusy_purgeable,
 * hook_ebusy_suspended, hook_ebusy_lock, hook_ebusy_overref, hook_ebusy_drop_failed,
 * hook_migrate_failed (the generic migration failing after the hook), hook_objects_dropped,
 * hook_wait_stall_ms (seed-wait-idle), hook_lock_wait_ms, hook_gpu_idle_waits and
 * hook_gpu_idle_wait_ms (the lock helper waiting for the GPU to go idle), shrinker_freed_pages,
 * shrink_wait_ms (kswapd's ACTIVE pass waiting for the GPU), oom_notifier_freed_pages,
 * purged_pages.
 *
 * The clients are not OOM-killer candidates: GEM memory is not in any process's rss.
 */
import { z } from 'zod';
import type { CurrentTask } from '../mm/kernel.js';
import { zDuration, zSize } from '../scenario/units.js';
import { GemDevice } from '../drivers/gem/driver.js';
import { Madv } from '../drivers/gem/flags.js';
import type { GemRequest } from '../drivers/gem/engine.js';
import type { GemObject } from '../drivers/gem/object.js';
import { POLICY_NAMES } from '../drivers/gem/policy.js';
import { zGemPolicy } from './gem_policy_option.js';
import { allocPid, every, periodOf, runAs, sampleSize, scheduleAt, windowEnd, windowShape, zSizeDist } from './common.js';
import { defineWorkload } from './workload.js';
import type { Workload, WorkloadContext } from './workload.js';

export const gpuOptions = z.strictObject({
  policy: zGemPolicy.prefault('i915-6.1').describe(`driver policy: a preset (${POLICY_NAMES.join(', ')}) or {base, gfp, hook, lock_waits_for_idle, set_page_private}`),
  clients: z.number().int().positive().default(4).describe('GPU clients (processes with a GEM context)'),
  engines: z.number().int().positive().default(2).describe('GPU engines; client i submits to engine i mod engines'),
  objects_per_client: z.number().int().positive().default(32).describe('buffer objects each client keeps'),
  object_size: zSizeDist.prefault({ dist: 'lognormal', min: '4KiB', max: '64MiB' }).describe('size of one object: a size or {dist, min, max}'),
  object_lifetime: zDuration.prefault('5s').describe('mean lifetime of an object (exponential)'),
  batch_rate: z.number().positive().default(60).describe('batches per simulated second per client'),
  batch_objects: z.number().int().positive().default(8).describe('objects one batch uses (a random subset of the client\'s)'),
  batch_duration: zDuration.prefault('2ms').describe('GPU time of one batch'),
  batch_jitter: z.number().min(0).max(1).default(0.5).describe('each gap between a client\'s batches is the period x (1 - jitter/2 + jitter x U(0,1)): clients drift instead of staying in phase with the kernel\'s timers'),
  max_in_flight: z.number().int().positive().default(2).describe('a client skips a batch while this many of its own are outstanding (frame throttling)'),
  purgeable_fraction: z.number().min(0).max(1).default(0.25).describe('share of objects parked as DONTNEED in the BO cache before they are freed'),
  purgeable_time: zDuration.prefault('2s').describe('how long a parked object stays in the BO cache'),
  pin_pages_fraction: z.number().min(0).max(1).default(0.02).describe('share of objects with pages pinned beyond their bindings for life (kernel CPU mapping)'),
  scanout_fraction: z.number().min(0).max(1).default(0.01).describe('share of new objects that are scanout buffers (framebuffer, pinned GGTT VMA, kept to the end)'),
  scanout_max: z.number().int().min(0).default(3).describe('scanout buffers at most'),
  scanout_size: zSize.prefault('8MiB').describe('size of a scanout buffer'),
  suspend: z
    .strictObject({ every: zDuration, for: zDuration })
    .refine((s) => s.for < s.every, { message: 'expected `for` shorter than `every`' })
    .optional()
    .describe('runtime-suspend periods: every `every`, lasting `for`; clients are idle'),
  lock_hold: zDuration.prefault('20us').describe('how long an execbuf holds the driver lock'),
  long_lock: z.strictObject({ fraction: z.number().min(0).max(1), hold: zDuration }).optional().describe('a share of execbufs holding the lock much longer'),
  refault_cost: zDuration.prefault('1us').describe('GPU wait per page re-faulted into an object that had been unpinned'),
  release_at_stop: z.boolean().default(false).describe('close every object (scanouts too) when the workload stops'),
  ...windowShape,
});
export type GpuOptions = z.output<typeof gpuOptions>;

interface Client {
  readonly task: CurrentTask;
  readonly engine: number;
  /** Objects in use (not parked, not scanout). */
  readonly objects: GemObject[];
  /** Its requests, oldest first, until seen retired. */
  readonly inFlight: GemRequest[];
}

export class GpuWorkload implements Workload {
  /** The device, once started. */
  dev: GemDevice | null = null;
  private readonly clients: Client[] = [];
  private readonly pinnedForLife = new Set<GemObject>();
  private readonly scanouts: GemObject[] = [];
  private readonly parked = new Set<GemObject>();
  private suspended = false;
  private stopped = false;
  private batches = 0;
  private batchesFailed = 0;
  private batchesSkipped = 0;
  private batchesThrottled = 0;

  constructor(readonly name: string, private readonly o: GpuOptions) {}

  start(ctx: WorkloadContext): void {
    const { k } = ctx;
    const o = this.o;
    this.dev = new GemDevice(k, o.policy, { name: this.name, engines: o.engines, refaultCostNsPerPage: o.refault_cost });
    const end = windowEnd(ctx, o.stop);
    const period = periodOf(o.batch_rate);
    for (let i = 0; i < o.clients; i++) {
      const client: Client = {
        task: { comm: `${this.name}.c${i}`.slice(0, 15), pid: allocPid(k), oomScoreAdj: 0 },
        engine: i % o.engines,
        objects: [],
        inFlight: [],
      };
      this.clients.push(client);
      // Clients are staggered over one period so their batches interleave, and drift (jitter).
      this.jitteredEvery(ctx, o.start + Math.floor((period * i) / o.clients), period, end - 1, () => this.tick(ctx, client));
    }
    if (o.suspend && o.suspend.every > 0 && o.suspend.for > 0) {
      const s = o.suspend;
      every(ctx, o.start + s.every, s.every, end - 1, () => {
        this.suspended = true;
        this.dev!.requestSuspend();
        scheduleAt(ctx, Math.min(k.clock.now + s.for, end), () => {
          this.suspended = false;
          this.dev!.resume();
        });
      });
    }
    if (o.stop !== undefined) {
      scheduleAt(ctx, o.stop, () => {
        this.stopped = true;
        if (o.release_at_stop) this.releaseAll();
      });
    }
  }

  finish(ctx: WorkloadContext): void {
    const dev = this.dev;
    if (!dev) return;
    const c = ctx.counters;
    const n = this.name;
    const st = dev.stats;
    const ms = (ns: number): number => Math.round(ns / 1e3) / 1e3;
    c.set(`${n}.objects_created`, st.objectsCreated);
    c.set(`${n}.objects_freed`, st.objectsFreed);
    c.set(`${n}.objects_live`, dev.objectCount);
    c.set(`${n}.bytes_live`, dev.bytesLive());
    c.set(`${n}.pinned_pages`, dev.pinnedPages());
    c.set(`${n}.batches`, this.batches);
    c.set(`${n}.batches_failed`, this.batchesFailed);
    c.set(`${n}.batches_skipped_suspended`, this.batchesSkipped);
    c.set(`${n}.batches_throttled`, this.batchesThrottled);
    c.set(`${n}.get_pages_fail`, st.getPagesFail);
    c.set(`${n}.refault_pages`, st.refaultPages);
    c.set(`${n}.gpu_stall_ms`, ms(st.gpuStallNs));
    c.set(`${n}.gpu_busy_ms`, ms(dev.engines.reduce((t, e) => t + e.busyNs, 0)));
    c.set(`${n}.hook_calls`, st.hookCalls);
    c.set(`${n}.hook_migrated`, st.hookMigrated);
    c.set(`${n}.hook_ebusy_active`, st.hookEbusyActive);
    c.set(`${n}.hook_ebusy_pinned`, st.hookEbusyPinnedPages + st.hookEbusyPinnedVma);
    c.set(`${n}.hook_ebusy_purgeable`, st.hookEbusyPurgeable);
    c.set(`${n}.hook_ebusy_suspended`, st.hookEbusySuspended);
    c.set(`${n}.hook_ebusy_lock`, st.hookEbusyLock);
    c.set(`${n}.hook_ebusy_overref`, st.hookEbusyOverref);
    c.set(`${n}.hook_ebusy_drop_failed`, st.hookEbusyDropFailed);
    c.set(`${n}.hook_migrate_failed`, st.hookMigrateFailed);
    c.set(`${n}.hook_objects_dropped`, st.hookObjectsDropped);
    c.set(`${n}.hook_wait_stall_ms`, ms(st.hookWaitNs));
    c.set(`${n}.hook_lock_wait_ms`, ms(st.hookLockWaitNs));
    c.set(`${n}.hook_gpu_idle_waits`, st.hookGpuIdleWaits);
    c.set(`${n}.hook_gpu_idle_wait_ms`, ms(st.hookGpuIdleWaitNs));
    c.set(`${n}.shrinker_freed_pages`, st.shrinkerFreedPages);
    c.set(`${n}.shrink_wait_ms`, ms(st.shrinkWaitNs));
    c.set(`${n}.oom_notifier_freed_pages`, st.oomNotifierFreedPages);
    c.set(`${n}.purged_pages`, st.purgedPages);
  }

  /**
   * Run `fn` at `start`, then after gaps of period x (1 - j/2 + j x U) (j = batch_jitter) while
   * before `until`; `fn` returns false to stop. Without jitter, fixed periods land every client
   * in the same phase of the kernel's 500 ms timers for the whole run.
   */
  private jitteredEvery(ctx: WorkloadContext, start: number, period: number, until: number, fn: () => boolean): void {
    const j = this.o.batch_jitter;
    const end = Math.min(until, ctx.endNs);
    const step = (): void => {
      if (!fn()) return;
      const gap = Math.max(1, Math.round(period * (1 - j / 2 + j * ctx.prng.nextFloat())));
      const next = ctx.k.clock.now + gap;
      if (next <= end) ctx.k.clock.scheduleAt(next, step);
    };
    if (start <= end && start >= ctx.k.clock.now) ctx.k.clock.scheduleAt(start, step);
  }

  /** One client period: top up its objects, then submit a batch. */
  private tick(ctx: WorkloadContext, client: Client): boolean {
    if (this.stopped) return false;
    if (this.suspended) {
      this.batchesSkipped++;
      return true;
    }
    runAs(ctx.k, client.task, () => {
      if (client.objects.length < this.o.objects_per_client) this.create(ctx, client);
      this.submit(ctx, client);
    });
    return true;
  }

  private create(ctx: WorkloadContext, client: Client): void {
    const { prng } = ctx;
    const o = this.o;
    const dev = this.dev!;
    const r = prng.nextFloat();
    if (r < o.scanout_fraction && this.scanouts.length < o.scanout_max) {
      const obj = dev.createObject(o.scanout_size);
      obj.framebuffer = true;
      if (obj.bind(obj.vma('ggtt'), true) === 0) this.scanouts.push(obj); // pinned for display, to the end
      else dev.closeObject(obj);
      return;
    }
    const obj = dev.createObject(sampleSize(o.object_size, prng));
    if (prng.nextFloat() < o.pin_pages_fraction) {
      if (obj.pinPages() === 0) this.pinnedForLife.add(obj);
    }
    client.objects.push(obj);
    const life = Math.max(1, Math.round(-Math.log(1 - prng.nextFloat()) * o.object_lifetime));
    scheduleAt(ctx, ctx.k.clock.now + life, () => this.expire(ctx, client, obj));
  }

  /** End of an object's life: parked as DONTNEED for a while, or closed. */
  private expire(ctx: WorkloadContext, client: Client, obj: GemObject): void {
    const i = client.objects.indexOf(obj);
    if (i < 0 || obj.closed) return;
    client.objects.splice(i, 1);
    const dev = this.dev!;
    if (this.pinnedForLife.delete(obj)) obj.unpinPages();
    if (ctx.prng.nextFloat() < this.o.purgeable_fraction) {
      dev.madvise(obj, Madv.DONTNEED);
      this.parked.add(obj);
      scheduleAt(ctx, ctx.k.clock.now + this.o.purgeable_time, () => {
        if (this.parked.delete(obj)) dev.closeObject(obj);
      });
      return;
    }
    dev.closeObject(obj);
  }

  private submit(ctx: WorkloadContext, client: Client): void {
    const { prng } = ctx;
    const o = this.o;
    const objs = client.objects;
    if (objs.length === 0) return;
    while (client.inFlight.length && client.inFlight[0]!.retired) client.inFlight.shift();
    if (client.inFlight.length >= o.max_in_flight) {
      this.batchesThrottled++;
      return;
    }
    const n = Math.min(o.batch_objects, objs.length);
    const pick = objs.slice();
    for (let i = 0; i < n; i++) {
      const j = i + prng.nextInt(pick.length - i);
      const t = pick[i]!;
      pick[i] = pick[j]!;
      pick[j] = t;
    }
    pick.length = n;
    const long = o.long_lock !== undefined && prng.nextFloat() < o.long_lock.fraction;
    const rq = this.dev!.execbuf(pick, {
      engine: client.engine,
      durationNs: o.batch_duration,
      lockHoldNs: long ? o.long_lock!.hold : o.lock_hold,
    });
    if (typeof rq === 'number') {
      this.batchesFailed++;
      return;
    }
    this.batches++;
    client.inFlight.push(rq);
  }

  /** Close everything (release_at_stop): pins dropped, objects freed once idle. */
  private releaseAll(): void {
    const dev = this.dev!;
    for (const obj of this.pinnedForLife) obj.unpinPages();
    this.pinnedForLife.clear();
    for (const obj of this.scanouts) obj.unpinVma(obj.vma('ggtt'));
    for (const obj of [...dev.allObjects()]) dev.closeObject(obj);
    this.scanouts.length = 0;
    this.parked.clear();
    for (const c of this.clients) c.objects.length = 0;
  }
}

export const gpuWorkloadKind = defineWorkload(
  'gpu',
  'GPU clients of an i915-like GEM device: objects (lognormal sizes) bound and used by batches at a rate, pinned while they have pages; shrinker, OOM notifier and the 2016 migratepage hook per `policy`',
  gpuOptions,
  (o, name) => new GpuWorkload(name, o),
);
