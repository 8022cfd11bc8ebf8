/**
 * One run of the real-kernel validation harness (validation/run.sh's JSON), read for the
 * fidelity report: the scenario and its memscen parameters, the boot state (through the
 * importer, parseHarnessRun()), and per phase what the kernel's /proc said. Browser-safe.
 */
import { z } from 'zod';
import { MAX_ORDER, MIGRATETYPE_NAMES } from '../mm/constants.js';
import { ImportError, type RealState, formatJsonPath, parseHarnessRun } from '../import/procfs_parse.js';

/** The harness's scenarios (memscen.c's preset()). */
export const HARNESS_SCENARIOS = ['fragment-then-hugepages', 'pinned-shmem', 'unpinned-shmem', 'oom-fragmented'] as const;
export type HarnessScenario = (typeof HARNESS_SCENARIOS)[number];

const orders = z.array(z.number().int().min(0)).length(MAX_ORDER);
const typeNames = MIGRATETYPE_NAMES as readonly string[];

/**
 * memscen's parameters as emit_params() writes them: every key of memscen.c's opts[] table, no
 * other. A key the harness does not know is an error (a newer harness, or a typo in a hand-made
 * file); which known values the mirror can follow is memscenOptionsOf()'s business.
 */
const paramsSchema = z.strictObject({
  seed: z.number().int().min(0),
  'fill-pct': z.number().gt(0).max(100),
  'unit-kb': z.number().int().min(1),
  'shmem-unit-kb': z.number().int().min(0),
  'shmem-pct': z.number().min(0).max(100),
  'cache-pct': z.number().min(0).max(100),
  'pin-pct': z.number().min(0).max(100),
  pin: z.string(),
  layout: z.string(),
  pattern: z.string(),
  'free-pct': z.number().min(0).max(100),
  'free-types': z.string(),
  thp: z.string(),
  proactiveness: z.number().int(),
  extfrag: z.number().int(),
  unevictable: z.number().int(),
  'hp-mode': z.string(),
  'hp-target': z.number().int().min(0),
  settle: z.number().int(),
  'unpin-phase': z.number().int(),
  'drop-caches': z.number().int(),
  'kalloc-orders': z.string(),
  kalloc: z.string(),
  'max-allocs': z.number().int().min(1),
  cpu: z.number().int(),
  'cache-file': z.string(),
  trace: z.string(),
  'trace-lines': z.number().int(),
  'layout-map': z.number().int(),
});
/** memscen's parameter names, in emit_params() order. */
export const MEMSCEN_PARAM_KEYS = Object.keys(paramsSchema.shape) as readonly string[];
export type HarnessParams = z.output<typeof paramsSchema>;

const phaseSchema = z.looseObject({
  name: z.string(),
  info: z.record(z.string(), z.unknown()).optional(),
  vmstat_delta: z.record(z.string(), z.number()).default({}),
  buddyinfo: z.record(z.string(), z.record(z.string(), orders)),
  pagetypeinfo: z.looseObject({
    zones: z.record(z.string(), z.record(z.string(), z.looseObject({
      blocks: z.record(z.string(), z.number().int().min(0)),
    }))),
  }),
});

const runSchema = z.looseObject({
  tool: z.literal('memscen'),
  scenario: z.string(),
  params: paramsSchema,
  sysctl: z.record(z.string(), z.string()),
  phases: z.array(phaseSchema).min(1),
  summary: z.record(z.string(), z.number()),
});

/** What the kernel's /proc showed at the end of one phase, per zone of node 0. */
export interface PhaseRecord {
  name: string;
  /** Free blocks per order (buddyinfo), by zone name. */
  buddyinfo: Record<string, number[]>;
  /** Pageblocks per migratetype (pagetypeinfo's block counts), by zone, then type name. */
  pageblocks: Record<string, Record<string, number>>;
  /** Counter changes since the previous phase (none for the first). */
  vmstatDelta: Record<string, number>;
  /** nr_hugepages requested in a hugepage phase. */
  hpRequested?: number;
}

export interface HarnessRun {
  file: string;
  scenario: HarnessScenario;
  params: HarnessParams;
  /** The sysctls in force during the run, as read from /proc/sys (strings). */
  sysctl: Record<string, string>;
  /** The machine after memscen's settle step: what a mirror starts from. */
  boot: RealState;
  phases: PhaseRecord[];
  /** The run's headline numbers (hp_direct, order3_allocations, ...). */
  summary: Record<string, number>;
}

/** Read a harness result (text or parsed JSON); ImportError names the file and the field. */
export function readHarnessRun(json: unknown, file: string): HarnessRun {
  // The machine part (zones, sysctls, boot-phase free lists) and its errors come from the importer.
  const boot = parseHarnessRun(json, file, 'boot');
  const value: unknown = typeof json === 'string' ? JSON.parse(json) : json;
  const parsed = runSchema.safeParse(value);
  if (!parsed.success) {
    const iss = parsed.error.issues[0]!;
    const path = iss.path as (string | number)[];
    if (iss.code === 'unrecognized_keys') {
      const key = iss.keys[0]!;
      const where = [...path, key];
      throw new ImportError(file, undefined, formatJsonPath(where), `one of memscen's parameters (${MEMSCEN_PARAM_KEYS.join(', ')})`, `an unknown key with value ${foundAt(value, where)}`);
    }
    throw new ImportError(file, undefined, formatJsonPath(path), expectedOf(iss), foundAt(value, path));
  }
  const r = parsed.data;
  if (!(HARNESS_SCENARIOS as readonly string[]).includes(r.scenario)) {
    throw new ImportError(file, undefined, 'scenario', `one of the harness scenarios (${HARNESS_SCENARIOS.join(', ')})`, JSON.stringify(r.scenario));
  }
  const phases = r.phases.map((p, i): PhaseRecord => {
    const buddyinfo = p.buddyinfo['0'];
    const zones = p.pagetypeinfo.zones['0'];
    if (!buddyinfo || !zones) throw new ImportError(file, undefined, `phases[${i}]`, 'buddyinfo and pagetypeinfo of node 0', 'none');
    const pageblocks: Record<string, Record<string, number>> = {};
    for (const [zone, info] of Object.entries(zones)) {
      pageblocks[zone] = {};
      for (const t of typeNames) pageblocks[zone]![t] = info.blocks[t] ?? 0;
    }
    const requested = p.info?.['requested'];
    return {
      name: p.name,
      buddyinfo,
      pageblocks,
      vmstatDelta: p.vmstat_delta,
      ...(typeof requested === 'number' ? { hpRequested: requested } : {}),
    };
  });
  return { file, scenario: r.scenario as HarnessScenario, params: r.params, sysctl: r.sysctl, boot, phases, summary: r.summary };
}

function expectedOf(iss: z.core.$ZodIssue): string {
  if (iss.code === 'invalid_type') return `a ${iss.expected}`;
  if (iss.code === 'too_small' || iss.code === 'too_big') return iss.message.replace(/^Too (small|big): expected /, '').replace(/^Invalid input: /, '');
  return iss.message;
}

function foundAt(value: unknown, path: readonly PropertyKey[]): string {
  let v: unknown = value;
  for (const seg of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[seg] : undefined;
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
