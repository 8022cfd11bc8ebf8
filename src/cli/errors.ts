/** Errors the CLI reports as one clear line (no stack trace) and exit status 2. */
export class UsageError extends Error {}

export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** An option's value for "found ...": a number as it is (`-1`), anything else quoted. */
export function foundValue(v: string): string {
  return /^[-+]?\d+(\.\d+)?$/.test(v) ? v : JSON.stringify(v);
}

/** `--seed`: a PRNG seed, a whole number that fits 32 bits (default 1). */
export function parseSeed(v: string | undefined): number {
  if (v === undefined) return 1;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n > 0xffffffff) {
    throw new UsageError(`--seed: expected a whole number from 0 to 4294967295, found ${foundValue(v)}`);
  }
  return n;
}

/** A whole-number option (`--seeds`, `--jobs`) from `min` to `max`; `dflt` when not given. */
export function parseWhole(name: string, v: string | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < min || n > max) throw new UsageError(`${name}: expected a whole number from ${min} to ${max}, found ${foundValue(v)}`);
  return n;
}
