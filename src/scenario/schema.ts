/**
 * The scenario file format: one YAML document, validated by one zod schema (built here from
 * the workload registry each time it is asked for, so new `kind:`s need no change here).
 *
 * ```yaml
 * scenario:
 *   name: frag                 # required: letters, digits, '.', '_' and '-'
 *   description: |             # what it is and what to expect (free text; default '')
 *     ...
 *   duration: 10s              # simulated time (required, > 0)
 *   seeds: 3                   # how many seeds `compare` runs by default (default 1; `run` uses --seed)
 *   sample_every: 100ms        # time-series period (default: duration / 200, at least 1ms)
 *   snapshots: [1s, end]       # /proc snapshot times: durations <= duration, or `end` (default [end])
 *   trace: [mm_page_alloc_extfrag, "mm_compaction_*"]   # ftrace events to record: names or globs
 *                              #   (* and ?), optionally `system:` prefixed (kmem, compaction,
 *                              #   migrate, vmscan); each must match a known event (default: none)
 *   premature_oom_free: auto   # free memory above which an OOM kill counts as premature:
 *                              #   `auto` (the eligible zones' high watermarks + the request) or a size
 * machine: {...}               # required: exactly the machine spec's machine: block (machines/*.yaml)
 * start_from:                  # or instead of machine: a recorded real state, imported at boot
 *   harness: run.json          #   a validation-harness run (relative to this file) ...
 *   phase: boot                #   ... at this phase (default boot)
 *   state: state.json          #   or a state.json from `pagelab import`
 * vm:                          # runtime sysctls, all optional:
 *   swappiness: 60             #   0..200
 *   compact_unevictable_allowed: 1     # 0 or 1
 *   extfrag_threshold: 500     #   0..1000
 *   compaction_proactiveness: 20       # 0..100
 *   watermark_boost_factor: 15000      # 0..2^31-1 (overrides machine.sysctl.watermark_boost_factor)
 * swap: 2GiB                   # optional swap device: a size (0 = none), or
 *                              #   { size: 2GiB, write_latency: 200us, read_latency: 200us }
 * thp: { enabled: always, defrag: madvise }   # always|madvise|never; always|defer|defer+madvise|madvise|never
 * workloads:                   # list (default []); each { kind, name?, ...that kind's options };
 *   - { kind: churn, rate: 1000 }      # a name defaults to kind + list index (`churn0`); names are unique
 * variants:                    # default [{ name: baseline }]; the first is the reference for compare
 *   - name: baseline
 *   - name: no-proactive
 *     description: ...         # optional
 *     vm: { compaction_proactiveness: 0 }  # merged over the scenario's vm
 *     machine: { sysctl: {...} }           # merged over machine.sysctl (the only machine override)
 *     swap: 0                  # replaces the scenario's swap (0: no swap)
 *     thp: { defrag: always }  # merged over the scenario's thp
 *     workloads: { churn0: { rate: 2000 } }   # per-workload option overrides, by workload name
 * metrics: [oom_kills, ...]    # optional: summary metrics to show first in tables
 * ```
 *
 * Unknown keys are errors everywhere. Durations are as in ./units.ts (`500ms`, `10s`, a bare
 * number is seconds); sizes as in the machine spec (`2GiB`).
 *
 * The exported JSON Schema (`scenarioJsonSchema()`, `pagelab schema`) describes the input
 * (`io: 'input'`): durations and sizes appear as `string | number`, and checks zod runs in code
 * are not in it: the machine spec's size fields (any value), relations between fields (snapshot
 * times within the duration, unique workload and variant names, variant overrides naming
 * existing workloads, trace globs matching known events, object-level refinements of workload
 * options), and the options a variant overrides for a workload (only "a mapping" there, since
 * their schema depends on the workload's kind).
 *
 * Browser-safe: no Node modules.
 */
import { z } from 'zod';
import { machineSpecSchema } from '../machine/spec.js';
import { parseSize } from '../machine/size.js';
import { WORKLOAD_KINDS } from '../workloads/index.js';
import { DURATION_HELP, SIZE_HELP, parseDuration } from './units.js';

const INT_MAX = 2 ** 31 - 1;

// ---------------------------------------------------------------------------------------------
// Trace events

