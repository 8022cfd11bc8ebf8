/**
 * Running one scenario variant with one seed: boot the machine, apply the variant's settings,
 * start the workloads, advance the virtual clock event by event, and record what the run
 * produces (RunResult): the time series, /proc snapshots, OOM reports, the ftrace text of the
 * selected events, spans for a Perfetto trace, and the summary figures.
 *
 * Determinism: every random choice comes from the seed (the Kernel's own stream, and one fork
 * of `new Prng(seed)` per workload, in scenario order); nothing reads wall-clock time. The same
 * scenario, variant and seed give the same RunResult, byte for byte once serialised.
 *
 * Spans. The model does its work in zero simulated time: a slice lasts what the model says
 * (compaction's cost model) or the simulated time between its tracepoints, so reclaim slices
 * have durNs 0 for now (Perfetto draws them as thin markers; their args carry the figures):
 *   - compaction: one slice per compact_zone() run, from the mm_compaction_begin/end events
 *     (always observed, whether or not they are traced), lasting the run's cost-model duration
 *     (k.compaction.lastRunNs), on the track of its context: direct
 *     (after mm_compaction_try_to_compact_pages in the same clock event), kcompactd (between
 *     mm_compaction_kcompactd_wake and _sleep), or other (proactive compaction, compact_memory);
 *   - reclaim: one slice per kswapd run (balance_pgdat(), from mm_vmscan_kswapd_wake to that
 *     kswapd's next kswapd_sleep or kswapd_wake) and per direct reclaim call (try_to_free_pages(),
 *     mm_vmscan_direct_reclaim_begin to _end), always observed, with the pgscan/pgsteal they did;
 *     start and end are the model's times at those tracepoints, so a model that charges
 *     reclaim time gives them durations;
 *   - OOM: one instant per OOM-killer invocation (k.oom.events).
 *
 * Browser-safe: no Node modules, no timers; runScenarioAsync() yields through a callback.
 */
import { MAX_ORDER, MIGRATE_TYPES, PAGE_SIZE } from '../mm/constants.js';
import { setThpSettings } from '../mm/huge_memory.js';
import { Kernel } from '../mm/kernel.js';
import { renderBuddyinfo, renderPagetypeinfo, renderVmstat, renderZoneinfo } from '../mm/procfs.js';
import { freeListCounts, pageblockCounts, takeSnapshot } from '../mm/show.js';
import { swapon } from '../mm/swapfile.js';
import type { KmemTraceSink, TraceContext, TraceEventSink } from '../mm/tracepoints.js';
import { NodeStat, VmEvent, ZoneStat } from '../mm/vmstat.js';
import { applyState } from '../import/build.js';
import { Prng } from '../sim/prng.js';
import { FtraceTextWriter, formatTimestamp, ftraceHeader } from '../trace/ftrace.js';
import { findWorkloadKind } from '../workloads/index.js';
import { RunCounters } from '../workloads/workload.js';
import type { Workload, WorkloadContext } from '../workloads/workload.js';
import { resolveVariant } from './load.js';
import type { ResolvedRun, Scenario } from './load.js';
import type { ProcSnapshot, RunResult, Sample, TraceSpan } from './types.js';
import { KMEM_EVENTS } from './schema.js';
import { estimateModelBytes } from './footprint.js';
import { SERIES_EVENTS } from './metrics.js';

/** Thrown by runScenario() when its signal is aborted; the run produced nothing. */
export class RunAborted extends Error {
  override readonly name = 'RunAborted';
  constructor(readonly simNs: number, readonly totalNs: number) {
    super(`run aborted at ${(simNs / 1e9).toFixed(3)}s of ${(totalNs / 1e9).toFixed(3)}s simulated`);
  }
}

export interface RunOptions {
  /** Called every few thousand events and at every sample: simulated time so far, total, and events run. */
  onProgress?(simNs: number, totalNs: number, events: number): void;
  /** Checked as often as onProgress is called; when true the run throws RunAborted. */
  signal?: { readonly aborted: boolean };
  /** Lines the ftrace ring buffer keeps (default TRACE_BUFFER_ENTRIES). */
  traceBufferEntries?: number;
  /**
   * Called with onProgress, with the live model, for viewers such as the web app's memory map.
   * It must only read: a run's results never depend on its observers.
   */
  observe?(view: RunView): void;
  /** Events between those calls (default CHECK_EVERY_EVENTS): a viewer wants finer steps; results are the same. */
  checkEveryEvents?: number;
}

