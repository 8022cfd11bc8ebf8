/**
 * The playground's static server (node:http): the built site from dist-web/, plus one JSON
 * endpoint, /api/preload, with the scenario `pagelab serve SCENARIO` puts in the editor. No
 * simulation happens here: the page runs the model in a Web Worker.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Preload {
  /** The scenario's name for error messages (the path as given). */
  file: string;
  text: string;
}

export interface SiteServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** The package's root: the nearest directory above this module with pagelab's package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'pagelab') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('pagelab: cannot find the package root');
    dir = up;
  }
}

/** Where `npm run build:web` puts the site. */
export function defaultSiteDir(): string {
  return join(packageRoot(), 'dist-web');
}

export function siteBuilt(dir: string): boolean {
  return existsSync(join(dir, 'index.html'));
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, head: boolean): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
  res.end(head ? undefined : body);
}

async function handle(root: string, preload: Preload | null, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) {
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', false);
    return;
  }
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    send(res, 400, 'text/plain; charset=utf-8', 'bad request\n', head);
    return;
  }
  if (path === '/api/preload') {
    if (preload) send(res, 200, CONTENT_TYPES['.json']!, JSON.stringify(preload), head);
    else send(res, 404, 'text/plain; charset=utf-8', 'no scenario given to pagelab serve\n', head);
    return;
  }
  let file = resolve(root, `.${path}`);
  if (file !== root && !file.startsWith(root + sep)) {
    send(res, 403, 'text/plain; charset=utf-8', 'forbidden\n', head);
    return;
  }
  if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
    return;
  }
  send(res, 200, CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', body, head);
}

/** Serve `root` on host:port (port 0: any free port); resolves once listening. */
export function startSiteServer(opts: { root: string; port?: number; host?: string; preload?: Preload | null }): Promise<SiteServer> {
  const root = resolve(opts.root);
  const host = opts.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    handle(root, opts.preload ?? null, req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n', false);
      else res.destroy();
    });
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      resolvePromise({
        url: `http://${host}:${port}/`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
