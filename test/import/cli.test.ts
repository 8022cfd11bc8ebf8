import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { importCommand, registerImportCommand } from '../../src/cli/commands/import.js';
import { UsageError } from '../../src/cli/errors.js';
import { snapshotOfState } from '../../src/import/build.js';
import { ImportError, parseHarnessRun, parseRealStateJson } from '../../src/import/procfs_parse.js';
import { loadMachineSpec } from '../../src/machine/spec.js';
import { renderBuddyinfo, renderPagetypeinfo, renderZoneinfo } from '../../src/mm/procfs.js';
import { fixturePath, fixtureText } from './helpers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built CLI; PAGELAB_CLI points the e2e test at another build. */
const MAIN = process.env['PAGELAB_CLI'] ?? join(ROOT, 'dist', 'cli', 'main.js');

let dir: string;
const sink = { text: '', write(s: string) { this.text += s; return true; } };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pagelab-import-'));
  // The b-pinned.1 boot phase as the three /proc files.
  const snap = snapshotOfState(parseHarnessRun(fixtureText('b-pinned.1.json'), 'b-pinned.1.json'));
  writeFileSync(join(dir, 'zoneinfo'), renderZoneinfo(snap));
  writeFileSync(join(dir, 'buddyinfo'), renderBuddyinfo(snap));
  writeFileSync(join(dir, 'pagetypeinfo'), renderPagetypeinfo(snap));
});

async function run(args: string[]): Promise<void> {
  const program = new Command().exitOverride();
  registerImportCommand(program);
  await program.parseAsync(['node', 'pagelab', 'import', ...args]);
}

