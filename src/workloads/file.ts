/**
 * `file`: readers and writers of regular files through the page cache. Each operation reads or
 * writes `io_size` of one of the files, at an offset chosen by the access pattern: sequential
 * (a cursor per file, wrapping), random (uniform) or zipf (a continuous Zipf law over the
 * file's io-sized chunks, chunk 0 the most popular, exponent `zipf_s`). Writes dirty pages; a
 * flusher writes every file's dirty pages back every `writeback_every` (the kernel's
 * dirty_writeback_centisecs; pages stay under writeback for `write_latency`). Optionally
 * `echo 1 > /proc/sys/vm/drop_caches` periodically or at given times.
 *
 * Stopping ends the I/O; the cache stays (or the files are deleted with `unlink_at_stop`).
 *
 * Counters: reads, writes (operations), pages_cached (read hits), pages_read (read from disk,
 * i.e. pgpgin), pages_written, enomem (an operation cut short: no memory for a page),
 * writeback_pages (pages submitted by the flusher), drop_caches, dropped_pages; at the end:
 * cache_pages (the files' pages in the cache).
 */
import { z } from 'zod';
import { createFile, dropPagecache, fileRead, fileWrite, releaseFile, writebackMapping, type File } from '../mm/file.js';
import type { CurrentTask } from '../mm/kernel.js';
import { ENOMEM, MmError } from '../mm/mm_error.js';
import { zDuration, zSize } from '../scenario/units.js';
import { allocPid, bytesToPages, every, periodOf, scheduleAt, windowEnd, windowShape } from './common.js';
import type { Workload, WorkloadContext } from './workload.js';

export const fileOptions = z.strictObject({
  files: z.number().int().min(1).max(4096).default(1).describe('number of files'),
  size: zSize.prefault('256MiB').describe('size of each file'),
  rate: z.number().positive().default(100).describe('I/O operations per simulated second (all files together)'),
  io_size: zSize.prefault('256KiB').describe('bytes read or written per operation'),
  write_fraction: z.number().min(0).max(1).default(0).describe('share of operations that are writes'),
  pattern: z.enum(['sequential', 'random', 'zipf']).default('sequential').describe('how offsets are chosen'),
  zipf_s: z.number().positive().default(1).describe('Zipf exponent for pattern: zipf'),
  writeback_every: zDuration.prefault('5s').describe('flusher interval: dirty pages of every file are written back (0: never)'),
  write_latency: zDuration.prefault('1ms').describe('time a page stays under writeback'),
  drop_caches_every: zDuration.optional().describe('echo 1 > /proc/sys/vm/drop_caches at this interval'),
  drop_caches_at: z.array(zDuration).default([]).describe('echo 1 > /proc/sys/vm/drop_caches at these times'),
  unlink_at_stop: z.boolean().default(false).describe('delete the files (truncating their cache) when the workload stops'),
  ...windowShape,
});
export type FileOptions = z.output<typeof fileOptions>;

export class FileWorkload implements Workload {
  private readonly files: File[] = [];
  private readonly cursors: number[] = [];
  private readonly ioPages: number;
  private readonly chunks: number;
  private next = 0;
  private task: CurrentTask = { comm: '', pid: 0, oomScoreAdj: 0 };
  private cpu = 0;
  /** Counter names, built once. */
  private readonly n: Record<'reads' | 'writes' | 'cached' | 'read' | 'written' | 'enomem', string>;

  constructor(readonly name: string, private readonly o: FileOptions) {
    this.n = {
      reads: `${name}.reads`, writes: `${name}.writes`, cached: `${name}.pages_cached`, read: `${name}.pages_read`,
      written: `${name}.pages_written`, enomem: `${name}.enomem`,
    };
    this.ioPages = bytesToPages(o.io_size);
    this.chunks = Math.max(1, Math.ceil(bytesToPages(o.size) / this.ioPages));
  }

