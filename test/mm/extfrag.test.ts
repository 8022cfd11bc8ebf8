import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KERNEL_FIXTURE_DIR, kernelFixtureFiles } from '../fixtures.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_ORDER } from '../../src/mm/constants.js';
import {
  extfragForOrder,
  fillContigPageInfo,
  fragmentationIndex,
  newContigPageInfo,
  unusableFreeIndex,
} from '../../src/mm/extfrag.js';

/** Reference implementations in BigInt, mirroring mm/vmstat.c's u64 arithmetic literally. */
function refInfo(nrFree: number[], suitableOrder: number): { fp: bigint; total: bigint; suitable: bigint } {
  let fp = 0n;
  let total = 0n;
  let suitable = 0n;
  for (let o = 0; o < MAX_ORDER; o++) {
    const b = BigInt(nrFree[o] ?? 0);
    total += b;
    fp += b << BigInt(o);
    if (o >= suitableOrder) suitable += b << BigInt(o - suitableOrder);
  }
  return { fp, total, suitable };
}
function refUnusable(nrFree: number[], order: number): number {
  const { fp, suitable } = refInfo(nrFree, order);
  if (fp === 0n) return 1000;
  return Number(((fp - (suitable << BigInt(order))) * 1000n) / fp);
}
function refFragmentation(nrFree: number[], order: number): number {
  const { fp, total, suitable } = refInfo(nrFree, order);
  if (order >= MAX_ORDER) return 0;
  if (total === 0n) return 0;
  if (suitable !== 0n) return -1000;
  const requested = 1n << BigInt(order);
  // 1000 - u64, then truncated to a C int.
  return Number(BigInt.asIntN(32, 1000n - (1000n + (fp * 1000n) / requested) / total));
}

describe('fillContigPageInfo', () => {
  it('counts free pages, blocks and suitable blocks like fill_contig_page_info()', () => {
    const nr = [1, 1, 1, 0, 2, 1, 1, 0, 1, 1, 2];
    const info = fillContigPageInfo(nr, 0);
    expect(info).toEqual({ freePages: 2951, freeBlocksTotal: 11, freeBlocksSuitable: 2951 });
    expect(fillContigPageInfo(nr, 9)).toEqual({ freePages: 2951, freeBlocksTotal: 11, freeBlocksSuitable: 5 });
    expect(fillContigPageInfo(nr, 10)).toEqual({ freePages: 2951, freeBlocksTotal: 11, freeBlocksSuitable: 2 });
  });

  it('writes into the caller-owned object and returns it (no allocation in the hot path)', () => {
    const out = newContigPageInfo();
    const r1 = fillContigPageInfo([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5], 10, out);
    expect(r1).toBe(out);
    expect(out).toEqual({ freePages: 5120, freeBlocksTotal: 5, freeBlocksSuitable: 5 });
    fillContigPageInfo(new Uint32Array(11), 3, out);
    expect(out).toEqual({ freePages: 0, freeBlocksTotal: 0, freeBlocksSuitable: 0 });
  });

  it('accepts typed arrays', () => {
    const nr = Uint32Array.from([46, 23, 22, 26, 13, 10, 6, 5, 5, 1, 223]);
    expect(fillContigPageInfo(nr, 10)).toEqual(fillContigPageInfo(Array.from(nr), 10));
  });
});

