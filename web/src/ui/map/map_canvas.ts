/**
 * One pane's memory map: a canvas drawn by MapRenderer, zone boundaries and names on top, and
 * the mouse: hover for a page's details, click to highlight its owner's pages, drag to pan,
 * wheel to zoom (the view is shared, so side-by-side maps move together).
 */
import { CATEGORIES, CATEGORY_MASK, cssColor } from '../../shared/categories.js';
import type { PageInfo } from '../../shared/protocol.js';
import { MIGRATETYPE_NAMES } from '../../../../src/mm/constants.js';
import { el, hex } from '../format.js';
import { TILE_H, TILE_W, type TileLayout } from './layout.js';
import type { ColourMode } from './palette.js';
import { MapRenderer, type MapState } from './render.js';
import type { MapView } from './view.js';

export interface MapHooks {
  inspect(pfn: number): Promise<PageInfo | null>;
  select(pfn: number): void;
}

const ZONE_COLOUR = '#ffd400';
/** Bounds of the map canvas's CSS height. */
const MIN_CSS_HEIGHT = 200;
const MAX_CSS_HEIGHT = 440;

export class MapCanvas {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly tooltip: HTMLElement;
  private readonly renderer: MapRenderer;
  private readonly zoneEdges: [number, number, number, number][];
  private img: ImageData | null = null;
  private state: MapState | null = null;
  private dirty = true;
  private hoverSeq = 0;
  /** Milliseconds the last draw took (renderer + putImageData + overlay). */
  lastDrawMs = 0;
  draws = 0;

  constructor(
    readonly layout: TileLayout,
    private readonly view: MapView,
    private mode: ColourMode,
    private readonly hooks: MapHooks,
  ) {
    this.renderer = new MapRenderer(layout);
    this.zoneEdges = layout.zoneEdges();
    this.element = el('div', 'map');
    this.canvas = el('canvas');
    this.canvas.setAttribute('aria-label', 'physical memory map: one cell per page frame, by pfn');
    this.canvas.setAttribute('role', 'img');
    this.tooltip = el('div', 'map-tooltip');
    this.tooltip.hidden = true;
    this.element.append(this.canvas, this.tooltip);
    const ctx = this.canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('no 2D canvas context');
    this.ctx = ctx;
    view.onChange(() => this.invalidate());
    new ResizeObserver(() => this.resize()).observe(this.element);
    this.listen();
  }

  setState(state: MapState): void {
    this.state = state;
    this.invalidate();
  }

  setMode(mode: ColourMode): void {
    this.mode = mode;
    this.invalidate();
  }

  invalidate(): void {
    this.dirty = true;
  }

