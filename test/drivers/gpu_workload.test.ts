/**
 * The `gpu` workload kind: options (strict, units, policy names), a run's bookkeeping against
 * the device, determinism, and the hook at work under a full compaction (compact_memory,
 * MIGRATE_SYNC) while clients keep the GPU busy: with the seed, idle objects are dropped and
 * migrated, active ones refused with -EBUSY; without it, every pinned page fails.
 */
// The registry first: once it lists `gpu`, importing gpu.ts first would meet index.ts half-evaluated.
import { findWorkloadKind } from '../../src/workloads/index.js';
import { describe, expect, it } from 'vitest';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { checkInvariants } from '../../src/mm/debug_vm.js';
import { checkUserInvariants } from '../../src/mm/debug_vm_users.js';
import { Kernel } from '../../src/mm/kernel.js';
import { Prng } from '../../src/sim/prng.js';
import { GpuWorkload, gpuOptions, gpuWorkloadKind } from '../../src/workloads/gpu.js';
import { GEM_POLICIES } from '../../src/drivers/gem/policy.js';
import { RunCounters, type Workload, type WorkloadContext } from '../../src/workloads/workload.js';

const SEC = 1e9;
const MACHINE = 'machine:\n  cpus: 2\n  memory: 512MiB\n  thp: false\n';

interface Entry {
  kind: string;
  name: string;
  [option: string]: unknown;
}

interface Run {
  k: Kernel;
  counters: Record<string, number>;
  workloads: Workload[];
  late: number;
}

/** As the scenario runner does: each entry built from its options, started, the clock run, finished. */
function run(entries: Entry[], endNs: number, seed = 1): Run {
  const k = new Kernel(loadMachineSpec(MACHINE, 'm.yaml'), seed);
  const counters = new RunCounters();
  const root = new Prng(seed ^ 0x5eed);
  let late = 0;
  const scheduleAt = k.clock.scheduleAt.bind(k.clock);
  k.clock.scheduleAt = (at, cb) => {
    // Workloads schedule nothing past the end; the GPU's own completions may lie beyond it.
    if (at > endNs) {
      const stack = new Error().stack ?? '';
      if (stack.includes('/src/workloads/') && !stack.includes('GpuEngine.submit')) late++;
    }
    return scheduleAt(at, cb);
  };
  const started = entries.map(({ kind, name, ...options }) => {
    const wk = kind === 'gpu' ? findWorkloadKind('gpu') ?? gpuWorkloadKind : findWorkloadKind(kind);
    if (!wk) throw new Error(`no kind ${kind}`);
    const ctx: WorkloadContext = { k, prng: root.fork(), counters, endNs, snapshot: () => {} };
    return { w: wk.create(options, name), ctx };
  });
  for (const s of started) s.w.start(s.ctx);
  k.clock.runUntil(endNs);
  for (const s of started) s.w.finish?.(s.ctx);
  return { k, counters: counters.toRecord(), workloads: started.map((s) => s.w), late };
}

const SMALL = {
  kind: 'gpu', name: 'gpu', clients: 3, objects_per_client: 12,
  object_size: { dist: 'lognormal', min: '4KiB', max: '4MiB' }, object_lifetime: '1s', batch_rate: 100, batch_duration: '3ms',
  scanout_fraction: 0.2, scanout_max: 2, scanout_size: '1MiB', pin_pages_fraction: 0.1, purgeable_fraction: 0.3, purgeable_time: '300ms',
};

describe('gpu workload options', () => {
  it('defaults, units and the policy names', () => {
    const o = gpuOptions.parse({});
    expect(o.policy).toBe(GEM_POLICIES['i915-6.1']);
    expect(gpuOptions.parse({ policy: { base: 'seed', lock_waits_for_idle: false } }).policy).toMatchObject({ hook: 'as-posted', lockWaitsForIdle: false, gfpMask: GEM_POLICIES.seed.gfpMask });
    expect(() => gpuOptions.parse({ policy: { base: 'seed', set_page_private: false } })).toThrow(/page->private/);
    expect(o.object_size).toEqual({ dist: 'lognormal', min: 4096, max: 64 * 2 ** 20 });
    expect([o.batch_duration, o.object_lifetime, o.lock_hold, o.refault_cost]).toEqual([2e6, 5e9, 2e4, 1e3]);
    expect(gpuOptions.parse({ policy: 'seed-wait-idle', suspend: { every: '2s', for: '500ms' } }).suspend).toEqual({ every: 2e9, for: 5e8 });
    expect(() => gpuOptions.parse({ policy: 'seed-v4' })).toThrow(/policy/);
    expect(() => gpuOptions.parse({ polcy: 'seed' })).toThrow(/polcy/);
    expect(() => gpuOptions.parse({ suspend: { every: '1s', for: '1s' } })).toThrow(/shorter/);
    expect(gpuWorkloadKind.kind).toBe('gpu');
    expect(gpuWorkloadKind.create({ policy: 'seed' }, 'g')).toBeInstanceOf(GpuWorkload);
  });
});

