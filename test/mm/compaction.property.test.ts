/**
 * Property tests: random mixes of page cache, kernel allocations, pins and frees, then
 * compaction (whole-machine and direct, through high-order allocations), with the invariant
 * checker run after every migration step.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import { AddressSpace, filemapAddFolio, filemapRemoveFolio } from '../../src/mm/filemap.js';
import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL, __GFP_NORETRY, __GFP_RECLAIMABLE } from '../../src/mm/gfp.js';
import { Kernel } from '../../src/mm/kernel.js';
import { migrateFolio } from '../../src/mm/migrate.js';
import { VmEvent } from '../../src/mm/vmstat.js';

type Op =
  | { kind: 'cache'; n: number }
  | { kind: 'kernel'; order: number; reclaimable: boolean }
  | { kind: 'free'; at: number }
  | { kind: 'pin'; at: number }
  | { kind: 'highorder'; order: number }
  | { kind: 'compact' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('cache' as const), n: fc.integer({ min: 1, max: 1000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('kernel' as const), order: fc.integer({ min: 0, max: 3 }), reclaimable: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('free' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('pin' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('highorder' as const), order: fc.integer({ min: 1, max: 9 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const) }) },
);

describe('compaction and migration keep the allocator consistent', () => {
  it('invariants hold after every migration step of random workloads', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 5, maxLength: 25 }), fc.boolean(), (ops, pcp) => {
        // 32 MiB (the smallest machine): 16 pageblocks, enough for the scanners and fast searches to cross several.
        const k = new Kernel(loadMachineSpec(`machine:\n  cpus: 2\n  pcp: ${pcp}\n  thp: false\n  memory: 32MiB\n`, 'm.yaml'));
        k.compaction.onStep = () => checkInvariants(k.alloc);
        const file = k.owners.register(new AddressSpace('file', 'f', GFP_HIGHUSER_MOVABLE, { migrateFolio }));
        const cache: number[] = []; // page indexes in the file
        const kernel: [number, number][] = [];
        let next = 0;
        for (const o of ops) {
          if (o.kind === 'cache') {
            for (let i = 0; i < o.n; i++) {
              const pfn = k.alloc.allocPages(GFP_HIGHUSER_MOVABLE | __GFP_NORETRY, 0);
              if (pfn < 0) break;
              filemapAddFolio(k, file, pfn, next);
              k.putPage(pfn);
              cache.push(next++);
            }
          } else if (o.kind === 'kernel') {
            const pfn = k.alloc.allocPages(GFP_KERNEL | __GFP_NORETRY | (o.reclaimable ? __GFP_RECLAIMABLE : 0), o.order);
            if (pfn >= 0) kernel.push([pfn, o.order]);
          } else if (o.kind === 'free' && cache.length) {
            const i = o.at % cache.length;
            const pfn = file.iPages.get(cache[i]!);
            if (pfn !== undefined && k.mem.refcount[k.slot(pfn)] === 1) filemapRemoveFolio(k, file, pfn);
            cache.splice(i, 1);
          } else if (o.kind === 'free' && kernel.length) {
            const [pfn, order] = kernel.splice(o.at % kernel.length, 1)[0]!;
            k.alloc.freePages(pfn, order);
          } else if (o.kind === 'pin' && cache.length) {
            const pfn = file.iPages.get(cache[o.at % cache.length]!);
            if (pfn !== undefined) k.getPage(pfn);
          } else if (o.kind === 'highorder') {
            const pfn = k.alloc.allocPages(GFP_KERNEL, o.order);
            if (pfn >= 0) kernel.push([pfn, o.order]);
          } else if (o.kind === 'compact') {
            k.compaction.compactMemory();
          }
          checkInvariants(k.alloc);
          // Every cached index still maps to a page that says it is that index of the file.
          for (const idx of cache) {
            const pfn = file.iPages.get(idx);
            if (pfn === undefined) continue;
            expect(k.mem.mapping[k.slot(pfn)]).toBe(file.id);
            expect(k.mem.index[k.slot(pfn)]).toBe(idx);
          }
        }
        const ev = k.alloc.events;
        expect(ev.get(VmEvent.COMPACT_STALL)).toBe(ev.get(VmEvent.COMPACT_SUCCESS) + ev.get(VmEvent.COMPACT_FAIL));
      }),
      { numRuns: 15 }, // the seed comes from test/setup/fast-check.ts (FC_SEED)
    );
  });
});
