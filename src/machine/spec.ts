/**
 * The machine spec loader: YAML text -> validated, defaulted MachineConfig.
 *
 * Three stages, each reporting the first problem (by line) as a SpecError that names the file,
 * line, dotted field path, what was expected and what was found:
 *   1. YAML syntax (the `yaml` package, with a LineCounter so every node's line is known);
 *   2. shape and per-field values (a strict zod schema: unknown keys are errors);
 *   3. relations between fields (memory vs zones vs nodes, pages vs size, zone order, overlaps).
 *
 * This module takes text and a file name only; reading files belongs to the CLI layer.
 */
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument, visit } from 'yaml';
import type { Document } from 'yaml';
import { z } from 'zod';
import { PAGE_SIZE, ZONE_NAMES } from '../mm/constants.js';
import { DEFAULT_SYSCTLS } from './config.js';
import type { MachineConfig, NodeConfig, Sysctls, ZoneConfig } from './config.js';
import { MAX_PFN, MIN_DEFAULT_MEMORY_BYTES, defaultX86Layout } from './layout.js';
import { InputError, locationPrefix } from './input_error.js';
import { formatSize, parseSize } from './size.js';

/** A path into the spec document: mapping keys and list indices. */
export type SpecPath = readonly (string | number)[];

/** `['machine', 'zones', 0, 'pages']` -> `machine.zones[0].pages`. */
export function formatSpecPath(path: SpecPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** A problem in a machine spec, located in its file. */
export class SpecError extends InputError {
  override readonly name: string = 'SpecError';
}

// ---------------------------------------------------------------------------------------------
// Locating paths in the source

/** Where a path is in the spec source, and how its value reads there. */
export interface SpecLocator {
  /**
   * 1-based line of the value at `path` (of its key, when the path ends in a mapping key). When
   * the path does not exist, the line of its nearest existing ancestor.
   */
  line(path: SpecPath): number | undefined;
  /** How the value at `path` reads, for "found ...": `-5`, `"1 GiB"`, `a list of 3 entries`, `nothing`. */
  found(path: SpecPath): string;
}

const MAX_FOUND_CHARS = 60;

function quote(text: string): string {
  const short = text.length > MAX_FOUND_CHARS ? `${text.slice(0, MAX_FOUND_CHARS - 3)}...` : text;
  return JSON.stringify(short);
}

function describeList(n: number): string {
  return n === 1 ? 'a list of 1 entry' : `a list of ${n} entries`;
}

/** A locator for a plain value (no source text): no lines, values described from the data. */
export function valueLocator(root: unknown): SpecLocator {
  const get = (path: SpecPath): { found: boolean; value: unknown } => {
    let cur: unknown = root;
    for (const seg of path) {
      if (typeof seg === 'number' && Array.isArray(cur) && seg < cur.length) {
        cur = cur[seg];
      } else if (typeof seg === 'string' && typeof cur === 'object' && cur !== null && !Array.isArray(cur) && Object.hasOwn(cur, seg)) {
        cur = (cur as Record<string, unknown>)[seg];
      } else {
        return { found: false, value: undefined };
      }
    }
    return { found: true, value: cur };
  };
  return {
    line: () => undefined,
    found(path) {
      const { found, value } = get(path);
      if (!found || value === undefined) return 'nothing';
      if (value === null) return 'an empty value';
      if (Array.isArray(value)) return describeList(value.length);
      if (typeof value === 'object') return 'a mapping';
      if (typeof value === 'number') return String(value); // numbers unquoted: found 2.5
      return quote(String(value));
    },
  };
}

type YamlValueNode = NonNullable<Document['contents']>;

/** A locator over a parsed YAML document: lines from the LineCounter, values as written. */
function yamlLocator(doc: Document, lineCounter: LineCounter, text: string): SpecLocator {
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
  const nodeLine = (node: unknown): number | undefined => {
    if (isScalar(node) || isMap(node) || isSeq(node) || isAlias(node)) {
      return node.range ? lineAt(node.range[0]) : undefined;
    }
    return undefined;
  };

  /** Walk `path`; the deepest node reached, the line to report, and whether the whole path exists. */
  const walk = (path: SpecPath): { node: YamlValueNode | null; line: number | undefined; complete: boolean } => {
    let node: YamlValueNode | null = doc.contents;
    let line = nodeLine(node) ?? (text.trim() === '' ? undefined : 1);
    for (const seg of path) {
      if (isAlias(node)) {
        node = node.resolve(doc) ?? null;
      }
      let next: unknown;
      let nextLine: number | undefined;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && String(isScalar(p.key) ? p.key.value : p.key) === String(seg));
        if (pair === undefined) return { node, line, complete: false };
        next = pair.value;
        nextLine = nodeLine(pair.key) ?? nodeLine(pair.value);
      } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
        next = node.items[seg];
        nextLine = nodeLine(next);
      } else {
        return { node, line, complete: false };
      }
      if (!(isScalar(next) || isMap(next) || isSeq(next) || isAlias(next))) {
        // `key:` with nothing after it can parse as a null pair value.
        return { node: null, line: nextLine ?? line, complete: true };
      }
      node = next;
      line = nextLine ?? line;
    }
    return { node, line, complete: true };
  };

  return {
    line: (path) => walk(path).line,
    found(path) {
      const { node, complete } = walk(path);
      if (!complete) return 'nothing';
      if (node === null) return path.length === 0 ? 'an empty document' : 'an empty value';
      let n: YamlValueNode = node;
      if (isAlias(n)) {
        const target = n.resolve(doc);
        if (target === undefined) return `an alias *${n.source}`;
        n = target;
      }
      if (isMap(n)) return 'a mapping';
      if (isSeq(n)) return describeList(n.items.length);
      if (isScalar(n)) {
        if (n.type === 'PLAIN' && n.range) {
          const src = text.slice(n.range[0], n.range[1]);
          if (src === '') return path.length === 0 ? 'an empty document' : 'an empty value';
          return typeof n.value === 'number' ? src : quote(src); // numbers unquoted, as written
        }
        return quote(String(n.value));
      }
      return 'nothing';
    },
  };
}

