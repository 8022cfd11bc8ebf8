/**
 * The files a run's output directory holds, rendered from its RunResult (text only, so the
 * CLI writes them and the web app can offer them for download):
 *
 *   summary.json            scenario, variant, seed, duration and the summary metrics (sorted);
 *                           nothing wall-clock, so the same run gives the same bytes; a partial
 *                           result (the playground's export mid-run) adds `partial: true` and
 *                           scenario_duration_s
 *   series.csv              the time series, summed over zones: time_s; nr_free_o0..nr_free_o10
 *                           (free BLOCKS per order, free_area[order].nr_free, as buddyinfo);
 *                           free_<Migratetype> (free pages); free_<Migratetype>_o<order> (free
 *                           pages per type and order, as pagetypeinfo's blocks x 2^order);
 *                           blocks_<Migratetype> (pageblocks); frag_score; then the vmstat
 *                           columns of the samples
 *   proc-<label>-buddyinfo  the /proc snapshots (also -pagetypeinfo, -vmstat, -zoneinfo), one set
 *                           per snapshot time (`proc-1s-buddyinfo`, `proc-end-buddyinfo`)
 *   oom-<n>.txt             the OOM reports, n from 1, as the kernel log prints them
 *   trace.txt               ftrace text of the selected events (only when the scenario traces)
 *   trace.json              a Chrome JSON trace for ui.perfetto.dev / chrome://tracing
 *
 * The names are flat (no subdirectories): the CLI's atomic writer writes a flat directory.
 *
 * Browser-safe: no Node modules.
 */
import { MAX_ORDER, MIGRATETYPE_NAMES, MIGRATE_TYPES } from '../mm/constants.js';
import type { RunResult, Sample, TraceSpan } from './types.js';

/** `{ ... }` with 2-space indentation and a trailing newline; keys in the order given. */
function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function summaryJson(r: RunResult): string {
  return jsonText({
    scenario: r.scenario,
    variant: r.variant,
    seed: r.seed,
    duration_s: r.durationNs / 1e9,
    // A partial result says so up front; a complete run's bytes are unchanged.
    ...(r.partialOfNs !== undefined ? { partial: true, scenario_duration_s: r.partialOfNs / 1e9 } : {}),
    snapshots: r.snapshots.map((s) => s.label),
    oom_reports: r.oomReports.length,
    metrics: Object.fromEntries(Object.keys(r.summary).sort().map((k) => [k, r.summary[k]!])),
  });
}

const seconds = (ns: number): string => String(ns / 1e9);

