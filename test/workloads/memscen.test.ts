/**
 * `memscen`: the real-kernel harness's pinned-shmem scenario (validation/src/memscen.c) on the
 * harness guest's 1 GiB layout. Kernel figures (test/fixtures/kernel/b-pinned.*.json): hp_direct
 * 62-63, hp_after_compact 62-63, unpinned_hp_after_compact 190-194.
 */
import { describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { MigrateType } from '../../src/mm/constants.js';
import { Kernel } from '../../src/mm/kernel.js';
import { Prng } from '../../src/sim/prng.js';
import { MemscenRng, MemscenWorkload, memscenOptions, memscenUnitTypes } from '../../src/workloads/memscen.js';
import { RunCounters, type WorkloadContext } from '../../src/workloads/workload.js';
import { findWorkloadKind } from '../../src/workloads/index.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KERNEL_FIXTURE_DIR } from '../fixtures.js';
import { MS, SEC, check } from './helpers.js';

/** The harness guest (-m 1024, nokaslr): its zones with their present and managed pages. */
const GUEST = `machine:
  cpus: 2
  zones:
    - { name: DMA, start_pfn: 1, pages: 4095, present: 3998, managed: 3840 }
    - { name: DMA32, start_pfn: 0x1000, pages: 258013, present: 258013, managed: 241526 }
`;

interface Probe {
  at: number;
  fn: (k: Kernel, w: MemscenWorkload) => void;
}

function run(options: Record<string, unknown>, probes: Probe[] = [], seed = 1): { k: Kernel; w: MemscenWorkload; c: Record<string, number> } {
  const k = new Kernel(loadMachineSpec(GUEST, 'machine.yaml'), seed);
  k.compaction.proactiveness = 0; // memscen's proactiveness=0
  const w = new MemscenWorkload('ms', memscenOptions.parse({ seed: 1, at: '10ms', phase_gap: '100ms', ...options }));
  const counters = new RunCounters();
  const endNs = 2 * SEC;
  const ctx: WorkloadContext = { k, prng: new Prng(seed).fork(), counters, endNs, snapshot: () => {} };
  w.start(ctx);
  for (const p of probes) k.clock.scheduleAt(p.at, () => p.fn(k, w));
  k.clock.runUntil(endNs);
  w.finish(ctx);
  return { k, w, c: counters.toRecord() };
}

describe('memscen workload', () => {
  it('is registered, with strict options', () => {
    const kind = findWorkloadKind('memscen');
    expect(kind).toBeDefined();
    expect(() => kind!.create({ bogus: 1 }, 'x')).toThrow();
    expect(() => kind!.create({ pattern: 'pfn-middle' }, 'x')).toThrow();
  });

  it("draws the guest's unit sequence: memscen's xorshift64* streams", () => {
    // b-pinned.1: 200401 units filled (820842496 bytes), 140237 anon and 60164 pinned shmem.
    const fx = JSON.parse(readFileSync(join(KERNEL_FIXTURE_DIR, 'b-pinned.1.json'), 'utf8')) as { phases: { name: string; info: unknown }[] };
    const filled = fx.phases.find((p) => p.name === 'filled')!.info as { units: Record<string, number>; bytes_filled: number };
    const types = memscenUnitTypes({ shmem_pct: 30, cache_pct: 0, pin_pct: 100 }, 1, 1, 1, filled.bytes_filled / 4096);
    const counts = [0, 0, 0, 0];
    for (const t of types) counts[t]!++;
    expect(counts).toEqual([filled.units.anon, filled.units.shmem_pinned, 0, 0]);
    // Stays in 64 bits.
    const r = new MemscenRng(1, 3);
    for (let i = 0; i < 1000; i++) {
      const a = r.next();
      expect(a >= 0n && a < 1n << 64n).toBe(true);
    }
  });

  it('runs the phases in order, phase_gap apart, and keeps pinned pages where they are', () => {
    let pinnedAt: number[] = [];
    const { k, w, c } = run({}, [
      { at: 300 * MS, fn: (_k, w) => { pinnedAt = [...w.pins]; } }, // after `pinned` (210 ms), before hp_direct
    ]);
    expect(w.phases.map((p) => p.name)).toEqual([
      'boot', 'filled', 'pinned', 'fragmented', 'hp_direct', 'compacted', 'hp_after_compact',
      'unpinned', 'unpinned_hp_direct', 'unpinned_compacted', 'unpinned_hp_after_compact', 'end',
    ]);
    w.phases.forEach((p, i) => expect(p.t).toBe(10 * MS + i * 100 * MS));
    expect(c['ms.phases_run']).toBe(12);
    // Pins: one per pinned shmem page; none lost.
    expect(c['ms.pinned_pages']).toBe(c['ms.units_shmem_pinned']);
    expect(pinnedAt.length).toBe(c['ms.pinned_pages']);
    // compact_memory isolates the pinned pages and fails to migrate them (refcount).
    expect(c['ms.compacted.pgmigrate_fail']).toBeGreaterThan(0.3 * c['ms.pinned_pages']!);
    expect(c['ms.compacted.pgmigrate_success']).toBeGreaterThan(0);
    expect(w.pins.length).toBe(0); // unpinned at the end
    check(k);
  }, 60_000);

  it('pinned pages keep their pfns through hp_direct, compact_memory and hp_after_compact', () => {
    let snapshot = new Map<number, number>();
    let stillThere = -1;
    const { c } = run({}, [
      { at: 300 * MS, fn: (_k, w) => { snapshot = new Map([...w.pinnedInode!.iPages]); } },
      {
        at: 650 * MS, // after hp_after_compact (610 ms), before unpinned (710 ms)
        fn: (k, w) => {
          const inode = w.pinnedInode!;
          stillThere = 0;
          for (const [index, pfn] of snapshot) {
            if (inode.iPages.get(index) === pfn && k.mem.mapping[k.slot(pfn)] === inode.id && k.mem.refcount[k.slot(pfn)]! >= 2) stillThere++;
          }
        },
      },
    ]);
    expect(snapshot.size).toBe(c['ms.pinned_pages']);
    expect(stillThere).toBe(snapshot.size);
  }, 60_000);

  it('after unpinning, compaction yields clearly more hugepages than while pinned', () => {
    const { k, c } = run({});
    const nums = {
      hp_direct: c['ms.hp_direct']!,
      hp_after_compact: c['ms.hp_after_compact']!,
      unpinned_hp_direct: c['ms.unpinned_hp_direct']!,
      unpinned_hp_after_compact: c['ms.unpinned_hp_after_compact']!,
    };
    console.log('memscen pinned-shmem seed 1 on the guest layout:', nums, 'requested', c['ms.hp_requested'], 'fill_pages', c['ms.fill_pages']);
    expect(c['ms.hp_requested']).toBe(479); // MemTotal 981464 kB / 2 MiB, as in the guest
    expect(nums.hp_direct).toBeGreaterThan(0);
    expect(nums.unpinned_hp_after_compact).toBeGreaterThan(2 * nums.hp_after_compact);
    expect(c['ms.unpinned_compacted.pgmigrate_success']).toBeGreaterThan(0);
    expect(c['ms.unpinned_compacted.pgmigrate_fail']).toBeLessThan(c['ms.compacted.pgmigrate_fail']! / 10);
    check(k);
  }, 60_000);

  it('pin_pct 0 (unpinned-from-start): no pin phases, compaction works at once', () => {
    const { k, w, c } = run({ pin_pct: 0 });
    expect(w.phases.map((p) => p.name)).toEqual(['boot', 'filled', 'fragmented', 'hp_direct', 'compacted', 'hp_after_compact', 'end']);
    expect(c['ms.units_shmem_pinned']).toBe(0);
    expect(c['ms.units_shmem_unpinned']).toBeGreaterThan(0);
    // As in the guest (b-unpinned: 137-169 direct vs 188-191 after compact_memory): direct
    // compaction migrates from the first attempt, because kswapd's sleep clears the skip bits
    // the settle-phase compact_memory left behind.
    expect(c['ms.hp_direct.pgmigrate_success']).toBeGreaterThan(0);
    expect(c['ms.hp_direct.compact_migrate_scanned']).toBeGreaterThan(0);
    expect(c['ms.hp_direct']!).toBeGreaterThan(0.6 * c['ms.hp_after_compact']!);
    check(k);
  }, 60_000);

  it('frees cache and unpinned shmem units too (free_types), alternate pattern', () => {
    const { k, c } = run({ shmem_pct: 20, cache_pct: 20, pin_pct: 50, pattern: 'alternate', free_types: ['anon', 'shmem', 'cache'], fill_pct: 60 });
    expect(c['ms.freed_units']).toBeGreaterThan(0);
    expect(c['ms.units_cache']).toBeGreaterThan(0);
    check(k);
  }, 60_000);

  it("allocates the holder's PTE tables as the guest's faults do, and frees them when it exits", () => {
    // One unmovable page per 2 MiB of each mapping the holder touches (anon region, pinned and
    // unpinned memfds), allocated at the first touch and kept through MADV_DONTNEED / hole punches.
    const tables = (k: Kernel): number[] => {
      const owner = [...k.owners.all()].find((o) => o.name === 'ms.pgtables')!;
      const pfns: number[] = [];
      for (let s = 0; s < k.mem.nrPages; s++) if (k.mem.mapping[s] === owner.id) pfns.push(k.pfn(s));
      return pfns;
    };
    let afterFill: number[] = [];
    let afterFragment: number[] = [];
    let afterEnd: number[] = [];
    let unmovable = 0;
    const { c } = run({ fill_pct: 40, pin_pct: 50, hp_mode: 'none', unpin_phase: false, free_types: ['anon', 'shmem'] }, [
      { at: 150 * MS, fn: (k) => { afterFill = tables(k); unmovable = afterFill.filter((pfn) => k.mem.getPageblockMigratetype(k.slot(pfn)) !== MigrateType.MOVABLE).length; } },
      { at: 350 * MS, fn: (k) => { afterFragment = tables(k); } },
      { at: 1500 * MS, fn: (k) => { afterEnd = tables(k); } },
    ]);
    const per = (units: number): number => Math.ceil(units / 512);
    expect(afterFill.length).toBe(per(c['ms.units_anon']!) + per(c['ms.units_shmem_pinned']!) + per(c['ms.units_shmem_unpinned']!));
    expect(afterFill.length).toBeGreaterThan(100);
    expect(unmovable).toBeGreaterThan(0.9 * afterFill.length); // GFP_PGTABLE_USER: unmovable pageblocks
    expect(c['ms.freed_units']).toBeGreaterThan(0);
    expect(afterFragment).toEqual(afterFill);
    expect(afterEnd).toEqual([]);
  }, 60_000);

  it('is deterministic', () => {
    expect(run({}).c).toEqual(run({}).c);
  }, 60_000);
});
