/**
 * A deterministic estimate of the memory a run's model takes at the end of the run: every
 * structure reachable from the Kernel and the workloads. Typed arrays count exactly (their
 * ArrayBuffers, each once); JavaScript containers by the layout of a 64-bit V8 heap without
 * pointer compression (Node's): pointer-sized slots, a Map or Set as a hash table whose capacity
 * is the next power of two, and a number outside the 32-bit small-integer range boxed (16 bytes)
 * wherever it is a Map/Set entry or a property. Closures are opaque: a function counts as its own
 * object only. The figure depends on the model's state alone, never on the engine or on garbage
 * collection, so summary.json stays byte-identical; the CLI measures the real peak separately.
 *
 * Browser-safe: no Node modules.
 */

const SLOT = 8;
/** Object header (map, properties, elements pointers). */
const OBJECT_HEADER = 3 * SLOT;
/** An ordered hash table slot (key, value, chain) plus its share of the bucket array (one per two slots). */
const MAP_ENTRY = 3 * SLOT + SLOT / 2;
const SET_ENTRY = 2 * SLOT + SLOT / 2;
const STRING_HEADER = 2 * SLOT;
const FUNCTION_OBJECT = 8 * SLOT;
const HEAP_NUMBER = 2 * SLOT;

/** OrderedHashTable capacity: a power of two, at least 4. */
function hashCapacity(size: number): number {
  let c = 4;
  while (c < size) c *= 2;
  return c;
}

/** The box a number needs where it is stored as a tagged value (not a small integer). */
const boxed = (x: unknown): number => (typeof x === 'number' && (x | 0) !== x ? HEAP_NUMBER : 0);

/** Bytes of everything reachable from `roots`, except from the objects in `exclude` (such as an output recorder). */
export function estimateModelBytes(roots: readonly unknown[], exclude: readonly object[] = []): number {
  const seen = new Set<unknown>(exclude);
  const strings = new Set<string>();
  const stack: unknown[] = [...roots];
  let bytes = 0;
  const push = (v: unknown): void => {
    if (typeof v === 'string') {
      if (!strings.has(v)) {
        strings.add(v);
        bytes += STRING_HEADER + v.length;
      }
    } else if ((typeof v === 'object' && v !== null) || typeof v === 'function') {
      stack.push(v);
    }
  };
  while (stack.length > 0) {
    const v = stack.pop();
    if (seen.has(v)) continue;
    seen.add(v);
    if (typeof v === 'function') {
      bytes += FUNCTION_OBJECT;
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (ArrayBuffer.isView(v)) {
      bytes += OBJECT_HEADER + SLOT;
      if (!seen.has(v.buffer)) {
        seen.add(v.buffer);
        bytes += v.buffer.byteLength;
      }
      continue;
    }
    if (v instanceof ArrayBuffer) {
      bytes += v.byteLength;
      continue;
    }
    if (Array.isArray(v)) {
      bytes += OBJECT_HEADER + SLOT * v.length;
      for (const x of v as unknown[]) push(x);
    } else if (v instanceof Map) {
      bytes += OBJECT_HEADER + MAP_ENTRY * hashCapacity(v.size);
      for (const [key, x] of v) {
        bytes += boxed(key) + boxed(x);
        push(key);
        push(x);
      }
    } else if (v instanceof Set) {
      bytes += OBJECT_HEADER + SET_ENTRY * hashCapacity(v.size);
      for (const x of v) {
        bytes += boxed(x);
        push(x);
      }
    } else {
      const keys = Object.keys(v);
      bytes += OBJECT_HEADER + SLOT * keys.length;
      for (const key of keys) {
        const x = (v as Record<string, unknown>)[key];
        bytes += boxed(x);
        push(x);
      }
    }
  }
  return bytes;
}