/** What RunOptions.observe sees: the running machine, its workloads and the samples so far. */
export interface RunView {
  readonly k: Kernel;
  readonly workloads: readonly Workload[];
  readonly series: readonly Sample[];
  /**
   * The run's result as of now (read-only, for a viewer's export): the samples, snapshots and
   * counters so far plus a sample and /proc snapshot at the current time, `partialOfNs` set.
   * Workloads' finish() is not called (it may change their state), so its end-of-run figures
   * are missing.
   */
  partialResult(): RunResult;
}

/** Events between progress/abort checks (and yields of runScenarioAsync). */
const CHECK_EVERY_EVENTS = 4096;

/** The ftrace ring buffer keeps this many most recent lines (entries-written counts them all). */
export const TRACE_BUFFER_ENTRIES = 1 << 18;

/**
 * OOM reports kept in a RunResult: the first ones (a machine with nothing killable invokes the
 * killer on every failing allocation). The summary's oom_invocations counts them all.
 */
export const MAX_OOM_REPORTS = 100;

export { SERIES_EVENTS } from './metrics.js';

/** Node stat items in every sample (pages, summed over nodes). */
const SERIES_NODE_STATS: readonly [string, NodeStat][] = [
  ['nr_anon_pages', NodeStat.NR_ANON_PAGES],
  ['nr_file_pages', NodeStat.NR_FILE_PAGES],
  ['nr_shmem', NodeStat.NR_SHMEM],
  ['nr_slab_reclaimable', NodeStat.NR_SLAB_RECLAIMABLE],
  ['nr_slab_unreclaimable', NodeStat.NR_SLAB_UNRECLAIMABLE],
  ['nr_unevictable', NodeStat.NR_UNEVICTABLE],
];

/**
 * The vmstat columns of every Sample, in order: nr_free_pages, the node stats, allocstall (the
 * sum of allocstall_*), then SERIES_EVENTS.
 */
export const SERIES_VMSTAT_NAMES: readonly string[] = [
  'nr_free_pages',
  ...SERIES_NODE_STATS.map(([n]) => n),
  'allocstall',
  ...SERIES_EVENTS.map(([n]) => n),
];

const ALLOCSTALL_ITEMS = [VmEvent.ALLOCSTALL_DMA, VmEvent.ALLOCSTALL_DMA32, VmEvent.ALLOCSTALL_NORMAL, VmEvent.ALLOCSTALL_MOVABLE, VmEvent.ALLOCSTALL_DEVICE];

function allocstall(k: Kernel): number {
  const v = k.alloc.events.values;
  let n = 0;
  for (const item of ALLOCSTALL_ITEMS) n += v[item]!;
  return n;
}

function freePages(k: Kernel): number {
  let n = 0;
  for (const z of k.alloc.zoneById) if (z) n += z.vmStat[ZoneStat.NR_FREE_PAGES]!;
  return n;
}

function takeSample(k: Kernel, timeNs: number): Sample {
  const freeByOrder = new Array<number>(MAX_ORDER).fill(0);
  const freeByType = new Array<number>(MIGRATE_TYPES).fill(0);
  const freeByTypeOrder = new Array<number>(MIGRATE_TYPES * MAX_ORDER).fill(0);
  const pageblocksByType = new Array<number>(MIGRATE_TYPES).fill(0);
  for (const z of k.alloc.zoneById) {
    if (!z || !z.populated) continue;
    for (let o = 0; o < MAX_ORDER; o++) freeByOrder[o]! += z.nrFree[o]!;
    // The free lists are walked (as /proc/pagetypeinfo does): O(free blocks) per sample.
    const lists = freeListCounts(k.alloc, z);
    for (let mt = 0; mt < MIGRATE_TYPES; mt++) {
      for (let o = 0; o < MAX_ORDER; o++) {
        const pages = lists[mt]![o]! * 2 ** o;
        freeByType[mt]! += pages;
        freeByTypeOrder[mt * MAX_ORDER + o]! += pages;
      }
    }
    const blocks = pageblockCounts(k.alloc, z);
    for (let mt = 0; mt < MIGRATE_TYPES; mt++) pageblocksByType[mt]! += blocks[mt]!;
  }
  const vmstat: Record<string, number> = { nr_free_pages: freePages(k) };
  for (const [name, item] of SERIES_NODE_STATS) {
    let n = 0;
    for (let nid = 0; nid < k.nodes.length; nid++) n += k.nodeStat(nid, item);
    vmstat[name] = n;
  }
  vmstat['allocstall'] = allocstall(k);
  const ev = k.alloc.events.values;
  for (const [name, item] of SERIES_EVENTS) vmstat[name] = ev[item]!;
  return { timeNs, freeByOrder, freeByType, freeByTypeOrder, pageblocksByType, fragScore: k.compaction.fragmentationScoreNode(0), vmstat };
}