export function seriesCsv(series: readonly Sample[]): string {
  const vmstatNames = series.length > 0 ? Object.keys(series[0]!.vmstat) : [];
  const header = [
    'time_s',
    ...Array.from({ length: MAX_ORDER }, (_, o) => `nr_free_o${o}`),
    ...MIGRATETYPE_NAMES.map((t) => `free_${t}`),
    ...MIGRATETYPE_NAMES.flatMap((t) => Array.from({ length: MAX_ORDER }, (_, o) => `free_${t}_o${o}`)),
    ...MIGRATETYPE_NAMES.map((t) => `blocks_${t}`),
    'frag_score',
    ...vmstatNames,
  ];
  const rows = [header.join(',')];
  for (const s of series) {
    const row: (string | number)[] = [seconds(s.timeNs)];
    for (let o = 0; o < MAX_ORDER; o++) row.push(s.freeByOrder[o] ?? 0);
    for (let t = 0; t < MIGRATE_TYPES; t++) row.push(s.freeByType[t] ?? 0);
    for (let i = 0; i < MIGRATE_TYPES * MAX_ORDER; i++) row.push(s.freeByTypeOrder[i] ?? 0);
    for (let t = 0; t < MIGRATE_TYPES; t++) row.push(s.pageblocksByType[t] ?? 0);
    row.push(s.fragScore);
    for (const name of vmstatNames) row.push(s.vmstat[name] ?? 0);
    rows.push(row.join(','));
  }
  return `${rows.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Chrome trace (https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU)

/** A trace-event object (only the fields used here). */
export interface ChromeTraceEvent {
  name: string;
  cat?: string;
  ph: 'M' | 'C' | 'X' | 'i';
  ts?: number;
  dur?: number;
  s?: 't';
  pid: number;
  tid: number;
  args: Record<string, number | string>;
}

const PID = 1;
const COUNTER_TID = 0;

/** Tracks in display order; a span's track (or name) not listed here gets the next tid. */
const KNOWN_TRACKS: readonly { track: string; cat: string }[] = [
  { track: 'direct compaction', cat: 'compaction' },
  { track: 'kcompactd', cat: 'compaction' },
  { track: 'proactive and manual compaction', cat: 'compaction' },
  { track: 'kswapd', cat: 'reclaim' },
  { track: 'direct reclaim', cat: 'reclaim' },
  { track: 'OOM killer', cat: 'oom' },
];

const us = (ns: number): number => ns / 1000;

/** The trace events of a run: metadata, counter samples, then slices and instants, each in time order. */
export function chromeTraceEvents(r: RunResult): ChromeTraceEvent[] {
  const events: ChromeTraceEvent[] = [];
  events.push({ name: 'process_name', ph: 'M', pid: PID, tid: COUNTER_TID, args: { name: `pagelab ${r.scenario} / ${r.variant} / seed ${r.seed}` } });

  const tids = new Map<string, { tid: number; cat: string }>();
  KNOWN_TRACKS.forEach((t, i) => tids.set(t.track, { tid: i + 1, cat: t.cat }));
  const used = new Set<string>();
  for (const s of r.spans) {
    const track = s.track ?? s.name;
    used.add(track);
    if (!tids.has(track)) tids.set(track, { tid: tids.size + 1, cat: 'pagelab' });
  }
  for (const [track, { tid }] of tids) {
    if (!used.has(track)) continue;
    events.push({ name: 'thread_name', ph: 'M', pid: PID, tid, args: { name: track } });
    events.push({ name: 'thread_sort_index', ph: 'M', pid: PID, tid, args: { sort_index: tid } });
  }

  for (const s of r.series) {
    const ts = us(s.timeNs);
    const byOrder: Record<string, number> = {};
    for (let o = 0; o < MAX_ORDER; o++) byOrder[`order${String(o).padStart(2, '0')}`] = (s.freeByOrder[o] ?? 0) * 2 ** o;
    const byType: Record<string, number> = {};
    const blocks: Record<string, number> = {};
    for (let t = 0; t < MIGRATE_TYPES; t++) {
      byType[MIGRATETYPE_NAMES[t]!] = s.freeByType[t] ?? 0;
      blocks[MIGRATETYPE_NAMES[t]!] = s.pageblocksByType[t] ?? 0;
    }
    events.push({ name: 'free pages by order', ph: 'C', ts, pid: PID, tid: COUNTER_TID, args: byOrder });
    events.push({ name: 'free pages by migratetype', ph: 'C', ts, pid: PID, tid: COUNTER_TID, args: byType });
    events.push({ name: 'pageblocks by migratetype', ph: 'C', ts, pid: PID, tid: COUNTER_TID, args: blocks });
    events.push({ name: 'fragmentation score', ph: 'C', ts, pid: PID, tid: COUNTER_TID, args: { score: s.fragScore } });
  }

  for (const s of r.spans) events.push(spanEvent(s, tids.get(s.track ?? s.name)!));
  return events;
}

function spanEvent(s: TraceSpan, where: { tid: number; cat: string }): ChromeTraceEvent {
  const args = s.args ?? {};
  if (s.ph === 'X') return { name: s.name, cat: where.cat, ph: 'X', ts: us(s.startNs), dur: us(s.durNs), pid: PID, tid: where.tid, args };
  return { name: s.name, cat: where.cat, ph: 'i', s: 't', ts: us(s.startNs), pid: PID, tid: where.tid, args };
}

/** The JSON Object Format: `{"traceEvents":[...],"displayTimeUnit":"ms"}`, one event per line. */
export function chromeTraceJson(r: RunResult): string {
  const lines = chromeTraceEvents(r).map((e) => JSON.stringify(e));
  return `{"traceEvents":[\n${lines.join(',\n')}\n],\n"displayTimeUnit":"ms"}\n`;
}

/** Every file of a run's output directory, by (flat) file name. */
export function runOutputFiles(r: RunResult): Record<string, string> {
  const files: Record<string, string> = {
    'summary.json': summaryJson(r),
    'series.csv': seriesCsv(r.series),
  };
  for (const s of r.snapshots) {
    files[`proc-${s.label}-buddyinfo`] = s.buddyinfo;
    files[`proc-${s.label}-pagetypeinfo`] = s.pagetypeinfo;
    files[`proc-${s.label}-vmstat`] = s.vmstat;
    files[`proc-${s.label}-zoneinfo`] = s.zoneinfo;
  }
  r.oomReports.forEach((text, i) => {
    files[`oom-${i + 1}.txt`] = text;
  });
  if (r.ftrace !== null) files['trace.txt'] = r.ftrace;
  files['trace.json'] = chromeTraceJson(r);
  return files;
}
