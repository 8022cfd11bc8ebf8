/**
 * The scenario loader: YAML text -> a validated, resolved Scenario, and a Scenario plus a
 * variant name -> the ResolvedRun the runner executes.
 *
 * Errors are SpecErrors from the machine spec's machinery, so they read the same:
 * `file:line: field: expected X, found Y`. Stages, each reporting its first problem by line:
 *   1. YAML syntax (readSpecYaml);
 *   2. shape and per-field values: the scenario schema (./schema.ts) and the machine block
 *      (parseMachineSpec, which also checks the machine's relations);
 *   3. relations: unique names, snapshot times, trace globs, variant overrides (every variant
 *      is resolved here, so its merged workload options are checked against the kind's schema).
 *
 * Browser-safe: takes text and a file name; reading files belongs to the CLI.
 */
import { z } from 'zod';
import type { MachineConfig, Sysctls } from '../machine/config.js';
import { SpecError, formatSpecPath, parseMachineSpec, readSpecYaml, valueLocator } from '../machine/spec.js';
import type { SpecLocator, SpecPath } from '../machine/spec.js';
import { PAGE_SIZE } from '../mm/constants.js';
import { findWorkloadKind } from '../workloads/index.js';
import {
  ROOT_KEYS, WORKLOAD_COMMON_KEYS, scenarioSchema, scenarioShape, swapShape, thpShape, traceEventMatcher,
  traceEventsMatching, TRACE_EVENTS, variantMachineShape, variantShape, vmShape,
} from './schema.js';
import type { ScenarioDoc } from './schema.js';
import { machineConfigFromState } from '../import/build.js';
import { type RealState, parseHarnessRun, parseRealStateJson } from '../import/procfs_parse.js';
import { InputError } from '../machine/input_error.js';
import { formatDuration } from './units.js';
import { ALL_RUN_METRICS, expectedMetric, metricWorkload } from './metrics.js';

// ---------------------------------------------------------------------------------------------
// Types

/** Runtime vm sysctls as written (only those given). */
export interface VmSettings {
  swappiness?: number;
  compact_unevictable_allowed?: 0 | 1;
  extfrag_threshold?: number;
  compaction_proactiveness?: number;
  watermark_boost_factor?: number;
}

export interface SwapSettings {
  bytes: number;
  /** The swap area in pages (header page included, as swapon() takes it). */
  pages: number;
  writeLatencyNs?: number;
  readLatencyNs?: number;
}

export interface ThpSpec {
  enabled?: 'always' | 'madvise' | 'never';
  defrag?: 'always' | 'defer' | 'defer+madvise' | 'madvise' | 'never';
}

export interface ScenarioWorkload {
  kind: string;
  /** Its `name:`, or kind + list index (`churn0`). */
  name: string;
  /** The entry's options as written, without kind and name (the kind's create() parses them). */
  options: Record<string, unknown>;
}

/** machine.sysctl overrides of a variant, by kernel name (validated). */
export type SysctlOverrides = Partial<{
  min_free_kbytes: number | null;
  watermark_scale_factor: number;
  watermark_boost_factor: number;
  lowmem_reserve_ratio: number[];
  percpu_pagelist_high_fraction: number;
}>;

export interface VariantSpec {
  name: string;
  description: string;
  vm: VmSettings;
  sysctl: SysctlOverrides;
  /** Replaces the scenario's swap when present (null: no swap). */
  swap?: SwapSettings | null;
  thp: ThpSpec;
  /** Option overrides by workload name, as written. */
  workloads: Record<string, Record<string, unknown>>;
}

export interface SnapshotTime {
  /** `end`, or the time as formatDuration() writes it (`1s`, `1500ms`). */
  label: string;
  timeNs: number;
}