function takeProcSnapshot(k: Kernel, label: string, timeNs: number): ProcSnapshot {
  const snap = takeSnapshot(k.alloc, { nodeStats: (nid) => k.nodeStats[nid]!.toRecord() });
  return {
    timeNs,
    label,
    buddyinfo: renderBuddyinfo(snap),
    pagetypeinfo: renderPagetypeinfo(snap),
    vmstat: renderVmstat(snap),
    zoneinfo: renderZoneinfo(snap),
  };
}

/** Bytes of the MemMap's typed arrays (the page frames' storage): the run's model memory. */
function memmapBytes(k: Kernel): number {
  const m = k.mem;
  return [m.flags, m.refcount, m.mapcount, m.order, m.private, m.mapping, m.index, m.prev, m.next, m.pageblockFlags].reduce(
    (s, a) => s + a.byteLength,
    0,
  );
}

// ---------------------------------------------------------------------------------------------
// Trace recording

/** The last `capacity` lines, in order. */
class LineRing {
  private readonly buf: string[] = [];
  private head = 0;
  constructor(private readonly capacity: number) {}

  push(line: string): void {
    if (this.buf.length < this.capacity) this.buf.push(line);
    else {
      this.buf[this.head] = line;
      this.head = (this.head + 1) % this.capacity;
    }
  }

  get length(): number {
    return this.buf.length;
  }

  lines(): string[] {
    return this.head === 0 ? this.buf : [...this.buf.slice(this.head), ...this.buf.slice(0, this.head)];
  }
}

type CompactionContext = 'direct' | 'kcompactd' | 'other';
const COMPACTION_TRACKS: Record<CompactionContext, { name: string; track: string }> = {
  direct: { name: 'direct compaction', track: 'direct compaction' },
  kcompactd: { name: 'kcompactd compaction', track: 'kcompactd' },
  other: { name: 'proactive/manual compaction', track: 'proactive and manual compaction' },
};

const hexField = (body: string, key: string): number | undefined => {
  const m = new RegExp(`(?:^| )${key}=0x([0-9a-f]+)`).exec(body);
  return m ? parseInt(m[1]!, 16) : undefined;
};
const wordField = (body: string, key: string): string | undefined => new RegExp(`(?:^| )${key}=([^ ,]+)`).exec(body)?.[1];

/** A reclaim slice not yet ended: its start, and the pgscan/pgsteal counters then. */
interface OpenReclaim {
  name: string;
  track: 'kswapd' | 'direct reclaim';
  startNs: number;
  scan: VmEvent;
  steal: VmEvent;
  scan0: number;
  steal0: number;
  args: Record<string, number | string>;
}

/**
 * The run's trace sink: passes the selected events to an ftrace writer (into a ring buffer)
 * and turns compaction and reclaim events into spans (OOM instants are added at the end).
 */
class RunRecorder implements KmemTraceSink, TraceEventSink {
  readonly spans: TraceSpan[] = [];
  private readonly ring: LineRing;
  private readonly writer: FtraceTextWriter;
  private readonly selected: ReadonlySet<string>;
  private readonly kmem: { alloc: boolean; free: boolean; drain: boolean; extfrag: boolean };

