/**
 * The workload registry: every `kind:` a scenario may use, its options schema (strict: unknown
 * options are errors) and its constructor. Add a kind by adding an entry to WORKLOAD_KINDS.
 */
import { z } from 'zod';
import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL, __GFP_RECLAIMABLE } from '../mm/gfp.js';
import { zDuration } from '../scenario/units.js';
import type { Workload, WorkloadContext } from './workload.js';

export interface WorkloadKind {
  kind: string;
  /** One line for `pagelab schema` and the docs. */
  description: string;
  /** The entry's options (everything but kind and name), strict. */
  options: z.ZodObject<z.ZodRawShape>;
  /** Build from the raw entry options: they are parsed (units, defaults) exactly once, here. */
  create(rawOptions: unknown, name: string): Workload;
}

/** A kind whose constructor gets its options parsed and typed. */
export function defineWorkload<S extends z.ZodObject<z.ZodRawShape>>(
  kind: string,
  description: string,
  options: S,
  make: (o: z.output<S>, name: string) => Workload,
): WorkloadKind {
  return { kind, description, options, create: (raw, name) => make(options.parse(raw), name) };
}

/**
 * `churn`: random user and kernel allocations and frees at a rate (the demo's mix): MOVABLE
 * order 0, UNMOVABLE orders 0-3, RECLAIMABLE orders 0-1, keeping a target fraction allocated.
 */
const churnOptions = z.strictObject({
  rate: z.number().positive().default(1000).describe('operations per simulated second'),
  target_fill: z.number().gt(0).lt(1).default(0.8).describe('fraction of memory to keep allocated'),
  start: zDuration.default(0),
});

class ChurnWorkload implements Workload {
  private readonly pfns: number[] = [];
  private readonly orders: number[] = [];
  private allocated = 0;

  constructor(readonly name: string, private readonly o: z.infer<typeof churnOptions>) {}

  start(ctx: WorkloadContext): void {
    const period = Math.max(1, Math.round(1e9 / this.o.rate));
    let managed = 0;
    for (const z of ctx.k.alloc.zoneById) if (z) managed += z.managed;
    const target = Math.floor(managed * this.o.target_fill);
    const step = (): void => {
      this.op(ctx, target);
      if (ctx.k.clock.now + period <= ctx.endNs) ctx.k.clock.scheduleAfter(period, step);
    };
    ctx.k.clock.scheduleAt(this.o.start, step);
  }

  private op(ctx: WorkloadContext, target: number): void {
    const { k, prng } = ctx;
    const wantAlloc = this.allocated < target ? prng.nextFloat() < 0.75 : prng.nextFloat() < 0.4;
    if (wantAlloc || this.pfns.length === 0) {
      const r = prng.nextInt(100);
      const [gfp, order] = r < 70 ? [GFP_HIGHUSER_MOVABLE, 0] : r < 85 ? [GFP_KERNEL, prng.nextInt(4)] : [GFP_KERNEL | __GFP_RECLAIMABLE, prng.nextInt(2)];
      const pfn = k.alloc.allocPages(gfp, order);
      if (pfn < 0) {
        ctx.counters.add(`${this.name}.alloc_fail`);
        return;
      }
      this.pfns.push(pfn);
      this.orders.push(order);
      this.allocated += 1 << order;
      ctx.counters.add(`${this.name}.allocs`);
    } else {
      const i = prng.nextInt(this.pfns.length);
      k.alloc.freePages(this.pfns[i]!, this.orders[i]!);
      this.allocated -= 1 << this.orders[i]!;
      this.pfns[i] = this.pfns[this.pfns.length - 1]!;
      this.orders[i] = this.orders[this.orders.length - 1]!;
      this.pfns.pop();
      this.orders.pop();
      ctx.counters.add(`${this.name}.frees`);
    }
  }
}

export const WORKLOAD_KINDS: WorkloadKind[] = [
  defineWorkload(
    'churn',
    'random user (movable) and kernel (unmovable, reclaimable) page allocations and frees at a rate',
    churnOptions,
    (o, name) => new ChurnWorkload(name, o),
  ),
];

export function findWorkloadKind(kind: string): WorkloadKind | undefined {
  return WORKLOAD_KINDS.find((w) => w.kind === kind);
}
