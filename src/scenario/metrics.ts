/**
 * The names of a run's summary metrics, so that a scenario's `metrics:` list can be checked:
 * the runner's own figures (RUN_METRICS, the same in every run) and the workloads' counters,
 * which are all named `<workload name>.<counter>` and which a workload may or may not report
 * in a given run (many are set only when something happens, such as an OOM kill).
 *
 * Browser-safe: no Node modules.
 */
import { VmEvent } from '../mm/vmstat.js';

/** /proc/vmstat event counters in every sample (cumulative) and, as deltas, in the summary. */
export const SERIES_EVENTS: readonly [string, VmEvent][] = [
  ['pgscan_kswapd', VmEvent.PGSCAN_KSWAPD],
  ['pgscan_direct', VmEvent.PGSCAN_DIRECT],
  ['pgsteal_kswapd', VmEvent.PGSTEAL_KSWAPD],
  ['pgsteal_direct', VmEvent.PGSTEAL_DIRECT],
  ['pageoutrun', VmEvent.PAGEOUTRUN],
  ['pswpin', VmEvent.PSWPIN],
  ['pswpout', VmEvent.PSWPOUT],
  ['pgmigrate_success', VmEvent.PGMIGRATE_SUCCESS],
  ['pgmigrate_fail', VmEvent.PGMIGRATE_FAIL],
  ['compact_migrate_scanned', VmEvent.COMPACT_MIGRATE_SCANNED],
  ['compact_free_scanned', VmEvent.COMPACT_FREE_SCANNED],
  ['compact_isolated', VmEvent.COMPACT_ISOLATED],
  ['compact_stall', VmEvent.COMPACT_STALL],
  ['compact_fail', VmEvent.COMPACT_FAIL],
  ['compact_success', VmEvent.COMPACT_SUCCESS],
  ['compact_daemon_wake', VmEvent.COMPACT_DAEMON_WAKE],
  ['thp_fault_alloc', VmEvent.THP_FAULT_ALLOC],
  ['thp_fault_fallback', VmEvent.THP_FAULT_FALLBACK],
  ['oom_kill', VmEvent.OOM_KILL],
];

/** The summary metrics every finished run has (the runner's own; the workloads' counters come on top). */
export const RUN_METRICS: readonly string[] = [
  ...SERIES_EVENTS.map(([n]) => n),
  'allocstall',
  'oom_invocations',
  'oom_kills',
  'oom_kills_premature',
  'first_premature_oom_s',
  'free_pages_end',
  'free_pages_min',
  'frag_score_end',
  'frag_score_mean',
  'memmap_bytes',
  'model_bytes',
  'swap_bytes',
  'sim_seconds',
  'sim_events',
  'compaction_ms',
  'compaction_stall_ms',
].sort();

/** Runner figures only some runs have: a rate needs attempts (thp_fault_alloc + thp_fault_fallback > 0). */
export const OPTIONAL_RUN_METRICS: readonly string[] = ['thp_fault_success_rate'];

/** Every name the runner may report, for checking `metrics:`. */
export const ALL_RUN_METRICS: readonly string[] = [...RUN_METRICS, ...OPTIONAL_RUN_METRICS].sort();

/** The workload a metric name belongs to (`frag` for `frag.hugepages_after`), if it names one of `workloads`. */
export function metricWorkload(metric: string, workloads: readonly string[]): string | undefined {
  const dot = metric.indexOf('.');
  if (dot <= 0 || dot === metric.length - 1) return undefined;
  const w = metric.slice(0, dot);
  return workloads.includes(w) ? w : undefined;
}

/** What a `metrics:` entry must be, for error messages. */
export function expectedMetric(workloads: readonly string[]): string {
  const counters = workloads.length > 0 ? `, or a workload counter <workload>.<counter> (workloads: ${workloads.join(', ')})` : '';
  return `a summary metric: one of ${ALL_RUN_METRICS.join(', ')}${counters}`;
}

/** A `metrics:` entry that no finished run reported. */
export interface MissingMetric {
  /** Its index in `metrics:`. */
  index: number;
  metric: string;
  /** What the runs did report for its workload (sorted). */
  available: string[];
}

/**
 * The scenario's workload metrics that none of `summaries` has: a misspelt counter, or one the
 * workload reports only when something happens (so a warning, not an error).
 */
export function missingMetrics(metrics: readonly string[], workloads: readonly string[], summaries: readonly Record<string, number>[]): MissingMetric[] {
  const reported = new Set<string>();
  for (const s of summaries) for (const k of Object.keys(s)) reported.add(k);
  const out: MissingMetric[] = [];
  metrics.forEach((metric, index) => {
    if (reported.has(metric)) return;
    const w = metricWorkload(metric, workloads);
    const available = w === undefined ? [] : [...reported].filter((k) => k.startsWith(`${w}.`)).sort();
    out.push({ index, metric, available });
  });
  return out;
}
