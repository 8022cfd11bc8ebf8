/**
 * Byte sizes as written in machine specs: `4096`, `0x1000`, `4KiB`, `512M`, `16GB`, `1GiB`.
 *
 * Like the kernel's memparse() (lib/cmdline.c) the suffixes K, M, G, T, P and E are powers of
 * 1024 whatever follows them, so `16G`, `16GB` and `16GiB` are all 16 * 2^30 bytes. Unlike
 * memparse, a leading 0 does not make a number octal ("010" is ten), and anything after the
 * suffix other than `B`/`iB` is an error rather than silently ignored.
 */

const SUFFIXES = ['K', 'M', 'G', 'T', 'P', 'E'] as const;

/** A whole number (decimal or 0x hex), an optional K/M/G/T/P/E suffix, then optional B or iB; or just a B. */
const SIZE_RE = /^(0x[0-9a-f]+|[0-9]+)\s*(?:([kmgtpe])(i?b)?|(b))?$/i;

const SIZE_HELP =
  'a whole number of bytes, optionally with a K, M, G, T, P or E suffix (powers of 1024, e.g. 4KiB, 512M, 16GB, 1GiB), or a 0x hex number';

function invalid(text: string | number, why: string): Error {
  const shown = typeof text === 'string' ? JSON.stringify(text) : String(text);
  return new Error(`invalid size ${shown}: ${why}`);
}

/** Parse a size into bytes. Throws a plain Error naming the bad input for anything else. */
export function parseSize(text: string | number): number {
  if (typeof text === 'number') {
    if (!Number.isSafeInteger(text) || text < 0) {
      throw invalid(text, 'expected a whole number of bytes (0 or more, at most 2^53 - 1)');
    }
    return text;
  }
  if (typeof text !== 'string') {
    throw invalid(String(text), `expected ${SIZE_HELP}`);
  }
  const m = SIZE_RE.exec(text.trim());
  if (m === null) {
    throw invalid(text, `expected ${SIZE_HELP}`);
  }
  const digits = m[1] as string;
  const suffix = m[2];
  const shift = suffix === undefined ? 0 : 10 * (SUFFIXES.indexOf(suffix.toUpperCase() as (typeof SUFFIXES)[number]) + 1);
  const bytes = BigInt(digits) << BigInt(shift);
  if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw invalid(text, 'too large (at most 2^53 - 1 bytes)');
  }
  return Number(bytes);
}

/**
 * Format bytes in the largest binary unit that divides them exactly: 1073741824 -> "1GiB",
 * 1610612736 -> "1536MiB", 4097 -> "4097B". The result is accepted by parseSize().
 */
export function formatSize(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw new Error(`formatSize: expected a whole number of bytes >= 0, got ${String(bytes)}`);
  }
  if (bytes === 0) return '0B';
  const big = BigInt(bytes);
  for (let i = SUFFIXES.length - 1; i >= 0; i--) {
    const unit = 1n << BigInt(10 * (i + 1));
    if (big % unit === 0n) {
      return `${(big / unit).toString()}${SUFFIXES[i] as string}iB`;
    }
  }
  return `${bytes}B`;
}
