/** Errors the CLI reports as one clear line (no stack trace) and exit status 2. */
export class UsageError extends Error {}

export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
