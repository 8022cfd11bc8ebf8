#!/usr/bin/env node
/** The pagelab command line. */
import { Command, CommanderError } from 'commander';
import { SpecError } from '../machine/spec.js';
import { demoCommand } from './commands/demo.js';
import { replayCommand } from './commands/replay.js';
import { registerImportCommand } from './commands/import.js';
import { registerRunCommand } from './commands/run.js';
import { registerSchemaCommand } from './commands/schema.js';
import { registerCompareCommand } from './commands/compare.js';
import { registerServeCommand } from './commands/serve.js';
import { registerFidelityCommand } from './commands/fidelity.js';
import { UsageError, describeError } from './errors.js';
import { packageVersion } from './version.js';

const program = new Command();
program
  .name('pagelab')
  .description('A deterministic simulator of Linux 6.1 physical memory management')
  .version(packageVersion(), '-V, --version', 'print the version of pagelab')
  .showHelpAfterError()
  .exitOverride();

program
  .command('demo')
  .description('boot a machine, churn user and kernel allocations, show fragmentation in /proc formats')
  .option('--machine <file>', 'machine spec (YAML); default: 4 GiB x86-64, 2 cpus')
  .option('--seed <n>', 'PRNG seed', '1')
  .option('--ops <n>', 'allocation/free operations', '2000000')
  .option('--fill <fraction>', 'fraction of memory to keep allocated', '0.85')
  .action(demoCommand);

program
  .command('replay')
  .description('replay the mm_page_alloc/mm_page_free events of an ftrace text capture')
  .argument('<trace>', 'ftrace text (e.g. a copy of /sys/kernel/tracing/trace)')
  .requiredOption('--machine <file>', 'machine spec (YAML)')
  .option('--placement <mode>', 'kernel: the simulated allocator chooses; trace: use the traced pfns', 'kernel')
  .requiredOption('--out <dir>', 'output directory (written atomically)')
  .action(replayCommand);

registerImportCommand(program);
registerRunCommand(program);
registerSchemaCommand(program);
registerCompareCommand(program);
registerServeCommand(program);
registerFidelityCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  if (e instanceof UsageError || e instanceof SpecError) {
    process.stderr.write(`pagelab: ${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`pagelab: internal error: ${describeError(e)}\n`);
  if (process.env['PAGELAB_DEBUG'] && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.exit(1);
}
