/**
 * The simulation worker: one scenario variant and seed, run by the same runner as
 * `pagelab run` (runScenarioAsync), paced by the page, with the memory map's state copied out
 * at checkpoints into transferred buffers.
 */
import { InputError } from '../../../src/machine/input_error.js';
import { loadScenario, resolveVariant } from '../../../src/scenario/load.js';
import type { Scenario } from '../../../src/scenario/load.js';
import { runOutputFiles, summaryJson } from '../../../src/scenario/outputs.js';
import { runScenarioAsync } from '../../../src/scenario/runner.js';
import type { RunView } from '../../../src/scenario/runner.js';
import type { RunResult } from '../../../src/scenario/types.js';
import type { FromWorker, InputProblem, MapGeometry, ToWorker } from '../shared/protocol.js';
import { Classifier } from './classify.js';
import { Gate, nextMacrotask } from './gate.js';
import { GemIndex } from './gem_pages.js';
import { inspectPage } from './inspect.js';
import { summarizeBlocks } from './block_summary.js';
import { SUMMARY_BUCKETS } from '../shared/categories.js';
import { PAGEBLOCK_ORDER } from '../../../src/mm/constants.js';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;
const post = (m: FromWorker, transfer: Transferable[] = []): void => scope.postMessage(m, transfer);

/** Events between checkpoints: fine enough for ~30 map frames a second on a 4 GiB machine. */
const CHECK_EVERY_EVENTS = 128;
/** Wall-clock time from one frame's start to the next while running (UI pacing only): about 35 a second. */
const FRAME_MS = 25;
/** Frames the page may hold before it hands buffers back. */
const MAX_IN_FLIGHT = 2;

function problemOf(e: unknown): InputProblem {
  if (e instanceof InputError) return { message: e.message, line: e.line ?? null, field: e.field };
  return { message: e instanceof Error ? e.message : String(e), line: null, field: '' };
}

interface FrameBuffers {
  cats: Uint8Array;
  blocks: Uint8Array;
  hist: Uint16Array;
}

class WorkerRun {
  readonly gate = new Gate();
  private readonly gem = new GemIndex();
  private readonly classifier = new Classifier(this.gem);
  private view: RunView | null = null;
  private events = 0;
  private readonly pool: FrameBuffers[] = [];
  private inFlight = 0;
  private lastFrameAt = -Infinity;
  /** simNs/events of the last frame sent, and whether something it shows changed since. */
  private shown = { simNs: -1, events: -1 };
  private stale = true;
  private sentSamples = 0;
  private sentOoms = 0;
  private selected = 0;
  private result: RunResult | null = null;
  /** An export asked for while running, taken when the run is next held or done. */
  private exportPending = false;

  constructor(private readonly scenario: Scenario, private readonly variant: string, private readonly seed: number) {}

  async run(): Promise<void> {
    this.result = await runScenarioAsync(this.scenario, this.variant, this.seed, {
      checkEveryEvents: CHECK_EVERY_EVENTS,
      onProgress: (simNs, _total, events) => {
        this.gate.now = simNs;
        this.events = events;
      },
      observe: (view) => {
        if (this.view === null) this.ready(view);
        this.view = view;
        this.stale = true;
        const last = view.series[view.series.length - 1];
        this.gate.atStop = last !== undefined && last.timeNs === this.gate.now;
      },
      pause: () => this.pause(),
    });
    this.gate.now = this.scenario.durationNs;
    this.stale = true;
    this.frame(true);
    post({ type: 'done', summaryJson: summaryJson(this.result) });
    if (this.exportPending) this.exportFiles();
  }

  private ready(view: RunView): void {
    const k = view.k;
    const zones = [];
    for (const node of k.nodes) {
      for (const z of node.zones) if (z.populated) zones.push({ nid: node.nid, name: z.name, startPfn: z.startPfn, endPfn: z.endPfn });
    }
    const geometry: MapGeometry = { pfnBase: k.mem.pfnBase, nrPages: k.mem.nrPages, pageblockOrder: PAGEBLOCK_ORDER, zones };
    const r = resolveVariant(this.scenario, this.variant);
    post({ type: 'ready', geometry, scenario: r.scenario, variant: r.variant, seed: this.seed, totalNs: r.durationNs, sampleEveryNs: r.sampleEveryNs });
  }

  private async pause(): Promise<void> {
    await nextMacrotask();
    if (!this.gate.reached && performance.now() - this.lastFrameAt >= FRAME_MS) this.frame(false);
    if (this.gate.now >= this.scenario.durationNs) return; // the last stop: let the run finish
    await this.gate.hold(() => {
      this.frame(true);
      if (this.exportPending) this.exportFiles();
    });
  }

