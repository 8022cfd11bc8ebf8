import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  GFP_ATOMIC,
  GFP_HIGHUSER,
  GFP_HIGHUSER_MOVABLE,
  GFP_KERNEL,
  GFP_NOWAIT,
  GFP_TRANSHUGE,
  GFP_TRANSHUGE_LIGHT,
  __GFP_COMP,
  __GFP_NORETRY,
  __GFP_NOWARN,
  __GFP_RECLAIM,
  __GFP_RECLAIMABLE,
  __GFP_RETRY_MAYFAIL,
  __GFP_ZERO,
} from '../../src/mm/gfp.js';
import { GFP_FLAG_NAMES, GFP_NAMED_BITS, parseGfpFlags, showGfpFlags } from '../../src/trace/gfp_names.js';

describe('showGfpFlags', () => {
  it('prints none for 0', () => {
    expect(showGfpFlags(0)).toBe('none');
  });

  it('matches the kernel for literal examples', () => {
    expect(showGfpFlags(0x140cca)).toBe('GFP_HIGHUSER_MOVABLE|__GFP_COMP');
    expect(showGfpFlags(GFP_HIGHUSER_MOVABLE | __GFP_COMP)).toBe('GFP_HIGHUSER_MOVABLE|__GFP_COMP');
    // i915 shmem_read_mapping_page_gfp, first attempt.
    expect(
      showGfpFlags(((GFP_HIGHUSER | __GFP_RECLAIMABLE) & ~__GFP_RECLAIM) | __GFP_NORETRY | __GFP_NOWARN | __GFP_COMP),
    ).toBe('__GFP_HIGHMEM|__GFP_IO|__GFP_FS|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_HARDWALL|__GFP_RECLAIMABLE');
    // i915 final attempt: names come out in table order, not OR order.
    expect(showGfpFlags(GFP_HIGHUSER | __GFP_RECLAIMABLE | __GFP_RETRY_MAYFAIL | __GFP_NOWARN | __GFP_COMP)).toBe(
      'GFP_HIGHUSER|__GFP_NOWARN|__GFP_RETRY_MAYFAIL|__GFP_COMP|__GFP_RECLAIMABLE',
    );
    expect(showGfpFlags(GFP_KERNEL)).toBe('GFP_KERNEL');
    expect(showGfpFlags(GFP_KERNEL)).toBe('GFP_KERNEL'); // cached path
    expect(showGfpFlags(GFP_KERNEL | __GFP_ZERO)).toBe('GFP_KERNEL|__GFP_ZERO');
    expect(showGfpFlags(GFP_ATOMIC)).toBe('GFP_ATOMIC');
    expect(showGfpFlags(GFP_TRANSHUGE)).toBe('GFP_TRANSHUGE');
    expect(showGfpFlags(GFP_TRANSHUGE_LIGHT)).toBe('GFP_TRANSHUGE_LIGHT');
    expect(showGfpFlags(GFP_NOWAIT)).toBe('GFP_NOWAIT');
    expect(showGfpFlags(GFP_NOWAIT | __GFP_NOWARN)).toBe('GFP_NOWAIT|__GFP_NOWARN');
    expect(showGfpFlags(0xcc0)).toBe('GFP_KERNEL');
    expect(showGfpFlags(0xa20)).toBe('GFP_ATOMIC');
    expect(showGfpFlags(0x400)).toBe('__GFP_DIRECT_RECLAIM');
  });

  it('prints leftover bits as hex, with | only after a name (trace_print_flags_seq)', () => {
    expect(showGfpFlags(0x1000000)).toBe('0x1000000');
    expect(showGfpFlags(GFP_KERNEL | 0x1000000)).toBe('GFP_KERNEL|0x1000000');
    expect(showGfpFlags(0x80000000)).toBe('0x80000000');
    // GFP_ATOMIC swallows __GFP_KSWAPD_RECLAIM once GFP_TRANSHUGE has taken its bits.
    expect(showGfpFlags(0xffffffff)).toBe(
      'GFP_TRANSHUGE|GFP_ATOMIC|GFP_DMA|GFP_DMA32|__GFP_RETRY_MAYFAIL|__GFP_NOFAIL|__GFP_NORETRY|__GFP_ZERO|__GFP_MEMALLOC|__GFP_THISNODE|__GFP_RECLAIMABLE|__GFP_ACCOUNT|__GFP_WRITE|__GFP_ZEROTAGS|0xff000000',
    );
  });

  it('names every bit of this config (0..0x800000)', () => {
    expect(GFP_NAMED_BITS).toBe(0xffffff);
    expect(GFP_FLAG_NAMES).toHaveLength(36);
    for (const e of GFP_FLAG_NAMES) expect(e.mask).not.toBe(0);
  });
});

describe('parseGfpFlags', () => {
  it('parses kernel strings', () => {
    expect(parseGfpFlags('none')).toBe(0);
    expect(parseGfpFlags('GFP_HIGHUSER_MOVABLE|__GFP_COMP')).toBe(0x140cca);
    expect(parseGfpFlags('GFP_KERNEL|0x1000000')).toBe(GFP_KERNEL | 0x1000000);
    expect(parseGfpFlags('0x80000000')).toBe(0x80000000);
    expect(parseGfpFlags('__GFP_RECLAIM|__GFP_IO')).toBe(0xcc0 & ~0x80);
  });

  it('throws naming the unknown flag', () => {
    expect(() => parseGfpFlags('GFP_KERNEL|__GFP_BOGUS')).toThrow(/unknown gfp flag "__GFP_BOGUS"/);
    expect(() => parseGfpFlags('__GFP_SKIP_ZERO')).toThrow(/__GFP_SKIP_ZERO/);
    expect(() => parseGfpFlags('GFP_KERNEL||__GFP_COMP')).toThrow(/empty gfp flag/);
    expect(() => parseGfpFlags('')).toThrow();
    expect(() => parseGfpFlags('0xzz')).toThrow(/0xzz/);
  });

  it('inverts showGfpFlags for masks of the defined bits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffff }), (x) => {
        expect(parseGfpFlags(showGfpFlags(x))).toBe(x);
      }),
      { numRuns: 2000 },
    );
  });

  it('inverts showGfpFlags for any 32-bit mask, leftovers included', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (x) => {
        expect(parseGfpFlags(showGfpFlags(x))).toBe(x);
      }),
      { numRuns: 1000 },
    );
  });

  it('is stable: show(parse(show(x))) == show(x)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffff }), (x) => {
        const s = showGfpFlags(x);
        expect(showGfpFlags(parseGfpFlags(s))).toBe(s);
      }),
    );
  });
});
