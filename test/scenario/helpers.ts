/**
 * Test-only workload kinds, added to the registry for the duration of a test file (the
 * scenario schema is built from the registry at load time, so they are valid `kind:`s).
 */
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

export const TEST_KINDS: WorkloadKind[] = [testCompact, testHog];

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
