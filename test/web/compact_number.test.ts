/** The charts' compact y-axis labels. */
import { describe, expect, it } from 'vitest';
import { compactNumber } from '../../web/src/ui/compact_number.js';

describe('compactNumber', () => {
  it('keeps three significant digits with k, M and G, so 500,000 reads 500k, not a clipped 00,000', () => {
    expect([0, 0.5, 950, 1000, 2500, 25_000, 500_000, 1_250_000, 2.5e9, -2000].map(compactNumber)).toEqual([
      '0', '0.5', '950', '1k', '2.5k', '25k', '500k', '1.25M', '2.5G', '-2k',
    ]);
  });

  it('rounds before it picks the unit: 999,999 is 1M, not 1000k', () => {
    expect(compactNumber(999_999)).toBe('1M');
    expect(compactNumber(999.9)).toBe('1k');
  });
});