async function usageError(args: string[]): Promise<string> {
  try {
    await run(args);
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
  throw new Error('expected a UsageError');
}

describe('pagelab import (the command function)', () => {
  it('imports a harness phase: machine.yaml, state.json and the re-rendered /proc files', async () => {
    const out = join(dir, 'frag');
    sink.text = '';
    const res = await importCommand({ harness: fixturePath('a-random.1.json'), phase: 'fragmented', seed: '4', out }, sink);
    expect(readdirSync(out).sort()).toEqual(['.pagelab-output', 'buddyinfo', 'machine.yaml', 'pagetypeinfo', 'state.json', 'zoneinfo']);
    const state = parseHarnessRun(fixtureText('a-random.1.json'), fixturePath('a-random.1.json'), 'fragmented');
    expect(readFileSync(join(out, 'buddyinfo'), 'utf8')).toBe(renderBuddyinfo(snapshotOfState(state)));
    expect(readFileSync(join(out, 'pagetypeinfo'), 'utf8')).toBe(renderPagetypeinfo(snapshotOfState(state)));
    expect(parseRealStateJson(readFileSync(join(out, 'state.json'), 'utf8'), 'state.json')).toEqual(state);
    const yaml = readFileSync(join(out, 'machine.yaml'), 'utf8');
    const config = loadMachineSpec(yaml, 'machine.yaml');
    expect(config.nodes[0]!.zones.map((z) => z.managed)).toEqual([3840, 241526]);
    expect(yaml).toContain('# After boot, `pagelab import` (applyState) also sets:\n#   node 0 zone DMA: protection (0, 943, 943, 943, 943)');
    expect(readFileSync(join(out, 'zoneinfo'), 'utf8')).toContain('        protection: (0, 933, 933, 933, 933)\n');
    expect(sink.text).toMatch(/^imported .*a-random\.1\.json \(phase fragmented\), seed 4\n  node 0 zone DMA: 7 free blocks \(3808 pages\), 32 pages held by placeholders, hole-after-reserved layout\n/);
    expect(sink.text).toContain(`wrote ${out}: machine.yaml, state.json, buddyinfo, pagetypeinfo, zoneinfo\n`);
    expect(res.report.zones).toHaveLength(2);
  });

  it('imports the three /proc files', async () => {
    const out = join(dir, 'procfs');
    sink.text = '';
    const res = await importCommand({ zoneinfo: join(dir, 'zoneinfo'), buddyinfo: join(dir, 'buddyinfo'), pagetypeinfo: join(dir, 'pagetypeinfo'), out }, sink);
    expect(readFileSync(join(out, 'buddyinfo'), 'utf8')).toBe(readFileSync(join(dir, 'buddyinfo'), 'utf8'));
    expect(readFileSync(join(out, 'pagetypeinfo'), 'utf8')).toBe(readFileSync(join(dir, 'pagetypeinfo'), 'utf8'));
    expect(res.state.sysctl.minFreeKbytes).toBe(3820);
    expect(sink.text).toContain('note: min_free_kbytes 3820 derived from the min watermarks');
  });

  it('is deterministic for a seed', async () => {
    const a = await importCommand({ harness: fixturePath('c-oom.1.json'), phase: 'pinned', seed: '9', out: join(dir, 's1') }, sink);
    const b = await importCommand({ harness: fixturePath('c-oom.1.json'), phase: 'pinned', seed: '9', out: join(dir, 's2') }, sink);
    expect(a.files).toEqual(b.files);
  });
});

describe('pagelab import (errors)', () => {
  it('turns ImportErrors into one-line usage errors with file and line', async () => {
    const bad = join(dir, 'bad-buddyinfo');
    writeFileSync(bad, readFileSync(join(dir, 'buddyinfo'), 'utf8').replace(' 223 \n', '\n'));
    const msg = await usageError(['--zoneinfo', join(dir, 'zoneinfo'), '--buddyinfo', bad, '--pagetypeinfo', join(dir, 'pagetypeinfo'), '--out', join(dir, 'never')]);
    expect(msg).toBe(`${bad}:2: expected 11 free-block counts (orders 0..10, MAX_ORDER 11), found 10 counts`);
    expect(existsSync(join(dir, 'never'))).toBe(false);
    const phase = await usageError(['--harness', fixturePath('a-random.1.json'), '--phase', 'nope', '--out', join(dir, 'never')]);
    expect(phase).toMatch(/a-random\.1\.json:1: phases: expected a phase named "nope" \(the run has "boot", /);
  });

  it('checks the combination of options', async () => {
    const out = ['--out', join(dir, 'never')];
    expect(await usageError([...out])).toBe('nothing to import: give --harness RUN.json, or --zoneinfo, --buddyinfo and --pagetypeinfo');
    expect(await usageError(['--harness', 'x.json', '--zoneinfo', 'z', ...out])).toBe(
      'give either --harness RUN.json or the three /proc files (--zoneinfo, --buddyinfo, --pagetypeinfo), not both',
    );
    expect(await usageError(['--zoneinfo', 'z', ...out])).toBe('--buddyinfo, --pagetypeinfo: missing (the /proc import needs all three files)');
    expect(await usageError(['--zoneinfo', 'z', '--buddyinfo', 'b', '--pagetypeinfo', 'p', '--phase', 'boot', ...out])).toBe(
      '--phase: only with --harness (a harness run has phases; /proc files are one moment)',
    );
    expect(await usageError(['--harness', fixturePath('a-random.1.json'), '--seed', '-3', ...out])).toBe('--seed: expected a whole number from 0 to 4294967295, found -3');
    expect(await usageError(['--harness', join(dir, 'missing.json'), ...out])).toBe(`${join(dir, 'missing.json')}: cannot read the harness run: no such file`);
  });

  it('leaves ImportError for library callers of importCommand', async () => {
    await expect(importCommand({ harness: fixturePath('a-random.1.json'), phase: 'nope', out: join(dir, 'never') }, sink)).rejects.toBeInstanceOf(ImportError);
  });

  it('requires --out', async () => {
    const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
    registerImportCommand(program);
    await expect(program.parseAsync(['node', 'pagelab', 'import', '--harness', 'x.json'])).rejects.toThrow(/required option '--out <dir>' not specified/);
  });
});

// Once src/cli/main.ts registers the command and dist/ is built, run the real binary.
const wired = existsSync(MAIN) && readFileSync(MAIN, 'utf8').includes('registerImportCommand');
describe.skipIf(!wired)('pagelab import (the built CLI)', () => {
  it('writes DIR and reports errors without a stack trace', () => {
    const ok = spawnSync(process.execPath, [MAIN, 'import', '--harness', fixturePath('b-unpinned.1.json'), '--phase', 'fragmented', '--out', join(dir, 'cli')], { encoding: 'utf8' });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(readdirSync(join(dir, 'cli')).sort()).toEqual(['.pagelab-output', 'buddyinfo', 'machine.yaml', 'pagetypeinfo', 'state.json', 'zoneinfo']);
    const bad = spawnSync(process.execPath, [MAIN, 'import', '--harness', fixturePath('b-unpinned.1.json'), '--phase', 'x', '--out', join(dir, 'x')], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^pagelab: .*b-unpinned\.1\.json:1: phases: expected a phase named "x"/);
    expect(bad.stderr).not.toContain('    at ');
  });
});
