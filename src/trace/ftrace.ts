/**
 * The text of /sys/kernel/tracing/trace for the kmem page-allocator events, as Linux 6.1
 * prints it with the default trace options (nop tracer, irq-info on, no tgid, hash-ptr on,
 * clock "local" so timestamps are seconds.microseconds), and a parser for that text.
 *
 * Sources: kernel/trace/trace.c (s_show, print_event_info, print_func_help_header_irq,
 * ns2usecs), kernel/trace/trace_output.c (trace_print_context, trace_print_lat_fmt,
 * trace_print_time, trace_raw_output_prep), include/trace/events/kmem.h (TP_printk).
 *
 * Browser-safe: no Node modules.
 */
import { MAX_ORDER, PAGEBLOCK_ORDER } from '../mm/constants.js';
import type { KmemTraceSink, TraceContext, TraceEventSink } from '../mm/tracepoints.js';
import { parseGfpFlags, showGfpFlags } from './gfp_names.js';

// ---------------------------------------------------------------------------------------------
// Header
// ---------------------------------------------------------------------------------------------

/**
 * print_func_help_header_irq() with tgid off: each line is the kernel's format string with
 * `%.*s` at precision 2 (two spaces of padding, or the first two characters of the
 * `     TGID   ` / `       |    ` column titles, also spaces).
 */
const HEADER_IRQ_PAD = '#                            ' + '  ';
const HEADER_IRQ_TAIL =
  HEADER_IRQ_PAD + '  _-----=> irqs-off/BH-disabled\n' +
  HEADER_IRQ_PAD + ' / _----=> need-resched\n' +
  HEADER_IRQ_PAD + '| / _---=> hardirq/softirq\n' +
  HEADER_IRQ_PAD + '|| / _--=> preempt-depth\n' +
  HEADER_IRQ_PAD + '||| / _-=> migrate-disable\n' +
  HEADER_IRQ_PAD + '|||| /     delay\n' +
  '#           TASK-PID  ' + '  ' + ' CPU#  |||||  TIMESTAMP  FUNCTION\n' +
  '#              | |    ' + '  ' + '   |   |||||     |         |\n';

/**
 * The header s_show() prints before the first entry: `# tracer: nop`, `#`, then
 * print_event_info() (`entries-in-buffer/entries-written: %lu/%lu   #P:%d`, `#`) and the
 * irq-info column legend. Ends with a newline.
 */
export function ftraceHeader(entries: number, written: number, nrCpus: number): string {
  return (
    '# tracer: nop\n#\n' +
    `# entries-in-buffer/entries-written: ${entries}/${written}   #P:${nrCpus}\n#\n` +
    HEADER_IRQ_TAIL
  );
}

// ---------------------------------------------------------------------------------------------
// Line prefix
// ---------------------------------------------------------------------------------------------

/** TASK_COMM_LEN - 1: the longest comm the kernel can hold. */
const COMM_MAX = 15;

/** The five trace_print_lat_fmt() characters; the model never has irqs off or preemption. */
const IDLE_FLAGS = '.....';

/**
 * The timestamp column, `" %5lu.%06lu"` of ns2usecs(ts) (which rounds to the nearest
 * microsecond), without the leading space.
 */
export function formatTimestamp(timeNs: number): string {
  const us = Math.floor((timeNs + 500) / 1000);
  const secs = Math.floor(us / 1_000_000);
  const usec = us - secs * 1_000_000;
  return String(secs).padStart(5, ' ') + '.' + String(usec).padStart(6, '0');
}

/**
 * One line of the trace file without its newline: trace_print_context()
 * (`%16s-%-7d `, `[%03d] `, the irq/preempt flags, ` %5lu.%06lu`, `: `), then
 * trace_raw_output_prep()'s `%s: ` and the TP_printk body. As trace_find_cmdline() does,
 * pid 0 shows as `<idle>`, and comm is cut to 15 characters like task->comm.
 */
export function formatEventLine(ctx: TraceContext, event: string, body: string): string {
  const comm = ctx.pid === 0 ? '<idle>' : ctx.comm.length > COMM_MAX ? ctx.comm.slice(0, COMM_MAX) : ctx.comm;
  return (
    comm.padStart(16, ' ') +
    '-' +
    String(ctx.pid).padEnd(7, ' ') +
    ' [' +
    String(ctx.cpu).padStart(3, '0') +
    '] ' +
    IDLE_FLAGS +
    ' ' +
    formatTimestamp(ctx.timeNs) +
    ': ' +
    event +
    ': ' +
    body
  );
}