/** A loaded scenario: plain data (structured-cloneable), every variant already checked. */
export interface Scenario {
  file: string;
  name: string;
  description: string;
  durationNs: number;
  seeds: number;
  sampleEveryNs: number;
  /** In time order. */
  snapshots: SnapshotTime[];
  /** The trace: globs as written. */
  trace: string[];
  /** The known events they select, in TRACE_EVENTS order. */
  traceEvents: string[];
  /** Free memory above which an OOM kill is premature: 'auto' or bytes. */
  prematureOomFree: 'auto' | number;
  machine: MachineConfig;
  /** A recorded real machine state the run starts from (applyState() after boot), or none. */
  initialState?: RealState;
  vm: VmSettings;
  swap: SwapSettings | null;
  thp: ThpSpec;
  workloads: ScenarioWorkload[];
  variants: VariantSpec[];
  metrics: string[];
}

/** One variant of a scenario with its overrides applied: what the runner executes. */
export interface ResolvedRun {
  scenario: string;
  variant: string;
  description: string;
  durationNs: number;
  sampleEveryNs: number;
  snapshots: SnapshotTime[];
  traceEvents: string[];
  /** null: the OOM killer's default ('auto'). */
  prematureOomFreePages: number | null;
  /** The machine with the variant's sysctls and vm.watermark_boost_factor folded in. */
  machine: MachineConfig;
  initialState?: RealState;
  vm: VmSettings;
  swap: SwapSettings | null;
  thp: ThpSpec;
  /** With the variant's option overrides merged in (still raw: create() parses them). */
  workloads: ScenarioWorkload[];
  metrics: string[];
}

// ---------------------------------------------------------------------------------------------
// Issues -> SpecError

interface Issue {
  path: SpecPath;
  expected: string;
  found?: string;
  unknownKey?: boolean;
}

const ARTICLE: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
  map: 'a mapping',
  literal: 'a literal value',
  null: 'an empty value',
  undefined: 'nothing',
  bigint: 'a whole number',
  date: 'a date',
};

const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** The per-parse error map: what a check without its own message expected. */
export const expectedErrorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      return ARTICLE[iss.expected] ?? `a value of type ${iss.expected}`;
    case 'too_small': {
      const min = Number(iss.minimum);
      if (iss.origin === 'array' || iss.origin === 'set') return `a list of at least ${min} ${min === 1 ? 'entry' : 'entries'}`;
      if (iss.origin === 'string') return `text of at least ${min} characters`;
      return `a number ${iss.inclusive ? '>=' : '>'} ${min}`;
    }
    case 'too_big': {
      const max = Number(iss.maximum);
      if (iss.origin === 'array' || iss.origin === 'set') return `a list of at most ${max} ${max === 1 ? 'entry' : 'entries'}`;
      if (iss.origin === 'string') return `text of at most ${max} characters`;
      return `a number ${iss.inclusive ? '<=' : '<'} ${max}`;
    }
    case 'invalid_value':
      return iss.values.length === 1 ? show(iss.values[0]) : `one of ${iss.values.map(show).join(', ')}`;
    case 'not_multiple_of':
      return `a multiple of ${String(iss.divisor)}`;
    case 'invalid_format':
      return iss.format === 'regex' && 'pattern' in iss ? `text matching ${String(iss.pattern)}` : `text in ${iss.format} format`;
    case 'invalid_union':
      return 'one of the accepted forms';
    case 'invalid_key':
      return 'a valid key';
    case 'invalid_element':
      return 'valid entries';
    case 'custom':
      return typeof iss.message === 'string' ? iss.message : 'a valid value';
    default:
      return 'a valid value';
  }
};

/** A check's message, as the "expected" part (messages may start with "expected ..."). */
function expectedOf(message: string): string {
  const m = /^Invalid input: expected (\S+), received \S+$/.exec(message);
  if (m) return ARTICLE[m[1]!] ?? m[1]!;
  return message.replace(/^expected /, '');
}

/** Every issue fails on the value's type at the union member's root: that member is not the one meant. */
function rootMismatch(issues: readonly z.core.$ZodIssue[]): boolean {
  return issues.every(
    (iss) => iss.path.length === 0 && (iss.code === 'invalid_type' || (iss.code === 'invalid_union' && iss.errors.length > 0 && iss.errors.every(rootMismatch))),
  );
}

