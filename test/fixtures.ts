/** Paths of the checked-in test fixtures (real Debian 6.1 kernel runs from the QEMU harness). */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const KERNEL_FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'kernel');

export function kernelFixtureFiles(): string[] {
  return readdirSync(KERNEL_FIXTURE_DIR).filter((f) => f.endsWith('.json')).sort();
}
