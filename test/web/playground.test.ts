/**
 * The playground in a real browser (Debian's Chromium via playwright-core): the built site,
 * served by the same server as `pagelab serve`, runs the small scenario in its Web Worker; the
 * tests read what the page shows (counters, chart data, map pixels, the editor's error) and
 * compare it with the same run in Node. Screenshots go to test-artifacts/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATETYPE_NAMES } from '../../src/mm/constants.js';
import { InputError } from '../../src/machine/input_error.js';
import { loadScenario } from '../../src/scenario/load.js';
import { runOutputFiles, summaryJson } from '../../src/scenario/outputs.js';
import { runScenario, type RunView } from '../../src/scenario/runner.js';
import type { RunResult } from '../../src/scenario/types.js';
import { defaultSiteDir, packageRoot, startSiteServer, type SiteServer } from '../../src/cli/site_server.js';
import {
  ANON, CATEGORIES, FILE, FREE, GEM_PINNED, KERNEL, MIGRATETYPE_RGB, RECLAIMABLE, cssColor, isFree,
} from '../../web/src/shared/categories.js';
import { Classifier } from '../../web/src/worker/classify.js';
import { GemIndex } from '../../web/src/worker/gem_pages.js';
import { ensureWebBuilt, launchChromium, type Browser } from './chromium.js';
import { SMALL_FILE, SMALL_YAML } from './fixtures.js';

const ARTIFACTS = join(packageRoot(), 'test-artifacts');

interface PaneState {
  variant: string;
  simNs: number;
  done: boolean;
  summaryJson: string | null;
  frames: number;
}

/** The same run in Node: its result and its final page categories (what the last frame shows). */
interface NodeRun {
  result: RunResult;
  cats: Uint8Array;
  blocks: Uint8Array;
  mapping: Uint32Array;
  pfnBase: number;
  /** First pageblock of each zone (the map writes the zone's name over it). */
  zoneBlocks: number[];
}

function nodeRun(variant: string): NodeRun {
  let view: RunView | null = null;
  const result = runScenario(loadScenario(SMALL_YAML, SMALL_FILE), variant, 1, { observe: (v) => (view = v) });
  const v = view as unknown as RunView;
  const gem = new GemIndex();
  gem.refresh(v.workloads);
  const n = v.k.mem.nrPages;
  const cats = new Uint8Array(n);
  const blocks = new Uint8Array(n >>> 9);
  new Classifier(gem).classify(v.k, cats, blocks, 0);
  const zoneBlocks = v.k.alloc.zoneById.flatMap((z) => (z ? [(z.startPfn - v.k.mem.pfnBase) >>> 9] : []));
  return { result, cats, blocks, mapping: Uint32Array.from(v.k.mem.mapping), pfnBase: v.k.mem.pfnBase, zoneBlocks };
}

/** The Node run's result as of the sample at `ns` (what the page exports when held there). */
function nodePartial(variant: string, ns: number): RunResult {
  let partial: RunResult | null = null;
  runScenario(loadScenario(SMALL_YAML, SMALL_FILE), variant, 1, {
    observe: (v) => {
      if (partial === null && v.k.clock.now === ns && v.series[v.series.length - 1]?.timeNs === ns) partial = v.partialResult();
    },
  });
  if (partial === null) throw new Error(`no sample at ${ns} ns`);
  return partial;
}

/** Click the zip export; its file name and contents (path -> text). */
async function exportZip(): Promise<{ name: string; files: Record<string, string> }> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-zip')]);
  const zipped = unzipSync(new Uint8Array(readFileSync((await dl.path())!)));
  return { name: dl.suggestedFilename(), files: Object.fromEntries(Object.entries(zipped).map(([k, v]) => [k, strFromU8(v)])) };
}

/** `files` with `dir/` in front of every name. */
const inDir = (dir: string, files: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(files).map(([k, v]) => [`${dir}/${k}`, v]));

const hexRgb = (rgba: number[]): string => `#${rgba.slice(0, 3).map((c) => c.toString(16).padStart(2, '0')).join('')}`;

let server: SiteServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

