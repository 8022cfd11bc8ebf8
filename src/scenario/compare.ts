/**
 * `compare`'s table: for each metric, each variant's mean over the seeds and its change against
 * the first variant, marked `*` where Welch's t-test over the seeds gives p < 0.05 (the way
 * mmtests' compare-kernels marks significant differences). Also as CSV and JSON.
 */
import { mean, stddev, welchP } from './stats.js';

export interface VariantRuns {
  variant: string;
  /** Summaries of the finished runs, by seed. */
  runs: { seed: number; summary: Record<string, number> }[];
  /** Seeds whose run did not finish (error or interrupted), with why. */
  failed: { seed: number; error: string }[];
}

export interface MetricRow {
  metric: string;
  /** Per variant, in order. */
  cells: { mean: number; stddev: number; n: number; changePct: number | null; p: number | null; significant: boolean }[];
}

export const SIGNIFICANCE = 0.05;

export function compareRows(variants: readonly VariantRuns[], first: readonly string[] = []): MetricRow[] {
  const names = new Set<string>();
  for (const v of variants) for (const r of v.runs) for (const k of Object.keys(r.summary)) names.add(k);
  const ordered = [...first.filter((m) => names.has(m)), ...[...names].filter((m) => !first.includes(m)).sort()];
  const base = variants[0];
  return ordered.map((metric) => {
    const baseValues = base ? base.runs.map((r) => r.summary[metric] ?? 0) : [];
    const baseMean = mean(baseValues);
    return {
      metric,
      cells: variants.map((v, i) => {
        const xs = v.runs.map((r) => r.summary[metric] ?? 0);
        const m = mean(xs);
        const changePct = i === 0 || baseMean === 0 || Number.isNaN(baseMean) ? null : ((m - baseMean) / Math.abs(baseMean)) * 100;
        const p = i === 0 ? null : welchP(xs, baseValues);
        return { mean: m, stddev: stddev(xs), n: xs.length, changePct, p, significant: p !== null && p < SIGNIFICANCE };
      }),
    };
  });
}

function fmt(x: number): string {
  if (Number.isNaN(x)) return 'n/a';
  return Math.abs(x) >= 1e6 ? x.toExponential(3) : x.toFixed(2);
}

/** The mmtests-style text table. */
export function compareTable(variants: readonly VariantRuns[], rows: readonly MetricRow[]): string {
  const w0 = Math.max(6, ...rows.map((r) => r.metric.length)) + 2;
  const w = 26;
  let out = ''.padEnd(w0) + variants.map((v) => v.variant.padStart(w)).join('') + '\n';
  for (const r of rows) {
    out += r.metric.padEnd(w0);
    for (const c of r.cells) {
      const change = c.changePct === null ? '' : ` (${c.changePct >= 0 ? '+' : ''}${c.changePct.toFixed(2)}%)${c.significant ? '*' : ' '}`;
      out += (fmt(c.mean) + change).padStart(w);
    }
    out += '\n';
  }
  const failed = variants.flatMap((v) => v.failed.map((f) => `  ${v.variant} seed ${f.seed}: ${f.error}`));
  out += `\nmeans over ${variants.map((v) => `${v.runs.length}`).join('/')} seeds; (change against ${variants[0]?.variant ?? '-'}), * = p < ${SIGNIFICANCE} (Welch's t-test)\n`;
  if (failed.length) out += `runs that did not finish:\n${failed.join('\n')}\n`;
  return out;
}

export function compareCsv(variants: readonly VariantRuns[], rows: readonly MetricRow[]): string {
  const head = ['metric', ...variants.flatMap((v) => [`${v.variant}_mean`, `${v.variant}_stddev`, `${v.variant}_change_pct`, `${v.variant}_p`])];
  const lines = [head.join(',')];
  for (const r of rows) {
    lines.push([r.metric, ...r.cells.flatMap((c) => [c.mean, c.stddev, c.changePct ?? '', c.p ?? ''])].join(','));
  }
  return lines.join('\n') + '\n';
}

export function compareJson(scenario: string, variants: readonly VariantRuns[], rows: readonly MetricRow[]): string {
  return JSON.stringify({ scenario, variants, rows }, null, 2) + '\n';
}
