/** estimateModelBytes(): hand-counted structures, by the rules its header states. */
import { describe, expect, it } from 'vitest';
import { estimateModelBytes } from '../../src/scenario/footprint.js';

const HEADER = 24; // map, properties, elements
const SLOT = 8;

describe('estimateModelBytes', () => {
  it('counts a typed array buffer once, however many views share it', () => {
    const buf = new ArrayBuffer(1000);
    const a = new Uint8Array(buf);
    const b = new Uint32Array(buf, 0, 10);
    // the root object (2 properties) + two views (header + a slot each) + the buffer once
    expect(estimateModelBytes([{ a, b }])).toBe(HEADER + 2 * SLOT + 2 * (HEADER + SLOT) + 1000);
  });

  it('counts a Map as a power-of-two hash table and boxes numbers outside int32', () => {
    const m = new Map<number, number>([[1, 2], [3, 4], [5, 6], [7, 8], [2 ** 40, 0.5]]);
    // 5 entries -> capacity 8, 28 bytes a slot; 2^40 and 0.5 are heap numbers (16 bytes each)
    expect(estimateModelBytes([m])).toBe(HEADER + 8 * 28 + 2 * 16);
    expect(estimateModelBytes([new Set(['ab'])])).toBe(HEADER + 4 * 20 + 16 + 2);
  });

  it('follows arrays and objects, visits each object once (cycles too), and skips what it is told to', () => {
    const shared = { x: 1 };
    const root: Record<string, unknown> = { list: [shared, shared, 3], name: 'abc' };
    root['self'] = root;
    const objectBytes = HEADER + 3 * SLOT + (HEADER + 3 * SLOT) + (HEADER + SLOT) + (16 + 3);
    expect(estimateModelBytes([root])).toBe(objectBytes);
    expect(estimateModelBytes([root], [shared])).toBe(objectBytes - (HEADER + SLOT));
    // Deterministic: the same structure, the same figure.
    expect(estimateModelBytes([root])).toBe(estimateModelBytes([root]));
  });
});