  start(ctx: WorkloadContext): void {
    const { k } = ctx;
    const o = this.o;
    const sizePages = bytesToPages(o.size);
    this.task = { comm: this.name.slice(0, 15), pid: allocPid(k), oomScoreAdj: 0 };
    this.cpu = this.task.pid % k.config.cpus;
    for (let i = 0; i < o.files; i++) {
      this.files.push(createFile(k, `${this.name}.${i}`, { sizePages, writeLatencyNs: o.write_latency }));
      this.cursors.push(0);
    }
    const end = windowEnd(ctx, o.stop);
    every(ctx, o.start, periodOf(o.rate), end - 1, () => this.op(ctx));
    if (o.writeback_every > 0) every(ctx, o.start + o.writeback_every, o.writeback_every, end, () => this.writeback(ctx));
    if (o.drop_caches_every !== undefined && o.drop_caches_every > 0) {
      every(ctx, o.start + o.drop_caches_every, o.drop_caches_every, end, () => this.dropCaches(ctx));
    }
    for (const at of o.drop_caches_at) scheduleAt(ctx, at, () => this.dropCaches(ctx));
    if (o.stop !== undefined && o.unlink_at_stop) scheduleAt(ctx, o.stop, () => this.unlink(ctx));
  }

  finish(ctx: WorkloadContext): void {
    let cached = 0;
    for (const f of this.files) cached += f.nrpages;
    ctx.counters.set(`${this.name}.cache_pages`, cached);
  }

  private pickChunk(ctx: WorkloadContext, f: number): number {
    const n = this.chunks;
    switch (this.o.pattern) {
      case 'sequential': {
        const c = this.cursors[f]!;
        this.cursors[f] = c + 1 >= n ? 0 : c + 1;
        return c;
      }
      case 'random':
        return ctx.prng.nextInt(n);
      case 'zipf': {
        // Inverse CDF of the continuous power law p(x) ~ x^-s on [1, n + 1).
        const u = ctx.prng.nextFloat();
        const s = this.o.zipf_s;
        const top = n + 1;
        const x = s === 1 ? Math.pow(top, u) : Math.pow(1 + u * (Math.pow(top, 1 - s) - 1), 1 / (1 - s));
        return Math.min(n - 1, Math.max(0, Math.floor(x) - 1));
      }
    }
  }

  private op(ctx: WorkloadContext): void {
    const { k, prng, counters } = ctx;
    if (this.files.length === 0) return;
    const f = this.o.files === 1 ? 0 : this.o.pattern === 'sequential' ? this.next++ % this.files.length : prng.nextInt(this.files.length);
    const file = this.files[f]!;
    const index = this.pickChunk(ctx, f) * this.ioPages;
    const write = this.o.write_fraction > 0 && prng.nextFloat() < this.o.write_fraction;
    const n = this.n;
    const prev = k.current;
    k.setCurrent(this.task);
    k.alloc.cpu = this.cpu;
    try {
      if (write) {
        counters.add(n.writes);
        fileWrite(k, file, index, this.ioPages);
        counters.add(n.written, this.ioPages);
      } else {
        counters.add(n.reads);
        const st = fileRead(k, file, index, this.ioPages);
        counters.add(n.cached, st.cached);
        counters.add(n.read, st.read);
      }
    } catch (e) {
      if (!(e instanceof MmError) || e.code !== -ENOMEM) throw e;
      counters.add(n.enomem);
    } finally {
      k.setCurrent(prev);
    }
  }

  private writeback(ctx: WorkloadContext): void {
    let n = 0;
    for (const f of this.files) n += writebackMapping(ctx.k, f);
    ctx.counters.add(`${this.name}.writeback_pages`, n);
  }

  private dropCaches(ctx: WorkloadContext): void {
    ctx.counters.add(`${this.name}.drop_caches`);
    ctx.counters.add(`${this.name}.dropped_pages`, dropPagecache(ctx.k));
  }

  private unlink(ctx: WorkloadContext): void {
    for (const f of this.files) releaseFile(ctx.k, f);
    this.files.length = 0;
  }
}
