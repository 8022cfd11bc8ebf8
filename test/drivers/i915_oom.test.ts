/**
 * scenarios/i915-oom.yaml: the harness's oom-fragmented with idle, bound 4 KiB GEM objects in
 * place of io_uring pins, per driver policy. Today's driver goes out of memory with most of
 * memory free (as the real kernel does with io_uring pins, test/fixtures/kernel/c-oom.*); with
 * the seed's hook the pins are dropped, pages migrate, and the kernel allocations go on until
 * memory is really used up.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/load.js';
import { runScenario } from '../../src/scenario/runner.js';

const FILE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scenarios', 'i915-oom.yaml');

describe('i915-oom: premature OOM from pinned GEM pages, and the hook', () => {
  const runs: Record<string, Record<string, number>> = {};
  beforeAll(() => {
    const scenario = loadScenario(readFileSync(FILE, 'utf8'), FILE);
    for (const v of ['i915-6.1', 'seed', 'seed-as-posted', 'movable-no-hook']) runs[v] = runScenario(scenario, v, 1).summary;
  }, 120_000);

  it('i915-6.1: the order-3 kernel allocations end in an OOM kill with over 200 MB free', () => {
    const r = runs['i915-6.1']!;
    expect(r['memscen.order4_failed_enomem']).toBe(1);
    expect(r['memscen.order3_oom_kills']).toBe(1);
    expect(r['memscen.order3_free_kb_at_oom_kill']).toBeGreaterThan(200_000);
    expect(r['memscen.order3_allocations']).toBeLessThan(200);
    expect(r['oom_kills_premature']).toBe(1);
  });

  it('seed: the hook drops the idle objects\' pins, pages migrate, and the OOM comes only when memory is used up', () => {
    const seed = runs['seed']!;
    const today = runs['i915-6.1']!;
    expect(seed['pgmigrate_fail']).toBeLessThan(100);
    expect(seed['pgmigrate_success']).toBeGreaterThan(10_000);
    expect(seed['memscen.order3_allocations']).toBeGreaterThan(20 * today['memscen.order3_allocations']!);
    expect(seed['memscen.order3_free_kb_at_oom_kill']).toBeLessThan(50_000);
  });

  it('without the hook, movable placement alone does not help: every pinned page fails to migrate', () => {
    const r = runs['movable-no-hook']!;
    expect(r['pgmigrate_fail']).toBeGreaterThan(100_000);
    expect(r['memscen.order3_free_kb_at_oom_kill']).toBeGreaterThan(200_000);
  });

  it('seed-as-posted: the IS_ENABLED(MIGRATION) typo keeps the pages RECLAIMABLE and the outcome is today\'s', () => {
    const r = runs['seed-as-posted']!;
    expect(r['memscen.order3_allocations']).toBe(runs['i915-6.1']!['memscen.order3_allocations']);
    expect(r['memscen.order3_free_kb_at_oom_kill']).toBeGreaterThan(200_000);
  });
});
