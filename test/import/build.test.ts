import { describe, expect, it } from 'vitest';
import {
  ROLE_ALLOCATED, ROLE_FREE, ROLE_HOLE, ROLE_RESERVED, applyState, machineConfigFromState, machineSpecYaml, planLayout,
  snapshotOfState,
} from '../../src/import/build.js';
import { ImportError, type RealState, parseHarnessRun, parseZoneinfo } from '../../src/import/procfs_parse.js';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { MAX_ORDER, MIGRATE_TYPES, MigrateType, PAGEBLOCK_NR_PAGES, ZONE_NAMES } from '../../src/mm/constants.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import { checkUserInvariants } from '../../src/mm/debug_vm_users.js';
import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL } from '../../src/mm/gfp.js';
import { dropPagecache } from '../../src/mm/file.js';
import { Kernel } from '../../src/mm/kernel.js';
import { PG_buddy, PG_hole, PG_lru, PG_reserved } from '../../src/mm/page_flags.js';
import { renderBuddyinfo, renderPagetypeinfo, renderZoneinfo } from '../../src/mm/procfs.js';
import { takeSnapshot } from '../../src/mm/show.js';
import { ShmemInode } from '../../src/mm/shmem.js';
import { NodeStat, ZoneStat } from '../../src/mm/vmstat.js';
import { FIXTURES, fixtureText, phasesUnderTest } from './helpers.js';

function imported(state: RealState, seed = 1): { k: Kernel; report: ReturnType<typeof applyState> } {
  const k = new Kernel(machineConfigFromState(state), seed);
  const report = applyState(k, state, seed);
  return { k, report };
}

/** The recorded state with buddyinfo as the per-type sums (what the import reproduces when they disagree). */
function expectedSnapshot(state: RealState) {
  const s = structuredClone(state);
  for (const z of s.zones) z.nrFree = Array.from({ length: MAX_ORDER }, (_, o) => z.freeByType.reduce((a, row) => a + row[o]!, 0));
  return snapshotOfState(s);
}

