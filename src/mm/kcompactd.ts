/**
 * kcompactd (mm/compaction.c): one daemon per node, woken by kswapd and by failed high-order
 * allocations to compact in the background, and every HPAGE_FRAG_CHECK_INTERVAL_MSEC for
 * proactive compaction (compaction_proactiveness) when the node's fragmentation score is high.
 * It runs on the machine's virtual clock; its work takes no simulated time.
 */
import { CompactControl, CompactResult, COMPACT_MAX_DEFER_SHIFT, type Compaction } from './compaction.js';
import { MigrateMode } from './filemap.js';
import { GFP_KERNEL } from './gfp.js';
import type { Kernel } from './kernel.js';
import { VmEvent } from './vmstat.js';
import { ZONE_NAMES } from './constants.js';

export const HPAGE_FRAG_CHECK_INTERVAL_MSEC = 500;
const NS_PER_MS = 1_000_000;

class NodeDaemon {
  maxOrder = 0;
  highestZoneidx: number;
  /** Waiting in wait_event_freezable_timeout() (not running its work). */
  sleeping = true;
  /** A wakeup is queued on the clock. */
  wakePending = false;
  timeoutMs = HPAGE_FRAG_CHECK_INTERVAL_MSEC;
  /** Bumped whenever the wait is re-armed, so a superseded timeout does nothing. */
  timerEpoch = 0;
  /** pgdat->proactive_compact_trigger: a compaction_proactiveness write asked for a proactive pass. */
  proactiveTrigger = false;

  constructor(readonly nid: number, nrZones: number) {
    this.highestZoneidx = nrZones - 1;
  }
}

export class Kcompactd {
  private readonly daemons: NodeDaemon[];
  /** Whether kswapd is running on a node (proactive compaction backs off then). */
  kswapdRunning: (nid: number) => boolean = () => false;
  private started = false;

  constructor(private readonly k: Kernel, private readonly compaction: Compaction) {
    this.daemons = k.nodes.map((n) => new NodeDaemon(n.nid, nrZones(k, n.nid)));
  }

  /** kcompactd_run(): start the per-node timers for proactive compaction. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const d of this.daemons) this.armTimer(d);
  }

  private armTimer(d: NodeDaemon): void {
    const epoch = ++d.timerEpoch;
    if (!this.compaction.proactiveness) return; // MAX_SCHEDULE_TIMEOUT: sleeps until woken
    this.k.clock.scheduleAfter(d.timeoutMs * NS_PER_MS, () => {
      if (epoch === d.timerEpoch) this.timerExpired(d); // a wakeup re-armed the wait meanwhile
    });
  }

  /**
   * The timeout of kcompactd()'s wait: work requested by a wakeup that found the node unsuitable
   * then (kcompactd_work_requested()) is done now; otherwise proactive compaction when the score
   * is above the high mark.
   */
  private timerExpired(d: NodeDaemon): void {
    d.timeoutMs = HPAGE_FRAG_CHECK_INTERVAL_MSEC;
    if (d.maxOrder > 0 && d.sleeping && !d.wakePending) {
      this.doWork(d);
      this.armTimer(d);
      return;
    }
    this.proactiveBranch(d);
  }

  /** kcompactd()'s proactive branch, run as the kcompactd thread; then the wait starts over. */
  private proactiveBranch(d: NodeDaemon): void {
    const k = this.k;
    d.timeoutMs = HPAGE_FRAG_CHECK_INTERVAL_MSEC;
    if (this.shouldProactiveCompactNode(d.nid)) {
      this.asKcompactd(d, () => {
        const prev = this.compaction.fragmentationScoreNode(d.nid);
        this.compaction.proactiveCompactNode(d.nid);
        const score = this.compaction.fragmentationScoreNode(d.nid);
        if (score >= prev) d.timeoutMs = HPAGE_FRAG_CHECK_INTERVAL_MSEC << COMPACT_MAX_DEFER_SHIFT;
      });
    }
    d.proactiveTrigger = false;
    if (k.eventTrace) this.asKcompactd(d, () => k.traceEvent('mm_compaction_kcompactd_sleep', `nid=${d.nid}`));
    // Back at the wait: work a wakeup requested meanwhile (kcompactd_work_requested()) is done at once.
    if (d.maxOrder > 0 && !d.wakePending) this.doWork(d);
    this.armTimer(d);
  }

  /**
   * compaction_proactiveness_sysctl_handler(): a write of a non-zero value wakes every node's
   * kcompactd for a proactive pass now (proactive_compact_trigger), instead of at its timeout.
   */
  writeProactiveness(value: number): void {
    this.compaction.proactiveness = value;
    if (!value) return;
    for (const d of this.daemons) {
      if (d.proactiveTrigger) continue;
      d.proactiveTrigger = true;
      if (!this.started || !d.sleeping || d.wakePending) continue; // a running kcompactd sees the flag at its next wait
      d.wakePending = true;
      this.k.clock.scheduleAfter(0, () => {
        d.wakePending = false;
        this.proactiveBranch(d);
      });
    }
  }