const panes = (): Promise<PaneState[]> => page.evaluate('window.pagelab.panes()') as Promise<PaneState[]>;
const chartData = (i: number, id: string): Promise<number[][]> => page.evaluate(`window.pagelab.chartData(${i}, ${JSON.stringify(id)})`) as Promise<number[][]>;
const pixelAt = (i: number, pfn: number): Promise<{ x: number; y: number; rgba: number[] } | null> =>
  page.evaluate(`window.pagelab.pixelAt(${i}, ${pfn})`) as Promise<{ x: number; y: number; rgba: number[] } | null>;

/**
 * A pfn whose category passes `test`, with its cell off the tile (pageblock) edges and not
 * under a zone's name, so its pixels are its colour.
 */
function pfnOf(run: NodeRun, test: (c: number) => boolean): number {
  for (let s = 0; s < run.cats.length; s++) {
    if ((s & 31) < 2 || ((s >>> 5) & 15) < 2 || run.zoneBlocks.some((b) => s >>> 9 >= b && s >>> 9 < b + 4) || !test(run.cats[s]!)) continue;
    return s + run.pfnBase;
  }
  throw new Error('no such page');
}

beforeAll(async () => {
  const site = ensureWebBuilt();
  expect(site).toBe(defaultSiteDir());
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startSiteServer({ root: site, port: 0, preload: { file: SMALL_FILE, text: SMALL_YAML } });
  browser = await launchChromium({ width: 1400, height: 1000 });
  page = await browser.context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(server.url);
  await page.waitForFunction('window.pagelab && window.pagelab.panes().length === 1 && window.pagelab.panes()[0].frames > 0');
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the playground', () => {
  const a = nodeRun('i915-6.1');

  it('opens the scenario `pagelab serve` preloaded, paused at 0 s, with its variants', async () => {
    expect(await page.inputValue('#yaml-text')).toBe(SMALL_YAML);
    expect(await page.$$eval('#variant-a option', (os) => os.map((o) => o.textContent))).toEqual(['i915-6.1', 'seed']);
    expect(await page.textContent('#status')).toMatch(/^Paused at 0\.00 s of 2\.00 s/);
    expect((await panes())[0]!.simNs).toBe(0);
  });

  it('steps one sample at a time', async () => {
    await page.click('#step-btn');
    await page.waitForFunction('window.pagelab.panes()[0].simNs >= 1e8');
    await page.click('#step-btn');
    await page.waitForFunction('window.pagelab.panes()[0].simNs >= 2e8');
    await page.waitForTimeout(300);
    expect((await panes())[0]!.simNs).toBe(2e8);
    expect((await chartData(0, 'frag'))[0]).toEqual([0, 0.1, 0.2]);
  });

  it('exports the run so far mid-run: the files `pagelab run` writes as of the paused time, marked partial', async () => {
    expect(await page.textContent('#export-zip')).toBe('Outputs so far (.zip)');
    const { name, files } = await exportZip();
    expect(name).toBe('pagelab-small-i915-6.1-seed1-0.20s-partial.zip');
    expect(files).toEqual(inDir('small-i915-6.1-seed1', runOutputFiles(nodePartial('i915-6.1', 2e8))));
    expect(JSON.parse(files['small-i915-6.1-seed1/summary.json']!)).toMatchObject({ duration_s: 0.2, partial: true, scenario_duration_s: 2 });
    // Taking it moved nothing: still paused where it was.
    expect((await panes())[0]!.simNs).toBe(2e8);
    expect(await page.textContent('#status')).toMatch(/^Paused at 0\.20 s/);
  });

  it('runs to the end with the same numbers as runScenario in Node', async () => {
    await page.click('#end-btn');
    await page.waitForFunction('window.pagelab.panes()[0].done', null, { timeout: 60_000 });
    const [p] = await panes();
    expect(p!.summaryJson).toBe(summaryJson(a.result));
    // Counters
    await page.waitForFunction('document.querySelector(\'[data-counter="time"]\').textContent.includes("done")');
    expect(await page.textContent('[data-counter="time"]')).toBe('2.00 s of 2.00 s (done)');
    expect(await page.textContent('[data-counter="events"]')).toBe(a.result.summary['sim_events']!.toLocaleString('en-US'));
    const kills = a.result.summary['oom_kills']!;
    expect(kills).toBeGreaterThan(0);
    expect(await page.textContent('[data-counter="oom"]')).toBe(`${kills} (${a.result.summary['oom_kills_premature']} premature)`);
    const marks = (await page.evaluate('window.pagelab.ooms(0)')) as { timeNs: number; victim: string }[];
    const instants = a.result.spans.filter((sp) => sp.track === 'OOM killer');
    expect(marks.map((m) => m.timeNs)).toEqual(instants.map((sp) => sp.startNs));
    expect(marks.filter((m) => m.victim !== '').length).toBe(kills);
    // Chart data: every sample, as the runner recorded it.
    const series = a.result.series;
    const frag = await chartData(0, 'frag');
    expect(frag[0]).toEqual(series.map((s) => s.timeNs / 1e9));
    expect(frag[1]).toEqual(series.map((s) => s.fragScore));
    const free = await chartData(0, 'free-by-order');
    for (let o = 0; o <= 10; o++) expect(free[o + 1]).toEqual(series.map((s) => s.freeByOrder[o]! * 2 ** o));
    const blocks = await chartData(0, 'pageblocks');
    MIGRATETYPE_NAMES.forEach((_, t) => expect(blocks[t + 1]).toEqual(series.map((s) => s.pageblocksByType[t])));
    const migration = await chartData(0, 'migration');
    expect(migration[1]).toEqual(series.map((s) => s.vmstat['pgmigrate_success']));
    // The legend's page counts for this pane.
    const counts = await page.$$eval('table[data-legend="holder"] tr[data-category]', (rows) => rows.map((r) => r.querySelector('td.num')?.textContent ?? ''));
    const expected = CATEGORIES.map((c) => a.cats.reduce((n, x) => n + (x === c.id ? 1 : 0), 0));
    expect(counts).toEqual(expected.map((n) => (n === 0 ? '' : n.toLocaleString('en-US'))));
    expect(pageErrors).toEqual([]);
  });

  it('draws each page in its holder colour, and in its pageblock migratetype colour', async () => {
    const legend = new Map(
      await page.$$eval('table[data-legend="holder"] tr[data-category]', (rows) => rows.map((r): [number, string] => [Number(r.getAttribute('data-category')), r.getAttribute('data-color') ?? ''])),
    );
    const picks = [
      pfnOf(a, (c) => c >= FREE && c <= FREE + 10),
      pfnOf(a, (c) => c === ANON),
      pfnOf(a, (c) => c === FILE),
      pfnOf(a, (c) => c === GEM_PINNED),
      pfnOf(a, (c) => c === RECLAIMABLE),
      pfnOf(a, (c) => c === KERNEL), // highalloc's GFP_KERNEL blocks: a kernel owner, not "no owner"
    ];
    for (const pfn of picks) {
      const cat = a.cats[pfn - a.pfnBase]!;
      const px = await pixelAt(0, pfn);
      expect(px, `pfn ${pfn}`).not.toBeNull();
      expect(hexRgb(px!.rgba), `pfn 0x${pfn.toString(16)} (${CATEGORIES[cat]!.label})`).toBe(legend.get(cat));
      expect(legend.get(cat)).toBe(cssColor(CATEGORIES[cat]!.rgb));
    }
    await page.check('input[name="colour"][value="migratetype"]');
    for (const pfn of picks) {
      const s = pfn - a.pfnBase;
      const m = MIGRATETYPE_RGB[a.blocks[s >>> 9]!]!;
      expect(hexRgb((await pixelAt(0, pfn))!.rgba)).toBe(cssColor(isFree(a.cats[s]!) ? m.free : m.used));
    }
    await page.check('input[name="colour"][value="holder"]');
    await page.screenshot({ path: join(ARTIFACTS, 'playground.png') });
    // "Go to pfn" centres that page, zoomed in to single pages.
    const size = (await page.evaluate('[document.querySelector(".pane .map canvas").width, document.querySelector(".pane .map canvas").height]')) as number[];
    await page.fill('#goto-pfn', `0x${picks[1]!.toString(16)}`);
    await page.press('#goto-pfn', 'Enter');
    const centred = (await pixelAt(0, picks[1]!))!;
    expect(Math.abs(centred.x - size[0]! / 2)).toBeLessThanOrEqual(1);
    expect(Math.abs(centred.y - size[1]! / 2)).toBeLessThanOrEqual(1);
    expect(hexRgb(centred.rgba)).toBe(cssColor(CATEGORIES[ANON]!.rgb));
    await page.screenshot({ path: join(ARTIFACTS, 'playground-pages.png') });
    await page.click('#zoom-fit');
  });

  it('shows a page\'s details on hover and highlights a GEM object\'s pages on click', async () => {
    const pfn = pfnOf(a, (c) => c === GEM_PINNED);
    const owner = a.mapping[pfn - a.pfnBase]!;
    const px = (await pixelAt(0, pfn))!;
    const box = (await page.locator('.pane .map canvas').boundingBox())!;
    await page.mouse.move(box.x + px.x, box.y + px.y);
    await page.waitForFunction('document.querySelector(".map-tooltip") && !document.querySelector(".map-tooltip").hidden && document.querySelector(".map-tooltip").textContent.includes("refcount")');
    const tip = (await page.textContent('.map-tooltip'))!;
    expect(tip).toContain(`pfn 0x${pfn.toString(16)}`);
    expect(tip).toContain('GEM object, pinned');
    expect(tip).toMatch(/GEM gpu-obj-\d+: has pages \(pinned\)/);
    expect(tip).toMatch(/pageblock 0x[0-9a-f]+ (Unmovable|Movable|Reclaimable)/);
    await page.mouse.click(box.x + px.x, box.y + px.y);
    await page.waitForFunction('document.querySelector(".selection").textContent.startsWith("Highlighted: gpu-obj-")');
    const sameObject: number[] = [];
    for (let s = 0; s < a.mapping.length; s++) if (a.mapping[s] === owner && a.cats[s] === GEM_PINNED) sameObject.push(s + a.pfnBase);
    const count = Number((await page.textContent('.selection'))!.match(/, ([\d,]+) pages/)![1]!.replace(/,/g, ''));
    expect(count).toBe(sameObject.length);
    expect(hexRgb((await pixelAt(0, pfn))!.rgba)).toBe('#ffe600');
    expect(hexRgb((await pixelAt(0, sameObject[sameObject.length - 1]!))!.rgba)).toBe('#ffe600');
    // A free page clears the selection.
    const freePfn = pfnOf(a, (c) => c >= FREE && c <= FREE + 10);
    const fp = (await pixelAt(0, freePfn))!;
    await page.mouse.click(box.x + fp.x, box.y + fp.y);
    await page.waitForFunction('!document.querySelector(".selection").textContent.startsWith("Highlighted")');
    expect(hexRgb((await pixelAt(0, pfn))!.rgba)).toBe(cssColor(CATEGORIES[GEM_PINNED]!.rgb));
  });

  it('exports the files `pagelab run` writes as a zip, and the map as a PNG', async () => {
    expect(await page.textContent('#export-zip')).toBe('Outputs (.zip)');
    const { name, files } = await exportZip();
    expect(name).toBe('pagelab-small-i915-6.1-seed1.zip');
    const expected = runOutputFiles(a.result);
    const dir = 'small-i915-6.1-seed1/';
    expect(Object.keys(files).sort()).toEqual(Object.keys(expected).map((f) => dir + f).sort());
    for (const [file, text] of Object.entries(expected)) expect(files[dir + file], file).toBe(text);
    const [pngDl] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
    expect(pngDl.suggestedFilename()).toMatch(/^pagelab-small-i915-6\.1-seed1-2\.00s\.png$/);
    const png = readFileSync((await pngDl.path())!);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it('shows a scenario error at its line in the editor', async () => {
    const bad = SMALL_YAML.replace('  cpus: 2\n', '  cpus: two\n');
    let expected: InputError | null = null;
    try {
      loadScenario(bad, SMALL_FILE);
    } catch (e) {
      if (e instanceof InputError) expected = e;
    }
    expect(expected?.line).toBe(bad.split('\n').indexOf('  cpus: two') + 1);
    await page.fill('#yaml-text', bad);
    await page.waitForSelector('.problem');
    expect(await page.getAttribute('.problem', 'data-line')).toBe(String(expected!.line));
    expect(await page.$$eval('.gutter .error', (els) => els.map((e) => e.getAttribute('data-line')))).toEqual([String(expected!.line)]);
    expect(await page.textContent('.problem')).toContain(expected!.message);
    expect(await page.isDisabled('#load-btn')).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'playground-error.png') });
    await page.fill('#yaml-text', SMALL_YAML);
    await page.waitForSelector('.ok');
    expect(await page.$$('.gutter .error')).toEqual([]);
  });

  it('runs two variants side by side on the same seed, in lockstep', async () => {
    const b = nodeRun('seed');
    await page.selectOption('#variant-b', 'seed');
    await page.waitForFunction('window.pagelab.panes().length === 2 && window.pagelab.panes().every((p) => p.frames > 0)');
    for (let i = 1; i <= 3; i++) {
      await page.click('#step-btn');
      await page.waitForFunction(`window.pagelab.panes().every((p) => p.simNs >= ${i}e8)`);
    }
    await page.waitForTimeout(300);
    expect((await panes()).map((p) => p.simNs)).toEqual([3e8, 3e8]);
    expect((await chartData(0, 'frag'))[0]).toEqual((await chartData(1, 'frag'))[0]);
    // Exporting while playing pauses both runs at one sample time and exports them there.
    await page.selectOption('#speed', '0.25');
    await page.click('#play-btn');
    await page.waitForFunction('window.pagelab.panes().every((p) => p.simNs > 3e8)');
    const { files } = await exportZip();
    const [p0, p1] = await panes();
    const t = p0!.simNs;
    expect(p1!.simNs).toBe(t);
    expect(t % 1e8).toBe(0);
    expect(t).toBeGreaterThan(3e8);
    expect(await page.textContent('#status')).toMatch(/^Paused at /);
    expect(files).toEqual({
      ...inDir('small-i915-6.1-seed1', runOutputFiles(nodePartial('i915-6.1', t))),
      ...inDir('small-seed-seed1', runOutputFiles(nodePartial('seed', t))),
    });
    await page.click('#end-btn');
    await page.waitForFunction('window.pagelab.panes().every((p) => p.done)', null, { timeout: 60_000 });
    const [pa, pb] = await panes();
    expect(pa!.variant).toBe('i915-6.1');
    expect(pb!.variant).toBe('seed');
    expect(pa!.summaryJson).toBe(summaryJson(a.result));
    expect(pb!.summaryJson).toBe(summaryJson(b.result));
    expect((await chartData(1, 'frag'))[1]).toEqual(b.result.series.map((s) => s.fragScore));
    await page.screenshot({ path: join(ARTIFACTS, 'playground-side-by-side.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('opens with "What am I looking at?" first in the sidebar, and remembers it closed and the sidebar\'s width', async () => {
    expect(await page.$eval('#sidebar', (e) => e.firstElementChild?.id)).toBe('explain');
    expect(await page.getAttribute('#explain', 'open')).not.toBeNull();
    await page.click('#explain summary');
    const before = (await page.locator('#sidebar').boundingBox())!.width;
    const grip = (await page.locator('#splitter').boundingBox())!;
    await page.mouse.move(grip.x + grip.width / 2, grip.y + 100);
    await page.mouse.down();
    await page.mouse.move(grip.x + grip.width / 2 + 200, grip.y + 100, { steps: 4 });
    await page.mouse.up();
    const wider = (await page.locator('#sidebar').boundingBox())!.width;
    expect(wider).toBeCloseTo(before + 200, 0);
    expect((await page.locator('.editor').boundingBox())!.width).toBeGreaterThan(before + 150);
    await page.reload();
    await page.waitForFunction('window.pagelab && window.pagelab.panes().length > 0');
    expect(await page.getAttribute('#explain', 'open')).toBeNull();
    expect((await page.locator('#sidebar').boundingBox())!.width).toBeCloseTo(wider, 0);
    expect(pageErrors).toEqual([]);
  });
});
