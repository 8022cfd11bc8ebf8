/** `pagelab replay TRACE --machine FILE [--placement kernel|trace] --out DIR` */
import { bootMachine } from '../../mm/mm_init.js';
import { renderBuddyinfo, renderPagetypeinfo, renderVmstat, renderZoneinfo } from '../../mm/procfs.js';
import { takeSnapshot } from '../../mm/show.js';
import { type Placement, ReplayError, placementsTsv, replayTrace } from '../../replay/replay.js';
import { UsageError } from '../errors.js';
import { loadMachineFile, readTextFile } from '../machine_file.js';
import { checkOutputDir, writeOutputDir } from '../outdir.js';

export interface ReplayOptions {
  machine: string;
  placement: string;
  out: string;
}

export async function replayCommand(tracePath: string, opts: ReplayOptions): Promise<void> {
  if (opts.placement !== 'kernel' && opts.placement !== 'trace') {
    throw new UsageError(`--placement: expected kernel or trace, found "${opts.placement}"`);
  }
  const config = loadMachineFile(opts.machine);
  const text = readTextFile(tracePath, 'trace');
  checkOutputDir(opts.out);
  const { alloc } = bootMachine(config);
  let rows;
  try {
    rows = replayTrace(alloc, text, opts.placement as Placement);
  } catch (e) {
    if (e instanceof ReplayError) throw new UsageError(`${tracePath}:${e.line}: ${e.detail}`);
    throw e;
  }
  const snap = takeSnapshot(alloc);
  await writeOutputDir(opts.out, {
    buddyinfo: renderBuddyinfo(snap),
    pagetypeinfo: renderPagetypeinfo(snap),
    zoneinfo: renderZoneinfo(snap),
    vmstat: renderVmstat(snap),
    'placements.tsv': placementsTsv(rows),
  });
  const allocs = rows.filter((r) => r.event === 'alloc').length;
  process.stdout.write(`replayed ${allocs} allocations and ${rows.length - allocs} frees (placement ${opts.placement}); wrote ${opts.out}\n`);
}
