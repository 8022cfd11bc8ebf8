/**
 * What compaction and migration cost in CPU time. The model does their work in zero virtual
 * time (a task is never delayed by it, so results do not depend on these numbers); each
 * compact_zone() run and migrate_pages() call gets a duration from the work it did, which is
 * charged as stall time to the task that ran it (the allocating task for direct compaction,
 * kcompactd for its own and proactive compaction) and gives the trace's compaction slices
 * their length.
 *
 * The constants are estimates for a current x86-64 machine, not measurements: a pfn visit
 * reads one struct page (a cache miss every 64 B, i.e. every page); an isolation takes the
 * LRU lock and moves the folio to a private list; a migrated page is copied (4 KiB at
 * ~10 GB/s) and its mapping updated; a mapped page also pays try_to_migrate() with a TLB
 * flush (6.1 migrates folio by folio, so one flush, an IPI on SMP, per page; batching came
 * with 6.3's "migrate_pages: batch flushing TLB") and remove_migration_ptes().
 */
export const COMPACTION_COST = {
  /** isolate_migratepages_block(): one pfn looked at. */
  migrateScanNsPerPfn: 10,
  /** isolate_freepages_block() and the free-list searches: one pfn or list entry looked at. */
  freeScanNsPerPfn: 10,
  /** One page isolated (off the LRU or the free lists) for migration. */
  isolateNsPerPage: 150,
  /** One attempt at a folio in a migrate_pages() pass (lock, reference checks), also a retried one. */
  migrateAttemptNs: 200,
  /** Copying one migrated page and moving its mapping, flags and LRU state. */
  copyNsPerPage: 600,
  /** try_to_migrate() with its TLB flush and remove_migration_ptes(), per mapped page. */
  unmapNsPerPage: 2_000,
} as const;

/** Stall time per task (pid), in insertion order. */
export interface TaskStall {
  comm: string;
  ns: number;
}

/** The stall time compaction and migration charged, per task and in total. */
export class CompactionStall {
  readonly byTask = new Map<number, TaskStall>();
  /** compact_zone() runs: scanning and isolation, plus the migrate_pages() calls they made. */
  compactionNs = 0;
  /** migrate_pages() calls, whoever made them (writeback waits included). */
  migrationNs = 0;

  charge(task: { comm: string; pid: number }, ns: number): void {
    if (ns <= 0) return;
    const e = this.byTask.get(task.pid);
    if (e) e.ns += ns;
    else this.byTask.set(task.pid, { comm: task.comm, ns });
  }
}
