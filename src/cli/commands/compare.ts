/**
 * `pagelab compare SCENARIO [--seeds N] [--jobs J] [--out DIR]`: every variant x N seeds on a
 * pool of worker threads (piscina), then the mmtests-style table of means, changes against the
 * first variant and significance. Each run is deterministic on its own, so the numbers do not
 * depend on --jobs. Runs that fail or are interrupted are reported, not silently dropped.
 */
import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { Piscina } from 'piscina';
import { type VariantRuns, compareCsv, compareJson, compareRows, compareTable } from '../../scenario/compare.js';
import { loadScenario } from '../../scenario/load.js';
import { UsageError, describeError } from '../errors.js';
import { readTextFile, scenarioFileReader } from '../machine_file.js';
import { writeOutputDir } from '../outdir.js';
import type { CompareTask } from '../compare_worker.js';

export interface CompareOptions {
  seeds?: string;
  jobs?: string;
  out?: string;
}

function whole(name: string, v: string | undefined, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n < min) throw new UsageError(`${name}: expected a whole number >= ${min}, found "${v}"`);
  return n;
}

export interface CompareOutcome {
  table: string;
  files: Record<string, string>;
  variants: VariantRuns[];
}

export async function runCompare(path: string, opts: CompareOptions, onDone?: (done: number, total: number) => void): Promise<CompareOutcome> {
  const text = readTextFile(path, 'scenario');
  const scenario = loadScenario(text, path, scenarioFileReader(path));
  const seeds = whole('--seeds', opts.seeds, scenario.seeds, 1);
  const jobs = whole('--jobs', opts.jobs, Math.max(1, Math.min(availableParallelism(), 4)), 1);
  const pool = new Piscina({ filename: new URL('../compare_worker.js', import.meta.url).href, minThreads: jobs, maxThreads: jobs });
  const variants: VariantRuns[] = scenario.variants.map((v) => ({ variant: v.name, runs: [], failed: [] }));
  const total = variants.length * seeds;
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
  const rows = compareRows(variants, scenario.metrics ?? []);
  const table = compareTable(variants, rows);
  return {
    table,
    variants,
    files: { 'compare.txt': table, 'compare.csv': compareCsv(variants, rows), 'compare.json': compareJson(scenario.name, variants, rows) },
  };
}

export function registerCompareCommand(program: Command): void {
  program
    .command('compare')
    .description('run every variant of a scenario over several seeds in parallel and compare them (mmtests style)')
    .argument('<scenario>', 'scenario file (YAML)')
    .option('--seeds <n>', 'seeds per variant (default: the scenario\'s `seeds`)')
    .option('--jobs <n>', 'worker threads (default: min(cores, 4))')
    .option('--out <dir>', 'also write compare.txt, compare.csv and compare.json here (atomically)')
    .action(async (path: string, opts: CompareOptions) => {
      const tty = process.stderr.isTTY;
      const out = await runCompare(path, opts, (done, total) => {
        if (tty) process.stderr.write(`\r  runs finished: ${done}/${total}`);
      });
      if (tty) process.stderr.write('\n');
      process.stdout.write(out.table);
      if (opts.out) await writeOutputDir(opts.out, out.files);
      if (out.variants.some((v) => v.failed.length)) process.exitCode = 1;
    });
}
