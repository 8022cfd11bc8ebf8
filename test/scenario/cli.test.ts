/** `pagelab run` and `pagelab schema` end to end, through the built CLI (run `npm run build` first). */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

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
    expect(a.stdout).toMatch(/^cli \/ baseline, seed 1: 2s simulated, \d+ events, memmap [\d.]+ MiB\n {2}metric +value\n {2}churn0\.alloc_success_rate +[\d.]+\n/);
    expect(a.stdout).toMatch(/^ {2}oom_kills +\d+$/m);
    expect(a.stdout).toMatch(/\nwrote a: summary\.json, series\.csv, 8 \/proc snapshot files(, \d+ OOM reports?)?, trace\.txt, trace\.json\n$/);
    const files = readdirSync(join(dir, 'a')).sort();
    expect(files).toEqual(expect.arrayContaining(['summary.json', 'series.csv', 'trace.txt', 'trace.json', 'proc-1s-buddyinfo', 'proc-end-zoneinfo']));
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    JSON.parse(readFileSync(join(dir, 'a', 'trace.json'), 'utf8'));

    const b = pagelab(['run', 'cli.yaml', '--seed', '1', '--variant', 'baseline', '--out', 'b'], dir);
    expect(b.status).toBe(0);
    expect(readFileSync(join(dir, 'b', 'summary.json'), 'utf8')).toBe(readFileSync(join(dir, 'a', 'summary.json'), 'utf8'));
    expect(readFileSync(join(dir, 'b', 'series.csv'), 'utf8')).toBe(readFileSync(join(dir, 'a', 'series.csv'), 'utf8'));

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
    expect(seed.stderr).toBe('pagelab: --seed: expected a whole number from 0 to 4294967295, found "-1"\n');
    const missing = pagelab(['run', 'nope.yaml', '--out', 'never'], dir);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe('pagelab: nope.yaml: cannot read the scenario: no such file\n');
    for (const r of [bad, variant, seed, missing]) expect(r.stderr).not.toContain('    at ');
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('an interrupted run leaves no DIR', async () => {
    const child = spawn(process.execPath, [CLI, 'run', 'long.yaml', '--out', 'interrupted'], { cwd: dir });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    setTimeout(() => child.kill('SIGINT'), 1500);
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    expect(status).toBe(130);
    expect(stderr).toMatch(/^pagelab: interrupted: run aborted at [\d.]+s of 864000\.000s simulated; nothing written\n$/);
    expect(existsSync(join(dir, 'interrupted'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('.interrupted'))).toEqual([]);
  });
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
