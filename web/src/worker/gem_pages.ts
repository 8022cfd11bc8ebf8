/**
 * The GEM objects of a run, by the owner id of their shmem file: which objects hold their pages
 * (i915's reference, the pin migration trips over). Found through the GEM devices the run's
 * workloads hold (gpu's `dev`, memscen's with `pin_by: gem`), since the kernel model has no back
 * pointer from a shmem inode to its driver object and no list of drivers.
 */
import { GemDevice } from '../../../src/drivers/gem/driver.js';
import type { GemObject } from '../../../src/drivers/gem/object.js';
import type { Workload } from '../../../src/workloads/workload.js';

export const GEM_NONE = 0;
export const GEM_HAS_PAGES = 1;
export const GEM_NO_PAGES = 2;

export class GemIndex {
  /** By owner id: GEM_NONE, GEM_HAS_PAGES or GEM_NO_PAGES. */
  state: Uint8Array = new Uint8Array(256);
  private readonly byOwner = new Map<number, GemObject>();

  /** Re-read every live object of every GEM device a workload holds (O(objects)). */
  refresh(workloads: readonly Workload[]): void {
    this.state.fill(GEM_NONE);
    this.byOwner.clear();
    for (const w of workloads) {
      // A workload's own fields, whatever their TypeScript visibility: the device is one of them.
      for (const dev of Object.values(w)) {
        if (dev instanceof GemDevice) this.add(dev);
      }
    }
  }

  private add(dev: GemDevice): void {
    for (const obj of dev.allObjects()) {
      const id = obj.inode.id;
      if (id === 0) continue;
      if (id >= this.state.length) this.grow(id);
      this.state[id] = obj.hasPages ? GEM_HAS_PAGES : GEM_NO_PAGES;
      this.byOwner.set(id, obj);
    }
  }

  object(ownerId: number): GemObject | undefined {
    return this.byOwner.get(ownerId);
  }

  private grow(id: number): void {
    let n = this.state.length;
    while (n <= id) n *= 2;
    const next = new Uint8Array(n);
    next.set(this.state);
    this.state = next;
  }
}