  /** Run `fn` with kcompactd as the current task, so what it costs is charged to kcompactd. */
  private asKcompactd(d: NodeDaemon, fn: () => void): void {
    const k = this.k;
    const prev = k.current;
    k.setCurrent({ comm: `kcompactd${d.nid}`, pid: 80 + d.nid, oomScoreAdj: 0 });
    try {
      fn();
    } finally {
      k.setCurrent(prev);
    }
  }

  /** should_proactive_compact_node() */
  shouldProactiveCompactNode(nid: number): boolean {
    if (!this.compaction.proactiveness || this.kswapdRunning(nid)) return false;
    return this.compaction.fragmentationScoreNode(nid) > this.compaction.fragmentationScoreWmark(false);
  }

  /** kcompactd_node_suitable() */
  private nodeSuitable(d: NodeDaemon): boolean {
    const node = this.k.nodes[d.nid]!;
    for (let zoneid = 0; zoneid <= d.highestZoneidx; zoneid++) {
      const zone = node.zones[zoneid]!;
      if (!zone.populated) continue;
      if (this.compaction.compactionSuitable(zone, d.maxOrder, 0, d.highestZoneidx) === CompactResult.CONTINUE) return true;
    }
    return false;
  }

  /** wakeup_kcompactd() */
  wakeup(nid: number, order: number, highestZoneidx: number): void {
    if (!order) return;
    const d = this.daemons[nid]!;
    if (d.maxOrder < order) d.maxOrder = order;
    if (d.highestZoneidx > highestZoneidx) d.highestZoneidx = highestZoneidx;
    if (!d.sleeping || d.wakePending) return;
    if (!this.nodeSuitable(d)) return;
    if (this.k.eventTrace) this.traceWake('mm_compaction_wakeup_kcompactd', nid, order, highestZoneidx);
    d.wakePending = true;
    this.k.clock.scheduleAfter(0, () => {
      d.wakePending = false;
      if (d.proactiveTrigger) return this.proactiveBranch(d); // kcompactd(): the trigger wins over the work
      this.doWork(d);
      if (this.started) this.armTimer(d); // the wait starts over with the default timeout
    });
  }

  /** kcompactd_do_work(), as the kcompactd thread; afterwards the timeout is the default again. */
  private doWork(d: NodeDaemon): void {
    this.asKcompactd(d, () => this.doWorkAsThread(d));
    d.timeoutMs = HPAGE_FRAG_CHECK_INTERVAL_MSEC;
  }

  private doWorkAsThread(d: NodeDaemon): void {
    const k = this.k;
    d.sleeping = false;
    const order = d.maxOrder;
    const highest = d.highestZoneidx;
    if (k.eventTrace) this.traceWake('mm_compaction_kcompactd_wake', d.nid, order, highest);
    k.alloc.events.add(VmEvent.COMPACT_DAEMON_WAKE, 1);
    const node = k.nodes[d.nid]!;
    // One compact_control for all zones: the fast searches' state carries over, as in the kernel.
    const cc = new CompactControl(order, GFP_KERNEL, MigrateMode.SYNC_LIGHT, { highestZoneidx: highest });
    for (let zoneid = 0; zoneid <= highest; zoneid++) {
      const zone = node.zones[zoneid]!;
      if (!zone.populated) continue;
      if (this.compaction.compactionDeferred(zone, order)) continue;
      if (this.compaction.compactionSuitable(zone, order, 0, zoneid) !== CompactResult.CONTINUE) continue;
      const status = this.compaction.compactZone(cc, zone);
      if (status === CompactResult.SUCCESS) {
        this.compaction.compactionDeferReset(zone, order, false);
      } else if (status === CompactResult.PARTIAL_SKIPPED || status === CompactResult.COMPLETE) {
        k.alloc.drainAllPages(zone);
        this.compaction.deferCompaction(zone, order);
      }
      k.alloc.events.add(VmEvent.COMPACT_DAEMON_MIGRATE_SCANNED, cc.totalMigrateScanned);
      k.alloc.events.add(VmEvent.COMPACT_DAEMON_FREE_SCANNED, cc.totalFreeScanned);
    }
    if (d.maxOrder <= order) d.maxOrder = 0;
    if (d.highestZoneidx >= highest) d.highestZoneidx = nrZones(k, d.nid) - 1;
    d.sleeping = true;
    if (k.eventTrace) k.traceEvent('mm_compaction_kcompactd_sleep', `nid=${d.nid}`);
  }

  private traceWake(name: string, nid: number, order: number, highestZoneidx: number): void {
    this.k.traceEvent(name, `nid=${nid} order=${order} classzone_idx=${ZONE_NAMES[highestZoneidx]!.padEnd(8)}`);
  }
}

/** pgdat->nr_zones: one past the highest populated zone. */
function nrZones(k: Kernel, nid: number): number {
  let n = 0;
  for (const z of k.nodes[nid]!.zones) if (z.populated) n = z.type + 1;
  return n;
}