type KnownKeys = (path: SpecPath) => readonly string[];

function suggestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  const k0 = key.toLowerCase().replaceAll('-', '_');
  for (const k of known) {
    const d = editDistance(k0, k);
    if (d < bestDist) {
      best = k;
      bestDist = d;
    }
  }
  return bestDist <= (key.length > 4 ? 2 : 1) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min(sub, prev[j]! + 1, cur[j - 1]! + 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

function unknownKeyIssue(path: SpecPath, key: string, known: readonly string[]): Issue {
  const hint = suggestKey(key, known);
  return {
    path: [...path, key],
    expected: known.length > 0 ? `one of the keys ${known.join(', ')}` : 'no such key',
    found: `unknown key ${JSON.stringify(key)}${hint === undefined ? '' : ` (did you mean ${JSON.stringify(hint)}?)`}`,
    unknownKey: true,
  };
}

function issuesFromZod(issues: readonly z.core.$ZodIssue[], base: SpecPath, knownKeys: KnownKeys): Issue[] {
  const out: Issue[] = [];
  for (const iss of issues) {
    const path = [...base, ...iss.path.filter((seg): seg is string | number => typeof seg !== 'symbol')];
    if (iss.code === 'unrecognized_keys') {
      const known = knownKeys(path);
      for (const key of iss.keys) out.push(unknownKeyIssue(path, key, known));
    } else if (iss.code === 'invalid_union' && iss.errors.length > 0) {
      // A plain union: report inside the member the value was meant for, if there is one.
      const meant = iss.errors.filter((branch) => !rootMismatch(branch));
      if (meant.length === 1) out.push(...issuesFromZod(meant[0]!, path, knownKeys));
      else out.push({ path, expected: expectedOf(iss.message) });
    } else {
      out.push({ path, expected: expectedOf(iss.message) });
    }
  }
  return out;
}

interface Located {
  error: SpecError;
  unknownKey: boolean;
}

function locate(issue: Issue, file: string, locator: SpecLocator): Located {
  return {
    error: new SpecError(file, locator.line(issue.path), formatSpecPath(issue.path), issue.expected, issue.found ?? locator.found(issue.path)),
    unknownKey: issue.unknownKey === true,
  };
}

/** The first problem by line; on the same line, an unknown key first (a typo explains the rest). */
function firstByLine(found: Located[]): SpecError {
  let best: Located | undefined;
  for (const cur of found) {
    const line = cur.error.line;
    const bestLine = best?.error.line;
    if (
      best === undefined ||
      (line !== undefined && (bestLine === undefined || line < bestLine)) ||
      (line === bestLine && cur.unknownKey && !best.unknownKey)
    ) {
      best = cur;
    }
  }
  return best!.error;
}

// ---------------------------------------------------------------------------------------------
// Known keys (for unknown-key messages)

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function at(root: unknown, path: SpecPath): unknown {
  let cur = root;
  for (const seg of path) {
    if (typeof seg === 'number' && Array.isArray(cur)) cur = cur[seg];
    else if (typeof seg === 'string' && isRecord(cur)) cur = cur[seg];
    else return undefined;
  }
  return cur;
}

function optionKeysOfKind(kind: unknown): string[] {
  const k = typeof kind === 'string' ? findWorkloadKind(kind) : undefined;
  return k === undefined ? [] : Object.keys(k.options.shape);
}

type SchemaDef = {
  type?: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType; shape?: Record<string, z.core.$ZodType>;
  options?: z.core.$ZodType[]; discriminator?: string; values?: unknown[];
};
const defOf = (t: z.core.$ZodType | undefined): SchemaDef | undefined => t?._zod.def as SchemaDef | undefined;

/** The object schemas a value may be at `t`: wrappers (optional, default, transforms) removed, unions flattened. */
function objectMembers(t: z.core.$ZodType | undefined): { shape: Record<string, z.core.$ZodType>; discriminator?: string }[] {
  const def = defOf(t);
  if (def === undefined) return [];
  if (def.innerType !== undefined) return objectMembers(def.innerType);
  if (def.type === 'pipe') return objectMembers(def.in);
  if (def.type === 'object') return [{ shape: def.shape ?? {} }];
  if (def.type === 'union') {
    return (def.options ?? []).flatMap((o) => objectMembers(o).map((m) => (def.discriminator !== undefined ? { ...m, discriminator: def.discriminator } : m)));
  }
  return [];
}

/**
 * The keys of the mapping an option schema takes at `path` below it, given the value `raw`
 * there: of the union member its discriminator picks (a size distribution's `dist`), or of all.
 */
function schemaKeysAt(schema: z.core.$ZodType | undefined, path: readonly string[], raw: unknown): string[] {
  let members = objectMembers(schema);
  const picked = members.filter((m) => m.discriminator !== undefined && isRecord(raw) && defOf(m.shape[m.discriminator])?.values?.[0] === raw[m.discriminator]);
  if (picked.length > 0) members = picked;
  if (path.length === 0) return [...new Set(members.flatMap((m) => Object.keys(m.shape)))];
  const [head, ...rest] = path;
  const next = members.find((m) => head! in m.shape);
  return next === undefined ? [] : schemaKeysAt(next.shape[head!], rest, isRecord(raw) ? raw[head!] : undefined);
}

function knownKeysFor(raw: unknown): KnownKeys {
  return (path) => {
    const p = path.map((s) => (typeof s === 'number' ? '#' : s));
    const key = p.join('/');
    if (p.length === 0) return ROOT_KEYS;
    if (key === 'scenario') return Object.keys(scenarioShape);
    if (key === 'vm' || key === 'variants/#/vm') return Object.keys(vmShape);
    if (key === 'swap' || key === 'variants/#/swap') return Object.keys(swapShape);
    if (key === 'thp' || key === 'variants/#/thp') return Object.keys(thpShape);
    if (key === 'workloads/#') return [...WORKLOAD_COMMON_KEYS, ...optionKeysOfKind(at(raw, [...path, 'kind']))];
    if (p[0] === 'workloads' && p.length > 2) {
      const kind = at(raw, [...path.slice(0, 2), 'kind']);
      const k = typeof kind === 'string' ? findWorkloadKind(kind) : undefined;
      return k === undefined ? [] : schemaKeysAt(k.options, path.slice(2).map(String), at(raw, path.slice(0, 2)));
    }
    if (key === 'variants/#') return Object.keys(variantShape);
    if (key === 'variants/#/machine') return Object.keys(variantMachineShape);
    if (key === 'variants/#/machine/sysctl') return Object.keys(variantMachineShape.sysctl.unwrap().shape);
    return [];
  };
}

// ---------------------------------------------------------------------------------------------
// Loading

/** The most samples a run's time series may hold. */
export const MAX_SAMPLES = 100_000;

/** Locators of loaded scenarios, for errors found later by resolveVariant(). */
const locators = new WeakMap<Scenario, SpecLocator>();

function toSwap(v: number | { size: number; write_latency?: number | undefined; read_latency?: number | undefined } | undefined): SwapSettings | null {
  if (v === undefined) return null;
  const o = typeof v === 'number' ? { size: v } : v;
  if (o.size === 0) return null;
  const s: SwapSettings = { bytes: o.size, pages: Math.floor(o.size / PAGE_SIZE) };
  if ('write_latency' in o && o.write_latency !== undefined) s.writeLatencyNs = o.write_latency;
  if ('read_latency' in o && o.read_latency !== undefined) s.readLatencyNs = o.read_latency;
  return s;
}

function defined<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

function workloadOptions(entry: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isRecord(entry)) return out;
  for (const [k, v] of Object.entries(entry)) if (k !== 'kind' && k !== 'name') out[k] = v;
  return out;
}

