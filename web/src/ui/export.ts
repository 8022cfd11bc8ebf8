/**
 * Export: the files `pagelab run --out` writes, one folder per variant, zipped (fflate, off
 * the main thread), at the end or of the run so far; and the maps as one PNG.
 */
import { zip, type AsyncZippable } from 'fflate';
import type { Pane } from './pane.js';
import type { SimClient } from './sim_client.js';

function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * The zip, named `name` (plus the simulated time when the runs have not ended: their files are
 * of the run so far, and each summary.json says it is partial).
 */
export async function exportOutputs(clients: readonly SimClient[], name: string, partial: boolean): Promise<void> {
  const tree: AsyncZippable = {};
  let simNs = 0;
  for (const c of clients) {
    const out = await c.exportFiles();
    simNs = out.simNs;
    for (const [file, data] of Object.entries(out.files)) tree[`${out.dir}/${file}`] = data;
  }
  const bytes = await new Promise<Uint8Array>((resolve, reject) => zip(tree, { level: 6 }, (err, data) => (err ? reject(err) : resolve(data))));
  const suffix = partial ? `-${(simNs / 1e9).toFixed(2)}s-partial` : '';
  download(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/zip' }), `${name}${suffix}.zip`);
}

/** Every pane's map side by side, with its variant name above it. */
export async function exportPng(panes: readonly Pane[], name: string): Promise<void> {
  const label = 22;
  const gap = 8;
  const w = panes.reduce((s, p) => s + p.map.canvas.width, 0) + gap * (panes.length - 1);
  const h = Math.max(...panes.map((p) => p.map.canvas.height)) + label;
  const out = document.createElement('canvas');
  out.width = w;
  out.height = h;
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, w, h);
  ctx.font = '14px system-ui, sans-serif';
  ctx.fillStyle = '#1d2127';
  let x = 0;
  for (const p of panes) {
    ctx.fillText(`${p.info.scenario} / ${p.info.variant} / seed ${p.info.seed}`, x + 4, 16);
    ctx.drawImage(p.map.canvas, x, label);
    x += p.map.canvas.width + gap;
  }
  const blob = await new Promise<Blob | null>((resolve) => out.toBlob(resolve, 'image/png'));
  if (blob) download(blob, `${name}.png`);
}
