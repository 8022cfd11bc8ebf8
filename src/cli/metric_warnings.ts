/** Warnings for `metrics:` entries that no run reported (the loader has already refused impossible names). */
import { scenarioFieldLocation } from '../scenario/load.js';
import type { Scenario } from '../scenario/load.js';
import { metricWorkload, missingMetrics } from '../scenario/metrics.js';

/**
 * One line per workload counter the scenario lists that none of `summaries` has, naming the
 * file, line and metric and what its workload did report. A warning, not an error: many
 * counters are set only when something happens (an OOM kill, a failure).
 */
export function metricWarnings(scenario: Scenario, summaries: readonly Record<string, number>[], runs: string): string[] {
  const workloads = scenario.workloads.map((w) => w.name);
  return missingMetrics(scenario.metrics, workloads, summaries).map((m) => {
    const where = scenarioFieldLocation(scenario, ['metrics', m.index]);
    const w = metricWorkload(m.metric, workloads);
    const why = w === undefined ? '' : ` (misspelt, or a counter ${w} sets only when it happens)`;
    const available = w === undefined ? '' : m.available.length > 0 ? `; ${w} reported: ${m.available.join(', ')}` : `; ${w} reported no counters`;
    return `pagelab: warning: ${where}: metrics[${m.index}]: ${runs} did not report ${JSON.stringify(m.metric)}${why}${available}\n`;
  });
}
