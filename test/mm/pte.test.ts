/**
 * PageTable (mm.pte): 512-entry PTE pages per PMD behave exactly as the vpn -> value map they
 * replace, for random sequences of set/delete over a few PMDs, with tables freed once empty.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PTE_ZERO, PageTable, migrationPte, swapPte } from '../../src/mm/pte.js';

describe('PageTable', () => {
  it('get/set/delete/has/size, one table per PMD, freed when its last entry goes', () => {
    const pt = new PageTable();
    expect(pt.get(5)).toBeUndefined();
    expect(pt.hasTable(5)).toBe(false);
    pt.set(5, 0x1234).set(511, PTE_ZERO).set(512, swapPte(7)).set(2 ** 32 - 1, migrationPte(9));
    expect([pt.get(5), pt.get(511), pt.get(512), pt.get(2 ** 32 - 1)]).toEqual([0x1234, PTE_ZERO, swapPte(7), migrationPte(9)]);
    expect(pt.size).toBe(4);
    expect(pt.has(6)).toBe(false);
    expect(pt.hasTable(6)).toBe(true); // same PMD as vpn 5
    pt.set(5, 0x99); // overwrite: size unchanged
    expect(pt.size).toBe(4);
    expect(pt.delete(512)).toBe(true);
    expect(pt.delete(512)).toBe(false);
    expect(pt.hasTable(513)).toBe(false); // its only entry went: the table is freed
    expect(pt.delete(5) && pt.delete(511)).toBe(true);
    expect(pt.hasTable(0)).toBe(false);
    expect([...pt]).toEqual([[2 ** 32 - 1, migrationPte(9)]]);
  });

  it('matches a Map for random operations (entries in table order, then vpn order)', () => {
    const vpn = fc.oneof(fc.integer({ min: 0, max: 1535 }), fc.integer({ min: 2 ** 32 - 1024, max: 2 ** 32 - 1 }));
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), vpn, v: fc.oneof(fc.integer({ min: 0, max: 2 ** 30 }), fc.constant(PTE_ZERO)) }),
      fc.record({ kind: fc.constant('delete' as const), vpn }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const pt = new PageTable();
        const ref = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === 'set') {
            pt.set(o.vpn, o.v);
            ref.set(o.vpn, o.v);
          } else {
            expect(pt.delete(o.vpn)).toBe(ref.delete(o.vpn));
          }
          expect(pt.size).toBe(ref.size);
          expect(pt.get(o.vpn)).toBe(ref.get(o.vpn));
        }
        const got = [...pt];
        expect(new Map(got)).toEqual(ref);
        // Within a table, entries come in vpn order.
        for (let i = 1; i < got.length; i++) {
          if (Math.floor(got[i]![0] / 512) === Math.floor(got[i - 1]![0] / 512)) expect(got[i]![0]).toBeGreaterThan(got[i - 1]![0]);
        }
      }),
      { numRuns: 200 },
    );
  });
});
