/**
 * `pagelab import (--zoneinfo F --buddyinfo F --pagetypeinfo F | --harness RUN.json [--phase NAME])
 *  [--seed S] --out DIR`: read a real machine's memory state, boot the same machine in pagelab,
 * bring it into that state, and write DIR (atomically) with machine.yaml, state.json and the
 * re-rendered /proc/buddyinfo, /proc/pagetypeinfo and /proc/zoneinfo.
 */
import type { Command } from 'commander';
import { loadMachineSpec } from '../../machine/spec.js';
import { Kernel } from '../../mm/kernel.js';
import { renderBuddyinfo, renderPagetypeinfo, renderZoneinfo } from '../../mm/procfs.js';
import { takeSnapshot } from '../../mm/show.js';
import { type ImportReport, applyState, machineSpecYaml, realStateJson } from '../../import/build.js';
import { ImportError, type RealState, parseHarnessRun, parseProcfsState } from '../../import/procfs_parse.js';
import { UsageError, parseSeed } from '../errors.js';
import { readTextFile } from '../machine_file.js';
import { checkOutputDir, writeOutputDir } from '../outdir.js';

export interface ImportOptions {
  zoneinfo?: string;
  buddyinfo?: string;
  pagetypeinfo?: string;
  harness?: string;
  phase?: string;
  seed?: string;
  out: string;
}

export interface ImportResult {
  state: RealState;
  report: ImportReport;
  /** The files written to the output directory, by name. */
  files: Record<string, string>;
}

interface Writer {
  write(text: string): unknown;
}

function readState(opts: ImportOptions): RealState {
  const procfs = [opts.zoneinfo, opts.buddyinfo, opts.pagetypeinfo];
  const anyProcfs = procfs.some((f) => f !== undefined);
  if (opts.harness !== undefined && anyProcfs) {
    throw new UsageError('give either --harness RUN.json or the three /proc files (--zoneinfo, --buddyinfo, --pagetypeinfo), not both');
  }
  if (opts.harness !== undefined) {
    return parseHarnessRun(readTextFile(opts.harness, 'harness run'), opts.harness, opts.phase ?? 'boot');
  }
  if (opts.phase !== undefined) throw new UsageError('--phase: only with --harness (a harness run has phases; /proc files are one moment)');
  if (!anyProcfs) {
    throw new UsageError('nothing to import: give --harness RUN.json, or --zoneinfo, --buddyinfo and --pagetypeinfo');
  }
  const names = ['--zoneinfo', '--buddyinfo', '--pagetypeinfo'];
  const missing = names.filter((_, i) => procfs[i] === undefined);
  if (missing.length > 0) throw new UsageError(`${missing.join(', ')}: missing (the /proc import needs all three files)`);
  return parseProcfsState({
    zoneinfo: { text: readTextFile(opts.zoneinfo!, 'zoneinfo'), file: opts.zoneinfo! },
    buddyinfo: { text: readTextFile(opts.buddyinfo!, 'buddyinfo'), file: opts.buddyinfo! },
    pagetypeinfo: { text: readTextFile(opts.pagetypeinfo!, 'pagetypeinfo'), file: opts.pagetypeinfo! },
  });
}

/** The import itself; ImportErrors are thrown as they are (registerImportCommand() turns them into UsageErrors). */
export async function importCommand(opts: ImportOptions, out: Writer = process.stdout): Promise<ImportResult> {
  const seed = parseSeed(opts.seed);
  checkOutputDir(opts.out);
  const state = readState(opts);
  // Boot from the spec text we write, so machine.yaml is exactly the machine the state was applied to.
  const firstYaml = machineSpecYaml(state);
  const kernel = new Kernel(loadMachineSpec(firstYaml, 'machine.yaml'), seed);
  const report = applyState(kernel, state, seed);
  const adjusted = report.notes.filter((n) => /watermark|protection/.test(n));
  const yaml = adjusted.length > 0
    ? machineSpecYaml(state, ['After boot, `pagelab import` (applyState) also sets:', ...adjusted.map((n) => `  ${n}`)])
    : firstYaml;
  const snap = takeSnapshot(kernel.alloc);
  const files: Record<string, string> = {
    'machine.yaml': yaml,
    'state.json': realStateJson(state),
    buddyinfo: renderBuddyinfo(snap),
    pagetypeinfo: renderPagetypeinfo(snap),
    zoneinfo: renderZoneinfo(snap),
  };
  await writeOutputDir(opts.out, files);

  const src = state.source;
  const what = src.kind === 'harness' ? `${src.files[0]} (phase ${src.phase})` : src.files.join(', ');
  let text = `imported ${what}, seed ${seed}\n`;
  for (const z of report.zones) {
    text += `  node ${z.nid} zone ${z.name}: ${z.freeBlocks} free blocks (${z.freePages} pages), ${z.allocatedPages} pages held by placeholders, ${z.variant} layout` +
      `${z.foreignBlocks > 0 ? `, ${z.foreignBlocks} blocks outside their type's pageblocks` : ''}\n`;
  }
  for (const n of [...state.notes, ...report.notes]) text += `  note: ${n}\n`;
  text += `wrote ${opts.out}: ${Object.keys(files).join(', ')}\n`;
  out.write(text);
  return { state, report, files };
}

/** Add `pagelab import` to the program. */
export function registerImportCommand(program: Command): Command {
  return program
    .command('import')
    .description("import a real machine's memory state (its /proc files, or a validation-harness run) into a machine spec and a simulated machine in that state")
    .option('--zoneinfo <file>', 'a copy of /proc/zoneinfo')
    .option('--buddyinfo <file>', 'a copy of /proc/buddyinfo')
    .option('--pagetypeinfo <file>', 'a copy of /proc/pagetypeinfo')
    .option('--harness <run.json>', 'a run of the QEMU validation harness (instead of the /proc files)')
    .option('--phase <name>', 'the harness phase to import (default: boot)')
    .option('--seed <n>', 'PRNG seed for where free blocks and pageblock types are placed', '1')
    .requiredOption('--out <dir>', 'output directory (written atomically)')
    .action(async (opts: ImportOptions) => {
      try {
        await importCommand(opts);
      } catch (e) {
        if (e instanceof ImportError) throw new UsageError(e.message);
        throw e;
      }
    });
}
