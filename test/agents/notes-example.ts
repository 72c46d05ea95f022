import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../harness/app-process';
import { Child } from '../harness/child';
import { PATIENCE_MS } from '../harness/patience';
import { freePort } from '../harness/ports';

/**
 * examples/mcp-server as its README runs it: @latchkey/client packed by the release's own script
 * into `dist/packages/`, the example's folder beside it as in the repository (its package.json
 * names the tarball by `file:../../dist/packages/…`), `npm install` there, and `node server.js`.
 * The example is built apart from the repository's node_modules, so it runs on what it declares.
 */

const EXAMPLE = join(REPO_ROOT, 'examples', 'mcp-server');
const CLIENT_PACKAGE = join(REPO_ROOT, 'packages', 'client', 'package.json');
const execFileAsync = promisify(execFile);
/** PATH and HOME: all of this process's environment an install or the example is given. */
const USER_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };

async function run(command: string, args: string[], cwd: string): Promise<void> {
  try {
    await execFileAsync(command, args, {
      cwd,
      env: USER_ENV,
      // A bound on a hang: a pack or an install on a busy machine has taken past 90 s.
      timeout: 300_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}

/** The tarball the example's package.json names: the client package's current version. */
export function tarballNamedByExample(): { named: string; current: string } {
  const { version } = JSON.parse(readFileSync(CLIENT_PACKAGE, 'utf8')) as { version: string };
  const manifest = JSON.parse(readFileSync(join(EXAMPLE, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  return {
    named: manifest.dependencies['@latchkey/client'],
    current: `file:../../dist/packages/latchkey-client-${version}.tgz`,
  };
}

/** Packs the client, copies the example into `work` and installs it; answers its folder. */
export async function installExample(work: string): Promise<string> {
  const folder = join(work, 'examples', 'mcp-server');
  mkdirSync(folder, { recursive: true });
  // A reader's own install in the repository stays behind.
  cpSync(EXAMPLE, folder, { recursive: true, filter: (from) => !from.includes('node_modules') });
  const out = join(work, 'dist', 'packages');
  await run(
    process.execPath,
    ['scripts/pack-clients.js', '--only', 'npm', '--out', out],
    REPO_ROOT,
  );
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], folder);
  return folder;
}

export interface RunningExample {
  /** The MCP endpoint, as clients connect to it: the resource the business registered. */
  url: string;
  origin: string;
  child: Child;
}

/**
 * Starts the example on a port of its own, once `register(resource)` has registered the URI it
 * will serve. Another suite may take the port before the example listens: then it starts again
 * on another, registered afresh.
 */
export async function startExample(
  folder: string,
  env: Record<string, string>,
  register: (resource: string) => Promise<void>,
): Promise<RunningExample> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/mcp`;
    await register(url);
    const child = Child.spawn('mcp-example', process.execPath, ['server.js'], {
      cwd: folder,
      env: { ...USER_ENV, ...env, PORT: String(port) },
    });
    try {
      await child.waitFor(/Notes MCP server listening on /, PATIENCE_MS);
      return { url, origin: `http://127.0.0.1:${port}`, child };
    } catch (e) {
      await child.stop(1000);
      if (attempt >= 3 || !/EADDRINUSE/.test(child.output())) throw e;
    }
  }
}
