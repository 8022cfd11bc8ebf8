/**
 * What every workload building block is: a small module on top of the kernel model that
 * schedules its own events on the machine's virtual clock. Workloads are created from the
 * validated `workloads:` entries of a scenario (see ./index.ts for the registry).
 */
import type { z } from 'zod';
import type { Kernel } from '../mm/kernel.js';
import type { Prng } from '../sim/prng.js';

/** Named counters a workload reports into the run's summary ("highalloc.order9.success", ...). */
export class RunCounters {
  private readonly values = new Map<string, number>();

  add(name: string, n = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0) + n);
  }

  set(name: string, v: number): void {
    this.values.set(name, v);
  }

  get(name: string): number {
    return this.values.get(name) ?? 0;
  }

  /** Sorted by name, so summaries are byte-identical run after run. */
  toRecord(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const key of [...this.values.keys()].sort()) out[key] = this.values.get(key)!;
    return out;
  }
}

export interface WorkloadContext {
  k: Kernel;
  /** This workload's own random stream (forked from the run's seed). */
  prng: Prng;
  counters: RunCounters;
  /** Simulated end of the run, ns: workloads schedule nothing after it. */
  endNs: number;
  /**
   * Take the /proc snapshots (buddyinfo, pagetypeinfo, vmstat, zoneinfo) now, labelled: a
   * workload's phase boundary, as the validation harness's phase_end() records it.
   */
  snapshot(label: string): void;
}

export interface Workload {
  /** The scenario's name for it (its `name:` or kind + index). */
  readonly name: string;
  /** Schedule the first events (called once, at time 0, in scenario order). */
  start(ctx: WorkloadContext): void;
  /** Called at the end of the run (before the summary is taken), e.g. to count what is held. */
  finish?(ctx: WorkloadContext): void;
}

/** A registry entry (see ./index.ts): a kind, its strict options schema and its constructor. */
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