/**
 * Parse YAML text keeping source positions. YAML errors (syntax, duplicate keys, several
 * documents) are thrown as SpecError. Returns the plain value and a locator for its paths.
 */
export function readSpecYaml(text: string, file: string): { value: unknown; locator: SpecLocator } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, keepSourceTokens: true });
  const err = doc.errors[0];
  if (err !== undefined) {
    const line = err.linePos?.[0].line;
    // yaml appends " at line L, column C:" and a source excerpt to its messages; keep the first line only.
    const what =
      err.code === 'MULTIPLE_DOCS'
        ? 'more than one document (a spec is a single YAML document, without a second ---)'
        : (err.message.split('\n')[0] ?? err.message).replace(/ at line \d+, column \d+:?$/, '');
    throw yamlError(file, line, what);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // toJS() throws for an alias to an anchor that is not defined before it, and for alias bombs.
    let line: number | undefined;
    visit(doc, {
      Alias(_key, node) {
        if (node.resolve(doc) === undefined && node.range) {
          line = lineCounter.linePos(node.range[0]).line;
          return visit.BREAK;
        }
        return undefined;
      },
    });
    throw yamlError(file, line, e instanceof Error ? e.message : String(e));
  }
  return { value, locator: yamlLocator(doc, lineCounter, text) };
}

function yamlError(file: string, line: number | undefined, what: string): SpecError {
  return new SpecError(file, line, '', 'valid YAML', what, `${locationPrefix(file, line)}invalid YAML: ${what}`);
}

// ---------------------------------------------------------------------------------------------
// Shape and per-field values (stage 2)

/** Largest value of a kernel `int` sysctl. */
const INT_MAX = 2 ** 31 - 1;
const SPEC_ZONE_NAMES = ['DMA', 'DMA32', 'Normal', 'Movable'] as const;
type SpecZoneName = (typeof SPEC_ZONE_NAMES)[number];