// ---------------------------------------------------------------------------------------------
// kmem event bodies (include/trace/events/kmem.h, 6.1)
// ---------------------------------------------------------------------------------------------

/** What `%p` of a NULL pointer prints (ptr_to_id prints NULL and ERR_PTRs raw). */
export const NULL_PAGE = '0000000000000000';

const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Stand-in for the hashed `%p` of pfn_to_page(pfn): the kernel prints siphash(ptr) masked to
 * 32 bits as 16 hex digits; we print `00000000` and 8 hex digits of a fixed hash of the pfn
 * (never all zeros, which would read as NULL).
 */
export function hashedPagePointer(pfn: number): string {
  const lo = pfn >>> 0;
  const hi = Math.floor(pfn / 0x1_0000_0000) >>> 0;
  const h = fmix32(lo ^ Math.imul(hi, 0x9e3779b1) ^ 0x5bd1e995) || 1;
  return '00000000' + HEX2[h >>> 24]! + HEX2[(h >>> 16) & 0xff]! + HEX2[(h >>> 8) & 0xff]! + HEX2[h & 0xff]!;
}

/** `page=%p pfn=0x%lx` for a valid pfn. */
function pagePfn(pfn: number): string {
  return 'page=' + hashedPagePointer(pfn) + ' pfn=0x' + pfn.toString(16);
}

/**
 * mm_page_alloc: `page=%p pfn=0x%lx order=%d migratetype=%d gfp_flags=%s`. A failed
 * allocation (pfn -1) prints a NULL page and pfn 0.
 */
export function mmPageAllocBody(pfn: number, order: number, gfp: number, migratetype: number): string {
  const head = pfn === -1 ? 'page=' + NULL_PAGE + ' pfn=0x0' : pagePfn(pfn);
  return head + ' order=' + order + ' migratetype=' + migratetype + ' gfp_flags=' + showGfpFlags(gfp);
}

/** mm_page_free: `page=%p pfn=0x%lx order=%d`. */
export function mmPageFreeBody(pfn: number, order: number): string {
  return pagePfn(pfn) + ' order=' + order;
}

/** mm_page_pcpu_drain: `page=%p pfn=0x%lx order=%d migratetype=%d`. */
export function mmPagePcpuDrainBody(pfn: number, order: number, migratetype: number): string {
  return pagePfn(pfn) + ' order=' + order + ' migratetype=' + migratetype;
}

/**
 * mm_page_alloc_extfrag: `page=%p pfn=0x%lx alloc_order=%d fallback_order=%d
 * pageblock_order=%d alloc_migratetype=%d fallback_migratetype=%d fragmenting=%d
 * change_ownership=%d`, fragmenting = fallback_order < pageblock_order.
 */
export function mmPageAllocExtfragBody(
  pfn: number,
  allocOrder: number,
  fallbackOrder: number,
  allocMt: number,
  fallbackMt: number,
  changeOwnership: boolean,
): string {
  return (
    pagePfn(pfn) +
    ' alloc_order=' +
    allocOrder +
    ' fallback_order=' +
    fallbackOrder +
    ' pageblock_order=' +
    PAGEBLOCK_ORDER +
    ' alloc_migratetype=' +
    allocMt +
    ' fallback_migratetype=' +
    fallbackMt +
    ' fragmenting=' +
    (fallbackOrder < PAGEBLOCK_ORDER ? '1' : '0') +
    ' change_ownership=' +
    (changeOwnership ? '1' : '0')
  );
}

// ---------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------

let flattenSink = 0;

/**
 * A KmemTraceSink that renders each event as a trace-file line. Lines go to the callback if
 * one is given (and are then not kept), otherwise into `lines`.
 */
export class FtraceTextWriter implements KmemTraceSink, TraceEventSink {
  /** Rendered lines, without newlines (empty when a callback was given). */
  readonly lines: string[] = [];
  /** Events rendered so far (the `entries-written` count). */
  written = 0;
  private readonly onLine: ((line: string) => void) | undefined;

