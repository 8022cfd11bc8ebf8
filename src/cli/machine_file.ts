/** Reading machine specs and scenarios' files from disk (the loaders are browser-safe and take text). */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { MachineConfig } from '../machine/config.js';
import { loadMachineSpec } from '../machine/spec.js';
import { UsageError } from './errors.js';

export function readTextFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${path}: cannot read the ${what}${code === 'ENOENT' ? ': no such file' : code ? ` (${code})` : ''}`);
  }
}

export function loadMachineFile(path: string): MachineConfig {
  return loadMachineSpec(readTextFile(path, 'machine spec'), path);
}

/** The machine used when none is given: 4 GiB in the default x86-64 layout, 2 CPUs, pcp on. */
export const DEFAULT_MACHINE_YAML = 'machine:\n  cpus: 2\n  memory: 4GiB\n';

export function defaultMachine(): MachineConfig {
  return loadMachineSpec(DEFAULT_MACHINE_YAML, '<default machine>');
}

/** A scenario's files (start_from:) are read relative to the scenario file. */
export function scenarioFileReader(scenarioPath: string): (path: string) => string {
  return (p) => readFileSync(resolve(dirname(scenarioPath), p), 'utf8');
}
