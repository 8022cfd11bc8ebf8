/**
 * kernel-mm.md §11.1 and §11.2 end to end, with the GEM driver model instead of bare shmem
 * inodes: the lower half of a 128 MiB zone holds 1-page GEM objects of two groups created in
 * turn (so their pages alternate), each bound in its client's ppGTT and idle; the rest is a
 * desktop process (anon + clean page cache), and whatever is still free goes to unmovable
 * kernel memory. Closing one group leaves the free memory as order-0 holes between the other
 * group's pinned pages. An order-2 GFP_KERNEL request then needs compaction.
 *
 * No swap, so the shrinker and the OOM notifier cannot release WILLNEED objects: under
 * i915-6.1 (and every policy without the hook) each pinned page fails migration with -EAGAIN
 * and the OOM killer runs with plenty of free memory — the premature OOM the 2016 patch was
 * about. With the hook (seed, as posted or fixed, and the wait-idle what-if) sync compaction
 * asks the driver, which drops each idle object, and the request succeeds without a kill.
 */
import { describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { MAX_ORDER, MigrateType, ZoneType } from '../../src/mm/constants.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import { checkUserInvariants } from '../../src/mm/debug_vm_users.js';
import { touch } from '../../src/mm/fault.js';
import { createFile, fileRead } from '../../src/mm/file.js';
import { GFP_KERNEL, __GFP_MOVABLE } from '../../src/mm/gfp.js';
import { Kernel } from '../../src/mm/kernel.js';
import { createMm, mmap } from '../../src/mm/memory.js';
import { VmEvent } from '../../src/mm/vmstat.js';
import { WMARK_HIGH } from '../../src/mm/zone.js';
import { GemDevice } from '../../src/drivers/gem/driver.js';
import type { GemObject } from '../../src/drivers/gem/object.js';
import { GEM_POLICIES, type PolicyName } from '../../src/drivers/gem/policy.js';

interface Setup {
  k: Kernel;
  dev: GemDevice;
  kept: GemObject[];
}

function setup(policy: PolicyName): Setup {
  const k = new Kernel(loadMachineSpec('machine:\n  cpus: 1\n  pcp: false\n  thp: false\n  zones:\n    - { name: Normal, start_pfn: 0x100000, size: 128MiB }\n', 'm.yaml'));
  const zone = k.nodes[0]!.zones[ZoneType.NORMAL]!;
  const dev = new GemDevice(k, policy);
  k.setCurrent({ comm: 'Xorg', pid: 50, oomScoreAdj: 0 });
  const kept: GemObject[] = [];
  const closed: GemObject[] = [];
  const n = Math.floor((zone.managed * 0.5) / 2);
  for (let i = 0; i < n; i++) {
    // The group to be closed first, so the holes sit at even pfns (as in test/mm/walkthrough).
    for (const group of [closed, kept]) {
      const obj = dev.createObject(4096);
      expect(obj.bind(obj.vma())).toBe(0);
      group.push(obj);
    }
  }
  k.setCurrent({ comm: 'desktop', pid: 100, oomScoreAdj: 0 });
  const desktop = createMm(k, { pid: 100, comm: 'desktop' });
  const cache = createFile(k, 'libs.so');
  const va = mmap(k, desktop, zone.managed);
  let p = 0;
  while (zone.freePages > zone.wmarkPages(WMARK_HIGH) + 64) {
    touch(k, desktop, va + p, 1, true);
    fileRead(k, cache, p, 1);
    p++;
  }
  const mem = k.mem;
  for (let order = MAX_ORDER - 1; order >= 0; order--) {
    for (let mt = 0; mt < 5; mt++) {
      const head = zone.freeListHead(order, mt);
      while (!mem.listEmpty(head)) expect(k.alloc.allocPagesAt(k.pfn(mem.next[head]!), order, GFP_KERNEL)).toBe(true);
    }
  }
  for (const obj of closed) dev.closeObject(obj);
  k.setCurrent({ comm: 'kworker/0:1', pid: 30, oomScoreAdj: 0 });
  return { k, dev, kept };
}

function freeAtOrder(k: Kernel, order: number): number {
  const zone = k.nodes[0]!.zones[ZoneType.NORMAL]!;
  let n = 0;
  for (let o = order; o < MAX_ORDER; o++) n += zone.nrFree[o]!;
  return n;
}

describe('an order-2 GFP_KERNEL request among idle pinned GEM objects (kernel-mm.md §11)', () => {
  for (const policy of ['i915-6.1', 'movable-no-hook', 'unmovable-pins'] as const) {
    it(`${policy}: every pinned page fails migration; a premature OOM kill`, () => {
      const { k, dev, kept } = setup(policy);
      const zone = k.nodes[0]!.zones[ZoneType.NORMAL]!;
      expect(freeAtOrder(k, 2)).toBe(0);
      expect(zone.freePages).toBeGreaterThan(zone.managed * 0.2);
      const ev = k.alloc.events;
      const pfn = k.alloc.allocPages(GFP_KERNEL, 2);
      checkInvariants(k.alloc);
      checkUserInvariants(k);
      expect(ev.get(VmEvent.PGMIGRATE_FAIL)).toBeGreaterThan(0);
      expect(ev.get(VmEvent.COMPACT_FAIL)).toBe(ev.get(VmEvent.COMPACT_STALL));
      expect(dev.stats.hookCalls).toBe(0);
      // The driver was asked, at the OOM gate, and could release nothing (no swap, nothing purgeable).
      expect(dev.stats.oomNotifierCalls).toBeGreaterThan(0);
      expect(dev.stats.oomNotifierFreedPages).toBe(0);
      expect(ev.get(VmEvent.OOM_KILL)).toBe(1);
      const oom = k.oom.events[0]!;
      expect(oom.victim).toEqual({ pid: 100, comm: 'desktop' });
      expect(oom.premature).toBe(true);
      expect(oom.freePages).toBeGreaterThan(zone.managed * 0.2);
      // Killing the desktop freed its memory; the retry then succeeded there. The objects never moved.
      expect(pfn).toBeGreaterThan(0);
      for (const obj of kept) expect(obj.hasPages).toBe(true);
    });
  }

  for (const policy of ['seed', 'seed-as-posted', 'seed-wait-idle'] as const) {
    it(`${policy}: sync compaction asks the driver, idle objects are dropped, the request succeeds without an OOM kill`, () => {
      const { k, dev, kept } = setup(policy);
      expect(freeAtOrder(k, 2)).toBe(0);
      for (const obj of kept.slice(0, 8)) {
        expect(k.mem.getPageblockMigratetype(k.slot(obj.pages![0]!))).toBe((GEM_POLICIES[policy].gfpMask & __GFP_MOVABLE) !== 0 ? MigrateType.MOVABLE : MigrateType.RECLAIMABLE);
      }
      const ev = k.alloc.events;
      const pfn = k.alloc.allocPages(GFP_KERNEL, 2);
      checkInvariants(k.alloc);
      checkUserInvariants(k);
      expect(pfn).toBeGreaterThan(0);
      expect(ev.get(VmEvent.OOM_KILL)).toBe(0);
      expect(k.oom.events).toHaveLength(0);
      expect(ev.get(VmEvent.COMPACT_SUCCESS)).toBeGreaterThan(0);
      const st = dev.stats;
      expect(st.hookCalls).toBeGreaterThan(0);
      expect(st.hookObjectsDropped).toBeGreaterThan(0);
      expect(st.hookMigrated).toBeGreaterThan(0);
      // Nothing was active, pinned, purgeable or locked: every call dropped its object or found it dropped.
      expect(st.hookEbusyActive + st.hookEbusyPinnedPages + st.hookEbusyPinnedVma + st.hookEbusyLock + st.hookEbusyOverref).toBe(0);
      expect(st.hookObjectsDropped).toBe(kept.filter((o) => !o.hasPages).length);
      expect(st.hookWaits).toBe(0);
      // The dropped objects re-fault at their next use.
      const dropped = kept.filter((o) => !o.hasPages).slice(0, 3);
      expect(dev.execbuf(dropped, { durationNs: 1e6 })).not.toBeTypeOf('number');
      expect(st.refaultPages).toBe(3);
      checkUserInvariants(k);
    });
  }
});
