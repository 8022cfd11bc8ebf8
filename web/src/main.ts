/** The playground page: wires the sidebar's controls to a Session and its panes. */
import type { InputProblem } from './shared/protocol.js';
import { YamlEditor } from './ui/editor.js';
import { exportOutputs, exportPng } from './ui/export.js';
import { seconds } from './ui/format.js';
import { Legend } from './ui/legend.js';
import type { ColourMode } from './ui/map/palette.js';
import { Session } from './ui/session.js';
import { SHIPPED, preloaded, type ScenarioText } from './ui/scenarios.js';
import { checkScenario, type ScenarioOutline } from './ui/validate.js';
import { installDebugHandle } from './ui/debug.js';
import { installSidebar } from './ui/sidebar.js';

/** The map canvas's CSS height, a pane's least width and the gap between panes (style.css). */
const MAP_HEIGHT_PX = 440;
const PANE_MIN_PX = 380;
const PANE_GAP_PX = 12;
/** No frame for this long while the workers should be running: say why the map stands still. */
const STALLED_MS = 1500;

function byId<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing`);
  return e as T;
}

class App {
  private readonly scenarioSelect = byId<HTMLSelectElement>('scenario-select');
  private readonly scenarioDesc = byId<HTMLElement>('scenario-desc');
  private readonly loadBtn = byId<HTMLButtonElement>('load-btn');
  private readonly variantA = byId<HTMLSelectElement>('variant-a');
  private readonly variantB = byId<HTMLSelectElement>('variant-b');
  private readonly seed = byId<HTMLInputElement>('seed');
  private readonly playBtn = byId<HTMLButtonElement>('play-btn');
  private readonly stepBtn = byId<HTMLButtonElement>('step-btn');
  private readonly endBtn = byId<HTMLButtonElement>('end-btn');
  private readonly speed = byId<HTMLSelectElement>('speed');
  private readonly status = byId<HTMLElement>('status');
  private readonly panesHost = byId<HTMLElement>('panes');
  private readonly zipBtn = byId<HTMLButtonElement>('export-zip');
  private readonly pngBtn = byId<HTMLButtonElement>('export-png');
  private readonly editor: YamlEditor;
  private readonly legend = new Legend(byId('legend'));
  private scenarios: ScenarioText[] = [...SHIPPED];
  /** The scenario the session runs (the editor may hold an edited copy). */
  private applied: { file: string; text: string; outline: ScenarioOutline } | null = null;
  private editedOutline: ScenarioOutline | null = null;
  private checkTimer = 0;
  private checkSeq = 0;
  session: Session | null = null;
  private mode: ColourMode = 'holder';
  /** The session whose zip is being put together (one export at a time per worker). */
  private exporting: Session | null = null;

  constructor() {
    this.editor = new YamlEditor(byId('editor'), () => this.scheduleCheck());
    this.wire();
    // Frames drive the status line; this catches the time between them when there are none.
    window.setInterval(() => this.updateStatus(), 500);
  }

  async start(): Promise<void> {
    const pre = await preloaded();
    if (pre) this.scenarios.unshift(pre);
    for (const s of this.scenarios) this.scenarioSelect.append(new Option(s.file, s.file));
    const first = pre ?? this.scenarios.find((s) => s.file.endsWith('i915-longrun.yaml')) ?? this.scenarios[0];
    if (first) {
      this.scenarioSelect.value = first.file;
      await this.openScenario(first);
    }
  }

  private currentFile(): string {
    return this.scenarioSelect.value || 'scenario.yaml';
  }

  private async openScenario(s: ScenarioText): Promise<void> {
    this.editor.text = s.text;
    const checked = await this.check();
    if (checked) await this.apply(checked);
  }

  private scheduleCheck(): void {
    clearTimeout(this.checkTimer);
    this.checkTimer = window.setTimeout(() => void this.check(), 250);
  }

  /** Validate the editor's text; the outline when valid. */
  private async check(): Promise<ScenarioOutline | null> {
    const seq = ++this.checkSeq;
    const r = await checkScenario(this.editor.text, this.currentFile());
    if (seq !== this.checkSeq) return null;
    if (!r.ok) {
      this.editedOutline = null;
      this.editor.showProblem(r.problem);
      this.loadBtn.disabled = true;
      return null;
    }
    this.editedOutline = r.outline;
    this.editor.showProblem(null, `valid: ${r.outline.name}, ${seconds(r.outline.durationNs)}, variants ${r.outline.variants.join(', ')}`);
    this.loadBtn.disabled = false;
    return r.outline;
  }

  /** Run the editor's text (already checked). */
  private async apply(outline: ScenarioOutline): Promise<void> {
    this.applied = { file: this.currentFile(), text: this.editor.text, outline };
    this.scenarioDesc.textContent = outline.description.trim();
    const keepA = this.variantA.value;
    const keepB = this.variantB.value;
    this.variantA.textContent = '';
    this.variantB.textContent = '';
    this.variantB.append(new Option('(none: one map)', ''));
    for (const v of outline.variants) {
      this.variantA.append(new Option(v, v));
      this.variantB.append(new Option(v, v));
    }
    this.variantA.value = outline.variants.includes(keepA) ? keepA : outline.variants[0]!;
    this.variantB.value = outline.variants.includes(keepB) ? keepB : '';
    this.restart();
  }

  private restart(): void {
    this.session?.close();
    this.session = null;
    this.panesHost.textContent = '';
    const a = this.applied;
    if (!a) return;
    const variants = [this.variantA.value];
    if (this.variantB.value && this.variantB.value !== this.variantA.value) variants.push(this.variantB.value);
    const seed = Number(this.seed.value);
    if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) {
      this.status.textContent = 'Seed: expected a whole number from 0 to 4294967295.';
      return;
    }
    this.status.textContent = 'Booting the machine…';
    const placeholder = document.createElement('p');
    placeholder.className = 'empty';
    placeholder.textContent = 'Booting the simulated machine…';
    this.panesHost.append(placeholder);
    const session = new Session(a.text, a.file, variants, seed, this.mode, {
      started: (panes) => {
        this.panesHost.textContent = '';
        this.panesHost.append(...panes.map((p) => p.element));
        this.legend.setPanes(panes.map((p) => p.info.variant));
        this.updateControls();
      },
      changed: () => this.updateControls(),
      framed: (i, f) => {
        this.legend.setCounts(i, f.counts);
        this.updateStatus();
      },
      error: (p) => this.showRunError(p),
      mapAspect: (n) => {
        // As many panes per row as the grid fits (a narrow window puts the second below the first).
        const w = this.panesHost.clientWidth;
        const perRow = Math.max(1, Math.min(n, Math.floor((w + PANE_GAP_PX) / (PANE_MIN_PX + PANE_GAP_PX))));
        return Math.max(0.5, ((w - PANE_GAP_PX * (perRow - 1)) / perRow - 24) / MAP_HEIGHT_PX);
      },
    });
    session.speed = this.speedValue();
    this.session = session;
    this.updateControls();
  }

  private showRunError(p: InputProblem): void {
    this.editor.showProblem(p);
    this.status.textContent = `Error: ${p.message}`;
    this.session?.close();
    this.session = null;
    this.panesHost.textContent = '';
    this.updateControls();
  }

  private speedValue(): number {
    return this.speed.value === 'max' ? Infinity : Number(this.speed.value);
  }

  private updateStatus(): void {
    const s = this.session;
    if (!s || s.panes.length === 0) return;
    const t = `${seconds(s.simNs)} of ${seconds(s.total)}`;
    const busy = s.stalledMs > STALLED_MS ? ' · busy in one long simulation event (a workload phase); the map moves on when it ends' : '';
    const going = !s.playing && s.targetNs > s.simNs; // a step, or a pause finishing at a sample time
    const text = s.done ? `Done: ${seconds(s.total)} simulated.` : s.playing ? `Running: ${t}${busy}` : going ? `Going to ${seconds(s.targetNs)}: ${t}${busy}` : `Paused at ${t}${busy}`;
    if (this.status.textContent !== text) this.status.textContent = text; // a live region: no repeats
  }

  private updateControls(): void {
    const s = this.session;
    const ready = s !== null && s.panes.length > 0;
    const done = ready && s.done;
    this.playBtn.disabled = !ready || done;
    this.stepBtn.disabled = !ready || done;
    this.endBtn.disabled = !ready || done;
    this.playBtn.textContent = s?.playing ? '❚❚ Pause' : '▶ Play';
    this.playBtn.setAttribute('aria-label', s?.playing ? 'Pause' : 'Play');
    this.zipBtn.disabled = !ready || this.exporting === s;
    this.zipBtn.textContent = done ? 'Outputs (.zip)' : 'Outputs so far (.zip)';
    this.pngBtn.disabled = !ready;
    this.updateStatus();
  }

  private exportName(): string {
    const s = this.session!;
    const p = s.panes.map((x) => x.info);
    return `pagelab-${p[0]!.scenario}-${p.map((i) => i.variant).join('-vs-')}-seed${p[0]!.seed}`;
  }

  private wire(): void {
    this.scenarioSelect.addEventListener('change', () => {
      const s = this.scenarios.find((x) => x.file === this.scenarioSelect.value);
      if (s) void this.openScenario(s);
    });
    this.loadBtn.addEventListener('click', () => {
      if (this.editedOutline) void this.apply(this.editedOutline);
    });
    this.editor.textarea.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        void this.check().then((o) => o && this.apply(o));
      }
    });
    this.variantA.addEventListener('change', () => this.restart());
    this.variantB.addEventListener('change', () => this.restart());
    this.seed.addEventListener('change', () => this.restart());
    this.playBtn.addEventListener('click', () => {
      const s = this.session;
      if (!s) return;
      if (s.playing) s.holdAtSample(); // both panes stop at the same simulated time
      else {
        s.speed = this.speedValue();
        s.play();
      }
    });
    this.stepBtn.addEventListener('click', () => this.session?.step());
    this.endBtn.addEventListener('click', () => this.session?.runToEnd());
    this.speed.addEventListener('change', () => {
      if (this.session) this.session.speed = this.speedValue();
    });
    for (const r of document.querySelectorAll<HTMLInputElement>('input[name="colour"]')) {
      r.addEventListener('change', () => {
        if (!r.checked) return;
        this.mode = r.value === 'migratetype' ? 'migratetype' : 'holder';
        this.legend.setMode(this.mode);
        this.session?.setMode(this.mode);
      });
    }
    const viewOp = (fn: (w: number, h: number) => void): void => {
      const p = this.session?.panes[0];
      if (p) fn(p.map.size.w, p.map.size.h);
    };
    byId('zoom-fit').addEventListener('click', () => viewOp((w, h) => this.session!.view!.fit(w, h)));
    byId('zoom-in').addEventListener('click', () => viewOp((w, h) => this.session!.view!.zoomAt(2, w / 2, h / 2)));
    byId('zoom-out').addEventListener('click', () => viewOp((w, h) => this.session!.view!.zoomAt(0.5, w / 2, h / 2)));
    byId('zoom-pages').addEventListener('click', () =>
      viewOp((w, h) => {
        const v = this.session!.view!;
        const c = v.cellAt(w / 2, h / 2);
        v.centerOn(c.x, c.y, w, h, 8);
      }),
    );
    const goto = byId<HTMLInputElement>('goto-pfn');
    goto.addEventListener('change', () => {
      const pfn = Number(goto.value.trim());
      const p = this.session?.panes[0];
      if (!p || !Number.isInteger(pfn)) return;
      const slot = pfn - p.map.layout.geometry.pfnBase;
      if (slot < 0 || slot >= p.map.layout.geometry.nrPages) return;
      const c = p.map.layout.cellOf(slot);
      this.session!.view!.centerOn(c.x + 0.5, c.y + 0.5, p.map.size.w, p.map.size.h, Math.max(8, this.session!.view!.scale));
    });
    this.zipBtn.addEventListener('click', () => {
      const s = this.session;
      if (!s || s.panes.length === 0) return;
      const partial = !s.done;
      if (partial) s.holdAtSample(); // every variant's files of the same moment
      this.exporting = s;
      this.updateControls();
      exportOutputs(s.clients, this.exportName(), partial)
        .catch(() => undefined) // the session was closed first: nothing to save
        .finally(() => {
          if (this.exporting === s) this.exporting = null;
          this.updateControls();
        });
    });
    this.pngBtn.addEventListener('click', () => {
      const s = this.session;
      if (s && s.panes.length > 0) void exportPng(s.panes, `${this.exportName()}-${(s.simNs / 1e9).toFixed(2)}s`);
    });
  }
}

installSidebar(document.querySelector<HTMLElement>('main.layout')!, byId('sidebar'), byId('splitter'), byId<HTMLDetailsElement>('explain'));
const app = new App();
installDebugHandle(() => app.session);
void app.start();
