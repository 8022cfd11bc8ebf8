/**
 * The page's end of one simulation worker (one variant): loads the scenario, keeps the latest
 * map frame (handing the previous one's buffers back), the samples and OOM marks so far, and
 * answers hover questions.
 */
import type { Sample } from '../../../src/scenario/types.js';
import type { FrameMsg, FromWorker, InputProblem, MapGeometry, OomMark, PageInfo, ToWorker } from '../shared/protocol.js';

export interface RunInfo {
  geometry: MapGeometry;
  scenario: string;
  variant: string;
  seed: number;
  totalNs: number;
  sampleEveryNs: number;
}

/** A run's output files (as `pagelab run --out` names them) and the simulated time they cover. */
export interface ExportedFiles {
  dir: string;
  simNs: number;
  files: Record<string, Uint8Array>;
}

export interface ClientEvents {
  ready(info: RunInfo): void;
  frame(frame: FrameMsg, newSamples: Sample[], newOoms: OomMark[]): void;
  done(summaryJson: string): void;
  error(problem: InputProblem): void;
}

export class SimClient {
  private readonly worker: Worker;
  info: RunInfo | null = null;
  frame: FrameMsg | null = null;
  readonly samples: Sample[] = [];
  readonly ooms: OomMark[] = [];
  summaryJson: string | null = null;
  simNs = 0;
  frames = 0;
  private nextInspect = 1;
  private readonly pending = new Map<number, (info: PageInfo | null) => void>();
  private exportWaiter: { resolve(files: ExportedFiles): void; reject(e: Error): void } | null = null;

  constructor(yaml: string, file: string, variant: string, seed: number, private readonly on: ClientEvents) {
    this.worker = new Worker(new URL('../worker/sim_worker.ts', import.meta.url), { type: 'module', name: `pagelab ${variant}` });
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => this.handle(e.data);
    this.worker.onerror = (e) => on.error({ message: `worker: ${e.message}`, line: null, field: '' });
    this.send({ type: 'load', yaml, file, variant, seed });
  }

  get done(): boolean {
    return this.summaryJson !== null;
  }

  private send(m: ToWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(m, transfer);
  }

  private handle(m: FromWorker): void {
    switch (m.type) {
      case 'ready':
        this.info = { geometry: m.geometry, scenario: m.scenario, variant: m.variant, seed: m.seed, totalNs: m.totalNs, sampleEveryNs: m.sampleEveryNs };
        this.on.ready(this.info);
        break;
      case 'frame': {
        const old = this.frame;
        this.frame = m;
        this.frames++;
        this.simNs = m.simNs;
        this.samples.push(...m.samples);
        this.ooms.push(...m.ooms);
        this.on.frame(m, m.samples, m.ooms);
        // The renderer has switched to the new frame: the old buffers go back for reuse.
        if (old) this.send({ type: 'recycle', cats: old.cats, blocks: old.blocks, hist: old.hist }, [old.cats.buffer, old.blocks.buffer, old.hist.buffer]);
        break;
      }
      case 'inspect': {
        const resolve = this.pending.get(m.id);
        this.pending.delete(m.id);
        resolve?.(m.info);
        break;
      }
      case 'done':
        this.summaryJson = m.summaryJson;
        this.on.done(m.summaryJson);
        break;
      case 'export':
        this.exportWaiter?.resolve({ dir: m.dir, simNs: m.simNs, files: m.files });
        this.exportWaiter = null;
        break;
      case 'error':
        this.on.error(m.problem);
        break;
    }
  }

  runUntil(ns: number): void {
    this.send({ type: 'run-until', ns });
  }

  inspect(pfn: number): Promise<PageInfo | null> {
    const id = this.nextInspect++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.send({ type: 'inspect', pfn, id });
    });
  }

  select(pfn: number): void {
    this.send({ type: 'select', pfn });
  }

  /** The run's output files: of the whole run once done, else as of the next time the worker is held. */
  exportFiles(): Promise<ExportedFiles> {
    return new Promise((resolve, reject) => {
      this.exportWaiter = { resolve, reject };
      this.send({ type: 'export' });
    });
  }

  terminate(): void {
    this.worker.terminate();
    for (const resolve of this.pending.values()) resolve(null);
    this.pending.clear();
    this.exportWaiter?.reject(new Error('the run was closed'));
    this.exportWaiter = null;
  }
}
