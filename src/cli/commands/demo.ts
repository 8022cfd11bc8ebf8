/**
 * `pagelab demo`: boot a machine, churn user and kernel allocations, and show how fallback
 * stealing spreads unmovable memory over the pageblocks, in the kernel's own /proc formats.
 */
import { MAX_ORDER, MigrateType, PAGEBLOCK_ORDER } from '../../mm/constants.js';
import { renderBuddyinfo, renderPagetypeinfo } from '../../mm/procfs.js';
import { takeSnapshot } from '../../mm/show.js';
import type { KmemTraceSink } from '../../mm/tracepoints.js';
import { Prng } from '../../sim/prng.js';
import { findWorkloadKind } from '../../workloads/index.js';
import { RunCounters } from '../../workloads/workload.js';
import { Kernel } from '../../mm/kernel.js';
import { UsageError, foundValue } from '../errors.js';
import { defaultMachine, loadMachineFile } from '../machine_file.js';

export interface DemoOptions {
  machine?: string;
  seed: string;
  ops: string;
  fill: string;
}

/** Counts mm_page_alloc_extfrag events (fallbacks) and how many took over their pageblock. */
class ExtfragCounter implements KmemTraceSink {
  fallbacks = 0;
  fragmenting = 0;
  mmPageAlloc(): void {}
  mmPageFree(): void {}
  mmPagePcpuDrain(): void {}
  mmPageAllocExtfrag(_c: unknown, _p: number, _a: number, fallbackOrder: number): void {
    this.fallbacks++;
    if (fallbackOrder < PAGEBLOCK_ORDER) this.fragmenting++;
  }
}

function parseWhole(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name}: expected a whole number >= ${min}, found ${foundValue(v)}`);
  return n;
}

export function demoCommand(opts: DemoOptions): void {
  const seed = parseWhole('--seed', opts.seed, 0);
  const ops = parseWhole('--ops', opts.ops, 1);
  const fill = Number(opts.fill);
  if (!(fill > 0 && fill < 1)) throw new UsageError(`--fill: expected a fraction between 0 and 1, found ${foundValue(opts.fill)}`);
  const config = opts.machine ? loadMachineFile(opts.machine) : defaultMachine();
  const k = new Kernel(config, seed);
  const { alloc, minFreeKbytes } = k;
  const out = process.stdout;
  out.write(`pagelab demo: ${describe(config.nodes)}, ${config.cpus} cpus, pcp ${config.pcp ? 'on' : 'off'}, min_free_kbytes ${minFreeKbytes}\n\n`);
  out.write('/proc/buddyinfo after boot\n' + renderBuddyinfo(takeSnapshot(alloc)) + '\n');
  const counter = new ExtfragCounter();
  alloc.trace = counter;
  // The registry's `churn` workload at 1000 operations per simulated second, for ops / 1000 s.
  const RATE = 1000;
  const counters = new RunCounters();
  const endNs = Math.round((ops / RATE) * 1e9);
  const churn = findWorkloadKind('churn')!.create({ rate: RATE, target_fill: fill }, 'churn');
  churn.start({ k, prng: new Prng(seed), counters, endNs, snapshot: () => {} });
  for (let t = 0; t < endNs; ) {
    t = Math.min(endNs, t + 1e9);
    k.clock.runUntil(t);
    if (process.stderr.isTTY) process.stderr.write(`\r  churn ${Math.round((100 * t) / endNs)}%`);
  }
  if (process.stderr.isTTY) process.stderr.write('\r              \r');
  alloc.trace = null;
  const res = { allocations: counters.get('churn.allocs'), frees: counters.get('churn.frees'), failures: counters.get('churn.alloc_fail') };
  const snap = takeSnapshot(alloc);
  out.write(`after ${ops} operations (${res.allocations} allocations, ${res.frees} frees, ${res.failures} failed) at ${Math.round(fill * 100)}% target fill:\n\n`);
  out.write('/proc/buddyinfo\n' + renderBuddyinfo(snap) + '\n');
  out.write('/proc/pagetypeinfo\n' + renderPagetypeinfo(snap) + '\n');
  let unmovableBlocks = 0;
  let hugeFree = 0;
  for (const node of snap.nodes) {
    for (const z of node.zones) {
      unmovableBlocks += z.pageblocksByType[MigrateType.UNMOVABLE]! + z.pageblocksByType[MigrateType.RECLAIMABLE]!;
      for (let o = PAGEBLOCK_ORDER; o < MAX_ORDER; o++) hugeFree += z.nrFree[o]! << (o - PAGEBLOCK_ORDER);
    }
  }
  out.write(
    `fallbacks (mm_page_alloc_extfrag): ${counter.fallbacks}, of which fragmenting: ${counter.fragmenting}\n` +
      `pageblocks owned by unmovable/reclaimable: ${unmovableBlocks}; free 2 MiB blocks: ${hugeFree}\n`,
  );
}

function describe(nodes: { zones: { name: string; managed: number }[] }[]): string {
  const parts = nodes.flatMap((n) => n.zones.map((z) => `${z.name} ${Math.round(z.managed / 256)} MiB`));
  return parts.join(', ');
}
