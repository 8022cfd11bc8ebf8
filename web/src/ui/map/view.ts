/**
 * The map's zoom and pan, shared by the panes so that side-by-side maps show the same pfns.
 * `scale` is canvas pixels per page cell; (x0, y0) is the cell coordinate at the canvas's
 * top-left corner.
 */

export const MIN_SCALE = 1 / 64;
export const MAX_SCALE = 32;

export class MapView {
  scale = 1;
  x0 = 0;
  y0 = 0;
  private fitted = false;
  private readonly listeners: (() => void)[] = [];

  constructor(private readonly contentW: number, private readonly contentH: number) {}

  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  /** The whole machine in a `w` x `h` pixel canvas, centred. */
  fit(w: number, h: number): void {
    this.scale = Math.max(MIN_SCALE, Math.min(MAX_SCALE, Math.min(w / this.contentW, h / this.contentH)));
    this.x0 = (this.contentW - w / this.scale) / 2;
    this.y0 = (this.contentH - h / this.scale) / 2;
    this.fitted = true;
    this.changed();
  }

  /** Fit once, the first time a canvas knows its size. */
  fitIfNew(w: number, h: number): void {
    if (!this.fitted) this.fit(w, h);
  }

  /** Zoom by `factor` keeping the cell under canvas pixel (px, py) in place. */
  zoomAt(factor: number, px: number, py: number): void {
    const s = Math.max(MIN_SCALE, Math.min(MAX_SCALE, this.scale * factor));
    const cx = this.x0 + px / this.scale;
    const cy = this.y0 + py / this.scale;
    this.scale = s;
    this.x0 = cx - px / s;
    this.y0 = cy - py / s;
    this.changed();
  }

  panBy(dxPx: number, dyPx: number): void {
    this.x0 -= dxPx / this.scale;
    this.y0 -= dyPx / this.scale;
    this.changed();
  }

  /** Centre cell (cx, cy) in a `w` x `h` canvas at `scale`. */
  centerOn(cx: number, cy: number, w: number, h: number, scale = this.scale): void {
    this.scale = Math.max(MIN_SCALE, Math.min(MAX_SCALE, scale));
    this.x0 = cx - w / 2 / this.scale;
    this.y0 = cy - h / 2 / this.scale;
    this.changed();
  }

  /** Canvas pixel -> cell coordinate. */
  cellAt(px: number, py: number): { x: number; y: number } {
    return { x: Math.floor(this.x0 + px / this.scale), y: Math.floor(this.y0 + py / this.scale) };
  }

  /** Cell coordinate -> canvas pixel (top-left of the cell). */
  pixelOf(cx: number, cy: number): { x: number; y: number } {
    return { x: (cx - this.x0) * this.scale, y: (cy - this.y0) * this.scale };
  }
}
