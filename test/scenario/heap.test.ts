/**
 * A 16 GiB machine, most of it filled (Nitin Gupta's frag recipe: 95% allocated, then 3/4 of
 * every 2 MiB freed), runs in a 1 GiB JavaScript heap, because its page frames are typed arrays;
 * the run reports the model's estimated size and what it measured.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli', 'main.js');
const PAGES_16G = 4 * 1024 * 1024;

it('fills a 16 GiB machine with --max-old-space-size=1024 and reports its memory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pagelab-heap-'));
  writeFileSync(
    join(dir, 'big.yaml'),
    [
      'scenario:', '  name: big', '  duration: 1s', '  sample_every: 1s',
      'machine:', '  cpus: 4', '  memory: 16GiB',
      'vm:', '  compaction_proactiveness: 0',
      'workloads:', '  - { kind: frag, name: frag, fill: 0.95, keep_one_in: 4 }', '',
    ].join('\n'),
  );
  const r = spawnSync(process.execPath, ['--max-old-space-size=1024', CLI, 'run', 'big.yaml', '--out', 'out'], { cwd: dir, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/memmap 13\d MiB, model ~\d+(\.\d)? MiB \(estimate\)/);
  expect(r.stdout).toMatch(/^memory \(measured\): peak RSS \d+(\.\d)? MiB, JS heap \d+(\.\d)? MiB, array buffers \d+(\.\d)? MiB$/m);

  const m = (JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8')) as { metrics: Record<string, number> }).metrics;
  expect(m['frag.filled_pages']).toBeGreaterThan(0.9 * PAGES_16G); // most of the machine was allocated
  expect(m['frag.kept_pages']).toBeGreaterThan(0.2 * PAGES_16G);
  // The estimate holds the memmap plus at least a page-table slot for every page still mapped.
  expect(m['model_bytes']).toBeGreaterThan(m['memmap_bytes']! + 8 * m['frag.kept_pages']!);

  const info = JSON.parse(readFileSync(join(dir, 'out', 'run-info.json'), 'utf8')) as Record<string, number>;
  expect(info['heap_size_limit_bytes']).toBeLessThan(1.5 * 2 ** 30); // the flag took effect
  expect(info['peak_heap_used_bytes']).toBeLessThan(info['heap_size_limit_bytes']!);
  expect(info['peak_array_buffers_bytes']).toBeGreaterThanOrEqual(m['memmap_bytes']!);
  expect(info['peak_rss_bytes']).toBeGreaterThan(info['peak_heap_used_bytes']!);
}, 120_000);
