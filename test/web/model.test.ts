/**
 * The playground's reading of the model, in Node: the runner's observer hook and its partial
 * results change no result, a partial result is the run so far, and the worker's per-page
 * categories agree with the kernel's own counters.
 */
import { describe, expect, it } from 'vitest';
import { describePage } from '../../src/mm/describe_page.js';
import { ZoneStat } from '../../src/mm/vmstat.js';
import { loadScenario } from '../../src/scenario/load.js';
import { runOutputFiles, seriesCsv } from '../../src/scenario/outputs.js';
import { runScenario, type RunView } from '../../src/scenario/runner.js';
import type { RunResult } from '../../src/scenario/types.js';
import {
  CATEGORIES, FREE, GEM_PINNED, HIGHLIGHT, HOLE, KERNEL, NR_CATEGORIES, PCP, RECLAIMABLE, SHMEM, SUMMARY_BUCKETS, SUMMARY_HIGHLIGHT,
  UNOWNED,
} from '../../web/src/shared/categories.js';
import { summarizeBlocks } from '../../web/src/worker/block_summary.js';
import { Classifier } from '../../web/src/worker/classify.js';
import { GemIndex } from '../../web/src/worker/gem_pages.js';
import { SMALL_FILE, SMALL_YAML } from './fixtures.js';

const scenario = loadScenario(SMALL_YAML, SMALL_FILE);

describe('RunOptions.observe', () => {
  it('is results-neutral: the same output files with an observer reading the model every event', () => {
    const plain = runScenario(scenario, 'seed', 3);
    let calls = 0;
    const observed = runScenario(scenario, 'seed', 3, {
      checkEveryEvents: 1,
      observe: (view) => {
        calls++;
        const gem = new GemIndex();
        gem.refresh(view.workloads);
        const n = view.k.mem.nrPages;
        if (calls % 500 === 1) new Classifier(gem).classify(view.k, new Uint8Array(n), new Uint8Array(n >>> 9), 0);
      },
    });
    expect(calls).toBeGreaterThan(1000);
    expect(runOutputFiles(observed)).toEqual(runOutputFiles(plain));
  });
});

describe('RunView.partialResult', () => {
  const full = runScenario(scenario, 'i915-6.1', 2);
  const fullFiles = runOutputFiles(full);
  let atSnapshot: RunResult | null = null;
  let midEvents: RunResult | null = null;
  let calls = 0;
  const observed = runScenario(scenario, 'i915-6.1', 2, {
    checkEveryEvents: 64,
    observe: (view) => {
      // Every tenth checkpoint builds the files, as the worker's export does.
      if (++calls % 10 === 0) runOutputFiles(view.partialResult());
      const now = view.k.clock.now;
      if (atSnapshot === null && now === 1e9 && view.series[view.series.length - 1]?.timeNs === now) atSnapshot = view.partialResult();
      if (midEvents === null && now > 1.25e9 && now % 1e8 !== 0) midEvents = view.partialResult();
    },
  });

  it('is results-neutral: taking it during the run changes none of the output files', () => {
    expect(calls).toBeGreaterThan(50);
    expect(runOutputFiles(observed)).toEqual(fullFiles);
  });

  it('at the 1 s stop is the run so far: its samples, the 1 s snapshot, counters and OOM kills up to then', () => {
    const r = atSnapshot as unknown as RunResult;
    expect(r.durationNs).toBe(1e9);
    expect(r.partialOfNs).toBe(2e9);
    const files = runOutputFiles(r);
    const summary = JSON.parse(files['summary.json']!) as { duration_s: number; partial: boolean; scenario_duration_s: number; snapshots: string[]; metrics: Record<string, number> };
    expect(summary).toMatchObject({ duration_s: 1, partial: true, scenario_duration_s: 2, snapshots: ['1s'] });
    expect(summary.metrics['sim_seconds']).toBe(1);
    expect(summary.metrics['oom_kills']).toBe(full.oomReports.filter((t) => Number(/^\[\s*([\d.]+)\]/.exec(t)![1]) <= 1).length);
    // The time series and the 1 s /proc files are the complete run's, as far as they go.
    expect(files['series.csv']).toBe(seriesCsv(full.series.filter((s) => s.timeNs <= 1e9)));
    for (const f of ['buddyinfo', 'pagetypeinfo', 'vmstat', 'zoneinfo']) expect(files[`proc-1s-${f}`], f).toBe(fullFiles[`proc-1s-${f}`]);
    expect(Object.keys(files).some((f) => f.startsWith('proc-end-'))).toBe(false);
  });

  it('between samples adds a sample and a /proc snapshot at the current time', () => {
    const r = midEvents as unknown as RunResult;
    const t = r.durationNs;
    expect(t).toBeGreaterThan(1.25e9);
    expect(r.series.map((s) => s.timeNs)).toEqual([...full.series.filter((s) => s.timeNs < t).map((s) => s.timeNs), t]);
    expect(r.snapshots.map((s) => s.label)).toEqual(['1s', `${t / 1e9}s`]);
    expect(runOutputFiles(r)[`proc-${t / 1e9}s-buddyinfo`]).toMatch(/^Node 0, zone {6}DMA /);
    expect(r.summary['sim_seconds']).toBe(t / 1e9);
  });
});