  private resize(): void {
    // As tall as the machine's aspect asks, within bounds: no empty bands around a small machine.
    const cssH = Math.round(Math.min(MAX_CSS_HEIGHT, Math.max(MIN_CSS_HEIGHT, (this.canvas.clientWidth * this.layout.height) / this.layout.width)));
    if (this.canvas.style.height !== `${cssH}px`) this.canvas.style.height = `${cssH}px`;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.floor(this.canvas.clientWidth * dpr));
    const h = Math.max(1, Math.floor(this.canvas.clientHeight * dpr));
    if (w === this.canvas.width && h === this.canvas.height && this.img) return;
    this.canvas.width = w;
    this.canvas.height = h;
    this.img = this.ctx.createImageData(w, h);
    this.view.fitIfNew(w, h);
    this.invalidate();
  }

  get size(): { w: number; h: number } {
    return { w: this.canvas.width, h: this.canvas.height };
  }

  /** Draw if something changed since the last draw; true when it drew. */
  drawIfDirty(): boolean {
    if (!this.dirty || !this.state || !this.img) return false;
    const t0 = performance.now();
    this.renderer.render(this.img, this.state, this.view, this.mode);
    this.ctx.putImageData(this.img, 0, 0);
    this.drawZones();
    this.dirty = false;
    this.lastDrawMs = performance.now() - t0;
    this.draws++;
    return true;
  }

  private drawZones(): void {
    const ctx = this.ctx;
    const v = this.view;
    ctx.save();
    ctx.strokeStyle = ZONE_COLOUR;
    ctx.lineWidth = 2;
    ctx.beginPath();
    for (const [x0, y0, x1, y1] of this.zoneEdges) {
      const a = v.pixelOf(x0, y0);
      const b = v.pixelOf(x1, y1);
      ctx.moveTo(a.x, a.y);
      ctx.lineTo(b.x, b.y);
    }
    ctx.stroke();
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    const g = this.layout.geometry;
    for (const z of g.zones) {
      const first = Math.max(0, Math.floor((z.startPfn - g.pfnBase) / (TILE_W * TILE_H)));
      const c = this.layout.cellOf(first * TILE_W * TILE_H);
      const p = v.pixelOf(c.x, c.y);
      const text = g.zones.length > 1 && new Set(g.zones.map((x) => x.nid)).size > 1 ? `Node ${z.nid} ${z.name}` : z.name;
      const x = Math.max(2, p.x + 3);
      const y = Math.max(2, p.y + 3);
      if (x > this.canvas.width - 20 || y > this.canvas.height - 14) continue;
      const w = ctx.measureText(text).width;
      ctx.fillStyle = 'rgba(0,0,0,0.65)';
      ctx.fillRect(x - 2, y - 1, w + 4, 15);
      ctx.fillStyle = ZONE_COLOUR;
      ctx.fillText(text, x, y);
    }
    ctx.restore();
  }

  /** Canvas (backing-store) pixel of the centre of pfn's cell, for tests and "go to pfn". */
  pagePoint(pfn: number): { x: number; y: number } | null {
    const slot = pfn - this.layout.geometry.pfnBase;
    if (slot < 0 || slot >= this.layout.geometry.nrPages) return null;
    const c = this.layout.cellOf(slot);
    return this.view.pixelOf(c.x + 0.5, c.y + 0.5);
  }

  private pfnAt(e: MouseEvent): { pfn: number; slot: number; summary: boolean } | null {
    const dpr = window.devicePixelRatio || 1;
    const c = this.view.cellAt(e.offsetX * dpr, e.offsetY * dpr);
    const slot = this.layout.slotAt(c.x, c.y);
    if (slot < 0) return null;
    return { pfn: slot + this.layout.geometry.pfnBase, slot, summary: this.view.scale < 1 };
  }

  private listen(): void {
    const c = this.canvas;
    let down: { x: number; y: number } | null = null;
    let dragged = false;
    c.addEventListener('pointerdown', (e) => {
      down = { x: e.clientX, y: e.clientY };
      dragged = false;
      c.setPointerCapture(e.pointerId);
    });
    c.addEventListener('pointermove', (e) => {
      if (down) {
        const dx = e.clientX - down.x;
        const dy = e.clientY - down.y;
        if (dragged || Math.abs(dx) + Math.abs(dy) > 3) {
          dragged = true;
          const dpr = window.devicePixelRatio || 1;
          this.view.panBy(dx * dpr, dy * dpr);
          down = { x: e.clientX, y: e.clientY };
        }
        return;
      }
      this.hover(e);
    });
    c.addEventListener('pointerup', (e) => {
      if (down && !dragged) {
        const at = this.pfnAt(e);
        this.hooks.select(at ? at.pfn : -1);
      }
      down = null;
    });
    c.addEventListener('pointerleave', () => {
      this.tooltip.hidden = true;
    });
    c.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        const dpr = window.devicePixelRatio || 1;
        this.view.zoomAt(e.deltaY < 0 ? 1.25 : 0.8, e.offsetX * dpr, e.offsetY * dpr);
      },
      { passive: false },
    );
  }

  private hover(e: MouseEvent): void {
    const at = this.pfnAt(e);
    const state = this.state;
    if (!at || !state) {
      this.tooltip.hidden = true;
      return;
    }
    const seq = ++this.hoverSeq;
    const block = at.slot >>> 9;
    const mt = MIGRATETYPE_NAMES[state.blocks[block]!] ?? '?';
    const cat = CATEGORIES[state.cats[at.slot]! & CATEGORY_MASK];
    const blockStart = (block << 9) + this.layout.geometry.pfnBase;
    const head = at.summary
      ? `pageblock ${hex(blockStart)}–${hex(blockStart + 511)}: ${mt}\n${this.blockSummary(block)}`
      : `pfn ${hex(at.pfn)} · pageblock ${hex(blockStart)} ${mt}\n${cat?.label ?? '?'}`;
    this.showTooltip(e, head, cat ? cssColor(cat.rgb) : '#000');
    if (at.summary) return;
    void this.hooks.inspect(at.pfn).then((info) => {
      if (seq !== this.hoverSeq || !info || this.tooltip.hidden) return;
      this.showTooltip(e, `${head}\n${describe(info)}`, cat ? cssColor(cat.rgb) : '#000');
    });
  }

  /** The largest holders of one pageblock, for the summary-mode tooltip. */
  private blockSummary(block: number): string {
    const cats = this.state!.cats;
    const counts = new Map<number, number>();
    for (let s = block << 9, e = s + 512; s < e; s++) {
      const c = cats[s]! & CATEGORY_MASK;
      counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    return [...counts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([c, n]) => `${n} ${CATEGORIES[c]?.label ?? '?'}`)
      .join('\n');
  }

  private showTooltip(e: MouseEvent, text: string, swatch: string): void {
    const t = this.tooltip;
    t.textContent = '';
    const sw = el('span', 'swatch');
    sw.style.background = swatch;
    t.append(sw, text);
    t.hidden = false;
    const x = e.offsetX + 14;
    const y = e.offsetY + 14;
    t.style.left = `${Math.min(x, this.canvas.clientWidth - 260)}px`;
    t.style.top = `${y}px`;
  }
}

function describe(i: PageInfo): string {
  const lines = [
    `${i.zone}${i.pageblockSkip ? ' · skip bit set' : ''}`,
    `flags: ${i.flags.length ? i.flags.join(' ') : '(none)'}`,
    `refcount ${i.refcount} · mapcount ${i.mapcount} · order ${i.order}`,
    `owner: ${i.owner}`,
  ];
  if (i.gem) {
    const g = i.gem;
    lines.push(`GEM ${g.name}: ${g.hasPages ? 'has pages (pinned)' : 'no pages held'}, ${g.pagesPinCount} pin${g.pagesPinCount === 1 ? '' : 's'}${g.active ? ', GPU active' : ''}, ${g.pages} pages`);
    lines.push('click to highlight all its pages');
  }
  return lines.join('\n');
}
