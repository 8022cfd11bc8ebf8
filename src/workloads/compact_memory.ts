/**
 * `compact-memory`: `echo 1 > /proc/sys/vm/compact_memory` (or, with `node`, the node's
 * /sys/devices/system/node/nodeN/compact) at given times and/or periodically: a full, synchronous
 * compaction of every zone (compact_nodes()).
 *
 * Counters: runs, pgmigrate_success and compact_isolated (vmstat deltas over the runs), and
 * for the last run: hugepages_before / hugepages_after (free order-9 blocks, in 2 MiB units)
 * and extfrag_before / extfrag_after (percent of free memory in blocks below order 9).
 */
import { z } from 'zod';
import { VmEvent } from '../mm/vmstat.js';
import { zDuration } from '../scenario/units.js';
import { blocksObtainable, every, extfragPercent, scheduleAt, windowEnd, windowShape } from './common.js';
import type { Workload, WorkloadContext } from './workload.js';

export const compactMemoryOptions = z.strictObject({
  at: z.array(zDuration).default([]).describe('times to write compact_memory'),
  every: zDuration.optional().describe('also write it at this interval from `start`'),
  node: z.number().int().min(0).optional().describe('compact only this node (default: all)'),
  ...windowShape,
});
export type CompactMemoryOptions = z.output<typeof compactMemoryOptions>;

export class CompactMemoryWorkload implements Workload {
  constructor(readonly name: string, private readonly o: CompactMemoryOptions) {}

  start(ctx: WorkloadContext): void {
    const o = this.o;
    for (const at of o.at) scheduleAt(ctx, at, () => this.run(ctx));
    if (o.every !== undefined && o.every > 0) every(ctx, o.start + o.every, o.every, windowEnd(ctx, o.stop), () => this.run(ctx));
  }

  /** One write to compact_memory. */
  run(ctx: WorkloadContext): void {
    const { k, counters } = ctx;
    const n = this.name;
    if (this.o.node !== undefined && this.o.node >= k.nodes.length) return;
    counters.set(`${n}.hugepages_before`, blocksObtainable(k));
    counters.set(`${n}.extfrag_before`, extfragPercent(k));
    const migrated = k.alloc.events.get(VmEvent.PGMIGRATE_SUCCESS);
    const isolated = k.alloc.events.get(VmEvent.COMPACT_ISOLATED);
    k.compaction.compactMemory(this.o.node);
    counters.add(`${n}.runs`);
    counters.add(`${n}.pgmigrate_success`, k.alloc.events.get(VmEvent.PGMIGRATE_SUCCESS) - migrated);
    counters.add(`${n}.compact_isolated`, k.alloc.events.get(VmEvent.COMPACT_ISOLATED) - isolated);
    counters.set(`${n}.hugepages_after`, blocksObtainable(k));
    counters.set(`${n}.extfrag_after`, extfragPercent(k));
  }
}
