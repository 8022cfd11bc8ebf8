/**
 * Virtual time and a deterministic event queue: a binary min-heap ordered by (time, sequence),
 * so events due at the same instant run in the order they were scheduled (FIFO tie-break).
 */
export type EventCallback = (now: number) => void;

export class EventQueue {
  /** Current virtual time in nanoseconds. Only ever moves forward. */
  now = 0;
  private times: number[] = [];
  private seqs: number[] = [];
  private callbacks: EventCallback[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.times.length;
  }

  /** Schedule `cb` to run at absolute virtual time `at` (ns); returns the event's sequence number. */
  scheduleAt(at: number, cb: EventCallback): number {
    if (!(at >= this.now)) throw new RangeError(`cannot schedule at ${at} ns: the clock is already at ${this.now} ns`);
    const seq = this.nextSeq++;
    this.times.push(at);
    this.seqs.push(seq);
    this.callbacks.push(cb);
    this.siftUp(this.times.length - 1);
    return seq;
  }

  scheduleAfter(delay: number, cb: EventCallback): number {
    return this.scheduleAt(this.now + delay, cb);
  }

  /** Time of the next event, or Infinity when the queue is empty. */
  peekTime(): number {
    return this.times.length ? this.times[0]! : Infinity;
  }

  /** Run the next event; returns false when there is none. */
  runNext(): boolean {
    if (!this.times.length) return false;
    const t = this.times[0]!;
    const cb = this.callbacks[0]!;
    this.removeTop();
    this.now = t;
    cb(t);
    return true;
  }

  /** Run every event due at or before `until`, then advance the clock to `until`. */
  runUntil(until: number): number {
    let n = 0;
    while (this.times.length && this.times[0]! <= until) {
      this.runNext();
      n++;
    }
    if (until > this.now) this.now = until;
    return n;
  }

  private less(a: number, b: number): boolean {
    const ta = this.times[a]!;
    const tb = this.times[b]!;
    return ta < tb || (ta === tb && this.seqs[a]! < this.seqs[b]!);
  }

  private swap(a: number, b: number): void {
    const t = this.times[a]!;
    this.times[a] = this.times[b]!;
    this.times[b] = t;
    const s = this.seqs[a]!;
    this.seqs[a] = this.seqs[b]!;
    this.seqs[b] = s;
    const c = this.callbacks[a]!;
    this.callbacks[a] = this.callbacks[b]!;
    this.callbacks[b] = c;
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  private removeTop(): void {
    const last = this.times.length - 1;
    if (last > 0) this.swap(0, last);
    this.times.pop();
    this.seqs.pop();
    this.callbacks.pop();
    let i = 0;
    const n = this.times.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }
}
