/**
 * `npm run bench:web`: the playground on a 4 GiB machine (1 M page frames) in headless Chromium.
 * Prints, per phase, the page's frame rate, map redraws per second, the worker's frames per
 * second, the map's draw time, and the longest main-thread task (PerformanceObserver
 * 'longtask', which reports tasks over 50 ms) while the simulation runs. `--json`: one object.
 * Figures only; nothing is asserted.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { packageRoot, startSiteServer } from '../../src/cli/site_server.js';
import { ensureWebBuilt, launchChromium } from '../../test/web/chromium.js';

interface Stats {
  rafs: number;
  draws: number;
  maxDrawMs: number;
  totalDrawMs: number;
}

interface PaneState {
  variant: string;
  simNs: number;
  frames: number;
}

interface PhaseResult {
  phase: string;
  fps: number;
  mapRedrawsPerS: number;
  workerFramesPerS: number;
  drawMsMean: number;
  drawMsMax: number;
  longTasks: number;
  longestTaskMs: number;
  maxFrameGapMs: number;
  simSecondsPerS: number;
}

const INIT = `
  window.__bench = { longtasks: [], rafs: [] };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__bench.longtasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  const loop = (t) => { window.__bench.rafs.push(t); requestAnimationFrame(loop); };
  requestAnimationFrame(loop);
  window.__benchPan = (ms, dx) => new Promise((done) => {
    const end = performance.now() + ms;
    let dir = 1, n = 0;
    const step = () => {
      if (performance.now() >= end) return done();
      if (++n % 60 === 0) dir = -dir;
      window.pagelab.pan(dir * dx, 0);
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  });
`;

const now = (page: Page): Promise<number> => page.evaluate('performance.now()') as Promise<number>;
const stats = (page: Page): Promise<Stats> => page.evaluate('window.pagelab.stats()') as Promise<Stats>;
const panes = (page: Page): Promise<PaneState[]> => page.evaluate('window.pagelab.panes()') as Promise<PaneState[]>;

async function measure(page: Page, phase: string, wallMs: number, panDx: number): Promise<PhaseResult> {
  await page.evaluate('window.pagelab.resetStats()');
  const t0 = await now(page);
  const s0 = await stats(page);
  const p0 = await panes(page);
  if (panDx > 0) await page.evaluate(`window.__benchPan(${wallMs}, ${panDx})`);
  else await page.waitForTimeout(wallMs);
  const t1 = await now(page);
  const s1 = await stats(page);
  const p1 = await panes(page);
  const w = (await page.evaluate(`(() => {
    const b = window.__bench;
    const rafs = b.rafs.filter((t) => t >= ${t0} && t <= ${t1});
    let gap = 0;
    for (let i = 1; i < rafs.length; i++) gap = Math.max(gap, rafs[i] - rafs[i - 1]);
    const lt = b.longtasks.filter((e) => e.start + e.duration >= ${t0} && e.start <= ${t1});
    return { rafs: rafs.length, gap, longTasks: lt.length, longest: lt.reduce((m, e) => Math.max(m, e.duration), 0) };
  })()`)) as { rafs: number; gap: number; longTasks: number; longest: number };
  const secs = (t1 - t0) / 1000;
  const draws = s1.draws - s0.draws;
  const frames = p1.reduce((s, p) => s + p.frames, 0) - p0.reduce((s, p) => s + p.frames, 0);
  const simNs = Math.min(...p1.map((p) => p.simNs)) - Math.min(...p0.map((p) => p.simNs));
  const perPane = p1.length;
  return {
    phase,
    fps: w.rafs / secs,
    mapRedrawsPerS: draws / perPane / secs,
    workerFramesPerS: frames / perPane / secs,
    drawMsMean: draws > 0 ? (s1.totalDrawMs - s0.totalDrawMs) / draws : 0,
    drawMsMax: s1.maxDrawMs,
    longTasks: w.longTasks,
    longestTaskMs: w.longest,
    maxFrameGapMs: w.gap,
    simSecondsPerS: simNs / 1e9 / secs,
  };
}

async function openRun(page: Page, url: string, variantB: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('.pane canvas');
  if (variantB) {
    await page.selectOption('#variant-b', variantB);
    await page.waitForFunction('window.pagelab.panes().length === 2');
  }
  await page.waitForFunction('window.pagelab.panes().every((p) => p.frames > 0)');
  await page.click('#end-btn');
  await page.waitForTimeout(1500); // past boot and the first frames
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const root = packageRoot();
  const yaml = readFileSync(join(root, 'bench', 'web', 'four-gib.yaml'), 'utf8');
  const server = await startSiteServer({ root: ensureWebBuilt(), port: 0, preload: { file: 'bench/web/four-gib.yaml', text: yaml } });
  const browser = await launchChromium({ width: 1600, height: 1000 });
  const results: PhaseResult[] = [];
  try {
    const page = await browser.context.newPage();
    await page.addInitScript({ content: INIT });
    await openRun(page, server.url, '');
    const version = browser.context.browser()?.version() ?? '?';
    results.push(await measure(page, 'one map, whole machine, sim running', 6000, 0));
    results.push(await measure(page, 'one map, whole machine, panning', 4000, 4));
    await page.evaluate('window.pagelab.zoom(16)');
    results.push(await measure(page, 'one map, pages zoom, panning', 4000, 4));
    await openRun(page, server.url, 'seed');
    results.push(await measure(page, 'two maps, whole machine, sim running', 6000, 0));
    results.push(await measure(page, 'two maps, whole machine, panning', 4000, 4));
    if (json) {
      process.stdout.write(`${JSON.stringify({ machine: '4GiB', pageFrames: 1 << 20, chromium: version, phases: results })}\n`);
    } else {
      process.stdout.write(`pagelab playground, 4 GiB machine (1,048,576 page frames), Chromium ${version} headless, --disable-gpu\n`);
      process.stdout.write('phase                                   fps  map redraws/s  worker frames/s  draw ms mean/max  tasks>50ms  longest  max frame gap  sim s/s\n');
      for (const r of results) {
        process.stdout.write(
          `${r.phase.padEnd(38)} ${r.fps.toFixed(1).padStart(5)}  ${r.mapRedrawsPerS.toFixed(1).padStart(13)}  ${r.workerFramesPerS.toFixed(1).padStart(15)}  ${`${r.drawMsMean.toFixed(1)} / ${r.drawMsMax.toFixed(1)}`.padStart(16)}  ${String(r.longTasks).padStart(10)}  ${(r.longTasks > 0 ? `${r.longestTaskMs.toFixed(0)} ms` : '-').padStart(7)}  ${`${r.maxFrameGapMs.toFixed(0)} ms`.padStart(13)}  ${r.simSecondsPerS.toFixed(2).padStart(7)}\n`,
        );
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