  private context: CompactionContext = 'other';
  private inKcompactd = false;
  private open: { startNs: number; zoneStart: number; zoneEnd: number; migrated: number; failed: number } | null = null;
  /** The kswapd run in progress per node, and the direct reclaim call in progress. */
  private readonly kswapdOpen = new Map<number, OpenReclaim>();
  private directOpen: OpenReclaim | null = null;

  constructor(private readonly k: Kernel, events: readonly string[], bufferEntries: number) {
    this.ring = new LineRing(Math.max(1, bufferEntries));
    this.writer = new FtraceTextWriter((line) => this.ring.push(line));
    this.selected = new Set(events);
    const s = this.selected;
    this.kmem = { alloc: s.has('mm_page_alloc'), free: s.has('mm_page_free'), drain: s.has('mm_page_pcpu_drain'), extfrag: s.has('mm_page_alloc_extfrag') };
    k.eventTrace = this;
    if (KMEM_EVENTS.some((e) => s.has(e))) k.alloc.trace = this;
  }

  get tracing(): boolean {
    return this.selected.size > 0;
  }

  mmPageAlloc(ctx: TraceContext, pfn: number, order: number, gfp: number, migratetype: number): void {
    if (this.kmem.alloc) this.writer.mmPageAlloc(ctx, pfn, order, gfp, migratetype);
  }

  mmPageFree(ctx: TraceContext, pfn: number, order: number): void {
    if (this.kmem.free) this.writer.mmPageFree(ctx, pfn, order);
  }

  mmPagePcpuDrain(ctx: TraceContext, pfn: number, order: number, migratetype: number): void {
    if (this.kmem.drain) this.writer.mmPagePcpuDrain(ctx, pfn, order, migratetype);
  }

  mmPageAllocExtfrag(ctx: TraceContext, pfn: number, allocOrder: number, fallbackOrder: number, allocMt: number, fallbackMt: number, changeOwnership: boolean): void {
    if (this.kmem.extfrag) this.writer.mmPageAllocExtfrag(ctx, pfn, allocOrder, fallbackOrder, allocMt, fallbackMt, changeOwnership);
  }

  event(ctx: TraceContext, name: string, body: string): void {
    if (this.selected.has(name)) this.writer.event(ctx, name, body);
    switch (name) {
      case 'mm_compaction_try_to_compact_pages':
        this.context = 'direct';
        break;
      case 'mm_compaction_kcompactd_wake':
        this.inKcompactd = true;
        break;
      case 'mm_compaction_kcompactd_sleep':
        this.inKcompactd = false;
        break;
      case 'mm_compaction_begin':
        this.open = { startNs: ctx.timeNs, zoneStart: hexField(body, 'zone_start') ?? -1, zoneEnd: hexField(body, 'zone_end') ?? -1, migrated: 0, failed: 0 };
        break;
      case 'mm_compaction_migratepages':
        if (this.open) {
          this.open.migrated += Number(wordField(body, 'nr_migrated') ?? 0);
          this.open.failed += Number(wordField(body, 'nr_failed') ?? 0);
        }
        break;
      case 'mm_compaction_end': {
        const o = this.open;
        if (!o) break;
        this.open = null;
        const where = this.inKcompactd ? 'kcompactd' : this.context;
        const { name: spanName, track } = COMPACTION_TRACKS[where];
        this.spans.push({
          name: spanName,
          ph: 'X',
          startNs: o.startNs,
          // The cost model's duration of the run (it takes no virtual time), or the time it took.
          durNs: Math.max(ctx.timeNs - o.startNs, this.k.compaction.lastRunNs),
          track,
          args: {
            zone_start_pfn: `0x${o.zoneStart.toString(16)}`,
            zone_end_pfn: `0x${o.zoneEnd.toString(16)}`,
            mode: wordField(body, 'mode') ?? '',
            status: wordField(body, 'status') ?? '',
            nr_migrated: o.migrated,
            nr_failed: o.failed,
          },
        });
        break;
      }
      // Reclaim: a kswapd run lasts from mm_vmscan_kswapd_wake to its next kswapd_sleep or
      // kswapd_wake (balancing again without sleeping); direct reclaim from _begin to _end.
      case 'mm_vmscan_kswapd_wake': {
        const nid = Number(wordField(body, 'nid') ?? 0);
        this.closeKswapd(nid, ctx.timeNs);
        this.kswapdOpen.set(nid, this.openReclaim(ctx, VmEvent.PGSCAN_KSWAPD, VmEvent.PGSTEAL_KSWAPD, { order: Number(wordField(body, 'order') ?? 0) }));
        break;
      }
      case 'mm_vmscan_kswapd_sleep':
        this.closeKswapd(Number(wordField(body, 'nid') ?? 0), ctx.timeNs);
        break;
      case 'mm_vmscan_direct_reclaim_begin':
        this.directOpen = this.openReclaim(ctx, VmEvent.PGSCAN_DIRECT, VmEvent.PGSTEAL_DIRECT, {
          task: `${ctx.comm}-${ctx.pid}`, order: Number(wordField(body, 'order') ?? 0), gfp_flags: wordField(body, 'gfp_flags') ?? '',
        });
        break;
      case 'mm_vmscan_direct_reclaim_end':
        if (this.directOpen) {
          this.spans.push(this.reclaimSpan(this.directOpen, ctx.timeNs, { nr_reclaimed: Number(wordField(body, 'nr_reclaimed') ?? 0) }));
          this.directOpen = null;
        }
        break;
      default:
        break;
    }
  }