  /** Send the map state; `force` even within FRAME_MS (the run is held), never twice for one state. */
  frame(force: boolean): void {
    const view = this.view;
    if (view === null || this.inFlight >= MAX_IN_FLIGHT) return;
    const same = this.shown.simNs === this.gate.now && this.shown.events === this.events && !this.stale;
    if (same || (!force && performance.now() - this.lastFrameAt < FRAME_MS)) return;
    this.lastFrameAt = performance.now(); // from the start, so the frame rate does not drop by the copy's cost
    const k = view.k;
    const n = k.mem.nrPages;
    const nb = n >>> PAGEBLOCK_ORDER;
    const buf = this.pool.pop() ?? { cats: new Uint8Array(n), blocks: new Uint8Array(nb), hist: new Uint16Array(nb * SUMMARY_BUCKETS) };
    this.gem.refresh(view.workloads);
    this.classifier.classify(k, buf.cats, buf.blocks, this.selected);
    summarizeBlocks(buf.cats, buf.hist);
    const samples = view.series.slice(this.sentSamples);
    this.sentSamples = view.series.length;
    const ooms = k.oom.events.slice(this.sentOoms).map((ev) => ({ timeNs: ev.timeNs, victim: ev.victim?.comm ?? '', premature: ev.premature, freePages: ev.freePages }));
    this.sentOoms = k.oom.events.length;
    const owner = this.selected !== 0 ? k.owners.get(this.selected) : undefined;
    if (this.selected !== 0 && owner === undefined) this.selected = 0; // the owner went away
    post(
      {
        type: 'frame',
        simNs: this.gate.now,
        events: this.events,
        cats: buf.cats,
        blocks: buf.blocks,
        hist: buf.hist,
        counts: Array.from(this.classifier.counts),
        samples,
        ooms,
        selection: owner ? { name: owner.name, pages: this.classifier.highlighted } : null,
        done: this.result !== null,
      },
      [buf.cats.buffer, buf.blocks.buffer, buf.hist.buffer],
    );
    this.inFlight++;
    this.shown = { simNs: this.gate.now, events: this.events };
    this.stale = false;
  }

  recycle(buf: FrameBuffers): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (this.view && buf.cats.length === this.view.k.mem.nrPages) this.pool.push(buf);
    if (this.gate.reached || this.result) this.frame(true); // a frame held back by MAX_IN_FLIGHT
  }

  inspect(pfn: number, id: number): void {
    const info = this.view ? inspectPage(this.view.k, this.gem, pfn) : null;
    post({ type: 'inspect', id, info });
  }

  select(pfn: number): void {
    const k = this.view?.k;
    let owner = 0;
    if (k && pfn >= 0) {
      const s = pfn - k.mem.pfnBase;
      if (s >= 0 && s < k.mem.nrPages && k.mem.refcount[s]! > 0) owner = k.mem.mapping[s]!;
    }
    this.selected = owner;
    this.stale = true;
    if (this.gate.reached || this.result) this.frame(true);
  }

  /**
   * The files `pagelab run` writes: of the whole run once done, else of the run so far (summary
   * marked partial), taken once the run is held at the page's target so that every pane's
   * export is of the same simulated time.
   */
  exportFiles(): void {
    if (!this.result && !this.gate.reached) {
      this.exportPending = true;
      return;
    }
    this.exportPending = false;
    const r = this.result ?? this.view?.partialResult();
    if (!r) return;
    const enc = new TextEncoder();
    const files: Record<string, Uint8Array> = {};
    for (const [name, text] of Object.entries(runOutputFiles(r))) files[name] = enc.encode(text);
    post({ type: 'export', dir: `${r.scenario}-${r.variant}-seed${r.seed}`, simNs: r.durationNs, files }, Object.values(files).map((f) => f.buffer));
  }
}

let current: WorkerRun | null = null;

function load(yaml: string, file: string, variant: string, seed: number): void {
  let scenario: Scenario;
  try {
    scenario = loadScenario(yaml, file);
    resolveVariant(scenario, variant);
  } catch (e) {
    post({ type: 'error', problem: problemOf(e) });
    return;
  }
  const run = new WorkerRun(scenario, variant, seed);
  current = run;
  run.run().catch((e: unknown) => post({ type: 'error', problem: problemOf(e) }));
}

scope.onmessage = (e: MessageEvent<ToWorker>): void => {
  const m = e.data;
  switch (m.type) {
    case 'load':
      if (current === null) load(m.yaml, m.file, m.variant, m.seed);
      break;
    case 'run-until':
      current?.gate.runUntil(m.ns);
      break;
    case 'inspect':
      if (current) current.inspect(m.pfn, m.id);
      else post({ type: 'inspect', id: m.id, info: null });
      break;
    case 'select':
      current?.select(m.pfn);
      break;
    case 'recycle':
      current?.recycle({ cats: m.cats, blocks: m.blocks, hist: m.hist });
      break;
    case 'export':
      current?.exportFiles();
      break;
  }
};
