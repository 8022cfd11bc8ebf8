/**
 * The shapes a scenario run produces, shared by the runner, the CLI, `compare` and the web app.
 * Everything here is plain data (structured-cloneable), with no wall-clock values.
 */

/** One sample of the time series, taken every `sampleEveryNs` of simulated time. */
export interface Sample {
  timeNs: number;
  /** free_area[order].nr_free summed over zones, order 0..10. */
  freeByOrder: number[];
  /** Free pages per migratetype (summed over orders and zones), types 0..4. */
  freeByType: number[];
  /** Free pages per migratetype and order, summed over zones: index type * MAX_ORDER + order. */
  freeByTypeOrder: number[];
  /** Pageblocks per migratetype, types 0..4. */
  pageblocksByType: number[];
  /** The node fragmentation score (fragmentation_score_node, 0..100) of node 0. */
  fragScore: number;
  /** Selected /proc/vmstat counters at this instant (cumulative). */
  vmstat: Record<string, number>;
}

export interface ProcSnapshot {
  timeNs: number;
  /** Label from the scenario (`10s`, `end`). */
  label: string;
  buddyinfo: string;
  pagetypeinfo: string;
  vmstat: string;
  zoneinfo: string;
}

/** What one run (scenario x variant x seed) produced. */
export interface RunResult {
  scenario: string;
  variant: string;
  seed: number;
  /** Simulated time the run covered, ns. */
  durationNs: number;
  /** The headline figures (metric name -> number), sorted by name. */
  summary: Record<string, number>;
  series: Sample[];
  snapshots: ProcSnapshot[];
  /**
   * Every OOM report as the kernel would print it, with printk timestamps (the first
   * MAX_OOM_REPORTS of runner.ts; summary.oom_invocations counts them all).
   */
  oomReports: string[];
  /** ftrace text of the traced events, when tracing was asked for. */
  ftrace: string | null;
  /** Slices and instants for a Chrome/Perfetto trace (compaction, reclaim, OOM), in time order. */
  spans: TraceSpan[];
  /** Set on a result taken before the end (RunView.partialResult()): the scenario's duration, ns. */
  partialOfNs?: number;
}

export interface TraceSpan {
  name: string;
  /** 'X' complete event (slice) or 'i' instant. */
  ph: 'X' | 'i';
  startNs: number;
  durNs: number;
  /** The timeline it belongs on (`kswapd`, `direct compaction`, ...); defaults to its name. */
  track?: string;
  args?: Record<string, number | string>;
}
