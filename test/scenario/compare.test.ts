import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type MetricCell, type VariantRuns, compareCsv, compareJson, compareRows, compareTable } from '../../src/scenario/compare.js';
import { mean, stddev, welchP } from '../../src/scenario/stats.js';
import { interruptCli } from './helpers.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli', 'main.js');

describe('statistics', () => {
  it('Welch t-test p-values match the t distribution', () => {
    // t = -2 with 8 degrees of freedom: two-sided p = 0.0805 (tables of Student's t)
    expect(welchP([1, 2, 3, 4, 5], [3, 4, 5, 6, 7])).toBeCloseTo(0.0805, 3);
    expect(welchP([1, 2, 3], [1, 2, 3])).toBe(1);
    expect(welchP([10, 11, 10.5, 10.2], [20, 21, 20.4, 20.9])).toBeLessThan(1e-5);
    expect(welchP([5, 5, 5], [6, 6, 6])).toBe(0); // no spread, different means
    expect(mean([1, 2, 3])).toBe(2);
    expect(stddev([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138, 3);
  });

  it('marks a change from a mean of 0, and a difference without spread; n and failed runs in CSV and JSON', () => {
    const runs = (xs: Record<string, number>[]): VariantRuns['runs'] => xs.map((summary, i) => ({ seed: i + 1, summary }));
    const variants: VariantRuns[] = [
      { variant: 'a', runs: runs([{ allocstall: 0, fixed: 5, rare: 1 }, { allocstall: 0, fixed: 5 }, { allocstall: 0, fixed: 5, rare: 3 }]), failed: [] },
      { variant: 'b', runs: runs([{ allocstall: 15, fixed: 6 }, { allocstall: 17, fixed: 6 }, { allocstall: 19, fixed: 6 }]), failed: [{ seed: 4, error: 'boom' }] },
      { variant: 'c', runs: runs([{ allocstall: 1, fixed: 5 }]), failed: [] },
    ];
    const rows = compareRows(variants);
    const cell = (metric: string, v: number): MetricCell => rows.find((r) => r.metric === metric)!.cells[v]!;
    // 0 -> 17: t = 17 / (2 / sqrt(3)) = 14.7 with 2 degrees of freedom, p = 0.0046
    expect(cell('allocstall', 1)).toMatchObject({ mean: 17, n: 3, changePct: Infinity, significant: true });
    expect(cell('allocstall', 1).p).toBeCloseTo(0.0046, 4);
    // 5, 5, 5 against 6, 6, 6: no spread, different means: marked
    expect(cell('fixed', 1)).toMatchObject({ changePct: 20, p: 0, significant: true });
    // one seed: no test
    expect(cell('allocstall', 2)).toMatchObject({ n: 1, p: null, significant: false });
    // reported by 2 of 3 runs: averaged over those two
    expect(cell('rare', 0)).toMatchObject({ mean: 2, n: 2 });
    expect(cell('rare', 1).n).toBe(0);
    const table = compareTable(variants, rows);
    expect(table).toMatch(/^allocstall\s+0\.00\s+17\.00 \(\+inf%\)\*\s+1\.00 \(\+inf%\) $/m);
    expect(table).toMatch(/^fixed\s+5\.00\s+6\.00 \(\+20\.00%\)\*\s+5\.00 \(\+0\.00%\) $/m);
    expect(table).toContain('or a difference where every seed of both variants gave the same value (no spread: deterministic)');
    expect(table).toContain('not reported by every run, so averaged over the runs that did: rare (a: 2 of 3), rare (b: 0 of 3), rare (c: 0 of 1)');
    expect(table).toContain('runs that did not finish (not in the means):\n  b seed 4: boom\n');
    const csv = compareCsv(variants, rows).split('\n');
    const head = csv[0]!.split(',');
    const row = csv.find((l) => l.startsWith('allocstall,'))!.split(',');
    const at = (col: string): string => row[head.indexOf(col)]!;
    expect([at('b_mean'), at('b_n'), at('b_change_pct'), at('b_significant'), at('b_failed'), at('c_p'), at('c_significant')]).toEqual(['17', '3', 'inf', '1', '1', '', '']);
    const json = JSON.parse(compareJson('s', variants, rows)) as {
      significance: { alpha: number };
      variants: { variant: string; finished: number; failed: { seed: number; error: string }[] }[];
      rows: { metric: string; cells: { variant: string; n: number; changePct: number | null; fromZero: boolean; p: number | null; significant: boolean }[] }[];
    };
    expect(json.significance.alpha).toBe(0.05);
    expect(json.variants.map((v) => [v.variant, v.finished, v.failed])).toEqual([['a', 3, []], ['b', 3, [{ seed: 4, error: 'boom' }]], ['c', 1, []]]);
    expect(json.rows.find((r) => r.metric === 'allocstall')!.cells[1]).toMatchObject({ variant: 'b', n: 3, changePct: null, fromZero: true, significant: true });
  });

  it('marks significant changes against the first variant', () => {
    const variants = [
      { variant: 'a', runs: [10, 11, 10, 12].map((x, i) => ({ seed: i, summary: { oom_kills: x, same: 1 } })), failed: [] },
      { variant: 'b', runs: [0, 1, 0, 0].map((x, i) => ({ seed: i, summary: { oom_kills: x, same: 1 } })), failed: [{ seed: 9, error: 'interrupted' }] },
    ];
    const rows = compareRows(variants, ['oom_kills']);
    expect(rows.map((r) => r.metric)).toEqual(['oom_kills', 'same']);
    expect(rows[0]!.cells[1]!.changePct).toBeCloseTo(-97.67, 2);
    expect(rows[0]!.cells[1]!.significant).toBe(true);
    expect(rows[1]!.cells[1]!.significant).toBe(false);
    const table = compareTable(variants, rows);
    expect(table).toMatch(/^oom_kills\s+10\.75\s+0\.25 \(-97\.67%\)\*$/m);
    expect(table).toContain('b seed 9: interrupted');
  });
});

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Two variants, two seeds each, a second or so per run. */
const SHORT = [
  'scenario:', '  name: cmp', '  duration: 1s', '  seeds: 2',
  'machine:', '  cpus: 1', '  memory: 128MiB',
  'workloads:', '  - { kind: churn, rate: 20000, target_fill: 0.9 }',
  'variants:', '  - name: a', '  - name: b', '    workloads: { churn0: { target_fill: 0.5 } }', '',
].join('\n');
/** The same, running for ten simulated days. */
const LONG = SHORT.replace('duration: 1s', 'duration: 10d');

describe('pagelab compare', () => {
  it('gives identical numbers with 1 and 3 worker threads and writes the table files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pagelab-compare-'));
    writeFileSync(
      join(dir, 's.yaml'),
      [
        'scenario:', '  name: cmp', '  duration: 1s', '  seeds: 3',
        'machine:', '  cpus: 1', '  memory: 128MiB',
        'workloads:', '  - { kind: churn, rate: 20000, target_fill: 0.9 }',
        'variants:', '  - name: fill90', '  - name: fill10', '    workloads: { churn0: { target_fill: 0.1 } }', '',
      ].join('\n'),
    );
    const run = (jobs: number, out?: string): string => {
      const r = spawnSync(process.execPath, [CLI, 'compare', 's.yaml', '--jobs', String(jobs), ...(out ? ['--out', out] : [])], { cwd: dir, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      return r.stdout;
    };
    const one = run(1);
    expect(run(3, 'out')).toBe(one);
    expect(one).toMatch(/^\s+fill90\s+fill10$/m);
    expect(one).toMatch(/^free_pages_end\s+[\d.]+\s+[\d.]+ \(\+[\d.]+%\)\*$/m); // a tenth of the fill leaves more free
    expect(readFileSync(join(dir, 'out', 'compare.txt'), 'utf8')).toBe(one);
    const json = JSON.parse(readFileSync(join(dir, 'out', 'compare.json'), 'utf8')) as { variants: { runs: unknown[] }[] };
    expect(json.variants.map((v) => v.runs.length)).toEqual([3, 3]);
    const cols = (v: string): string[] => ['mean', 'stddev', 'n', 'change_pct', 'p', 'significant', 'failed'].map((c) => `${v}_${c}`);
    expect(readFileSync(join(dir, 'out', 'compare.csv'), 'utf8').split('\n')[0]).toBe(['metric', ...cols('fill90'), ...cols('fill10')].join(','));
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['.pagelab-output', 'compare.csv', 'compare.json', 'compare.txt']);
  });

  it('refuses --jobs out of range and a bad --out before running anything', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pagelab-compare-'));
    writeFileSync(join(dir, 's.yaml'), LONG);
    const cli = (args: string[]): { status: number | null; stdout: string; stderr: string } => spawnSync(process.execPath, [CLI, 'compare', 's.yaml', ...args], { cwd: dir, encoding: 'utf8' });
    expect(cli(['--jobs', '0'])).toMatchObject({ status: 2, stdout: '', stderr: 'pagelab: --jobs: expected a whole number from 1 to 64, found 0\n' });
    expect(cli(['--jobs', '1000'])).toMatchObject({ status: 2, stdout: '', stderr: 'pagelab: --jobs: expected a whole number from 1 to 64, found 1000\n' });
    expect(cli(['--seeds', 'many'])).toMatchObject({ status: 2, stderr: 'pagelab: --seeds: expected a whole number from 1 to 1000, found "many"\n' });
    expect(cli(['--out', 'no/such/dir'])).toMatchObject({ status: 2, stdout: '', stderr: `pagelab: --out no/such/dir: the parent directory ${join(dir, 'no', 'such')} does not exist; create it first or choose another DIR\n` });
  });

  it('on SIGINT reports the runs that did not finish, writes no DIR and exits 130', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pagelab-compare-'));
    writeFileSync(join(dir, 's.yaml'), LONG);
    const { status, stdout, stderr } = await interruptCli([CLI, 'compare', 's.yaml', '--jobs', '2', '--out', 'out'], dir, 2500);
    expect(status).toBe(130);
    expect(stdout).toMatch(/runs that did not finish \(not in the means\):\n {2}a seed 1: interrupted\n {2}a seed 2: interrupted\n {2}b seed 1: interrupted\n {2}b seed 2: interrupted\n$/);
    expect(stderr).toBe('pagelab: interrupted: 4 of 4 runs did not finish (listed above); nothing written to out (its tables would lack them)\n');
    expect(readdirSync(dir)).toEqual(['s.yaml']);
  }, 90_000);
});

