/**
 * The scenario files in scenarios/ written for the workload building blocks (frag,
 * stress-highalloc, compaction-test), checked statically (running them is for their own
 * tests): YAML that parses, the documented top-level shape, a machine the spec loader accepts
 * (1-4 GiB), the scenario loader's checks with every variant resolved, every workload entry (and
 * every variant's overrides merged into it) valid against its kind's strict options schema, and
 * every time they name inside the run.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScenario, resolveVariant } from '../../src/scenario/load.js';
import { parse, stringify } from 'yaml';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { Kernel } from '../../src/mm/kernel.js';
import { parseDuration, zSize } from '../../src/scenario/units.js';
import { findWorkloadKind } from '../../src/workloads/index.js';
import { managedPages } from '../../src/workloads/common.js';
import { StressHighallocWorkload, stressHighallocOptions } from '../../src/workloads/stress_highalloc.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scenarios');
/** The scenarios written for these building blocks (other scenario files have their own tests). */
const FILES = ['compaction-test.yaml', 'frag.yaml', 'stress-highalloc.yaml'];
const TOP = ['scenario', 'machine', 'vm', 'swap', 'thp', 'workloads', 'variants', 'metrics'];
const VM_SYSCTLS = ['compaction_proactiveness', 'compact_unevictable_allowed', 'swappiness', 'extfrag_threshold'];

type Obj = Record<string, unknown>;

/** The times an entry's parsed options name (start, stop, *_at), in ns. */
function timesOf(options: Obj): number[] {
  const out: number[] = [];
  for (const [key, v] of Object.entries(options)) {
    if (key !== 'start' && key !== 'stop' && !key.endsWith('_at')) continue;
    if (typeof v === 'number') out.push(v);
    if (Array.isArray(v)) for (const t of v) if (typeof t === 'number') out.push(t);
  }
  return out;
}

describe('scenario files', () => {
  it('are all there', () => {
    expect(readdirSync(DIR)).toEqual(expect.arrayContaining(FILES));
  });

  describe.each(FILES)('%s', (file) => {
    const text = readFileSync(join(DIR, file), 'utf8');
    const doc = parse(text) as Obj;

    it('opens with a comment block saying where it comes from and what to expect', () => {
      const lines = text.split('\n');
      const header = lines.slice(0, lines.findIndex((l) => !l.startsWith('#')));
      expect(header.length).toBeGreaterThan(8);
      expect(header.join('\n')).toMatch(/What to expect/);
    });

    it('loads through the scenario loader, every variant resolved', () => {
      const scenario = loadScenario(text, file);
      expect(scenario.name).toBe(file.replace(/\.yaml$/, ''));
      for (const v of scenario.variants) expect(resolveVariant(scenario, v.name).workloads.length).toBeGreaterThan(0);
    });

    it('has the documented top-level shape', () => {
      for (const key of Object.keys(doc)) expect(TOP).toContain(key);
      const s = doc['scenario'] as Obj;
      expect(s['name']).toBe(file.replace(/\.yaml$/, ''));
      expect(typeof s['description']).toBe('string');
      expect(parseDuration(s['duration'] as string)).toBeGreaterThan(0);
      expect(parseDuration(s['sample_every'] as string)).toBeGreaterThan(0);
      expect(Number.isInteger(s['seeds'])).toBe(true);
      for (const snap of s['snapshots'] as string[]) {
        if (snap !== 'end') expect(parseDuration(snap)).toBeLessThanOrEqual(parseDuration(s['duration'] as string));
      }
      if (s['trace'] !== undefined) expect(Array.isArray(s['trace'])).toBe(true);
      expect((doc['metrics'] as unknown[]).length).toBeGreaterThan(0);
      if (doc['swap'] !== undefined) expect(zSize.parse(doc['swap'])).toBeGreaterThan(0);
    });

    it('runs on a 1-4 GiB machine the spec loader accepts, in every variant', () => {
      const variants = (doc['variants'] as Obj[]) ?? [];
      for (const v of [{}, ...variants]) {
        const m = { ...(doc['machine'] as Obj), ...((v['machine'] as Obj | undefined) ?? {}) };
        const k = new Kernel(loadMachineSpec(stringify({ machine: m }), `${file} machine`));
        const bytes = managedPages(k) * 4096;
        expect(bytes).toBeGreaterThan(0.9 * 2 ** 30);
        expect(bytes).toBeLessThanOrEqual(4 * 2 ** 30);
        for (const [key, value] of Object.entries({ ...((doc['vm'] as Obj | undefined) ?? {}), ...((v['vm'] as Obj | undefined) ?? {}) })) {
          expect(VM_SYSCTLS, `${file}: vm.${key}`).toContain(key);
          expect(typeof value).toBe('number');
        }
        if (v['swap'] !== undefined) expect(zSize.parse(v['swap'])).toBeGreaterThan(0);
      }
    });

    it('has workload entries valid against their kinds, alone and with each variant\'s overrides', () => {
      const entries = doc['workloads'] as Obj[];
      const duration = parseDuration((doc['scenario'] as Obj)['duration'] as string);
      const names = entries.map((e, i) => (e['name'] as string | undefined) ?? `${e['kind'] as string}${i}`);
      expect(new Set(names).size).toBe(names.length);
      const variants = (doc['variants'] as Obj[]) ?? [];
      expect(variants.length).toBeGreaterThanOrEqual(2);
      expect(new Set(variants.map((v) => v['name'])).size).toBe(variants.length);
      for (const v of [{ name: '(base)' }, ...variants]) {
        const overrides = (v['workloads'] as Obj | undefined) ?? {};
        for (const name of Object.keys(overrides)) expect(names, `${file} ${String(v['name'])}`).toContain(name);
        entries.forEach((entry, i) => {
          const { kind, name: _name, ...options } = entry;
          const wk = findWorkloadKind(kind as string);
          expect(wk, `${file}: kind ${String(kind)}`).toBeDefined();
          const merged = { ...options, ...((overrides[names[i]!] as Obj | undefined) ?? {}) };
          const parsed = wk!.options.safeParse(merged);
          expect(parsed.success, `${file} ${String(v['name'])} ${names[i]}: ${parsed.error?.message ?? ''}`).toBe(true);
          const o = parsed.data as Obj;
          for (const t of timesOf(o)) expect(t, `${file} ${names[i]}: a time past the end`).toBeLessThan(duration);
          expect(wk!.create(merged, names[i]!).name).toBe(names[i]);
        });
      }
    });
  });

  it('stress-highalloc.yaml is long enough for all its passes', () => {
    const doc = parse(readFileSync(join(DIR, 'stress-highalloc.yaml'), 'utf8')) as Obj;
    const { kind: _k, name, ...raw } = (doc['workloads'] as Obj[])[0]!;
    const o = stressHighallocOptions.parse(raw);
    const k = new Kernel(loadMachineSpec(stringify({ machine: doc['machine'] }), 'm'));
    const count = Math.floor((managedPages(k) * o.percent) / 100 / (1 << o.order));
    const pass = count * new StressHighallocWorkload(name as string, o).delayNs();
    const end = o.start + o.settle + o.passes_under_load * (pass + o.pause) + o.rest_delay + pass;
    expect(end).toBeLessThan(parseDuration((doc['scenario'] as Obj)['duration'] as string));
  });
});
