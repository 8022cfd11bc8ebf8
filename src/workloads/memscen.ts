/**
 * `memscen`: the workload of the real-kernel validation harness (validation/src/memscen.c),
 * scenario `pinned-shmem` and its relatives, so pagelab's numbers can be set beside a real
 * Linux 6.1 guest's. The phases, in order, `phase_gap` of simulated time apart (so kswapd and
 * kcompactd events can run in between):
 *
 *   settle     drop_caches + compact_memory (memscen's `settle=1`), before `boot`
 *   filled     fill `fill_pct` % of MemFree in units: anon (`unit`), memfd shmem pinned /
 *              unpinned (`shmem_unit`), page cache (`unit`). Each unit's type is drawn by the
 *              harness's own PRNG (xorshift64*, streams 1 and 2 of `seed`), with probability
 *              proportional to its share of the bytes / its unit size, and the units are
 *              touched in that order from one task, so the types interleave physically.
 *   pinned     io_uring fixed buffers over the pinned memfd: one extra page reference on each
 *              page (FOLL_LONGTERM; the mapping stays evictable, so compaction isolates the
 *              pages and migrate_pages() fails on the reference count: pgmigrate_fail).
 *              With `pin_by: gem` (not in the harness: the seed's own setting) each pinned unit
 *              is instead a GEM object of the i915-like driver under `gem_policy`, created and
 *              bound as it is filled, then idle; the driver's shrinker, OOM notifier and (by
 *              policy) the seed's migratepage hook apply.
 *   fragmented units of `free_types` freed by `pattern` (random: each with `free_pct` %,
 *              stream 3 of `seed`; alternate: every other unit of each type; none). Anon with
 *              MADV_DONTNEED, unpinned shmem with a hole punch, cache with FADV_DONTNEED.
 *              Pinned shmem is never freed.
 *   hp_direct  echo MemTotal/2MiB > nr_hugepages: order-9 allocations with
 *              GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_THISNODE|__GFP_NOWARN|__GFP_RETRY_MAYFAIL
 *              one by one until the first failure (direct reclaim and compaction, never the
 *              OOM killer); the count is the result; then echo 0 (all freed).
 *   compacted  echo 1 > compact_memory.
 *   hp_after_compact  the request again.
 *   caches_dropped  (with `drop_caches`) drop_caches=1.
 *   kalloc_orderN  (with `kalloc_orders`, the harness's oom-fragmented, instead of the
 *              hugepage block) one kernel allocation of order N after another, each kept
 *              (pipe_resize_ring()'s kcalloc: GFP_KERNEL_ACCOUNT|__GFP_NOWARN, a kmalloc_large
 *              page allocation), until one fails, the OOM killer kills, or `max_allocs`;
 *              stages stop after an OOM kill.
 *   unpinned   (with `unpin_phase`) the pins dropped; then unpinned_hp_direct,
 *              unpinned_compacted, unpinned_hp_after_compact.
 *   end        the holder exits (its memory, memfds and pins go; the kernel allocations are
 *              released before it, as memscen closes the pipes).
 *
 * After each phase the /proc snapshots are taken (ctx.snapshot(`<name>.<phase>`)), as the
 * harness's phase_end() does: a hugepage phase's with the hugepages still held.
 *
 * Processes: the controller (oom_score_adj -1000) makes the hugepage requests, the kernel
 * allocations and runs compact_memory; the holder (oom_score_adj 0, the OOM victim) owns the
 * memory and is one task for the OOM killer (MemscenHolder) whatever number of mms models it.
 *
 * Model differences: the holder's anonymous region is one mapping per 512 units, each in its
 * own mm (the model keeps VMAs in a flat sorted list, and 70,000 MADV_DONTNEED holes in one
 * VMA list would be quadratic); freeing a unit is munmap() of its range, which frees the same
 * pages. The memfd pages are not mapped into the holder (mapcount 0; in the guest they are
 * mapped MAP_SHARED), which changes nothing for the pin: migration fails on the extra reference
 * either way. The model's mms count page tables without allocating them, so the workload
 * allocates the holder's PTE tables itself, as the guest's faults do: one unmovable page per
 * 2 MiB of the anon region and of each memfd mapping, at its first touch, kept until the
 * holder exits (the few PMD tables are left out).
 *
 * Counters (`<name>.`): fill_pages, units_anon, units_shmem_pinned, units_shmem_unpinned,
 * units_cache, pinned_pages, freed_units, hp_requested, hp_direct, hp_after_compact,
 * unpinned_hp_direct, unpinned_hp_after_compact, the harness's kalloc summary
 * (order<N>_allocations, _failed_enomem, _oom_kills, _memfree_kb_at_stop, _free_kb_at_oom_kill),
 * holder_killed, and per-phase vmstat deltas
 * `<phase>.pgmigrate_success` / `.pgmigrate_fail` / `.compact_stall` / `.compact_migrate_scanned`
 * / `.compact_isolated` for the
 * hugepage and compaction phases; `fill_enomem` when the fill ran out of memory.
 */