  private openReclaim(ctx: TraceContext, scan: VmEvent, steal: VmEvent, args: Record<string, number | string>): OpenReclaim {
    const v = this.k.alloc.events.values;
    const kswapd = scan === VmEvent.PGSCAN_KSWAPD;
    return { name: kswapd ? ctx.comm : 'direct reclaim', track: kswapd ? 'kswapd' : 'direct reclaim', startNs: ctx.timeNs, scan, steal, scan0: v[scan]!, steal0: v[steal]!, args };
  }

  private closeKswapd(nid: number, nowNs: number): void {
    const o = this.kswapdOpen.get(nid);
    if (!o) return;
    this.kswapdOpen.delete(nid);
    this.spans.push(this.reclaimSpan(o, nowNs));
  }

  /** A reclaim slice from its start to `endNs`, with the pgscan/pgsteal it did. */
  private reclaimSpan(o: OpenReclaim, endNs: number, extra: Record<string, number | string> = {}): TraceSpan {
    const v = this.k.alloc.events.values;
    const which = o.track === 'kswapd' ? 'kswapd' : 'direct';
    return {
      name: o.name,
      ph: 'X',
      startNs: o.startNs,
      durNs: endNs - o.startNs,
      track: o.track,
      args: { ...o.args, ...extra, [`pgscan_${which}`]: v[o.scan]! - o.scan0, [`pgsteal_${which}`]: v[o.steal]! - o.steal0 },
    };
  }

  /** Reclaim still in progress at `nowNs` (a kswapd that has not slept), as slices ending there; the model is not changed. */
  unfinishedSpans(nowNs: number): TraceSpan[] {
    const open = [...this.kswapdOpen.values(), ...(this.directOpen ? [this.directOpen] : [])];
    return open.map((o) => this.reclaimSpan(o, nowNs, { unfinished: 1 }));
  }

  /** After each clock event: a direct compaction's context ends with the allocation that entered it. */
  afterEvent(): void {
    this.context = 'other';
  }

  /** The ftrace file: the kernel's header (entries kept / written) and the kept lines. */
  ftraceText(nrCpus: number): string {
    const lines = this.ring.lines();
    const header = ftraceHeader(lines.length, this.writer.written, nrCpus);
    return lines.length === 0 ? header : header + lines.join('\n') + '\n';
  }
}

