/**
 * The fidelity report against the recorded real-kernel runs (test/fixtures/kernel): the harness
 * reader and its errors, the mirror (same machine, same boot state, same memscen operations),
 * the stated tolerances, `pagelab fidelity` and its outputs — and the headline numbers pagelab
 * matches today, so a change to a mechanism that loses them fails here.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPORT_BEGIN, REPORT_END, fidelityCommand } from '../../src/cli/commands/fidelity.js';
import { UsageError } from '../../src/cli/errors.js';
import { compareRuns, type Metric } from '../../src/fidelity/compare.js';
import { type HarnessRun, readHarnessRun } from '../../src/fidelity/harness_run.js';
import { memscenOptionsOf, mirrorScenario, mirrorScenarioYaml } from '../../src/fidelity/mirror.js';
import { type FidelityGroup, fidelityGroup, phaseMisses } from '../../src/fidelity/report.js';
import { ImportError } from '../../src/import/procfs_parse.js';
import { runScenario } from '../../src/scenario/runner.js';
import { loadScenario } from '../../src/scenario/load.js';
import { SpecError } from '../../src/machine/spec.js';
import type { RunResult } from '../../src/scenario/types.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'kernel');
const MAIN = process.env['PAGELAB_CLI'] ?? join(ROOT, 'dist', 'cli', 'main.js');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const read = (name: string): HarnessRun => readHarnessRun(fixture(name), name);
const sink = (): { text: string; write(s: string): boolean } => ({ text: '', write(s: string) { this.text += s; return true; } });

function importError(fn: () => unknown): ImportError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ImportError) return e;
    throw e;
  }
  throw new Error('no ImportError');
}

function headline(metrics: readonly Metric[], name: string): Metric {
  const m = metrics.find((x) => x.phase === null && x.name === name);
  if (!m) throw new Error(`no headline metric ${name}`);
  return m;
}

describe('reading a harness run', () => {
  it('reads scenario, parameters, phases and summary of every fixture', () => {
    const r = read('b-pinned.1.json');
    expect(r.scenario).toBe('pinned-shmem');
    expect(r.params.pin).toBe('iouring');
    expect(r.phases.map((p) => p.name)).toEqual([
      'boot', 'filled', 'pinned', 'fragmented', 'hp_direct', 'compacted', 'hp_after_compact',
      'unpinned', 'unpinned_hp_direct', 'unpinned_compacted', 'unpinned_hp_after_compact', 'end',
    ]);
    expect(r.phases[4]!.hpRequested).toBe(479);
    expect(r.phases[4]!.pageblocks['DMA32']!['Movable']).toBeGreaterThan(400);
    expect(r.summary['hp_direct']).toBe(63);
    expect(read('c-oom.2.json').phases.map((p) => p.name)).toContain('kalloc_order3');
  });

  it('names the file and field of what it cannot use', () => {
    const doc = JSON.parse(fixture('a-random.1.json')) as Record<string, unknown>;
    const bad = (patch: (d: Record<string, unknown>) => void): ImportError => {
      const d = structuredClone(doc);
      patch(d);
      return importError(() => readHarnessRun(JSON.stringify(d), 'run.json'));
    };
    let e = bad((d) => { d['scenario'] = 'thrash-everything'; });
    expect(e.message).toMatch(/^run\.json: scenario: expected one of the harness scenarios .*found "thrash-everything"/);
    e = bad((d) => { (d['params'] as Record<string, unknown>)['fill-pct'] = 'lots'; });
    expect(e.field).toBe('params.fill-pct');
    expect(e.found).toBe('"lots"');
    e = bad((d) => { ((d['phases'] as Record<string, unknown>[])[2]!['buddyinfo'] as Record<string, Record<string, number[]>>)['0']!['DMA32'] = [1, 2]; });
    expect(e.field).toBe('phases[2].buddyinfo.0.DMA32');
  });

  it('refuses parameters the mirror does not model, naming them', () => {
    const run = read('b-pinned.1.json');
    const mlock = { ...run, params: { ...run.params, pin: 'mlock' } };
    expect(importError(() => memscenOptionsOf(mlock)).field).toBe('params.pin');
    const stripe = { ...run, params: { ...run.params, layout: 'stripe' } };
    expect(importError(() => memscenOptionsOf(stripe)).message).toMatch(/params\.layout: expected random/);
    // Known to the harness, not modelled: named with the value found and why.
    const refused = (params: Partial<HarnessRun['params']>): ImportError => importError(() => memscenOptionsOf({ ...run, params: { ...run.params, ...params } }));
    expect(refused({ cpu: -1 }).message).toMatch(/^b-pinned\.1\.json: params\.cpu: expected a CPU of the guest, 0\.\.1 .*not modelled.*found -1$/);
    expect(refused({ cpu: 2 }).field).toBe('params.cpu');
    expect(refused({ trace: 'compaction/mm_compaction_end' }).message).toMatch(/params\.trace: expected "" \(tracing is not modelled.*found "compaction\/mm_compaction_end"/);
    expect(refused({ 'cache-pct': 30, 'cache-file': '/init' }).field).toBe('params.cache-file');
    expect(refused({ 'unit-kb': 6 }).field).toBe('params.unit-kb');
    // Known, and without effect on memory: accepted.
    expect(() => memscenOptionsOf({ ...run, params: { ...run.params, cpu: 1, 'trace-lines': 10, 'layout-map': 0, settle: 0, 'cache-file': '/init' } })).not.toThrow();
  });

  it('refuses a parameter memscen does not know, naming file and key', () => {
    const doc = JSON.parse(fixture('a-random.1.json')) as { params: Record<string, unknown> };
    doc.params['huge-pct'] = 20;
    const e = importError(() => readHarnessRun(JSON.stringify(doc), 'run.json'));
    expect(e.field).toBe('params.huge-pct');
    expect(e.message).toMatch(/^run\.json: params\.huge-pct: expected one of memscen's parameters \(seed, fill-pct, .*layout-map\), found an unknown key with value 20$/);
    // Every key memscen writes is required: a file without one is from another harness.
    delete doc.params['huge-pct'];
    delete doc.params['layout-map'];
    expect(importError(() => readHarnessRun(JSON.stringify(doc), 'run.json')).field).toBe('params.layout-map');
  });
});

describe('the mirror of a run', () => {
  let run: HarnessRun;
  let result: RunResult;
  let metrics: Metric[];
  beforeAll(() => {
    run = read('b-pinned.1.json');
    result = runScenario(mirrorScenario(run), 'mirror', 1);
    metrics = compareRuns([run], [result]);
  });

  it("boots the run's own machine in its recorded boot state: the boot phase matches exactly", () => {
    const scenario = mirrorScenario(run);
    const zones = scenario.machine.nodes[0]!.zones.map((z) => [z.name, z.startPfn, z.spanned, z.present, z.managed]);
    expect(zones).toEqual([['DMA', 1, 4095, 3998, 3840], ['DMA32', 0x1000, 258013, 258013, 241526]]);
    const boot = metrics.filter((m) => m.phase === 'boot');
    expect(boot.length).toBeGreaterThan(20);
    for (const m of boot) expect(m.diff, `${m.zone} ${m.name}`).toBe(0);
  });

  it('runs the same phases and records each one as the harness does', () => {
    expect(result.snapshots.filter((s) => s.label.startsWith('memscen.')).map((s) => s.label.slice(8))).toEqual(run.phases.map((p) => p.name));
    // A hugepage phase's snapshot is taken with the hugepages held (before echo 0).
    const hp = metrics.filter((m) => m.phase === 'hp_direct' && m.kind === 'vmstat_delta' && m.name === 'htlb_buddy_alloc_success')[0]!;
    expect(hp.pagelab.mean).toBe(result.summary['memscen.hp_direct']);
  });

  it('applies the stated tolerances: hugepages ±5 pp of the request, the gap ±15%, counts spread-or-10%', () => {
    const shifted = (key: string, by: number): HarnessRun => ({ ...run, summary: { ...run.summary, [key]: run.summary[key]! + by } });
    const hp = (r: HarnessRun): Metric => headline(compareRuns([r], [result]), 'hp_direct');
    const base = result.summary['memscen.hp_direct']! - run.summary['hp_direct']!;
    // 5% of 479 requested is 23.95 hugepages.
    expect(hp(shifted('hp_direct', base + 23)).within_tolerance).toBe(true);
    expect(hp(shifted('hp_direct', base + 24)).within_tolerance).toBe(false);
    const gap = headline(metrics, 'unpinned - pinned hp_after_compact');
    expect(gap.allowed).toBeCloseTo(0.15 * gap.kernel.mean, 9);
    const fill = headline(metrics, 'fill_mb');
    expect(fill.allowed).toBeCloseTo(0.1 * fill.kernel.mean, 9);
    // With several kernel runs, the spread widens the tolerance when it exceeds 10%.
    const two = [run, shifted('fill_mb', 200)];
    const wide = headline(compareRuns(two, [result, result]), 'fill_mb');
    expect(wide.allowed).toBe(100);
    expect(wide.tolerance).toMatch(/kernel spread/);
  });
});

describe('pagelab fidelity over the recorded fixtures', () => {
  let groups: FidelityGroup[];
  let doc: string;
  let json: { groups: { scenario: string; metrics: Metric[]; within: number; total: number }[] };
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pagelab-fidelity-'));
    doc = join(dir, 'fidelity.md');
    writeFileSync(doc, `# Fidelity\n\nhand-written text\n\n${REPORT_BEGIN}\nold table\n${REPORT_END}\n\n## Simplifications\n`);
    const out = sink();
    groups = await fidelityCommand({ json: true, doc }, out, sink());
    json = JSON.parse(out.text) as typeof json;
  }, 600_000); // 18 mirrors, about 45 s of CPU; more on a busy machine

  it('mirrors every fixture, grouped by scenario and parameters', () => {
    expect(groups.map((g) => `${g.scenario}:${g.params.pattern}:${g.files.length}`)).toEqual([
      'fragment-then-hugepages:alternate:4', 'fragment-then-hugepages:random:3', 'pinned-shmem:random:3',
      'unpinned-shmem:random:3', 'oom-fragmented:random:3',
      // Parameters beyond the harness defaults: page cache freed by physical parity; 2 MiB shmem objects, half pinned.
      'fragment-then-hugepages:pfn-even:1', 'pinned-shmem:random:1',
    ]);
    expect(json.groups).toHaveLength(7);
    for (const g of json.groups) {
      expect(g.total).toBe(g.metrics.length);
      expect(g.within).toBe(g.metrics.filter((m) => m.within_tolerance).length);
      for (const m of g.metrics) expect(typeof m.within_tolerance).toBe('boolean');
    }
  });

  it('writes the table between the markers and keeps the rest of the document', () => {
    const text = readFileSync(doc, 'utf8');
    expect(text).toMatch(/^# Fidelity\n\nhand-written text\n/);
    expect(text).toMatch(/## Simplifications\n$/);
    expect(text).not.toContain('old table');
    expect(text).toContain('| pinned-shmem (random, pin=iouring; 3 runs) | hp_direct |');
    expect(text).toContain('| pinned-shmem (random, pin=iouring 50%, shmem-unit 2048 KiB, seed 3; 1 run) | hp_direct |');
    // The misses of every phase are listed, one row per phase with any, not only counted.
    const misses = text.slice(text.indexOf('What misses, phase by phase'), text.indexOf(REPORT_END));
    const rows = misses.split('\n').filter((l) => /^\| [^|]+ \| [a-z_0-9]+ \| .+ \|$/.test(l) && !l.startsWith('| scenario |'));
    const missing = groups.flatMap((g) => [...new Set(g.metrics.filter((m) => m.phase !== null && !m.within_tolerance).map((m) => `${g.scenario}|${m.phase}`))]);
    expect(rows.length).toBe(missing.length);
    expect(missing.length).toBeGreaterThan(0);
  });

  // The numbers pagelab matches within tolerance today (docs/fidelity.md lists the misses and why).
  it.each([
    ['fragment-then-hugepages', 'random', 'hp_direct'],
    ['fragment-then-hugepages', 'random', 'hp_after_compact'],
    ['pinned-shmem', 'random', 'hp_direct'],
    ['pinned-shmem', 'random', 'hp_after_compact'],
    ['pinned-shmem', 'random', 'unpinned_hp_after_compact'],
    ['pinned-shmem', 'random', 'unpinned - pinned hp_after_compact'],
    ['unpinned-shmem', 'random', 'hp_direct'],
    ['unpinned-shmem', 'random', 'hp_after_compact'],
    ['oom-fragmented', 'random', 'order4_failed_enomem'],
    ['oom-fragmented', 'random', 'order3_oom_kills'],
    ['oom-fragmented', 'random', 'order3_free_kb_at_oom_kill'],
  ])('%s (%s): %s within tolerance', (scenario, pattern, name) => {
    const g = groups.find((x) => x.scenario === scenario && x.params.pattern === pattern)!;
    const m = headline(g.metrics, name);
    expect(m.within_tolerance, `kernel ${m.kernel.mean}, pagelab ${m.pagelab.mean}, ${m.tolerance}`).toBe(true);
  });

  it('the premature OOM of the seed: order-3 kernel allocations OOM-kill with over 200 MB free, in both', () => {
    const g = groups.find((x) => x.scenario === 'oom-fragmented')!;
    const free = headline(g.metrics, 'order3_free_kb_at_oom_kill');
    expect(free.kernel.min).toBeGreaterThan(200_000);
    expect(free.pagelab.min).toBeGreaterThan(200_000);
  });
});

describe('pagelab fidelity on the command line', () => {
  it('--against one run prints kernel vs pagelab for every phase', () => {
    const r = spawnSync(process.execPath, [MAIN, 'fidelity', '--against', join(FIXTURES, 'a-random.2.json')], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^== fragment-then-hugepages: 1 kernel run/);
    for (const phase of ['boot', 'filled', 'fragmented', 'hp_direct', 'compacted', 'hp_after_compact', 'end']) {
      expect(r.stdout).toContain(`-- phase ${phase}:`);
    }
    expect(r.stdout).toMatch(/\nhp_direct +164 +\d+/);
  });

  it('a bad file is a clear error naming file and field, no stack trace, exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pagelab-fidelity-bad-'));
    const file = join(dir, 'run.json');
    const d = JSON.parse(fixture('a-random.1.json')) as Record<string, unknown>;
    (d['params'] as Record<string, unknown>)['pin'] = 'mlock';
    writeFileSync(file, JSON.stringify(d));
    const r = spawnSync(process.execPath, [MAIN, 'fidelity', '--against', file], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${file}: params.pin: expected iouring or none`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    copyFileSync(join(FIXTURES, 'a-random.1.json'), join(dir, 'ok.json'));
    const missing = spawnSync(process.execPath, [MAIN, 'fidelity', '--against', join(dir, 'nope.json')], { encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/nope\.json: cannot read the harness run: no such file/);
  });

  it('outside a checkout, a missing default is a clear error naming the option to use instead', () => {
    // An installed package: package.json and dist/, without the checkout's test/fixtures and docs.
    const pkg = mkdtempSync(join(tmpdir(), 'pagelab-installed-'));
    copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
    cpSync(dirname(dirname(MAIN)), join(pkg, 'dist'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(pkg, 'dist', 'cli', 'main.js'), 'fidelity', ...args], { encoding: 'utf8' });
    let r = cli();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`the recorded runs: the default ${join(pkg, 'test', 'fixtures', 'kernel')} does not exist`);
    expect(r.stderr).toMatch(/give --fixtures DIR .* or --against RUN\.json/);
    r = cli('--fixtures', FIXTURES);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/the fidelity document: the default .*docs\/fidelity\.md does not exist .*give --doc FILE .* or --no-doc/);
    r = cli('--fixtures', FIXTURES, '--no-doc', '--record');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/the validation harness for --record: the default .*shared\/validation does not exist .*give --harness DIR/);
    for (const out of [r.stdout, r.stderr]) expect(out).not.toMatch(/mirroring|\n\s+at /);
    expect(cli('--fixtures', FIXTURES, '--no-doc', '--harness', pkg).stderr).toMatch(/--harness: only with --record/);
  });

  it('rejects --against with --record', async () => {
    await expect(fidelityCommand({ against: 'x.json', record: true }, sink(), sink())).rejects.toBeInstanceOf(UsageError);
  });
});

describe('the per-phase list of misses', () => {
  const m = (kind: Metric['kind'], zone: string | null, name: string, kernel: number, pagelab: number, within: boolean): Metric => ({
    phase: 'compacted', kind, zone, name, diff: pagelab - kernel, allowed: 1, tolerance: '±1', within_tolerance: within,
    kernel: { mean: kernel, min: kernel, max: kernel, n: 1 }, pagelab: { mean: pagelab, min: pagelab, max: pagelab, n: 1 },
  });
  it('names the orders as ranges per zone, then pageblock types and counters as kernel/pagelab', () => {
    const ms = [
      ...[0, 1, 2, 3, 4, 5, 6, 7].map((o) => m('buddyinfo', 'DMA32', `order ${o}`, 10, o === 3 || o === 4 ? 10 : 30, o === 3 || o === 4)),
      m('buddyinfo', 'DMA', 'order 9', 1, 0, false),
      m('pageblocks', 'DMA32', 'Unmovable', 40, 33, false),
      m('vmstat_delta', null, 'pgmigrate_success', 13706.7, 19.3, false),
      m('vmstat_delta', null, 'compact_stall', 5, 5, true),
    ];
    expect(phaseMisses(ms)).toBe('buddyinfo DMA32 order 0-2,5-7, buddyinfo DMA order 9, DMA32 Unmovable blocks 40/33, pgmigrate_success 13707/19');
    expect(phaseMisses(ms.filter((x) => x.within_tolerance))).toBe('');
  });
});

describe('fidelityGroup', () => {
  it('is deterministic', async () => {
    const runs = [read('c-oom.1.json')];
    const a = await fidelityGroup(runs);
    const b = await fidelityGroup(runs);
    expect(JSON.stringify(b.metrics)).toBe(JSON.stringify(a.metrics));
  });
});

describe('a scenario that starts from a recorded state (start_from:)', () => {
  const RUN = join(FIXTURES, 'a-random.3.json');
  const reader = (base: string) => (p: string): string => readFileSync(join(base, p), 'utf8');
  const yaml = (startFrom: string, extra = ''): string =>
    `scenario: { name: s, duration: 1s }\n${startFrom}\n${extra}workloads: []\n`;

  it("takes the machine and the free lists from the run's phase", () => {
    const text = 'scenario: { name: s, duration: 1s, snapshots: [0s] }\nstart_from: { harness: a-random.3.json, phase: fragmented }\nworkloads: []\n';
    const s = loadScenario(text, 'x.yaml', reader(FIXTURES));
    expect(s.machine.nodes[0]!.zones.map((z) => [z.name, z.startPfn, z.managed])).toEqual([['DMA', 1, 3840], ['DMA32', 0x1000, 241526]]);
    expect(s.machine.sysctl.minFreeKbytes).toBe(3823);
    const r = runScenario(s, s.variants[0]!.name, 1);
    const snap = r.snapshots.find((x) => x.label === '0s')!;
    const kernel = read('a-random.3.json').phases.find((p) => p.name === 'fragmented')!;
    for (const zone of ['DMA', 'DMA32']) {
      const row = new RegExp(`zone +${zone} +(.*)`).exec(snap.buddyinfo)![1]!.trim().split(/ +/).map(Number);
      expect(row, zone).toEqual(kernel.buddyinfo[zone]);
    }
    expect(kernel.buddyinfo['DMA32']![0]).toBeGreaterThan(40_000); // the fragmented state, not boot's
  });

  it('compact_memory on a recorded fragmented state moves its pages and makes hugepages', () => {
    // a-random.1.json's fragmented phase: 64 free pageblocks among 100,000 anon pages with every
    // other unit freed. Its used pages in Movable pageblocks are user memory, so compaction moves
    // them (the kernel got 252 hugepages after compact_memory from a state like this one).
    const text = 'scenario: { name: s, duration: 1s }\nstart_from: { harness: a-random.1.json, phase: fragmented }\n'
      + 'workloads:\n  - { kind: compact-memory, name: cm, at: [10ms] }\n';
    const s = loadScenario(text, 'x.yaml', reader(FIXTURES));
    const m = runScenario(s, s.variants[0]!.name, 1).summary;
    expect(m['cm.hugepages_before']).toBe(64);
    expect(m['cm.pgmigrate_success']).toBeGreaterThan(20_000);
    expect(m['cm.hugepages_after']).toBeGreaterThan(200);
  });

  it('the mirror written as a file runs to the same numbers as the mirror in memory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pagelab-startfrom-'));
    copyFileSync(RUN, join(dir, 'run.json'));
    const run = readHarnessRun(readFileSync(RUN, 'utf8'), 'run.json');
    const fromFile = loadScenario(mirrorScenarioYaml(run, 'run.json'), join(dir, 'm.yaml'), reader(dir));
    const a = runScenario(fromFile, 'mirror', 1).summary;
    const b = runScenario(mirrorScenario(run), 'mirror', 1).summary;
    expect(a).toEqual(b);
    expect(a['memscen.hp_after_compact']).toBeGreaterThan(200);
  });

  it('says what is wrong with start_from, at its line', () => {
    const err = (text: string, readFile?: (p: string) => string): SpecError => {
      try {
        loadScenario(text, 's.yaml', readFile);
      } catch (e) {
        if (e instanceof SpecError) return e;
        throw e;
      }
      throw new Error('no SpecError');
    };
    const both = err(yaml('start_from: { harness: a-random.3.json }', 'machine: { memory: 1GiB }\n'), reader(FIXTURES));
    expect(both.message).toMatch(/^s\.yaml:2: start_from: expected either machine: or start_from:/);
    expect(err(yaml('')).message).toMatch(/expected a machine: section \(or start_from: a recorded state\)/);
    expect(err(yaml('start_from: { harness: a.json, state: b.json }'), reader(FIXTURES)).message).toMatch(/start_from: expected exactly one of harness: and state:/);
    expect(err(yaml('start_from: { harness: nope.json }'), reader(FIXTURES)).message).toMatch(/^s\.yaml:2: start_from\.harness: expected a readable file, found "nope\.json": .*ENOENT/);
    expect(err(yaml('start_from: { harness: a-random.3.json, phase: lunch }'), reader(FIXTURES)).message).toMatch(/start_from\.harness: expected a valid harness run, found .*lunch/);
    expect(err(yaml('start_from: { harness: a-random.3.json }')).message).toMatch(/start_from\.harness: expected a scenario loaded where files can be read/);
    expect(err(yaml('start_from: { harnes: a.json }'), reader(FIXTURES)).message).toMatch(/start_from\.harnes/);
  });
});