describe('unusableFreeIndex', () => {
  it('is 1000 without free memory and 0 at order 0', () => {
    const info = newContigPageInfo();
    fillContigPageInfo(new Array<number>(11).fill(0), 0, info);
    expect(unusableFreeIndex(0, info)).toBe(1000);
    fillContigPageInfo([3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 0, info);
    expect(unusableFreeIndex(0, info)).toBe(0);
  });

  it('truncates like div_u64 (b-pinned.1 boot DMA: 0.008 at order 6, 0.193 at order 10)', () => {
    const nr = [0, 0, 0, 0, 0, 1, 1, 1, 0, 1, 3];
    const info = newContigPageInfo();
    const got = Array.from({ length: MAX_ORDER }, (_, o) => unusableFreeIndex(o, fillContigPageInfo(nr, o, info)));
    // free = 32+64+128+512+3072 = 3808; order 6: 32*1000/3808 = 8.4 -> 8; order 10: 736000/3808 = 193.2 -> 193
    expect(got).toEqual([0, 0, 0, 0, 0, 0, 8, 25, 58, 58, 193]);
  });
});

describe('fragmentationIndex', () => {
  it('returns -1000 when the request would succeed, 0 without free blocks or for order >= MAX_ORDER', () => {
    const info = newContigPageInfo();
    expect(fragmentationIndex(3, fillContigPageInfo([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0], 3, info))).toBe(-1000);
    expect(fragmentationIndex(3, fillContigPageInfo(new Array<number>(11).fill(0), 3, info))).toBe(0);
    expect(fragmentationIndex(MAX_ORDER, fillContigPageInfo([5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], MAX_ORDER, info))).toBe(0);
  });

  it('matches the kernel-mm.md §9.3 Normal example (0.968 at order 6)', () => {
    const nr = [4012, 2231, 987, 301, 44, 5, 0, 0, 0, 0, 0];
    const info = newContigPageInfo();
    const got = Array.from({ length: MAX_ORDER }, (_, o) => fragmentationIndex(o, fillContigPageInfo(nr, o, info)));
    expect(got).toEqual([-1000, -1000, -1000, -1000, -1000, -1000, 968, 984, 992, 996, 998]);
  });

  it('reproduces b-pinned.1 hp_direct DMA32 (0.997, 0.999 at orders 9 and 10)', () => {
    const nr = [25288, 12233, 3861, 570, 24, 6, 3, 2, 2, 0, 0];
    const info = newContigPageInfo();
    expect(fragmentationIndex(9, fillContigPageInfo(nr, 9, info))).toBe(997);
    expect(fragmentationIndex(10, fillContigPageInfo(nr, 10, info))).toBe(999);
  });

  it('can go negative like the kernel (one order-9 block asked at order 10: -500)', () => {
    const info = fillContigPageInfo([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0], 10);
    expect(fragmentationIndex(10, info)).toBe(-500);
  });

  it('agrees with a literal u64 reference on random free areas', () => {
    const info = newContigPageInfo();
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 3_000_000 })), {
          minLength: MAX_ORDER,
          maxLength: MAX_ORDER,
        }),
        fc.integer({ min: 0, max: MAX_ORDER }),
        (nr, order) => {
          fillContigPageInfo(nr, order, info);
          if (order < MAX_ORDER) expect(unusableFreeIndex(order, info)).toBe(refUnusable(nr, order));
          expect(fragmentationIndex(order, info)).toBe(refFragmentation(nr, order));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('extfragForOrder', () => {
  it('is the percentage of free pages in blocks below the order', () => {
    const info = newContigPageInfo();
    expect(extfragForOrder(9, fillContigPageInfo(new Array<number>(11).fill(0), 9, info))).toBe(0);
    // 1000 order-0 pages + 1 order-9 block: 1000*100/1512 = 66.1 -> 66
    expect(extfragForOrder(9, fillContigPageInfo([1000, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0], 9, info))).toBe(66);
  });
});

// The recorded kernel values are index/1000 as floats.
interface Phase {
  name: string;
  buddyinfo: Record<string, Record<string, number[]>>;
  extfrag: { unusable_index: Record<string, Record<string, number[]>>; extfrag_index: Record<string, Record<string, number[]>> };
}

describe('fixture boot phases', () => {
  it('integer indexes from the recorded buddyinfo equal the recorded values * 1000', () => {
    const info = newContigPageInfo();
    const files = kernelFixtureFiles();
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const fx = JSON.parse(readFileSync(join(KERNEL_FIXTURE_DIR, file), 'utf8')) as { phases: Phase[] };
      const boot = fx.phases.find((p) => p.name === 'boot')!;
      for (const [zn, nr] of Object.entries(boot.buddyinfo['0']!)) {
        for (let o = 0; o < MAX_ORDER; o++) {
          fillContigPageInfo(nr, o, info);
          expect(unusableFreeIndex(o, info), `${file} ${zn} ${o}`).toBe(Math.round(boot.extfrag.unusable_index['0']![zn]![o]! * 1000));
          expect(fragmentationIndex(o, info), `${file} ${zn} ${o}`).toBe(Math.round(boot.extfrag.extfrag_index['0']![zn]![o]! * 1000));
        }
      }
    }
  });
});
