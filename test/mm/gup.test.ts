/**
 * pin_user_pages(FOLL_LONGTERM) (mm/gup.c, 6.1): pages in ZONE_MOVABLE are migrated out
 * (check_and_migrate_movable_pages(), migrate_pages(MIGRATE_SYNC, MR_LONGTERM_PIN)) before the
 * range is pinned again; pages elsewhere are pinned where they are.
 */
import { describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { ZoneType } from '../../src/mm/constants.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import { touch } from '../../src/mm/fault.js';
import { pinUserPagesLongterm, unpinUserPages } from '../../src/mm/gup.js';
import { GFP_KERNEL } from '../../src/mm/gfp.js';
import { Kernel } from '../../src/mm/kernel.js';
import { createMm, mmap } from '../../src/mm/memory.js';
import { ENOMEM, MmError } from '../../src/mm/mm_error.js';
import { VmEvent } from '../../src/mm/vmstat.js';
import { FtraceTextWriter, parseFtrace } from '../../src/trace/ftrace.js';

/** 64 MiB of Normal, then 64 MiB of Movable (where GFP_HIGHUSER_MOVABLE faults go first). */
function machine(): Kernel {
  return new Kernel(
    loadMachineSpec(
      'machine:\n  cpus: 1\n  pcp: false\n  thp: false\n  nodes:\n    - zones:\n        - { name: Normal, start_pfn: 0x100000, pages: 0x4000 }\n        - { name: Movable, start_pfn: 0x104000, pages: 0x4000 }\n',
      'm.yaml',
    ),
  );
}

describe('pin_user_pages(FOLL_LONGTERM)', () => {
  it('migrates the pages out of ZONE_MOVABLE, then pins them where they landed', () => {
    const k = machine();
    const mm = createMm(k, { pid: 10, comm: 'rdma' });
    const va = mmap(k, mm, 64);
    touch(k, mm, va, 64, true);
    const before = Array.from({ length: 64 }, (_, i) => mm.pte.get(va + i)!);
    for (const pfn of before) expect(k.zoneOf(pfn).type).toBe(ZoneType.MOVABLE);
    const w = new FtraceTextWriter();
    k.eventTrace = w;
    const pinned = pinUserPagesLongterm(k, mm, va, 64);
    k.eventTrace = null;
    expect(pinned).toHaveLength(64);
    for (let i = 0; i < 64; i++) {
      expect(pinned[i]).toBe(mm.pte.get(va + i));
      expect(k.zoneOf(pinned[i]!).type).toBe(ZoneType.NORMAL);
      expect(k.mem.refcount[k.slot(pinned[i]!)]).toBe(2); // the mapping's and the pin's
    }
    expect(k.alloc.events.get(VmEvent.PGMIGRATE_SUCCESS)).toBe(64);
    const mig = parseFtrace(w.text(1)).filter((e) => e.event === 'mm_migrate_pages');
    expect(mig.map((e) => e.body)).toEqual(['nr_succeeded=64 nr_failed=0 nr_thp_succeeded=0 nr_thp_failed=0 nr_thp_split=0 mode=MIGRATE_SYNC reason=longterm_pin']);
    checkInvariants(k.alloc);
    unpinUserPages(k, pinned);
    for (const pfn of pinned) expect(k.mem.refcount[k.slot(pfn)]).toBe(1);
    checkInvariants(k.alloc);
  });

  it('pins pages outside ZONE_MOVABLE in place, with no migration', () => {
    const k = machine();
    const mm = createMm(k, { pid: 10, comm: 'rdma' });
    const va = mmap(k, mm, 8);
    touch(k, mm, va, 8, true);
    const first = pinUserPagesLongterm(k, mm, va, 8); // now in Normal
    const again = pinUserPagesLongterm(k, mm, va, 8);
    expect(again).toEqual(first);
    expect(k.alloc.events.get(VmEvent.PGMIGRATE_SUCCESS)).toBe(8); // only the first pin migrated
    for (const pfn of again) expect(k.mem.refcount[k.slot(pfn)]).toBe(3);
  });

  it('fails with -ENOMEM and leaves nothing pinned when a page cannot be migrated', () => {
    const k = machine();
    const mm = createMm(k, { pid: 10, comm: 'rdma' });
    const va = mmap(k, mm, 4);
    touch(k, mm, va, 4, true);
    const stuck = mm.pte.get(va + 2)!;
    k.getPage(stuck); // someone else holds a reference: folio_migrate_mapping() says -EAGAIN, ten times
    let err: unknown;
    try {
      pinUserPagesLongterm(k, mm, va, 4);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MmError);
    expect((err as MmError).code).toBe(-ENOMEM);
    expect(k.alloc.events.get(VmEvent.PGMIGRATE_FAIL)).toBe(1);
    expect(k.alloc.events.get(VmEvent.PGMIGRATE_SUCCESS)).toBe(3);
    // The three that moved are mapped from Normal now; none of the four keeps a pin.
    expect(k.mem.refcount[k.slot(stuck)]).toBe(2);
    for (const i of [0, 1, 3]) expect(k.mem.refcount[k.slot(mm.pte.get(va + i)!)]).toBe(1);
    checkInvariants(k.alloc);
  });
});

describe('a THP that finds no order-9 destination (migrate_pages_batch: -ENOMEM, try_split_folio)', () => {
  it('is split and its 512 pages migrate one by one: thp_migration_fail and thp_migration_split 1, the call succeeds', () => {
    const k = new Kernel(
      loadMachineSpec(
        'machine:\n  cpus: 1\n  pcp: false\n  thp: true\n  nodes:\n    - zones:\n        - { name: Normal, start_pfn: 0x100000, pages: 0x4000 }\n        - { name: Movable, start_pfn: 0x104000, pages: 0x4000 }\n',
        'm.yaml',
      ),
    );
    // Normal keeps only blocks below order 9: one page taken out of each of three order-10
    // blocks, then every free block of order 9 or 10 taken.
    const normal = k.nodes[0]!.zones[ZoneType.NORMAL]!;
    for (const pfn of [0x100000, 0x100400, 0x100800]) expect(k.alloc.allocPagesAt(pfn, 0, GFP_KERNEL)).toBe(true);
    for (const order of [10, 9]) {
      for (let mt = 0; mt < 5; mt++) {
        const head = normal.freeListHead(order, mt);
        while (!k.mem.listEmpty(head)) expect(k.alloc.allocPagesAt(k.pfn(k.mem.next[head]!), order, GFP_KERNEL)).toBe(true);
      }
    }
    expect(normal.freePages).toBe(3 * 511);
    const mm = createMm(k, { pid: 10, comm: 'rdma' });
    const va = mmap(k, mm, 1024);
    const start = Math.ceil(va / 512) * 512;
    touch(k, mm, start, 512, true);
    const thp = mm.pte.get(start)!;
    expect(k.nrPages(thp)).toBe(512);
    expect(k.zoneOf(thp).type).toBe(ZoneType.MOVABLE);
    const w = new FtraceTextWriter();
    k.eventTrace = w;
    const pinned = pinUserPagesLongterm(k, mm, start, 512);
    k.eventTrace = null;
    for (const pfn of pinned) {
      expect(k.zoneOf(pfn).type).toBe(ZoneType.NORMAL);
      expect(k.nrPages(pfn)).toBe(1);
    }
    const ev = k.alloc.events;
    expect(ev.get(VmEvent.THP_MIGRATION_SPLIT)).toBe(1);
    expect(ev.get(VmEvent.THP_MIGRATION_FAIL)).toBe(1); // counted as failed although it was split (6.1)
    expect(ev.get(VmEvent.THP_MIGRATION_SUCCESS)).toBe(0);
    expect(ev.get(VmEvent.PGMIGRATE_SUCCESS)).toBe(512);
    const mig = parseFtrace(w.text(1)).filter((e) => e.event === 'mm_migrate_pages');
    expect(mig.map((e) => e.body)).toEqual(['nr_succeeded=512 nr_failed=0 nr_thp_succeeded=0 nr_thp_failed=1 nr_thp_split=1 mode=MIGRATE_SYNC reason=longterm_pin']);
    checkInvariants(k.alloc);
  });
});