/** The tracepoints the model fires, by ftrace system. */
export const TRACE_EVENTS: readonly { system: string; name: string }[] = [
  ...['mm_page_alloc', 'mm_page_free', 'mm_page_pcpu_drain', 'mm_page_alloc_extfrag'].map((name) => ({ system: 'kmem', name })),
  ...[
    'mm_compaction_isolate_migratepages', 'mm_compaction_isolate_freepages', 'mm_compaction_migratepages',
    'mm_compaction_begin', 'mm_compaction_end', 'mm_compaction_try_to_compact_pages', 'mm_compaction_finished',
    'mm_compaction_suitable', 'mm_compaction_deferred', 'mm_compaction_defer_compaction',
    'mm_compaction_defer_reset', 'mm_compaction_kcompactd_sleep', 'mm_compaction_wakeup_kcompactd',
    'mm_compaction_kcompactd_wake',
  ].map((name) => ({ system: 'compaction', name })),
  { system: 'migrate', name: 'mm_migrate_pages' },
  ...['mm_vmscan_kswapd_sleep', 'mm_vmscan_kswapd_wake', 'mm_vmscan_direct_reclaim_begin', 'mm_vmscan_direct_reclaim_end']
    .map((name) => ({ system: 'vmscan', name })),
];

/** The kmem events the page allocator fires through its KmemTraceSink. */
export const KMEM_EVENTS = ['mm_page_alloc', 'mm_page_free', 'mm_page_pcpu_drain', 'mm_page_alloc_extfrag'] as const;

function globRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.');
  return new RegExp(`^${body}$`);
}

/**
 * A predicate over event names for a list of globs (`mm_compaction_*`, `kmem:*`,
 * `compaction:mm_compaction_begin`): the event names a trace: list selects.
 */
export function traceEventMatcher(globs: readonly string[]): (event: string) => boolean {
  const tests = globs.map((g) => {
    const colon = g.indexOf(':');
    const system = colon < 0 ? null : globRegExp(g.slice(0, colon));
    const name = globRegExp(colon < 0 ? g : g.slice(colon + 1));
    const systemOf = new Map(TRACE_EVENTS.map((e) => [e.name, e.system]));
    return (event: string): boolean => name.test(event) && (system === null || system.test(systemOf.get(event) ?? ''));
  });
  return (event) => tests.some((t) => t(event));
}

/** The known events a glob selects. */
export function traceEventsMatching(glob: string): string[] {
  const m = traceEventMatcher([glob]);
  return TRACE_EVENTS.filter((e) => m(e.name)).map((e) => e.name);
}

// ---------------------------------------------------------------------------------------------
// Field types

export const EXPECT = {
  root: 'a mapping with scenario:, machine: (or start_from:) and workloads: sections',
  startFrom: 'a mapping { harness: RUN.json, phase: boot } or { state: state.json } (a recorded machine state to start from)',
  startFromFile: 'a file path (relative to the scenario file)',
  startFromPhase: 'a phase name of the harness run (boot, filled, ...)',
  scenario: 'a mapping of scenario settings (name, description, duration, seeds, sample_every, snapshots, trace, premature_oom_free)',
  name: "a name of letters, digits, '.', '_' and '-' (starting with a letter or digit)",
  description: 'text',
  duration: `a positive duration: ${DURATION_HELP}`,
  seeds: 'a whole number of seeds from 1 to 1000',
  sampleEvery: `a positive duration: ${DURATION_HELP}`,
  snapshots: 'a list of snapshot times: durations or end',
  snapshot: `a snapshot time: end or ${DURATION_HELP}`,
  trace: 'a list of trace event names or globs such as mm_page_alloc_extfrag or "mm_compaction_*"',
  traceEntry: 'a trace event name or glob such as mm_page_alloc_extfrag or "mm_compaction_*"',
  premature: `auto or ${SIZE_HELP}`,
  vm: 'a mapping of vm sysctls (swappiness, compact_unevictable_allowed, extfrag_threshold, compaction_proactiveness, watermark_boost_factor)',
  swappiness: 'a whole number from 0 to 200',
  zeroOne: '0 or 1',
  extfrag: 'a whole number from 0 to 1000',
  proactiveness: 'a whole number from 0 to 100',
  boost: `a whole number from 0 to ${INT_MAX}`,
  swap: `a swap size (${SIZE_HELP}; 0 for none) or a mapping { size, write_latency, read_latency }`,
  swapSize: `${SIZE_HELP} (0 for no swap)`,
  latency: `a duration: ${DURATION_HELP}`,
  thp: 'a mapping { enabled, defrag }',
  thpEnabled: 'always, madvise or never',
  thpDefrag: 'always, defer, defer+madvise, madvise or never',
  workloads: 'a list of workloads, each a mapping like { kind: churn, rate: 1000 }',
  workloadName: "a workload name of letters, digits, '_' and '-' (starting with a letter or digit)",
  variants: 'a list of variants, each a mapping like { name: baseline }',
  variantsMin: 'a list of at least one variant',
  variant: 'a variant: a mapping { name, description, vm, machine, swap, thp, workloads }',
  variantMachine: 'a mapping with a sysctl: block (the only machine setting a variant may change)',
  variantWorkloads: 'a mapping from workload names to option overrides, such as { churn0: { rate: 2000 } }',
  variantWorkload: 'a mapping of option overrides, such as { rate: 2000 }',
  metrics: 'a list of summary metric names',
  metric: 'a summary metric name',
} as const;

