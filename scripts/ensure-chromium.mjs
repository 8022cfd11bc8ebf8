#!/usr/bin/env node
// Install Debian's Chromium for the browser tests when it is missing: the project's own files
// must install what its tests need (CI runs as root on a fresh Debian machine).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

/** Make sure CHROMIUM exists (apt-get as root); returns its path. */
export function ensureChromium() {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!asRoot) throw new Error(`${CHROMIUM} is missing; install it with: sudo apt-get install -y --no-install-recommends chromium`);
  process.stderr.write(`${CHROMIUM} is missing: installing Debian's chromium (apt-get)\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get install chromium did not provide ${CHROMIUM}`);
  return CHROMIUM;
}

if (import.meta.url === `file://${process.argv[1]}`) ensureChromium();