describe('applyState reproduces every recorded fixture', () => {
  for (const file of FIXTURES) {
    for (const phase of phasesUnderTest(file)) {
      it(`${file} ${phase}: buddyinfo and pagetypeinfo re-render as recorded`, () => {
        const state = parseHarnessRun(fixtureText(file), file, phase);
        const { k, report } = imported(state);
        checkInvariants(k.alloc);
        const snap = takeSnapshot(k.alloc);
        const consistent = !state.notes.some((n) => n.includes('disagree'));
        if (consistent) expect(renderBuddyinfo(snap)).toBe(renderBuddyinfo(snapshotOfState(state)));
        else expect(renderBuddyinfo(snap)).toBe(renderBuddyinfo(expectedSnapshot(state)));
        expect(renderPagetypeinfo(snap)).toBe(renderPagetypeinfo(snapshotOfState(state)));

        // zoneinfo: geometry, watermarks and protection as recorded; pcp lists empty.
        const zi = parseZoneinfo(renderZoneinfo(snap), 'zoneinfo');
        for (const z of state.zones) {
          const got = zi.find((x) => x.nid === z.nid && x.name === z.name)!;
          // The LRU pages: the movable placeholders, at most the recorded ones.
          if (z.present > 0) expect(got.lruPages).toBeLessThanOrEqual(z.lruPages!);
          expect({ ...got, line: 0, cpus: 0, pagesFree: 0, lruPages: 0 }).toEqual({
            nid: z.nid, name: z.name, line: 0, startPfn: z.present > 0 ? z.startPfn : null, pagesFree: 0, boost: z.boost,
            min: z.min, low: z.low, high: z.high, spanned: z.spanned, present: z.present, managed: z.managed,
            protection: z.protection, cpus: 0, lruPages: 0,
          });
        }
        for (const node of k.nodes) for (const z of node.zones) expect(Array.from(z.pcpCount)).toEqual([0, 0]);

        // Everything managed and not free is held by the placeholders, by pageblock type.
        const byName = new Map(report.owners.map((o) => [o.id, o.name]));
        for (const zr of report.zones) {
          const z = state.zones.find((x) => x.nid === zr.nid && x.name === zr.name)!;
          expect(zr.freePages).toBe(z.freeByType.reduce((s, row, mt) => s + (mt === MigrateType.ISOLATE ? 0 : row.reduce((a, c, o) => a + (c << o), 0)), 0));
          expect(zr.allocatedPages).toBe(z.managed - zr.freePages);
          expect(zr.foreignBlocks).toBe(0);
        }
        // Movable pageblocks' pages are user memory compaction can move (a tmpfs file on the LRU,
        // with the page-cache counters that go with it) as many as the recorded LRU pages; the
        // rest, and every page of the other types, kernel memory.
        const mem = k.mem;
        const names = ['imported-unmovable', 'imported-movable', 'imported-reclaimable', 'imported-highatomic', 'imported-isolate'];
        let held = 0;
        let user = 0;
        const wrong: number[] = [];
        for (let s = 0; s < mem.nrPages; s++) {
          if (mem.mapping[s] === 0) continue;
          held++;
          const name = byName.get(mem.mapping[s]!);
          const mt = mem.getPageblockMigratetype(s);
          if (name === 'imported-movable') user++;
          const ok = name === names[mt] || (mt === MigrateType.MOVABLE && name === 'imported-unmovable');
          if (!ok || mem.refcount[s] !== 1) wrong.push(s);
        }
        expect(wrong).toEqual([]);
        expect(held).toBe(report.zones.reduce((a, z) => a + z.allocatedPages, 0));
        const lru = state.zones.reduce((a, z) => a + (z.lruPages ?? 0), 0);
        expect(state.zones.some((z) => z.lruPages !== null)).toBe(true);
        expect(user).toBeGreaterThan(0);
        expect(user).toBeLessThanOrEqual(lru);
        const movable = report.owners.find((o) => o.name === 'imported-movable')!;
        expect(movable).toBeInstanceOf(ShmemInode);
        expect((movable as ShmemInode).nrpages).toBe(user);
        expect(k.nodeStat(0, NodeStat.NR_SHMEM)).toBe(user);
        expect(k.nodeStat(0, NodeStat.NR_INACTIVE_ANON)).toBe(user);
        checkUserInvariants(k);
      });
    }
  }
});

describe('the movable placeholders', () => {
  it('hold the recorded LRU pages: tmpfs memory that drop_caches keeps and no task owns', () => {
    const state = parseHarnessRun(fixtureText('a-random.1.json'), 'a.json', 'boot');
    const { k, report } = imported(state);
    const movable = report.owners.find((o) => o.name === 'imported-movable') as ShmemInode;
    // 1,902 LRU pages recorded at boot, 5 of them DMA's share, whose 32 used pages are all in its
    // Unmovable pageblock (so DMA gets none).
    expect(state.zones.map((z) => z.lruPages)).toEqual([5, 1897, null, null, null]);
    expect(movable.nrpages).toBe(1897);
    // The boot state's other used pages of DMA32 (about 9,700) are kernel memory.
    const dma32 = report.zones.find((z) => z.name === 'DMA32')!;
    expect(dma32.allocatedPages - movable.nrpages).toBeGreaterThan(9000);
    expect(dropPagecache(k)).toBe(0);
    expect(movable.nrpages).toBe(1897);
    expect([...k.oom.tasks]).toEqual([]);
    checkUserInvariants(k);
  });
});

