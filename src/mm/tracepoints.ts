/**
 * The tracepoints the page allocator fires, as an interface a sink implements (ftrace text,
 * Perfetto, a test recorder). The model checks `tracing` once per event, so a disabled
 * tracepoint costs one branch, as a static key does in the kernel.
 */

/** Who fired the event: ftrace's TASK-PID, CPU# and TIMESTAMP columns. */
export interface TraceContext {
  comm: string;
  pid: number;
  cpu: number;
  /** Virtual time in nanoseconds. */
  timeNs: number;
}

export interface KmemTraceSink {
  /** kmem:mm_page_alloc; pfn -1 when the allocation failed (printed as page=0000000000000000 pfn=0x0). */
  mmPageAlloc(ctx: TraceContext, pfn: number, order: number, gfp: number, migratetype: number): void;
  /** kmem:mm_page_free */
  mmPageFree(ctx: TraceContext, pfn: number, order: number): void;
  /** kmem:mm_page_pcpu_drain */
  mmPagePcpuDrain(ctx: TraceContext, pfn: number, order: number, migratetype: number): void;
  /** kmem:mm_page_alloc_extfrag; changeOwnership = the pageblock's type equals allocMt after the steal. */
  mmPageAllocExtfrag(
    ctx: TraceContext,
    pfn: number,
    allocOrder: number,
    fallbackOrder: number,
    allocMt: number,
    fallbackMt: number,
    changeOwnership: boolean,
  ): void;
}

/**
 * Any other tracepoint, already rendered to its TP_printk body (compaction, migration,
 * vmscan events are infrequent next to the allocator's, so formatting at the call is fine).
 */
export interface TraceEventSink {
  event(ctx: TraceContext, name: string, body: string): void;
}
