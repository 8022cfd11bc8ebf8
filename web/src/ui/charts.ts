/**
 * One pane's charts over simulated time (uPlot), fed by the runner's samples: free memory by
 * order, pageblocks by migratetype, the fragmentation score, compaction, migration and reclaim
 * counters, with OOM kills as vertical markers. Cursors are synced across every chart of every
 * pane, the x range is the whole run, and y ranges are shared with the other pane's same chart.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { MIGRATETYPE_NAMES } from '../../../src/mm/constants.js';
import type { Sample } from '../../../src/scenario/types.js';
import { MIGRATETYPE_RGB, cssColor } from '../shared/categories.js';
import type { OomMark } from '../shared/protocol.js';
import { compactNumber } from './compact_number.js';
import { el } from './format.js';

interface SeriesDef {
  label: string;
  colour: string;
  value(s: Sample): number;
}

interface ChartDef {
  id: string;
  title: string;
  series: SeriesDef[];
  yMax?: number;
  /** Counters: whole-number ticks only. */
  integer?: boolean;
  /** An asinh y axis (log-like, with 0 on it) ticked at powers of ten: series spanning several of them. */
  logish?: boolean;
}

/** Plot height, CSS px (a log axis needs room for its decades). */
const heightOf = (def: ChartDef): number => (def.logish ? 170 : 130);

/**
 * 0 and the powers of ten from 10 up to `max`: a log axis's ticks, every one labelled (uPlot's
 * own add 2..9 in every decade; 1 would sit on top of 0 on an asinh axis).
 */
function decades(max: number): number[] {
  const out = [0];
  for (let p = 10; p <= max; p *= 10) out.push(p);
  return out;
}

const ORDER_COLOURS = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#e0d51f', '#fde725'];
const vm = (name: string) => (s: Sample): number => s.vmstat[name] ?? 0;

export const CHART_DEFS: readonly ChartDef[] = [
  {
    id: 'free-by-order',
    title: 'Free memory by buddy order (pages in free blocks of each order; log scale)',
    series: ORDER_COLOURS.map((colour, o) => ({ label: `o${o}`, colour, value: (s: Sample) => (s.freeByOrder[o] ?? 0) * 2 ** o })),
    logish: true,
  },
  {
    id: 'pageblocks',
    title: 'Pageblocks by migratetype',
    integer: true,
    series: MIGRATETYPE_NAMES.map((name, t) => ({ label: name, colour: cssColor(MIGRATETYPE_RGB[t]!.used), value: (s: Sample) => s.pageblocksByType[t] ?? 0 })),
  },
  {
    id: 'frag',
    title: 'Fragmentation score (fragmentation_score_node, 0–100)',
    series: [{ label: 'score', colour: '#c0392b', value: (s) => s.fragScore }],
    yMax: 100,
  },
  {
    id: 'compaction',
    title: 'Direct compaction (cumulative)',
    integer: true,
    series: [
      { label: 'compact_stall', colour: '#7f8c8d', value: vm('compact_stall') },
      { label: 'compact_success', colour: '#27ae60', value: vm('compact_success') },
      { label: 'compact_fail', colour: '#c0392b', value: vm('compact_fail') },
    ],
  },
  {
    id: 'migration',
    title: 'Page migration (cumulative)',
    integer: true,
    series: [
      { label: 'pgmigrate_success', colour: '#2980b9', value: vm('pgmigrate_success') },
      { label: 'pgmigrate_fail', colour: '#d35400', value: vm('pgmigrate_fail') },
    ],
  },
  {
    id: 'reclaim',
    title: 'Reclaim: pages scanned and reclaimed (cumulative)',
    integer: true,
    series: [
      { label: 'pgscan_kswapd', colour: '#8e44ad', value: vm('pgscan_kswapd') },
      { label: 'pgsteal_kswapd', colour: '#c39bd3', value: vm('pgsteal_kswapd') },
      { label: 'pgscan_direct', colour: '#16a085', value: vm('pgscan_direct') },
      { label: 'pgsteal_direct', colour: '#76d7c4', value: vm('pgsteal_direct') },
    ],
  },
];

/** Largest y of each chart over every pane, so side-by-side charts share their y axis. */
export class SharedY {
  private readonly max = new Map<string, number>();
  note(id: string, y: number): void {
    if (y > (this.max.get(id) ?? 0)) this.max.set(id, y);
  }
  get(id: string): number {
    return this.max.get(id) ?? 0;
  }
}

const SYNC_KEY = 'pagelab';

const AXIS_FONT = '12px system-ui, -apple-system, "Segoe UI", sans-serif';
let measureCtx: CanvasRenderingContext2D | null = null;

/** Room for a compact label like "1.25M": every chart's plot starts at the same x unless a label is wider. */
const Y_AXIS_MIN_PX = 50;

/** The y axis's width: its widest tick label, the tick and a gap (so no label is clipped). */
function yAxisSize(_u: uPlot, values: string[] | null): number {
  measureCtx ??= document.createElement('canvas').getContext('2d')!;
  measureCtx.font = AXIS_FONT;
  let w = 0;
  for (const v of values ?? []) w = Math.max(w, measureCtx.measureText(v).width);
  return Math.max(Y_AXIS_MIN_PX, Math.ceil(w) + 16);
}