/** A kernel log message with printk timestamps (`[    1.234567] `) on every line. */
function dmesg(timeNs: number, text: string): string {
  const stamp = `[${formatTimestamp(timeNs).padStart(12, ' ')}] `;
  return text
    .split('\n')
    .map((line, i, all) => (i === all.length - 1 && line === '' ? '' : stamp + line))
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// Summary

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

interface CompactionTimes {
  /** compact_zone() time of every caller (the cost model's; src/mm/compaction_cost.ts). */
  allNs: number;
  /** The part charged to tasks other than kcompactd: direct compaction stalls. */
  directNs: number;
}

function compactionTimes(k: Kernel): CompactionTimes {
  const stall = k.compaction.stall;
  let directNs = 0;
  for (const t of stall.byTask.values()) if (!t.comm.startsWith('kcompactd')) directNs += t.ns;
  return { allNs: stall.compactionNs, directNs };
}

/**
 * Success rates from workload counters: `P.success_rate` for counters `P.success`/`P.fail`,
 * and `P.alloc_success_rate` for `P.allocs`/`P.alloc_fail`.
 */
function successRates(counters: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  const pairs: [string, string, string][] = [
    ['.success', '.fail', '.success_rate'],
    ['.allocs', '.alloc_fail', '.alloc_success_rate'],
  ];
  for (const [ok, bad, rate] of pairs) {
    const prefixes = new Set<string>();
    for (const key of Object.keys(counters)) {
      if (key.endsWith(ok)) prefixes.add(key.slice(0, -ok.length));
      if (key.endsWith(bad)) prefixes.add(key.slice(0, -bad.length));
    }
    for (const p of prefixes) {
      const s = counters[p + ok] ?? 0;
      const f = counters[p + bad] ?? 0;
      if (s + f > 0 && counters[p + rate] === undefined) out[p + rate] = round6(s / (s + f));
    }
  }
  return out;
}

function sortedRecord(r: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(r).sort()) out[key] = r[key]!;
  return out;
}

// ---------------------------------------------------------------------------------------------
// The run

interface Started {
  workload: Workload;
  ctx: WorkloadContext;
}

function setUp(
  run: ResolvedRun, seed: number, snapshot: (k: Kernel, label: string) => void,
): { k: Kernel; started: Started[]; counters: RunCounters } {
  const k = new Kernel(run.machine, seed);
  if (run.initialState) applyState(k, run.initialState, seed);
  const vm = run.vm;
  if (vm.swappiness !== undefined) k.vm.swappiness = vm.swappiness;
  if (vm.compact_unevictable_allowed !== undefined) k.vm.compactUnevictableAllowed = vm.compact_unevictable_allowed === 1;
  if (vm.extfrag_threshold !== undefined) k.compaction.extfragThreshold = vm.extfrag_threshold;
  if (vm.compaction_proactiveness !== undefined) k.compaction.proactiveness = vm.compaction_proactiveness;
  k.alloc.watermarkBoostFactor = run.machine.sysctl.watermarkBoostFactor;
  if (run.swap) {
    const opts: { writeLatencyNs?: number; readLatencyNs?: number } = {};
    if (run.swap.writeLatencyNs !== undefined) opts.writeLatencyNs = run.swap.writeLatencyNs;
    if (run.swap.readLatencyNs !== undefined) opts.readLatencyNs = run.swap.readLatencyNs;
    swapon(k, run.swap.pages, opts);
  }
  const thp: { enabled?: NonNullable<ResolvedRun['thp']['enabled']>; defrag?: NonNullable<ResolvedRun['thp']['defrag']> } = {};
  if (run.thp.enabled !== undefined) thp.enabled = run.thp.enabled;
  if (run.thp.defrag !== undefined) thp.defrag = run.thp.defrag;
  if (thp.enabled !== undefined || thp.defrag !== undefined) setThpSettings(k, thp);
  k.oom.prematureThresholdPages = run.prematureOomFreePages;

  const counters = new RunCounters();
  const root = new Prng(seed);
  const started = run.workloads.map((w): Started => {
    const kind = findWorkloadKind(w.kind);
    if (kind === undefined) throw new Error(`unknown workload kind ${JSON.stringify(w.kind)}`);
    return {
      workload: kind.create(w.options, w.name),
      ctx: { k, prng: root.fork(), counters, endNs: run.durationNs, snapshot: (label) => snapshot(k, label) },
    };
  });
  return { k, started, counters };
}

/** The stop points: every sample time and snapshot time, ascending, ending at the duration. */
function stopTimes(run: ResolvedRun): number[] {
  const times = new Set<number>();
  for (let t = 0; t < run.durationNs; t += run.sampleEveryNs) times.add(t);
  times.add(run.durationNs);
  for (const s of run.snapshots) times.add(s.timeNs);
  return [...times].sort((a, b) => a - b);
}