/**
 * Load a scenario from YAML text; `file` names it in errors. Throws SpecError for the first
 * problem (by line) of the first stage that has one.
 */
export function loadScenario(text: string, file: string, readFile?: ReadScenarioFile): Scenario {
  const { value, locator } = readSpecYaml(text, file);
  return parseScenario(value, file, locator, readFile);
}

/**
 * Reads a file a scenario names (start_from:), as written in the scenario: the caller resolves
 * it (the CLI: relative to the scenario file). Throws an Error whose message says why not.
 */
export type ReadScenarioFile = (path: string) => string;

/** The recorded state start_from: names, parsed; errors point at start_from. */
function readStartState(
  sf: NonNullable<ScenarioDoc['start_from']>, readFile: ReadScenarioFile | undefined,
  fail: (path: SpecPath, expected: string, found?: string) => never,
): RealState {
  if ((sf.harness === undefined) === (sf.state === undefined)) fail(['start_from'], 'exactly one of harness: and state:');
  if (sf.state !== undefined && sf.phase !== undefined) fail(['start_from', 'phase'], 'no phase: with state: (a state file is one moment)');
  const key = sf.harness !== undefined ? 'harness' : 'state';
  const path = (sf.harness ?? sf.state)!;
  if (!readFile) fail(['start_from', key], 'a scenario loaded where files can be read (the command line; not the browser)');
  let text = '';
  try {
    text = readFile!(path);
  } catch (e) {
    fail(['start_from', key], 'a readable file', `${JSON.stringify(path)}: ${(e as Error).message}`);
  }
  try {
    return sf.harness !== undefined ? parseHarnessRun(text, path, sf.phase ?? 'boot') : parseRealStateJson(text, path);
  } catch (e) {
    if (e instanceof InputError) fail(['start_from', key], `a valid ${key === 'harness' ? 'harness run' : 'state file'}`, e.message);
    throw e;
  }
}

