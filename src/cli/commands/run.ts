/**
 * `pagelab run SCENARIO [--variant V] [--seed S] [--out DIR]`: one run of a scenario variant,
 * with a progress bar on stderr (when it is a terminal) and a summary table on stdout. DIR
 * (written atomically) gets summary.json, series.csv, the /proc snapshots, the OOM reports and
 * the traces (see src/scenario/outputs.ts), and run-info.json: what the run measured (memory,
 * wall time), the one file that differs between identical runs. Ctrl-C stops the run and
 * writes nothing.
 */
import { getHeapStatistics } from 'node:v8';
import type { Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { loadScenario } from '../../scenario/load.js';
import type { Scenario } from '../../scenario/load.js';
import { runOutputFiles } from '../../scenario/outputs.js';
import { RunAborted, runScenarioAsync } from '../../scenario/runner.js';
import type { RunResult } from '../../scenario/types.js';
import { formatDuration } from '../../scenario/units.js';
import { UsageError, parseSeed } from '../errors.js';
import { readTextFile, scenarioFileReader } from '../machine_file.js';
import { metricWarnings } from '../metric_warnings.js';
import { checkOutputDir, writeOutputDir } from '../outdir.js';
import { packageVersion } from '../version.js';

export interface RunCommandOptions {
  variant?: string;
  seed?: string;
  out?: string;
  /** Show the progress bar (default: when stderr is a terminal). */
  progress?: boolean;
}

interface Writer {
  write(text: string): unknown;
}

/** Exit status of a run stopped by SIGINT/SIGTERM (128 + SIGINT, as shells report it). */
export const EXIT_INTERRUPTED = 130;

function pickVariant(scenario: Scenario, name: string | undefined): string {
  const names = scenario.variants.map((v) => v.name);
  if (name === undefined) return names[0]!;
  if (!names.includes(name)) throw new UsageError(`--variant: expected one of the variants of ${scenario.file} (${names.join(', ')}), found "${name}"`);
  return name;
}

/** Metrics the table shows after the scenario's own `metrics:` (when the run has them). */
const TABLE_METRICS = [
  'oom_kills', 'oom_kills_premature', 'first_premature_oom_s', 'oom_invocations', 'allocstall', 'pageoutrun',
  'compact_stall', 'compact_success', 'compact_fail', 'compact_daemon_wake', 'pgmigrate_success', 'pgmigrate_fail',
  'thp_fault_alloc', 'thp_fault_fallback', 'pswpout', 'free_pages_end', 'free_pages_min', 'frag_score_end', 'frag_score_mean',
];

function formatValue(v: number | undefined): string {
  if (v === undefined) return 'n/a';
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1e4) / 1e4);
}

function mib(bytes: number): string {
  return `${Math.round((bytes / 1048576) * 10) / 10} MiB`;
}

/** The human summary: a header line and a two-column table of the headline metrics. */
export function summaryTable(r: RunResult, scenarioMetrics: readonly string[]): string {
  const m = r.summary;
  const names: string[] = [];
  for (const n of [...scenarioMetrics, ...TABLE_METRICS, ...Object.keys(m).filter((k) => k.endsWith('_rate'))]) {
    if (names.includes(n)) continue;
    if (scenarioMetrics.includes(n) || m[n] !== undefined) names.push(n);
  }
  const width = Math.max(6, ...names.map((n) => n.length));
  let out = `${r.scenario} / ${r.variant}, seed ${r.seed}: ${formatDuration(r.durationNs)} simulated, ${m['sim_events'] ?? 0} events, ` +
    `memmap ${mib(m['memmap_bytes'] ?? 0)}, model ~${mib(m['model_bytes'] ?? 0)} (estimate)\n`;
  out += `  ${'metric'.padEnd(width)}  value\n`;
  for (const n of names) out += `  ${n.padEnd(width)}  ${formatValue(m[n])}\n`;
  return out;
}

function describeFiles(files: Record<string, string>): string {
  const names = Object.keys(files);
  const procs = names.filter((n) => n.startsWith('proc-')).length;
  const ooms = names.filter((n) => n.startsWith('oom-')).length;
  const parts = names.filter((n) => !n.startsWith('proc-') && !n.startsWith('oom-'));
  if (procs > 0) parts.splice(2, 0, `${procs} /proc snapshot files`);
  if (ooms > 0) parts.splice(3, 0, `${ooms} OOM report${ooms === 1 ? '' : 's'}`);
  return parts.join(', ');
}

/** A progress bar on stderr: simulated time, events per (wall) second and ETA. */
function progressBar(scenario: Scenario, variant: string): { update(simNs: number, events: number): void; stop(): void } {
  const totalMs = Math.max(1, Math.round(scenario.durationNs / 1e6));
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: `${scenario.name}/${variant} [{bar}] {percentage}% | {sim} of {total_sim} | {eps} events/s | ETA {eta_formatted}`,
      hideCursor: false,
      clearOnComplete: true,
      etaBuffer: 50,
      fps: 10,
    },
    Presets.shades_classic,
  );
  const started = Date.now();
  const total = formatDuration(scenario.durationNs);
  bar.start(totalMs, 0, { sim: '0s', total_sim: total, eps: '0' });
  return {
    update(simNs, events) {
      const secs = (Date.now() - started) / 1000;
      const eps = secs > 0 ? Math.round(events / secs) : 0;
      bar.update(Math.min(totalMs, Math.round(simNs / 1e6)), { sim: `${(simNs / 1e9).toFixed(2)}s`, eps: eps.toLocaleString('en-US') });
    },
    stop() {
      bar.stop();
    },
  };
}