  constructor(onLine?: (line: string) => void) {
    this.onLine = onLine;
  }

  private emit(line: string): void {
    this.written++;
    if (this.onLine !== undefined) this.onLine(line);
    else {
      // Reading a character makes V8 flatten the string's concatenation tree, which halves
      // the memory (and GC time) of a large retained trace. The sink keeps it from being elided.
      flattenSink ^= line.charCodeAt(line.length - 1);
      this.lines.push(line);
    }
  }

  mmPageAlloc(ctx: TraceContext, pfn: number, order: number, gfp: number, migratetype: number): void {
    this.emit(formatEventLine(ctx, 'mm_page_alloc', mmPageAllocBody(pfn, order, gfp, migratetype)));
  }

  mmPageFree(ctx: TraceContext, pfn: number, order: number): void {
    this.emit(formatEventLine(ctx, 'mm_page_free', mmPageFreeBody(pfn, order)));
  }

  mmPagePcpuDrain(ctx: TraceContext, pfn: number, order: number, migratetype: number): void {
    this.emit(formatEventLine(ctx, 'mm_page_pcpu_drain', mmPagePcpuDrainBody(pfn, order, migratetype)));
  }

  mmPageAllocExtfrag(
    ctx: TraceContext,
    pfn: number,
    allocOrder: number,
    fallbackOrder: number,
    allocMt: number,
    fallbackMt: number,
    changeOwnership: boolean,
  ): void {
    this.emit(
      formatEventLine(
        ctx,
        'mm_page_alloc_extfrag',
        mmPageAllocExtfragBody(pfn, allocOrder, fallbackOrder, allocMt, fallbackMt, changeOwnership),
      ),
    );
  }

  /** Any other event, its body already rendered. */
  event(ctx: TraceContext, name: string, body: string): void {
    this.emit(formatEventLine(ctx, name, body));
  }

  /** The whole trace file: header (entries = kept lines, written = all events) and lines. */
  text(nrCpus: number): string {
    const header = ftraceHeader(this.lines.length, this.written, nrCpus);
    return this.lines.length === 0 ? header : header + this.lines.join('\n') + '\n';
  }