/** Validate a parsed scenario document (e.g. from JSON). Without a locator, errors have no line. */
export function parseScenario(
  value: unknown, file = '<scenario>', locator: SpecLocator = valueLocator(value), readFile?: ReadScenarioFile,
): Scenario {
  // Stage 2: shape and per-field values.
  const found: Located[] = [];
  const parsed = scenarioSchema().safeParse(value, { error: expectedErrorMap });
  if (!parsed.success) {
    const issues = issuesFromZod(parsed.error.issues, [], knownKeysFor(value)).filter(
      (iss) => iss.path[0] !== 'machine' || iss.path.length === 1,
    );
    for (const iss of issues) found.push(locate(iss, file, locator));
  }
  let machine: MachineConfig | undefined;
  const rawMachine = isRecord(value) ? value['machine'] : undefined;
  if (rawMachine !== undefined) {
    try {
      machine = parseMachineSpec({ machine: rawMachine }, file, locator);
    } catch (e) {
      if (!(e instanceof SpecError)) throw e;
      found.push({ error: e, unknownKey: e.found.startsWith('unknown key') });
    }
  }
  // (A machine: that is not a mapping is reported by both; firstByLine keeps the first.)
  if (found.length > 0) throw firstByLine(found);
  if (!parsed.success) throw new Error('unreachable: scenario parsed without issues');
  const doc: ScenarioDoc = parsed.data;
  let initialState: RealState | undefined;
  const fail = (path: SpecPath, expected: string, foundText?: string): never => {
    throw locate({ path, expected, ...(foundText !== undefined ? { found: foundText } : {}) }, file, locator).error;
  };
  if (doc.start_from !== undefined) {
    if (rawMachine !== undefined) fail(['start_from'], 'either machine: or start_from: (the machine comes from the recorded state), not both');
    initialState = readStartState(doc.start_from, readFile, fail);
    machine = machineConfigFromState(initialState);
  }
  machine ??= fail([], 'a machine: section (or start_from: a recorded state)', 'none');
  const raw = value as Record<string, unknown>;

  // Stage 3: relations.
  const issues: Issue[] = [];
  const s = doc.scenario;
  const durationNs = s.duration;

  const workloads: ScenarioWorkload[] = [];
  const nameIndex = new Map<string, number>();
  const rawWorkloads = Array.isArray(raw['workloads']) ? (raw['workloads'] as unknown[]) : [];
  doc.workloads.forEach((w, i) => {
    const name = w.name ?? `${w.kind}${i}`;
    const prev = nameIndex.get(name);
    if (prev !== undefined) {
      issues.push({
        path: w.name !== undefined ? ['workloads', i, 'name'] : ['workloads', i],
        expected: 'a workload name used once (a name defaults to kind + list index, such as churn0)',
        found: `${JSON.stringify(name)}, already the name of workloads[${prev}]`,
      });
    } else {
      nameIndex.set(name, i);
    }
    workloads.push({ kind: w.kind, name, options: workloadOptions(rawWorkloads[i]) });
  });

  const snapshots: SnapshotTime[] = [];
  s.snapshots.forEach((t, i) => {
    const timeNs = t === 'end' ? durationNs : t;
    const label = t === 'end' ? 'end' : t === 0 ? '0s' : formatDuration(t);
    const path = ['scenario', 'snapshots', i];
    if (timeNs > durationNs) {
      issues.push({ path, expected: `a time within the scenario's duration (${formatDuration(durationNs)}), or end` });
    } else if (snapshots.some((o) => o.label === label)) {
      issues.push({ path, expected: 'each snapshot time once', found: `a second snapshot at ${label}` });
    } else {
      snapshots.push({ label, timeNs });
    }
  });
  snapshots.sort((a, b) => a.timeNs - b.timeNs || (a.label === 'end' ? 1 : 0) - (b.label === 'end' ? 1 : 0));

  s.trace.forEach((glob, i) => {
    if (traceEventsMatching(glob).length === 0) {
      issues.push({
        path: ['scenario', 'trace', i],
        expected: `an event name or glob matching a modelled event: ${modelledEventsText()}`,
      });
    }
  });
  const matcher = traceEventMatcher(s.trace);
  const traceEvents = TRACE_EVENTS.filter((e) => matcher(e.name)).map((e) => e.name);

  const variantNames = new Map<string, number>();
  doc.variants.forEach((v, i) => {
    const prev = variantNames.get(v.name);
    if (prev !== undefined) {
      issues.push({ path: ['variants', i, 'name'], expected: 'a variant name used once', found: `${JSON.stringify(v.name)}, already the name of variants[${prev}]` });
    } else {
      variantNames.set(v.name, i);
    }
    for (const wname of Object.keys(v.workloads ?? {})) {
      if (!nameIndex.has(wname)) {
        issues.push({
          path: ['variants', i, 'workloads', wname],
          expected: workloads.length > 0 ? `the name of a workload of this scenario (${[...nameIndex.keys()].join(', ')})` : 'no workload overrides (the scenario has no workloads)',
          found: `unknown workload ${JSON.stringify(wname)}`,
        });
      }
    }
  });

  // metrics: the runner's own, or <workload>.<counter> of a workload here (whether the counter
  // exists is known only after a run: see missingMetrics()).
  const workloadNames = [...nameIndex.keys()];
  doc.metrics.forEach((metric, i) => {
    if (ALL_RUN_METRICS.includes(metric) || metricWorkload(metric, workloadNames) !== undefined) return;
    const hint = suggestKey(metric, ALL_RUN_METRICS);
    issues.push({
      path: ['metrics', i],
      expected: expectedMetric(workloadNames),
      found: `${JSON.stringify(metric)}${hint === undefined ? '' : ` (did you mean ${JSON.stringify(hint)}?)`}`,
    });
  });

  if (!machine.thp && doc.thp?.enabled !== undefined && doc.thp.enabled !== 'never') {
    issues.push({ path: ['thp', 'enabled'], expected: 'never (machine.thp is false: this kernel has no transparent hugepages)' });
  }
  doc.variants.forEach((v, i) => {
    if (!machine.thp && v.thp?.enabled !== undefined && v.thp.enabled !== 'never') {
      issues.push({ path: ['variants', i, 'thp', 'enabled'], expected: 'never (machine.thp is false: this kernel has no transparent hugepages)' });
    }
  });

  // Each workload's own options, with the kind's full schema (object-level checks included).
  workloads.forEach((w, i) => {
    const kind = findWorkloadKind(w.kind);
    if (kind === undefined) return; // the shape stage has reported it
    const r = kind.options.safeParse(w.options, { error: expectedErrorMap });
    if (!r.success) {
      issues.push(...issuesFromZod(r.error.issues, ['workloads', i], (p) => (p.length === 2 ? [...WORKLOAD_COMMON_KEYS, ...Object.keys(kind.options.shape)] : [])));
    }
  });

  const variants: VariantSpec[] = doc.variants.map((v) => {
    const spec: VariantSpec = {
      name: v.name,
      description: v.description ?? '',
      vm: defined({ ...v.vm }),
      sysctl: defined({ ...v.machine?.sysctl }),
      thp: defined({ ...v.thp }),
      workloads: v.workloads ?? {},
    };
    if (v.swap !== undefined) spec.swap = toSwap(v.swap);
    return spec;
  });

  const sampleEveryNs = s.sample_every ?? Math.max(1_000_000, Math.floor(durationNs / 200));
  if (durationNs / sampleEveryNs > MAX_SAMPLES) {
    issues.push({
      path: ['scenario', 'sample_every'],
      expected: `a period of at least ${formatDuration(Math.ceil(durationNs / MAX_SAMPLES))} (at most ${MAX_SAMPLES} samples in ${formatDuration(durationNs)})`,
    });
  }
  const scenario: Scenario = {
    file,
    name: s.name,
    description: s.description,
    durationNs,
    seeds: s.seeds,
    sampleEveryNs,
    snapshots,
    trace: s.trace,
    traceEvents,
    prematureOomFree: s.premature_oom_free,
    machine,
    ...(initialState ? { initialState } : {}),
    vm: defined({ ...doc.vm }),
    swap: toSwap(doc.swap),
    thp: defined({ ...doc.thp }),
    workloads,
    variants,
    metrics: doc.metrics,
  };

  if (issues.length === 0) {
    // Every variant's merged workload options.
    variants.forEach((_, i) => issues.push(...resolveIssues(scenario, i).issues));
  }
  if (issues.length > 0) throw firstByLine(issues.map((iss) => locate(iss, file, locator)));
  locators.set(scenario, locator);
  return scenario;
}

