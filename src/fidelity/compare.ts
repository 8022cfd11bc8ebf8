/**
 * Kernel vs pagelab, metric by metric, with the tolerances stated up front (docs/fidelity.md):
 *  - hugepages obtained: within ±5 percentage points of the number requested;
 *  - the pinned-vs-unpinned gap (unpinned_hp_after_compact - hp_after_compact): ±15% relative;
 *  - everything else (buddyinfo per order, pageblocks per migratetype, vmstat deltas, the other
 *    headline numbers): the kernel's own run-to-run spread (the largest distance of a kernel
 *    run from the kernel mean) or ±10% of the kernel mean, whichever is larger, and never
 *    less than ±1 (they are counts).
 * Browser-safe.
 */
import { MIGRATETYPE_NAMES, PAGE_SIZE } from '../mm/constants.js';
import { parseBuddyinfo, parsePagetypeinfo } from '../import/procfs_parse.js';
import type { ProcSnapshot, RunResult } from '../scenario/types.js';
import type { HarnessRun, PhaseRecord } from './harness_run.js';

export interface Stat {
  mean: number;
  min: number;
  max: number;
  n: number;
}

export type MetricKind = 'hugepages' | 'gap' | 'summary' | 'buddyinfo' | 'pageblocks' | 'vmstat_delta';

export interface Metric {
  /** The phase, or null for a headline number of the whole run. */
  phase: string | null;
  kind: MetricKind;
  zone: string | null;
  /** `hp_direct`, `order 3`, `Movable`, `pgmigrate_success` ... */
  name: string;
  kernel: Stat;
  pagelab: Stat;
  /** pagelab mean - kernel mean */
  diff: number;
  /** The largest |diff| within tolerance. */
  allowed: number;
  tolerance: string;
  within_tolerance: boolean;
}

/** Headline numbers whose meaning is "hugepages obtained" (a share of hp_requested). */
const HUGEPAGE_KEYS = ['hp_direct', 'hp_after_compact', 'unpinned_hp_direct', 'unpinned_hp_after_compact'];

/** The harness's phases as pagelab recorded them (memscen's snapshots), parsed back from /proc text. */
export function pagelabPhases(r: RunResult, workload = 'memscen'): PhaseRecord[] {
  const prefix = `${workload}.`;
  const snaps = r.snapshots.filter((s) => s.label.startsWith(prefix));
  let prev: Record<string, number> | null = null;
  return snaps.map((s): PhaseRecord => {
    const file = `pagelab ${s.label}`;
    const buddyinfo: Record<string, number[]> = {};
    for (const row of parseBuddyinfo(s.buddyinfo, file)) if (row.nid === 0) buddyinfo[row.name] = row.nrFree;
    const pageblocks: Record<string, Record<string, number>> = {};
    for (const z of parsePagetypeinfo(s.pagetypeinfo, file)) {
      if (z.nid !== 0 || z.pageblocks === null) continue;
      pageblocks[z.name] = Object.fromEntries(MIGRATETYPE_NAMES.map((t, i) => [t, z.pageblocks![i] ?? 0]));
    }
    const vmstat = parseVmstat(s);
    const vmstatDelta: Record<string, number> = {};
    if (prev) for (const [k, v] of Object.entries(vmstat)) vmstatDelta[k] = v - (prev[k] ?? 0);
    prev = vmstat;
    return { name: s.label.slice(prefix.length), buddyinfo, pageblocks, vmstatDelta };
  });
}

function parseVmstat(s: ProcSnapshot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of s.vmstat.split('\n')) {
    const m = /^(\S+) (-?\d+)$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** pagelab's value of a harness summary key, or undefined when pagelab has no such figure. */
function pagelabSummary(r: RunResult, key: string, workload = 'memscen'): number | undefined {
  const get = (k: string): number | undefined => r.summary[`${workload}.${k}`];
  if (key === 'fill_mb') return scale(get('fill_pages'), PAGE_SIZE / (1 << 20));
  if (key === 'pinned_mb') return scale(get('pinned_pages'), PAGE_SIZE / (1 << 20));
  return get(key);
}

function scale(v: number | undefined, f: number): number | undefined {
  return v === undefined ? undefined : Math.round(v * f);
}

export function stat(values: readonly number[]): Stat {
  const n = values.length;
  return {
    mean: values.reduce((s, v) => s + v, 0) / n,
    min: Math.min(...values),
    max: Math.max(...values),
    n,
  };
}

/** The general rule: spread or ±10% of the mean, whichever is larger, at least 1. */
function spreadRule(k: Stat): { allowed: number; tolerance: string } {
  const spread = Math.max(k.max - k.mean, k.mean - k.min);
  const tenth = 0.1 * Math.abs(k.mean);
  const allowed = Math.max(spread, tenth, 1);
  const why = allowed === 1 ? '±1' : spread >= tenth ? `±${fmt(spread)} (kernel spread)` : `±${fmt(tenth)} (10%)`;
  return { allowed, tolerance: why };
}

export function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 10 ? 2 : 1);
}

