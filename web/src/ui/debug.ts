/**
 * `window.pagelab`: a read-only handle on what the page shows, for the browser tests and the
 * benchmark (chart data, map pixels of a pfn, draw statistics) and for the curious in devtools.
 */
import type { OomMark } from '../shared/protocol.js';
import type { Session } from './session.js';

export interface DebugHandle {
  /** Panes, left to right: variant, simulated time, whether done, summary.json text. */
  panes(): { variant: string; simNs: number; done: boolean; summaryJson: string | null; frames: number }[];
  /** The OOM marks the charts of pane `i` draw. */
  ooms(i: number): OomMark[];
  /** uPlot data of chart `id` in pane `i`: [x seconds, ...series]. */
  chartData(i: number, id: string): number[][] | null;
  /** Canvas pixel (backing store) of pfn's cell centre in pane `i`, and its RGBA there. */
  pixelAt(i: number, pfn: number): { x: number; y: number; rgba: number[] } | null;
  stats(): { rafs: number; draws: number; maxDrawMs: number; totalDrawMs: number } | null;
  /** Start the draw statistics afresh. */
  resetStats(): void;
  /** Pan the shared map view by canvas pixels, or zoom it about the first canvas's centre. */
  pan(dx: number, dy: number): void;
  zoom(factor: number): void;
}

declare global {
  interface Window {
    pagelab: DebugHandle;
  }
}

export function installDebugHandle(session: () => Session | null): void {
  window.pagelab = {
    panes: () =>
      (session()?.panes ?? []).map((p) => ({
        variant: p.info.variant,
        simNs: p.client.simNs,
        done: p.client.done,
        summaryJson: p.client.summaryJson,
        frames: p.client.frames,
      })),
    ooms: (i) => [...(session()?.panes[i]?.client.ooms ?? [])],
    chartData: (i, id) => session()?.panes[i]?.charts.data.get(id)?.map((a) => [...a]) ?? null,
    pixelAt: (i, pfn) => {
      const p = session()?.panes[i];
      if (!p) return null;
      p.map.drawIfDirty();
      const pt = p.map.pagePoint(pfn);
      if (!pt) return null;
      const x = Math.floor(pt.x);
      const y = Math.floor(pt.y);
      if (x < 0 || y < 0 || x >= p.map.canvas.width || y >= p.map.canvas.height) return null;
      const d = p.map.canvas.getContext('2d')!.getImageData(x, y, 1, 1).data;
      return { x, y, rgba: [d[0]!, d[1]!, d[2]!, d[3]!] };
    },
    stats: () => {
      const s = session();
      return s ? { ...s.stats } : null;
    },
    resetStats: () => {
      const s = session();
      if (s) Object.assign(s.stats, { rafs: 0, draws: 0, maxDrawMs: 0, totalDrawMs: 0 });
    },
    pan: (dx, dy) => session()?.view?.panBy(dx, dy),
    zoom: (factor) => {
      const s = session();
      const p = s?.panes[0];
      if (s?.view && p) s.view.zoomAt(factor, p.map.size.w / 2, p.map.size.h / 2);
    },
  };
}
