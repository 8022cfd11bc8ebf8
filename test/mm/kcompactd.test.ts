/**
 * kcompactd (mm/compaction.c, 6.1.192): the proactive timer (kcompactd(),
 * should_proactive_compact_node(), fragmentation_score_*(), proactive_compact_node()),
 * wakeup_kcompactd() / kcompactd_do_work(), and kswapd waking it when it goes back to sleep
 * (mm/vmscan.c kswapd_try_to_sleep()). Every expected value below is derived from those
 * functions, on a one-zone 256 MiB machine (65536 pages, 128 pageblocks).
 *
 * Kernel facts used throughout (line numbers are /work/linux, Debian 6.1.192):
 *  - HPAGE_FRAG_CHECK_INTERVAL_MSEC = 500; COMPACT_MAX_DEFER_SHIFT = 6 (back-off 500 << 6 ms).
 *  - fragmentation_score_wmark() (compaction.c:2036): low = max(100 - proactiveness, 5),
 *    high = min(low + 10, 100) -> 80 / 90 for the default proactiveness 20.
 *  - fragmentation_score_zone() = extfrag_for_order(zone, 9) = (free - suitable<<9)*100/free;
 *    the node score weighs it by present / (node_present + 1) (compaction.c:2006-2033).
 *  - proactive_compact_node() (compaction.c:2641) calls compact_zone() only: it counts
 *    compact_migrate_scanned / compact_free_scanned (compact_zone()'s tail, compaction.c:2491) but never
 *    compact_daemon_wake nor compact_daemon_{migrate,free}_scanned, which only
 *    kcompactd_do_work() (compaction.c:2827, 2867-2870) counts.
 */
import { describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { CompactResult } from '../../src/mm/compaction.js';
import { MAX_ORDER, PAGEBLOCK_ORDER, ZoneType } from '../../src/mm/constants.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import { createFile, fileRead, type File } from '../../src/mm/file.js';
import { filemapGetFolio, filemapRemoveFolio } from '../../src/mm/filemap.js';
import { GFP_KERNEL } from '../../src/mm/gfp.js';
import { Kernel } from '../../src/mm/kernel.js';
import { VmEvent } from '../../src/mm/vmstat.js';
import { WMARK_LOW, type Zone } from '../../src/mm/zone.js';
import { FtraceTextWriter, parseFtrace } from '../../src/trace/ftrace.js';

const MS = 1_000_000;
const INTERVAL_MS = 500; // HPAGE_FRAG_CHECK_INTERVAL_MSEC
const BACKOFF_MS = INTERVAL_MS << 6; // default_timeout << COMPACT_MAX_DEFER_SHIFT

/**
 * min_free_kbytes 256 gives min = 64 pages and low = min + max(min / 4, managed * 10 / 10000)
 * = 64 + 65 = 129 (__setup_per_zone_wmarks()), so a fill down to low + 64 leaves fewer than
 * 512 free pages: no free pageblock survives it.
 */
function machine(): Kernel {
  return new Kernel(
    loadMachineSpec(
      'machine:\n  cpus: 1\n  pcp: false\n  thp: false\n  sysctl: { min_free_kbytes: 256 }\n  zones:\n    - { name: Normal, start_pfn: 0x100000, size: 256MiB }\n',
      'm.yaml',
    ),
  );
}

function normal(k: Kernel): Zone {
  return k.nodes[0]!.zones[ZoneType.NORMAL]!;
}

/**
 * Fill the zone with page cache (read(2) of a file) down to just above the low watermark,
 * then drop 3 of every 4 pages by pfn (the kept one is pfn % 4 == 0). With `pin`, every kept
 * page gets an extra reference, so its migration fails with -EAGAIN in folio_migrate_mapping().
 * The free memory is then order-0 (pfn%4 == 1) and order-1 (pfn%4 == 2..3) blocks, plus what
 * merged with the few pages the fill left free (fewer than 512: see machine()).
 */
function fragment(k: Kernel, pin = false): { file: File; kept: number[] } {
  const file = createFile(k, 'fill');
  const zone = normal(k);
  let n = 0;
  while (zone.freePages > zone.wmarkPages(WMARK_LOW) + 64) fileRead(k, file, n++, 1);
  const kept: number[] = [];
  for (let i = 0; i < n; i++) {
    const pfn = filemapGetFolio(file, i);
    if ((pfn & 3) !== 0) filemapRemoveFolio(k, file, pfn);
    else {
      if (pin) k.getPage(pfn);
      kept.push(pfn);
    }
  }
  return { file, kept };
}

function ev(k: Kernel): Record<string, number> {
  const e = k.alloc.events;
  return {
    migrateScanned: e.get(VmEvent.COMPACT_MIGRATE_SCANNED),
    freeScanned: e.get(VmEvent.COMPACT_FREE_SCANNED),
    daemonWake: e.get(VmEvent.COMPACT_DAEMON_WAKE),
    daemonMigrateScanned: e.get(VmEvent.COMPACT_DAEMON_MIGRATE_SCANNED),
    daemonFreeScanned: e.get(VmEvent.COMPACT_DAEMON_FREE_SCANNED),
    migrated: e.get(VmEvent.PGMIGRATE_SUCCESS),
    migrateFailed: e.get(VmEvent.PGMIGRATE_FAIL),
  };
}

/** Free pages in blocks of pageblock order or more. */
function hugeFree(zone: Zone): number {
  let n = 0;
  for (let o = PAGEBLOCK_ORDER; o < MAX_ORDER; o++) n += zone.nrFree[o]!;
  return n;
}

describe('fragmentation score (fragmentation_score_zone/node, fragmentation_score_wmark)', () => {
  it('is 0 on a fresh machine and the marks follow proactiveness', () => {
    const k = machine();
    // Every free page sits in a block of order >= 9: extfrag_for_order(zone, 9) = 0.
    expect(k.compaction.fragmentationScoreNode(0)).toBe(0);
    expect(k.compaction.proactiveness).toBe(20); // sysctl_compaction_proactiveness default
    expect(k.compaction.fragmentationScoreWmark(true)).toBe(80);
    expect(k.compaction.fragmentationScoreWmark(false)).toBe(90);
    k.compaction.proactiveness = 100; // wmark_low = max(100 - 100, 5) = 5, high = 15
    expect(k.compaction.fragmentationScoreWmark(true)).toBe(5);
    expect(k.compaction.fragmentationScoreWmark(false)).toBe(15);
    k.compaction.proactiveness = 95; // max(5, 5) = 5; min(15, 100)
    expect(k.compaction.fragmentationScoreWmark(true)).toBe(5);
    k.compaction.proactiveness = 0; // low 100, high min(110, 100) = 100
    expect(k.compaction.fragmentationScoreWmark(true)).toBe(100);
    expect(k.compaction.fragmentationScoreWmark(false)).toBe(100);
  });

  it('is the weighted extfrag of order 9 once 3 of every 4 pages are free', () => {
    const k = machine();
    fragment(k);
    const zone = normal(k);
    // No free block reaches order 9: every free page is unsuitable, zone score 100, and the
    // node score is floor(present * 100 / (present + 1)) = 99 for present = 65536.
    expect(hugeFree(zone)).toBe(0);
    expect(k.compaction.fragmentationScoreZone(zone)).toBe(100);
    expect(zone.present).toBe(65536);
    expect(k.compaction.fragmentationScoreNode(0)).toBe(Math.floor((65536 * 100) / 65537));
    expect(k.compaction.fragmentationScoreNode(0)).toBeGreaterThan(k.compaction.fragmentationScoreWmark(false));
    expect(k.kcompactd.shouldProactiveCompactNode(0)).toBe(true);
  });
});

describe('proactive compaction (kcompactd() timeout branch, proactive_compact_node)', () => {
  it('runs at the 500 ms timeout, counts compact_*_scanned but no compact_daemon_*, and stops at the low mark', () => {
    const k = machine();
    fragment(k);
    const before = ev(k);
    // Nothing happens before the first timeout expires.
    k.clock.runUntil(INTERVAL_MS * MS - 1);
    expect(ev(k)).toEqual(before);
    k.clock.runUntil(INTERVAL_MS * MS);
    const after = ev(k);
    expect(after.migrateScanned).toBeGreaterThan(before.migrateScanned);
    expect(after.freeScanned).toBeGreaterThan(before.freeScanned);
    expect(after.migrated).toBeGreaterThan(0);
    expect(after.migrateFailed).toBe(0);
    // proactive_compact_node() is not kcompactd_do_work(): no daemon counters.
    expect(after.daemonWake).toBe(0);
    expect(after.daemonMigrateScanned).toBe(0);
    expect(after.daemonFreeScanned).toBe(0);
    // __compact_finished() (compaction.c:2086-2101) returns SUCCESS as soon as the zone score
    // is <= wmark_low (80): compaction stops there, it does not compact the whole zone.
    const zoneScore = k.compaction.fragmentationScoreZone(normal(k));
    expect(zoneScore).toBeLessThanOrEqual(80);
    expect(zoneScore).toBeGreaterThan(70);
    expect(k.compaction.fragmentationScoreNode(0)).toBeLessThanOrEqual(k.compaction.fragmentationScoreWmark(true));
    checkInvariants(k.alloc);
    // The next checks (every 500 ms, the score improved so no back-off) find the node below
    // the high mark (90): nothing more is compacted.
    const settled = ev(k);
    k.clock.runUntil(10 * INTERVAL_MS * MS);
    expect(ev(k)).toEqual(settled);
  });

  it('charges what proactive compaction costs to kcompactd0, not to the task that was current', () => {
    const k = machine();
    fragment(k);
    k.setCurrent({ comm: 'bystander', pid: 500, oomScoreAdj: 0 });
    k.clock.runUntil(INTERVAL_MS * MS);
    expect(ev(k).migrated).toBeGreaterThan(0);
    const stall = k.compaction.stall;
    expect(stall.byTask.get(500)).toBeUndefined();
    expect(stall.byTask.get(80)!.comm).toBe('kcompactd0');
    expect(stall.byTask.get(80)!.ns).toBe(stall.compactionNs);
    expect(k.current.pid).toBe(500); // restored afterwards
  });

  it('a compaction_proactiveness write wakes kcompactd for a proactive pass at once (proactive_compact_trigger)', () => {
    const k = machine();
    k.kcompactd.writeProactiveness(0);
    k.clock.runUntil(INTERVAL_MS * MS); // the pending timeout finds proactiveness 0: kcompactd sleeps for good
    fragment(k);
    const t = 10_000 * MS;
    k.clock.runUntil(t);
    expect(ev(k).migrateScanned).toBe(0);
    k.kcompactd.writeProactiveness(20);
    k.clock.runUntil(t); // the wakeup is due now, not 500 ms later
    expect(ev(k).migrateScanned).toBeGreaterThan(0);
    expect(ev(k).daemonWake).toBe(0); // the proactive branch, not kcompactd_do_work()
  });

  it('a proactiveness write and a wakeup at the same moment: the proactive pass first, then kcompactd_do_work()', () => {
    const k = machine();
    fragment(k);
    const w = new FtraceTextWriter();
    k.eventTrace = w;
    k.kcompactd.writeProactiveness(30);
    k.kcompactd.wakeup(0, 9, ZoneType.NORMAL); // kcompactd is already woken: only max_order is recorded
    k.clock.runUntil(k.clock.now);
    k.eventTrace = null;
    const names = parseFtrace(w.text(1)).map((e) => e.event).filter((e) => e === 'mm_compaction_begin' || e === 'mm_compaction_kcompactd_wake');
    expect(names[0]).toBe('mm_compaction_begin'); // proactive_compact_node() (no kcompactd_wake line)
    expect(names).toContain('mm_compaction_kcompactd_wake');
    expect(ev(k).daemonWake).toBe(1);
  });

  it('does nothing with vm.compaction_proactiveness = 0', () => {
    const k = machine();
    fragment(k);
    k.compaction.proactiveness = 0;
    const score = k.compaction.fragmentationScoreNode(0);
    const before = ev(k);
    expect(k.kcompactd.shouldProactiveCompactNode(0)).toBe(false);
    k.clock.runUntil(100 * INTERVAL_MS * MS);
    expect(ev(k)).toEqual(before);
    expect(k.compaction.fragmentationScoreNode(0)).toBe(score);
  });

  it('backs off to 500 << COMPACT_MAX_DEFER_SHIFT ms when the score does not improve (everything pinned)', () => {
    const k = machine();
    fragment(k, true);
    const score = k.compaction.fragmentationScoreNode(0);
    expect(score).toBe(99);
    k.clock.runUntil(INTERVAL_MS * MS);
    const first = ev(k);
    expect(first.migrateScanned).toBeGreaterThan(0);
    expect(first.migrated).toBe(0);
    expect(first.migrateFailed).toBeGreaterThan(0); // -EAGAIN after NR_MAX_MIGRATE_PAGES_RETRY passes
    expect(k.compaction.fragmentationScoreNode(0)).toBe(score); // score >= prev_score: defer
    // timeout = default_timeout << COMPACT_MAX_DEFER_SHIFT: the next check is 32 s later.
    k.clock.runUntil((INTERVAL_MS + BACKOFF_MS) * MS - 1);
    expect(ev(k)).toEqual(first);
    k.clock.runUntil((INTERVAL_MS + BACKOFF_MS) * MS);
    const second = ev(k);
    expect(second.migrateScanned).toBe(2 * first.migrateScanned);
    expect(second.migrateFailed).toBe(2 * first.migrateFailed);
    checkInvariants(k.alloc);
  });

  // kcompactd() (compaction.c:2944-2958): a wakeup that runs kcompactd_do_work() resets
  // `timeout = default_timeout` ("The defer timeout from proactive compaction is lost here"),
  // so the next proactive check is 500 ms after the wakeup, not at the end of the 32 s back-off.
  it('a kcompactd_do_work() wakeup resets the back-off to 500 ms (kcompactd(): timeout = default_timeout)', () => {
    const k = machine();
    fragment(k, true);
    k.clock.runUntil(INTERVAL_MS * MS); // proactive run, no progress: back-off to 32.5 s
    const t1 = 1000 * MS;
    k.clock.runUntil(t1);
    expect(k.compaction.compactionSuitable(normal(k), 9, 0, ZoneType.NORMAL)).toBe(CompactResult.CONTINUE);
    k.kcompactd.wakeup(0, 9, ZoneType.NORMAL);
    k.clock.runUntil(t1);
    const afterWork = ev(k);
    expect(afterWork.daemonWake).toBe(1);
    // The proactive check 500 ms after the wakeup finds the pinned node still fragmented.
    k.clock.runUntil(t1 + INTERVAL_MS * MS);
    expect(ev(k).migrateScanned).toBeGreaterThan(afterWork.migrateScanned);
  });
});

describe('wakeup_kcompactd() and kcompactd_do_work()', () => {
  it('ignores order 0', () => {
    const k = machine();
    fragment(k);
    const queued = k.clock.size;
    k.kcompactd.wakeup(0, 0, ZoneType.NORMAL);
    expect(k.clock.size).toBe(queued);
    k.clock.runUntil(0);
    expect(ev(k).daemonWake).toBe(0);
  });

  it('does not wake a node that compaction_suitable() does not call CONTINUE for', () => {
    const k = machine();
    // Fresh machine: an order-9 page is free, __compaction_suitable() says SUCCESS.
    expect(k.compaction.compactionSuitable(normal(k), 9, 0, ZoneType.NORMAL)).toBe(CompactResult.SUCCESS);
    const w = new FtraceTextWriter();
    k.eventTrace = w;
    const queued = k.clock.size;
    k.kcompactd.wakeup(0, 9, ZoneType.NORMAL);
    expect(k.clock.size).toBe(queued);
    k.clock.runUntil(0);
    expect(ev(k).daemonWake).toBe(0);
    expect(parseFtrace(w.text(1)).filter((e) => e.event === 'mm_compaction_wakeup_kcompactd')).toEqual([]);
  });

  it('runs kcompactd_do_work() for order 9 on the next clock event, with daemon counters and trace lines', () => {
    const k = machine();
    fragment(k);
    const zone = normal(k);
    expect(k.compaction.compactionSuitable(zone, 9, 0, ZoneType.NORMAL)).toBe(CompactResult.CONTINUE);
    const w = new FtraceTextWriter();
    k.eventTrace = w;
    const before = ev(k);
    k.kcompactd.wakeup(0, 9, ZoneType.NORMAL);
    // wake_up_interruptible() only makes kcompactd runnable: nothing ran yet.
    expect(ev(k)).toEqual(before);
    k.clock.runUntil(k.clock.now);
    const after = ev(k);
    expect(after.daemonWake).toBe(1);
    // kcompactd_do_work() adds cc.total_{migrate,free}_scanned of its compact_zone() run, the
    // same amounts compact_zone() adds to compact_{migrate,free}_scanned.
    expect(after.daemonMigrateScanned).toBeGreaterThan(0);
    expect(after.daemonFreeScanned).toBeGreaterThan(0);
    expect(after.daemonMigrateScanned).toBe(after.migrateScanned - before.migrateScanned);
    expect(after.daemonFreeScanned).toBe(after.freeScanned - before.freeScanned);
    // compact_zone() returned SUCCESS once an order-9 page was free: compaction_defer_reset
    // (zone, 9, false) raises compact_order_failed to order + 1.
    expect(hugeFree(zone)).toBeGreaterThan(0);
    expect(zone.compactOrderFailed).toBe(10);
    expect(zone.compactDeferShift).toBe(0);
    checkInvariants(k.alloc);

    const events = parseFtrace(w.text(1));
    const kc = events.filter((e) => e.event.startsWith('mm_compaction_') && /kcompactd/.test(e.event));
    expect(kc.map((e) => `${e.event}: ${e.body.trimEnd()}`)).toEqual([
      'mm_compaction_wakeup_kcompactd: nid=0 order=9 classzone_idx=Normal',
      'mm_compaction_kcompactd_wake: nid=0 order=9 classzone_idx=Normal',
      'mm_compaction_kcompactd_sleep: nid=0',
    ]);
    // TP_printk("nid=%d order=%d classzone_idx=%-8s"): the zone name is padded to 8 columns.
    expect(w.lines.find((l) => l.includes('mm_compaction_kcompactd_wake:'))!.endsWith('classzone_idx=Normal  ')).toBe(true);
    // The compaction run sits between kcompactd_wake and kcompactd_sleep, in sync-light mode.
    const wakeAt = events.findIndex((e) => e.event === 'mm_compaction_kcompactd_wake');
    const sleepAt = events.findIndex((e) => e.event === 'mm_compaction_kcompactd_sleep');
    const begin = events.findIndex((e) => e.event === 'mm_compaction_begin');
    const end = events.findIndex((e) => e.event === 'mm_compaction_end');
    expect(wakeAt).toBeLessThan(begin);
    expect(end).toBeLessThan(sleepAt);
    expect(events[begin]!.body).toMatch(/mode=sync$/); // sync = cc->mode != MIGRATE_ASYNC
    expect(events[end]!.body).toMatch(/status=success$/);
    expect(events.some((e) => e.event === 'mm_migrate_pages' && /mode=MIGRATE_SYNC_LIGHT reason=compaction$/.test(e.body))).toBe(true);
  });

  it('a second wakeup before kcompactd ran raises the order but does not queue a second run', () => {
    const k = machine();
    fragment(k);
    const w = new FtraceTextWriter();
    k.eventTrace = w;
    k.kcompactd.wakeup(0, 9, ZoneType.NORMAL);
    // kcompactd is no longer on the wait queue (wq_has_sleeper() false): only max_order rises.
    k.kcompactd.wakeup(0, 10, ZoneType.NORMAL);
    k.clock.runUntil(k.clock.now);
    expect(ev(k).daemonWake).toBe(1);
    const lines = parseFtrace(w.text(1))
      .filter((e) => e.event === 'mm_compaction_wakeup_kcompactd' || e.event === 'mm_compaction_kcompactd_wake')
      .map((e) => `${e.event}: ${e.body.trimEnd()}`);
    expect(lines).toEqual([
      'mm_compaction_wakeup_kcompactd: nid=0 order=9 classzone_idx=Normal',
      'mm_compaction_kcompactd_wake: nid=0 order=10 classzone_idx=Normal',
    ]);
  });

  it('defers the zone when compact_zone() ends COMPLETE/PARTIAL_SKIPPED (everything pinned)', () => {
    const k = machine();
    fragment(k, true);
    const zone = normal(k);
    k.kcompactd.wakeup(0, 9, ZoneType.NORMAL);
    k.clock.runUntil(k.clock.now);
    expect(ev(k).daemonWake).toBe(1);
    // defer_compaction(zone, 9): considered 0, shift 1, order_failed min(…, 9).
    expect(zone.compactDeferShift).toBe(1);
    expect(zone.compactConsidered).toBe(0);
    expect(zone.compactOrderFailed).toBe(0); // initialised to 0 and only lowered by defer_compaction
    // A second wakeup: compaction_deferred(zone, 9) — ++considered (1) < 1 << shift (2) —
    // skips the zone, but kcompactd_do_work() still counts the wake.
    const before = ev(k);
    k.kcompactd.wakeup(0, 9, ZoneType.NORMAL);
    k.clock.runUntil(k.clock.now);
    expect(ev(k).daemonWake).toBe(2);
    expect(ev(k).migrateScanned).toBe(before.migrateScanned);
    expect(zone.compactConsidered).toBe(1);
  });

  // kcompactd() waits with wait_event_freezable_timeout(..., kcompactd_work_requested(pgdat),
  // timeout) (compaction.c:2944). wakeup_kcompactd() (2887-2911) raises kcompactd_max_order
  // before it checks kcompactd_node_suitable(), so a wakeup that does not wake still leaves
  // max_order > 0. When the 500 ms timeout expires, ___wait_cond_timeout() (wait.h:275-281)
  // re-evaluates the condition: it is true, so the wait returns 1 and kcompactd runs
  // kcompactd_do_work() (counting compact_daemon_wake) instead of the proactive check. The
  // model's Kcompactd.timerExpired() only ever does the proactive check.
  it('a wakeup that found the node unsuitable is picked up at the next timeout (kcompactd_work_requested)', () => {
    const k = machine();
    expect(k.compaction.compactionSuitable(normal(k), 9, 0, ZoneType.NORMAL)).toBe(CompactResult.SUCCESS);
    k.kcompactd.wakeup(0, 9, ZoneType.NORMAL);
    k.clock.runUntil(0);
    expect(ev(k).daemonWake).toBe(0);
    k.clock.runUntil(INTERVAL_MS * MS);
    // kcompactd_do_work() ran (and skipped the zone: compaction_suitable() is SUCCESS); it then
    // reset kcompactd_max_order to 0, so later timeouts are proactive checks again.
    expect(ev(k).daemonWake).toBe(1);
    k.clock.runUntil(10 * INTERVAL_MS * MS);
    expect(ev(k).daemonWake).toBe(1);
  });

  // trace_mm_compaction_kcompactd_sleep() is at the top of kcompactd()'s loop
  // (compaction.c:2943), so it fires every time kcompactd goes back to waiting — after every
  // proactive timeout too, not only after kcompactd_do_work(). The model emits it only at the
  // end of Kcompactd.doWork().
  it('mm_compaction_kcompactd_sleep is traced after every timeout, not only after do_work', () => {
    const k = machine();
    const w = new FtraceTextWriter();
    k.eventTrace = w;
    k.clock.runUntil(3 * INTERVAL_MS * MS);
    const sleeps = parseFtrace(w.text(1)).filter((e) => e.event === 'mm_compaction_kcompactd_sleep');
    expect(sleeps.map((e) => e.timeNs)).toEqual([INTERVAL_MS * MS, 2 * INTERVAL_MS * MS, 3 * INTERVAL_MS * MS]);
  });

  // kcompactd_do_work() runs in the kcompactd thread (kthread_run(kcompactd, pgdat,
  // "kcompactd%d", nid), compaction.c kcompactd_run()), so trace_pipe shows its events under
  // comm "kcompactd0". The model renders them with the traceCtx of `current` (Kernel.traceEvent).
  it('kcompactd_do_work() events are attributed to the kcompactd0 thread', () => {
    const k = machine();
    fragment(k);
    const w = new FtraceTextWriter();
    k.eventTrace = w;
    k.kcompactd.wakeup(0, 9, ZoneType.NORMAL);
    k.clock.runUntil(k.clock.now);
    const wake = parseFtrace(w.text(1)).find((e) => e.event === 'mm_compaction_kcompactd_wake')!;
    expect(wake.comm).toBe('kcompactd0');
  });
});

describe('kswapd wakes kcompactd when it goes back to sleep (kswapd_try_to_sleep)', () => {
  /**
   * Pinned page cache at pfn%4 == 0 keeps every pageblock from ever becoming free; a second
   * file's clean page cache fills most of the holes again and is what kswapd can reclaim.
   * Free memory stays far above the high watermark at order 0, but no block reaches order 9.
   */
  function setup(): Kernel {
    const k = machine();
    fragment(k, true);
    const extra = createFile(k, 'reclaimable');
    const zone = normal(k);
    let i = 0;
    while (zone.freePages > zone.wmarkPages(WMARK_LOW) + 4096) fileRead(k, extra, i++, 1);
    return k;
  }

  it('after a high-order kswapd run balanced at order 0, kcompactd is woken for the original order', () => {
    const k = setup();
    const zone = normal(k);
    expect(hugeFree(zone)).toBe(0);
    expect(k.compaction.compactionSuitable(zone, 9, 0, ZoneType.NORMAL)).toBe(CompactResult.CONTINUE);
    const w = new FtraceTextWriter();
    k.eventTrace = w;
    // pgdat_balanced(pgdat, 9, Normal) is false (no order-9 page), so kswapd is woken.
    k.vmscan.wakeupKswapd(zone, GFP_KERNEL, 9, ZoneType.NORMAL);
    expect(k.alloc.events.get(VmEvent.PAGEOUTRUN)).toBe(0);
    k.clock.runUntil(k.clock.now);
    const e = k.alloc.events;
    expect(e.get(VmEvent.PAGEOUTRUN)).toBe(1);
    // kswapd_shrink_node(): once compact_gap(9) = 1024 pages are reclaimed, sc->order = 0 and
    // balance_pgdat() returns reclaim_order 0 < alloc_order 9.
    expect(e.get(VmEvent.PGSTEAL_KSWAPD)).toBeGreaterThanOrEqual(1024);
    // kswapd_try_to_sleep(pgdat, 9, 0, Normal): prepare_kswapd_sleep() at order 0 is true, so
    // wakeup_kcompactd(pgdat, alloc_order = 9, Normal) — and kcompactd runs for order 9.
    expect(e.get(VmEvent.COMPACT_DAEMON_WAKE)).toBe(1);
    const lines = parseFtrace(w.text(1))
      .filter((x) => x.event === 'mm_compaction_wakeup_kcompactd' || x.event === 'mm_compaction_kcompactd_wake')
      .map((x) => `${x.event}: ${x.body.trimEnd()}`);
    expect(lines).toEqual([
      'mm_compaction_wakeup_kcompactd: nid=0 order=9 classzone_idx=Normal',
      'mm_compaction_kcompactd_wake: nid=0 order=9 classzone_idx=Normal',
    ]);
    checkInvariants(k.alloc);
  });

  it('an order-0 kswapd run does not wake kcompactd (wakeup_kcompactd ignores order 0)', () => {
    const k = machine();
    const file = createFile(k, 'fill');
    const zone = normal(k);
    let i = 0;
    // Below the low watermark: pgdat_balanced(order 0) is false.
    while (zone.freePages > zone.wmarkPages(WMARK_LOW) - 16) fileRead(k, file, i++, 1);
    k.vmscan.wakeupKswapd(zone, GFP_KERNEL, 0, ZoneType.NORMAL);
    k.clock.runUntil(k.clock.now);
    expect(k.alloc.events.get(VmEvent.PAGEOUTRUN)).toBe(1);
    expect(k.alloc.events.get(VmEvent.PGSTEAL_KSWAPD)).toBeGreaterThan(0);
    expect(k.alloc.events.get(VmEvent.COMPACT_DAEMON_WAKE)).toBe(0);
  });

  // kswapd_try_to_sleep() (vmscan.c:7270-7283): before waking kcompactd it calls
  // reset_isolation_suitable(pgdat), which clears the pageblock skip bits of every zone whose
  // compact_blockskip_flush is set (direct compaction sets it when its scanners meet,
  // compaction.c:2077-2078) and clears that flag (__reset_isolation_suitable). The model's
  // Vmscan.kswapdRun() never does, so the flag and the skip bits stay.
  it('kswapd going to sleep flushes the compaction skip bits (reset_isolation_suitable)', () => {
    const k = setup();
    const zone = normal(k);
    // As a finished direct compaction leaves it: skip bits set, flush requested.
    for (let pfn = zone.startPfn; pfn < zone.endPfn; pfn += 512) k.mem.setPageblockSkip(k.slot(pfn), true);
    zone.compactBlockskipFlush = true;
    // Keep kcompactd out of it: its own scan would mark the blocks it visits again
    // (test_and_set_skip()), hiding what kswapd did.
    k.vmscan.kcompactd = null;
    k.vmscan.wakeupKswapd(zone, GFP_KERNEL, 9, ZoneType.NORMAL);
    k.clock.runUntil(k.clock.now);
    expect(k.alloc.events.get(VmEvent.PAGEOUTRUN)).toBe(1);
    expect(zone.compactBlockskipFlush).toBe(false);
    // Every block holds LRU pages (pfn%4 == 0), so __reset_isolation_pfn() clears its bit.
    expect(k.mem.getPageblockSkip(k.slot(zone.startPfn))).toBe(false);
  });
});