/** `kmem: mm_page_alloc, ...; compaction: mm_compaction_{begin, end, ...}; migrate: mm_migrate_pages`. */
function modelledEventsText(): string {
  const systems = [...new Set(TRACE_EVENTS.map((e) => e.system))];
  return systems
    .map((sys) => {
      const names = TRACE_EVENTS.filter((e) => e.system === sys).map((e) => e.name);
      const prefix = 'mm_compaction_';
      const short = names.every((n) => n.startsWith(prefix)) ? `${prefix}{${names.map((n) => n.slice(prefix.length)).join(', ')}}` : names.join(', ');
      return `${sys}: ${short}`;
    })
    .join('; ');
}

// ---------------------------------------------------------------------------------------------
// Variants

function applySysctls(base: Sysctls, o: SysctlOverrides): Sysctls {
  const r = o.lowmem_reserve_ratio;
  return {
    minFreeKbytes: o.min_free_kbytes !== undefined ? o.min_free_kbytes : base.minFreeKbytes,
    watermarkScaleFactor: o.watermark_scale_factor ?? base.watermarkScaleFactor,
    watermarkBoostFactor: o.watermark_boost_factor ?? base.watermarkBoostFactor,
    lowmemReserveRatio: r !== undefined ? [r[0] ?? 0, r[1] ?? 0, r[2] ?? 0, r[3] ?? 0, r[4] ?? 0] : [...base.lowmemReserveRatio],
    percpuPagelistHighFraction: o.percpu_pagelist_high_fraction ?? base.percpuPagelistHighFraction,
  };
}

