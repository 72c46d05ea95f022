import { execFile } from 'node:child_process';
import http from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { codeBlocks } from '../../docs/markdown-blocks';
import { AppProcess, RATE_LIMITS_OFF, REPO_ROOT, startAppProcess } from '../../harness/app-process';
import { buildApp } from '../../harness/app-cluster';
import { Child } from '../../harness/child';
import { httpRequest } from '../../harness/http';
import { BusinessSetup, LatchkeyClient } from '../../harness/latchkey-client';
import { freePort } from '../../harness/ports';
import { PATIENCE_MS } from '../../harness/patience';

/**
 * What the suites of the released clients share (client-package, python-package): commands run
 * as a user's shell runs them, the install commands read from the docs, a built Latchkey
 * started as a process, and the tokens each middleware case presents.
 */

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** PATH and HOME: all of this process's environment a scratch app or an install is given. */
export const USER_ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? '/tmp',
};

/** Runs a command to its end (at most `timeoutMs`), with USER_ENV and `env` alone. */
export function run(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
  timeoutMs = 300_000, // a bound on a hang: a pack or an install on a busy machine took past 90 s
): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024, env: { ...USER_ENV, ...env } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export function ok(ran: Ran, what: string): Ran {
  if (ran.code !== 0) throw new Error(`${what} exited ${ran.code}:\n${ran.stdout}\n${ran.stderr}`);
  return ran;
}

/**
 * The commands of the one shell block of `file` (repository-relative) that holds `holds`, as the
 * docs write them: what docs-blocks.e2e-spec.ts leaves to these suites (its RUN_ELSEWHERE), or,
 * in clients/python/README.md, what its own test marks as run here.
 */
export function docsCommands(file: string, holds: string): string[] {
  const blocks = codeBlocks(REPO_ROOT, file).filter(
    (b) => b.lang === 'sh' && b.text.includes(holds),
  );
  if (blocks.length !== 1) throw new Error(`${file}: ${blocks.length} run blocks hold "${holds}"`);
  return blocks[0].text
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}

/** `npm run -s pack:clients -- <args>`, at the repository's root: the release's own script. */
export async function packClients(args: string[], env: Record<string, string> = {}) {
  const ran = await run('npm', ['run', '-s', 'pack:clients', '--', ...args], REPO_ROOT, env);
  ok(ran, 'pack:clients');
}

/** The built server on a port of its own, its status lists where a verifier of its URL looks. */
export async function startLatchkey(name: string, work: string): Promise<AppProcess> {
  await buildApp();
  return startAppProcess({
    name,
    namedByUrl: true,
    env: { SQLITE_PATH: join(work, 'latchkey.sqlite'), LOG_LEVEL: 'warn', ...RATE_LIMITS_OFF },
  });
}

/** An address nothing listens on: a port below the ephemeral range (ports.ts), free just now. */
export async function downUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

/** A token of the business's owner, with `meta` and `scopes`, that no app has seen yet. */
export async function ownerToken(
  api: LatchkeyClient,
  owner: BusinessSetup,
  name: string,
  scopes: string[],
): Promise<{ id: string; token: string }> {
  return api.createToken(owner, `${name}-${Date.now()}`, { scopes, meta: { plan: 'pro' } });
}

/** A token revoked before any app has seen it: its first check asks Latchkey, which refuses it. */
export async function revokedToken(
  api: LatchkeyClient,
  owner: BusinessSetup,
  name: string,
): Promise<string> {
  const made = await ownerToken(api, owner, name, ['orders:read']);
  const res = await api.revokeToken(owner, made.id, 'left the team');
  if (res.status !== 201 && res.status !== 200) throw new Error(`revoke: ${res.status}`);
  return made.token;
}

// No connection kept open: an app stopped between cases is never held up by an idle socket.
const agent = new http.Agent({ keepAlive: false });

/** `GET <origin><path>`, with the token as a bearer when there is one. */
export function get(origin: string, path: string, token?: string) {
  return httpRequest<Record<string, unknown>>(origin, 'GET', path, {
    agent,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

/**
 * Starts a scratch app (`args` run by `command` in `cwd`, listening on the PORT it is given, with
 * LATCHKEY_URL); resolves once its port takes a connection. Another suite may take a free port
 * before the app listens on it: then it is started again, on another.
 */
export async function startScratchApp(
  name: string,
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<{ origin: string; child: Child }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = Child.spawn(name, command, args, {
      cwd,
      env: { ...USER_ENV, ...env, PORT: String(port) },
    });
    if (await listening(port, child, PATIENCE_MS))
      return { origin: `http://127.0.0.1:${port}`, child };
    await child.stop(1000);
    if (attempt >= 3 || !/EADDRINUSE|Address already in use/.test(child.output())) {
      throw new Error(`${name} did not listen on ${port}:\n${child.tail()}`);
    }
  }
}

/** Whether `child` listens on `port` within `timeoutMs`; false once it exits or time is up. */
async function listening(port: number, child: Child, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (child.running && Date.now() < deadline) {
    const connected = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (connected && child.running) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