import { z } from 'zod';
import { PAGE_SIZE, PAGEBLOCK_NR_PAGES, PAGEBLOCK_ORDER } from '../mm/constants.js';
import { createFile, dropPagecache, fileRead, invalidateClean, type File } from '../mm/file.js';
import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL_ACCOUNT, __GFP_NOWARN, __GFP_ZERO } from '../mm/gfp.js';
import type { CurrentTask, Kernel } from '../mm/kernel.js';
import { filemapRemoveFolio } from '../mm/filemap.js';
import { PG_dirty } from '../mm/page_flags.js';
import { createMm, exitMm, mmap, munmap, type MmStruct } from '../mm/memory.js';
import type { OomTask } from '../mm/oom_kill.js';
import type { Owner } from '../mm/owners.js';
import { touch } from '../mm/fault.js';
import { EINVAL, MmError } from '../mm/mm_error.js';
import { folioWaitWriteback, noopDirtyFolio } from '../mm/page_io.js';
import { ShmemInode, shmemEvictInode, shmemGetFolio } from '../mm/shmem.js';
import { allocBuddyHugePage } from '../mm/hugetlb.js';
import { GemDevice } from '../drivers/gem/driver.js';
import type { GemObject } from '../drivers/gem/object.js';
import { POLICY_NAMES } from '../drivers/gem/policy.js';
import { zGemPolicy } from './gem_policy_option.js';
import { VmEvent } from '../mm/vmstat.js';
import { zDuration, zSize } from '../scenario/units.js';
import { allocPid, freePages, managedPages, runAs, scheduleAt } from './common.js';
import type { Workload, WorkloadContext } from './workload.js';

export const memscenOptions = z.strictObject({
  at: zDuration.default(0).describe('when the first phase (settle) runs'),
  phase_gap: zDuration.prefault('100ms').describe('simulated time between phases'),
  seed: z.number().int().min(0).optional()
    .describe("memscen's --seed (its own xorshift64* streams); default: drawn from the run's seed"),
  fill_pct: z.number().gt(0).max(100).default(85).describe('% of MemFree to fill'),
  unit: zSize.prefault('4KiB').describe('unit size of anon and page cache (unit-kb)'),
  shmem_unit: zSize.optional().describe('unit size of shmem (shmem-unit-kb; default: unit)'),
  shmem_pct: z.number().min(0).max(100).default(30).describe('% of the filled bytes that are shmem'),
  cache_pct: z.number().min(0).max(100).default(0).describe('% of the filled bytes that are page cache'),
  pin_pct: z.number().min(0).max(100).default(100).describe('% of shmem units that are pinned (0 = pin=none)'),
  pin_by: z.enum(['iouring', 'gem']).default('iouring')
    .describe('iouring: the harness\'s fixed buffers over one memfd; gem: each pinned unit a GEM object of the i915-like driver, bound (pinned) as it is filled'),
  gem_policy: zGemPolicy.prefault('i915-6.1').describe(`pin_by gem: the driver policy, a preset (${POLICY_NAMES.join(', ')}) or {base, gfp, hook, lock_waits_for_idle, set_page_private}`),
  pattern: z.enum(['random', 'alternate', 'pfn-even', 'pfn-odd', 'none']).default('random').describe('which units are freed'),
  free_pct: z.number().min(0).max(100).default(50).describe('pattern random: % of units freed'),
  free_types: z.array(z.enum(['anon', 'shmem', 'cache'])).default(['anon']).describe('types freed (shmem: unpinned only)'),
  settle: z.boolean().default(true).describe('drop_caches + compact_memory before filling'),
  unpin_phase: z.boolean().default(true).describe('after the pinned measurements, unpin and measure again'),
  hp_target: z.number().int().min(0).default(0).describe('nr_hugepages to request; 0 = MemTotal / 2 MiB'),
  hp_mode: z.enum(['both', 'direct', 'compact', 'none']).default('both')
    .describe('hugepage block: direct request, compact_memory + request, both, or none'),
  drop_caches: z.boolean().default(false).describe('drop_caches=1 after fragmenting (phase caches_dropped)'),
  kalloc_orders: z.array(z.number().int().min(0).max(10)).default([])
    .describe('oom-fragmented: kernel allocations of these orders, in stages, instead of the hugepage block'),
  max_allocs: z.number().int().min(1).default(200000).describe('oom-fragmented: cap per kalloc stage'),
}).refine((o) => o.shmem_pct + o.cache_pct <= 100, { message: 'shmem_pct + cache_pct at most 100' });
export type MemscenOptions = z.output<typeof memscenOptions>;

