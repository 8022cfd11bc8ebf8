import { beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/load.js';
import type { Scenario } from '../../src/scenario/load.js';
import { RunAborted, SERIES_VMSTAT_NAMES, runScenario, runScenarioAsync, type RunView } from '../../src/scenario/runner.js';
import { OPTIONAL_RUN_METRICS, RUN_METRICS } from '../../src/scenario/metrics.js';
import { SMALL_MACHINE, useTestWorkloadKinds } from './helpers.js';

useTestWorkloadKinds();

const SPANS = `scenario:
  name: spans
  duration: 2s
  sample_every: 100ms
  snapshots: [500ms, end]
  trace: ["mm_compaction_*"]
${SMALL_MACHINE}workloads:
  - { kind: churn, rate: 20000, target_fill: 0.9 }
  - { kind: test-compact, at: 1s }
  - { kind: test-hog, at: 1500ms }
variants:
  - name: baseline
  - name: slow
    workloads: { churn0: { rate: 5000 } }
`;

let spans: Scenario;
beforeAll(() => {
  spans = loadScenario(SPANS, 'spans.yaml');
});

describe('runScenario', () => {
  it('is deterministic: the same seed gives the same result, another seed a different one', () => {
    const a = runScenario(spans, 'baseline', 7);
    const b = runScenario(spans, 'baseline', 7);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    const c = runScenario(spans, 'baseline', 8);
    expect(JSON.stringify(c.summary)).not.toBe(JSON.stringify(a.summary));
    expect(JSON.stringify(c.series)).not.toBe(JSON.stringify(a.series));
  });

  it('the async runner gives the same result', async () => {
    let pauses = 0;
    const r = await runScenarioAsync(spans, 'baseline', 3, {
      pause: async () => {
        pauses++;
      },
    });
    expect(pauses).toBeGreaterThan(10);
    expect(JSON.stringify(r)).toBe(JSON.stringify(runScenario(spans, 'baseline', 3)));
  });

  it('samples every sample_every, with the documented columns', () => {
    const r = runScenario(spans, 'baseline', 1);
    expect(r.scenario).toBe('spans');
    expect(r.variant).toBe('baseline');
    expect(r.seed).toBe(1);
    expect(r.durationNs).toBe(2e9);
    expect(r.series.map((s) => s.timeNs)).toEqual(Array.from({ length: 21 }, (_, i) => i * 1e8));
    for (const s of r.series) {
      expect(s.freeByOrder).toHaveLength(11);
      expect(s.freeByType).toHaveLength(5);
      expect(s.pageblocksByType.reduce((x, y) => x + y, 0)).toBe(16384 / 512);
      // Free pages counted from the lists agree with NR_FREE_PAGES, and with nr_free per order.
      const free = s.freeByType.reduce((x, y) => x + y, 0);
      expect(free).toBe(s.vmstat['nr_free_pages']);
      expect(s.freeByOrder.reduce((x, n, o) => x + n * 2 ** o, 0)).toBe(free);
      expect(Object.keys(s.vmstat)).toEqual(SERIES_VMSTAT_NAMES);
    }
  });

  it('takes /proc snapshots at their times', () => {
    const r = runScenario(spans, 'baseline', 1);
    expect(r.snapshots.map((s) => [s.label, s.timeNs])).toEqual([
      ['500ms', 5e8],
      ['end', 2e9],
    ]);
    // Each snapshot's buddyinfo is the state of the sample taken at the same instant.
    for (const snap of r.snapshots) {
      const sample = r.series.find((s) => s.timeNs === snap.timeNs)!;
      const counts = snap.buddyinfo
        .trim()
        .split('\n')
        .map((line) => line.split(/\s+/).slice(4).map(Number));
      const byOrder = counts.reduce((acc, row) => acc.map((v, o) => v + row[o]!), new Array<number>(11).fill(0));
      expect(byOrder).toEqual(sample.freeByOrder);
      expect(snap.vmstat).toMatch(new RegExp(`^nr_free_pages ${sample.vmstat['nr_free_pages']}$`, 'm'));
      expect(snap.pagetypeinfo).toMatch(/^Page block order: 9$/m);
      expect(snap.zoneinfo).toMatch(/^Node 0, zone   Normal$/m);
    }
    expect(r.snapshots[0]!.buddyinfo).not.toBe(r.snapshots[1]!.buddyinfo);
  });

  it('records only the selected trace events', () => {
    const r = runScenario(spans, 'baseline', 1);
    const lines = r.ftrace!.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/: mm_compaction_[a-z_]+: /);
    expect(r.ftrace).toMatch(/^# tracer: nop\n#\n# entries-in-buffer\/entries-written: (\d+)\/\1   #P:2\n/);

    const extfrag = loadScenario(SPANS.replace('["mm_compaction_*"]', '[kmem:mm_page_alloc_extfrag]'), 'x.yaml');
    const e = runScenario(extfrag, 'baseline', 1).ftrace!.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(e.length).toBeGreaterThan(0);
    for (const l of e) expect(l).toMatch(/: mm_page_alloc_extfrag: page=/);

    const none = loadScenario(SPANS.replace('  trace: ["mm_compaction_*"]\n', ''), 'x.yaml');
    const n = runScenario(none, 'baseline', 1);
    expect(n.ftrace).toBeNull();
    // Tracing does not change what happens.
    expect(n.summary).toEqual(r.summary);
  });

  it('keeps the most recent lines when the trace ring buffer overflows, as ftrace does', () => {
    const all = loadScenario(SPANS.replace('["mm_compaction_*"]', '[mm_page_alloc, mm_page_free]'), 'x.yaml');
    const full = runScenario(all, 'baseline', 1).ftrace!;
    const small = runScenario(all, 'baseline', 1, { traceBufferEntries: 1000 }).ftrace!;
    const lines = (t: string): string[] => t.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    const written = lines(full).length;
    expect(written).toBeGreaterThan(1000);
    expect(small).toContain(`# entries-in-buffer/entries-written: 1000/${written}   #P:2\n`);
    expect(lines(small)).toEqual(lines(full).slice(-1000));
  });

  it('turns compaction runs, reclaim and OOM kills into spans, in time order', () => {
    let k: RunView['k'] | undefined;
    const r = runScenario(spans, 'baseline', 1, { observe: (v) => (k = v.k) });
    const compaction = r.spans.filter((s) => s.track === 'proactive and manual compaction');
    expect(compaction).toHaveLength(1);
    expect(compaction[0]).toMatchObject({ ph: 'X', startNs: 1e9, args: { zone_start_pfn: '0x100000', zone_end_pfn: '0x104000', mode: 'sync' } });
    // Each compaction slice lasts its run's cost-model duration: together, the compaction stall charged.
    const allCompaction = r.spans.filter((s) => s.name.includes('compaction'));
    expect(compaction[0]!.durNs).toBeGreaterThan(0);
    expect(allCompaction.reduce((n, s) => n + s.durNs, 0)).toBe(k!.compaction.stall.compactionNs);
    const oom = r.spans.filter((s) => s.ph === 'i');
    expect(oom).toEqual([
      { name: 'OOM kill: hog', ph: 'i', startNs: 1.5e9, durNs: 0, track: 'OOM killer', args: { victim: 'hog', victim_pid: 4242, free_pages: expect.any(Number), premature: 0 } },
    ]);
    expect(r.spans.some((s) => s.track === 'kswapd' || s.track === 'direct reclaim')).toBe(true);
    for (let i = 1; i < r.spans.length; i++) expect(r.spans[i]!.startNs).toBeGreaterThanOrEqual(r.spans[i - 1]!.startNs);
    expect(r.oomReports).toHaveLength(1);
    expect(r.oomReports[0]).toMatch(/^\[    1\.500000\] pagelab invoked oom-killer: gfp_mask=0x100cca\(GFP_HIGHUSER_MOVABLE\), order=0, oom_score_adj=0\n/);
    expect(r.oomReports[0]).toMatch(/\[    1\.500000\] Out of memory: Killed process 4242 \(hog\) .*\n$/);
  });

  it('emits one reclaim slice per kswapd run and per direct reclaim call, with the work each did', () => {
    const s = loadScenario(
      `scenario:\n  name: rec\n  duration: 1s\n${SMALL_MACHINE}workloads:\n` +
        '  - { kind: file, files: 2, size: 48MiB, rate: 2000, pattern: random }\n  - { kind: churn, rate: 20000, target_fill: 0.97 }\n',
      'rec.yaml',
    );
    const r = runScenario(s, 'baseline', 1);
    const m = r.summary;
    const kswapd = r.spans.filter((x) => x.track === 'kswapd');
    const direct = r.spans.filter((x) => x.track === 'direct reclaim');
    // balance_pgdat() counts pageoutrun once per run; try_to_free_pages() counts allocstall once per call.
    expect(m['pageoutrun']).toBeGreaterThan(0);
    expect(m['allocstall']).toBeGreaterThan(0);
    expect(kswapd).toHaveLength(m['pageoutrun']!);
    expect(direct).toHaveLength(m['allocstall']!);
    const sum = (xs: typeof kswapd, key: string): number => xs.reduce((n, x) => n + Number(x.args?.[key] ?? 0), 0);
    expect(sum(kswapd, 'pgscan_kswapd')).toBe(m['pgscan_kswapd']);
    expect(sum(kswapd, 'pgsteal_kswapd')).toBe(m['pgsteal_kswapd']);
    expect(sum(direct, 'pgscan_direct')).toBe(m['pgscan_direct']);
    expect(sum(direct, 'nr_reclaimed')).toBeGreaterThanOrEqual(m['pgsteal_direct']!); // nr_reclaimed adds slab pages freed
    expect(kswapd.every((x) => x.name === 'kswapd0' && x.ph === 'X')).toBe(true);
    expect(direct[0]!.args).toMatchObject({ order: expect.any(Number), gfp_flags: expect.stringMatching(/^GFP_/) });
  });

  it('takes reclaim slices\' start and end from the model\'s tracepoint times', () => {
    const s = loadScenario(`scenario:\n  name: slow\n  duration: 1s\n${SMALL_MACHINE}workloads:\n  - { kind: test-slow-reclaim, at: 200ms, until: 350ms }\n`, 'slow.yaml');
    const r = runScenario(s, 'baseline', 1);
    expect(r.spans.filter((x) => x.track === 'direct reclaim' || x.track === 'kswapd')).toEqual([
      { name: 'direct reclaim', ph: 'X', startNs: 2e8, durNs: 1.5e8, track: 'direct reclaim', args: { task: 'pagelab-1', order: 2, gfp_flags: 'GFP_KERNEL', nr_reclaimed: 7, pgscan_direct: 0, pgsteal_direct: 0 } },
      { name: 'pagelab', ph: 'X', startNs: 2e8, durNs: 1.5e8, track: 'kswapd', args: { order: 2, pgscan_kswapd: 0, pgsteal_kswapd: 0 } },
    ]);
  });

  it('summarises with sorted, numeric, deterministic figures', () => {
    const r = runScenario(spans, 'baseline', 1);
    const keys = Object.keys(r.summary);
    expect(keys).toEqual([...keys].sort());
    for (const v of Object.values(r.summary)) expect(Number.isFinite(v)).toBe(true);
    expect(r.summary).toMatchObject({
      oom_kills: 1,
      oom_kill: 1,
      oom_kills_premature: 0,
      oom_invocations: 1,
      first_premature_oom_s: -1,
      sim_seconds: 2,
      memmap_bytes: expect.any(Number),
      'test-compact1.runs': 1,
      'test-hog2.killed': 1,
      'churn0.alloc_success_rate': expect.any(Number),
    });
    expect(r.summary['memmap_bytes']).toBeGreaterThan(16384 * 29);
    // The estimate covers the memmap (exactly: typed arrays) and the rest of the model.
    expect(r.summary['model_bytes']).toBeGreaterThan(r.summary['memmap_bytes']!);
    // The runner's own figures are exactly RUN_METRICS (the loader checks `metrics:` against it),
    // and the THP success rate exactly when there were THP faults.
    expect(keys.filter((k) => !k.includes('.') && !OPTIONAL_RUN_METRICS.includes(k))).toEqual(RUN_METRICS);
    const thp = r.summary['thp_fault_alloc']! + r.summary['thp_fault_fallback']!;
    expect(r.summary['thp_fault_success_rate']).toBe(thp > 0 ? Math.round((r.summary['thp_fault_alloc']! / thp) * 1e6) / 1e6 : undefined);
    // Compaction's modelled time is the length of its slices; compact_memory ran as the test's
    // task, so part of it is a stall of a task other than kcompactd.
    const compactionTracks = ['direct compaction', 'kcompactd', 'proactive and manual compaction'];
    const sliceNs = r.spans.filter((sp) => compactionTracks.includes(sp.track ?? '')).reduce((t, sp) => t + sp.durNs, 0);
    expect(r.summary['compaction_ms']).toBeGreaterThan(0);
    expect(r.summary['compaction_ms']).toBeCloseTo(sliceNs / 1e6, 5);
    expect(r.summary['compaction_stall_ms']).toBeGreaterThan(0);
    expect(r.summary['compaction_stall_ms']).toBeLessThanOrEqual(r.summary['compaction_ms']!);

    expect(r.summary['free_pages_end']).toBe(r.series[r.series.length - 1]!.vmstat['nr_free_pages']);
    expect(r.summary['churn0.allocs']).toBeGreaterThan(0);
  });

  it('runs a variant with its overrides', () => {
    const base = runScenario(spans, 'baseline', 1);
    const slow = runScenario(spans, 'slow', 1);
    expect(slow.variant).toBe('slow');
    const ops = (r: typeof base): number => (r.summary['churn0.allocs'] ?? 0) + (r.summary['churn0.frees'] ?? 0) + (r.summary['churn0.alloc_fail'] ?? 0);
    expect(ops(base)).toBeGreaterThan(3 * ops(slow));
  });

  it('counts premature OOM kills against an explicit premature_oom_free', () => {
    const s = loadScenario(SPANS.replace('  trace:', '  premature_oom_free: 4KiB\n  trace:'), 'p.yaml');
    const r = runScenario(s, 'baseline', 1);
    expect(r.summary['oom_kills_premature']).toBe(1);
    expect(r.summary['first_premature_oom_s']).toBe(1.5);
  });

  it('throws RunAborted when its signal is aborted, and reports progress', () => {
    const seen: number[] = [];
    const signal = { aborted: false };
    expect(() =>
      runScenario(spans, 'baseline', 1, {
        signal,
        onProgress(simNs, totalNs) {
          expect(totalNs).toBe(2e9);
          seen.push(simNs);
          if (simNs >= 1e9) signal.aborted = true;
        },
      }),
    ).toThrow(RunAborted);
    expect(seen.length).toBeGreaterThan(5);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
  });
});
