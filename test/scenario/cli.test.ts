/** `pagelab run` and `pagelab schema` end to end, through the built CLI (run `npm run build` first). */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { interruptCli } from './helpers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

function pagelab(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SCENARIO = `scenario:
  name: cli
  description: a short churn on a small machine
  duration: 2s
  snapshots: [1s, end]
  trace: [mm_page_alloc_extfrag]
machine:
  cpus: 2
  zones:
    - { name: Normal, start_pfn: 0x100000, pages: 16384 }
workloads:
  - { kind: churn, rate: 20000, target_fill: 0.97 }
variants:
  - name: baseline
  - name: calm
    workloads: { churn0: { rate: 2000 } }
metrics: [churn0.alloc_success_rate]
`;

let dir: string;
beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  dir = mkdtempSync(join(tmpdir(), 'pagelab-run-'));
  writeFileSync(join(dir, 'cli.yaml'), SCENARIO);
  writeFileSync(join(dir, 'bad.yaml'), SCENARIO.replace('rate: 20000,', 'rate: 20000, burst: 3,'));
  writeFileSync(join(dir, 'long.yaml'), SCENARIO.replace('duration: 2s', 'duration: 10d').replace('snapshots: [1s, end]', 'snapshots: [end]'));
});

describe('pagelab run', () => {
  it('writes DIR atomically, with byte-identical summary.json for the same seed', () => {
    const a = pagelab(['run', 'cli.yaml', '--out', 'a'], dir);
    expect(a.stderr).toBe('');
    expect(a.status).toBe(0);
    expect(a.stdout).toMatch(/^cli \/ baseline, seed 1: 2s simulated, \d+ events, memmap [\d.]+ MiB, model ~[\d.]+ MiB \(estimate\)\n {2}metric +value\n {2}churn0\.alloc_success_rate +[\d.]+\n/);
    expect(a.stdout).toMatch(/^ {2}oom_kills +\d+$/m);
    expect(a.stdout).toMatch(/^memory \(measured\): peak RSS [\d.]+ MiB, JS heap [\d.]+ MiB, array buffers [\d.]+ MiB$/m);
    expect(a.stdout).toMatch(/\nwrote a: summary\.json, series\.csv, 8 \/proc snapshot files(, \d+ OOM reports?)?, trace\.txt, trace\.json, run-info\.json\n$/);
    const files = readdirSync(join(dir, 'a')).sort();
    expect(files).toEqual(expect.arrayContaining(['.pagelab-output', 'summary.json', 'series.csv', 'trace.txt', 'trace.json', 'run-info.json', 'proc-1s-buddyinfo', 'proc-end-zoneinfo']));
    // mkdir's mode (0777 less the umask), not mkdtemp's 0700
    mkdirSync(join(dir, 'probe'));
    expect(statSync(join(dir, 'a')).mode & 0o777).toBe(statSync(join(dir, 'probe')).mode & 0o777);
    expect(statSync(join(dir, 'a')).mode & 0o777).not.toBe(0o700);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    JSON.parse(readFileSync(join(dir, 'a', 'trace.json'), 'utf8'));

    const b = pagelab(['run', 'cli.yaml', '--seed', '1', '--variant', 'baseline', '--out', 'b'], dir);
    expect(b.status).toBe(0);
    expect(readFileSync(join(dir, 'b', 'summary.json'), 'utf8')).toBe(readFileSync(join(dir, 'a', 'summary.json'), 'utf8'));
    expect(readFileSync(join(dir, 'b', 'series.csv'), 'utf8')).toBe(readFileSync(join(dir, 'a', 'series.csv'), 'utf8'));
    // run-info.json is the one measured file: the same keys, its own numbers.
    const info = JSON.parse(readFileSync(join(dir, 'a', 'run-info.json'), 'utf8')) as Record<string, number | string>;
    expect(Object.keys(info)).toEqual(Object.keys(JSON.parse(readFileSync(join(dir, 'b', 'run-info.json'), 'utf8')) as object));
    const summaryA = JSON.parse(readFileSync(join(dir, 'a', 'summary.json'), 'utf8')) as { metrics: Record<string, number> };
    expect(info['model_bytes_estimate']).toBe(summaryA.metrics['model_bytes']);
    expect(info['peak_rss_bytes'] as number).toBeGreaterThan(info['peak_heap_used_bytes'] as number);
    expect(info['peak_array_buffers_bytes'] as number).toBeGreaterThanOrEqual(summaryA.metrics['memmap_bytes']!); // the memmap is typed arrays

    const c = pagelab(['run', 'cli.yaml', '--seed', '2', '--variant', 'calm', '--out', 'a'], dir);
    expect(c.status).toBe(0);
    const summary = JSON.parse(readFileSync(join(dir, 'a', 'summary.json'), 'utf8')) as { variant: string; seed: number };
    expect([summary.variant, summary.seed]).toEqual(['calm', 2]); // replaced whole
  });

  it('without --out prints the summary and writes nothing', () => {
    const r = pagelab(['run', 'cli.yaml', '--variant', 'calm'], dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^cli \/ calm, seed 1: /);
    expect(r.stdout).toMatch(/\(no --out: no files written\)\n$/);
  });

  it('refuses bad input with file, line and field, no stack trace and no DIR', () => {
    const bad = pagelab(['run', 'bad.yaml', '--out', 'never'], dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^pagelab: bad\.yaml:12: workloads\[0\]\.burst: expected one of the keys kind, name, rate, .*, found unknown key "burst"\n$/);
    const variant = pagelab(['run', 'cli.yaml', '--variant', 'wild', '--out', 'never'], dir);
    expect(variant.status).toBe(2);
    expect(variant.stderr).toBe('pagelab: --variant: expected one of the variants of cli.yaml (baseline, calm), found "wild"\n');
    const seed = pagelab(['run', 'cli.yaml', '--seed', '-1', '--out', 'never'], dir);
    expect(seed.status).toBe(2);
    expect(seed.stderr).toBe('pagelab: --seed: expected a whole number from 0 to 4294967295, found -1\n');
    const missing = pagelab(['run', 'nope.yaml', '--out', 'never'], dir);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe('pagelab: nope.yaml: cannot read the scenario: no such file\n');
    for (const r of [bad, variant, seed, missing]) expect(r.stderr).not.toContain('    at ');
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('never replaces what it did not write, and checks DIR before simulating', () => {
    writeFileSync(join(dir, 'notes.txt'), 'keep me\n');
    mkdirSync(join(dir, 'mine'));
    writeFileSync(join(dir, 'mine', 'data.csv'), '1,2\n');
    const refused = (out: string, cwd = dir): string => {
      const r = pagelab(['run', 'long.yaml', '--out', out], cwd); // 10 simulated days: a check after the run would not finish
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      return r.stderr;
    };
    expect(refused('.')).toBe('pagelab: --out .: this is the working directory or one of its parents, which pagelab would replace whole; choose another DIR\n');
    expect(refused('..')).toMatch(/^pagelab: --out \.\.: this is the working directory or one of its parents/);
    expect(refused('notes.txt')).toBe(`pagelab: --out notes.txt: ${join(dir, 'notes.txt')} exists and is not a directory; pagelab would replace it: choose another DIR or remove it\n`);
    expect(refused('mine')).toBe(
      `pagelab: --out mine: ${join(dir, 'mine')} exists and was not written by pagelab (no .pagelab-output in it); pagelab replaces DIR whole: choose another DIR or remove it\n`,
    );
    expect(refused('missing/deeper')).toBe(`pagelab: --out missing/deeper: the parent directory ${join(dir, 'missing')} does not exist; create it first or choose another DIR\n`);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('keep me\n');
    expect(readdirSync(join(dir, 'mine'))).toEqual(['data.csv']);
    expect(existsSync(join(dir, 'missing'))).toBe(false);
    // An empty directory is taken (nothing to lose), and from then on it is pagelab's to replace.
    mkdirSync(join(dir, 'empty'));
    expect(pagelab(['run', 'cli.yaml', '--out', 'empty'], dir).status).toBe(0);
    expect(readdirSync(join(dir, 'empty'))).toContain('.pagelab-output');
    expect(pagelab(['run', 'cli.yaml', '--variant', 'calm', '--out', 'empty'], dir).status).toBe(0);
    expect(readFileSync(join(dir, 'empty', 'summary.json'), 'utf8')).toMatch(/"variant": "calm"/);
  });

  it('warns, naming file and line, about a metric the run did not report', () => {
    writeFileSync(join(dir, 'typo.yaml'), SCENARIO.replace('metrics: [churn0.alloc_success_rate]', 'metrics: [churn0.alloc_success_rat]'));
    const r = pagelab(['run', 'typo.yaml'], dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ {2}churn0\.alloc_success_rat +n\/a$/m);
    expect(r.stderr).toBe(
      'pagelab: warning: typo.yaml:17: metrics[0]: this run did not report "churn0.alloc_success_rat" (misspelt, or a counter churn0 sets only when it happens); ' +
        'churn0 reported: churn0.alloc_success_rate, churn0.allocs, churn0.frees\n',
    );
    writeFileSync(join(dir, 'typo2.yaml'), SCENARIO.replace('metrics: [churn0.alloc_success_rate]', 'metrics: [pgmigrate_sucess]'));
    const bad = pagelab(['run', 'typo2.yaml'], dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^pagelab: typo2\.yaml:17: metrics\[0\]: expected a summary metric: one of .*, found "pgmigrate_sucess" \(did you mean "pgmigrate_success"\?\)\n$/);
  });

  it('an interrupted run leaves no DIR', async () => {
    const { status, stderr } = await interruptCli([CLI, 'run', 'long.yaml', '--out', 'interrupted'], dir, 1500);
    expect(status).toBe(130);
    expect(stderr).toMatch(/^pagelab: interrupted: run aborted at [\d.]+s of 864000\.000s simulated; nothing written\n$/);
    expect(existsSync(join(dir, 'interrupted'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('.interrupted'))).toEqual([]);
  }, 60_000);
});

describe('pagelab schema', () => {
  it('prints the JSON Schema, or writes it to a file', () => {
    const r = pagelab(['schema'], dir);
    expect(r.status).toBe(0);
    const schema = JSON.parse(r.stdout) as { title: string; properties: Record<string, unknown> };
    expect(schema.title).toBe('pagelab scenario');
    expect(Object.keys(schema.properties)).toContain('workloads');
    const w = pagelab(['schema', '--out', 'scenario.schema.json'], dir);
    expect(w.status).toBe(0);
    expect(w.stdout).toBe('');
    expect(readFileSync(join(dir, 'scenario.schema.json'), 'utf8')).toBe(r.stdout);
  });
});
