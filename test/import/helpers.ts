/** Shared helpers of the import tests: the recorded fixtures and their phases. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KERNEL_FIXTURE_DIR, kernelFixtureFiles } from '../fixtures.js';

export const FIXTURES = kernelFixtureFiles();

const cache = new Map<string, string>();

export function fixtureText(file: string): string {
  let t = cache.get(file);
  if (t === undefined) {
    t = readFileSync(join(KERNEL_FIXTURE_DIR, file), 'utf8');
    cache.set(file, t);
  }
  return t;
}

export function fixturePath(file: string): string {
  return join(KERNEL_FIXTURE_DIR, file);
}

export function phaseNames(file: string): string[] {
  return (JSON.parse(fixtureText(file)) as { phases: { name: string }[] }).phases.map((p) => p.name);
}

/** The phases each fixture is imported at: boot, fragmented, and the last one. */
export function phasesUnderTest(file: string): string[] {
  const names = phaseNames(file);
  return [...new Set(['boot', 'fragmented', names[names.length - 1]!])].filter((n) => names.includes(n));
}
