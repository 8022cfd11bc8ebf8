/**
 * The sidebar's layout, remembered across visits: its width (the splitter on its right edge,
 * so long YAML lines fit the editor) and whether "What am I looking at?" is open (open until
 * the reader closes it).
 */

const WIDTH_KEY = 'pagelab.sidebarWidth';
const EXPLAIN_KEY = 'pagelab.explainClosed';
const DEFAULT_PX = 360;
/** Double-click or Enter on the splitter: wide enough for a scenario's 100-column comments. */
const WIDE_PX = 800;
const MIN_PX = 280;
const KEY_STEP_PX = 40;

function load(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null; // storage blocked: defaults every visit
  }
}

function store(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // storage blocked
  }
}

export function installSidebar(layout: HTMLElement, sidebar: HTMLElement, splitter: HTMLElement, explain: HTMLDetailsElement): void {
  const maxPx = (): number => Math.max(MIN_PX, Math.floor(layout.clientWidth * 0.7));
  const setWidth = (px: number, save: boolean): void => {
    const w = Math.round(Math.min(maxPx(), Math.max(MIN_PX, px)));
    layout.style.setProperty('--sidebar-w', `${w}px`);
    splitter.setAttribute('aria-valuenow', String(w));
    splitter.setAttribute('aria-valuemax', String(maxPx()));
    if (save) store(WIDTH_KEY, String(w));
  };
  const current = (): number => sidebar.getBoundingClientRect().width;
  const saved = (): number => {
    const w = Number(load(WIDTH_KEY));
    return Number.isFinite(w) && w > 0 ? w : DEFAULT_PX;
  };
  splitter.setAttribute('aria-valuemin', String(MIN_PX));
  setWidth(saved(), false);

  splitter.addEventListener('pointerdown', (e) => {
    e.preventDefault();
    splitter.setPointerCapture(e.pointerId);
    splitter.classList.add('dragging');
    const x0 = e.clientX;
    const w0 = current();
    const move = (m: PointerEvent): void => setWidth(w0 + m.clientX - x0, false);
    const up = (): void => {
      splitter.classList.remove('dragging');
      splitter.removeEventListener('pointermove', move);
      splitter.removeEventListener('pointerup', up);
      splitter.removeEventListener('pointercancel', up);
      setWidth(current(), true);
    };
    splitter.addEventListener('pointermove', move);
    splitter.addEventListener('pointerup', up);
    splitter.addEventListener('pointercancel', up);
  });
  const toggleWide = (): void => setWidth(current() < WIDE_PX - 1 ? WIDE_PX : DEFAULT_PX, true);
  splitter.addEventListener('dblclick', toggleWide);
  splitter.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      e.preventDefault();
      setWidth(current() + (e.key === 'ArrowRight' ? KEY_STEP_PX : -KEY_STEP_PX), true);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      toggleWide();
    }
  });

  // A narrower window keeps room for the maps (the saved width comes back when it is wide again).
  window.addEventListener('resize', () => setWidth(saved(), false));

  if (load(EXPLAIN_KEY) === '1') explain.open = false;
  explain.addEventListener('toggle', () => store(EXPLAIN_KEY, explain.open ? '0' : '1'));
}
