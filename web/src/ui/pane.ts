/**
 * One variant on screen: its header and counters, its memory map and its charts, fed by its
 * SimClient's frames.
 */
import { MIGRATETYPE_NAMES } from '../../../src/mm/constants.js';
import { FREE, GEM_PINNED, GEM_UNPINNED, PCP } from '../shared/categories.js';
import type { FrameMsg } from '../shared/protocol.js';
import { ChartSet, type SharedY } from './charts.js';
import { el, int, mib, seconds } from './format.js';
import type { TileLayout } from './map/layout.js';
import { MapCanvas } from './map/map_canvas.js';
import type { ColourMode } from './map/palette.js';
import type { MapView } from './map/view.js';
import type { RunInfo, SimClient } from './sim_client.js';

/** Text updates (counters) at most this often: each one costs the page a style and layout pass. */
const TEXT_EVERY_MS = 200;

export class Pane {
  readonly element: HTMLElement;
  readonly map: MapCanvas;
  readonly charts: ChartSet;
  private readonly counters = new Map<string, HTMLElement>();
  private readonly selection: HTMLElement;
  private textShownAt = -Infinity;
  private textPending: FrameMsg | null = null;

  constructor(
    readonly client: SimClient,
    readonly info: RunInfo,
    layout: TileLayout,
    view: MapView,
    mode: ColourMode,
    shared: SharedY,
    /** Called with each frame whose counters are shown (the legend's counts follow them). */
    private readonly onText: (f: FrameMsg) => void,
  ) {
    this.element = el('section', 'pane');
    this.element.dataset['variant'] = info.variant;
    const title = el('h2', 'pane-title', `${info.variant}`);
    const sub = el('span', 'pane-sub', ` ${info.scenario}, seed ${info.seed}`);
    title.append(sub);
    const counters = el('dl', 'counters');
    const add = (key: string, label: string, help: string, wide = false): void => {
      const dt = el('dt', wide ? 'wide' : undefined, label);
      dt.title = help;
      const dd = el('dd', wide ? 'wide' : undefined, '–');
      dd.dataset['counter'] = key;
      counters.append(dt, dd);
      this.counters.set(key, dd);
    };
    add('time', 'simulated', 'simulated time reached, of the scenario\'s duration');
    add('events', 'events', 'clock events the simulation has run');
    add('free', 'free', 'pages in the buddy free lists (nr_free_pages)');
    add('gem-pinned', 'GEM pinned', 'GEM object pages i915 holds a reference on');
    add('oom', 'OOM kills', 'OOM kills so far (premature: with plenty of free memory)');
    add('compaction', 'compaction ok / fail', 'compact_success / compact_fail at the last sample (direct compaction)');
    add('migration', 'migrated ok / fail', 'pgmigrate_success / pgmigrate_fail at the last sample');
    add('pageblocks', 'pageblocks', 'pageblocks per migratetype now (/proc/pagetypeinfo\'s block counts)', true);
    this.map = new MapCanvas(layout, view, mode, { inspect: (pfn) => client.inspect(pfn), select: (pfn) => client.select(pfn) });
    this.selection = el('p', 'selection', 'Click a page to highlight every page of its owner (a GEM object, a process, a file).');
    this.charts = new ChartSet(info.totalNs, shared);
    this.element.append(title, counters, this.map.element, this.selection, this.charts.element);
  }

  set(key: string, text: string): void {
    const e = this.counters.get(key);
    if (e) e.textContent = text;
  }

  /** A new frame from the worker: the map's state, and the counters a few times a second. */
  show(f: FrameMsg): void {
    this.map.setState(f);
    const now = performance.now();
    if (!f.done && now - this.textShownAt < TEXT_EVERY_MS) {
      this.textPending = f;
      return;
    }
    this.showText(f, now);
  }

  /** Counters held back by show()'s throttle, once the page has time. */
  flushText(): void {
    if (this.textPending && performance.now() - this.textShownAt >= TEXT_EVERY_MS) this.showText(this.textPending, performance.now());
  }

  private showText(f: FrameMsg, now: number): void {
    this.textPending = null;
    this.textShownAt = now;
    this.onText(f);
    const c = f.counts;
    let free = 0;
    for (let o = 0; o <= 10; o++) free += c[FREE + o] ?? 0;
    this.set('time', `${seconds(f.simNs)} of ${seconds(this.info.totalNs)}${f.done ? ' (done)' : ''}`);
    this.set('events', int(f.events));
    this.set('free', `${int(free)} pages (${mib(free)}) + ${int(c[PCP] ?? 0)} on pcp lists`);
    this.set('gem-pinned', `${int(c[GEM_PINNED] ?? 0)} pages (${mib(c[GEM_PINNED] ?? 0)}), unpinned ${int(c[GEM_UNPINNED] ?? 0)}`);
    const blocks = [0, 0, 0, 0, 0];
    for (const b of f.blocks) blocks[b] = (blocks[b] ?? 0) + 1;
    this.set('pageblocks', blocks.map((n, t) => `${MIGRATETYPE_NAMES[t]} ${int(n)}`).join(' · '));
    const ooms = this.client.ooms;
    const kills = ooms.filter((o) => o.victim !== '').length;
    const premature = ooms.filter((o) => o.victim !== '' && o.premature).length;
    this.set('oom', `${kills} (${premature} premature)`);
    const last = this.client.samples[this.client.samples.length - 1];
    if (last) {
      const v = last.vmstat;
      this.set('compaction', `${int(v['compact_success'] ?? 0)} / ${int(v['compact_fail'] ?? 0)}`);
      this.set('migration', `${int(v['pgmigrate_success'] ?? 0)} / ${int(v['pgmigrate_fail'] ?? 0)}`);
    }
    this.selection.textContent = f.selection
      ? `Highlighted: ${f.selection.name}, ${int(f.selection.pages)} pages (yellow). Click a free page to clear.`
      : 'Click a page to highlight every page of its owner (a GEM object, a process, a file).';
    this.selection.classList.toggle('active', f.selection !== null);
  }
}
