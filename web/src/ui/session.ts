/**
 * A run of one scenario with one or two variants on the same seed, kept in lockstep: the page
 * owns the simulated-time target (advanced by wall time x speed while playing) and no worker
 * may get more than a short lead over the slowest, so the maps and charts show the same moment.
 * Drawing happens here too, once per animation frame, only for what changed.
 */
import type { FrameMsg, InputProblem } from '../shared/protocol.js';
import { SharedY } from './charts.js';
import { TileLayout } from './map/layout.js';
import type { ColourMode } from './map/palette.js';
import { MapView } from './map/view.js';
import { Pane } from './pane.js';
import { SimClient, type RunInfo } from './sim_client.js';

export interface SessionEvents {
  /** Both workers are ready: the panes exist. */
  started(panes: Pane[]): void;
  /** Play state, progress or completion changed (for the controls). */
  changed(): void;
  /** A pane's counters now show `frame` (a few times a second while running). */
  framed(paneIndex: number, frame: FrameMsg): void;
  error(problem: InputProblem): void;
  /** Width:height of one pane's map canvas with `panes` panes side by side. */
  mapAspect(panes: number): number;
}

export class Session {
  readonly clients: SimClient[];
  panes: Pane[] = [];
  view: MapView | null = null;
  playing = false;
  /** Simulated seconds per wall-clock second; Infinity: as fast as the workers go. */
  speed = 1;
  private target = 0;
  private sent = 0;
  private totalNs = 0;
  private sampleEveryNs = 1;
  private lastTick = 0;
  private lastFrameAt = 0;
  private raf = 0;
  private chartsDirty = false;
  private readonly shared = new SharedY();
  private closed = false;
  /** Animation frames seen and map redraws done (the benchmark reads these). */
  readonly stats = { rafs: 0, draws: 0, maxDrawMs: 0, totalDrawMs: 0 };

  constructor(yaml: string, file: string, variants: string[], seed: number, private mode: ColourMode, private readonly on: SessionEvents) {
    this.clients = variants.map(
      (variant) =>
        new SimClient(yaml, file, variant, seed, {
          ready: () => this.maybeStart(),
          frame: (f, samples) => {
            this.lastFrameAt = performance.now();
            const pane = this.paneOf(variant);
            pane?.show(f);
            if (samples.length > 0 || f.ooms.length > 0) {
              pane?.charts.add(samples, this.clientOf(variant).ooms);
              this.chartsDirty = true;
            }
            if (f.done) this.on.changed();
          },
          done: () => {
            if (this.done) this.playing = false;
            this.on.changed();
          },
          error: (p) => this.on.error(p),
        }),
    );
  }

  private clientOf(variant: string): SimClient {
    return this.clients.find((c) => c.info?.variant === variant)!;
  }

  private paneOf(variant: string): Pane | undefined {
    return this.panes.find((p) => p.info.variant === variant);
  }

  get done(): boolean {
    return this.clients.every((c) => c.done);
  }

  get simNs(): number {
    return Math.min(...this.clients.map((c) => c.simNs));
  }

  get total(): number {
    return this.totalNs;
  }

  /** Simulated time the workers have been asked to reach (they hold there unless playing). */
  get targetNs(): number {
    return this.sent;
  }

  /**
   * How long the workers have been asked to go on without sending a frame (0 when they have
   * caught up): a workload phase that is one long clock event (memscen's fill) blocks a worker.
   */
  get stalledMs(): number {
    return this.sent > this.simNs && !this.done ? performance.now() - this.lastFrameAt : 0;
  }

  private maybeStart(): void {
    if (this.closed || this.panes.length > 0 || !this.clients.every((c) => c.info)) return;
    const infos = this.clients.map((c) => c.info!) as RunInfo[];
    const first = infos[0]!;
    this.totalNs = first.totalNs;
    this.sampleEveryNs = first.sampleEveryNs;
    const layout = new TileLayout(first.geometry, this.on.mapAspect(this.clients.length));
    this.view = new MapView(layout.width, layout.height);
    this.panes = infos.map((info, i) => new Pane(this.clients[i]!, info, layout, this.view!, this.mode, this.shared, (f) => this.on.framed(i, f)));
    // Frames that came before every worker was ready.
    this.on.started(this.panes);
    this.panes.forEach((p) => {
      if (p.client.frame) p.show(p.client.frame);
      p.charts.add(p.client.samples, p.client.ooms);
    });
    this.chartsDirty = true;
    this.lastTick = performance.now();
    this.raf = requestAnimationFrame((t) => this.tick(t));
  }

  setMode(mode: ColourMode): void {
    this.mode = mode;
    for (const p of this.panes) p.map.setMode(mode);
  }

  play(): void {
    if (this.done) return;
    this.playing = true;
    this.on.changed();
  }

  pause(): void {
    this.playing = false;
    this.target = Math.max(this.sent, this.simNs);
    this.on.changed();
  }

  /** Advance to the next sample time and hold there. */
  step(): void {
    this.playing = false;
    const now = Math.max(this.sent, ...this.clients.map((c) => c.simNs));
    const next = Math.min(this.totalNs, (Math.floor(now / this.sampleEveryNs) + 1) * this.sampleEveryNs);
    this.target = next;
    this.send(next);
    this.on.changed();
  }

  /**
   * Pause where every worker stops at the same simulated time: the target already sent if it
   * is a sample time (a stop no worker runs past), else the next sample time.
   */
  holdAtSample(): void {
    this.pause();
    if (this.sent % this.sampleEveryNs !== 0 && this.sent < this.totalNs) this.step();
  }

  runToEnd(): void {
    this.speed = Infinity;
    this.play();
  }

  private send(ns: number): void {
    if (ns <= this.sent) return;
    this.sent = ns;
    for (const c of this.clients) c.runUntil(ns);
  }

  private tick(t: number): void {
    if (this.closed) return;
    this.raf = requestAnimationFrame((tt) => this.tick(tt));
    this.stats.rafs++;
    const dt = Math.min(250, t - this.lastTick);
    this.lastTick = t;
    if (this.playing) {
      const minNow = this.simNs;
      const lead = Number.isFinite(this.speed) ? Math.max(2 * this.sampleEveryNs, this.speed * 0.25e9) : 4 * this.sampleEveryNs;
      this.target = Number.isFinite(this.speed) ? Math.min(this.totalNs, this.target + this.speed * dt * 1e6) : this.totalNs;
      this.send(Math.min(this.target, minNow + lead));
    }
    if (this.chartsDirty) {
      this.chartsDirty = false;
      for (const p of this.panes) p.charts.invalidate();
    }
    // One chart redraw per frame while running (panes in turn), all of them once done.
    const n = this.panes.length;
    for (let i = 0; i < n; i++) {
      const p = this.panes[(this.stats.rafs + i) % n]!;
      if (this.done) while (p.charts.refreshOne());
      else if (p.charts.refreshOne()) break;
    }
    for (const p of this.panes) p.flushText();
    for (const p of this.panes) {
      if (p.map.drawIfDirty()) {
        this.stats.draws++;
        this.stats.totalDrawMs += p.map.lastDrawMs;
        this.stats.maxDrawMs = Math.max(this.stats.maxDrawMs, p.map.lastDrawMs);
      }
    }
  }

  close(): void {
    this.closed = true;
    cancelAnimationFrame(this.raf);
    for (const c of this.clients) c.terminate();
  }
}
