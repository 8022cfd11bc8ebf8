/**
 * The fidelity report: kernel runs grouped by scenario and parameters, each mirrored in pagelab
 * (from its own boot state), compared metric by metric; rendered as text, markdown or JSON.
 * Browser-safe.
 */
import { runScenario } from '../scenario/runner.js';
import type { RunResult } from '../scenario/types.js';
import { type Metric, compareRuns, fmt } from './compare.js';
import type { HarnessParams, HarnessRun } from './harness_run.js';
import { mirrorScenario } from './mirror.js';

export interface FidelityGroup {
  scenario: string;
  params: HarnessParams;
  /** The kernel runs' files. */
  files: string[];
  metrics: Metric[];
}

/** Runs with the same scenario and parameters, in the order first seen. */
export function groupRuns(runs: readonly HarnessRun[]): HarnessRun[][] {
  const groups = new Map<string, HarnessRun[]>();
  for (const r of runs) {
    const key = JSON.stringify([r.scenario, r.params]);
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.values()];
}

/** Mirror every run of a group (seed 1: memscen's own seed comes from the run's parameters). */
export async function fidelityGroup(runs: readonly HarnessRun[], onRun?: (file: string) => void): Promise<FidelityGroup> {
  const results: RunResult[] = [];
  for (const run of runs) {
    onRun?.(run.file);
    results.push(runScenario(mirrorScenario(run), 'mirror', 1));
    // Each mirror is seconds of CPU: let the event loop breathe between them (a progress bar,
    // a worker's messages).
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
  }
  return { scenario: runs[0]!.scenario, params: runs[0]!.params, files: runs.map((r) => r.file), metrics: compareRuns(runs, results) };
}

const PARAM_KEYS = ['seed', 'fill-pct', 'shmem-pct', 'cache-pct', 'pin', 'pin-pct', 'pattern', 'free-pct', 'free-types', 'hp-mode', 'kalloc-orders'] as const;

export function paramsLine(p: HarnessParams): string {
  return PARAM_KEYS.map((k) => `${k}=${String(p[k])}`).join(' ');
}

function statText(m: Metric['kernel']): string {
  return m.n > 1 && m.min !== m.max ? `${fmt(m.mean)} [${fmt(m.min)}..${fmt(m.max)}]` : fmt(m.mean);
}

function signed(v: number): string {
  return v > 0 ? `+${fmt(v)}` : fmt(v);
}

export function countWithin(ms: readonly Metric[]): { within: number; total: number } {
  return { within: ms.filter((m) => m.within_tolerance).length, total: ms.length };
}

const pad = (s: string, n: number): string => s.padEnd(n);
const lpad = (s: string, n: number): string => s.padStart(n);

/** The text report of one group: headline table, then per phase buddyinfo/pageblocks/counters. */
export function groupText(g: FidelityGroup): string {
  const lines: string[] = [];
  lines.push(`== ${g.scenario}: ${g.files.length} kernel run${g.files.length > 1 ? 's' : ''} (${g.files.join(', ')})`);
  lines.push(`   ${paramsLine(g.params)}`);
  const head = g.metrics.filter((m) => m.phase === null);
  lines.push('');
  lines.push(`${pad('metric', 38)}${lpad('kernel', 22)}${lpad('pagelab', 18)}${lpad('diff', 10)}  ${pad('tolerance', 26)}ok`);
  for (const m of head) {
    lines.push(`${pad(m.name, 38)}${lpad(statText(m.kernel), 22)}${lpad(statText(m.pagelab), 18)}${lpad(signed(m.diff), 10)}  ${pad(m.tolerance, 26)}${m.within_tolerance ? 'yes' : 'NO'}`);
  }
  const phases = [...new Set(g.metrics.filter((m) => m.phase !== null).map((m) => m.phase!))];
  for (const phase of phases) {
    const ms = g.metrics.filter((m) => m.phase === phase);
    const c = countWithin(ms);
    lines.push('');
    lines.push(`-- phase ${phase}: ${c.within}/${c.total} within tolerance`);
    for (const zone of [...new Set(ms.filter((m) => m.kind === 'buddyinfo').map((m) => m.zone!))]) {
      const row = ms.filter((m) => m.kind === 'buddyinfo' && m.zone === zone);
      const w = 8;
      lines.push(`   buddyinfo ${pad(zone, 6)} order ${row.map((_, i) => lpad(String(i), w)).join('')}`);
      lines.push(`   ${pad('kernel', 23)}${row.map((m) => lpad(fmt(Math.round(m.kernel.mean * 10) / 10), w)).join('')}`);
      lines.push(`   ${pad('pagelab', 23)}${row.map((m) => lpad(fmt(Math.round(m.pagelab.mean * 10) / 10), w)).join('')}`);
      lines.push(`   ${pad('within', 23)}${row.map((m) => lpad(m.within_tolerance ? 'y' : 'N', w)).join('')}`);
    }
    const blocks = ms.filter((m) => m.kind === 'pageblocks');
    if (blocks.length > 0) {
      lines.push(`   pageblocks ${blocks.map((m) => `${m.zone} ${m.name} ${fmt(m.kernel.mean)}/${fmt(m.pagelab.mean)}${m.within_tolerance ? '' : '(N)'}`).join(', ')}  (kernel/pagelab)`);
    }
    const counters = ms.filter((m) => m.kind === 'vmstat_delta' && (m.kernel.mean !== 0 || m.pagelab.mean !== 0));
    if (counters.length > 0) {
      lines.push(`   vmstat    ${counters.map((m) => `${m.name} ${fmt(Math.round(m.kernel.mean))}/${fmt(m.pagelab.mean)}${m.within_tolerance ? '' : '(N)'}`).join(', ')}`);
    }
  }
  const all = countWithin(g.metrics);
  lines.push('');
  lines.push(`   ${all.within}/${all.total} metrics within tolerance`);
  return lines.join('\n') + '\n';
}