/** A duration (text or seconds) in ns that satisfies `ok`. Input: string | number. */
function durationField(expected: string, ok: (ns: number) => boolean) {
  return z.union([z.string(), z.number()], { error: expected }).transform((v, ctx): number => {
    let ns: number | undefined;
    try {
      ns = parseDuration(v);
    } catch {
      ns = undefined;
    }
    if (ns === undefined || !ok(ns)) {
      ctx.addIssue({ code: 'custom', message: expected, input: v });
      return z.NEVER;
    }
    return ns;
  });
}

/** A size (text or bytes) in bytes that satisfies `ok`. Input: string | number. */
function sizeField(expected: string, ok: (bytes: number) => boolean) {
  return z.union([z.string(), z.number()], { error: expected }).transform((v, ctx): number => {
    let bytes: number | undefined;
    try {
      bytes = parseSize(v);
    } catch {
      bytes = undefined;
    }
    if (bytes === undefined || !ok(bytes)) {
      ctx.addIssue({ code: 'custom', message: expected, input: v });
      return z.NEVER;
    }
    return bytes;
  });
}

function wholeNumber(expected: string, min: number, max: number) {
  return z.int({ error: expected }).min(min, { error: expected }).max(max, { error: expected });
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const WORKLOAD_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

export const scenarioShape = {
  name: z.string({ error: EXPECT.name }).regex(NAME_RE, { error: EXPECT.name }).describe('the scenario name (used in output file names)'),
  description: z.string({ error: EXPECT.description }).default('').describe('what the scenario is and what to expect'),
  duration: durationField(EXPECT.duration, (ns) => ns > 0).describe('simulated time to run'),
  seeds: wholeNumber(EXPECT.seeds, 1, 1000).default(1).describe('how many seeds `compare` runs by default'),
  sample_every: durationField(EXPECT.sampleEvery, (ns) => ns > 0).optional().describe('time-series period (default duration / 200, at least 1ms)'),
  snapshots: z
    .array(z.union([z.literal('end'), durationField(EXPECT.snapshot, (ns) => ns >= 0)], { error: EXPECT.snapshot }), { error: EXPECT.snapshots })
    .default(['end'])
    .describe('/proc snapshot times'),
  trace: z
    .array(z.string({ error: EXPECT.traceEntry }).regex(/^[A-Za-z0-9_*?]+(:[A-Za-z0-9_*?]+)?$/, { error: EXPECT.traceEntry }), { error: EXPECT.trace })
    .default([])
    .describe('ftrace events to record (names or globs)'),
  premature_oom_free: z
    .union([z.literal('auto'), sizeField(EXPECT.premature, (b) => b >= 0)], { error: EXPECT.premature })
    .default('auto')
    .describe('free memory above which an OOM kill counts as premature'),
};

export const vmShape = {
  swappiness: wholeNumber(EXPECT.swappiness, 0, 200).optional(),
  compact_unevictable_allowed: z.union([z.literal(0), z.literal(1)], { error: EXPECT.zeroOne }).optional(),
  extfrag_threshold: wholeNumber(EXPECT.extfrag, 0, 1000).optional(),
  compaction_proactiveness: wholeNumber(EXPECT.proactiveness, 0, 100).optional(),
  watermark_boost_factor: wholeNumber(EXPECT.boost, 0, INT_MAX).optional(),
};
const vmSchema = z.strictObject(vmShape, { error: EXPECT.vm });

const swapSizeField = sizeField(EXPECT.swapSize, (b) => b === 0 || b >= 2 * 4096);
export const swapShape = {
  size: swapSizeField,
  write_latency: durationField(EXPECT.latency, (ns) => ns >= 0).optional(),
  read_latency: durationField(EXPECT.latency, (ns) => ns >= 0).optional(),
};
const swapSchema = z.union([swapSizeField, z.strictObject(swapShape, { error: EXPECT.swap })], { error: EXPECT.swap });

export const thpShape = {
  enabled: z.enum(['always', 'madvise', 'never'], { error: EXPECT.thpEnabled }).optional(),
  defrag: z.enum(['always', 'defer', 'defer+madvise', 'madvise', 'never'], { error: EXPECT.thpDefrag }).optional(),
};
const thpSchema = z.strictObject(thpShape, { error: EXPECT.thp });

/** The keys every workload entry has besides its kind's options. */
export const WORKLOAD_COMMON_KEYS = ['kind', 'name'] as const;

export function workloadKindsText(): string {
  return WORKLOAD_KINDS.map((k) => k.kind).join(', ');
}

/** A workload entry: { kind, name?, ...options } for one of the registry's kinds. */
function workloadSchema() {
  const entries = WORKLOAD_KINDS.map((k) =>
    z
      .strictObject(
        {
          kind: z.literal(k.kind).describe(k.description),
          name: z.string({ error: EXPECT.workloadName }).regex(WORKLOAD_NAME_RE, { error: EXPECT.workloadName }).optional(),
          ...k.options.shape,
        },
        { error: EXPECT.workloads },
      )
      .describe(`${k.kind}: ${k.description}`),
  );
  const kindExpected = `a workload kind: one of ${workloadKindsText()}`;
  const first = entries[0];
  if (first === undefined) throw new Error('the workload registry is empty');
  return z.discriminatedUnion('kind', [first, ...entries.slice(1)], {
    error: (iss) => (iss.code === 'invalid_union' ? kindExpected : iss.code === 'invalid_type' ? `a workload: a mapping like { kind: ${first.shape.kind.value} }` : undefined),
  });
}

const sysctlSchema = machineSpecSchema.shape.machine.shape.sysctl.unwrap();

export const variantMachineShape = {
  sysctl: sysctlSchema.optional(),
};

export const variantShape = {
  name: z.string({ error: EXPECT.name }).regex(NAME_RE, { error: EXPECT.name }),
  description: z.string({ error: EXPECT.description }).optional(),
  vm: vmSchema.optional(),
  machine: z.strictObject(variantMachineShape, { error: EXPECT.variantMachine }).optional(),
  swap: swapSchema.optional(),
  thp: thpSchema.optional(),
  workloads: z
    .record(z.string(), z.record(z.string(), z.unknown(), { error: EXPECT.variantWorkload }), { error: EXPECT.variantWorkloads })
    .optional()
    .describe('option overrides per workload name'),
};

/** Top-level keys, in the order they are documented. */
export const ROOT_KEYS = ['scenario', 'machine', 'start_from', 'vm', 'swap', 'thp', 'workloads', 'variants', 'metrics'] as const;

export const startFromShape = {
  harness: z.string({ error: EXPECT.startFromFile }).min(1, { error: EXPECT.startFromFile }).optional()
    .describe('a validation-harness run (JSON): its zones, sysctls and the state at `phase`'),
  phase: z.string({ error: EXPECT.startFromPhase }).min(1, { error: EXPECT.startFromPhase }).optional()
    .describe('with harness: the phase whose state to start from (default boot)'),
  state: z.string({ error: EXPECT.startFromFile }).min(1, { error: EXPECT.startFromFile }).optional()
    .describe('a state.json written by `pagelab import`'),
};

/** The zod schema of a scenario document, built from the workload registry as it is now. */
export function scenarioSchema() {
  return z.strictObject(
    {
      scenario: z.strictObject(scenarioShape, { error: EXPECT.scenario }),
      machine: machineSpecSchema.shape.machine.optional(),
      start_from: z.strictObject(startFromShape, { error: EXPECT.startFrom }).optional()
        .describe('start from a recorded real machine state (instead of machine:): the machine and its free lists come from it'),
      vm: vmSchema.optional(),
      swap: swapSchema.optional(),
      thp: thpSchema.optional(),
      workloads: z.array(workloadSchema(), { error: EXPECT.workloads }).default([]),
      variants: z
        .array(z.strictObject(variantShape, { error: EXPECT.variant }), { error: EXPECT.variants })
        .min(1, { error: EXPECT.variantsMin })
        .default([{ name: 'baseline' }]),
      metrics: z.array(z.string({ error: EXPECT.metric }).min(1, { error: EXPECT.metric }), { error: EXPECT.metrics }).default([]),
    },
    { error: EXPECT.root },
  );
}

export type ScenarioDoc = z.output<ReturnType<typeof scenarioSchema>>;

/**
 * The JSON Schema (draft 2020-12) of scenario files, for editors and `pagelab schema`. It
 * describes the input (see the header comment for what it cannot express).
 */
export function scenarioJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(scenarioSchema(), { io: 'input', unrepresentable: 'any' });
  const { $schema, ...rest } = schema as Record<string, unknown>;
  return {
    $schema,
    title: 'pagelab scenario',
    description:
      'A pagelab scenario: machine, sysctls, workload mix, duration, variants and what to record. Not expressed here: ' +
      'relations between fields (snapshot times within the duration, unique workload and variant names, variant ' +
      'overrides naming existing workloads, trace globs matching known events) and the machine spec size fields.',
    ...rest,
    // machine: or start_from:, exactly one (zod has both optional; the loader checks the pair).
    oneOf: [{ required: ['machine'] }, { required: ['start_from'] }],
  };
}
