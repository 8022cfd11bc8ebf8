/**
 * Test-only workload kinds, added to the registry for the duration of a test file (the
 * scenario schema is built from the registry at load time, so they are valid `kind:`s).
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';
import { z } from 'zod';
import { GFP_HIGHUSER_MOVABLE } from '../../src/mm/gfp.js';
import type { OomTask } from '../../src/mm/oom_kill.js';
import { zDuration } from '../../src/scenario/units.js';
import { WORKLOAD_KINDS, defineWorkload } from '../../src/workloads/index.js';
import type { WorkloadKind } from '../../src/workloads/index.js';

/** `test-compact`: echo 1 > /proc/sys/vm/compact_memory at `at`. */
const testCompact = defineWorkload(
  'test-compact',
  'compact all zones once (test only)',
  z.strictObject({ at: zDuration.default(0) }),
  (o, name) => ({
    name,
    start(ctx) {
      ctx.k.clock.scheduleAt(o.at, () => {
        ctx.k.compaction.compactMemory();
        ctx.counters.add(`${name}.runs`);
      });
    },
  }),
);

/**
 * `test-hog`: a process that, at `at`, allocates user pages until it is OOM-killed (the
 * killer frees what it holds).
 */
const testHog = defineWorkload(
  'test-hog',
  'a process allocating until the OOM killer takes it (test only)',
  z.strictObject({ at: zDuration.default(0), pid: z.int().positive().default(4242) }),
  (o, name) => ({
    name,
    start(ctx) {
      const held: number[] = [];
      let killed = false;
      const task: OomTask = {
        pid: o.pid,
        comm: 'hog',
        uid: 1000,
        oomScoreAdj: 0,
        totalVmPages: () => held.length,
        rssAnon: () => held.length,
        rssFile: () => 0,
        rssShmem: () => 0,
        swapents: () => 0,
        pgtablesBytes: () => 0,
        kill() {
          killed = true;
          for (const pfn of held.splice(0)) ctx.k.alloc.freePages(pfn, 0);
        },
      };
      ctx.k.clock.scheduleAt(o.at, () => {
        ctx.k.oom.tasks.add(task);
        while (!killed) {
          const pfn = ctx.k.alloc.allocPages(GFP_HIGHUSER_MOVABLE, 0);
          if (pfn < 0) break;
          if (!killed) held.push(pfn);
          else ctx.k.alloc.freePages(pfn, 0);
        }
        ctx.counters.set(`${name}.killed`, killed ? 1 : 0);
      });
    },
  }),
);

/**
 * `test-slow-reclaim`: fires the vmscan tracepoints of one direct reclaim call and one kswapd
 * run that begin at `at` and end at `until`, as a model that charges reclaim time would.
 */
const testSlowReclaim = defineWorkload(
  'test-slow-reclaim',
  'vmscan tracepoints spanning simulated time (test only)',
  z.strictObject({ at: zDuration.default(0), until: zDuration }),
  (o, name) => ({
    name,
    start(ctx) {
      const { k } = ctx;
      k.clock.scheduleAt(o.at, () => {
        k.traceEvent('mm_vmscan_direct_reclaim_begin', 'order=2 gfp_flags=GFP_KERNEL');
        k.traceEvent('mm_vmscan_kswapd_wake', 'nid=0 order=2');
      });
      k.clock.scheduleAt(o.until, () => {
        k.traceEvent('mm_vmscan_direct_reclaim_end', 'nr_reclaimed=7');
        k.traceEvent('mm_vmscan_kswapd_sleep', 'nid=0');
        ctx.counters.set(`${name}.done`, 1);
      });
    },
  }),
);

export const TEST_KINDS: WorkloadKind[] = [testCompact, testHog, testSlowReclaim];

/** Register the test kinds for the enclosing test file. */
export function useTestWorkloadKinds(): void {
  beforeAll(() => {
    WORKLOAD_KINDS.push(...TEST_KINDS);
  });
  afterAll(() => {
    for (const k of TEST_KINDS) {
      const i = WORKLOAD_KINDS.indexOf(k);
      if (i >= 0) WORKLOAD_KINDS.splice(i, 1);
    }
  });
}

/** A 64 MiB single-zone machine: small, so runs are fast. */
export const SMALL_MACHINE = `machine:
  cpus: 2
  zones:
    - { name: Normal, start_pfn: 0x100000, pages: 16384 }
`;

/**
 * Run the CLI and send it SIGINT after `delayMs`. A signal that lands before the command has
 * installed its handler (Node still loading, on a busy machine) kills the process (status
 * null); then it is tried again with twice the delay, a few times.
 */
export async function interruptCli(args: string[], cwd: string, delayMs: number): Promise<{ status: number | null; stdout: string; stderr: string }> {
  for (let attempt = 0; ; attempt++) {
    const child = spawn(process.execPath, args, { cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGINT'), delayMs << attempt);
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    clearTimeout(timer);
    if (status !== null || attempt === 3) return { status, stdout, stderr };
  }
}