/** memscen's unit types. */
const enum U {
  ANON = 0,
  SHM_PIN = 1,
  SHM_FREE = 2,
  CACHE = 3,
}
const TYPE_NAMES = ['anon', 'shmem_pinned', 'shmem_unpinned', 'cache'] as const;

const MASK64 = (1n << 64n) - 1n;

/** memscen.c's rng_seed() / rng_next(): xorshift64* on 64-bit unsigned integers. */
export class MemscenRng {
  private s: bigint;

  constructor(seed: number, stream: number) {
    const s = ((BigInt(seed) + 1n) * 0x9e3779b97f4a7c15n & MASK64) ^ BigInt(stream);
    this.s = s === 0n ? 1n : s;
  }

  next(): bigint {
    let x = this.s;
    x ^= x >> 12n;
    x = (x ^ (x << 25n)) & MASK64;
    x ^= x >> 27n;
    this.s = x;
    return (x * 0x2545f4914f6cdd1dn) & MASK64;
  }

  /** rng_next() % m. */
  mod(m: number): number {
    return Number(this.next() % BigInt(m));
  }

  /** (rng_next() >> 11) * 2^-53: a double in [0, 1). */
  float(): number {
    return Number(this.next() >> 11n) / 9007199254740992;
  }
}

/**
 * holder_fill()'s pass 1: the type of every unit (0 anon, 1 shmem pinned, 2 shmem unpinned,
 * 3 cache) until `fillPages` would be passed, drawn as memscen draws them (layout=random).
 */
export function memscenUnitTypes(
  o: Pick<MemscenOptions, 'shmem_pct' | 'cache_pct' | 'pin_pct'>, seed: number, unit: number, sunit: number, fillPages: number,
): Uint8Array<ArrayBuffer> {
  const w = [(100 - o.shmem_pct - o.cache_pct) / unit, o.shmem_pct / sunit, o.cache_pct / unit];
  const wsum = w[0]! + w[1]! + w[2]!;
  for (let i = 0; i < 3; i++) w[i] = w[i]! / wsum;
  const size = [unit, sunit, sunit, unit];
  const st = new MemscenRng(seed, 1);
  const sp = new MemscenRng(seed, 2);
  const types: number[] = [];
  let pages = 0;
  for (;;) {
    const x = st.float();
    const kk = x < w[0]! ? 0 : x < w[0]! + w[1]! ? 1 : 2;
    const pin = sp.mod(100) < o.pin_pct;
    const t = kk === 0 ? U.ANON : kk === 2 ? U.CACHE : pin ? U.SHM_PIN : U.SHM_FREE;
    if (pages + size[t]! > fillPages) break;
    types.push(t);
    pages += size[t]!;
  }
  return Uint8Array.from(types);
}

/** GFP_PGTABLE_USER (include/asm-generic/pgalloc.h): GFP_PGTABLE_KERNEL | __GFP_ACCOUNT. */
const GFP_PGTABLE_USER = GFP_KERNEL_ACCOUNT | __GFP_ZERO;
/** Pages one PTE table maps (x86-64). */
const PTRS_PER_PTE = 512;

/** Units of anon memory per holder mm (one PTE page's worth at 4 KiB units). */
const ANON_UNITS_PER_MM = 512;

export interface MemscenPhase {
  name: string;
  /** Simulated time it ran at, ns. */
  t: number;
}

