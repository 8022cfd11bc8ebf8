/**
 * Units in scenario files: sizes (`2GiB`, via the machine spec's parser) and simulated
 * durations (`500ms`, `10s`, `3d`), with zod schemas that turn them into bytes and ns.
 */
import { z } from 'zod';
import { parseSize } from '../machine/size.js';

const DURATION_UNITS: Record<string, number> = {
  ns: 1, us: 1e3, ms: 1e6, s: 1e9, min: 60e9, h: 3600e9, d: 86400e9,
};
const DURATION_RE = /^([0-9]+(?:\.[0-9]+)?)\s*(ns|us|ms|s|min|h|d)$/;
export const DURATION_HELP = 'a duration such as 500ms, 10s, 5min, 2h or 3d (units ns, us, ms, s, min, h, d)';
export const SIZE_HELP = 'a size such as 4KiB, 512MiB or 2GiB';

/** A simulated duration in whole nanoseconds. Throws an Error naming the input otherwise. */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text < 0) throw new Error(`invalid duration ${text}: expected ${DURATION_HELP}`);
    return Math.round(text * 1e9); // a bare number is seconds
  }
  const m = DURATION_RE.exec(text.trim());
  if (!m) throw new Error(`invalid duration ${JSON.stringify(text)}: expected ${DURATION_HELP}`);
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2]!]!);
}

export function formatDuration(ns: number): string {
  for (const [unit, f] of [['d', 86400e9], ['h', 3600e9], ['min', 60e9], ['s', 1e9], ['ms', 1e6], ['us', 1e3]] as const) {
    if (ns >= f && ns % f === 0) return `${ns / f}${unit}`;
  }
  return `${ns}ns`;
}

/** zod: a duration written as text or seconds, parsed to ns. */
export const zDuration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseDuration(v);
  } catch {
    ctx.addIssue({ code: 'custom', message: `expected ${DURATION_HELP}` });
    return z.NEVER;
  }
});

/** zod: a size in bytes written as text or a number, parsed to bytes. */
export const zSize = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseSize(v);
  } catch {
    ctx.addIssue({ code: 'custom', message: `expected ${SIZE_HELP}` });
    return z.NEVER;
  }
});

/** zod: a size turned into 4 KiB pages (rounded up). */
export const zPages = zSize.transform((bytes) => Math.ceil(bytes / 4096));