function metric(
  phase: string | null, kind: MetricKind, zone: string | null, name: string, kernel: Stat, pagelab: Stat,
  rule: { allowed: number; tolerance: string },
): Metric {
  const diff = pagelab.mean - kernel.mean;
  // A hair of slack for floating point in the means.
  const within = Math.abs(diff) <= rule.allowed + 1e-9;
  return { phase, kind, zone, name, kernel, pagelab, diff, allowed: rule.allowed, tolerance: rule.tolerance, within_tolerance: within };
}

/**
 * Every metric of a group of kernel runs of one scenario and parameter set, against pagelab's
 * mirrors of them (pagelab[i] mirrors kernel[i], from that run's own boot state).
 */
export function compareRuns(kernel: readonly HarnessRun[], pagelab: readonly RunResult[]): Metric[] {
  const out: Metric[] = [];
  const plPhases = pagelab.map((r) => pagelabPhases(r));

  // Headline numbers.
  const keys = [...new Set(kernel.flatMap((k) => Object.keys(k.summary)))];
  for (const key of keys) {
    const kv = kernel.map((k) => k.summary[key]).filter((v): v is number => v !== undefined);
    const pv = pagelab.map((r) => pagelabSummary(r, key)).filter((v): v is number => v !== undefined);
    if (kv.length === 0 || pv.length === 0) continue;
    const k = stat(kv);
    if (HUGEPAGE_KEYS.includes(key)) {
      const requested = kernel[0]!.phases.find((p) => p.name === key)?.hpRequested ?? 0;
      const allowed = 0.05 * requested;
      out.push(metric(null, 'hugepages', null, key, k, stat(pv), { allowed, tolerance: `±5 pp of ${requested} (±${fmt(allowed)})` }));
    } else {
      out.push(metric(null, 'summary', null, key, k, stat(pv), spreadRule(k)));
    }
  }
  if (kernel.every((k) => k.summary['unpinned_hp_after_compact'] !== undefined && k.summary['hp_after_compact'] !== undefined)) {
    const gap = (s: (key: string) => number | undefined): number => (s('unpinned_hp_after_compact') ?? 0) - (s('hp_after_compact') ?? 0);
    const k = stat(kernel.map((run) => gap((key) => run.summary[key])));
    const p = stat(pagelab.map((r) => gap((key) => pagelabSummary(r, key))));
    const allowed = 0.15 * Math.abs(k.mean);
    out.push(metric(null, 'gap', null, 'unpinned - pinned hp_after_compact', k, p, { allowed, tolerance: `±15% (±${fmt(allowed)})` }));
  }

  // Per phase.
  for (const kp of kernel[0]!.phases) {
    const kRecs = kernel.map((k) => k.phases.find((p) => p.name === kp.name)).filter((p): p is PhaseRecord => p !== undefined);
    const pRecs = plPhases.map((ph) => ph.find((p) => p.name === kp.name)).filter((p): p is PhaseRecord => p !== undefined);
    if (pRecs.length === 0) continue;
    for (const zone of Object.keys(kp.buddyinfo)) {
      if (!pRecs.every((p) => p.buddyinfo[zone])) continue;
      for (let order = 0; order < kp.buddyinfo[zone]!.length; order++) {
        const k = stat(kRecs.map((r) => r.buddyinfo[zone]?.[order] ?? 0));
        out.push(metric(kp.name, 'buddyinfo', zone, `order ${order}`, k, stat(pRecs.map((r) => r.buddyinfo[zone]![order]!)), spreadRule(k)));
      }
    }
    for (const zone of Object.keys(kp.pageblocks)) {
      if (!pRecs.every((p) => p.pageblocks[zone])) continue;
      for (const type of MIGRATETYPE_NAMES) {
        const kv = kRecs.map((r) => r.pageblocks[zone]?.[type] ?? 0);
        const pv = pRecs.map((r) => r.pageblocks[zone]![type] ?? 0);
        if (kv.every((v) => v === 0) && pv.every((v) => v === 0)) continue;
        const k = stat(kv);
        out.push(metric(kp.name, 'pageblocks', zone, type, k, stat(pv), spreadRule(k)));
      }
    }
    for (const key of Object.keys(kp.vmstatDelta)) {
      if (!pRecs.every((p) => p.vmstatDelta[key] !== undefined)) continue;
      const k = stat(kRecs.map((r) => r.vmstatDelta[key] ?? 0));
      out.push(metric(kp.name, 'vmstat_delta', null, key, k, stat(pRecs.map((r) => r.vmstatDelta[key]!)), spreadRule(k)));
    }
  }
  return out;
}
