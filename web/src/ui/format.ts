/** Small text formatting helpers for the page. */

export const hex = (n: number): string => `0x${n.toString(16)}`;

export function seconds(ns: number): string {
  const s = ns / 1e9;
  return s < 10 ? `${s.toFixed(2)} s` : `${s.toFixed(1)} s`;
}

/** Pages as MiB (4 KiB pages). */
export function mib(pages: number): string {
  const m = pages / 256;
  return m >= 100 ? `${Math.round(m)} MiB` : `${m.toFixed(1)} MiB`;
}

export function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** An element with optional class and text. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
