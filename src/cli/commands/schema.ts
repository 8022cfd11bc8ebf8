/**
 * `pagelab schema [--out FILE]`: the JSON Schema of scenario files (draft 2020-12), for
 * editors (yaml-language-server: `# yaml-language-server: $schema=scenario.schema.json`).
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { scenarioJsonSchema } from '../../scenario/schema.js';
import { UsageError } from '../errors.js';

export function schemaText(): string {
  return `${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`;
}

export function schemaCommand(opts: { out?: string }): void {
  const text = schemaText();
  if (opts.out === undefined) {
    process.stdout.write(text);
    return;
  }
  const tmp = `${opts.out}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, opts.out);
  } catch (e) {
    rmSync(tmp, { force: true });
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${opts.out}: cannot write the schema${code ? ` (${code})` : ''}`);
  }
}

/** Add `pagelab schema` to the program. */
export function registerSchemaCommand(program: Command): Command {
  return program
    .command('schema')
    .description('print the JSON Schema of scenario files')
    .option('--out <file>', 'write it to FILE instead of stdout')
    .action((opts: { out?: string }) => schemaCommand(opts));
}
