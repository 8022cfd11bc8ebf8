/**
 * `anon`: processes churning anonymous memory. Each of N processes grows to an RSS drawn from
 * a size distribution by mmap()ing and writing chunks (at `growth_rate`), then keeps churning at its rate: each
 * operation either munmap()s a random chunk (refilled by the next operations) or writes to a
 * random chunk again (swap-in if it was swapped out). A process may have a lifetime, after
 * which it exits and a new one is started (a new pid, a new RSS), and a process the OOM killer
 * killed is restarted after a delay, as a service manager would.
 *
 * Counters (`<name>.<metric>`): faults, major_faults, thp_fault_alloc, thp_fault_fallback
 * (vmstat deltas of this workload's faults), mmaps, munmaps, fault_enomem (a fault that could
 * not get memory: the access is abandoned), spawns, exits (lifetime ends), oom_killed (found
 * killed; restarted after respawn_delay); at the end: processes, rss_pages, swap_pages,
 * thp_mapped (huge PMDs mapped).
 */
import { z } from 'zod';
import type { Kernel } from '../mm/kernel.js';
import { createMm, exitMm, mmap, munmap, type MmStruct } from '../mm/memory.js';
import { touch } from '../mm/fault.js';
import { ENOMEM, MmError, OomKilledError } from '../mm/mm_error.js';
import { VmEvent } from '../mm/vmstat.js';
import { zDuration, zSize } from '../scenario/units.js';
import { allocPid, bytesToPages, isDying, periodOf, sampleSize, scheduleAt, windowEnd, windowShape, zSizeDist } from './common.js';
import type { Workload, WorkloadContext } from './workload.js';

export const anonOptions = z.strictObject({
  processes: z.number().int().min(1).max(4096).default(4).describe('processes running at once'),
  rss: zSizeDist.prefault('64MiB').describe('each process\'s target RSS: a size, or {dist: uniform|lognormal, min, max}'),
  chunk: zSize.prefault('256KiB').describe('mmap/munmap/touch unit (a chunk is one mapping)'),
  rate: z.number().positive().default(50).describe('chunk operations per simulated second, per process'),
  growth_rate: z.number().positive().optional().describe('chunk operations per simulated second while a process grows to its RSS (default: rate): a program starts fast, then churns slowly'),
  unmap_fraction: z.number().min(0).max(1).default(0.3).describe('share of steady-state operations that munmap a chunk (the rest rewrite one)'),
  lifetime: zDuration.optional().describe('a process exits after this long (x 0.5..1.5 at random) and a new one starts'),
  respawn_delay: zDuration.prefault('100ms').describe('delay before a process that exited or was OOM-killed is started again'),
  thp: z.enum(['default', 'hugepage', 'nohugepage']).default('default').describe('madvise(MADV_HUGEPAGE / MADV_NOHUGEPAGE) on every chunk'),
  mlock: z.boolean().default(false).describe('map chunks MAP_LOCKED (mlocked, populated at mmap)'),
  oom_score_adj: z.number().int().min(-1000).max(1000).default(0).describe('the processes\' oom_score_adj (-1000: never killed)'),
  comm: z.string().min(1).max(15).optional().describe('process name (default: the workload name)'),
  ...windowShape,
});
export type AnonOptions = z.output<typeof anonOptions>;

interface Proc {
  mm: MmStruct | null;
  /** Start vpns of the mapped chunks (dense; swap-remove). */
  chunks: number[];
  targetChunks: number;
  diesAt: number;
  cpu: number;
  /** The operation chain is waiting for a respawn. */
  dead: boolean;
  /** This process's next operation (one closure for its whole life, not one per event). */
  step: () => void;
}

export class AnonWorkload implements Workload {
  private readonly procs: Proc[] = [];
  /** Counter names, built once. */
  private readonly n: Record<'faults' | 'major' | 'thpAlloc' | 'thpFallback' | 'mmaps' | 'munmaps' | 'enomem', string>;
  private readonly chunkPages: number;
  private readonly period: number;
  private readonly growthPeriod: number;
  private stopAt = 0;

  constructor(readonly name: string, private readonly o: AnonOptions) {
    this.n = {
      faults: `${name}.faults`, major: `${name}.major_faults`, thpAlloc: `${name}.thp_fault_alloc`,
      thpFallback: `${name}.thp_fault_fallback`, mmaps: `${name}.mmaps`, munmaps: `${name}.munmaps`, enomem: `${name}.fault_enomem`,
    };
    this.chunkPages = bytesToPages(o.chunk);
    this.period = periodOf(o.rate);
    this.growthPeriod = periodOf(o.growth_rate ?? o.rate);
  }

  start(ctx: WorkloadContext): void {
    const o = this.o;
    this.stopAt = windowEnd(ctx, o.stop);
    for (let i = 0; i < o.processes; i++) {
      const p: Proc = { mm: null, chunks: [], targetChunks: 0, diesAt: Infinity, cpu: i % ctx.k.config.cpus, dead: true, step: () => {} };
      p.step = () => this.op(ctx, p);
      this.procs.push(p);
      // Stagger the processes over one period so their operations interleave.
      scheduleAt(ctx, o.start + Math.floor((i * this.period) / o.processes), () => this.spawn(ctx, p));
    }
    if (o.stop !== undefined && o.stop <= ctx.endNs) scheduleAt(ctx, o.stop, () => this.stopAll(ctx));
  }