export class MemscenWorkload implements Workload {
  /** The phases run so far, in order (for tests and the report). */
  readonly phases: MemscenPhase[] = [];
  /** Pinned pfns, one reference each, while pinned. */
  readonly pins: number[] = [];
  /** Per unit: its type (U) and whether freed. */
  private types: Uint8Array = new Uint8Array(0);
  private freed = new Uint8Array(0);
  private nunits = 0;
  private readonly upages: number[] = [0, 0, 0, 0];
  private anonMms: { mm: MmStruct; base: number }[] = [];
  private shm: (ShmemInode | null)[] = [null, null];
  private cache: File | null = null;
  private holder: CurrentTask = { comm: 'memscen', pid: 0, oomScoreAdj: 0 };
  private controller: CurrentTask = { comm: 'memscen', pid: 0, oomScoreAdj: -1000 };
  private holderTask!: MemscenHolder;
  private seed = 1;
  /** The hugepages of the last request, until `echo 0 > nr_hugepages`. */
  private heldHugepages: number[] = [];
  /** The kernel allocations of the kalloc stages: [pfn, order]. */
  private kallocs: [number, number][] = [];
  private oomSeen = false;
  /** The holder's PTE tables per unit type: 2 MiB slot of the mapping -> pfn. */
  private readonly pteTables: Map<number, number>[] = [new Map(), new Map(), new Map(), new Map()];
  /** The owner of the PTE table pages (page->mapping), so they show as kernel memory; set by fill(). */
  private pgtableOwner: Owner | null = null;
  /** pin_by gem: the device and the holder's objects. */
  private gem: GemDevice | null = null;
  private gemObjects: GemObject[] = [];

  constructor(readonly name: string, private readonly o: MemscenOptions) {}

  /** The pinned memfd (null until filled, or with no pinned units). */
  get pinnedInode(): ShmemInode | null {
    return this.shm[0] ?? null;
  }

  start(ctx: WorkloadContext): void {
    const { k } = ctx;
    const o = this.o;
    this.seed = o.seed ?? ctx.prng.nextInt(1 << 30);
    this.controller = { comm: 'memscen', pid: allocPid(k), oomScoreAdj: -1000 };
    this.holder = { comm: 'memscen', pid: allocPid(k), oomScoreAdj: 0 };
    this.holderTask = new MemscenHolder(this, this.holder.pid, k);
    const steps: [string, () => void][] = [];
    steps.push(['boot', () => { if (o.settle) this.settle(ctx); }]);
    steps.push(['filled', () => this.fill(ctx)]);
    const pinning = o.pin_pct > 0 && o.shmem_pct > 0;
    if (pinning) steps.push(['pinned', () => this.pin(ctx)]);
    steps.push(['fragmented', () => this.fragment(ctx)]);
    if (o.drop_caches) steps.push(['caches_dropped', () => runAs(k, this.controller, () => dropPagecache(k))]);
    if (o.kalloc_orders.length > 0) {
      for (const order of o.kalloc_orders) steps.push([`kalloc_order${order}`, () => this.kallocStage(ctx, order)]);
    } else {
      this.hpBlock(steps, ctx, '');
    }
    if (pinning && o.unpin_phase && o.kalloc_orders.length === 0) {
      steps.push(['unpinned', () => this.unpin(ctx)]);
      this.hpBlock(steps, ctx, 'unpinned_');
    }
    steps.push(['end', () => this.exit(ctx)]);
    let i = 0;
    const next = (): void => {
      const [phase, fn] = steps[i++]!;
      this.phases.push({ name: phase, t: k.clock.now });
      // A phase that does not happen in the guest (after an OOM kill, or a dead holder) is skipped.
      if (!this.skip(phase)) {
        fn();
        ctx.snapshot(`${this.name}.${phase}`);
      }
      // The hugepages a request got are freed after its snapshot (echo 0 > nr_hugepages).
      this.releaseHugepages(ctx);
      if (i < steps.length) scheduleAt(ctx, k.clock.now + o.phase_gap, next);
    };
    scheduleAt(ctx, o.at, next);
  }

  /** hp_block(): the hugepage phases of mode hp_mode, names prefixed. */
  private hpBlock(steps: [string, () => void][], ctx: WorkloadContext, prefix: string): void {
    const mode = this.o.hp_mode;
    if (mode === 'both' || mode === 'direct') steps.push([`${prefix}hp_direct`, () => this.hugepages(ctx, `${prefix}hp_direct`)]);
    if (mode === 'both' || mode === 'compact') {
      steps.push(
        [`${prefix}compacted`, () => this.compact(ctx, `${prefix}compacted`)],
        [`${prefix}hp_after_compact`, () => this.hugepages(ctx, `${prefix}hp_after_compact`)],
      );
    }
  }

  finish(ctx: WorkloadContext): void {
    ctx.counters.set(`${this.name}.phases_run`, this.phases.length);
    ctx.counters.set(`${this.name}.holder_killed`, this.holderTask.oomKilled ? 1 : 0);
  }

