import { describe, expect, it } from 'vitest';
import { SpecError } from '../../src/machine/spec.js';
import { loadScenario, parseScenario, resolveVariant } from '../../src/scenario/load.js';
import { scenarioJsonSchema, traceEventsMatching } from '../../src/scenario/schema.js';
import { WORKLOAD_KINDS } from '../../src/workloads/index.js';
import { useTestWorkloadKinds } from './helpers.js';

const BASE = `scenario:
  name: frag
  duration: 10s
  snapshots: [1s, end]
  trace: [mm_page_alloc_extfrag, "mm_compaction_*"]
machine:
  memory: 1GiB
vm:
  compaction_proactiveness: 20
workloads:
  - { kind: churn, rate: 1000 }
variants:
  - name: baseline
  - name: fast
    workloads: { churn0: { rate: 2000 } }
`;

function errorOf(text: string, file = 's.yaml'): SpecError {
  try {
    loadScenario(text, file);
  } catch (e) {
    if (e instanceof SpecError) return e;
    throw e;
  }
  throw new Error('expected a SpecError');
}

const message = (text: string, file = 's.yaml'): string => errorOf(text, file).message;

describe('loadScenario: defaults', () => {
  it('fills in every default', () => {
    const s = loadScenario('scenario:\n  name: min\n  duration: 2s\nmachine:\n  memory: 1GiB\nworkloads:\n  - kind: churn\n', 'min.yaml');
    expect(s.name).toBe('min');
    expect(s.file).toBe('min.yaml');
    expect(s.description).toBe('');
    expect(s.durationNs).toBe(2e9);
    expect(s.seeds).toBe(1);
    expect(s.sampleEveryNs).toBe(10_000_000); // duration / 200
    expect(s.snapshots).toEqual([{ label: 'end', timeNs: 2e9 }]);
    expect(s.trace).toEqual([]);
    expect(s.traceEvents).toEqual([]);
    expect(s.prematureOomFree).toBe('auto');
    expect(s.vm).toEqual({});
    expect(s.swap).toBeNull();
    expect(s.thp).toEqual({});
    expect(s.workloads).toEqual([{ kind: 'churn', name: 'churn0', options: {} }]);
    expect(s.variants).toEqual([{ name: 'baseline', description: '', vm: {}, sysctl: {}, thp: {}, workloads: {} }]);
    expect(s.metrics).toEqual([]);
    expect(s.machine.cpus).toBe(1);
    // A plain-data value: it survives structured cloning (for a Web Worker).
    expect(structuredClone(s)).toEqual(s);
  });

  it('samples at least every millisecond, and names workloads kind + list index', () => {
    const s = loadScenario(
      'scenario:\n  name: m\n  duration: 100ms\nmachine:\n  memory: 1GiB\nworkloads:\n  - { kind: churn, name: bg }\n  - kind: churn\n',
      'm.yaml',
    );
    expect(s.sampleEveryNs).toBe(1_000_000);
    expect(s.workloads.map((w) => w.name)).toEqual(['bg', 'churn1']);
  });

  it('resolves the scenario settings and sorts snapshot times', () => {
    const s = loadScenario(
      BASE.replace('[1s, end]', '[end, 1500ms, 2s]').replace('vm:', 'swap: { size: 1GiB, write_latency: 1ms }\nthp: { defrag: always }\nvm:') +
        'metrics: [oom_kills]\n',
      's.yaml',
    );
    expect(s.snapshots).toEqual([
      { label: '1500ms', timeNs: 1.5e9 },
      { label: '2s', timeNs: 2e9 },
      { label: 'end', timeNs: 10e9 },
    ]);
    expect(s.swap).toEqual({ bytes: 2 ** 30, pages: 262144, writeLatencyNs: 1e6 });
    expect(s.thp).toEqual({ defrag: 'always' });
    expect(s.vm).toEqual({ compaction_proactiveness: 20 });
    expect(s.metrics).toEqual(['oom_kills']);
    expect(s.traceEvents).toContain('mm_page_alloc_extfrag');
    expect(s.traceEvents).toContain('mm_compaction_begin');
    expect(s.traceEvents).not.toContain('mm_page_alloc');
  });
});

