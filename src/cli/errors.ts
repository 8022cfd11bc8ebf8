/** Errors the CLI reports as one clear line (no stack trace) and exit status 2. */
export class UsageError extends Error {}

export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** `--seed`: a PRNG seed, a whole number that fits 32 bits (default 1). */
export function parseSeed(v: string | undefined): number {
  if (v === undefined) return 1;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n > 0xffffffff) {
    throw new UsageError(`--seed: expected a whole number from 0 to 4294967295, found "${v}"`);
  }
  return n;
}
