import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareRows, compareTable } from '../../src/scenario/compare.js';
import { mean, stddev, welchP } from '../../src/scenario/stats.js';

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
    expect(readFileSync(join(dir, 'out', 'compare.csv'), 'utf8').split('\n')[0]).toBe(
      'metric,fill90_mean,fill90_stddev,fill90_change_pct,fill90_p,fill10_mean,fill10_stddev,fill10_change_pct,fill10_p',
    );
  });
});
