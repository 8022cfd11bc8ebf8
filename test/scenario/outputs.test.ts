import { beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/load.js';
import { chromeTraceJson, runOutputFiles, seriesCsv, summaryJson } from '../../src/scenario/outputs.js';
import { SERIES_VMSTAT_NAMES, runScenario } from '../../src/scenario/runner.js';
import type { RunResult } from '../../src/scenario/types.js';
import { SMALL_MACHINE, useTestWorkloadKinds } from './helpers.js';

useTestWorkloadKinds();

let result: RunResult;
beforeAll(() => {
  const s = loadScenario(
    `scenario:
  name: out
  duration: 1s
  sample_every: 250ms
  snapshots: [0s, 500ms, end]
  trace: [mm_compaction_begin, mm_compaction_end]
${SMALL_MACHINE}workloads:
  - { kind: churn, rate: 20000, target_fill: 0.9 }
  - { kind: test-compact, at: 400ms }
  - { kind: test-hog, at: 600ms }
`,
    'out.yaml',
  );
  result = runScenario(s, 'baseline', 1);
});

describe('run output files', () => {
  it('names every file flat', () => {
    expect(Object.keys(runOutputFiles(result)).sort()).toEqual(
      [
        'summary.json', 'series.csv', 'trace.txt', 'trace.json', 'oom-1.txt',
        ...['0s', '500ms', 'end'].flatMap((l) => ['buddyinfo', 'pagetypeinfo', 'vmstat', 'zoneinfo'].map((f) => `proc-${l}-${f}`)),
      ].sort(),
    );
    const files = runOutputFiles(result);
    expect(files['proc-end-buddyinfo']).toBe(result.snapshots[2]!.buddyinfo);
    expect(files['oom-1.txt']).toBe(result.oomReports[0]);
    expect(files['trace.txt']).toBe(result.ftrace);
  });

  it('summary.json: stable keys, 2-space JSON, trailing newline, no wall-clock values', () => {
    const text = summaryJson(result);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toMatch(/^\{\n {2}"scenario": "out",\n {2}"variant": "baseline",\n {2}"seed": 1,\n {2}"duration_s": 1,\n/);
    const j = JSON.parse(text) as { metrics: Record<string, number>; snapshots: string[]; oom_reports: number };
    expect(Object.keys(j)).toEqual(['scenario', 'variant', 'seed', 'duration_s', 'snapshots', 'oom_reports', 'metrics']);
    expect(j.snapshots).toEqual(['0s', '500ms', 'end']);
    expect(j.oom_reports).toBe(1);
    expect(j.metrics).toEqual(result.summary);
    expect(Object.keys(j.metrics)).toEqual(Object.keys(j.metrics).sort());
  });

  it('series.csv: the documented header and one row per sample', () => {
    const lines = seriesCsv(result.series).trimEnd().split('\n');
    const types = ['Unmovable', 'Movable', 'Reclaimable', 'HighAtomic', 'Isolate'];
    expect(lines[0]).toBe(
      [
        'time_s',
        ...Array.from({ length: 11 }, (_, o) => `nr_free_o${o}`),
        ...types.map((t) => `free_${t}`),
        ...types.flatMap((t) => Array.from({ length: 11 }, (_, o) => `free_${t}_o${o}`)),
        ...types.map((t) => `blocks_${t}`),
        'frag_score',
        ...SERIES_VMSTAT_NAMES,
      ].join(','),
    );
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['0', '0.25', '0.5', '0.75', '1']);
    const width = lines[0]!.split(',').length;
    for (const l of lines.slice(1)) {
      const cells = l.split(',');
      expect(cells).toHaveLength(width);
      for (const c of cells) expect(Number.isFinite(Number(c))).toBe(true);
    }
  });

  it('series.csv: nr_free_o<k> are free blocks, free_<Type>_o<k> free pages, and they agree', () => {
    const [head, ...rows] = seriesCsv(result.series).trimEnd().split('\n');
    const col = new Map(head!.split(',').map((name, i) => [name, i]));
    const types = ['Unmovable', 'Movable', 'Reclaimable', 'HighAtomic', 'Isolate'];
    for (const row of rows) {
      const v = (name: string): number => Number(row.split(',')[col.get(name)!]);
      let pages = 0;
      for (let o = 0; o <= 10; o++) {
        // blocks x 2^order = the pages of that order over all migratetypes (as pagetypeinfo adds up)
        const ofOrder = types.reduce((n, t) => n + v(`free_${t}_o${o}`), 0);
        expect(ofOrder).toBe(v(`nr_free_o${o}`) * 2 ** o);
        for (const t of types) expect(v(`free_${t}_o${o}`) % 2 ** o).toBe(0); // whole blocks
        pages += ofOrder;
      }
      for (const t of types) expect(Array.from({ length: 11 }, (_, o) => v(`free_${t}_o${o}`)).reduce((a, b) => a + b, 0)).toBe(v(`free_${t}`));
      expect(pages).toBe(v('nr_free_pages'));
    }
    // After the churn, memory is in blocks of several orders (a check that is not vacuous).
    const last = rows[rows.length - 1]!.split(',');
    expect(Array.from({ length: 11 }, (_, o) => Number(last[col.get(`nr_free_o${o}`)!])).filter((n) => n > 0).length).toBeGreaterThan(2);
  });

  it('trace.json: a Chrome JSON trace with counters, slices and instants', () => {
    const text = chromeTraceJson(result);
    const j = JSON.parse(text) as { traceEvents: Record<string, unknown>[]; displayTimeUnit: string };
    expect(j.displayTimeUnit).toBe('ms');
    const ev = j.traceEvents;
    // Every event has the required fields of its phase (Trace Event Format).
    for (const e of ev) {
      expect(typeof e['name']).toBe('string');
      expect(e['pid']).toBe(1);
      expect(Number.isInteger(e['tid'])).toBe(true);
      expect(typeof e['args']).toBe('object');
      expect(['M', 'C', 'X', 'i']).toContain(e['ph']);
      if (e['ph'] !== 'M') {
        expect(typeof e['ts']).toBe('number');
        expect(e['ts'] as number).toBeGreaterThanOrEqual(0);
      }
      if (e['ph'] === 'X') expect(e['dur'] as number).toBeGreaterThanOrEqual(0);
      if (e['ph'] === 'i') expect(e['s']).toBe('t');
      if (e['ph'] === 'C') for (const v of Object.values(e['args'] as object)) expect(typeof v).toBe('number');
    }
    const counters = ev.filter((e) => e['ph'] === 'C');
    expect(new Set(counters.map((e) => e['name']))).toEqual(
      new Set(['free pages by order', 'free pages by migratetype', 'pageblocks by migratetype', 'fragmentation score']),
    );
    expect(counters.filter((e) => e['name'] === 'free pages by order')).toHaveLength(result.series.length);
    const byOrder = counters.find((e) => e['name'] === 'free pages by order' && e['ts'] === 500000)!;
    const sample = result.series.find((s) => s.timeNs === 5e8)!;
    expect(Object.values(byOrder['args'] as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(sample.vmstat['nr_free_pages']);
    expect(counters.find((e) => e['name'] === 'free pages by migratetype' && e['ts'] === 500000)!['args']).toEqual({
      Unmovable: sample.freeByType[0],
      Movable: sample.freeByType[1],
      Reclaimable: sample.freeByType[2],
      HighAtomic: sample.freeByType[3],
      Isolate: sample.freeByType[4],
    });
    const slices = ev.filter((e) => e['ph'] === 'X');
    expect(slices.some((e) => e['name'] === 'proactive/manual compaction' && e['ts'] === 400000 && e['cat'] === 'compaction')).toBe(true);
    const instants = ev.filter((e) => e['ph'] === 'i');
    expect(instants).toEqual([expect.objectContaining({ name: 'OOM kill: hog', ts: 600000, cat: 'oom' })]);
    // Tracks are named threads.
    const threads = ev.filter((e) => e['name'] === 'thread_name').map((e) => [e['tid'], (e['args'] as { name: string }).name]);
    expect(threads).toContainEqual([3, 'proactive and manual compaction']);
    expect(threads).toContainEqual([6, 'OOM killer']);
    for (const s of [...slices, ...instants]) expect(threads.map(([tid]) => tid)).toContain(s['tid']);
    expect(ev.find((e) => e['name'] === 'process_name')).toMatchObject({ ph: 'M', args: { name: 'pagelab out / baseline / seed 1' } });
    expect(text.endsWith('}\n')).toBe(true);
  });
});