describe("the settle step's compaction hints", () => {
  // memscen's settle step ran compact_memory just before the boot snapshot. Its PB_migrate_skip
  // bits are not in /proc but steer the later compactions, so applyState() rebuilds them by
  // running compact_memory on a copy of the state: the migration scanner marks every pageblock
  // it passes without isolating anything; the free scanner walks down from the zone's end past
  // the free order-10 blocks (a block starting with a free page of pageblock order is no
  // target) and marks the second half of each, which it scans with its stride and finds no
  // buddy head in; the scanners meet at the first pageblock with user (LRU) pages.
  it('are the skip bits compact_memory leaves, and the state stays as recorded', () => {
    const state = parseHarnessRun(fixtureText('a-random.1.json'), 'a.json', 'boot');
    expect(state.source.settled).toBe(true);
    const { k, report } = imported(state);
    expect(report.notes.some((n) => n.includes('skip hints'))).toBe(true);
    const zone = k.nodes[0]!.zones[1]!;
    const skip = (pfn: number): boolean => k.mem.getPageblockSkip(k.slot(pfn));
    let firstLru = -1;
    for (let pfn = zone.startPfn; pfn < zone.endPfn && firstLru < 0; pfn++) if (k.mem.flags[k.slot(pfn)]! & PG_lru) firstLru = pfn;
    const meet = firstLru - (firstLru % PAGEBLOCK_NR_PAGES);
    expect(meet).toBeGreaterThan(zone.startPfn);
    for (let pfn = zone.startPfn; pfn < meet; pfn += PAGEBLOCK_NR_PAGES) expect(skip(pfn), `pageblock at 0x${pfn.toString(16)}`).toBe(true);
    let order10 = 0;
    for (let pfn = meet + PAGEBLOCK_NR_PAGES; pfn < zone.endPfn; pfn += PAGEBLOCK_NR_PAGES) {
      const s = k.slot(pfn);
      if ((k.mem.flags[s]! & PG_buddy) === 0 || k.mem.private[s] !== MAX_ORDER - 1) continue;
      order10++;
      expect([skip(pfn), skip(pfn + PAGEBLOCK_NR_PAGES)], `free order-10 block at 0x${pfn.toString(16)}`).toEqual([false, true]);
    }
    expect(order10).toBeGreaterThan(200);
    // Nothing moved: the import checks the free lists and pageblocks against the record, and the
    // user pages are all where the import put them.
    expect((report.owners.find((o) => o.name === 'imported-movable') as ShmemInode).nrpages).toBe(1897);
    checkInvariants(k.alloc);
    checkUserInvariants(k);
  });

  it('are not rebuilt for a phase recorded without a settle step just before it', () => {
    const state = parseHarnessRun(fixtureText('a-random.1.json'), 'a.json', 'fragmented');
    expect(state.source.settled).toBe(false);
    const { k } = imported(state);
    for (let slot = 0; slot < k.mem.nrPages; slot += PAGEBLOCK_NR_PAGES) expect(k.mem.getPageblockSkip(slot)).toBe(false);
  });
});