  /** Forget all lines and counts. */
  clear(): void {
    this.lines.length = 0;
    this.written = 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------------------------

/** A malformed trace line; `line` is 1-based and the message starts with `line N: `. */
export class FtraceParseError extends Error {
  readonly line: number;
  /** The message without the `line N: ` prefix. */
  readonly detail: string;

  constructor(line: number, detail: string) {
    super(`line ${line}: ${detail}`);
    this.name = 'FtraceParseError';
    this.line = line;
    this.detail = detail;
  }
}

export type KmemEvent =
  | { kind: 'mm_page_alloc'; /** -1 for a failed allocation */ pfn: number; order: number; migratetype: number; gfp: number }
  | { kind: 'mm_page_free'; pfn: number; order: number }
  | { kind: 'mm_page_pcpu_drain'; pfn: number; order: number; migratetype: number }
  | {
      kind: 'mm_page_alloc_extfrag';
      pfn: number;
      allocOrder: number;
      fallbackOrder: number;
      pageblockOrder: number;
      allocMt: number;
      fallbackMt: number;
      fragmenting: boolean;
      changeOwnership: boolean;
    };

export type KmemEventKind = KmemEvent['kind'];

export const KMEM_EVENTS: readonly KmemEventKind[] = [
  'mm_page_alloc',
  'mm_page_free',
  'mm_page_pcpu_drain',
  'mm_page_alloc_extfrag',
];

/** One event line of a trace file. */
export interface ParsedEvent {
  /** 1-based line number in the text. */
  line: number;
  comm: string;
  pid: number;
  cpu: number;
  /** The irq/preempt flag column (`.....`, `d..1.`), or '' when the column is absent. */
  flags: string;
  timeNs: number;
  event: string;
  /** Everything after `event: `. */
  body: string;
  /** The body's `key=value` pairs (a trailing `,` is dropped; `(...)` values kept whole). */
  fields: Record<string, string>;
  /** Set for the kmem events this module renders (those FtraceParseOptions.kmem names). */
  kmem?: KmemEvent;
}

/**
 * `comm-pid [cpu] flags time: event: body`. The comm is everything before the last
 * `-<pid>` that is followed by `[cpu]`, so comms with dashes and spaces survive. An optional
 * `(tgid)` column and a missing flags column (irq-info off) are tolerated.
 */
const LINE_RE =
  /^\s*(.*)-(\d+)\s+(?:\(\s*(?:\d+|-------)\)\s+)?\[(\d+)\]\s+(?:([.A-Za-z0-9]{4,5})\s+)?(\d+)\.(\d{1,9}):\s(.*)$/;
const EVENT_RE = /^([^\s:]+):(?: (.*))?$/;
const KEY_RE = /([A-Za-z_][A-Za-z0-9_.]*)=/y;
const FRAC_SCALE = [1, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 1e2, 1e1, 1];

/** The `key=value` pairs of a TP_printk body. */
export function parseFields(body: string): Record<string, string> {
  // A plain literal keeps V8's fast properties (Object.create(null) starts in dictionary mode).
  const out: Record<string, string> = {};
  const n = body.length;
  let i = 0;
  while (i < n) {
    while (i < n && body.charCodeAt(i) === 32) i++;
    if (i >= n) break;
    KEY_RE.lastIndex = i;
    const m = KEY_RE.exec(body);
    if (m === null) {
      // Not a key=value token: skip it.
      while (i < n && body.charCodeAt(i) !== 32) i++;
      continue;
    }
    let j = KEY_RE.lastIndex;
    let value: string;
    if (body.charCodeAt(j) === 40 /* ( */) {
      let depth = 0;
      let k = j;
      for (; k < n; k++) {
        const c = body.charCodeAt(k);
        if (c === 40) depth++;
        else if (c === 41 && --depth === 0) break;
      }
      value = body.slice(j, Math.min(k + 1, n));
      j = k + 1;
    } else {
      let k = j;
      while (k < n && body.charCodeAt(k) !== 32) k++;
      value = body.slice(j, k);
      j = k;
    }
    if (value.endsWith(',')) value = value.slice(0, -1);
    const key = m[1]!;
    if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
    i = j;
  }
  return out;
}

/** What to parse beyond the line itself. */
export interface FtraceParseOptions {
  /**
   * The kmem events whose typed form (`kmem`) is parsed, strictly; the default is all four.
   * Lines of other events keep only their `fields`, and a malformed one is not an error.
   */
  kmem?: readonly KmemEventKind[];
}

/** Parses one non-comment line; throws FtraceParseError if it is not an event line. */
export function parseEventLine(text: string, line: number, opts?: FtraceParseOptions): ParsedEvent {
  const m = LINE_RE.exec(text);
  if (m === null) throw new FtraceParseError(line, 'not a trace event line');
  const rest = EVENT_RE.exec(m[7]!);
  if (rest === null) throw new FtraceParseError(line, 'missing event name');
  const frac = m[6]!;
  const pid = Number(m[2]);
  const cpu = Number(m[3]);
  const secs = Number(m[5]);
  if (!Number.isSafeInteger(pid) || !Number.isSafeInteger(cpu) || !Number.isSafeInteger(secs)) {
    throw new FtraceParseError(line, 'number out of range in line prefix');
  }
  const body = rest[2] ?? '';
  const ev: ParsedEvent = {
    line,
    comm: m[1]!,
    pid,
    cpu,
    flags: m[4] ?? '',
    timeNs: secs * 1e9 + Number(frac) * FRAC_SCALE[frac.length]!,
    event: rest[1]!,
    body,
    fields: parseFields(body),
  };
  if (opts?.kmem === undefined || opts.kmem.includes(ev.event as KmemEventKind)) {
    const kmem = parseKmemEvent(ev);
    if (kmem !== undefined) ev.kmem = kmem;
  }
  return ev;
}

/** Yields the events of a trace file, skipping blank lines and `#` lines. */
export function* iterFtrace(text: string, opts?: FtraceParseOptions): Generator<ParsedEvent> {
  const n = text.length;
  let start = 0;
  let line = 0;
  while (start < n) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    line++;
    let s = text.slice(start, end);
    start = end + 1;
    if (s.endsWith('\r')) s = s.slice(0, -1);
    const t = s.trimStart();
    if (t === '') continue;
    if (t.charCodeAt(0) === 35 /* # */) {
      // The kernel's comment lines start in column 0; an event line always starts with the
      // comm padding, so an indented `#` is a comment only if it is not an event line.
      if (s.charCodeAt(0) === 35 || !LINE_RE.test(s)) continue;
    }
    yield parseEventLine(s, line, opts);
  }
}

/** All events of a trace file (see iterFtrace). */
export function parseFtrace(text: string, opts?: FtraceParseOptions): ParsedEvent[] {
  return Array.from(iterFtrace(text, opts));
}

function field(ev: ParsedEvent, key: string): string {
  const v = ev.fields[key];
  if (v === undefined) throw new FtraceParseError(ev.line, `${ev.event}: missing field ${key}`);
  return v;
}

/** `0x%lx` (6.1) or decimal (4.9 printed `pfn=%lu`). */
function pfnField(ev: ParsedEvent): number {
  const v = field(ev, 'pfn');
  let pfn = NaN;
  if (/^0x[0-9a-fA-F]+$/.test(v)) pfn = parseInt(v.slice(2), 16);
  else if (/^\d+$/.test(v)) pfn = Number(v);
  if (!Number.isSafeInteger(pfn)) throw new FtraceParseError(ev.line, `${ev.event}: bad pfn "${v}"`);
  return pfn;
}

function intField(ev: ParsedEvent, key: string): number {
  const v = field(ev, key);
  const x = /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(x)) throw new FtraceParseError(ev.line, `${ev.event}: bad ${key} "${v}"`);
  return x;
}

