/** The legend: every colour of both colourings, with each pane's page count per holder. */
import { MIGRATETYPE_NAMES } from '../../../src/mm/constants.js';
import { CATEGORIES, MIGRATETYPE_HELP, MIGRATETYPE_RGB, cssColor } from '../shared/categories.js';
import { el, int } from './format.js';
import { HIGHLIGHT_RGB, type ColourMode } from './map/palette.js';

export class Legend {
  private readonly holder: HTMLTableElement;
  private readonly migratetype: HTMLTableElement;
  private readonly head: HTMLTableRowElement;
  private countCells: HTMLTableCellElement[][] = [];

  constructor(host: HTMLElement) {
    this.holder = el('table', 'legend');
    this.holder.dataset['legend'] = 'holder';
    this.head = el('tr');
    this.holder.append(this.head);
    for (const c of CATEGORIES) {
      const tr = el('tr');
      tr.title = c.help;
      tr.dataset['category'] = String(c.id);
      tr.dataset['color'] = cssColor(c.rgb);
      tr.append(swatchCell(cssColor(c.rgb), c.label));
      this.holder.append(tr);
    }
    this.holder.append(row(cssColor(HIGHLIGHT_RGB), 'selected owner (click a page)'));
    this.migratetype = el('table', 'legend');
    this.migratetype.dataset['legend'] = 'migratetype';
    MIGRATETYPE_NAMES.forEach((name, t) => {
      const m = MIGRATETYPE_RGB[t]!;
      const used = row(cssColor(m.used), `${name}, used`);
      used.title = MIGRATETYPE_HELP[t]!;
      const free = row(cssColor(m.free), `${name}, free`);
      free.title = MIGRATETYPE_HELP[t]!;
      this.migratetype.append(used, free);
    });
    this.migratetype.append(row(cssColor(HIGHLIGHT_RGB), 'selected owner (click a page)'));
    host.append(this.holder, this.migratetype);
    this.setMode('holder');
    this.setPanes([]);
  }

  setMode(mode: ColourMode): void {
    this.holder.hidden = mode !== 'holder';
    this.migratetype.hidden = mode !== 'migratetype';
  }

  /** One count column per pane (variant names as headers). */
  setPanes(variants: string[]): void {
    this.head.textContent = '';
    this.head.append(el('th', undefined, 'holder'), ...variants.map((v) => el('th', undefined, v)));
    const rows = [...this.holder.querySelectorAll<HTMLTableRowElement>('tr[data-category]')];
    this.countCells = variants.map(() => []);
    for (const tr of rows) {
      for (const td of tr.querySelectorAll('td.num')) td.remove();
      variants.forEach((_, i) => {
        const td = el('td', 'num', '');
        tr.append(td);
        this.countCells[i]!.push(td);
      });
    }
  }

  /** Pages per category for pane `i`. */
  setCounts(i: number, counts: readonly number[]): void {
    const cells = this.countCells[i];
    if (!cells) return;
    cells.forEach((td, c) => {
      const n = counts[c] ?? 0;
      td.textContent = n === 0 ? '' : int(n);
    });
  }
}

function swatchCell(colour: string, label: string): HTMLTableCellElement {
  const td = el('td');
  const sw = el('span', 'swatch');
  sw.style.background = colour;
  td.append(sw, label);
  return td;
}

function row(colour: string, label: string): HTMLTableRowElement {
  const tr = el('tr');
  tr.dataset['color'] = colour;
  tr.append(swatchCell(colour, label));
  return tr;
}
