import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

function pagelab(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pagelab-cli-'));
  writeFileSync(join(dir, 'm.yaml'), 'machine:\n  cpus: 1\n  pcp: false\n  zones:\n    - { name: Normal, start_pfn: 0x100000, pages: 262144 }\n');
  writeFileSync(
    join(dir, 'trace.txt'),
    [
      '# tracer: nop',
      '            bash-1234    [000] .....   312.345678: mm_page_alloc: page=00000000a1b2c3d4 pfn=0x100200 order=1 migratetype=0 gfp_flags=GFP_KERNEL',
      '            bash-1234    [000] .....   312.345700: mm_page_alloc: page=00000000a1b2c3d5 pfn=0x100000 order=0 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE',
      '            bash-1234    [000] .....   312.345800: mm_page_free: page=00000000a1b2c3d4 pfn=0x100200 order=1',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'bad.txt'), '# x\n            bash-1234    [000] .....   312.345678: mm_page_free: page=00000000a1b2c3d4 pfn=0x100200 order=1\n');
});

describe('pagelab replay', () => {
  it('writes the /proc files and placements.tsv', () => {
    const r = pagelab(['replay', 'trace.txt', '--machine', 'm.yaml', '--placement', 'trace', '--out', 'out'], dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['.pagelab-output', 'buddyinfo', 'pagetypeinfo', 'placements.tsv', 'vmstat', 'zoneinfo']);
    expect(readFileSync(join(dir, 'out', 'placements.tsv'), 'utf8')).toBe(
      'seq\tevent\ttrace_pfn\tsim_pfn\torder\tmigratetype\n' +
        '0\talloc\t0x100200\t0x100200\t1\t0\n1\talloc\t0x100000\t0x100000\t0\t1\n2\tfree\t0x100200\t0x100200\t1\t1\n',
    );
    // One order-0 page is still out: 262143 free pages, so order 0 has exactly one free block.
    expect(readFileSync(join(dir, 'out', 'buddyinfo'), 'utf8')).toMatch(/^Node 0, zone   Normal      1      1      1      1      1      1      1      1      1      1    255 \n$/);
    expect(readFileSync(join(dir, 'out', 'vmstat'), 'utf8')).toMatch(/^nr_free_pages 262143$/m);
  });

  it('stops at the failing line, names trace file and line, and leaves no output directory', () => {
    const r = pagelab(['replay', 'bad.txt', '--machine', 'm.yaml', '--out', 'never'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('pagelab: bad.txt:2: mm_page_free pfn=0x100200 order=1: that block is not allocated in the replay\n');
    expect(existsSync(join(dir, 'never'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('.never'))).toEqual([]);
  });

  it('reports a bad machine spec with file, line and field, without a stack trace', () => {
    writeFileSync(join(dir, 'bad.yaml'), 'machine:\n  cpus: 1\n  zones:\n    - { name: Normal, start_pfn: 0x100000, pages: -5 }\n');
    const r = pagelab(['replay', 'trace.txt', '--machine', 'bad.yaml', '--out', 'x'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^pagelab: bad\.yaml:4: machine\.zones\[0\]\.pages: expected .*found -5\n$/);
    expect(r.stderr).not.toContain('    at ');
  });

  it('rejects an unknown placement and a missing trace file clearly', () => {
    const p = pagelab(['replay', 'trace.txt', '--machine', 'm.yaml', '--placement', 'magic', '--out', 'x'], dir);
    expect(p.status).toBe(2);
    expect(p.stderr).toBe('pagelab: --placement: expected kernel or trace, found "magic"\n');
    const m = pagelab(['replay', 'nope.txt', '--machine', 'm.yaml', '--out', 'x'], dir);
    expect(m.status).toBe(2);
    expect(m.stderr).toBe('pagelab: nope.txt: cannot read the trace: no such file\n');
  });
});

describe('pagelab --version', () => {
  it('prints the version of package.json', () => {
    const r = pagelab(['--version'], dir);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(r).toEqual({ status: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });
});

describe('pagelab demo', () => {
  it('is deterministic for a seed and prints kernel-format buddyinfo', () => {
    const a = pagelab(['demo', '--machine', 'm.yaml', '--ops', '20000', '--seed', '3'], dir);
    const b = pagelab(['demo', '--machine', 'm.yaml', '--ops', '20000', '--seed', '3'], dir);
    expect(a.status).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toMatch(/\/proc\/buddyinfo\nNode 0, zone   Normal( +\d+){11} \n/);
    const c = pagelab(['demo', '--machine', 'm.yaml', '--ops', '20000', '--seed', '4'], dir);
    expect(c.stdout).not.toBe(a.stdout);
  });
});
