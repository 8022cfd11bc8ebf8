/**
 * `compare`'s table: for each metric, each variant's mean over the seeds and its change against
 * the first variant, marked `*` where Welch's t-test over the seeds gives p < 0.05 (the way
 * mmtests' compare-kernels marks significant differences). Also as CSV and JSON, with n, p, the
 * significance and the runs that did not finish.
 *
 * Two cases the t-test alone does not settle, decided here:
 *   - no spread on either side (every seed gave the same value): the runs are deterministic, so
 *     any difference of the means is marked (p = 0), and the legend says so;
 *   - fewer than 2 seeds on a side: no test (p null, never marked).
 * A metric a run did not report (a workload counter set only when something happens) is left
 * out of that variant's mean rather than counted as 0: n says how many runs it covers.
 */
import { mean, stddev, welchP } from './stats.js';

export interface VariantRuns {
  variant: string;
  /** Summaries of the finished runs, by seed. */
  runs: { seed: number; summary: Record<string, number> }[];
  /** Seeds whose run did not finish (error or interrupted), with why. */
  failed: { seed: number; error: string }[];
}

export interface MetricCell {
  /** Over the runs that reported the metric (NaN when none did). */
  mean: number;
  stddev: number;
  /** Runs that reported the metric. */
  n: number;
  /** Change of the mean against the first variant's, %: ±Infinity from a mean of 0; null for the first variant or a missing mean. */
  changePct: number | null;
  /** Welch's t-test against the first variant; null for the first variant or with fewer than 2 runs on a side. */
  p: number | null;
  significant: boolean;
}

export interface MetricRow {
  metric: string;
  /** Per variant, in order. */
  cells: MetricCell[];
}

export const SIGNIFICANCE = 0.05;

function values(v: VariantRuns, metric: string): number[] {
  const xs: number[] = [];
  for (const r of v.runs) {
    const x = r.summary[metric];
    if (x !== undefined) xs.push(x);
  }
  return xs;
}

function changeOf(m: number, base: number): number | null {
  if (Number.isNaN(m) || Number.isNaN(base)) return null;
  if (base === 0) return m === 0 ? 0 : m > 0 ? Infinity : -Infinity;
  return ((m - base) / Math.abs(base)) * 100;
}

export function compareRows(variants: readonly VariantRuns[], first: readonly string[] = []): MetricRow[] {
  const names = new Set<string>();
  for (const v of variants) for (const r of v.runs) for (const k of Object.keys(r.summary)) names.add(k);
  const ordered = [...first.filter((m) => names.has(m)), ...[...names].filter((m) => !first.includes(m)).sort()];
  const base = variants[0];
  return ordered.map((metric) => {
    const baseValues = base ? values(base, metric) : [];
    const baseMean = mean(baseValues);
    return {
      metric,
      cells: variants.map((v, i): MetricCell => {
        const xs = values(v, metric);
        const m = mean(xs);
        const tested = i > 0 && xs.length >= 2 && baseValues.length >= 2;
        const p = tested ? welchP(xs, baseValues) : null;
        return { mean: m, stddev: stddev(xs), n: xs.length, changePct: i === 0 ? null : changeOf(m, baseMean), p, significant: p !== null && p < SIGNIFICANCE };
      }),
    };
  });
}

function fmt(x: number): string {
  if (Number.isNaN(x)) return 'n/a';
  return Math.abs(x) >= 1e6 ? x.toExponential(3) : x.toFixed(2);
}

function fmtChange(pct: number): string {
  const sign = pct >= 0 ? '+' : '-';
  return Number.isFinite(pct) ? `${sign}${Math.abs(pct).toFixed(2)}%` : `${sign}inf%`;
}

