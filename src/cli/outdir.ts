/**
 * Output directories (`--out DIR`). Every file goes into a fresh sibling directory that is
 * renamed into place only when all of them are written, so a failed run leaves no partial DIR.
 *
 * DIR is replaced whole, so pagelab only replaces a directory it wrote itself: each one gets a
 * marker file (OUTPUT_MARKER). An existing DIR is replaced only if it has the marker or is empty
 * (nothing in it can be lost); a file, a symlink, a directory without the marker, and the
 * working directory and its ancestors are refused. checkOutputDir() runs these checks before any
 * work is done, writeOutputDir() again before it replaces anything.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UsageError } from './errors.js';

/** The marker file in every directory pagelab writes. */
export const OUTPUT_MARKER = '.pagelab-output';

const MARKER_TEXT = 'This directory was written by pagelab. pagelab replaces it whole when it is given as --out again.\n';

const CHOOSE = 'choose another DIR or remove it';

function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

/**
 * Throws a UsageError (naming the path and what to do) unless `dir` can be written: its parent
 * is a writable directory, and `dir` is absent, an empty directory, or a directory pagelab wrote.
 */
export function checkOutputDir(dir: string): void {
  const what = `--out ${dir}`;
  const target = resolve(dir);
  const parent = dirname(target);
  const fromTarget = relative(target, process.cwd());
  if (fromTarget === '' || (fromTarget.split(sep)[0] !== '..' && !isAbsolute(fromTarget))) {
    throw new UsageError(`${what}: this is the working directory or one of its parents, which pagelab would replace whole; choose another DIR`);
  }
  let parentStat;
  try {
    parentStat = statSync(parent);
  } catch {
    throw new UsageError(`${what}: the parent directory ${parent} does not exist; create it first or choose another DIR`);
  }
  if (!parentStat.isDirectory()) throw new UsageError(`${what}: ${parent} is not a directory; choose another DIR`);
  try {
    accessSync(parent, constants.W_OK | constants.X_OK);
  } catch {
    throw new UsageError(`${what}: cannot create files in ${parent} (permission denied); choose another DIR`);
  }
  let stat;
  try {
    stat = lstatSync(target);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return;
    throw new UsageError(`${what}: cannot inspect ${target}: ${errnoCode(e) ?? String(e)}; ${CHOOSE}`);
  }
  if (stat.isSymbolicLink()) throw new UsageError(`${what}: ${target} is a symbolic link; pagelab would replace it: ${CHOOSE}`);
  if (!stat.isDirectory()) throw new UsageError(`${what}: ${target} exists and is not a directory; pagelab would replace it: ${CHOOSE}`);
  const entries = readdirSync(target);
  if (entries.length > 0 && !entries.includes(OUTPUT_MARKER)) {
    throw new UsageError(
      `${what}: ${target} exists and was not written by pagelab (no ${OUTPUT_MARKER} in it); pagelab replaces DIR whole: ${CHOOSE}`,
    );
  }
}

/** A new empty sibling of `target`, created with the default mode (0777 less the umask), as mkdir(1) does. */
async function makeTempDir(target: string): Promise<string> {
  for (;;) {
    const tmp = join(dirname(target), `.${basename(target)}.tmp-${randomBytes(6).toString('hex')}`);
    try {
      await mkdir(tmp, { mode: 0o777 });
      return tmp;
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw e;
    }
  }
}

/** Write `files` (flat names) and the marker into `dir`, atomically, replacing a previous pagelab DIR. */
export async function writeOutputDir(dir: string, files: Record<string, string>): Promise<void> {
  checkOutputDir(dir); // again: the file system may have changed while the work ran
  const target = resolve(dir);
  const tmp = await makeTempDir(target);
  try {
    for (const [name, content] of Object.entries(files)) await writeFile(join(tmp, name), content);
    await writeFile(join(tmp, OUTPUT_MARKER), MARKER_TEXT);
    try {
      await rename(tmp, target); // DIR absent, or an empty directory
    } catch (e) {
      if (errnoCode(e) !== 'ENOTEMPTY' && errnoCode(e) !== 'EEXIST') throw e;
      // DIR is not empty: replace it only if it is still one pagelab wrote.
      if (!existsSync(join(target, OUTPUT_MARKER))) checkOutputDir(dir);
      const old = `${tmp}.old`;
      await rename(target, old);
      await rename(tmp, target);
      await rm(old, { recursive: true, force: true });
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