/** Peaks of this process's memory, sampled while the run goes (the JS heap and the typed arrays' buffers) and from the OS (RSS). */
class MemoryPeaks {
  heapUsed = 0;
  arrayBuffers = 0;

  sample(): void {
    const m = process.memoryUsage();
    this.heapUsed = Math.max(this.heapUsed, m.heapUsed);
    this.arrayBuffers = Math.max(this.arrayBuffers, m.arrayBuffers);
  }

  /** getrusage()'s ru_maxrss: the peak resident set of the whole process so far. */
  rss(): number {
    return process.resourceUsage().maxRSS * 1024;
  }
}

/** run-info.json: what this run measured, as opposed to what it computed (not byte-identical between runs). */
function runInfoJson(r: RunResult, peaks: MemoryPeaks, wallSeconds: number): string {
  const events = r.summary['sim_events'] ?? 0;
  return `${JSON.stringify({
    note: 'measured on this machine, so it differs between identical runs (summary.json does not)',
    pagelab_version: packageVersion(),
    node_version: process.version,
    platform: `${process.platform} ${process.arch}`,
    wall_seconds: Math.round(wallSeconds * 1000) / 1000,
    sim_events_per_wall_second: wallSeconds > 0 ? Math.round(events / wallSeconds) : null,
    peak_rss_bytes: peaks.rss(),
    peak_heap_used_bytes: peaks.heapUsed,
    peak_array_buffers_bytes: peaks.arrayBuffers,
    heap_size_limit_bytes: getHeapStatistics().heap_size_limit,
    model_bytes_estimate: r.summary['model_bytes'] ?? null,
  }, null, 2)}\n`;
}

/** The command itself. Returns the run's result, or null when it was interrupted (nothing written). */
export async function runCommand(file: string, opts: RunCommandOptions, out: Writer = process.stdout, err: Writer = process.stderr): Promise<RunResult | null> {
  const seed = parseSeed(opts.seed);
  const scenario = loadScenario(readTextFile(file, 'scenario'), file, scenarioFileReader(file));
  const variant = pickVariant(scenario, opts.variant);
  if (opts.out !== undefined) checkOutputDir(opts.out);

  const signal = { aborted: false };
  const onSignal = (): void => {
    signal.aborted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const bar = (opts.progress ?? process.stderr.isTTY === true) ? progressBar(scenario, variant) : null;
  const peaks = new MemoryPeaks();
  const started = performance.now();
  let result: RunResult;
  try {
    result = await runScenarioAsync(scenario, variant, seed, {
      signal,
      onProgress: (simNs, _total, events) => {
        peaks.sample();
        bar?.update(simNs, events);
      },
      pause: () => new Promise((resolve) => setImmediate(resolve)),
    });
    peaks.sample();
    const wallSeconds = (performance.now() - started) / 1000;
    bar?.stop();
    const files = runOutputFiles(result);
    files['run-info.json'] = runInfoJson(result, peaks, wallSeconds);
    // A signal from here on lets the (short) write finish: DIR is then complete, never partial.
    if (opts.out !== undefined) await writeOutputDir(opts.out, files);
    out.write(summaryTable(result, scenario.metrics));
    out.write(`memory (measured): peak RSS ${mib(peaks.rss())}, JS heap ${mib(peaks.heapUsed)}, array buffers ${mib(peaks.arrayBuffers)}\n`);
    out.write(opts.out !== undefined ? `wrote ${opts.out}: ${describeFiles(files)}\n` : '(no --out: no files written)\n');
    for (const w of metricWarnings(scenario, [result.summary], 'this run')) err.write(w);
  } catch (e) {
    bar?.stop();
    if (e instanceof RunAborted) {
      err.write(`pagelab: interrupted: ${e.message}; nothing written\n`);
      process.exitCode = EXIT_INTERRUPTED;
      return null;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return result;
}

/** Add `pagelab run` to the program. */
export function registerRunCommand(program: Command): Command {
  return program
    .command('run')
    .description('run one variant of a scenario with one seed; write its outputs to DIR')
    .argument('<scenario>', 'scenario file (YAML; see `pagelab schema`)')
    .option('--variant <name>', 'variant to run (default: the first)')
    .option('--seed <n>', 'PRNG seed', '1')
    .option('--out <dir>', 'output directory (written atomically): summary.json, series.csv, /proc snapshots, OOM reports, trace.txt, trace.json')
    .action(async (file: string, opts: RunCommandOptions) => {
      await runCommand(file, opts);
    });
}