  /** oom_stages() stops after an OOM kill; the holder's own phases need it alive. */
  private skip(phase: string): boolean {
    if (phase.startsWith('kalloc_order')) return this.oomSeen || this.holderTask.dead;
    if (phase === 'unpinned' || phase.startsWith('unpinned_')) return this.holderTask.dead;
    return false;
  }

  /** drop_caches=3 and compact_memory. */
  private settle(ctx: WorkloadContext): void {
    runAs(ctx.k, this.controller, () => {
      dropPagecache(ctx.k);
      ctx.k.compaction.compactMemory();
    });
  }

  private unitPages(t: U): number {
    return this.upages[t]!;
  }

  /** holder_fill(): decide every unit's type, then touch them in order. */
  private fill(ctx: WorkloadContext): void {
    const { k, counters } = ctx;
    const o = this.o;
    const n = this.name;
    const unit = Math.max(1, Math.round(o.unit / PAGE_SIZE));
    const sunit = o.shmem_unit !== undefined ? Math.max(1, Math.round(o.shmem_unit / PAGE_SIZE)) : unit;
    this.upages.splice(0, 4, unit, sunit, sunit, unit);
    const fill = Math.floor((freePages(k) * o.fill_pct) / 100);
    const types = memscenUnitTypes(o, this.seed, unit, sunit, fill);
    const counts = [0, 0, 0, 0];
    for (const t of types) counts[t]!++;
    this.types = types;
    this.freed = new Uint8Array(types.length);
    this.nunits = types.length;
    for (let t = 0; t < 4; t++) counters.set(`${n}.units_${TYPE_NAMES[t]!}`, counts[t]!);

    // The regions: anon mappings (ANON_UNITS_PER_MM units each), two memfds, the cache file.
    k.oom.tasks.add(this.holderTask);
    this.pgtableOwner = k.owners.register({ id: 0, kind: 'kernel', name: `${n}.pgtables` });
    const anonMms = Math.ceil(counts[U.ANON]! / ANON_UNITS_PER_MM);
    for (let i = 0; i < anonMms; i++) {
      const mm = createMm(k, { pid: this.holder.pid, comm: 'memscen', oomScoreAdj: 0 });
      k.oom.tasks.delete(mm); // the OOM killer sees the one holder process, not its pieces
      const units = Math.min(ANON_UNITS_PER_MM, counts[U.ANON]! - i * ANON_UNITS_PER_MM);
      this.anonMms.push({ mm, base: mmap(k, mm, units * unit, { nohugepage: true }) });
    }
    if (counts[U.SHM_PIN] && o.pin_by === 'gem') this.gem = new GemDevice(k, o.gem_policy, { name: `${n}.i915` });
    else if (counts[U.SHM_PIN]) this.shm[0] = k.owners.register(new ShmemInode(`${n}.shmem_pinned`, GFP_HIGHUSER_MOVABLE));
    if (counts[U.SHM_FREE]) this.shm[1] = k.owners.register(new ShmemInode(`${n}.shmem_unpinned`, GFP_HIGHUSER_MOVABLE));
    if (counts[U.CACHE]) this.cache = createFile(k, `${n}.fill.dat`, { sizePages: counts[U.CACHE]! * unit });

    // Touch in order.
    const idx = [0, 0, 0, 0];
    let filled = 0;
    k.alloc.cpu = 0;
    const ok = runAs(k, this.holder, () => {
      for (let i = 0; i < this.nunits; i++) {
        const t = this.types[i]! as U;
        const up = this.unitPages(t);
        const j = idx[t]!++;
        try {
          // The holder maps its anon region and both memfds and touches them: the first touch
          // in each 2 MiB of a mapping allocates its PTE table first (__pte_alloc(), or
          // __do_fault()'s prealloc_pte for the memfds), an unmovable GFP_PGTABLE_USER page.
          if (t !== U.CACHE && !(t === U.SHM_PIN && this.gem) && !this.ptePagesFor(k, t, j * up, up)) return false;
          if (t === U.ANON) {
            const a = this.anonMms[Math.floor(j / ANON_UNITS_PER_MM)]!;
            touch(k, a.mm, a.base + (j % ANON_UNITS_PER_MM) * up, up, true);
          } else if (t === U.CACHE) {
            fileRead(k, this.cache!, j * up, up);
          } else if (t === U.SHM_PIN && this.gem) {
            // A GPU buffer: created, then bound into the GPU's address space (its pages are
            // allocated with the policy's gfp and pinned by the binding) and left idle.
            const obj = this.gem.createObject(up * PAGE_SIZE, `${n}.gem${j}`);
            if (obj.bind(obj.vma()) !== 0) return false;
            this.gemObjects.push(obj);
          } else {
            const inode = this.shm[t === U.SHM_PIN ? 0 : 1]!;
            for (let p = 0; p < up; p++) {
              const pfn = shmemGetFolio(k, inode, j * up + p, GFP_HIGHUSER_MOVABLE, 'write');
              if (pfn < 0) return false;
              noopDirtyFolio(k, inode, pfn);
              k.putPage(pfn);
            }
          }
        } catch (e) {
          if (e instanceof MmError) return false;
          throw e;
        }
        filled += up;
      }
      return true;
    });
    if (!ok) counters.add(`${n}.fill_enomem`);
    counters.set(`${n}.fill_pages`, filled);
  }

