/**
 * `pagelab fidelity --against RUN.json [--json] [--scenario-out FILE]`: rebuild one validation-harness run from the
 * file alone (its zones, sysctls, boot state and memscen parameters), simulate it and print
 * kernel vs pagelab for every phase and headline number.
 *
 * `pagelab fidelity [--fixtures DIR] [--json] [--doc FILE | --no-doc] [--record [--harness DIR]]`:
 * the same over every recorded run (grouped by scenario and parameters: the kernel's mean and
 * spread), a summary table written into docs/fidelity.md between its report markers.
 * `--record` first re-runs the harness (QEMU; its build.sh installs it) for every fixture and
 * replaces the fixture files with the new runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ImportError } from '../../import/procfs_parse.js';
import { type HarnessRun, readHarnessRun } from '../../fidelity/harness_run.js';
import { mirrorScenarioYaml } from '../../fidelity/mirror.js';
import { type FidelityGroup, countWithin, fidelityGroup, groupRuns, groupText, groupsJson, groupsMarkdown } from '../../fidelity/report.js';
import { UsageError } from '../errors.js';
import { readTextFile } from '../machine_file.js';

export interface FidelityOptions {
  against?: string;
  json?: boolean;
  fixtures?: string;
  doc?: string | false;
  record?: boolean;
  harness?: string;
  scenarioOut?: string;
}

interface Writer {
  write(text: string): unknown;
}

/**
 * The checkout (or installed package) root: dist/cli/commands/ -> ../../.. The defaults below
 * exist only in a checkout of pagelab (the package ships neither its fixtures nor its docs) and,
 * for the harness, in the workspace it was developed in; elsewhere the options must say.
 */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const DEFAULT_FIXTURES = join(PACKAGE_ROOT, 'test', 'fixtures', 'kernel');
export const DEFAULT_DOC = join(PACKAGE_ROOT, 'docs', 'fidelity.md');
export const DEFAULT_HARNESS = resolve(PACKAGE_ROOT, '..', 'shared', 'validation');
export const REPORT_BEGIN = '<!-- pagelab fidelity report: begin (written by `pagelab fidelity`) -->';
export const REPORT_END = '<!-- pagelab fidelity report: end -->';

function readRun(file: string): HarnessRun {
  try {
    return readHarnessRun(readTextFile(file, 'harness run'), file);
  } catch (e) {
    if (e instanceof ImportError) throw new UsageError(e.message);
    if (e instanceof SyntaxError) throw new UsageError(`${file}: expected the JSON of a validation-harness run: ${e.message}`);
    throw e;
  }
}

/** A default path that is not there: say what it was for, where it exists, and which option replaces it. */
function missingDefault(what: string, path: string, where: string, instead: string): UsageError {
  return new UsageError(`${what}: the default ${path} does not exist (${where}); ${instead}`);
}

function fixtureFiles(dir: string): string[] {
  if (!existsSync(dir)) throw new UsageError(`--fixtures ${dir}: no such directory`);
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => join(dir, f));
  if (files.length === 0) throw new UsageError(`--fixtures ${dir}: no harness runs (*.json) in it`);
  return files;
}

/** Mirror the groups, one progress line per run on `progress`. */
async function mirrorGroups(runs: HarnessRun[], progress: Writer): Promise<FidelityGroup[]> {
  const total = runs.length;
  let done = 0;
  const groups: FidelityGroup[] = [];
  for (const g of groupRuns(runs)) {
    try {
      groups.push(await fidelityGroup(g, (file) => progress.write(`pagelab fidelity: mirroring ${basename(file)} (${++done}/${total})\n`)));
    } catch (e) {
      if (e instanceof ImportError) throw new UsageError(e.message);
      throw e;
    }
  }
  return groups;
}

