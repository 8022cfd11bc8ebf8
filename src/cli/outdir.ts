/**
 * Results are written atomically: every file goes into a fresh sibling directory that is
 * renamed into place only when all of them are written, so a failed run leaves no partial DIR.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export async function writeOutputDir(dir: string, files: Record<string, string>): Promise<void> {
  const target = resolve(dir);
  const parent = dirname(target);
  const tmp = await mkdtemp(join(parent, `.${basename(target)}.tmp-`));
  try {
    for (const [name, content] of Object.entries(files)) await writeFile(join(tmp, name), content);
    if (existsSync(target)) {
      const old = `${tmp}.old`;
      await rename(target, old);
      await rename(tmp, target);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, target);
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