/** The legend under the table: what the numbers are, what `*` means, the runs that did not finish. */
function legend(variants: readonly VariantRuns[], rows: readonly MetricRow[]): string {
  let out = `\nmeans over ${variants.map((v) => `${v.runs.length}`).join('/')} seeds; (change against ${variants[0]?.variant ?? '-'}); ` +
    `* = p < ${SIGNIFICANCE} in Welch's t-test over the seeds, or a difference where every seed of both variants gave the same value ` +
    '(no spread: deterministic); no test with fewer than 2 seeds; +inf% = up from a mean of 0\n';
  const partial: string[] = [];
  for (const r of rows) {
    r.cells.forEach((c, i) => {
      const v = variants[i]!;
      if (c.n < v.runs.length) partial.push(`${r.metric} (${v.variant}: ${c.n} of ${v.runs.length})`);
    });
  }
  if (partial.length) out += `not reported by every run, so averaged over the runs that did: ${partial.join(', ')}\n`;
  const failed = variants.flatMap((v) => v.failed.map((f) => `  ${v.variant} seed ${f.seed}: ${f.error}`));
  if (failed.length) out += `runs that did not finish (not in the means):\n${failed.join('\n')}\n`;
  return out;
}

/** The mmtests-style text table. */
export function compareTable(variants: readonly VariantRuns[], rows: readonly MetricRow[]): string {
  const w0 = Math.max(6, ...rows.map((r) => r.metric.length)) + 2;
  const w = 26;
  let out = ''.padEnd(w0) + variants.map((v) => v.variant.padStart(w)).join('') + '\n';
  for (const r of rows) {
    out += r.metric.padEnd(w0);
    for (const c of r.cells) {
      const change = c.changePct === null ? '' : ` (${fmtChange(c.changePct)})${c.significant ? '*' : ' '}`;
      out += (fmt(c.mean) + change).padStart(w);
    }
    out += '\n';
  }
  return out + legend(variants, rows);
}

const csvNumber = (x: number | null): string | number => (x === null || Number.isNaN(x) ? '' : Number.isFinite(x) ? x : x > 0 ? 'inf' : '-inf');

/**
 * One row per metric; per variant: mean, stddev, n (runs that reported it), change_pct (inf from
 * a mean of 0), p, significant (1/0; empty where untested) and failed (runs that did not finish).
 */
export function compareCsv(variants: readonly VariantRuns[], rows: readonly MetricRow[]): string {
  const cols = ['mean', 'stddev', 'n', 'change_pct', 'p', 'significant', 'failed'];
  const head = ['metric', ...variants.flatMap((v) => cols.map((c) => `${v.variant}_${c}`))];
  const lines = [head.join(',')];
  for (const r of rows) {
    const cells = r.cells.flatMap((c, i) => [
      csvNumber(c.mean), c.stddev, c.n, csvNumber(c.changePct), csvNumber(c.p), c.p === null ? '' : c.significant ? 1 : 0, variants[i]!.failed.length,
    ]);
    lines.push([r.metric, ...cells].join(','));
  }
  return lines.join('\n') + '\n';
}

/** Everything: the test and threshold, every run's summary, the failed runs and the rows (changePct null where infinite or none). */
export function compareJson(scenario: string, variants: readonly VariantRuns[], rows: readonly MetricRow[]): string {
  const finite = (x: number | null): number | null => (x !== null && Number.isFinite(x) ? x : null);
  return JSON.stringify({
    scenario,
    significance: {
      test: "Welch's t-test over the seeds, two-sided",
      alpha: SIGNIFICANCE,
      no_spread: 'p = 0 when neither variant varies over the seeds and the means differ',
      untested: 'p = null with fewer than 2 runs on a side',
    },
    variants: variants.map((v) => ({ variant: v.variant, finished: v.runs.length, failed: v.failed, runs: v.runs })),
    rows: rows.map((r) => ({
      metric: r.metric,
      cells: r.cells.map((c, i) => ({
        variant: variants[i]!.variant, mean: finite(c.mean), stddev: c.stddev, n: c.n,
        changePct: finite(c.changePct), fromZero: c.changePct !== null && !Number.isFinite(c.changePct), p: c.p, significant: c.significant,
      })),
    })),
  }, null, 2) + '\n';
}
