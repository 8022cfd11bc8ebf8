/**
 * The OOM killer (mm/oom_kill.c, 6.1): notifiers first (a driver that frees memory counts as
 * progress and nobody dies), then oom_badness() over every task, the kernel's report, and the
 * kill. The victim's memory is released at once, as the oom_reaper would shortly after.
 */
import { MAX_NR_ZONES, PAGE_ALLOC_COSTLY_ORDER, PAGE_SIZE, ZoneType } from './constants.js';
import { __GFP_FS, __GFP_RETRY_MAYFAIL, __GFP_THISNODE } from './gfp.js';
import type { Kernel } from './kernel.js';
import { showFreeAreas } from './show_mem.js';
import { VmEvent, ZoneStat } from './vmstat.js';
import { WMARK_HIGH } from './zone.js';
import { showGfpFlags } from '../trace/gfp_names.js';

export const OOM_SCORE_ADJ_MIN = -1000;

/** What the OOM killer needs to know of a task (task_struct + its mm's counters). */
export interface OomTask {
  readonly pid: number;
  readonly comm: string;
  readonly uid: number;
  oomScoreAdj: number;
  /** Kernel threads and init are never chosen (oom_unkillable_task()). */
  readonly unkillable?: boolean;
  totalVmPages(): number;
  /** get_mm_counter(): MM_ANONPAGES, MM_FILEPAGES, MM_SHMEMPAGES, MM_SWAPENTS. */
  rssAnon(): number;
  rssFile(): number;
  rssShmem(): number;
  swapents(): number;
  pgtablesBytes(): number;
  /** SIGKILL + oom_reaper: free the task's memory. */
  kill(): void;
}

/** A registered OOM notifier (register_oom_notifier()): returns the pages it freed. */
export type OomNotifier = () => number;

/** struct oom_control (the fields used). */
export interface OomControl {
  gfp: number;
  order: number;
  highestZoneidx: number;
}

export interface OomEvent {
  timeNs: number;
  victim: { pid: number; comm: string } | null;
  /** Free pages in the eligible zones when the killer ran. */
  freePages: number;
  /** Free memory above the premature threshold: the kill was due to fragmentation/pins, not lack of memory. */
  premature: boolean;
  /** The kernel log text of the report (dump_header + the kill line). */
  report: string;
}

export class OomKiller {
  readonly tasks = new Set<OomTask>();
  /** Tasks killed but not yet reaped (tsk_is_oom_victim() without MMF_OOM_SKIP). */
  readonly victims = new Set<OomTask>();
  readonly notifiers: OomNotifier[] = [];
  readonly events: OomEvent[] = [];
  /** vm.oom_dump_tasks */
  dumpTasks = true;
  /**
   * Free pages above which a kill counts as premature; null means the eligible zones' high
   * watermarks plus the request (the default of the scenario format).
   */
  prematureThresholdPages: number | null = null;

  /** oom_rs: __ratelimit() state of the dump_header() in oom_kill_process() (10 per 5 s). */
  private rsBegin = -Infinity;
  private rsPrinted = 0;

  constructor(private readonly k: Kernel) {}

  /** __ratelimit(&oom_rs) with DEFAULT_RATELIMIT_INTERVAL (5 s) and DEFAULT_RATELIMIT_BURST (10). */
  private ratelimitOk(): boolean {
    const now = this.k.clock.now;
    if (now - this.rsBegin >= 5e9) {
      this.rsBegin = now;
      this.rsPrinted = 0;
    }
    if (this.rsPrinted >= 10) return false;
    this.rsPrinted++;
    return true;
  }

  registerNotifier(fn: OomNotifier): void {
    this.notifiers.push(fn);
  }

  /** totalram_pages() + total_swap_pages */
  private totalPages(): number {
    let ram = 0;
    for (const z of this.k.alloc.zoneById) if (z) ram += z.managed;
    return ram + (this.k.swap?.totalPages() ?? 0);
  }

  /** oom_badness(): rss + swap entries + page tables, shifted by oom_score_adj; null if not eligible. */
  oomBadness(task: OomTask, totalPages: number): number | null {
    if (task.unkillable) return null;
    const adj = task.oomScoreAdj;
    if (adj === OOM_SCORE_ADJ_MIN) return null;
    let points = task.rssAnon() + task.rssFile() + task.rssShmem() + task.swapents() + Math.floor(task.pgtablesBytes() / PAGE_SIZE);
    points += adj * Math.floor(totalPages / 1000);
    return points;
  }

  /** select_bad_process(): the highest badness; ties go to the later task (>=). */
  private selectBadProcess(totalPages: number): OomTask | null {
    let chosen: OomTask | null = null;
    let chosenPoints = -Infinity;
    for (const task of this.tasks) {
      const points = this.oomBadness(task, totalPages);
      if (points === null || points < chosenPoints) continue;
      chosen = task;
      chosenPoints = points;
    }
    return chosen;
  }

  /** tsk_is_oom_victim(current) */
  currentIsVictim(): boolean {
    for (const v of this.victims) if (v.pid === this.k.current.pid) return true;
    return false;
  }