  /**
   * The PTE tables of pages [first, first + n) of type t's mapping not allocated yet (one per
   * 2 MiB of the mapping, which is taken as 2 MiB-aligned): pte_alloc_one() with
   * GFP_PGTABLE_USER, kept until the holder exits (MADV_DONTNEED and hole punches leave page
   * tables in place). False when one cannot be allocated.
   */
  private ptePagesFor(k: Kernel, t: U, first: number, n: number): boolean {
    const tables = this.pteTables[t]!;
    for (let slot = Math.floor(first / PTRS_PER_PTE); slot <= Math.floor((first + n - 1) / PTRS_PER_PTE); slot++) {
      if (tables.has(slot)) continue;
      const pfn = k.alloc.allocPages(GFP_PGTABLE_USER, 0);
      if (pfn < 0) return false;
      k.mem.mapping[k.slot(pfn)] = this.pgtableOwner!.id;
      tables.set(slot, pfn);
    }
    return true;
  }

  /** IORING_REGISTER_BUFFERS over the pinned memfd: one reference per page (GEM objects are pinned already). */
  private pin(ctx: WorkloadContext): void {
    const { k } = ctx;
    if (this.gem) {
      ctx.counters.set(`${this.name}.pinned_pages`, this.gemObjects.reduce((sum, obj) => sum + (obj.pagesPinCount > 0 ? obj.nPages : 0), 0));
      return;
    }
    const inode = this.shm[0];
    if (inode) {
      const indices = [...inode.iPages.keys()].sort((a, b) => a - b);
      for (const index of indices) {
        const pfn = inode.iPages.get(index)!;
        if (pfn < 0) continue; // swapped out: pinning would swap it in; not expected here
        k.getPage(pfn);
        this.pins.push(pfn);
      }
    }
    ctx.counters.set(`${this.name}.pinned_pages`, this.pins.length);
  }

  private unpin(ctx: WorkloadContext): void {
    for (const pfn of this.pins) ctx.k.putPage(pfn);
    this.pins.length = 0;
    // GEM: every binding gone and the pages put (i915_gem_object_unbind + put_pages).
    for (const obj of this.gemObjects) if (obj.unbind(0) === 0) obj.putPages();
  }

  /** holder_fragment(). */
  private fragment(ctx: WorkloadContext): void {
    const { k } = ctx;
    const o = this.o;
    if (o.pattern === 'none') return;
    const sf = new MemscenRng(this.seed, 3);
    const want = [o.free_types.includes('anon'), false, o.free_types.includes('shmem'), o.free_types.includes('cache')];
    const idx = [0, 0, 0, 0];
    let freed = 0;
    runAs(k, this.holder, () => {
      for (let i = 0; i < this.nunits; i++) {
        const t = this.types[i]! as U;
        const up = this.unitPages(t);
        const j = idx[t]!++;
        const f = o.pattern === 'alternate' ? j % 2 === 1
          : o.pattern === 'random' ? sf.mod(100) < o.free_pct
          : Math.floor(this.unitFirstPfn(t, j) / up) % 2 === (o.pattern === 'pfn-odd' ? 1 : 0);
        if (!f || !want[t]) continue;
        this.freed[i] = 1;
        freed++;
        if (t === U.ANON) {
          const a = this.anonMms[Math.floor(j / ANON_UNITS_PER_MM)]!;
          munmap(k, a.mm, a.base + (j % ANON_UNITS_PER_MM) * up, up);
        } else if (t === U.SHM_FREE) {
          const inode = this.shm[1]!;
          for (let p = 0; p < up; p++) punchHole(k, inode, j * up + p);
        } else if (t === U.CACHE) {
          invalidateClean(k, this.cache!, j * up, (j + 1) * up);
        }
      }
    });
    ctx.counters.set(`${this.name}.freed_units`, freed);
  }