const EXPECT = {
  root: 'a mapping with a machine: section',
  machine: 'a mapping of machine settings (cpus, pcp, thp, memory, zones, nodes, sysctl)',
  cpus: 'a whole number of CPUs from 1 to 1024',
  bool: 'true or false',
  memory: `a memory size from ${formatSize(MIN_DEFAULT_MEMORY_BYTES)} to ${formatSize(MAX_PFN * PAGE_SIZE)} that is a multiple of 4KiB, such as 4GiB`,
  zones: 'a list of zones such as - { name: Normal, start_pfn: 0x100000, pages: 262144 }',
  zonesMin: 'a list of at least one zone',
  nodes: 'a list of nodes, each a mapping like { zones: [...] }',
  nodesMin: 'a list of at least one node',
  node: 'a node: a mapping like { zones: [...] }',
  zone: 'a zone: a mapping like { name: Normal, start_pfn: 0x100000, pages: 262144 }',
  zoneName: 'a zone name: DMA, DMA32, Normal or Movable',
  zoneNameDevice: 'a zone name: DMA, DMA32, Normal or Movable (ZONE_DEVICE memory is added by drivers, not described in a machine spec)',
  startPfn: `a page frame number: a whole number from 0 to ${MAX_PFN - 1}, such as 0x100000`,
  pages: 'a positive whole number of pages or a size such as 1GiB',
  pagesGivenSize: 'a positive whole number of pages (to give the size in bytes, write size: instead of pages:)',
  zoneSize: 'a size that is a positive multiple of 4KiB (4096 bytes), such as 1GiB or 0x40000000',
  present: "a positive whole number of pages, at most the zone's spanned pages",
  managed: "a whole number of pages >= 0, at most the zone's present pages",
  sysctl:
    'a mapping of sysctl settings (min_free_kbytes, watermark_scale_factor, watermark_boost_factor, lowmem_reserve_ratio, percpu_pagelist_high_fraction)',
  minFreeKbytes: `a whole number of kilobytes from 0 to ${INT_MAX} (or an empty value for the boot-time default)`,
  watermarkScaleFactor: 'a whole number from 1 to 3000',
  watermarkBoostFactor: `a whole number from 0 to ${INT_MAX}`,
  lowmemReserveRatio: 'a list of 5 whole numbers >= 0, one per zone (DMA, DMA32, Normal, Movable, Device)',
  lowmemReserveRatioEntry: `a whole number from 0 to ${INT_MAX}`,
  percpuPagelistHighFraction: `0 or a whole number from 8 to ${INT_MAX}`,
} as const;

function wholeNumber(expected: string, min: number, max: number) {
  return z.int({ error: expected }).min(min, { error: expected }).max(max, { error: expected });
}

function isSizeText(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    parseSize(value);
    return true;
  } catch {
    return false;
  }
}

/** A size in bytes (number or string such as 1GiB) that satisfies `ok`. */
function sizeField(expected: string, ok: (bytes: number) => boolean) {
  return z.unknown().transform((input, ctx): number => {
    let bytes: number | undefined;
    if (typeof input === 'number' || typeof input === 'string') {
      try {
        bytes = parseSize(input);
      } catch {
        bytes = undefined;
      }
    }
    if (bytes === undefined || !ok(bytes)) {
      ctx.addIssue({ code: 'custom', message: expected, input });
      return z.NEVER;
    }
    return bytes;
  });
}

const zoneShape = {
  name: z.enum(SPEC_ZONE_NAMES, {
    error: (iss) => (iss.input === 'Device' ? EXPECT.zoneNameDevice : EXPECT.zoneName),
  }),
  start_pfn: wholeNumber(EXPECT.startPfn, 0, MAX_PFN - 1),
  pages: z
    .int({ error: (iss) => (isSizeText(iss.input) ? EXPECT.pagesGivenSize : EXPECT.pages) })
    .min(1, { error: EXPECT.pages })
    .max(MAX_PFN, { error: EXPECT.pages })
    .optional(),
  size: sizeField(EXPECT.zoneSize, (b) => b > 0 && b % PAGE_SIZE === 0 && b / PAGE_SIZE <= MAX_PFN).optional(),
  present: wholeNumber(EXPECT.present, 1, MAX_PFN).optional(),
  managed: wholeNumber(EXPECT.managed, 0, MAX_PFN).optional(),
};

const zoneListSchema = z
  .array(z.strictObject(zoneShape, { error: EXPECT.zone }), { error: EXPECT.zones })
  .min(1, { error: EXPECT.zonesMin });

const nodeShape = {
  zones: zoneListSchema,
};

