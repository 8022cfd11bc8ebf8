/** A 16 GiB machine runs in well under 1 GiB of JavaScript heap (its page frames are typed arrays). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli', 'main.js');

it('runs a 16 GiB scenario with --max-old-space-size=1024 and reports its memory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pagelab-heap-'));
  writeFileSync(
    join(dir, 'big.yaml'),
    'scenario:\n  name: big\n  duration: 2s\nmachine:\n  cpus: 4\n  memory: 16GiB\nworkloads:\n  - { kind: churn, rate: 50000, target_fill: 0.5 }\n',
  );
  const r = spawnSync(process.execPath, ['--max-old-space-size=1024', CLI, 'run', 'big.yaml', '--out', 'out'], { cwd: dir, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/memmap 13\d MiB/);
});
