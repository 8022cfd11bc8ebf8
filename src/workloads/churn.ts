/**
 * A fragmenting allocation churn: user pages (MOVABLE) and kernel pages (UNMOVABLE and
 * RECLAIMABLE, orders 0-3) allocated and freed at random, the way long-running mixed systems
 * slowly pollute MOVABLE pageblocks through fallback stealing.
 */
import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL, __GFP_RECLAIMABLE } from '../mm/gfp.js';
import type { PageAllocator } from '../mm/page_alloc.js';
import type { Prng } from '../sim/prng.js';

export interface ChurnOptions {
  /** Allocation/free operations to perform. */
  ops: number;
  /** Fraction of memory (0..1) the churn tries to keep allocated. */
  targetFill: number;
}

export interface ChurnResult {
  allocations: number;
  frees: number;
  failures: number;
}

const KINDS = [
  { gfp: GFP_HIGHUSER_MOVABLE, maxOrder: 0, weight: 70 },
  { gfp: GFP_KERNEL, maxOrder: 3, weight: 15 },
  { gfp: GFP_KERNEL | __GFP_RECLAIMABLE, maxOrder: 1, weight: 15 },
] as const;

export function runChurn(alloc: PageAllocator, prng: Prng, opts: ChurnOptions, onProgress?: (done: number) => void): ChurnResult {
  let managed = 0;
  for (const z of alloc.zoneById) if (z) managed += z.managed;
  const target = Math.floor(managed * opts.targetFill);
  // Live allocations as parallel arrays (pfn, order) with swap-remove for O(1) random frees.
  const pfns: number[] = [];
  const orders: number[] = [];
  let allocated = 0;
  const res: ChurnResult = { allocations: 0, frees: 0, failures: 0 };
  const totalWeight = KINDS.reduce((s, k) => s + k.weight, 0);
  for (let op = 0; op < opts.ops; op++) {
    alloc.cpu = prng.nextInt(alloc.nrCpus);
    const wantAlloc = allocated < target ? prng.nextFloat() < 0.75 : prng.nextFloat() < 0.4;
    if (wantAlloc || pfns.length === 0) {
      let w = prng.nextInt(totalWeight);
      let kind: (typeof KINDS)[number] = KINDS[0];
      for (const k of KINDS) {
        if (w < k.weight) { kind = k; break; }
        w -= k.weight;
      }
      const order = kind.maxOrder ? prng.nextInt(kind.maxOrder + 1) : 0;
      const pfn = alloc.allocPages(kind.gfp, order);
      if (pfn < 0) {
        res.failures++;
        continue;
      }
      pfns.push(pfn);
      orders.push(order);
      allocated += 1 << order;
      res.allocations++;
    } else {
      const i = prng.nextInt(pfns.length);
      alloc.freePages(pfns[i]!, orders[i]!);
      allocated -= 1 << orders[i]!;
      pfns[i] = pfns[pfns.length - 1]!;
      orders[i] = orders[orders.length - 1]!;
      pfns.pop();
      orders.pop();
      res.frees++;
    }
    if (onProgress && (op & 0xffff) === 0) onProgress(op);
  }
  return res;
}