function* simulate(scenario: Scenario, variantName: string, seed: number, opts: RunOptions): Generator<void, RunResult, void> {
  const run = resolveVariant(scenario, variantName);
  const totalNs = run.durationNs;
  const snapshots: ProcSnapshot[] = [];
  const { k, started, counters } = setUp(run, seed, (kk, label) => snapshots.push(takeProcSnapshot(kk, label, kk.clock.now)));
  const recorder = new RunRecorder(k, run.traceEvents, opts.traceBufferEntries ?? TRACE_BUFFER_ENTRIES);
  const startEvents = Float64Array.from(k.alloc.events.values);
  const startStalls = allocstall(k);
  const startCompaction = compactionTimes(k);
  for (const s of started) s.workload.start(s.ctx);

  const q = k.clock;
  const sampleTimes = new Set<number>();
  for (let t = 0; t < totalNs; t += run.sampleEveryNs) sampleTimes.add(t);
  sampleTimes.add(totalNs);
  const series: Sample[] = [];
  let events = 0;
  const checkEvery = Math.max(1, opts.checkEveryEvents ?? CHECK_EVERY_EVENTS);
  let budget = checkEvery;
  const workloads = started.map((s) => s.workload);
  const finished = (nowNs: number, samples: Sample[], snaps: ProcSnapshot[], partialOfNs?: number): RunResult =>
    buildResult({ run, seed, k, workloads, recorder, counters, startEvents, startStalls, startCompaction, events, series: samples, snapshots: snaps, nowNs, partialOfNs });
  const view: RunView = {
    k,
    workloads,
    series,
    partialResult: () => {
      const now = q.now;
      const last = series[series.length - 1];
      const samples = last?.timeNs === now ? series.slice() : [...series, takeSample(k, now)];
      const label = `${now / 1e9}s`;
      const snaps = snapshots.some((x) => x.timeNs === now) ? snapshots.slice() : [...snapshots, takeProcSnapshot(k, label, now)];
      return finished(now, samples, snaps, totalNs);
    },
  };
  const checkpoint = (): void => {
    if (opts.signal?.aborted) throw new RunAborted(q.now, totalNs);
    opts.onProgress?.(q.now, totalNs, events);
    opts.observe?.(view);
  };

  for (const stop of stopTimes(run)) {
    while (q.peekTime() <= stop) {
      q.runNext();
      events++;
      recorder.afterEvent();
      if (--budget === 0) {
        budget = checkEvery;
        checkpoint();
        yield;
      }
    }
    q.runUntil(stop);
    if (sampleTimes.has(stop)) series.push(takeSample(k, stop));
    for (const s of run.snapshots) if (s.timeNs === stop) snapshots.push(takeProcSnapshot(k, s.label, stop));
    checkpoint();
    yield;
  }
  for (const s of started) s.workload.finish?.(s.ctx);
  return finished(totalNs, series, snapshots);
}

interface ResultParts {
  run: ResolvedRun;
  seed: number;
  k: Kernel;
  workloads: readonly Workload[];
  recorder: RunRecorder;
  counters: RunCounters;
  startEvents: Float64Array;
  startStalls: number;
  startCompaction: CompactionTimes;
  events: number;
  series: Sample[];
  snapshots: ProcSnapshot[];
  /** Simulated time covered. */
  nowNs: number;
  /** The scenario's duration, for a result taken before the end. */
  partialOfNs?: number | undefined;
}

