/**
 * `pagelab serve [SCENARIO] [--port N]`: serve the playground (the static site built by
 * `npm run build:web`) on localhost and print its URL; with SCENARIO, that file (checked first,
 * with the same loader as `pagelab run`) is in the editor when the page opens.
 */
import type { Command } from 'commander';
import { loadScenario } from '../../scenario/load.js';
import { UsageError, foundValue } from '../errors.js';
import { readTextFile } from '../machine_file.js';
import { defaultSiteDir, siteBuilt, startSiteServer, type Preload, type SiteServer } from '../site_server.js';

export interface ServeOptions {
  port?: string;
  host?: string;
}

interface Writer {
  write(text: string): unknown;
}

export const DEFAULT_PORT = 4180;

function parsePort(v: string | undefined): number {
  if (v === undefined) return DEFAULT_PORT;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || n > 65535) throw new UsageError(`--port: expected a port number from 0 to 65535 (0: any free port), found ${foundValue(v)}`);
  return n;
}

/** Start serving; resolves with the running server (the CLI keeps it until Ctrl-C). */
export async function serveCommand(file: string | undefined, opts: ServeOptions, out: Writer = process.stdout, siteDir = defaultSiteDir()): Promise<SiteServer> {
  const port = parsePort(opts.port);
  if (!siteBuilt(siteDir)) {
    throw new UsageError(`the playground is not built (no ${siteDir}/index.html): run \`npm run build:web\` first`);
  }
  let preload: Preload | null = null;
  if (file !== undefined) {
    const text = readTextFile(file, 'scenario');
    loadScenario(text, file); // a SpecError names file, line and field
    preload = { file, text };
  }
  let server: SiteServer;
  try {
    server = await startSiteServer({ root: siteDir, port, host: opts.host ?? '127.0.0.1', preload });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`--port ${port}: the port is in use; pick another (--port 0 takes any free port)`);
    if (code === 'EACCES') throw new UsageError(`--port ${port}: not allowed to listen there; pick a port above 1023`);
    throw e;
  }
  out.write(`pagelab playground: ${server.url}\n`);
  if (file !== undefined) out.write(`${file} is in the editor\n`);
  out.write('Ctrl-C to stop\n');
  return server;
}

export function registerServeCommand(program: Command): Command {
  return program
    .command('serve')
    .description('serve the playground (pagelab in the browser) on localhost and print its URL')
    .argument('[scenario]', 'scenario file (YAML) to open in the editor')
    .option('--port <n>', `port to listen on (0: any free port)`, String(DEFAULT_PORT))
    .action(async (file: string | undefined, opts: ServeOptions) => {
      const server = await serveCommand(file, opts);
      await new Promise<void>((done) => {
        const stop = (): void => {
          void server.close().then(done);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
