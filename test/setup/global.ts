/**
 * Vitest global setup: the tests make their scratch directories under the system temp dir
 * (`pagelab-*`, from mkdtemp); remove the ones this run made when it ends.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const started = Date.now() - 1000;
  return () => {
    const dir = tmpdir();
    for (const name of readdirSync(dir)) {
      if (!name.startsWith('pagelab-')) continue;
      const path = join(dir, name);
      try {
        if (statSync(path).mtimeMs >= started) rmSync(path, { recursive: true, force: true });
      } catch {
        // gone already, or not ours to remove
      }
    }
  };
}