describe('pagelab compare with a run that fails', () => {
  it('reports the failed run, writes no DIR and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pagelab-compare-'));
    writeFileSync(join(dir, 's.yaml'), SHORT);
    // A worker that runs the real one but fails variant b's seed 2 (as a model error would).
    const worker = join(dir, 'failing_worker.mjs');
    writeFileSync(
      worker,
      `import runOne from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'cli', 'compare_worker.js')).href)};\n` +
        "export default function (task) { if (task.variant === 'b' && task.seed === 2) throw new Error('injected: the model broke'); return runOne(task); }\n",
    );
    const { compareCommand } = (await import(pathToFileURL(join(ROOT, 'dist', 'cli', 'commands', 'compare.js')).href)) as typeof import('../../src/cli/commands/compare.js');
    let out = '';
    let err = '';
    const outDir = join(dir, 'out');
    const status = await compareCommand(join(dir, 's.yaml'), { jobs: '2', out: outDir }, { write: (t: string) => (out += t) }, { write: (t: string) => (err += t) }, pathToFileURL(worker).href);
    expect(status).toBe(1);
    expect(out).toMatch(/^means over 2\/1 seeds;/m);
    expect(out).toMatch(/runs that did not finish \(not in the means\):\n {2}b seed 2: injected: the model broke\n$/);
    expect(err).toBe(`pagelab: failed: 1 of 4 runs did not finish (listed above); nothing written to ${outDir} (its tables would lack them)\n`);
    expect(readdirSync(dir).sort()).toEqual(['failing_worker.mjs', 's.yaml']);
  }, 30_000);
});