/** Whole-number tick steps for counters (uPlot's defaults include 0.5 and smaller). */
const INTEGER_INCRS = Array.from({ length: 12 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat();

/** A short line in the colour and dash of an OOM marker, for the key above the charts. */
function mark(colour: string, dashed: boolean): HTMLElement {
  const m = el('span', 'oom-mark');
  m.style.borderLeft = `2px ${dashed ? 'dashed' : 'solid'} ${colour}`;
  return m;
}

export class ChartSet {
  readonly element: HTMLElement;
  /** uPlot's aligned data per chart: [x seconds, ...series]. */
  readonly data = new Map<string, number[][]>();
  private readonly plots = new Map<string, uPlot>();
  private ooms: readonly OomMark[] = [];
  private readonly dirty = new Set<string>();

  constructor(totalNs: number, private readonly shared: SharedY) {
    this.element = el('div', 'charts');
    const key = el('p', 'chart-key');
    key.append(
      'Vertical lines mark OOM kills: ',
      mark('#b30000', false), ' kill, ', mark('#e0115f', true), ' premature kill (plenty of memory free), ', mark('#999999', false), ' no killable task.',
    );
    this.element.append(key);
    const xMax = totalNs / 1e9;
    for (const def of CHART_DEFS) {
      const box = el('div', 'chart');
      box.dataset['chart'] = def.id;
      this.element.append(box);
      const data: number[][] = [[], ...def.series.map(() => [])];
      this.data.set(def.id, data);
      const opts: uPlot.Options = {
        title: def.title,
        width: 400,
        height: heightOf(def),
        cursor: { sync: { key: SYNC_KEY } },
        legend: { show: true, live: true },
        scales: {
          x: { time: false, range: [0, xMax] },
          y: {
            range: (_u, _min, max) => [0, def.yMax ?? Math.max(1, max, this.shared.get(def.id)) * 1.05],
            ...(def.logish ? { distr: 4 as const, asinh: 1 } : {}),
          },
        },
        axes: [
          { label: 'simulated s', size: 36, labelSize: 14, font: AXIS_FONT },
          {
            font: AXIS_FONT,
            size: yAxisSize,
            // uPlot hands a filtered-out split over as null.
            values: (_u, splits) => splits.map((v: number | null) => (v == null ? '' : compactNumber(v))),
            ...(def.integer ? { incrs: INTEGER_INCRS } : {}),
            ...(def.logish ? { splits: (_u: uPlot, _i: number, _min: number, max: number) => decades(max), filter: (_u: uPlot, splits: number[]) => splits } : {}),
          },
        ],
        series: [{ label: 's', value: (_u, v) => (v == null ? '–' : v.toFixed(2)) }, ...def.series.map((s) => ({ label: s.label, stroke: s.colour, width: 1.5, points: { show: false } }))],
        hooks: { draw: [(u) => this.drawOoms(u)] },
      };
      this.plots.set(def.id, new uPlot(opts, data as uPlot.AlignedData, box));
    }
    new ResizeObserver(() => this.resize()).observe(this.element);
  }

  private resize(): void {
    const w = Math.max(200, Math.floor(this.element.clientWidth) - 4);
    for (const def of CHART_DEFS) {
      const p = this.plots.get(def.id)!;
      if (p.width !== w) p.setSize({ width: w, height: heightOf(def) });
    }
  }

  /** Append samples (and note the y maxima for the other pane). */
  add(samples: readonly Sample[], ooms: readonly OomMark[]): void {
    this.ooms = ooms;
    if (samples.length === 0) return;
    for (const def of CHART_DEFS) {
      const d = this.data.get(def.id)!;
      for (const s of samples) {
        d[0]!.push(s.timeNs / 1e9);
        def.series.forEach((sd, i) => {
          const y = sd.value(s);
          d[i + 1]!.push(y);
          this.shared.note(def.id, y);
        });
      }
    }
  }

  /** Every chart needs redrawing (new samples here or a new y maximum in the other pane). */
  invalidate(): void {
    for (const def of CHART_DEFS) this.dirty.add(def.id);
  }

  /** Redraw one chart that needs it (one per animation frame keeps each task short); false if none did. */
  refreshOne(): boolean {
    for (const id of this.dirty) {
      this.dirty.delete(id);
      this.plots.get(id)!.setData(this.data.get(id)! as uPlot.AlignedData, true);
      return true;
    }
    return false;
  }

  private drawOoms(u: uPlot): void {
    if (this.ooms.length === 0) return;
    const ctx = u.ctx;
    const { top, height } = u.bbox;
    ctx.save();
    ctx.lineWidth = Math.max(1, devicePixelRatio);
    for (const o of this.ooms) {
      const x = Math.round(u.valToPos(o.timeNs / 1e9, 'x', true));
      ctx.strokeStyle = o.victim === '' ? '#999999' : o.premature ? '#e0115f' : '#b30000';
      ctx.setLineDash(o.premature ? [4, 3] : []);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
    }
    ctx.restore();
  }
}