describe('kernel owners of highalloc blocks', () => {
  const yaml = `scenario: { name: owners, duration: 300ms, sample_every: 100ms }
machine: { cpus: 1, memory: 64MiB }
workloads:
  - { kind: highalloc, name: stacks, orders: [2], gfp: GFP_KERNEL, rate: 100, hold: 1s }
  - { kind: highalloc, name: buffers, orders: [1], gfp: GFP_KERNEL|__GFP_RECLAIMABLE, rate: 100, hold: 1s }
  - { kind: highalloc, name: raw, orders: [0], gfp: GFP_HIGHUSER_MOVABLE, rate: 100, hold: 1s }
`;
  let last: RunView | null = null;
  const r = runScenario(loadScenario(yaml, 'owners.yaml'), 'baseline', 1, { observe: (v) => (last = v) });
  const view = last as unknown as RunView;
  const k = view.k;
  const n = k.mem.nrPages;
  const cats = new Uint8Array(n);
  const classifier = new Classifier(new GemIndex());
  classifier.classify(k, cats, new Uint8Array(n >>> 9), 0);

  it('colours an unmovable request\'s blocks as kernel unmovable, a reclaimable one\'s as reclaimable, a movable one\'s as owner-less', () => {
    const held = (w: string): number => r.summary[`${w}.held_pages`]!;
    expect(held('stacks')).toBe(4 * 30);
    expect(held('buffers')).toBe(2 * 30);
    expect(held('raw')).toBe(30);
    expect(classifier.counts[KERNEL]).toBe(held('stacks'));
    expect(classifier.counts[RECLAIMABLE]).toBe(held('buffers'));
    expect(classifier.counts[UNOWNED]).toBe(held('raw'));
  });

  it('names the workload as the owner of every page of a block', () => {
    const s = cats.indexOf(KERNEL);
    expect(s).toBeGreaterThanOrEqual(0);
    expect(k.mem.order[s]).toBe(2);
    expect(describePage(k, k.pfn(s))).toBe('kernel stacks');
    expect(Array.from(cats.subarray(s, s + 4))).toEqual([KERNEL, KERNEL, KERNEL, KERNEL]);
    expect(describePage(k, k.pfn(cats.indexOf(RECLAIMABLE)))).toBe('kernel buffers');
  });
});

