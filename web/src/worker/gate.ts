/**
 * Paces a run in the worker: runScenarioAsync() awaits pause() every few hundred events, and
 * the gate holds it there once simulated time has reached the target the page asked for.
 * Wall-clock pacing happens on the page; the simulation itself never reads a clock.
 */

/** A macrotask turn, so queued messages (inspect, select, run-until) are handled mid-run. */
export function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}

export class Gate {
  /** Simulated time reached (ns). */
  now = 0;
  /** The run is at a stop with its sample (or snapshot) taken, not between two events. */
  atStop = false;
  private target = 0;
  private wake: (() => void) | null = null;

  /** Past the target, or on it with the stop's sample taken (so a step shows that sample). */
  get reached(): boolean {
    return this.now > this.target || (this.now === this.target && this.atStop);
  }

  /** Let the run go on to `ns` (targets only move forward). */
  runUntil(ns: number): void {
    if (ns <= this.target) return;
    this.target = ns;
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Resolves once the target is ahead of `now`; `idle` runs each time the gate starts holding. */
  async hold(idle: () => void): Promise<void> {
    while (this.reached) {
      idle();
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}