const sysctlShape = {
  min_free_kbytes: wholeNumber(EXPECT.minFreeKbytes, 0, INT_MAX).nullable().optional(),
  watermark_scale_factor: wholeNumber(EXPECT.watermarkScaleFactor, 1, 3000).optional(),
  watermark_boost_factor: wholeNumber(EXPECT.watermarkBoostFactor, 0, INT_MAX).optional(),
  lowmem_reserve_ratio: z
    .array(wholeNumber(EXPECT.lowmemReserveRatioEntry, 0, INT_MAX), { error: EXPECT.lowmemReserveRatio })
    .length(5, { error: EXPECT.lowmemReserveRatio })
    .optional(),
  // percpu_pagelist_high_fraction_sysctl_handler() rejects 1..7 (MIN_PERCPU_PAGELIST_HIGH_FRACTION).
  percpu_pagelist_high_fraction: wholeNumber(EXPECT.percpuPagelistHighFraction, 0, INT_MAX)
    .refine((v) => v === 0 || v >= 8, { error: EXPECT.percpuPagelistHighFraction })
    .optional(),
};

const machineShape = {
  cpus: wholeNumber(EXPECT.cpus, 1, 1024).default(1),
  pcp: z.boolean({ error: EXPECT.bool }).default(true),
  thp: z.boolean({ error: EXPECT.bool }).default(true),
  memory: sizeField(
    EXPECT.memory,
    (b) => b >= MIN_DEFAULT_MEMORY_BYTES && b % PAGE_SIZE === 0 && b / PAGE_SIZE <= MAX_PFN,
  ).optional(),
  zones: zoneListSchema.optional(),
  nodes: z
    .array(z.strictObject(nodeShape, { error: EXPECT.node }), { error: EXPECT.nodes })
    .min(1, { error: EXPECT.nodesMin })
    .optional(),
  sysctl: z.strictObject(sysctlShape, { error: EXPECT.sysctl }).optional(),
};

const rootShape = {
  machine: z.strictObject(machineShape, { error: EXPECT.machine }),
};

/** The zod schema of a machine spec document (shape and per-field checks only). */
export const machineSpecSchema = z.strictObject(rootShape, { error: EXPECT.root });

type RawSpec = z.output<typeof machineSpecSchema>;
type RawZone = z.output<typeof zoneListSchema>[number];

/** The keys a strict object at `path` accepts, for unknown-key messages. */
function knownKeysAt(path: SpecPath): readonly string[] {
  const last = path[path.length - 1];
  const prev = path[path.length - 2];
  if (path.length === 0) return Object.keys(rootShape);
  if (typeof last === 'number') return prev === 'nodes' ? Object.keys(nodeShape) : Object.keys(zoneShape);
  if (last === 'sysctl') return Object.keys(sysctlShape);
  if (last === 'machine') return Object.keys(machineShape);
  return [];
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur.push(Math.min(sub, (prev[j] as number) + 1, (cur[j - 1] as number) + 1));
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

function suggestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const k of known) {
    const d = editDistance(key.toLowerCase().replaceAll('-', '_'), k);
    if (d < bestDist) {
      best = k;
      bestDist = d;
    }
  }
  return bestDist <= (key.length > 4 ? 2 : 1) ? best : undefined;
}

/** One problem, before it is placed in the file. */
interface SpecIssue {
  path: SpecPath;
  expected: string;
  /** Defaults to how the value at `path` reads in the source. */
  found?: string;
  /** An unknown key: reported before other problems on the same line (`machin:` is a typo, not a missing `machine:`). */
  unknownKey?: boolean;
}

