/**
 * The playground's reading of the model, in Node: the runner's observer hook changes no result,
 * and the worker's per-page categories agree with the kernel's own counters.
 */
import { describe, expect, it } from 'vitest';
import { ZoneStat } from '../../src/mm/vmstat.js';
import { loadScenario } from '../../src/scenario/load.js';
import { runOutputFiles } from '../../src/scenario/outputs.js';
import { runScenario, type RunView } from '../../src/scenario/runner.js';
import {
  CATEGORIES, FREE, GEM_PINNED, HIGHLIGHT, HOLE, NR_CATEGORIES, PCP, SUMMARY_BUCKETS, SUMMARY_HIGHLIGHT,
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
