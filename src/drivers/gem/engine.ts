/**
 * A GPU engine's timeline (gt/intel_engine, i915_request.c, 6.1, reduced to what memory
 * management sees): requests (batches) execute one after another in submission order; each
 * keeps the VMAs it uses active (i915_active / the dma_resv fences) until it is retired on
 * completion; a waiter (i915_request_wait) can make requests retire early.
 *
 * Time: a request starts when the engine is free, or later by a delay the submitter asks for
 * (the GPU stall of re-faulting unpinned objects), and completes `duration` later; retirement
 * is an event on the kernel's clock at that time.
 *
 * Simplification of a wait: the waited-for requests (and every request ahead of them on the
 * engine, which completes first anyway) retire *now*, and the caller is told how long it
 * would have slept (the remaining time) so it can charge that to whoever waited. The engine's
 * later requests keep the times they were given; the model does not suspend the waiter.
 */
import type { Kernel } from '../../mm/kernel.js';
import type { GemVma } from './object.js';

export interface GemRequest {
  readonly seqno: number;
  readonly engine: GpuEngine;
  /** The VMAs the batch uses; each is active while this request is outstanding. */
  readonly vmas: readonly GemVma[];
  readonly submitNs: number;
  readonly startNs: number;
  readonly endNs: number;
  retired: boolean;
}

export class GpuEngine {
  private readonly queue: GemRequest[] = [];
  private head = 0;
  /** When the last submitted request completes (the engine's tail). */
  private tailNs = 0;
  private seqno = 0;
  /** Total time requests kept the engine busy, ns. */
  busyNs = 0;
  /** Requests retired (on completion or early by a wait). */
  retiredCount = 0;

  constructor(
    private readonly k: Kernel,
    readonly name: string,
    /** Called after each request retires (its VMAs already released). */
    private readonly onRetire: (rq: GemRequest) => void = () => {},
  ) {}

  /** No request outstanding. */
  get idle(): boolean {
    return this.head === this.queue.length;
  }

  /** Requests submitted and not yet retired. */
  get outstanding(): number {
    return this.queue.length - this.head;
  }

  /**
   * i915_request_add() of a batch using `vmas`: it starts when the engine is free, plus
   * `startDelayNs`, and runs `durationNs`. Every VMA gets an active reference.
   */
  submit(vmas: readonly GemVma[], durationNs: number, startDelayNs = 0): GemRequest {
    if (!(durationNs >= 0) || !(startDelayNs >= 0)) throw new RangeError(`bad request times ${durationNs} / ${startDelayNs}`);
    const now = this.k.clock.now;
    const startNs = Math.max(now, this.tailNs) + startDelayNs;
    const endNs = startNs + durationNs;
    this.tailNs = endNs;
    this.busyNs += durationNs;
    const rq: GemRequest = { seqno: ++this.seqno, engine: this, vmas: [...vmas], submitNs: now, startNs, endNs, retired: false };
    for (const vma of rq.vmas) vma.active++;
    this.queue.push(rq);
    this.k.clock.scheduleAt(endNs, () => {
      if (!rq.retired) this.retireThrough(rq);
    });
    return rq;
  }

  /**
   * Wait for the last outstanding request that `match`es (i915_gem_object_wait /
   * i915_vma_sync): it and everything ahead of it retire now. Returns the wait, ns (0 if
   * nothing matched or it had already completed).
   */
  waitFor(match: (rq: GemRequest) => boolean): number {
    let last: GemRequest | null = null;
    for (let i = this.queue.length - 1; i >= this.head; i--) {
      if (match(this.queue[i]!)) {
        last = this.queue[i]!;
        break;
      }
    }
    if (!last) return 0;
    const wait = Math.max(0, last.endNs - this.k.clock.now);
    this.retireThrough(last);
    return wait;
  }

  /** Wait for the engine to go idle; returns the wait, ns. */
  waitIdle(): number {
    if (this.idle) return 0;
    return this.waitFor(() => true);
  }

  /** Retire every request up to and including `rq`, in order (i915_request_retire_upto). */
  private retireThrough(rq: GemRequest): void {
    while (this.head < this.queue.length) {
      const r = this.queue[this.head]!;
      this.head++;
      r.retired = true;
      this.retiredCount++;
      for (const vma of r.vmas) vma.active--;
      this.onRetire(r);
      if (r === rq) break;
    }
    if (this.head > 64 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}
