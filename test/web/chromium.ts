/**
 * Debian's Chromium driven by playwright-core, for the browser tests and `npm run bench:web`:
 * installed by scripts/ensure-chromium.mjs when missing, launched headless with a fresh profile.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { packageRoot } from '../../src/cli/site_server.js';

export const CHROMIUM = '/usr/bin/chromium';
const ROOT = packageRoot();

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function ensureChromium(): void {
  if (!existsSync(CHROMIUM)) execFileSync(process.execPath, [join(ROOT, 'scripts', 'ensure-chromium.mjs')], { stdio: 'inherit' });
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless Chromium with a fresh --user-data-dir (removed on close). */
export async function launchChromium(viewport = { width: 1400, height: 1000 }): Promise<Browser> {
  ensureChromium();
  const profile = mkdtempSync(join(tmpdir(), 'pagelab-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    acceptDownloads: true,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** dist-web/ built (by `npm run build:web`, which `npm test` and `npm ci` run); built here if missing. */
export function ensureWebBuilt(): string {
  const dir = join(ROOT, 'dist-web');
  if (!existsSync(join(dir, 'index.html'))) execFileSync('npm', ['run', 'build:web'], { cwd: ROOT, stdio: 'inherit' });
  return dir;
}