describe('layout', () => {
  const boot = parseHarnessRun(fixtureText('a-random.1.json'), 'a-random.1.json');
  const frag = parseHarnessRun(fixtureText('b-pinned.2.json'), 'b-pinned.2.json', 'fragmented');

  it('is deterministic in the seed: same seed, same mem_map; another seed, another layout', () => {
    const a = imported(frag, 7).k.mem;
    const b = imported(frag, 7).k.mem;
    expect(Buffer.from(a.pageblockFlags.buffer).equals(Buffer.from(b.pageblockFlags.buffer))).toBe(true);
    expect(Buffer.from(a.flags.buffer).equals(Buffer.from(b.flags.buffer))).toBe(true);
    expect(Buffer.from(a.mapping.buffer).equals(Buffer.from(b.mapping.buffer))).toBe(true);
    const c = imported(frag, 8).k.mem;
    expect(Buffer.from(a.pageblockFlags.buffer).equals(Buffer.from(c.pageblockFlags.buffer))).toBe(false);
    expect(Buffer.from(a.flags.buffer).equals(Buffer.from(c.flags.buffer))).toBe(false);
  });

  it('works for many seeds', () => {
    for (let seed = 0; seed < 6; seed++) {
      const { k } = imported(frag, seed);
      expect(renderPagetypeinfo(takeSnapshot(k.alloc))).toBe(renderPagetypeinfo(snapshotOfState(frag)));
    }
  });

  it("keeps pagelab's boot layout where it fits, and moves DMA's hole after its reserved pages where it does not", () => {
    const { k, report } = imported(boot);
    expect(report.zones.map((z) => [z.name, z.variant])).toEqual([['DMA', 'hole-after-reserved'], ['DMA32', 'boot']]);
    expect(report.notes).toContain(
      "node 0 zone DMA: used the hole-after-reserved layout, not pagelab's boot layout (reserved pages at the zone start, hole at its end): boot layout: 3 free order-10 blocks but only 2 aligned pairs of wholly usable pageblocks",
    );
    // DMA: pfn 1..158 reserved, 159..255 the hole (x86's 640 KiB..1 MiB), three free order-10 blocks above.
    const mem = k.mem;
    const slot = (pfn: number): number => pfn - mem.pfnBase;
    expect(mem.flags[slot(1)]! & PG_reserved).toBeTruthy();
    expect(mem.flags[slot(158)]! & PG_reserved).toBeTruthy();
    expect(mem.flags[slot(159)]! & PG_hole).toBeTruthy();
    expect(mem.flags[slot(255)]! & PG_hole).toBeTruthy();
    expect(mem.flags[slot(256)]! & (PG_hole | PG_reserved)).toBe(0);
    expect(mem.flags[slot(4095)]! & PG_hole).toBe(0);
    // DMA32: the 16487 reserved pages at the zone start, as pagelab boots.
    expect(mem.flags[slot(4096 + 16486)]! & PG_reserved).toBeTruthy();
    expect(mem.flags[slot(4096 + 16487)]! & PG_reserved).toBe(0);
  });

  it('plans roles and free blocks consistently with the counts', () => {
    const plan = planLayout(frag, 3);
    for (const zl of plan.zones) {
      const z = frag.zones.find((x) => x.name === zl.name)!;
      const count = (r: number): number => zl.role.reduce((a, v) => a + (v === r ? 1 : 0), 0);
      expect(count(ROLE_HOLE)).toBe(z.spanned - z.present);
      expect(count(ROLE_RESERVED)).toBe(z.present - z.managed);
      const free = zl.freeOrder.reduce((a, o) => a + (1 << o), 0);
      expect(count(ROLE_FREE)).toBe(free);
      expect(count(ROLE_ALLOCATED)).toBe(z.managed - free);
      const byOrderType = Array.from({ length: MIGRATE_TYPES }, () => new Array<number>(MAX_ORDER).fill(0));
      zl.freeOrder.forEach((o, j) => byOrderType[zl.freeMt[j]!]![o]!++);
      expect(byOrderType).toEqual(z.freeByType);
    }
  });

  it('sets the recorded protection where the kernel computed it from other managed counts, and says so', () => {
    const { k, report } = imported(boot);
    expect(Array.from(k.nodes[0]!.zones[0]!.lowmemReserve)).toEqual([0, 933, 933, 933, 933]);
    expect(report.notes).toContain(
      'node 0 zone DMA: protection (0, 943, 943, 943, 943) computed from the managed pages differs from the recorded (0, 933, 933, 933, 933) (the kernel computed it at boot, before late memory was freed); lowmem_reserve set to the recorded values',
    );
    // The watermarks follow from min_free_kbytes and managed: nothing to set.
    expect(report.notes.some((n) => n.includes('watermarks'))).toBe(false);
  });

  it('leaves a machine that keeps working: allocations and frees after the import', () => {
    const { k } = imported(frag, 2);
    const live: [number, number][] = [];
    for (let i = 0; i < 2000; i++) {
      const order = i % 4;
      const pfn = k.alloc.allocPages(i % 3 === 0 ? GFP_KERNEL : GFP_HIGHUSER_MOVABLE, order);
      if (pfn >= 0) live.push([pfn, order]);
    }
    expect(live.length).toBeGreaterThan(1900);
    checkInvariants(k.alloc);
    for (const [pfn, order] of live) k.alloc.freePages(pfn, order);
    k.alloc.drainAllPages();
    checkInvariants(k.alloc);
  });

  it('does not count the import as vm events', () => {
    const fresh = new Kernel(machineConfigFromState(frag), 1);
    const before = fresh.alloc.events.toRecord();
    applyState(fresh, frag, 1);
    expect(fresh.alloc.events.toRecord()).toEqual(before);
  });

  it('refuses a machine that is not freshly booted from the state', () => {
    const k = new Kernel(machineConfigFromState(boot), 1);
    k.alloc.allocPages(GFP_KERNEL, 0);
    expect(() => applyState(k, boot, 1)).toThrow(/not freshly booted/);
    const other = loadMachineSpec('machine:\n  cpus: 2\n  memory: 1GiB\n', 'm.yaml');
    const e = (() => {
      try {
        applyState(new Kernel(other, 1), boot, 1);
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(ImportError);
    expect((e as ImportError).message).toMatch(/^a-random\.1\.json: expected a machine booted from this state \(node 0 zone DMA: start_pfn 1, spanned 4095, present 3998, managed 3840\), found start_pfn 1, spanned 4095, present 4095, managed 4095$/);
  });
});

describe('machine config and spec', () => {
  for (const file of ['a-random.1.json', 'c-oom.2.json']) {
    it(`${file}: machine.yaml loads back to the same MachineConfig`, () => {
      const state = parseHarnessRun(fixtureText(file), file);
      const config = machineConfigFromState(state);
      expect(config).toEqual({
        cpus: 2,
        pcp: true,
        thp: true,
        nodes: [{ nid: 0, zones: [
          { name: 'DMA', startPfn: 1, spanned: 4095, present: 3998, managed: 3840 },
          { name: 'DMA32', startPfn: 4096, spanned: 258013, present: 258013, managed: 241526 },
        ] }],
        sysctl: { minFreeKbytes: 3823, watermarkScaleFactor: 10, watermarkBoostFactor: 15000, lowmemReserveRatio: [256, 256, 32, 0, 0], percpuPagelistHighFraction: 0 },
      });
      const yaml = machineSpecYaml(state, ['a comment']);
      expect(yaml).toContain('# a comment\n');
      expect(yaml).toContain('    - { name: DMA, start_pfn: 0x1, pages: 4095, present: 3998, managed: 3840 }\n');
      expect(loadMachineSpec(yaml, 'machine.yaml')).toEqual(config);
    });
  }

  it('writes nodes: for a machine with several nodes', () => {
    const s = parseHarnessRun(fixtureText('a-random.1.json'), 'a.json');
    const two: RealState = structuredClone(s);
    for (const z of s.zones) {
      const copy = structuredClone(z);
      copy.nid = 1;
      if (copy.present > 0) copy.startPfn += 0x100000;
      two.zones.push(copy);
    }
    const yaml = machineSpecYaml(two);
    expect(yaml).toContain('  nodes:\n    - zones:\n        - { name: DMA,');
    const config = loadMachineSpec(yaml, 'm.yaml');
    expect(config.nodes.map((n) => [n.nid, n.zones.map((z) => z.startPfn)])).toEqual([[0, [1, 4096]], [1, [0x100001, 0x101000]]]);
    expect(config).toEqual(machineConfigFromState(two));
    const { k } = imported(two);
    expect(renderPagetypeinfo(takeSnapshot(k.alloc))).toBe(renderPagetypeinfo(snapshotOfState(two)));
  });
});

describe('synthetic states', () => {
  /** A one-zone Normal machine of `blocks` pageblocks with the given free lists and pageblock counts. */
  function synthetic(blocks: number, free: number[][], pageblocks: number[], extra: Partial<RealState['zones'][number]> = {}): RealState {
    const managed = extra.managed ?? blocks * PAGEBLOCK_NR_PAGES;
    const zones = ZONE_NAMES.map((name) => ({
      nid: 0, name, startPfn: 0, spanned: 0, present: 0, managed: 0, min: 0, low: 0, high: 0, boost: 0,
      protection: [0, 0, 0, 0, 0], nrFree: new Array<number>(MAX_ORDER).fill(0),
      freeByType: Array.from({ length: MIGRATE_TYPES }, () => new Array<number>(MAX_ORDER).fill(0)),
      capped: [] as [number, number][], pageblocks: new Array<number>(MIGRATE_TYPES).fill(0), lruPages: null as number | null,
    }));
    const z = zones[2]!;
    Object.assign(z, { startPfn: 0x100000, spanned: blocks * PAGEBLOCK_NR_PAGES, present: blocks * PAGEBLOCK_NR_PAGES, managed, freeByType: free, pageblocks, ...extra });
    z.nrFree = Array.from({ length: MAX_ORDER }, (_, o) => free.reduce((a, row) => a + row[o]!, 0));
    // Watermarks as the booted machine computes them for min_free_kbytes 1024.
    const pagesMin = 256;
    const gap = Math.max(pagesMin >> 2, Math.floor((z.managed * 10) / 10000));
    Object.assign(z, { min: pagesMin, low: pagesMin + gap, high: pagesMin + 2 * gap });
    return {
      format: 'pagelab-real-state', version: 1,
      source: { kind: 'procfs', files: ['synthetic'], phase: null, scenario: null, kernelRelease: null },
      cpus: 1, thp: { configured: null, enabled: null, defrag: null },
      sysctl: {
        minFreeKbytes: 1024, watermarkScaleFactor: 10, watermarkBoostFactor: 15000, lowmemReserveRatio: [256, 256, 32, 0, 0], percpuPagelistHighFraction: 0,
        sources: { minFreeKbytes: 'recorded', watermarkScaleFactor: 'recorded', watermarkBoostFactor: 'recorded', lowmemReserveRatio: 'recorded', percpuPagelistHighFraction: 'recorded' },
      },
      zones,
      notes: [],
    };
  }
  const row = (cells: Record<number, number>): number[] => Array.from({ length: MAX_ORDER }, (_, o) => cells[o] ?? 0);

  it('HighAtomic and Isolate pageblocks, with their reserve counters', () => {
    const s = synthetic(64, [row({ 0: 30, 3: 4 }), row({ 10: 20, 9: 3, 2: 11 }), row({ 1: 5 }), row({ 5: 2, 9: 1 }), row({ 9: 1, 4: 3 })], [6, 52, 2, 2, 2]);
    const { k, report } = imported(s);
    expect(renderPagetypeinfo(takeSnapshot(k.alloc))).toBe(renderPagetypeinfo(snapshotOfState(s)));
    const z = k.nodes[0]!.zones[2]!;
    expect(z.nrIsolatePageblock).toBe(2);
    expect(z.nrReservedHighatomic).toBe(2 * PAGEBLOCK_NR_PAGES);
    // Isolated free pages do not count in NR_FREE_PAGES.
    expect(z.vmStat[ZoneStat.NR_FREE_PAGES]).toBe(report.zones[0]!.freePages);
    expect(report.zones[0]!.freePages).toBe(30 + 32 + 20 * 1024 + 3 * 512 + 44 + 10 + 64 + 512);
    expect(report.owners.map((o) => o.name).sort()).toEqual(['imported-highatomic', 'imported-isolate', 'imported-movable', 'imported-reclaimable', 'imported-unmovable']);
  });

  it('puts free blocks in another type\'s pageblocks when their own cannot hold them (a partial steal)', () => {
    // 3000 free Unmovable order-0 pages cannot live in 4 Unmovable pageblocks (at most 256 each).
    const s = synthetic(32, [row({ 0: 3000 }), row({ 0: 10 }), row({}), row({}), row({})], [4, 28, 0, 0, 0]);
    const { k, report } = imported(s);
    expect(report.zones[0]!.foreignBlocks).toBeGreaterThan(0);
    expect(report.notes.some((n) => n.includes('sit in pageblocks of another migratetype than their free list'))).toBe(true);
    expect(renderPagetypeinfo(takeSnapshot(k.alloc))).toBe(renderPagetypeinfo(snapshotOfState(s)));
    checkInvariants(k.alloc);
  });

  it('fits free blocks around reserved pages, and an impossible state is an ImportError', () => {
    // 8 pageblocks, 300 reserved pages at the start: three free order-10 blocks above them and an
    // order-8 block next to the reserved pages.
    const s = synthetic(8, [row({}), row({ 10: 3, 8: 1 }), row({}), row({}), row({})], [0, 8, 0, 0, 0], { managed: 8 * 512 - 300 });
    expect(planLayout(s, 1).zones[0]!.variant).toBe('boot');
    const { k } = imported(s);
    expect(renderBuddyinfo(takeSnapshot(k.alloc))).toBe('Node 0, zone   Normal      0      0      0      0      0      0      0      0      1      0      3 \n');
    // Nine free order-8 blocks in 8 pageblocks: two would share a pageblock and be buddies.
    const bad = synthetic(8, [row({}), row({ 8: 9 }), row({}), row({}), row({})], [0, 8, 0, 0, 0]);
    expect(() => planLayout(bad, 1)).toThrow(ImportError);
    expect(() => planLayout(bad, 1)).toThrow(
      'synthetic: expected free lists and pageblock counts that fit node 0 zone Normal, found no layout fits (boot layout: no room for a free order-8 Movable block)',
    );
  });

  it('sets recorded watermarks and boost that the booted machine does not compute', () => {
    const s = synthetic(16, [row({}), row({ 10: 4 }), row({}), row({}), row({})], [0, 16, 0, 0, 0]);
    const z = s.zones[2]!;
    z.min += 5;
    z.low += 5;
    z.high += 5;
    z.boost = 5; // zoneinfo prints the watermarks with the boost in them
    z.low += 3;
    z.high += 6;
    const { k, report } = imported(s);
    const kz = k.nodes[0]!.zones[2]!;
    expect(Array.from(kz.watermark).slice(0, 3)).toEqual([z.min - 5, z.low - 5, z.high - 5]);
    expect(kz.watermarkBoost).toBe(5);
    expect(report.notes.some((n) => n.startsWith('node 0 zone Normal: the booted watermarks min/low/high'))).toBe(true);
    const zi = parseZoneinfo(renderZoneinfo(takeSnapshot(k.alloc)), 'zi').find((x) => x.name === 'Normal')!;
    expect([zi.min, zi.low, zi.high, zi.boost]).toEqual([z.min, z.low, z.high, 5]);
  });
});

// Buddy pages of the free lists are real PageBuddy heads of the recorded orders.
describe('free block heads', () => {
  it('every free block is a PageBuddy head on the list of its recorded type', () => {
    const s = parseHarnessRun(fixtureText('c-oom.1.json'), 'c.json', 'kalloc_order3');
    const { k } = imported(s, 5);
    const plan = planLayout(s, 5);
    for (const zl of plan.zones) {
      for (let j = 0; j < zl.freePfn.length; j++) {
        const slot = zl.freePfn[j]! - k.mem.pfnBase;
        expect(k.mem.flags[slot]! & PG_buddy).toBeTruthy();
        expect(k.mem.private[slot]).toBe(zl.freeOrder[j]);
      }
    }
  });
});
