/**
 * `pagelab compare SCENARIO [--seeds N] [--jobs J] [--out DIR]`: every variant x N seeds on a
 * pool of worker threads (piscina), then the mmtests-style table of means, changes against the
 * first variant and significance. Each run is deterministic on its own, so the numbers do not
 * depend on --jobs. Runs that fail or are interrupted are reported, not silently dropped, and
 * then DIR is not written: its tables would lack them (exit 1 for a failed run, 130 for a signal).
 */
import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { Piscina } from 'piscina';
import { type VariantRuns, compareCsv, compareJson, compareRows, compareTable } from '../../scenario/compare.js';
import { loadScenario } from '../../scenario/load.js';
import { describeError, parseWhole } from '../errors.js';
import { readTextFile, scenarioFileReader } from '../machine_file.js';
import { metricWarnings } from '../metric_warnings.js';
import { checkOutputDir, writeOutputDir } from '../outdir.js';
import type { CompareTask } from '../compare_worker.js';
import { EXIT_INTERRUPTED } from './run.js';

export interface CompareOptions {
  seeds?: string;
  jobs?: string;
  out?: string;
}

/** The most worker threads --jobs may ask for (each holds a whole simulated machine). */
export const MAX_JOBS = 64;

export interface CompareOutcome {
  table: string;
  files: Record<string, string>;
  variants: VariantRuns[];
  /** A signal stopped the comparison; the runs it cut short are in `failed` as "interrupted". */
  interrupted: boolean;
  /** Warnings about `metrics:` entries no run reported. */
  warnings: string[];
}

interface Writer {
  write(text: string): unknown;
}

/**
 * Run every variant x seed and build the tables. `workerFile` is the module each worker runs
 * (default ../compare_worker.js; tests substitute one that fails on purpose).
 */
export async function runCompare(
  path: string, opts: CompareOptions, onDone?: (done: number, total: number) => void,
  workerFile: string = new URL('../compare_worker.js', import.meta.url).href,
): Promise<CompareOutcome> {
  const text = readTextFile(path, 'scenario');
  const scenario = loadScenario(text, path, scenarioFileReader(path));
  const seeds = parseWhole('--seeds', opts.seeds, scenario.seeds, 1, 1000);
  const jobs = parseWhole('--jobs', opts.jobs, Math.max(1, Math.min(availableParallelism(), 4)), 1, MAX_JOBS);
  if (opts.out !== undefined) checkOutputDir(opts.out);
  const variants: VariantRuns[] = scenario.variants.map((v) => ({ variant: v.name, runs: [], failed: [] }));
  const total = variants.length * seeds;
  const threads = Math.min(jobs, total); // no idle threads, each with its own copy of the model's code
  const pool = new Piscina({ filename: workerFile, minThreads: threads, maxThreads: threads });
  let done = 0;
  const abort = new AbortController();
  setMaxListeners(0, abort.signal); // one listener per queued run
  const stop = (): void => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await Promise.all(
      variants.flatMap((v) =>
        Array.from({ length: seeds }, async (_, i) => {
          const seed = i + 1;
          const task: CompareTask = { text, file: path, variant: v.variant, seed };
          try {
            const r = (await pool.run(task, { signal: abort.signal })) as { summary: Record<string, number> };
            v.runs.push({ seed, summary: r.summary });
          } catch (e) {
            v.failed.push({ seed, error: abort.signal.aborted ? 'interrupted' : describeError(e) });
          }
          onDone?.(++done, total);
        }),
      ),
    );
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await pool.destroy();
  }
  for (const v of variants) {
    v.runs.sort((a, b) => a.seed - b.seed);
    v.failed.sort((a, b) => a.seed - b.seed);
  }
  const rows = compareRows(variants, scenario.metrics);
  const table = compareTable(variants, rows);
  const summaries = variants.flatMap((v) => v.runs.map((r) => r.summary));
  return {
    table,
    variants,
    interrupted: abort.signal.aborted,
    warnings: summaries.length > 0 && !abort.signal.aborted ? metricWarnings(scenario, summaries, 'no run') : [],
    files: { 'compare.txt': table, 'compare.csv': compareCsv(variants, rows), 'compare.json': compareJson(scenario.name, variants, rows) },
  };
}

/**
 * The command: the table on `out`, problems on `err`, DIR only when every run finished.
 * Returns the exit status (0, 1 when a run failed, EXIT_INTERRUPTED after a signal).
 */
export async function compareCommand(
  path: string, opts: CompareOptions, out: Writer = process.stdout, err: Writer = process.stderr, workerFile?: string,
): Promise<number> {
  const tty = process.stderr.isTTY === true && err === process.stderr;
  const r = await runCompare(path, opts, (done, total) => {
    if (tty) err.write(`\r  runs finished: ${done}/${total}`);
  }, workerFile);
  if (tty) err.write('\n');
  out.write(r.table);
  for (const w of r.warnings) err.write(w);
  const unfinished = r.variants.reduce((n, v) => n + v.failed.length, 0);
  const total = unfinished + r.variants.reduce((n, v) => n + v.runs.length, 0);
  if (unfinished > 0) {
    const why = r.interrupted ? 'interrupted' : 'failed';
    const nothing = opts.out !== undefined ? `; nothing written to ${opts.out} (its tables would lack them)` : '';
    err.write(`pagelab: ${why}: ${unfinished} of ${total} runs did not finish (listed above)${nothing}\n`);
    return r.interrupted ? EXIT_INTERRUPTED : 1;
  }
  if (opts.out !== undefined) await writeOutputDir(opts.out, r.files);
  return 0;
}

export function registerCompareCommand(program: Command): void {
  program
    .command('compare')
    .description('run every variant of a scenario over several seeds in parallel and compare them (mmtests style)')
    .argument('<scenario>', 'scenario file (YAML)')
    .option('--seeds <n>', 'seeds per variant (default: the scenario\'s `seeds`)')
    .option('--jobs <n>', `worker threads, 1 to ${MAX_JOBS} (default: min(cores, 4); never more than the runs)`)
    .option('--out <dir>', 'also write compare.txt, compare.csv and compare.json here (atomically; only when every run finished)')
    .action(async (path: string, opts: CompareOptions) => {
      process.exitCode = await compareCommand(path, opts);
    });
}