  /** The pfn of unit j's first page of type t (pagemap), or 0 when not present. */
  private unitFirstPfn(t: U, j: number): number {
    const up = this.unitPages(t);
    let pfn: number | undefined;
    if (t === U.ANON) {
      const a = this.anonMms[Math.floor(j / ANON_UNITS_PER_MM)]!;
      pfn = a.mm.pte.get(a.base + (j % ANON_UNITS_PER_MM) * up);
    } else if (t === U.CACHE) {
      pfn = this.cache!.iPages.get(j * up);
    } else if (t === U.SHM_PIN && this.gem) {
      pfn = this.gemObjects[j]?.pages?.[0];
    } else {
      pfn = this.shm[t === U.SHM_PIN ? 0 : 1]!.iPages.get(j * up);
    }
    return pfn !== undefined && pfn >= 0 ? pfn : 0;
  }

  /** The holder process's exit, or its OOM kill: every mapping, memfd and pin goes. */
  holderExit(k: Kernel): void {
    // exit_mmap(): free_pgtables().
    for (const tables of this.pteTables) {
      for (const pfn of tables.values()) {
        k.mem.mapping[k.slot(pfn)] = 0;
        k.alloc.freePages(pfn, 0);
      }
      tables.clear();
    }
    for (const pfn of this.pins) k.putPage(pfn);
    this.pins.length = 0;
    for (const obj of this.gemObjects) this.gem!.closeObject(obj);
    this.gemObjects = [];
    for (const a of this.anonMms) exitMm(k, a.mm);
    this.anonMms = [];
    for (const inode of this.shm) if (inode) shmemEvictInode(k, inode);
    this.shm = [null, null];
    this.types = new Uint8Array(0);
    this.nunits = 0;
  }

  /** Pages of the holder's mappings, for the OOM killer: [anon rss, shmem rss, page-table bytes]. */
  holderRss(): [number, number, number] {
    let anon = 0;
    let pgtables = 0;
    for (const a of this.anonMms) {
      anon += a.mm.rssAnon();
      pgtables += a.mm.pgtablesBytes();
    }
    let shmem = 0;
    for (const inode of this.shm) if (inode) shmem += inode.nrpages;
    return [anon, shmem, pgtables];
  }

  /** echo N > nr_hugepages; read it back; echo 0 > nr_hugepages. */
  private hugepages(ctx: WorkloadContext, phase: string): void {
    const { k, counters } = ctx;
    const requested = this.o.hp_target > 0 ? this.o.hp_target : Math.floor(managedPages(k) / PAGEBLOCK_NR_PAGES);
    counters.set(`${this.name}.hp_requested`, requested);
    const got: number[] = [];
    this.measure(ctx, phase, () => {
      runAs(k, this.controller, () => {
        while (got.length < requested) {
          const pfn = allocBuddyHugePage(k);
          if (pfn < 0) break;
          got.push(pfn);
          // kswapd and kcompactd run on the other CPU meanwhile: let what they were woken for
          // (due now) happen between two allocations, as it does beside the kernel's loop.
          k.clock.runUntil(k.clock.now);
        }
      });
    });
    counters.set(`${this.name}.${phase}`, got.length);
    this.heldHugepages = got;
  }

  /** echo 0 > nr_hugepages. */
  private releaseHugepages(ctx: WorkloadContext): void {
    for (const pfn of this.heldHugepages) ctx.k.alloc.freePages(pfn, PAGEBLOCK_ORDER);
    this.heldHugepages = [];
  }

