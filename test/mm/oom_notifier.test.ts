/**
 * The OOM killer as the allocator reaches it (mm/page_alloc.c __alloc_pages_may_oom(),
 * mm/oom_kill.c out_of_memory(), 6.1.192): OOM notifiers first, the GFP_NOFS exemption,
 * oom_badness()/select_bad_process(), the gates that keep costly orders and
 * __GFP_RETRY_MAYFAIL away from the killer, and the report text (dump_header(), __show_mem()
 * -> __show_free_areas(), dump_tasks(), dump_oom_summary(), __oom_kill_process()).
 *
 * The machine: one 64 MiB Normal zone, no swap, no pcp lists. Memory is taken with plain
 * GFP_KERNEL|__GFP_NORETRY order-0 allocations held by stand-in tasks (OomTask), so reclaim
 * finds nothing and the only way forward is the OOM path.
 */
import { describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { MIGRATETYPE_LETTERS, MIGRATE_TYPES, MAX_ORDER, ZoneType } from '../../src/mm/constants.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import { createFile, fileRead } from '../../src/mm/file.js';
import { filemapGetFolio } from '../../src/mm/filemap.js';
import {
  GFP_KERNEL, GFP_NOFS, __GFP_ACCOUNT, __GFP_COMP, __GFP_NORETRY, __GFP_NOWARN, __GFP_RETRY_MAYFAIL, __GFP_ZERO,
} from '../../src/mm/gfp.js';
import { Kernel } from '../../src/mm/kernel.js';
import { OOM_SCORE_ADJ_MIN, type OomTask } from '../../src/mm/oom_kill.js';
import { NodeStat, VmEvent, ZoneStat } from '../../src/mm/vmstat.js';
import { WMARK_HIGH, WMARK_LOW, WMARK_MIN, type Zone } from '../../src/mm/zone.js';

function machine(): Kernel {
  return new Kernel(
    loadMachineSpec('machine:\n  cpus: 1\n  pcp: false\n  thp: false\n  zones:\n    - { name: Normal, start_pfn: 0x100000, size: 64MiB }\n', 'm.yaml'),
  );
}

function normal(k: Kernel): Zone {
  return k.nodes[0]!.zones[ZoneType.NORMAL]!;
}

/** A task_struct + mm stand-in holding order-0 pages; its rss splits as anon/file/shmem. */
class Task implements OomTask {
  readonly pages: number[] = [];
  killed = false;
  constructor(
    private readonly k: Kernel,
    readonly pid: number,
    readonly comm: string,
    public oomScoreAdj = 0,
    readonly opts: { file?: number; shmem?: number; swap?: number; pgtables?: number; uid?: number; vm?: number; unkillable?: boolean } = {},
  ) {}
  get uid(): number {
    return this.opts.uid ?? 0;
  }
  get unkillable(): boolean {
    return this.opts.unkillable ?? false;
  }
  totalVmPages(): number {
    return (this.opts.vm ?? 0) + this.pages.length + this.swapents();
  }
  rssFile(): number {
    return Math.min(this.opts.file ?? 0, this.pages.length);
  }
  rssShmem(): number {
    return Math.min(this.opts.shmem ?? 0, this.pages.length - this.rssFile());
  }
  rssAnon(): number {
    return this.pages.length - this.rssFile() - this.rssShmem();
  }
  swapents(): number {
    return this.opts.swap ?? 0;
  }
  pgtablesBytes(): number {
    return this.opts.pgtables ?? 0;
  }
  kill(): void {
    this.killed = true;
    for (const pfn of this.pages.splice(0)) this.k.putPage(pfn);
  }
}

const HOLD = GFP_KERNEL | __GFP_NORETRY; // fails without the OOM killer (__GFP_NORETRY: goto nopage)

/** Give `n` pages to a task (Infinity: until the allocator says no). */
function give(k: Kernel, t: Task, n: number): void {
  for (let i = 0; i < n; i++) {
    const pfn = k.alloc.allocPages(HOLD, 0);
    if (pfn < 0) {
      if (n === Infinity) return;
      throw new Error(`could not give ${t.comm} page ${i}`);
    }
    t.pages.push(pfn);
  }
}

function addTask(k: Kernel, t: Task, pages: number): Task {
  k.oom.tasks.add(t);
  give(k, t, pages);
  return t;
}

/** totalram_pages() + total_swap_pages, as constrained_alloc() sets oc->totalpages. */
function totalPages(k: Kernel): number {
  let ram = 0;
  for (const z of k.nodes[0]!.zones) ram += z.managed;
  return ram;
}

describe('OOM notifiers (out_of_memory: blocking_notifier_call_chain(&oom_notify_list))', () => {
  it('a notifier that frees pages is progress: nobody is killed and the allocation succeeds', () => {
    const k = machine();
    const a = addTask(k, new Task(k, 100, 'a'), 2000);
    const pool = new Task(k, 0, 'driver-pool');
    give(k, pool, 64); // a driver's cache, not a task
    const rest = addTask(k, new Task(k, 101, 'rest'), Infinity);
    const zone = normal(k);
    // The hold loop stopped where __zone_watermark_ok() fails at the min mark: free <= min.
    expect(zone.freePages).toBeLessThanOrEqual(zone.wmarkPages(WMARK_MIN));
    let calls = 0;
    k.oom.registerNotifier(() => {
      calls++;
      const n = pool.pages.length;
      for (const pfn of pool.pages.splice(0)) k.putPage(pfn);
      return n;
    });
    const pfn = k.alloc.allocPages(GFP_KERNEL, 0);
    expect(pfn).toBeGreaterThanOrEqual(0);
    // freed > 0: out_of_memory() returns true at once ("Got some memory back in the last
    // second"), __alloc_pages_may_oom() reports progress, the slowpath retries and succeeds.
    expect(calls).toBe(1);
    expect(k.oom.events).toEqual([]);
    expect(k.alloc.events.get(VmEvent.OOM_KILL)).toBe(0);
    expect(a.killed || rest.killed).toBe(false);
    expect(k.oom.tasks.size).toBe(2);
    k.putPage(pfn);
    checkInvariants(k.alloc);
  });

  it('notifiers are called even for GFP_NOFS, which then never kills (out_of_memory returns true)', () => {
    const k = machine();
    const t = addTask(k, new Task(k, 100, 'big'), Infinity);
    let calls = 0;
    k.oom.registerNotifier(() => {
      calls++;
      return 0;
    });
    // The allocator itself would retry a GFP_NOFS order-0 request forever (did_some_progress
    // stays 1), so out_of_memory() is called directly here.
    expect(k.oom.outOfMemory({ gfp: GFP_NOFS, order: 0, highestZoneidx: ZoneType.NORMAL })).toBe(true);
    expect(calls).toBe(1);
    expect(t.killed).toBe(false);
    expect(k.oom.events).toEqual([]);
    expect(k.alloc.events.get(VmEvent.OOM_KILL)).toBe(0);
  });
});

describe('victim selection (select_bad_process, oom_badness)', () => {
  it('kills the highest rss + swapents + pgtables/PAGE_SIZE + adj * (totalpages / 1000), never -1000', () => {
    const k = machine();
    const zone = normal(k);
    const tp = totalPages(k);
    const unit = Math.floor(tp / 1000); // adj *= totalpages / 1000 (integer division)
    expect(unit).toBeGreaterThan(0);
    // points: 1000
    const small = addTask(k, new Task(k, 100, 'small'), 1000);
    // excluded whatever its size: oom_score_adj == OOM_SCORE_ADJ_MIN -> LONG_MIN
    const immune = addTask(k, new Task(k, 101, 'immune', OOM_SCORE_ADJ_MIN), 8000);
    // points: 100 + 100 * unit
    const boosted = addTask(k, new Task(k, 102, 'boosted', 100, { file: 30, shmem: 10, vm: 900 }), 100);
    // points: 500 + 400 swapents + 16 pages of page tables = 916
    const swapper = addTask(k, new Task(k, 103, 'swapper', 0, { swap: 400, pgtables: 16 * 4096 }), 500);
    // points: rest - 500 * unit (a negative adj lowers the score, here below zero)
    const rest = addTask(k, new Task(k, 104, 'rest', -500), Infinity);
    expect(zone.freePages).toBeLessThanOrEqual(zone.wmarkPages(WMARK_MIN));

    const badness = (t: Task): number | null => k.oom.oomBadness(t, tp);
    expect(badness(small)).toBe(1000);
    expect(badness(immune)).toBeNull();
    expect(badness(boosted)).toBe(100 + 100 * unit);
    expect(badness(swapper)).toBe(500 + 400 + 16);
    expect(badness(rest)).toBe(rest.pages.length - 500 * unit);
    const points = [small, boosted, swapper, rest].map((t) => badness(t)!);
    const best = [small, boosted, swapper, rest][points.indexOf(Math.max(...points))]!;
    expect(best.comm).toBe('boosted'); // 100 + 100 * unit beats everything else

    const pfn = k.alloc.allocPages(GFP_KERNEL, 0);
    expect(pfn).toBeGreaterThanOrEqual(0); // the victim's memory was reaped and the retry succeeded
    expect(k.oom.events).toHaveLength(1);
    expect(k.oom.events[0]!.victim).toEqual({ pid: 102, comm: 'boosted' });
    expect(boosted.killed).toBe(true);
    expect([small, immune, swapper, rest].some((t) => t.killed)).toBe(false);
    expect(k.alloc.events.get(VmEvent.OOM_KILL)).toBe(1);
    k.putPage(pfn);
    checkInvariants(k.alloc);
  });

  it('a victim still pending (killed during its own allocation, reaped on the next event) is reaped by the next task to reach the killer, which then retries', () => {
    const k = machine();
    const hog = addTask(k, new Task(k, 200, 'hog'), 1000);
    const other = addTask(k, new Task(k, 201, 'other'), 10);
    give(k, other, Infinity);
    k.setCurrent({ pid: hog.pid, comm: hog.comm, oomScoreAdj: 0 });
    expect(k.oom.outOfMemory({ gfp: GFP_KERNEL, order: 0, highestZoneidx: ZoneType.NORMAL })).toBe(true);
    expect(other.killed).toBe(true); // the bigger one; not current, so reaped at once
    expect(k.oom.victims.size).toBe(0);
    // Now the hog kills itself: it is current, so its memory goes on the next clock event...
    give(k, hog, Infinity);
    k.oom.tasks.add(other); // (a stand-in comes back, smaller than the hog)
    other.killed = false;
    expect(k.oom.outOfMemory({ gfp: GFP_KERNEL, order: 0, highestZoneidx: ZoneType.NORMAL })).toBe(true);
    expect(k.oom.victims.has(hog)).toBe(true);
    expect(hog.killed).toBe(false);
    // ...unless another task (a kworker) reaches out_of_memory() first, at the same time: it
    // waits for the pending victim, whose reaper has run by the time it retries. No second kill.
    k.setCurrent({ pid: 300, comm: 'kworker', oomScoreAdj: 0 });
    const kills = k.alloc.events.get(VmEvent.OOM_KILL);
    expect(k.oom.outOfMemory({ gfp: GFP_KERNEL, order: 0, highestZoneidx: ZoneType.NORMAL })).toBe(true);
    expect(hog.killed).toBe(true);
    expect(k.oom.victims.size).toBe(0);
    expect(k.alloc.events.get(VmEvent.OOM_KILL)).toBe(kills);
    k.clock.runUntil(k.clock.now + 1); // the hog's own scheduled reap finds it done
    expect(k.oom.victims.size).toBe(0);
    checkInvariants(k.alloc);
  });

  it('a tie goes to the task found later (points < chosen_points skips, equal replaces)', () => {
    const k = machine();
    const first = addTask(k, new Task(k, 200, 'first'), 3000);
    const second = addTask(k, new Task(k, 201, 'second'), 3000);
    // Fill the rest with an immune task so only the two equal ones are candidates.
    addTask(k, new Task(k, 202, 'immune', OOM_SCORE_ADJ_MIN), Infinity);
    expect(k.oom.oomBadness(first, totalPages(k))).toBe(k.oom.oomBadness(second, totalPages(k)));
    const pfn = k.alloc.allocPages(GFP_KERNEL, 0);
    expect(pfn).toBeGreaterThanOrEqual(0);
    expect(k.oom.events.map((e) => e.victim?.comm)).toEqual(['second']);
    expect(first.killed).toBe(false);
  });

  it('with only -1000 tasks nobody is killed: "Out of memory and no killable processes..."', () => {
    const k = machine();
    const t = addTask(k, new Task(k, 300, 'immune', OOM_SCORE_ADJ_MIN), Infinity);
    // The kernel panics here ("System is deadlocked on memory"); the model records the report
    // and fails the allocation.
    expect(k.oom.outOfMemory({ gfp: GFP_KERNEL, order: 0, highestZoneidx: ZoneType.NORMAL })).toBe(false);
    expect(t.killed).toBe(false);
    expect(k.oom.events).toHaveLength(1);
    expect(k.oom.events[0]!.victim).toBeNull();
    const lines = k.oom.events[0]!.report.trimEnd().split('\n');
    // dump_header(oc, NULL) has no oom-kill summary line; pr_warn() comes last.
    expect(lines.at(-1)).toBe('Out of memory and no killable processes...');
    expect(lines.some((l) => l.startsWith('oom-kill:'))).toBe(false);
    expect(lines.some((l) => l.startsWith('Out of memory: Killed process'))).toBe(false);
  });
});

describe('requests that never reach the OOM killer (__alloc_pages_may_oom gates)', () => {
  function exhausted(): { k: Kernel; t: Task; calls: () => number } {
    const k = machine();
    const t = addTask(k, new Task(k, 400, 'big'), Infinity);
    let n = 0;
    k.oom.registerNotifier(() => {
      n++;
      return 0;
    });
    return { k, t, calls: () => n };
  }

  it('costly orders (> PAGE_ALLOC_COSTLY_ORDER) fail without it', () => {
    const { k, t, calls } = exhausted();
    expect(k.alloc.allocPages(GFP_KERNEL, 4)).toBe(-1);
    expect(k.alloc.allocPages(GFP_KERNEL | __GFP_RETRY_MAYFAIL, 4)).toBe(-1);
    expect(calls()).toBe(0);
    expect(k.oom.events).toEqual([]);
    expect(t.killed).toBe(false);
  });

  it('__GFP_RETRY_MAYFAIL and __GFP_NORETRY fail without it, even at order 0', () => {
    const { k, t, calls } = exhausted();
    expect(k.alloc.allocPages(GFP_KERNEL | __GFP_RETRY_MAYFAIL, 0)).toBe(-1);
    expect(k.alloc.allocPages(GFP_KERNEL | __GFP_NORETRY, 0)).toBe(-1);
    expect(calls()).toBe(0);
    expect(k.oom.events).toEqual([]);
    expect(t.killed).toBe(false);
  });

  it('a non-costly order (3) does reach it', () => {
    const { k, t, calls } = exhausted();
    // Free memory is at the min mark, so no order-3 block can be handed out: after reclaim
    // and compaction give up, out_of_memory() runs and kills the only task.
    const pfn = k.alloc.allocPages(GFP_KERNEL, 3);
    expect(calls()).toBe(1);
    expect(t.killed).toBe(true);
    expect(pfn).toBeGreaterThanOrEqual(0);
  });
});

/** What the report's Mem-Info part must contain, rendered from the kernel's format strings. */
interface Snapshot {
  free: number;
  boost: number;
  nodeLru: number[];
  isolated: [number, number];
  filePages: number;
  nrFree: number[];
  types: string[];
  kswapdFailures: number;
}

function snapshot(k: Kernel): Snapshot {
  const z = normal(k);
  const types: string[] = [];
  for (let o = 0; o < MAX_ORDER; o++) {
    let t = '';
    for (let mt = 0; mt < MIGRATE_TYPES; mt++) if (!k.mem.listEmpty(z.freeListHead(o, mt))) t += MIGRATETYPE_LETTERS[mt];
    types.push(t);
  }
  return {
    free: z.vmStat[ZoneStat.NR_FREE_PAGES]!,
    boost: z.watermarkBoost,
    nodeLru: [NodeStat.NR_ACTIVE_ANON, NodeStat.NR_INACTIVE_ANON, NodeStat.NR_ACTIVE_FILE, NodeStat.NR_INACTIVE_FILE, NodeStat.NR_UNEVICTABLE].map((s) => k.nodeStat(0, s)),
    isolated: [k.nodeStat(0, NodeStat.NR_ISOLATED_ANON), k.nodeStat(0, NodeStat.NR_ISOLATED_FILE)],
    filePages: k.nodeStat(0, NodeStat.NR_FILE_PAGES),
    nrFree: Array.from(z.nrFree),
    kswapdFailures: k.kswapdFailures(0),
    types,
  };
}

/**
 * The OOM: 200 pinned page-cache pages (reclaim cannot free them), two tasks, and an
 * order-0 GFP_KERNEL request. A zero-freeing notifier records the state the report shows.
 */
function oomScene(): { k: Kernel; at: Snapshot; report: string[]; victim: Task; victimPages: number } {
  const k = machine();
  const file = createFile(k, 'pinned');
  fileRead(k, file, 0, 200);
  for (let i = 0; i < 200; i++) k.getPage(filemapGetFolio(file, i));
  const other = addTask(k, new Task(k, 1234, 'bash', 0, { vm: 5000, pgtables: 12288, uid: 1000 }), 1500);
  const victim = addTask(k, new Task(k, 4321, 'hog', 250, { file: 7, shmem: 3, vm: 100, pgtables: 40960, swap: 0 }), Infinity);
  expect(other.pages).toHaveLength(1500);
  let at: Snapshot | null = null;
  let victimPages = -1;
  k.oom.registerNotifier(() => {
    at = snapshot(k);
    victimPages = victim.pages.length;
    return 0;
  });
  const pfn = k.alloc.allocPages(GFP_KERNEL, 0);
  expect(pfn).toBeGreaterThanOrEqual(0);
  expect(k.oom.events).toHaveLength(1);
  return { k, at: at!, report: k.oom.events[0]!.report.replace(/\n$/, '').split('\n'), victim, victimPages };
}

const K = (pages: number): number => pages * 4;

describe('the OOM report (dump_header, __show_free_areas, dump_tasks, __oom_kill_process)', () => {
  it('prints the kernel format strings in the kernel order', () => {
    const { k, at, report, victim, victimPages } = oomScene();
    const z = normal(k);
    const [activeAnon, inactiveAnon, activeFile, inactiveFile, unevictable] = at.nodeLru as [number, number, number, number, number];
    expect(activeFile + inactiveFile).toBe(200); // the pinned page cache is still there
    expect(victim.killed).toBe(true);
    expect(victimPages).toBeGreaterThan(10000);

    const lru = at.nodeLru;
    let freeArea = `Node 0 Normal: `;
    let total = 0;
    for (let o = 0; o < MAX_ORDER; o++) {
      total += at.nrFree[o]! << o;
      freeArea += `${at.nrFree[o]}*${4 << o}kB `;
      if (at.nrFree[o]) freeArea += `(${at.types[o]}) `;
    }
    freeArea += `= ${K(total)}kB`;
    expect(total).toBe(at.free);

    const expected = [
      // dump_header(): "%s invoked oom-killer: gfp_mask=%#x(%pGg), order=%d, oom_score_adj=%hd\n"
      'pagelab invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0',
      // __show_mem(): printk("Mem-Info:\n"), then __show_free_areas()
      'Mem-Info:',
      `active_anon:${activeAnon} inactive_anon:${inactiveAnon} isolated_anon:${at.isolated[0]}`,
      ` active_file:${activeFile} inactive_file:${inactiveFile} isolated_file:${at.isolated[1]}`,
      ` unevictable:${unevictable} dirty:0 writeback:0`,
      ' slab_reclaimable:0 slab_unreclaimable:0',
      ' mapped:0 shmem:0 pagetables:0',
      ' sec_pagetables:0 bounce:0',
      ' kernel_misc_reclaimable:0',
      ` free:${at.free} free_pcp:0 free_cma:0`,
      `Node 0 active_anon:${K(lru[0]!)}kB inactive_anon:${K(lru[1]!)}kB active_file:${K(lru[2]!)}kB inactive_file:${K(lru[3]!)}kB` +
        ` unevictable:${K(lru[4]!)}kB isolated(anon):0kB isolated(file):0kB mapped:0kB dirty:0kB writeback:0kB shmem:0kB` +
        ' shmem_thp: 0kB shmem_pmdmapped: 0kB anon_thp: 0kB writeback_tmp:0kB kernel_stack:0kB pagetables:0kB' +
        ` sec_pagetables:0kB all_unreclaimable? ${at.kswapdFailures >= 16 ? 'yes' : 'no'}`,
      // min/low/high are wmark_pages(): _watermark[] + watermark_boost, as is the boost field.
      `Node 0 Normal free:${K(at.free)}kB boost:${K(at.boost)}kB min:${K(z.watermark[WMARK_MIN]! + at.boost)}kB low:${K(z.watermark[WMARK_LOW]! + at.boost)}kB` +
        ` high:${K(z.watermark[WMARK_HIGH]! + at.boost)}kB reserved_highatomic:0KB active_anon:${K(lru[0]!)}kB inactive_anon:${K(lru[1]!)}kB` +
        ` active_file:${K(lru[2]!)}kB inactive_file:${K(lru[3]!)}kB unevictable:${K(lru[4]!)}kB writepending:0kB` +
        ` present:${K(z.present)}kB managed:${K(z.managed)}kB mlocked:0kB bounce:0kB free_pcp:0kB local_pcp:0kB free_cma:0kB`,
      'lowmem_reserve[]: 0 0 0 0 0',
      freeArea,
      // hugetlb_show_meminfo_node(): one line per hstate, as in the real report of c-oom.3.json
      'Node 0 hugepages_total=0 hugepages_free=0 hugepages_surp=0 hugepages_size=1048576kB',
      'Node 0 hugepages_total=0 hugepages_free=0 hugepages_surp=0 hugepages_size=2048kB',
      `${at.filePages} total pagecache pages`,
    ];
    expect(report.slice(0, expected.length)).toEqual(expected);

    // dump_tasks(): the header, then "[%7d] %5d %5d %8lu %8lu %8ld %8lu         %5hd %s" per
    // task (pid, uid, tgid, total_vm, rss, pgtables_bytes, swapents, oom_score_adj, comm).
    const tasksAt = report.indexOf('Tasks state (memory values in pages):');
    expect(tasksAt).toBeGreaterThan(expected.length - 1);
    const rss = victimPages;
    expect(report.slice(tasksAt, tasksAt + 4)).toEqual([
      'Tasks state (memory values in pages):',
      '[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name',
      '[   1234]  1000  1234     6500     1500    12288        0             0 bash',
      `[   4321]     0  4321 ${String(100 + rss).padStart(8)} ${String(rss).padStart(8)}    40960        0           250 hog`,
    ]);
    // dump_oom_summary(), then __oom_kill_process()'s pr_err() (K() = pages * 4 kB).
    expect(report.slice(tasksAt + 4)).toEqual([
      'oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,task=hog,pid=4321,uid=0',
      `Out of memory: Killed process 4321 (hog) total-vm:${K(100 + rss)}kB, anon-rss:${K(rss - 10)}kB, file-rss:28kB, shmem-rss:12kB, UID:0 pgtables:40kB oom_score_adj:250`,
    ]);
  });

  it('renders the gfp mask with %#x and %pGg as the kernel log does', () => {
    // The header of a real 6.1.192 report (test/fixtures/kernel/c-oom.3.json):
    // "memscen invoked oom-killer: gfp_mask=0x442dc0(GFP_KERNEL_ACCOUNT|__GFP_NOWARN|__GFP_COMP|__GFP_ZERO), order=3, oom_score_adj=-1000"
    const k = machine();
    addTask(k, new Task(k, 109, 'memscen'), Infinity);
    k.setCurrent({ comm: 'memscen', pid: 108, oomScoreAdj: -1000 });
    const gfp = GFP_KERNEL | __GFP_ACCOUNT | __GFP_NOWARN | __GFP_COMP | __GFP_ZERO;
    expect(gfp).toBe(0x442dc0);
    k.alloc.allocPages(gfp, 3);
    expect(k.oom.events.length).toBeGreaterThanOrEqual(1);
    expect(k.oom.events[0]!.report.split('\n')[0]).toBe(
      'memscen invoked oom-killer: gfp_mask=0x442dc0(GFP_KERNEL_ACCOUNT|__GFP_NOWARN|__GFP_COMP|__GFP_ZERO), order=3, oom_score_adj=-1000',
    );
  });

  // After the free-area lines and "N total pagecache pages", __show_free_areas() calls
  // hugetlb_show_meminfo_node() (mm/hugetlb.c:4738-4752, one line per hstate; x86-64 always
  // has the 2 MB one) and show_swap_cache_info() (mm/swap_state.c:64-70), and __show_mem()
  // (lib/show_mem.c:33-42) then prints "%lu pages RAM", "%lu pages HighMem/MovableOnly",
  // "%lu pages reserved" and, with CONFIG_MEMORY_FAILURE, "%lu pages hwpoisoned". The real
  // report in test/fixtures/kernel/c-oom.3.json has exactly these lines before "Tasks state".
  // The model's showFreeAreas() (src/mm/show_mem.ts) stops at "total pagecache pages".
  it('ends Mem-Info with the hugetlb, swap-cache and __show_mem() lines', () => {
    const { k, report } = oomScene();
    const z = normal(k);
    const at = report.findIndex((l) => l.endsWith(' total pagecache pages'));
    const tasks = report.indexOf('Tasks state (memory values in pages):');
    // The real report (c-oom.3.json) has the hstate lines just before "total pagecache pages".
    expect(report[at - 1]).toBe('Node 0 hugepages_total=0 hugepages_free=0 hugepages_surp=0 hugepages_size=2048kB');
    const tail = report.slice(at + 1, tasks);
    expect(tail).toEqual([
      '0 pages in swap cache',
      'Free swap  = 0kB',
      'Total swap = 0kB',
      `${z.present} pages RAM`,
      '0 pages HighMem/MovableOnly',
      `${z.present - z.managed} pages reserved`,
      '0 pages hwpoisoned',
    ]);
  });

  // dump_task() (mm/oom_kill.c:383-388) skips oom_unkillable_task() tasks (global init and
  // kernel threads): they are neither candidates nor listed. The model's dumpHeader() lists
  // every task in OomKiller.tasks, unkillable ones included.
  it('dump_tasks() does not list unkillable tasks (init, kernel threads)', () => {
    const k = machine();
    addTask(k, new Task(k, 1, 'systemd', 0, { unkillable: true }), 100);
    addTask(k, new Task(k, 500, 'hog'), Infinity);
    expect(k.alloc.allocPages(GFP_KERNEL, 0)).toBeGreaterThanOrEqual(0);
    const report = k.oom.events[0]!.report.split('\n');
    expect(k.oom.events[0]!.victim).toEqual({ pid: 500, comm: 'hog' });
    expect(report.some((l) => l.startsWith('[      1]'))).toBe(false);
  });

  // oom_kill_process() (mm/oom_kill.c:1027-1045) prints dump_header() only
  // `if (__ratelimit(&oom_rs))`, oom_rs being DEFINE_RATELIMIT_STATE(DEFAULT_RATELIMIT_INTERVAL
  // = 5 * HZ, DEFAULT_RATELIMIT_BURST = 10): the 11th kill within 5 s prints only the
  // "Out of memory: Killed process" line. The model prints the full header every time.
  it('the dump_header() of oom_kill_process() is rate-limited to 10 per 5 s', () => {
    const k = machine();
    const tasks: Task[] = [];
    for (let i = 0; i < 11; i++) tasks.push(addTask(k, new Task(k, 600 + i, `t${i}`, 0), 1000));
    addTask(k, new Task(k, 700, 'immune', OOM_SCORE_ADJ_MIN), Infinity);
    for (let i = 0; i < 11; i++) {
      expect(k.oom.outOfMemory({ gfp: GFP_KERNEL, order: 0, highestZoneidx: ZoneType.NORMAL })).toBe(true);
    }
    expect(k.oom.events).toHaveLength(11);
    expect(k.clock.now).toBe(0);
    expect(k.oom.events[9]!.report.startsWith('pagelab invoked oom-killer:')).toBe(true);
    expect(k.oom.events[10]!.report.trimEnd().split('\n')).toHaveLength(1);
    expect(k.oom.events[10]!.report).toMatch(/^Out of memory: Killed process 6\d\d /);
  });
});