describe('gpu workload run', () => {
  it('counts what the device did; objects, bytes and pins add up; nothing scheduled past the end', () => {
    const r = run([{ ...SMALL, policy: 'seed' }], 3 * SEC);
    const c = r.counters;
    const dev = (r.workloads[0] as GpuWorkload).dev!;
    checkInvariants(r.k.alloc);
    checkUserInvariants(r.k);
    expect(r.late).toBe(0);
    expect(c['gpu.objects_created']).toBeGreaterThan(50);
    expect(c['gpu.objects_created']! - c['gpu.objects_freed']!).toBe(c['gpu.objects_live']);
    expect(c['gpu.bytes_live']).toBe(dev.bytesLive());
    expect(c['gpu.pinned_pages']).toBe(dev.pinnedPages());
    expect(c['gpu.batches']).toBeGreaterThan(800);
    expect(c['gpu.batches_failed']).toBe(0);
    expect(c['gpu.purged_pages']).toBe(0); // no memory pressure: parked objects are closed, not purged
    // Scanouts: pinned GGTT VMAs, framebuffers, kept.
    const scanouts = [...dev.allObjects()].filter((o) => o.framebuffer);
    expect(scanouts).toHaveLength(2);
    for (const o of scanouts) expect(o.vma('ggtt').pinCount).toBe(1);
    for (const key of ['get_pages_fail', 'refault_pages', 'gpu_stall_ms', 'hook_calls', 'hook_ebusy_active', 'hook_ebusy_pinned',
      'hook_ebusy_lock', 'hook_migrated', 'shrinker_freed_pages', 'oom_notifier_freed_pages']) {
      expect(c[`gpu.${key}`], key).toBeTypeOf('number');
    }
  });

  it('batch_jitter: gaps between a client\'s batches spread over period x (1 +- jitter/2); none without jitter', () => {
    const times = (jitter: number): number[] => {
      const k = new Kernel(loadMachineSpec(MACHINE, 'm.yaml'), 1);
      const w = gpuWorkloadKind.create({ clients: 1, objects_per_client: 2, object_size: '64KiB', batch_rate: 10, batch_jitter: jitter }, 'g') as GpuWorkload;
      w.start({ k, prng: new Prng(7), counters: new RunCounters(), endNs: 2 * SEC, snapshot: () => {} });
      const at: number[] = [];
      const engine = w.dev!.engines[0]!;
      const submit = engine.submit.bind(engine);
      engine.submit = (vmas, d, delay) => {
        at.push(k.clock.now);
        return submit(vmas, d, delay);
      };
      k.clock.runUntil(2 * SEC);
      return at.slice(1).map((t, i) => t - at[i]!);
    };
    const fixed = times(0);
    expect(fixed.length).toBeGreaterThan(15);
    expect(new Set(fixed)).toEqual(new Set([100e6]));
    const jittered = times(0.5);
    for (const gap of jittered) {
      expect(gap).toBeGreaterThanOrEqual(75e6);
      expect(gap).toBeLessThanOrEqual(125e6);
    }
    expect(new Set(jittered).size).toBeGreaterThan(jittered.length / 2);
  });

  it('is deterministic', () => {
    const a = run([{ ...SMALL, policy: 'seed' }], 2 * SEC, 7).counters;
    const b = run([{ ...SMALL, policy: 'seed' }], 2 * SEC, 7).counters;
    expect(a).toEqual(b);
  });

  it('suspend periods: clients idle, the device suspends, the hook refuses while it is', () => {
    const r = run([{ ...SMALL, policy: 'seed', suspend: { every: '1s', for: '400ms' } }, { kind: 'compact-memory', name: 'cm', at: ['1.2s'] }], 2 * SEC);
    const c = r.counters;
    expect(c['gpu.batches_skipped_suspended']).toBeGreaterThan(100);
    expect(c['gpu.hook_ebusy_suspended']).toBeGreaterThan(0);
    expect(c['gpu.hook_migrated']).toBe(c['gpu.hook_calls']! - c['gpu.hook_ebusy_suspended']! - c['gpu.hook_ebusy_pinned']! - c['gpu.hook_ebusy_active']! - c['gpu.hook_ebusy_purgeable']! - c['gpu.hook_ebusy_lock']! - c['gpu.hook_ebusy_overref']!);
    checkUserInvariants(r.k);
  });

  it('release_at_stop: every object goes (scanouts and pinned ones too) once idle', () => {
    const r = run([{ ...SMALL, policy: 'seed', stop: '1s', release_at_stop: true }], 2 * SEC);
    const c = r.counters;
    expect(c['gpu.objects_created']).toBeGreaterThan(30);
    expect([c['gpu.objects_live'], c['gpu.bytes_live'], c['gpu.pinned_pages']]).toEqual([0, 0, 0]);
    expect(c['gpu.objects_freed']).toBe(c['gpu.objects_created']);
    checkInvariants(r.k.alloc);
    checkUserInvariants(r.k);
  });

  it('long lock holds: the hook gives up after 10 ms (-EBUSY) and the wait is counted', () => {
    const r = run([
      { kind: 'frag', name: 'frag', fill: 0.6 },
      { ...SMALL, policy: 'seed', start: '100ms', batch_duration: '1ms', long_lock: { fraction: 1, hold: '50ms' } },
      { kind: 'compact-memory', name: 'cm', at: ['1500ms'] },
    ], 2 * SEC);
    const c = r.counters;
    expect(c['gpu.hook_ebusy_lock']).toBeGreaterThan(0);
    expect(c['gpu.hook_lock_wait_ms']).toBeGreaterThanOrEqual(10 * c['gpu.hook_ebusy_lock']!);
  });

  it('compact_memory while clients run: seed-trylock drops idle objects and refuses active ones; seed waits for the GPU; i915-6.1 is never asked', () => {
    // A fragmented machine first (free holes in MOVABLE pageblocks are compaction's targets).
    const entries = (policy: string): Entry[] => [
      { kind: 'frag', name: 'frag', fill: 0.6 },
      { ...SMALL, policy, start: '100ms', batch_duration: '8ms' },
      { kind: 'compact-memory', name: 'cm', at: ['1500ms'] },
    ];
    const seed = run(entries('seed-trylock'), 2 * SEC);
    const base = run(entries('i915-6.1'), 2 * SEC);
    const wait = run(entries('seed-wait-idle'), 2 * SEC);
    const posted = run(entries('seed'), 2 * SEC);
    for (const r of [seed, base, wait, posted]) {
      checkInvariants(r.k.alloc);
      checkUserInvariants(r.k);
      const c = r.counters;
      // Every call of the hook ends one way or another.
      expect(c['gpu.hook_calls']).toBe(c['gpu.hook_migrated']! + c['gpu.hook_migrate_failed']! + c['gpu.hook_ebusy_active']! +
        c['gpu.hook_ebusy_pinned']! + c['gpu.hook_ebusy_purgeable']! + c['gpu.hook_ebusy_suspended']! + c['gpu.hook_ebusy_lock']! +
        c['gpu.hook_ebusy_overref']! + c['gpu.hook_ebusy_drop_failed']!);
    }
    const s = seed.counters;
    const b = base.counters;
    const w = wait.counters;
    expect(b['gpu.hook_calls']).toBe(0);
    expect(b['gpu.refault_pages']).toBe(0);
    expect(s['gpu.hook_calls']).toBeGreaterThan(0);
    expect(s['gpu.hook_migrated']).toBeGreaterThan(0);
    expect(s['gpu.hook_objects_dropped']).toBeGreaterThan(0);
    expect(s['gpu.hook_ebusy_active']).toBeGreaterThan(s['gpu.hook_migrated']!); // a busy GPU: most objects are active
    expect(s['gpu.hook_wait_stall_ms']).toBe(0);
    // Dropped objects are re-faulted by the next batches that use them: the GPU waits.
    expect(s['gpu.refault_pages']).toBeGreaterThan(0);
    expect(s['gpu.gpu_stall_ms']).toBeGreaterThan(0);
    // The what-if waits for the GPU instead: no active refusals, more moved, the wait charged.
    expect(w['gpu.hook_ebusy_active']).toBe(0);
    expect(w['gpu.hook_migrated']).toBeGreaterThan(s['gpu.hook_migrated']!);
    expect(w['gpu.hook_wait_stall_ms']).toBeGreaterThan(0);
    expect(w['gpu.refault_pages']).toBeGreaterThan(s['gpu.refault_pages']!);
    // As posted, the lock helper waits for the whole GPU before every locked attempt: active
    // objects are rarely seen, more pages move than with the trylock helper, and the caller pays.
    const p = posted.counters;
    expect(p['gpu.hook_gpu_idle_waits']).toBeGreaterThan(0);
    expect(p['gpu.hook_gpu_idle_wait_ms']).toBeGreaterThan(0);
    expect(p['gpu.hook_ebusy_active']).toBeLessThan(s['gpu.hook_ebusy_active']!);
    expect(p['gpu.hook_migrated']).toBeGreaterThan(s['gpu.hook_migrated']!);
  });
});
