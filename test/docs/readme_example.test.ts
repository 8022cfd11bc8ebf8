/** The README's library example, kept compiling and running. */
import { expect, it } from 'vitest';
import {
  Kernel, loadMachineSpec, ShmemInode, shmemGetFolio, shmemSetDevInfo, migrateFolio, createMm, mmap, touch,
  GFP_HIGHUSER_MOVABLE, GFP_KERNEL, takeSnapshot, renderBuddyinfo,
} from '../../src/index.js';

it('the README library example runs', () => {
  const k = new Kernel(loadMachineSpec('machine:\n  memory: 1GiB\n', 'inline'));

  // A driver's GEM object backed by a shmem file, its pages pinned while the GPU uses them.
  const obj = k.owners.register(new ShmemInode('gem-object-1', GFP_HIGHUSER_MOVABLE));
  const pages: number[] = [];
  for (let i = 0; i < 1024; i++) pages.push(shmemGetFolio(k, obj, i)); // each returned with a reference: the pin

  // The seed: let the driver take part in migration — drop the object's pins, then move the page.
  shmemSetDevInfo(obj, {
    privateData: obj,
    migratepage(mapping, newpage, page, mode) {
      for (const p of pages.splice(0)) k.putPage(p); // idle object: unpin all of it
      return migrateFolio(k, mapping, newpage, page, mode);
    },
  });

  // A workload: a process touching anonymous memory, then an order-3 kernel allocation.
  const mm = createMm(k, { pid: 100, comm: 'app' });
  touch(k, mm, mmap(k, mm, 100_000), 100_000, true);
  const pfn = k.alloc.allocPages(GFP_KERNEL, 3);
  k.compaction.compactMemory();
  const buddyinfo = renderBuddyinfo(takeSnapshot(k.alloc));
  expect(pfn).toBeGreaterThan(0);
  expect(buddyinfo).toMatch(/^Node 0, zone      DMA /);
});