/** The RunResult of a run up to `nowNs`, read-only on the model (OOM instants join a copy of the spans). */
function buildResult(p: ResultParts): RunResult {
  const { run, seed, k, recorder, counters, startEvents, startStalls, startCompaction, events, series, snapshots } = p;
  // OOM reports and instants.
  const oomReports: string[] = [];
  const spans = [...recorder.spans, ...recorder.unfinishedSpans(p.nowNs)];
  let kills = 0;
  let premature = 0;
  let firstPremature = -1;
  for (const ev of k.oom.events) {
    if (oomReports.length < MAX_OOM_REPORTS) oomReports.push(dmesg(ev.timeNs, ev.report));
    if (ev.victim) kills++;
    if (ev.victim && ev.premature) premature++;
    if (ev.premature && firstPremature < 0) firstPremature = ev.timeNs / 1e9;
    spans.push({
      name: ev.victim ? `OOM kill: ${ev.victim.comm}` : 'OOM: no killable task',
      ph: 'i',
      startNs: ev.timeNs,
      durNs: 0,
      track: 'OOM killer',
      args: { victim: ev.victim?.comm ?? '', victim_pid: ev.victim?.pid ?? -1, free_pages: ev.freePages, premature: ev.premature ? 1 : 0 },
    });
  }
  spans.sort((a, b) => a.startNs - b.startNs); // stable: same-time spans keep their order

  // The summary.
  const ev = k.alloc.events.values;
  const metrics: Record<string, number> = {};
  for (const [name, item] of SERIES_EVENTS) metrics[name] = ev[item]! - startEvents[item]!;
  metrics['allocstall'] = allocstall(k) - startStalls;
  metrics['oom_invocations'] = k.oom.events.length;
  metrics['oom_kills'] = kills;
  metrics['oom_kills_premature'] = premature;
  metrics['first_premature_oom_s'] = firstPremature;
  const thpOk = metrics['thp_fault_alloc']!;
  const thpAll = thpOk + metrics['thp_fault_fallback']!;
  if (thpAll > 0) metrics['thp_fault_success_rate'] = round6(thpOk / thpAll);
  const times = compactionTimes(k);
  metrics['compaction_ms'] = round6((times.allNs - startCompaction.allNs) / 1e6);
  metrics['compaction_stall_ms'] = round6((times.directNs - startCompaction.directNs) / 1e6);
  const last = series[series.length - 1]!;
  metrics['free_pages_end'] = last.vmstat['nr_free_pages']!;
  metrics['free_pages_min'] = series.reduce((m, s) => Math.min(m, s.vmstat['nr_free_pages']!), Infinity);
  metrics['frag_score_end'] = last.fragScore;
  metrics['frag_score_mean'] = round6(series.reduce((s, x) => s + x.fragScore, 0) / series.length);
  metrics['memmap_bytes'] = memmapBytes(k);
  // A walk over the whole model (~0.1 s for 1 GiB): for the finished run only, not for every partial result.
  if (p.partialOfNs === undefined) metrics['model_bytes'] = estimateModelBytes([k, ...p.workloads], [recorder]);
  metrics['swap_bytes'] = run.swap ? run.swap.pages * PAGE_SIZE : 0;
  metrics['sim_seconds'] = p.nowNs / 1e9;
  metrics['sim_events'] = events;
  const workloadCounters = counters.toRecord();
  Object.assign(metrics, workloadCounters, successRates(workloadCounters));

  return {
    scenario: run.scenario,
    variant: run.variant,
    seed,
    durationNs: p.nowNs,
    summary: sortedRecord(metrics),
    series,
    snapshots,
    oomReports,
    ftrace: recorder.tracing ? recorder.ftraceText(k.alloc.nrCpus) : null,
    spans,
    ...(p.partialOfNs !== undefined ? { partialOfNs: p.partialOfNs } : {}),
  };
}

/**
 * Run `variantName` of `scenario` with `seed` to the end, synchronously. Throws SpecError for an
 * unknown variant, RunAborted when `opts.signal` is aborted (checked every few thousand events).
 */
export function runScenario(scenario: Scenario, variantName: string, seed: number, opts: RunOptions = {}): RunResult {
  const gen = simulate(scenario, variantName, seed, opts);
  for (;;) {
    const r = gen.next();
    if (r.done) return r.value;
  }
}

/**
 * The same run, awaiting `pause()` every few thousand events so the caller's event loop (a
 * signal handler, a progress display, a worker's messages) gets a turn. Same result as
 * runScenario() for the same arguments.
 */
export async function runScenarioAsync(
  scenario: Scenario,
  variantName: string,
  seed: number,
  opts: RunOptions & { pause(): Promise<void> },
): Promise<RunResult> {
  const gen = simulate(scenario, variantName, seed, opts);
  for (;;) {
    const r = gen.next();
    if (r.done) return r.value;
    await opts.pause();
  }
}
