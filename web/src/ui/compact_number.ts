/** Axis tick labels: 950, 2.5k, 500k, 1.25M (three significant digits at most). No DOM, so Node tests it. */
export function compactNumber(v: number): string {
  const r = Number(v.toPrecision(3)); // rounded first, so 999,999 is 1M, not 1000k
  const a = Math.abs(r);
  const [div, unit] = a >= 1e9 ? [1e9, 'G'] : a >= 1e6 ? [1e6, 'M'] : a >= 1e3 ? [1e3, 'k'] : [1, ''];
  return `${Number((r / div).toPrecision(3))}${unit}`;
}
