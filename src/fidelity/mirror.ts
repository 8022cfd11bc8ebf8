/**
 * A harness run's mirror: the pagelab scenario that performs the same operations (memscen
 * with the run's parameters) on the run's own recorded boot state (zones, sysctls, free lists
 * and pageblock types after memscen's settle step, imported by applyState()). Browser-safe.
 */
import { machineSpecYaml } from '../import/build.js';
import { ImportError } from '../import/procfs_parse.js';
import { loadScenario, type Scenario } from '../scenario/load.js';
import type { HarnessRun } from './harness_run.js';

/** Simulated time between phases, as in scenarios/pinned-shmem.yaml. */
const PHASE_GAP_MS = 100;
const FIRST_PHASE_MS = 10;

/** The memscen workload options of a harness run; ImportError for what the mirror cannot do. */
export function memscenOptionsOf(run: HarnessRun): Record<string, unknown> {
  const p = run.params;
  const refuse = (key: string, expected: string): never => {
    throw new ImportError(run.file, undefined, `params.${key}`, expected, JSON.stringify(p[key as keyof typeof p]));
  };
  // Known parameters the mirror cannot follow are refused, naming what is not modelled.
  if (p.layout !== 'random') refuse('layout', 'random (the stripe layout is not mirrored)');
  for (const key of ['unit-kb', 'shmem-unit-kb'] as const) {
    if (p[key] % 4 !== 0) refuse(key, 'a multiple of 4 (units of whole 4 KiB pages; units that straddle pages are not modelled)');
  }
  // Both processes on one CPU: the mirror's memscen runs on CPU 0, and the CPUs are alike.
  if (p.cpu < 0 || p.cpu >= run.boot.cpus) refuse('cpu', `a CPU of the guest, 0..${run.boot.cpus - 1} (processes spread over CPUs, with their per-cpu lists, are not modelled)`);
  // A file on the harness's ext4 disk is page cache that the fill reads; one elsewhere (the
  // initramfs is tmpfs) would be shmem already in memory. Without cache units it is never opened.
  if (p['cache-pct'] > 0 && !p['cache-file'].startsWith('/mnt/disk/')) {
    refuse('cache-file', 'a file on the harness disk, /mnt/disk/... (the page cache of another filesystem is not modelled)');
  }
  if (p.trace !== '') refuse('trace', '"" (tracing is not modelled: memscen reads each phase\'s trace into a 2 MiB buffer of its own, faulting in up to 512 pages the mirror does not allocate)');
  if (p.pin !== 'iouring' && p.pin !== 'none') refuse('pin', 'iouring or none (mlock pinning is not mirrored)');
  if (p.thp !== 'never') refuse('thp', 'never (the mirror faults anon memory with 4 KiB pages only)');
  if (!['random', 'alternate', 'pfn-even', 'pfn-odd', 'none'].includes(p.pattern)) refuse('pattern', 'random, alternate, pfn-even, pfn-odd or none');
  if (!['both', 'direct', 'compact', 'none'].includes(p['hp-mode'])) refuse('hp-mode', 'both, direct, compact or none');
  const freeTypes = p['free-types'].split(',').filter((t) => t !== '');
  if (freeTypes.some((t) => !['anon', 'shmem', 'cache'].includes(t))) refuse('free-types', 'a comma list of anon, shmem, cache');
  const oom = run.scenario === 'oom-fragmented';
  if (oom && p.kalloc !== 'pipe') refuse('kalloc', 'pipe (io_uring rings mix orders; not mirrored)');
  const kallocOrders = oom ? p['kalloc-orders'].split(',').filter((t) => t !== '').map(Number) : [];
  if (kallocOrders.some((o) => !Number.isInteger(o) || o < 0 || o > 10)) refuse('kalloc-orders', 'a comma list of orders 0..10');
  return {
    at: `${FIRST_PHASE_MS}ms`,
    phase_gap: `${PHASE_GAP_MS}ms`,
    seed: p.seed,
    fill_pct: p['fill-pct'],
    unit: `${p['unit-kb']}KiB`,
    ...(p['shmem-unit-kb'] > 0 ? { shmem_unit: `${p['shmem-unit-kb']}KiB` } : {}),
    shmem_pct: p['shmem-pct'],
    cache_pct: p['cache-pct'],
    pin_pct: p.pin === 'none' ? 0 : p['pin-pct'],
    pattern: p.pattern,
    free_pct: p['free-pct'],
    free_types: freeTypes,
    // The boot state is already the settled one: settling again would compact it twice.
    settle: false,
    unpin_phase: p['unpin-phase'] !== 0,
    hp_target: p['hp-target'],
    hp_mode: p['hp-mode'],
    drop_caches: p['drop-caches'] !== 0,
    kalloc_orders: kallocOrders,
    max_allocs: p['max-allocs'],
  };
}

/**
 * The mirror as scenario YAML. With `startFrom` (the run file's path as the scenario should name
 * it) the file says `start_from: { harness: ... }` and runs as it is (`pagelab run`); without,
 * it carries the boot state's machine: block and mirrorScenario() applies the state.
 */
export function mirrorScenarioYaml(run: HarnessRun, startFrom?: string): string {
  const options = memscenOptionsOf(run);
  const sys = run.sysctl;
  const vm: string[] = [];
  const num = (key: string): number | undefined => {
    const v = sys[key];
    return v !== undefined && /^-?\d+$/.test(v.trim()) ? Number(v) : undefined;
  };
  for (const key of ['compaction_proactiveness', 'extfrag_threshold', 'compact_unevictable_allowed'] as const) {
    const v = num(key);
    if (v !== undefined) vm.push(`  ${key}: ${v}`);
  }
  // Phases: boot, filled, [pinned], fragmented, ..., end; a generous upper bound on their number.
  const durationMs = FIRST_PHASE_MS + PHASE_GAP_MS * (run.phases.length + 2);
  const machine = machineSpecYaml(run.boot).split('\n').filter((l) => !l.startsWith('#')).join('\n');
  return [
    `# The mirror of ${run.file}: memscen ${run.scenario} with the run's parameters, from its boot state.`,
    'scenario:',
    `  name: ${run.scenario}`,
    `  description: mirror of a validation-harness run (${run.scenario})`,
    `  duration: ${durationMs}ms`,
    '  seeds: 1',
    ...(startFrom !== undefined ? ['start_from:', `  harness: ${JSON.stringify(startFrom)}`, '  phase: boot'] : [machine.trimEnd()]),
    ...(vm.length > 0 ? ['vm:', ...vm] : []),
    'workloads:',
    '  - kind: memscen',
    '    name: memscen',
    ...Object.entries(options).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`),
    'variants:',
    '  - name: mirror',
    // The run's headline numbers, as pagelab names them, first in the run table.
    `metrics: [${Object.keys(run.summary).map((k) => `memscen.${k === 'fill_mb' ? 'fill_pages' : k === 'pinned_mb' ? 'pinned_pages' : k}`).join(', ')}]`,
    '',
  ].join('\n');
}

/** The mirror, ready for runScenario(mirror, 'mirror', seed): the boot state is applied after boot. */
export function mirrorScenario(run: HarnessRun): Scenario {
  const scenario = loadScenario(mirrorScenarioYaml(run), `${run.file} (mirror)`);
  return { ...scenario, initialState: run.boot };
}