function issuesFromZod(error: z.ZodError): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const iss of error.issues) {
    const path = iss.path.filter((seg): seg is string | number => typeof seg !== 'symbol');
    if (iss.code === 'unrecognized_keys') {
      const known = knownKeysAt(path);
      for (const key of iss.keys) {
        const hint = suggestKey(key, known);
        out.push({
          path: [...path, key],
          expected: known.length > 0 ? `one of the keys ${known.join(', ')}` : 'no such key',
          found: `unknown key ${JSON.stringify(key)}${hint === undefined ? '' : ` (did you mean ${JSON.stringify(hint)}?)`}`,
          unknownKey: true,
        });
      }
    } else {
      out.push({ path, expected: iss.message });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Relations between fields (stage 3)

const hex = (n: number): string => `0x${n.toString(16)}`;

interface PlacedZone {
  path: SpecPath;
  name: SpecZoneName;
  start: number;
  end: number;
}

function zoneSpan(z: RawZone): number | undefined {
  if (z.pages !== undefined) return z.pages;
  if (z.size !== undefined) return z.size / PAGE_SIZE;
  return undefined;
}

function checkRelations(spec: RawSpec): SpecIssue[] {
  const m = spec.machine;
  const issues: SpecIssue[] = [];
  const hasMemory = m.memory !== undefined;
  const hasZones = m.zones !== undefined;
  const hasNodes = m.nodes !== undefined;

  if (hasMemory && (hasZones || hasNodes)) {
    issues.push({
      path: ['machine', 'memory'],
      expected: 'either memory (for the default x86-64 layout) or an explicit zones/nodes layout, not both',
      found: `memory together with ${hasZones ? 'zones' : 'nodes'}`,
    });
  }
  if (hasZones && hasNodes) {
    issues.push({
      path: ['machine', 'nodes'],
      expected: "either zones (node 0's zones) or nodes, not both",
      found: 'both zones and nodes',
    });
  }
  if (!hasMemory && !hasZones && !hasNodes) {
    issues.push({
      path: ['machine'],
      expected: "one of memory, zones or nodes to describe the machine's RAM (one of them is required)",
      found: 'none of them',
    });
  }

  const lists: { path: SpecPath; zones: RawZone[] }[] = [];
  if (m.zones !== undefined) lists.push({ path: ['machine', 'zones'], zones: m.zones });
  m.nodes?.forEach((node, nid) => lists.push({ path: ['machine', 'nodes', nid, 'zones'], zones: node.zones }));

  const placed: PlacedZone[] = [];
  for (const list of lists) {
    let prev: { index: number; name: SpecZoneName } | undefined;
    list.zones.forEach((zone, j) => {
      const zpath = [...list.path, j];
      const index = ZONE_NAMES.indexOf(zone.name);
      if (prev !== undefined && index === prev.index) {
        issues.push({
          path: [...zpath, 'name'],
          expected: 'each zone at most once per node',
          found: `a second ${JSON.stringify(zone.name)} zone`,
        });
      } else if (prev !== undefined && index < prev.index) {
        issues.push({
          path: [...zpath, 'name'],
          expected: `zones listed in zone order (DMA, DMA32, Normal, Movable), so ${JSON.stringify(zone.name)} before ${JSON.stringify(prev.name)}`,
          found: `${JSON.stringify(zone.name)} after ${JSON.stringify(prev.name)}`,
        });
      }
      if (prev === undefined || index > prev.index) prev = { index, name: zone.name };

      if (zone.pages !== undefined && zone.size !== undefined) {
        issues.push({
          path: [...zpath, 'size'],
          expected: 'either pages or size for a zone, not both',
          found: 'both pages and size',
        });
      } else if (zone.pages === undefined && zone.size === undefined) {
        issues.push({
          path: zpath,
          expected: 'a zone length: pages (a number of pages) or size (such as 1GiB)',
          found: 'neither pages nor size',
        });
      }
      const spanned = zoneSpan(zone);
      if (spanned === undefined) return;
      const end = zone.start_pfn + spanned;
      if (end > MAX_PFN) {
        issues.push({
          path: [...zpath, zone.pages !== undefined ? 'pages' : 'size'],
          expected: `a zone ending at or below pfn ${hex(MAX_PFN)} (52 physical address bits)`,
          found: `a zone ending at pfn ${hex(end)}`,
        });
      }
      const present = zone.present ?? spanned;
      if (zone.present !== undefined && zone.present > spanned) {
        issues.push({
          path: [...zpath, 'present'],
          expected: `at most the zone's spanned pages (${spanned})`,
        });
      }
      if (zone.managed !== undefined && zone.managed > present) {
        issues.push({
          path: [...zpath, 'managed'],
          expected: `at most the zone's present pages (${present})`,
        });
      }
      placed.push({ path: zpath, name: zone.name, start: zone.start_pfn, end });
    });
  }

  // Zones of all nodes must not share pfns. Report each clash at the zone written later.
  for (let b = 1; b < placed.length; b++) {
    const zb = placed[b] as PlacedZone;
    for (let a = 0; a < b; a++) {
      const za = placed[a] as PlacedZone;
      if (zb.start < za.end && za.start < zb.end) {
        issues.push({
          path: [...zb.path, 'start_pfn'],
          expected: `a pfn range not overlapping ${formatSpecPath(za.path)} (${za.name}, pfns [${hex(za.start)}, ${hex(za.end)}))`,
          found: `pfns [${hex(zb.start)}, ${hex(zb.end)})`,
        });
        break;
      }
    }
  }
  return issues;
}

// ---------------------------------------------------------------------------------------------
// Building the MachineConfig

function toZoneConfig(zone: RawZone): ZoneConfig {
  const spanned = zoneSpan(zone) as number;
  const present = zone.present ?? spanned;
  const managed = zone.managed ?? present;
  return { name: zone.name, startPfn: zone.start_pfn, spanned, present, managed };
}

function toSysctls(raw: RawSpec['machine']['sysctl']): Sysctls {
  const d = DEFAULT_SYSCTLS;
  const ratio = raw?.lowmem_reserve_ratio ?? d.lowmemReserveRatio;
  return {
    minFreeKbytes: raw?.min_free_kbytes ?? d.minFreeKbytes,
    watermarkScaleFactor: raw?.watermark_scale_factor ?? d.watermarkScaleFactor,
    watermarkBoostFactor: raw?.watermark_boost_factor ?? d.watermarkBoostFactor,
    lowmemReserveRatio: [ratio[0] ?? 0, ratio[1] ?? 0, ratio[2] ?? 0, ratio[3] ?? 0, ratio[4] ?? 0],
    percpuPagelistHighFraction: raw?.percpu_pagelist_high_fraction ?? d.percpuPagelistHighFraction,
  };
}

function firstByLine(issues: SpecIssue[], file: string, locator: SpecLocator): SpecError {
  let best: { issue: SpecIssue; line: number | undefined } | undefined;
  for (const issue of issues) {
    const line = locator.line(issue.path);
    const better =
      best === undefined ||
      (line !== undefined && (best.line === undefined || line < best.line)) ||
      (line === best.line && issue.unknownKey === true && best.issue.unknownKey !== true);
    if (better) {
      best = { issue, line };
    }
  }
  const { issue, line } = best as { issue: SpecIssue; line: number | undefined };
  return new SpecError(file, line, formatSpecPath(issue.path), issue.expected, issue.found ?? locator.found(issue.path));
}

/**
 * Validate a parsed spec document (`{ machine: {...} }`) and resolve it to a MachineConfig.
 * `locator` places errors in the source; without one, errors carry no line.
 * Throws SpecError for the first problem in the file.
 */
export function parseMachineSpec(value: unknown, file = '<machine spec>', locator: SpecLocator = valueLocator(value)): MachineConfig {
  const parsed = machineSpecSchema.safeParse(value);
  if (!parsed.success) {
    throw firstByLine(issuesFromZod(parsed.error), file, locator);
  }
  const spec = parsed.data;
  const relationIssues = checkRelations(spec);
  if (relationIssues.length > 0) {
    throw firstByLine(relationIssues, file, locator);
  }

  const m = spec.machine;
  let nodes: NodeConfig[];
  if (m.memory !== undefined) {
    try {
      nodes = defaultX86Layout(m.memory);
    } catch {
      const path = ['machine', 'memory'];
      throw new SpecError(file, locator.line(path), formatSpecPath(path), EXPECT.memory, locator.found(path));
    }
  } else if (m.zones !== undefined) {
    nodes = [{ nid: 0, zones: m.zones.map(toZoneConfig) }];
  } else {
    nodes = (m.nodes ?? []).map((node, nid) => ({ nid, zones: node.zones.map(toZoneConfig) }));
  }
  return { cpus: m.cpus, pcp: m.pcp, thp: m.thp, nodes, sysctl: toSysctls(m.sysctl) };
}

/** Load a machine spec from YAML text; `file` is used in error messages only. Throws SpecError. */
export function loadMachineSpec(text: string, file: string): MachineConfig {
  const { value, locator } = readSpecYaml(text, file);
  return parseMachineSpec(value, file, locator);
}