/** What tells groups apart: the pattern, the pin, and parameters off memscen's defaults. */
function groupTag(p: HarnessParams): string {
  const parts = [p.pattern];
  if (p.pin !== 'none') parts.push(`pin=${p.pin}${p['pin-pct'] !== 100 ? ` ${p['pin-pct']}%` : ''}`);
  if (p['shmem-unit-kb'] > 0) parts.push(`shmem-unit ${p['shmem-unit-kb']} KiB`);
  if (p['cache-pct'] > 0) parts.push(`cache ${p['cache-pct']}%`);
  if (p.seed !== 1) parts.push(`seed ${p.seed}`);
  return parts.join(', ');
}

/** The group's name in the tables: scenario, what sets it apart, runs. */
function groupLabel(g: FidelityGroup): string {
  return `${g.scenario} (${groupTag(g.params)}; ${g.files.length} run${g.files.length > 1 ? 's' : ''})`;
}

/** "0-3,5,7-8" for the sorted numbers given. */
function ranges(ns: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < ns.length; ) {
    let j = i;
    while (j + 1 < ns.length && ns[j + 1] === ns[j]! + 1) j++;
    out.push(j > i ? `${ns[i]}-${ns[j]}` : String(ns[i]));
    i = j + 1;
  }
  return out.join(',');
}

/**
 * What misses in one phase, compactly: the buddyinfo orders per zone, then pageblock types and
 * counters with kernel mean / pagelab mean. Empty when everything is within tolerance.
 */
export function phaseMisses(ms: readonly Metric[]): string {
  const miss = ms.filter((m) => !m.within_tolerance);
  const parts: string[] = [];
  for (const zone of [...new Set(miss.filter((m) => m.kind === 'buddyinfo').map((m) => m.zone!))]) {
    const orders = miss.filter((m) => m.kind === 'buddyinfo' && m.zone === zone).map((m) => Number(m.name.slice('order '.length)));
    parts.push(`buddyinfo ${zone} order ${ranges(orders)}`);
  }
  const value = (m: Metric): string => `${fmt(Math.round(m.kernel.mean))}/${fmt(Math.round(m.pagelab.mean))}`;
  for (const m of miss.filter((x) => x.kind === 'pageblocks')) parts.push(`${m.zone} ${m.name} blocks ${value(m)}`);
  for (const m of miss.filter((x) => x.kind === 'vmstat_delta')) parts.push(`${m.name} ${value(m)}`);
  return parts.join(', ');
}

/** The summary table of many groups, as markdown (for docs/fidelity.md), then what misses per phase. */
export function groupsMarkdown(groups: readonly FidelityGroup[]): string {
  const lines: string[] = [];
  lines.push('| scenario | metric | kernel mean [min..max] | pagelab | diff | tolerance | within |');
  lines.push('|---|---|---|---|---|---|---|');
  for (const g of groups) {
    const label = groupLabel(g);
    for (const m of g.metrics.filter((x) => x.phase === null)) {
      lines.push(`| ${label} | ${m.name} | ${statText(m.kernel)} | ${statText(m.pagelab)} | ${signed(m.diff)} | ${m.tolerance} | ${m.within_tolerance ? 'yes' : '**no**'} |`);
    }
    const detail = { buddyinfo: 'buddyinfo: every phase, zone and order', pageblocks: 'pageblocks: every phase, zone and type', vmstat_delta: 'vmstat deltas: every phase and counter' };
    for (const kind of ['buddyinfo', 'pageblocks', 'vmstat_delta'] as const) {
      const c = countWithin(g.metrics.filter((m) => m.kind === kind));
      if (c.total > 0) lines.push(`| ${label} | ${detail[kind]} | | | | spread or ±10% | ${c.within}/${c.total} |`);
    }
  }
  lines.push('');
  lines.push('What misses, phase by phase (counters as kernel mean/pagelab mean):');
  lines.push('');
  lines.push('| scenario | phase | outside tolerance |');
  lines.push('|---|---|---|');
  for (const g of groups) {
    const label = groupLabel(g);
    for (const phase of [...new Set(g.metrics.filter((m) => m.phase !== null).map((m) => m.phase!))]) {
      const text = phaseMisses(g.metrics.filter((m) => m.phase === phase));
      if (text !== '') lines.push(`| ${label} | ${phase} | ${text} |`);
    }
  }
  return lines.join('\n') + '\n';
}

/** The JSON report: every metric with its `within_tolerance`. */
export function groupsJson(groups: readonly FidelityGroup[]): string {
  const body = {
    format: 'pagelab-fidelity',
    version: 1,
    groups: groups.map((g) => ({
      scenario: g.scenario,
      params: g.params,
      kernel_runs: g.files,
      ...countWithin(g.metrics),
      metrics: g.metrics,
    })),
  };
  return JSON.stringify(body, null, 1) + '\n';
}