  /**
   * out_of_memory(): true when progress was made (a notifier freed memory, or a task was
   * killed), so the allocator retries.
   */
  outOfMemory(oc: OomControl): boolean {
    let freed = 0;
    for (const notify of this.notifiers) freed += notify();
    if (freed > 0) return true;
    // A GFP_NOFS allocation does not kill: pretend progress and let it retry or fail.
    if (oc.gfp && (oc.gfp & __GFP_FS) === 0) return true;
    // oom_evaluate_task(): a victim not yet reaped aborts the selection; wait for it. The
    // caller retries after schedule_timeout_killable(), by when the oom_reaper kthread has freed
    // a victim that is not the current task: do that now (the model has no concurrency, and a
    // victim whose reap waits for the next clock event would make this loop forever).
    if (this.victims.size > 0) {
      for (const v of [...this.victims]) if (v.pid !== this.k.current.pid) this.reap(v);
      return true;
    }
    const totalPages = this.totalPages();
    const victim = this.selectBadProcess(totalPages);
    const freePages = this.eligibleFree(oc);
    if (!victim) {
      // select_bad_process() found nobody: dump_header(oc, NULL) is printed unconditionally.
      const report = this.dumpHeader(oc, null) + 'Out of memory and no killable processes...\n';
      this.record(oc, null, freePages, report);
      return false;
    }
    const report = (this.ratelimitOk() ? this.dumpHeader(oc, victim) : '') + this.killLine(victim);
    this.record(oc, victim, freePages, report);
    this.k.alloc.events.add(VmEvent.OOM_KILL, 1);
    this.tasks.delete(victim);
    this.victims.add(victim);
    // The oom_reaper frees the victim's memory. The current task is still running the call
    // that allocates (it gets ALLOC_OOM access to the reserves meanwhile), so its own memory is
    // reaped on the next clock event; any other task's is reaped now.
    if (victim.pid === this.k.current.pid) {
      this.k.clock.scheduleAfter(0, () => {
        if (this.victims.has(victim)) this.reap(victim);
      });
    } else this.reap(victim);
    return true;
  }

  /** oom_reap_task(): free the victim's memory; it stops being a pending victim. */
  private reap(victim: OomTask): void {
    victim.kill();
    this.victims.delete(victim);
  }

  private eligibleFree(oc: OomControl): number {
    let free = 0;
    for (const z of this.k.nodes[0]!.zonelist) if (z.type <= oc.highestZoneidx) free += z.vmStat[ZoneStat.NR_FREE_PAGES]!;
    return free;
  }

  private prematureThreshold(oc: OomControl): number {
    if (this.prematureThresholdPages !== null) return this.prematureThresholdPages;
    let high = 0;
    for (const z of this.k.nodes[0]!.zonelist) if (z.type <= oc.highestZoneidx) high += z.wmarkPages(WMARK_HIGH);
    return high + (1 << oc.order);
  }

  private record(oc: OomControl, victim: OomTask | null, freePages: number, report: string): void {
    this.events.push({
      timeNs: this.k.clock.now,
      victim: victim ? { pid: victim.pid, comm: victim.comm } : null,
      freePages,
      premature: freePages > this.prematureThreshold(oc),
      report,
    });
  }

  /** dump_header(): the "invoked oom-killer" line, the memory summary and the task list. */
  private dumpHeader(oc: OomControl, victim: OomTask | null): string {
    const cur = this.k.current;
    let out = `${cur.comm} invoked oom-killer: gfp_mask=0x${oc.gfp.toString(16)}(${showGfpFlags(oc.gfp)}), order=${oc.order}, oom_score_adj=${cur.oomScoreAdj}\n`;
    out += 'Mem-Info:\n' + showFreeAreas(this.k, MAX_NR_ZONES - 1);
    if (this.dumpTasks) {
      out += 'Tasks state (memory values in pages):\n';
      out += '[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name\n';
      for (const t of this.tasks) {
        if (t.unkillable) continue; // dump_task(): oom_unkillable_task() is not listed
        const rss = t.rssAnon() + t.rssFile() + t.rssShmem();
        out +=
          `[${String(t.pid).padStart(7)}] ${String(t.uid).padStart(5)} ${String(t.pid).padStart(5)} ` +
          `${String(t.totalVmPages()).padStart(8)} ${String(rss).padStart(8)} ${String(t.pgtablesBytes()).padStart(8)} ` +
          `${String(t.swapents()).padStart(8)}         ${String(t.oomScoreAdj).padStart(5)} ${t.comm}\n`;
      }
    }
    if (victim) {
      out += `oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,task=${victim.comm},pid=${victim.pid},uid=${victim.uid}\n`;
    }
    return out;
  }

  /** __oom_kill_process()'s pr_err line. */
  private killLine(v: OomTask): string {
    const kb = (pages: number): number => pages * (PAGE_SIZE / 1024);
    return (
      `Out of memory: Killed process ${v.pid} (${v.comm}) total-vm:${kb(v.totalVmPages())}kB, anon-rss:${kb(v.rssAnon())}kB, ` +
      `file-rss:${kb(v.rssFile())}kB, shmem-rss:${kb(v.rssShmem())}kB, UID:${v.uid} pgtables:${v.pgtablesBytes() >> 10}kB ` +
      `oom_score_adj:${v.oomScoreAdj}\n`
    );
  }

}

/**
 * The gates of __alloc_pages_may_oom() that decide whether a failing request may invoke the
 * killer at all: never for costly orders, __GFP_RETRY_MAYFAIL/__GFP_THISNODE, or requests
 * limited to DMA/DMA32.
 */
export function oomAllowed(gfp: number, order: number, highestZoneidx: number): boolean {
  if (order > PAGE_ALLOC_COSTLY_ORDER) return false;
  if ((gfp & (__GFP_RETRY_MAYFAIL | __GFP_THISNODE)) !== 0) return false;
  return highestZoneidx >= ZoneType.NORMAL;
}
