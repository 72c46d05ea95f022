import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../harness/app-process';
import { Child } from '../../harness/child';
import { freePort } from '../../harness/ports';
import { withClient } from '../../harness/servers/postgres';
import { describeIf, TEST_DATABASE_URL } from '../../setup/servers';
import { lastReading } from '../../harness/patience';

/**
 * The README's PostgreSQL quick start, run as written on a fresh database: create it, make the
 * installation's keys, start. The start must serve with checkpoints and webhooks on (before,
 * PostgreSQL switched both off with an info line). Three things are put in for the test's sake,
 * each by the exact text it replaces: the database's name (a fresh one per run, on the test
 * server), the keys folder (a temporary one, not the repository's `./keys`), and the port.
 * A process suite (ONE_AT_A_TIME): it runs bash, psql, the CLI and the server.
 */

const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

/** The first ```sh block after the README's "**PostgreSQL.**" paragraph. */
function quickStartBlock(): string {
  const after = README.slice(README.indexOf('**PostgreSQL.**'));
  const block = /```sh\n([\s\S]+?)\n```/.exec(after);
  if (!block) throw new Error('README: no sh block after "**PostgreSQL.**"');
  return block[1];
}

/** `text` with `from` replaced everywhere; fails when `from` is not there, so the README cannot drift. */
function put(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`the README's quick start no longer holds ${from}`);
  return text.split(from).join(to);
}

const suite = describeIf(!!TEST_DATABASE_URL, 'set TEST_DATABASE_URL');

suite("the README's PostgreSQL quick start, on a fresh database", () => {
  const server = new URL(TEST_DATABASE_URL ?? 'postgres://x');
  const database = `latchkey_readme_${process.pid}`;
  let dir: string;
  let child: Child | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-readme-pg-'));
  });
  afterAll(async () => {
    // bash execs npm, which runs the server as its child: the whole process group is stopped.
    if (child?.running) {
      process.kill(-child.pid, 'SIGTERM');
      const timer = setTimeout(() => process.kill(-child!.pid, 'SIGKILL'), 10_000);
      await child.exited;
      clearTimeout(timer);
    }
    await withClient(TEST_DATABASE_URL!, (c) =>
      c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`),
    );
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes the keys once, starts with checkpoints and webhooks on, and refuses no step', async () => {
    let script = quickStartBlock();
    script = put(script, "CREATE DATABASE latchkey'", `CREATE DATABASE ${database}'`);
    script = put(
      script,
      'postgres://postgres@127.0.0.1:5432/latchkey',
      `postgres://${server.username || 'postgres'}@${server.host}/${database}`,
    );
    script = put(script, 'KEYS_DIR=./keys', `KEYS_DIR=${join(dir, 'keys')}`);
    // The last line starts the server: exec, so that stopping this child stops the server.
    script = put(script, '\nnpm start', '\nexec npm start');
    const port = await freePort();
    child = Child.spawn('readme-postgres', 'bash', ['-euc', script], {
      cwd: REPO_ROOT,
      detached: true,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: dir,
        PORT: String(port),
        LOG_LEVEL: 'info',
      },
    });
    // The token is printed before the server listens; the listening line comes once it does.
    await child.waitFor(/Latchkey listening on /, 60_000);
    const admin = /Platform admin token \(shown once\): (\S+)/.exec(child.output('stdout'))![1];
    for (const key of ['audit-signing.key', 'webhook-secrets.key', 'jwt-signing-keys.json']) {
      expect(statSync(join(dir, 'keys', key)).mode & 0o777).toBe(0o600);
    }

    const base = `http://127.0.0.1:${port}`;
    const call = (path: string, init: RequestInit = {}) =>
      fetch(`${base}${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${admin}`,
          'content-type': 'application/json',
          ...init.headers,
        },
      });
    expect((await fetch(`${base}/.well-known/latchkey-audit-key`)).status).toBe(200);
    // Webhooks are on: a platform endpoint registers (a 503 WEBHOOKS_OFF before).
    const hook = await call('/platform/v1/webhooks', {
      method: 'POST',
      body: JSON.stringify({
        url: 'https://93.184.216.34/latchkey',
        event_types: ['business.suspended'],
      }),
    });
    expect(`${hook.status} ${await hook.text()}`).toMatch(/^201 /);
    // A checkpoint of the platform chain comes promptly (its first a second after its first event).
    const checkpoint = async () => (await call('/platform/v1/audit-events/checkpoint')).status;
    expect(await lastReading(checkpoint, (status) => status === 200, 250)).toBe(200);
    expect(child.output('all')).not.toMatch(/ are off/i);
  });
});