describe('GEM objects of memscen (pin_by: gem)', () => {
  const yaml = `scenario: { name: gem, duration: 200ms, sample_every: 100ms }
machine: { cpus: 1, memory: 64MiB }
workloads:
  - { kind: memscen, name: memscen, at: 10ms, phase_gap: 50ms, fill_pct: 50, shmem_pct: 50, pin_by: gem, hp_mode: none, unpin_phase: false }
`; // boot, fill, pin, fragment at 10, 60, 110, 160 ms; the end phase (objects closed) comes after 200 ms
  let last: RunView | null = null;
  const r = runScenario(loadScenario(yaml, 'gem.yaml'), 'baseline', 1, { observe: (v) => (last = v) });
  const view = last as unknown as RunView;
  const gem = new GemIndex();
  gem.refresh(view.workloads);
  const classifier = new Classifier(gem);
  const n = view.k.mem.nrPages;
  classifier.classify(view.k, new Uint8Array(n), new Uint8Array(n >>> 9), 0);

  it('are found through the workload\'s device: their pages count as GEM pinned, not as plain shmem', () => {
    expect(r.summary['memscen.pinned_pages']).toBeGreaterThan(1000);
    expect(classifier.counts[GEM_PINNED]).toBe(r.summary['memscen.pinned_pages']);
    expect(classifier.counts[SHMEM]).toBe(0);
  });
});

describe('Classifier', () => {
  let last: RunView | null = null;
  const result = runScenario(scenario, 'i915-6.1', 1, { observe: (v) => (last = v) });
  const view = last as unknown as RunView;
  const k = view.k;
  const n = k.mem.nrPages;
  const gem = new GemIndex();
  gem.refresh(view.workloads);
  const classifier = new Classifier(gem);
  const cats = new Uint8Array(n);
  const blocks = new Uint8Array(n >>> 9);
  classifier.classify(k, cats, blocks, 0);
  const counts = classifier.counts;

  it('gives every page frame one category, and every category a legend entry', () => {
    expect(CATEGORIES.map((c) => c.id)).toEqual(Array.from({ length: NR_CATEGORIES }, (_, i) => i));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(n);
    for (const c of cats) expect(c).toBeLessThan(NR_CATEGORIES);
  });

  it('counts as free exactly the pages in the buddy free lists (nr_free_pages), the pcp lists, and holes', () => {
    let nrFree = 0;
    for (const z of k.alloc.zoneById) if (z) nrFree += z.vmStat[ZoneStat.NR_FREE_PAGES]!;
    let free = 0;
    for (let o = 0; o <= 10; o++) free += counts[FREE + o]!;
    expect(free).toBe(nrFree);
    let pcp = 0;
    for (const z of k.alloc.zoneById) if (z) for (const c of z.pcpCount) pcp += c;
    expect(counts[PCP]).toBe(pcp);
    expect(counts[HOLE]).toBe(n - k.alloc.zoneById.reduce((s, z) => s + (z ? z.present : 0), 0));
  });

  it('counts as GEM pinned the pages the driver holds (gpu.pinned_pages)', () => {
    expect(counts[GEM_PINNED]).toBe(result.summary['gpu.pinned_pages']);
    expect(counts[GEM_PINNED]).toBeGreaterThan(0);
  });

  it('copies the pageblock migratetypes', () => {
    for (let b = 0; b < blocks.length; b++) expect(blocks[b]).toBe(k.mem.pageblockFlags[b]! & 7);
  });

  it('highlights every page of the selected owner, and the block summary counts them', () => {
    const slot = cats.findIndex((c) => c === GEM_PINNED);
    const owner = k.mem.mapping[slot]!;
    const lit = new Uint8Array(n);
    classifier.classify(k, lit, blocks, owner);
    let expected = 0;
    for (let s = 0; s < n; s++) if (k.mem.refcount[s]! > 0 && k.mem.mapping[s] === owner) expected++;
    expect(classifier.highlighted).toBe(expected);
    expect(lit.filter((c) => c >= HIGHLIGHT).length).toBe(expected);
    const hist = new Uint16Array((n >>> 9) * SUMMARY_BUCKETS);
    summarizeBlocks(lit, hist);
    let inHist = 0;
    for (let b = 0; b < n >>> 9; b++) inHist += hist[b * SUMMARY_BUCKETS + SUMMARY_HIGHLIGHT]!;
    expect(inHist).toBe(expected);
    expect(hist.reduce((a, b) => a + b, 0)).toBe(n);
  });
});
