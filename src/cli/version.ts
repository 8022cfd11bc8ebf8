/** pagelab's version, from its package.json (`pagelab --version`, run-info.json). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './site_server.js';

/** The version, or "unknown" when dist/ runs without its package.json (every command must still work). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
