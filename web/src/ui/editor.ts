/**
 * The scenario editor: a plain textarea with a line-number gutter, and the loader's error shown
 * at its line (gutter mark, a band under the line, the message below with a link to it).
 */
import type { InputProblem } from '../shared/protocol.js';
import { el } from './format.js';

const LINE_PX = 18;
const PAD_PX = 4;

export class YamlEditor {
  readonly element: HTMLElement;
  readonly textarea: HTMLTextAreaElement;
  private readonly gutter: HTMLElement;
  private readonly band: HTMLElement;
  readonly message: HTMLElement;
  private lines = 0;
  private problemLine: number | null = null;

  constructor(host: HTMLElement, onInput: () => void) {
    this.element = el('div', 'editor');
    this.gutter = el('div', 'gutter');
    this.gutter.setAttribute('aria-hidden', 'true');
    this.textarea = el('textarea');
    this.textarea.id = 'yaml-text';
    this.textarea.spellcheck = false;
    this.textarea.wrap = 'off';
    this.band = el('div', 'error-band');
    this.band.hidden = true;
    this.element.append(this.gutter, this.textarea, this.band);
    this.message = el('div');
    this.message.setAttribute('role', 'alert');
    host.append(this.element, this.message);
    this.textarea.addEventListener('input', () => {
      this.renumber();
      onInput();
    });
    this.textarea.addEventListener('scroll', () => this.syncScroll());
    this.textarea.addEventListener('keydown', (e) => {
      if (e.key === 'Tab') {
        e.preventDefault();
        this.textarea.setRangeText('  ', this.textarea.selectionStart, this.textarea.selectionEnd, 'end');
        this.renumber();
        onInput();
      }
    });
  }

  get text(): string {
    return this.textarea.value;
  }

  set text(t: string) {
    this.textarea.value = t;
    this.textarea.scrollTop = 0;
    this.renumber();
  }

  private renumber(): void {
    const n = this.textarea.value.split('\n').length;
    if (n !== this.lines) {
      this.lines = n;
      this.gutter.textContent = '';
      for (let i = 1; i <= n; i++) {
        const d = el('div', undefined, String(i));
        d.dataset['line'] = String(i);
        this.gutter.append(d);
      }
    }
    this.mark();
  }

  private syncScroll(): void {
    this.gutter.scrollTop = this.textarea.scrollTop;
    this.placeBand();
  }

  private placeBand(): void {
    if (this.problemLine === null) return;
    const top = PAD_PX + (this.problemLine - 1) * LINE_PX - this.textarea.scrollTop;
    this.band.style.top = `${top}px`;
    this.band.hidden = top < -LINE_PX || top > this.textarea.clientHeight;
  }

  private mark(): void {
    for (const d of this.gutter.querySelectorAll('.error')) d.classList.remove('error');
    if (this.problemLine !== null) this.gutter.querySelector(`[data-line="${this.problemLine}"]`)?.classList.add('error');
    this.band.hidden = this.problemLine === null;
    this.placeBand();
  }

  /** Show the loader's problem (null: the text is valid, with a short note). */
  showProblem(problem: InputProblem | null, okNote = ''): void {
    this.problemLine = problem?.line ?? null;
    this.message.textContent = '';
    this.message.className = problem ? 'problem' : 'ok';
    this.message.dataset['line'] = problem?.line ? String(problem.line) : '';
    if (problem) {
      this.message.append(problem.message);
      if (problem.line) {
        const go = el('button', undefined, `Go to line ${problem.line}`);
        go.type = 'button';
        go.addEventListener('click', () => this.goToLine(problem.line!));
        this.message.append(el('br'), go);
      }
    } else {
      this.message.textContent = okNote;
    }
    this.mark();
  }

  goToLine(line: number): void {
    const lines = this.textarea.value.split('\n');
    let pos = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) pos += lines[i]!.length + 1;
    this.textarea.focus();
    this.textarea.setSelectionRange(pos, pos + (lines[line - 1]?.length ?? 0));
    this.textarea.scrollTop = Math.max(0, (line - 4) * LINE_PX);
    this.syncScroll();
  }
}