/** Replace the report between the markers of `doc` (or append it), atomically. */
export function writeReportIntoDoc(doc: string, report: string): void {
  const text = existsSync(doc) ? readTextFile(doc, 'fidelity document') : '# Fidelity\n';
  const block = `${REPORT_BEGIN}\n${report}${REPORT_END}`;
  const b = text.indexOf(REPORT_BEGIN);
  const e = text.indexOf(REPORT_END);
  const next = b >= 0 && e > b ? text.slice(0, b) + block + text.slice(e + REPORT_END.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeAtomically(doc, next);
}

function writeAtomically(file: string, text: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.tmp-${process.pid}`);
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** `--record`: run the harness once per fixture, with the fixture's scenario, memory and parameters. */
function record(files: string[], harnessDir: string, progress: Writer): void {
  const runSh = join(harnessDir, 'run.sh');
  if (!existsSync(runSh)) throw new UsageError(`--harness ${harnessDir}: no run.sh in it (the validation harness directory)`);
  const fresh: [string, string][] = [];
  files.forEach((file, i) => {
    const old = readRun(file);
    const raw = JSON.parse(readTextFile(file, 'harness run')) as { host?: { mem_mb?: number } };
    const mem = String(raw.host?.mem_mb ?? 1024);
    // Every parameter as recorded; run.sh refuses an empty value, and "" is memscen's default.
    const args = [runSh, old.scenario, mem, ...Object.entries(old.params)
      .filter(([, v]) => String(v) !== '')
      .map(([k, v]) => `--${k}=${String(v)}`)];
    progress.write(`pagelab fidelity: recording ${basename(file)} (${i + 1}/${files.length}): ${args.slice(1).join(' ')}\n`);
    const r = spawnSync('bash', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 256 << 20 });
    if (r.status !== 0) throw new UsageError(`--record: the harness failed on ${basename(file)} (exit ${r.status ?? r.signal}); fixtures left unchanged`);
    readHarnessRun(r.stdout, `${basename(file)} (new run)`);
    fresh.push([file, r.stdout]);
  });
  // Only when every run succeeded: replace the fixtures.
  for (const [file, text] of fresh) writeAtomically(file, text);
}

export async function fidelityCommand(opts: FidelityOptions, out: Writer = process.stdout, progress: Writer = process.stderr): Promise<FidelityGroup[]> {
  if (opts.against !== undefined) {
    if (opts.record || opts.fixtures !== undefined) throw new UsageError('--against: compare one run; --record and --fixtures are for the recorded fixtures');
    const run = readRun(opts.against);
    if (opts.scenarioOut !== undefined) {
      const target = resolve(opts.scenarioOut);
      const rel = relative(dirname(target), resolve(opts.against)) || basename(opts.against);
      writeAtomically(target, mirrorScenarioYaml(run, rel));
      progress.write(`pagelab fidelity: wrote the mirror scenario ${opts.scenarioOut} (pagelab run ${opts.scenarioOut})\n`);
    }
    const groups = await mirrorGroups([run], progress);
    out.write(opts.json ? groupsJson(groups) : groupText(groups[0]!));
    return groups;
  }
  if (opts.scenarioOut !== undefined) throw new UsageError('--scenario-out: only with --against (one run, one mirror)');
  if (opts.harness !== undefined && !opts.record) throw new UsageError('--harness: only with --record (it names the harness that re-records the fixtures)');
  // The defaults are checked before any work: they exist only in a checkout.
  const dir = opts.fixtures ?? DEFAULT_FIXTURES;
  if (opts.fixtures === undefined && !existsSync(dir)) {
    throw missingDefault('the recorded runs', dir, 'it is part of a pagelab checkout, not of the installed package', 'give --fixtures DIR (harness result files, *.json) or --against RUN.json');
  }
  if (opts.doc === undefined && !existsSync(DEFAULT_DOC)) {
    throw missingDefault('the fidelity document', DEFAULT_DOC, 'it is part of a pagelab checkout, not of the installed package', 'give --doc FILE (created if missing) or --no-doc');
  }
  const harness = opts.harness ?? DEFAULT_HARNESS;
  if (opts.record && opts.harness === undefined && !existsSync(harness)) {
    throw missingDefault('the validation harness for --record', harness, 'it sits beside the checkout only in the workspace pagelab was developed in', 'give --harness DIR (the directory with run.sh)');
  }
  if (opts.record) record(fixtureFiles(dir), harness, progress);
  const runs = fixtureFiles(dir).map(readRun);
  const groups = await mirrorGroups(runs, progress);
  if (opts.json) {
    out.write(groupsJson(groups));
  } else {
    for (const g of groups) out.write(`${groupText(g)}\n`);
    const all = countWithin(groups.flatMap((g) => g.metrics));
    out.write(`all groups: ${all.within}/${all.total} metrics within tolerance\n`);
  }
  if (opts.doc !== false) {
    const doc = opts.doc ?? DEFAULT_DOC;
    writeReportIntoDoc(doc, groupsMarkdown(groups));
    progress.write(`pagelab fidelity: wrote the table into ${doc}\n`);
  }
  return groups;
}

export function registerFidelityCommand(program: Command): Command {
  return program
    .command('fidelity')
    .description('mirror validation-harness runs of the real 6.1 kernel in pagelab and compare, metric by metric, with stated tolerances')
    .option('--against <run.json>', 'one harness result file (any parameters the mirror supports)')
    .option('--json', 'one JSON object, every metric with within_tolerance')
    .option('--fixtures <dir>', 'the recorded runs (default: test/fixtures/kernel of a pagelab checkout)')
    .option('--doc <file>', 'where the summary table goes (default: docs/fidelity.md of a pagelab checkout)')
    .option('--no-doc', 'do not write the table into a document')
    .option('--record', 're-run the harness for every fixture (QEMU) and replace the fixtures first')
    .option('--harness <dir>', 'the validation harness directory for --record (default: ../shared/validation beside the checkout)')
    .option('--scenario-out <file>', 'with --against: also write the mirror as a scenario file (start_from: the run) for pagelab run')
    .action(async (opts: FidelityOptions) => {
      await fidelityCommand(opts);
    });
}