/** An order field: the kernel never traces an order outside 0..MAX_ORDER-1. */
function orderField(ev: ParsedEvent, key: string): number {
  const order = intField(ev, key);
  if (order < 0 || order >= MAX_ORDER) {
    throw new FtraceParseError(ev.line, `${ev.event}: ${key} ${order} out of range 0..${MAX_ORDER - 1}`);
  }
  return order;
}

function boolField(ev: ParsedEvent, key: string): boolean {
  return intField(ev, key) !== 0;
}

/**
 * The typed form of a kmem event, `undefined` for any other event. Throws
 * FtraceParseError when a field is missing or malformed. A failed mm_page_alloc
 * (`page=0000000000000000 pfn=0x0`) gives pfn -1.
 */
export function parseKmemEvent(ev: ParsedEvent): KmemEvent | undefined {
  switch (ev.event) {
    case 'mm_page_alloc': {
      const page = field(ev, 'page');
      let pfn = pfnField(ev);
      const order = orderField(ev, 'order');
      const migratetype = intField(ev, 'migratetype');
      const gfpText = field(ev, 'gfp_flags');
      let gfp: number;
      try {
        gfp = parseGfpFlags(gfpText);
      } catch (e) {
        throw new FtraceParseError(ev.line, `${ev.event}: ${(e as Error).message}`);
      }
      if (pfn === 0 && page === NULL_PAGE) pfn = -1;
      return { kind: 'mm_page_alloc', pfn, order, migratetype, gfp };
    }
    case 'mm_page_free': {
      field(ev, 'page');
      return { kind: 'mm_page_free', pfn: pfnField(ev), order: orderField(ev, 'order') };
    }
    case 'mm_page_pcpu_drain': {
      field(ev, 'page');
      return {
        kind: 'mm_page_pcpu_drain',
        pfn: pfnField(ev),
        order: orderField(ev, 'order'),
        migratetype: intField(ev, 'migratetype'),
      };
    }
    case 'mm_page_alloc_extfrag': {
      field(ev, 'page');
      return {
        kind: 'mm_page_alloc_extfrag',
        pfn: pfnField(ev),
        allocOrder: orderField(ev, 'alloc_order'),
        fallbackOrder: orderField(ev, 'fallback_order'),
        pageblockOrder: intField(ev, 'pageblock_order'),
        allocMt: intField(ev, 'alloc_migratetype'),
        fallbackMt: intField(ev, 'fallback_migratetype'),
        fragmenting: boolField(ev, 'fragmenting'),
        changeOwnership: boolField(ev, 'change_ownership'),
      };
    }
    default:
      return undefined;
  }
}