  finish(ctx: WorkloadContext): void {
    let procs = 0;
    let rss = 0;
    let swap = 0;
    let thp = 0;
    for (const p of this.procs) {
      if (!p.mm || p.mm.exited) continue;
      procs++;
      rss += p.mm.anonRss;
      swap += p.mm.swapEnts;
      thp += p.mm.hugePmds.size;
    }
    const c = ctx.counters;
    c.set(`${this.name}.processes`, procs);
    c.set(`${this.name}.rss_pages`, rss);
    c.set(`${this.name}.swap_pages`, swap);
    c.set(`${this.name}.thp_mapped`, thp);
  }

  private spawn(ctx: WorkloadContext, p: Proc): void {
    const { k, prng } = ctx;
    const now = k.clock.now;
    if (now >= this.stopAt && this.o.stop !== undefined) return;
    const pid = allocPid(k);
    p.mm = createMm(k, { pid, comm: this.o.comm ?? this.name.slice(0, 15), oomScoreAdj: this.o.oom_score_adj });
    p.chunks.length = 0;
    p.targetChunks = Math.max(1, Math.round(bytesToPages(sampleSize(this.o.rss, prng)) / this.chunkPages));
    p.diesAt = this.o.lifetime === undefined ? Infinity : now + Math.round(this.o.lifetime * (0.5 + prng.nextFloat()));
    p.dead = false;
    ctx.counters.add(`${this.name}.spawns`);
    this.op(ctx, p);
  }

  private respawnLater(ctx: WorkloadContext, p: Proc): void {
    p.dead = true;
    const at = ctx.k.clock.now + this.o.respawn_delay;
    if (at < this.stopAt) scheduleAt(ctx, at, () => this.spawn(ctx, p));
  }

  /** One chunk operation of process p, then the next one scheduled. */
  private op(ctx: WorkloadContext, p: Proc): void {
    if (p.dead) return;
    const { k, prng, counters } = ctx;
    const mm = p.mm!;
    const name = this.name;
    if (mm.exited) {
      counters.add(`${name}.oom_killed`);
      this.respawnLater(ctx, p);
      return;
    }
    if (k.clock.now >= p.diesAt) {
      exitMm(k, mm);
      counters.add(`${name}.exits`);
      this.respawnLater(ctx, p);
      return;
    }
    k.alloc.cpu = p.cpu;
    const o = this.o;
    const n = this.chunkPages;
    if (isDying(k, mm)) {
      // Chosen by the OOM killer, not yet reaped: nothing to do until it is gone.
    } else if (p.chunks.length < p.targetChunks) {
      const before = this.faultEvents(k);
      try {
        const vpn = mmap(k, mm, n, { locked: o.mlock, hugepage: o.thp === 'hugepage', nohugepage: o.thp === 'nohugepage' });
        p.chunks.push(vpn);
        counters.add(this.n.mmaps);
        this.write(ctx, mm, vpn, n); // with mlock the pages are there already (MAP_LOCKED populates); this finds any it could not get
      } catch (e) {
        if (!(e instanceof OomKilledError)) throw e; // OOM-killed while populating: the next op finds it gone
      } finally {
        this.countFaults(ctx, before);
      }
    } else if (prng.nextFloat() < o.unmap_fraction) {
      const i = prng.nextInt(p.chunks.length);
      munmap(k, mm, p.chunks[i]!, n);
      p.chunks[i] = p.chunks[p.chunks.length - 1]!;
      p.chunks.pop();
      counters.add(this.n.munmaps);
    } else {
      const before = this.faultEvents(k);
      this.write(ctx, mm, p.chunks[prng.nextInt(p.chunks.length)]!, n);
      this.countFaults(ctx, before);
    }
    const next = k.clock.now + (p.chunks.length < p.targetChunks ? this.growthPeriod : this.period);
    if (next < this.stopAt) scheduleAt(ctx, next, p.step);
  }

  /** Write every page of a chunk; a fault that cannot get memory abandons the access. */
  private write(ctx: WorkloadContext, mm: MmStruct, vpn: number, n: number): void {
    if (isDying(ctx.k, mm)) return;
    try {
      touch(ctx.k, mm, vpn, n, true);
    } catch (e) {
      if (e instanceof OomKilledError) return; // the OOM killer took it mid-access
      if (!(e instanceof MmError) || e.code !== -ENOMEM) throw e;
      ctx.counters.add(this.n.enomem);
    }
  }

  private readonly snap = [0, 0, 0, 0];

  private faultEvents(k: Kernel): number[] {
    const ev = k.alloc.events;
    this.snap[0] = ev.get(VmEvent.PGFAULT);
    this.snap[1] = ev.get(VmEvent.PGMAJFAULT);
    this.snap[2] = ev.get(VmEvent.THP_FAULT_ALLOC);
    this.snap[3] = ev.get(VmEvent.THP_FAULT_FALLBACK);
    return this.snap;
  }

  private countFaults(ctx: WorkloadContext, before: number[]): void {
    const ev = ctx.k.alloc.events;
    const c = ctx.counters;
    c.add(this.n.faults, ev.get(VmEvent.PGFAULT) - before[0]!);
    c.add(this.n.major, ev.get(VmEvent.PGMAJFAULT) - before[1]!);
    c.add(this.n.thpAlloc, ev.get(VmEvent.THP_FAULT_ALLOC) - before[2]!);
    c.add(this.n.thpFallback, ev.get(VmEvent.THP_FAULT_FALLBACK) - before[3]!);
  }

  /** `stop`: every process exits (the load is killed); nothing is restarted. */
  private stopAll(ctx: WorkloadContext): void {
    for (const p of this.procs) {
      if (p.mm && !p.mm.exited) exitMm(ctx.k, p.mm);
      p.dead = true;
    }
  }
}
