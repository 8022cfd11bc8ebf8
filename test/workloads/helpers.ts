/**
 * Running workload building blocks as the scenario runner will: a Kernel built directly, each
 * entry created through the registry (so its options are parsed exactly as a scenario's),
 * started at time 0 with its own forked Prng and a shared RunCounters, the clock run to the
 * end, then finish(). Also: a watch on the event queue that records any event a workload
 * schedules past the end of the run, and the vmstat figures the tests compare counters with.
 */
import { loadMachineSpec } from '../../src/machine/spec.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import { checkUserInvariants } from '../../src/mm/debug_vm_users.js';
import { Kernel } from '../../src/mm/kernel.js';
import { NodeStat, VmEvent, ZoneStat } from '../../src/mm/vmstat.js';
import { Prng } from '../../src/sim/prng.js';
import { findWorkloadKind } from '../../src/workloads/index.js';
import { RunCounters, type Workload, type WorkloadContext } from '../../src/workloads/workload.js';

export interface Entry {
  kind: string;
  name?: string;
  [option: string]: unknown;
}

export interface RunOptions {
  seed?: number;
  /** Called after boot, before the workloads start (sysctls, swapon, ...). */
  setup?: (k: Kernel) => void;
  /** Looks at the machine at given times (scheduled after the workloads started). */
  probes?: { at: number; fn: (k: Kernel) => void }[];
}

export interface Run {
  k: Kernel;
  counters: Record<string, number>;
  /** Events a workload scheduled after endNs (its file:line and the time asked for). */
  late: string[];
  /** vm events before the workloads started, to take deltas against. */
  eventsBefore: Float64Array;
}

export const machine = (memory: string, extra = ''): string => `machine:\n  cpus: 2\n  memory: ${memory}\n${extra}`;

/** The source frame that called into the event queue, skipping the queue and this file. */
function scheduler(): string {
  const stack = new Error().stack?.split('\n').slice(1) ?? [];
  for (const line of stack) {
    if (line.includes('/sim/clock.') || line.includes('/test/workloads/helpers.')) continue;
    return line.trim();
  }
  return '?';
}

export function runWorkloads(machineYaml: string, entries: Entry[], endNs: number, opts: RunOptions = {}): Run {
  const seed = opts.seed ?? 1;
  const k = new Kernel(loadMachineSpec(machineYaml, 'machine.yaml'), seed);
  opts.setup?.(k);
  const late: string[] = [];
  const clock = k.clock;
  const scheduleAt = clock.scheduleAt.bind(clock);
  clock.scheduleAt = (at, cb) => {
    if (at > endNs) {
      const who = scheduler();
      if (who.includes('/src/workloads/')) late.push(`${who} at ${at}`);
    }
    return scheduleAt(at, cb);
  };
  const counters = new RunCounters();
  const root = new Prng(seed ^ 0x5eed);
  const running: { w: Workload; ctx: WorkloadContext }[] = entries.map((e, i) => {
    const { kind, name, ...options } = e;
    const wk = findWorkloadKind(kind);
    if (!wk) throw new Error(`no workload kind ${kind}`);
    return { w: wk.create(options, name ?? `${kind}${i}`), ctx: { k, prng: root.fork(), counters, endNs, snapshot: () => {} } };
  });
  const eventsBefore = Float64Array.from(k.alloc.events.values);
  for (const { w, ctx } of running) w.start(ctx);
  for (const p of opts.probes ?? []) clock.scheduleAt(p.at, () => p.fn(k));
  clock.runUntil(endNs);
  for (const { w, ctx } of running) w.finish?.(ctx);
  return { k, counters: counters.toRecord(), late, eventsBefore };
}

/** Both invariant checkers. */
export function check(k: Kernel): void {
  checkInvariants(k.alloc);
  checkUserInvariants(k);
}

export function ev(r: Run, item: VmEvent): number {
  return r.k.alloc.events.get(item) - r.eventsBefore[item]!;
}

export function nodeStat(k: Kernel, item: NodeStat): number {
  let n = 0;
  for (let nid = 0; nid < k.nodes.length; nid++) n += k.nodeStat(nid, item);
  return n;
}

export function zoneStat(k: Kernel, item: ZoneStat): number {
  let n = 0;
  for (const z of k.alloc.zoneById) if (z) n += z.vmStat[item]!;
  return n;
}

export const SEC = 1e9;
export const MS = 1e6;