  /**
   * kalloc_stage(): kernel allocations of `order` by the controller, each kept, until one fails
   * (ENOMEM), an OOM kill happens, or max_allocs; the harness's summary keys as counters.
   */
  private kallocStage(ctx: WorkloadContext, order: number): void {
    const { k, counters } = ctx;
    const n = `${this.name}.order${order}`;
    const kills0 = k.alloc.events.get(VmEvent.OOM_KILL);
    const oomEvents0 = k.oom.events.length;
    let made = 0;
    let enomem = 0;
    runAs(k, this.controller, () => {
      while (made < this.o.max_allocs) {
        const pfn = k.alloc.allocPages(GFP_KERNEL_ACCOUNT | __GFP_NOWARN, order);
        if (pfn < 0) {
          enomem = 1;
          break;
        }
        this.kallocs.push([pfn, order]);
        made++;
        if (k.alloc.events.get(VmEvent.OOM_KILL) !== kills0) break;
        k.clock.runUntil(k.clock.now); // the other CPU's kswapd/kcompactd, due now
      }
    });
    const kills = k.alloc.events.get(VmEvent.OOM_KILL) - kills0;
    this.oomSeen ||= kills > 0;
    counters.set(`${n}_allocations`, made);
    counters.set(`${n}_failed_enomem`, enomem);
    counters.set(`${n}_oom_kills`, kills);
    counters.set(`${n}_memfree_kb_at_stop`, (freePages(k) * PAGE_SIZE) / 1024);
    const kill = k.oom.events.slice(oomEvents0).find((e) => e.victim !== null);
    if (kill) counters.set(`${n}_free_kb_at_oom_kill`, (kill.freePages * PAGE_SIZE) / 1024);
  }

  /** The holder's exit (CMD_EXIT), after oom_stages() closed the pipes. */
  private exit(ctx: WorkloadContext): void {
    const { k } = ctx;
    for (const [pfn, order] of this.kallocs) k.alloc.freePages(pfn, order);
    this.kallocs = [];
    if (!this.holderTask.dead) {
      k.oom.tasks.delete(this.holderTask);
      this.holderTask.dead = true;
      this.holderExit(k);
    }
  }

  private compact(ctx: WorkloadContext, phase: string): void {
    this.measure(ctx, phase, () => runAs(ctx.k, this.controller, () => ctx.k.compaction.compactMemory()));
  }

  /** Run fn and record the phase's vmstat deltas that tell the story. */
  private measure(ctx: WorkloadContext, phase: string, fn: () => void): void {
    const ev = ctx.k.alloc.events;
    const items: [string, VmEvent][] = [
      ['pgmigrate_success', VmEvent.PGMIGRATE_SUCCESS],
      ['pgmigrate_fail', VmEvent.PGMIGRATE_FAIL],
      ['compact_stall', VmEvent.COMPACT_STALL],
      ['compact_migrate_scanned', VmEvent.COMPACT_MIGRATE_SCANNED],
      ['compact_isolated', VmEvent.COMPACT_ISOLATED],
    ];
    const before = items.map(([, e]) => ev.get(e));
    fn();
    items.forEach(([label, e], i) => ctx.counters.set(`${this.name}.${phase}.${label}`, ev.get(e) - before[i]!));
  }
}

/**
 * The holder as the OOM killer sees it: one process with all the anonymous mappings and both
 * memfds mapped (MM_SHMEMPAGES); killing it is its exit (the oom_reaper's and exit_mmap()'s
 * work at once; the pins go with the io_uring when its files are closed).
 */
class MemscenHolder implements OomTask {
  readonly comm = 'memscen';
  readonly uid = 0;
  oomScoreAdj = 0;
  dead = false;
  oomKilled = false;

  constructor(private readonly w: MemscenWorkload, readonly pid: number, private readonly k: Kernel) {}

  totalVmPages(): number {
    const [anon, shmem] = this.w.holderRss();
    return anon + shmem;
  }
  rssAnon(): number {
    return this.w.holderRss()[0];
  }
  rssFile(): number {
    return 0;
  }
  rssShmem(): number {
    return this.w.holderRss()[1];
  }
  swapents(): number {
    return 0;
  }
  pgtablesBytes(): number {
    return this.w.holderRss()[2];
  }
  kill(): void {
    if (this.dead) return;
    this.dead = true;
    this.oomKilled = true;
    this.w.holderExit(this.k);
  }
}

/**
 * fallocate(PUNCH_HOLE) of one page of a memfd: shmem_undo_range() for one index, done as
 * shmemTruncate() does it for each page (the model's truncate only works to the end of file).
 */
function punchHole(k: Kernel, inode: ShmemInode, index: number): void {
  const pfn = inode.iPages.get(index);
  if (pfn === undefined) return;
  if (pfn < 0) throw new MmError(-EINVAL, `memscen: punching a swapped-out page of ${inode.name} is not modelled`);
  folioWaitWriteback(k, pfn);
  k.mem.flags[k.slot(pfn)]! &= ~PG_dirty; // folio_cancel_dirty()
  filemapRemoveFolio(k, inode, pfn);
  inode.alloced--; // shmem_recalc_inode()
}