function resolveIssues(scenario: Scenario, index: number): { run: ResolvedRun; issues: Issue[] } {
  const v = scenario.variants[index]!;
  const issues: Issue[] = [];
  const vm: VmSettings = { ...scenario.vm, ...v.vm };
  const sysctl = applySysctls(scenario.machine.sysctl, v.sysctl);
  if (vm.watermark_boost_factor !== undefined) sysctl.watermarkBoostFactor = vm.watermark_boost_factor;
  const machine: MachineConfig = {
    ...scenario.machine,
    nodes: scenario.machine.nodes.map((n) => ({ nid: n.nid, zones: n.zones.map((z) => ({ ...z })) })),
    sysctl,
  };
  const workloads = scenario.workloads.map((w) => {
    const override = v.workloads[w.name];
    if (override === undefined) return { kind: w.kind, name: w.name, options: { ...w.options } };
    const options = { ...w.options, ...override };
    const kind = findWorkloadKind(w.kind);
    if (kind !== undefined) {
      const r = kind.options.safeParse(options, { error: expectedErrorMap });
      if (!r.success) {
        const known = Object.keys(kind.options.shape);
        const wi = scenario.workloads.indexOf(w);
        for (const iss of issuesFromZod(r.error.issues, [], () => known)) {
          const key = iss.path[0];
          const fromVariant = key === undefined || (typeof key === 'string' && Object.hasOwn(override, key));
          issues.push({ ...iss, path: fromVariant ? ['variants', index, 'workloads', w.name, ...iss.path] : ['workloads', wi, ...iss.path] });
        }
      }
    }
    return { kind: w.kind, name: w.name, options };
  });
  const run: ResolvedRun = {
    scenario: scenario.name,
    variant: v.name,
    description: v.description,
    durationNs: scenario.durationNs,
    sampleEveryNs: scenario.sampleEveryNs,
    snapshots: scenario.snapshots.map((s) => ({ ...s })),
    traceEvents: [...scenario.traceEvents],
    prematureOomFreePages: scenario.prematureOomFree === 'auto' ? null : Math.ceil(scenario.prematureOomFree / PAGE_SIZE),
    machine,
    ...(scenario.initialState ? { initialState: scenario.initialState } : {}),
    vm,
    swap: v.swap !== undefined ? v.swap : scenario.swap,
    thp: { ...scenario.thp, ...v.thp },
    workloads,
    metrics: [...scenario.metrics],
  };
  return { run, issues };
}

