/** `pagelab serve`: the built site and the preloaded scenario on localhost, and its errors. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveCommand } from '../../src/cli/commands/serve.js';
import { UsageError } from '../../src/cli/errors.js';
import { packageRoot, startSiteServer } from '../../src/cli/site_server.js';
import { ensureWebBuilt } from './chromium.js';
import { SMALL_YAML } from './fixtures.js';

const CLI = join(packageRoot(), 'dist', 'cli', 'main.js');
let dir: string;

beforeAll(() => {
  ensureWebBuilt();
  dir = mkdtempSync(join(tmpdir(), 'pagelab-serve-'));
  writeFileSync(join(dir, 'small.yaml'), SMALL_YAML);
  writeFileSync(join(dir, 'bad.yaml'), SMALL_YAML.replace('  memory: 128MiB\n', '  memory: lots\n'));
});

function pagelab(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('pagelab serve', () => {
  const children: ReturnType<typeof spawn>[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it('serves the site, prints its URL, and hands the scenario to the editor', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', 'small.yaml', '--port', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /pagelab playground: (http:\/\/127\.0\.0\.1:\d+\/)\n/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(out).toBe(`pagelab playground: ${url}\nsmall.yaml is in the editor\nCtrl-C to stop\n`);
    const index = await fetch(url);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await index.text()).toContain('<title>pagelab playground</title>');
    const preload = await fetch(new URL('api/preload', url));
    expect(await preload.json()).toEqual({ file: 'small.yaml', text: SMALL_YAML });
    expect((await fetch(new URL('no-such-file.js', url))).status).toBe(404);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('reports a missing or invalid scenario and a bad port in one line, without a stack trace', () => {
    expect(pagelab(['serve', 'nope.yaml', '--port', '0'])).toMatchObject({ status: 2, stderr: 'pagelab: nope.yaml: cannot read the scenario: no such file\n' });
    const bad = pagelab(['serve', 'bad.yaml', '--port', '0']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^pagelab: bad\.yaml:10: machine\.memory: expected .*\n$/);
    expect(pagelab(['serve', '--port', 'http'])).toMatchObject({ status: 2, stderr: 'pagelab: --port: expected a port number from 0 to 65535 (0: any free port), found "http"\n' });
  });

  it('says how to build the site when it is missing, and names a port in use', async () => {
    const out = { write: () => true };
    await expect(serveCommand(undefined, { port: '0' }, out, join(dir, 'no-site'))).rejects.toThrow(
      new UsageError(`the playground is not built (no ${join(dir, 'no-site')}/index.html): run \`npm run build:web\` first`),
    );
    const taken = await startSiteServer({ root: dir, port: 0 });
    try {
      await expect(serveCommand(undefined, { port: String(taken.port) }, out)).rejects.toThrow(/^--port \d+: the port is in use/);
    } finally {
      await taken.close();
    }
  });

  it('serves nothing outside the site and no preload without a scenario', async () => {
    writeFileSync(join(dir, 'secret.txt'), 'secret');
    const site = join(dir, 'site');
    spawnSync('mkdir', ['-p', site]);
    writeFileSync(join(site, 'index.html'), '<title>x</title>');
    const s = await startSiteServer({ root: site, port: 0 });
    try {
      expect((await fetch(new URL('api/preload', s.url))).status).toBe(404);
      expect((await fetch(new URL('..%2fsecret.txt', s.url))).status).toBe(403);
      expect(await (await fetch(s.url)).text()).toBe('<title>x</title>');
    } finally {
      await s.close();
    }
  });
});