describe('loadScenario: errors name file, line, field, expected and found', () => {
  it('unknown key at the top level', () => {
    expect(message(BASE + 'bogus: 1\n')).toBe(
      's.yaml:16: bogus: expected one of the keys scenario, machine, start_from, vm, swap, thp, workloads, variants, metrics, found unknown key "bogus"',
    );
  });

  it('unknown key in scenario:, with a suggestion', () => {
    expect(message(BASE.replace('  duration: 10s', '  duration: 10s\n  sample_evry: 1s'))).toMatch(
      /^s\.yaml:4: scenario\.sample_evry: expected one of the keys name, description, duration, .*, found unknown key "sample_evry" \(did you mean "sample_every"\?\)$/,
    );
  });

  it('unknown key in a workload', () => {
    expect(message(BASE.replace('rate: 1000 }', 'rate: 1000, rat: 3 }'))).toBe(
      's.yaml:11: workloads[0].rat: expected one of the keys kind, name, rate, target_fill, start, found unknown key "rat" (did you mean "rate"?)',
    );
  });

  it('unknown key in a variant and in a variant override', () => {
    expect(message(BASE.replace('  - name: fast', '  - name: fast\n    sysctl: {}'))).toMatch(
      /^s\.yaml:15: variants\[1\]\.sysctl: expected one of the keys name, description, vm, machine, swap, thp, workloads, found unknown key "sysctl"$/,
    );
    expect(message(BASE.replace('{ rate: 2000 }', '{ rate: 2000, x: 1 }'))).toBe(
      's.yaml:15: variants[1].workloads.churn0.x: expected one of the keys rate, target_fill, start, found unknown key "x"',
    );
    expect(message(BASE.replace('  - name: fast', '  - name: fast\n    machine: { cpus: 4 }'))).toBe(
      's.yaml:15: variants[1].machine.cpus: expected one of the keys sysctl, found unknown key "cpus"',
    );
  });

  it('a bad variant override value names the variant field', () => {
    expect(message(BASE.replace('{ rate: 2000 }', '{ rate: -1 }'))).toBe('s.yaml:15: variants[1].workloads.churn0.rate: expected a number > 0, found -1');
    expect(message(BASE.replace('  - name: fast', '  - name: fast\n    machine: { sysctl: { watermark_scale_factor: 0 } }'))).toBe(
      's.yaml:15: variants[1].machine.sysctl.watermark_scale_factor: expected a whole number from 1 to 3000, found 0',
    );
    expect(message(BASE.replace('  - name: fast', '  - name: fast\n    vm: { swappiness: 300 }'))).toBe(
      's.yaml:15: variants[1].vm.swappiness: expected a whole number from 0 to 200, found 300',
    );
  });

  it('bad duration', () => {
    expect(message(BASE.replace('duration: 10s', 'duration: 10 parsecs'))).toBe(
      's.yaml:3: scenario.duration: expected a positive duration: a duration such as 500ms, 10s, 5min, 2h or 3d (units ns, us, ms, s, min, h, d), found "10 parsecs"',
    );
    expect(message(BASE.replace('duration: 10s', 'duration: 0s'))).toMatch(/^s\.yaml:3: scenario\.duration: expected a positive duration: .*, found "0s"$/);
    expect(message(BASE.replace('  duration: 10s\n', ''))).toMatch(/^s\.yaml:1: scenario\.duration: expected a positive duration: .*, found nothing$/);
  });

  it('unknown workload kind, listing the known kinds', () => {
    const kinds = WORKLOAD_KINDS.map((k) => k.kind).join(', ');
    expect(message(BASE.replace('kind: churn', 'kind: chrun'))).toBe(`s.yaml:11: workloads[0].kind: expected a workload kind: one of ${kinds}, found "chrun"`);
    expect(message(BASE.replace('kind: churn, ', ''))).toBe(`s.yaml:11: workloads[0].kind: expected a workload kind: one of ${kinds}, found nothing`);
  });

  it('duplicate workload names', () => {
    expect(message(BASE.replace('  - { kind: churn, rate: 1000 }', '  - { kind: churn, rate: 1000 }\n  - { kind: churn, name: churn0 }'))).toBe(
      's.yaml:12: workloads[1].name: expected a workload name used once (a name defaults to kind + list index, such as churn0), found "churn0", already the name of workloads[0]',
    );
  });

  it('a variant overriding an unknown workload', () => {
    expect(message(BASE.replace('churn0:', 'churn7:'))).toBe(
      's.yaml:15: variants[1].workloads.churn7: expected the name of a workload of this scenario (churn0), found unknown workload "churn7"',
    );
  });

  it('duplicate variant names', () => {
    expect(message(BASE.replace('  - name: fast', '  - name: baseline'))).toBe(
      's.yaml:14: variants[1].name: expected a variant name used once, found "baseline", already the name of variants[0]',
    );
  });

  it('machine errors read as in a machine spec', () => {
    expect(message(BASE.replace('memory: 1GiB', 'memory: 1GiB\n  cpus: 0'))).toBe('s.yaml:8: machine.cpus: expected a whole number of CPUs from 1 to 1024, found 0');
    expect(message(BASE.replace('memory: 1GiB', 'memory: 1GiB\n  cpu: 2'))).toBe(
      's.yaml:8: machine.cpu: expected one of the keys cpus, pcp, thp, memory, zones, nodes, sysctl, found unknown key "cpu" (did you mean "cpus"?)',
    );
    expect(message(BASE.replace('machine:\n  memory: 1GiB\n', ''))).toBe(
      's.yaml:1: expected a machine: section (or start_from: a recorded state), found none',
    );
  });

  it('the first problem by line wins across the scenario and the machine block', () => {
    const text = BASE.replace('duration: 10s', 'duration: x').replace('memory: 1GiB', 'memory: 1GiB\n  cpus: 0');
    expect(message(text)).toMatch(/^s\.yaml:3: scenario\.duration:/);
  });

  it('snapshots, trace, swap, sample_every and YAML syntax', () => {
    expect(message(BASE.replace('[1s, end]', '[1s, 20s]'))).toBe("s.yaml:4: scenario.snapshots[1]: expected a time within the scenario's duration (10s), or end, found \"20s\"");
    expect(message(BASE.replace('[1s, end]', '[1s, 1000ms]'))).toBe('s.yaml:4: scenario.snapshots[1]: expected each snapshot time once, found a second snapshot at 1s');
    expect(message(BASE.replace('mm_page_alloc_extfrag', 'mm_shrink_slab_*'))).toMatch(
      /^s\.yaml:5: scenario\.trace\[0\]: expected an event name or glob matching a modelled event: kmem: mm_page_alloc, .*; vmscan: mm_vmscan_kswapd_sleep, .*, found "mm_shrink_slab_\*"$/,
    );
    expect(message(BASE + 'swap: { size: 1GiB, bogus: 1 }\n')).toBe('s.yaml:16: swap.bogus: expected one of the keys size, write_latency, read_latency, found unknown key "bogus"');
    expect(message(BASE + 'swap: { size: true }\n')).toBe('s.yaml:16: swap.size: expected a size such as 4KiB, 512MiB or 2GiB (0 for no swap), found "true"');
    expect(message(BASE + 'swap: yes please\n')).toMatch(/^s\.yaml:16: swap: expected a size such as 4KiB, 512MiB or 2GiB \(0 for no swap\), found "yes please"$/);
    expect(message(BASE.replace('  duration: 10s', '  duration: 10s\n  sample_every: 1us'))).toBe(
      's.yaml:4: scenario.sample_every: expected a period of at least 100us (at most 100000 samples in 10s), found "1us"',
    );
    expect(message('scenario:\n  name: [\n')).toMatch(/^s\.yaml:\d+: invalid YAML: /);
    expect(message(BASE.replace('machine:\n  memory: 1GiB', 'machine:\n  memory: 1GiB\n  thp: false') + 'thp: { enabled: always }\n')).toBe(
      's.yaml:17: thp.enabled: expected never (machine.thp is false: this kernel has no transparent hugepages), found "always"',
    );
  });

  it('size distributions name dist, min or max, with numbers unquoted', () => {
    const anon = (rss: string): string => message(BASE.replace('  - { kind: churn, rate: 1000 }', `  - { kind: anon, rss: ${rss} }`).replace(/\n {4}workloads: \{ churn0.*\n/, '\n'));
    expect(anon('{ dist: gaussian, min: 1MiB, max: 2MiB }')).toBe('s.yaml:11: workloads[0].rss.dist: expected fixed, uniform or lognormal, found "gaussian"');
    expect(anon('{ min: 1MiB, max: 2MiB }')).toBe('s.yaml:11: workloads[0].rss.dist: expected fixed, uniform or lognormal, found nothing');
    expect(anon('{ dist: uniform, min: 2MiB, max: 1MiB }')).toBe('s.yaml:11: workloads[0].rss.max: expected a size >= min (2MiB), found "1MiB"');
    expect(anon('{ dist: lognormal, min: 0, max: 1MiB }')).toBe('s.yaml:11: workloads[0].rss.min: expected a size > 0, found 0');
    expect(anon('{ dist: fixed, size: lots }')).toBe('s.yaml:11: workloads[0].rss.size: expected a size such as 4KiB, 512MiB or 2GiB, found "lots"');
    expect(anon('{ dist: uniform, min: 1MiB, max: 2MiB, mean: 3 }')).toMatch(/^s\.yaml:11: workloads\[0\]\.rss\.mean: expected one of the keys .*found unknown key "mean"$/);
    expect(message(BASE.replace('rate: 1000 }', 'rate: 2.5, target_fill: 1.5 }'))).toBe('s.yaml:11: workloads[0].target_fill: expected a number < 1, found 1.5');
  });

  it('object-level checks read as expectations', () => {
    const slab = (opts: string): string => message(BASE.replace('  - { kind: churn, rate: 1000 }', `  - { kind: slab, ${opts} }`).replace(/\n {4}workloads: \{ churn0.*\n/, '\n'));
    expect(slab('object_size: 64KiB')).toBe('s.yaml:11: workloads[0].object_size: expected a size from 8 bytes to 32KiB, found "64KiB"');
    expect(slab('tick: 0s')).toBe('s.yaml:11: workloads[0].tick: expected a positive duration, found "0s"');
  });

  it('metrics: the run\'s own or a workload\'s counter, else an error naming the metric and the names there are', () => {
    expect(() => loadScenario(`${BASE}metrics: [oom_kills, churn0.allocs, churn0.anything_at_all]\n`, 's.yaml')).not.toThrow();
    const e = errorOf(`${BASE}metrics:\n  - oom_kills\n  - compact_stal\n`);
    expect(e.line).toBe(18);
    expect(e.message).toMatch(/^s\.yaml:18: metrics\[1\]: expected a summary metric: one of allocstall, .*compact_stall, .*, or a workload counter <workload>\.<counter> \(workloads: churn0\), found "compact_stal" \(did you mean "compact_stall"\?\)$/);
    expect(message(`${BASE}metrics: [churn1.allocs]\n`)).toMatch(/^s\.yaml:16: metrics\[0\]: expected .*\(workloads: churn0\), found "churn1\.allocs"$/);
  });

  it('parseScenario without source has no line', () => {
    expect(() => parseScenario({ scenario: { name: 'x', duration: '1s' }, machine: { memory: '1GiB' }, oops: 1 }, 'obj')).toThrow(
      'obj: oops: expected one of the keys scenario, machine, start_from, vm, swap, thp, workloads, variants, metrics, found unknown key "oops"',
    );
  });
});

describe('resolveVariant', () => {
  const text = `scenario:
  name: v
  duration: 1s
  premature_oom_free: 64MiB
machine:
  memory: 1GiB
  sysctl: { watermark_scale_factor: 10 }
vm: { swappiness: 10, compaction_proactiveness: 20 }
swap: 512MiB
thp: { enabled: always, defrag: madvise }
workloads:
  - { kind: churn, rate: 1000, target_fill: 0.5 }
variants:
  - name: baseline
  - name: tuned
    vm: { compaction_proactiveness: 0, watermark_boost_factor: 0 }
    machine: { sysctl: { watermark_scale_factor: 200 } }
    swap: 0
    thp: { defrag: always }
    workloads: { churn0: { rate: 5000 } }
`;

  it('applies every kind of override and leaves the baseline alone', () => {
    const s = loadScenario(text, 'v.yaml');
    const base = resolveVariant(s, 'baseline');
    expect(base.vm).toEqual({ swappiness: 10, compaction_proactiveness: 20 });
    expect(base.machine.sysctl.watermarkScaleFactor).toBe(10);
    expect(base.machine.sysctl.watermarkBoostFactor).toBe(15000);
    expect(base.swap).toEqual({ bytes: 512 * 2 ** 20, pages: 131072 });
    expect(base.thp).toEqual({ enabled: 'always', defrag: 'madvise' });
    expect(base.workloads).toEqual([{ kind: 'churn', name: 'churn0', options: { rate: 1000, target_fill: 0.5 } }]);
    expect(base.prematureOomFreePages).toBe(16384);

    const tuned = resolveVariant(s, 'tuned');
    expect(tuned.variant).toBe('tuned');
    expect(tuned.vm).toEqual({ swappiness: 10, compaction_proactiveness: 0, watermark_boost_factor: 0 });
    expect(tuned.machine.sysctl.watermarkScaleFactor).toBe(200);
    expect(tuned.machine.sysctl.watermarkBoostFactor).toBe(0);
    expect(tuned.swap).toBeNull();
    expect(tuned.thp).toEqual({ enabled: 'always', defrag: 'always' });
    expect(tuned.workloads[0]!.options).toEqual({ rate: 5000, target_fill: 0.5 });
    // The scenario itself is unchanged.
    expect(s.machine.sysctl.watermarkScaleFactor).toBe(10);
    expect(resolveVariant(s, 'baseline')).toEqual(base);
  });

  it('an unknown variant lists the known ones', () => {
    const s = loadScenario(text, 'v.yaml');
    expect(() => resolveVariant(s, 'nope')).toThrow('v.yaml: no variant "nope": expected one of baseline, tuned');
  });
});

describe('the schema is built from the workload registry', () => {
  useTestWorkloadKinds();

  it('accepts kinds added to WORKLOAD_KINDS and lists them', () => {
    const s = loadScenario(BASE.replace('  - { kind: churn, rate: 1000 }', '  - { kind: churn, rate: 1000 }\n  - { kind: test-compact, at: 1s }'), 's.yaml');
    expect(s.workloads.map((w) => w.name)).toEqual(['churn0', 'test-compact1']);
    expect(message(BASE.replace('kind: churn', 'kind: nope'))).toContain('one of churn, ');
    expect(message(BASE.replace('kind: churn', 'kind: nope'))).toContain('test-compact, test-hog');
    expect(message(BASE.replace('  - { kind: churn, rate: 1000 }', '  - { kind: test-compact, at: soon }'))).toMatch(
      /^s\.yaml:11: workloads\[0\]\.at: expected a duration such as 500ms/,
    );
  });

  it('exports a JSON Schema with one entry per kind', () => {
    const schema = scenarioJsonSchema();
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    const props = schema['properties'] as Record<string, Record<string, unknown>>;
    expect(Object.keys(props)).toEqual(['scenario', 'machine', 'start_from', 'vm', 'swap', 'thp', 'workloads', 'variants', 'metrics']);
    expect(schema['required']).toEqual(['scenario']);
    expect(schema['oneOf']).toEqual([{ required: ['machine'] }, { required: ['start_from'] }]);
    expect(schema['additionalProperties']).toBe(false);
    const items = (props['workloads']!['items'] as { oneOf: { properties: { kind: { const: string } }; additionalProperties: boolean }[] }).oneOf;
    expect(items.map((i) => i.properties.kind.const)).toEqual(WORKLOAD_KINDS.map((k) => k.kind));
    expect(items.every((i) => i.additionalProperties === false)).toBe(true);
    const scenario = props['scenario'] as { required: string[]; properties: Record<string, unknown> };
    expect(scenario.required).toEqual(['name', 'duration']);
    expect(scenario.properties['duration']).toMatchObject({ type: ['string', 'number'] });
  });
});

describe('trace globs', () => {
  it('match names, globs and system prefixes', () => {
    expect(traceEventsMatching('mm_page_alloc')).toEqual(['mm_page_alloc']);
    expect(traceEventsMatching('mm_page_alloc*')).toEqual(['mm_page_alloc', 'mm_page_alloc_extfrag']);
    expect(traceEventsMatching('kmem:*')).toEqual(['mm_page_alloc', 'mm_page_free', 'mm_page_pcpu_drain', 'mm_page_alloc_extfrag']);
    expect(traceEventsMatching('compaction:mm_compaction_begin')).toEqual(['mm_compaction_begin']);
    expect(traceEventsMatching('kmem:mm_compaction_begin')).toEqual([]);
    expect(traceEventsMatching('vmscan:*')).toEqual(['mm_vmscan_kswapd_sleep', 'mm_vmscan_kswapd_wake', 'mm_vmscan_direct_reclaim_begin', 'mm_vmscan_direct_reclaim_end']);
    expect(traceEventsMatching('mm_shrink_slab_*')).toEqual([]);
  });
});