/** `file:line` of a field of a scenario from loadScenario() (`file` alone when its line is unknown). */
export function scenarioFieldLocation(scenario: Scenario, path: SpecPath): string {
  const line = locators.get(scenario)?.line(path);
  return line === undefined ? scenario.file : `${scenario.file}:${line}`;
}

/**
 * Apply a variant's overrides. Throws SpecError for an unknown variant name, or for overridden
 * workload options the kind rejects (naming the variant's field and, for a scenario from
 * loadScenario(), its line; loadScenario() has already checked every variant this way).
 */
export function resolveVariant(scenario: Scenario, variantName: string): ResolvedRun {
  const index = scenario.variants.findIndex((v) => v.name === variantName);
  if (index < 0) {
    const names = scenario.variants.map((v) => v.name).join(', ');
    throw new SpecError(scenario.file, undefined, 'variants', `the name of a variant (${names})`, JSON.stringify(variantName),
      `${scenario.file}: no variant ${JSON.stringify(variantName)}: expected one of ${names}`);
  }
  const { run, issues } = resolveIssues(scenario, index);
  if (issues.length > 0) {
    const locator = locators.get(scenario) ?? valueLocator(undefined);
    throw firstByLine(issues.map((iss) => locate(iss, scenario.file, locator)));
  }
  return run;
}
