import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../harness/app-process';
import { asBearer, asOwner } from '../../harness/app/api';
import { openCheckpoint } from '../../audit/checkpoint-oracle';
import { cliInProcess } from '../../harness/app/cli';
import { bootTestApp, TestApp } from '../../harness/app/test-app';

/**
 * The README's audit proof ("Proving the audit log only grew") on a fresh install: a chain has
 * a checkpoint about a second after its first event, and the README's snippet, run as written,
 * proves growth between two checkpoints of different sizes. It runs the snippet in bash, with
 * curl, against the app listening in this process; only its last command, `npm run -s cli --`,
 * runs in-process (`runCli`, the program the built CLI runs), with the same arguments. A process
 * suite (ONE_AT_A_TIME): it spawns bash and curl.
 */

/** The first ```sh block after the README's heading of the proof. */
function readmeProofBlock(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const after = readme.slice(readme.indexOf('**Proving the audit log only grew.**'));
  const block = /```sh\n([\s\S]+?)\n```/.exec(after);
  if (!block) throw new Error('README: no sh block after "Proving the audit log only grew"');
  return block[1];
}

/** The fresh install's checkpoint cadence: the defaults, not the suites' (checkpoints by hand). */
const DEFAULT_CADENCE = {
  AUDIT_CHECKPOINT_FIRST_SECONDS: '1',
  AUDIT_CHECKPOINT_EVERY_SECONDS: '60',
  AUDIT_CHECKPOINT_EVERY_EVENTS: '1000',
};

/** Runs `script` in bash in `cwd`, for at most `timeoutMs`; answers stdout and stderr. */
function bash(script: string, cwd: string, env: Record<string, string>, timeoutMs: number) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      'bash',
      ['-c', script],
      // HOME is the snippet's folder: bash, whose stdin here is a socket, reads ~/.bashrc.
      {
        cwd,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, ...env },
        timeout: timeoutMs,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("the README's audit proof on a fresh install", () => {
  let t: TestApp | undefined;
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-readme-proof-'));
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** Boots a fresh install listening on a free port; creates a business as the happy path does. */
  async function freshInstall(env: Record<string, string>) {
    t = await bootTestApp('sqlite', { ...DEFAULT_CADENCE, ...env });
    await t.app.listen(0, '127.0.0.1');
    const port = (t.app.getHttpServer().address() as AddressInfo).port;
    const created = await t
      .http()
      .post('/platform/v1/businesses')
      .set(asBearer(t.platformToken))
      .send({ name: 'Demo', owner_email: 'owner@demo.test' })
      .expect(201);
    const biz = {
      id: created.body.data.business.id as string,
      ownerToken: created.body.data.first_token.token as string,
    };
    return { t, port, biz };
  }

  it("has a business's first checkpoint, and the platform's, within seconds, not a minute", async () => {
    const { t, biz } = await freshInstall({});
    const started = Date.now();
    const key = (await t.http().get('/.well-known/latchkey-audit-key').expect(200)).text.trim();
    for (const path of [
      '/api/v1/audit-events/checkpoint',
      '/platform/v1/audit-events/checkpoint',
    ]) {
      let note: string | null = null;
      // Bounded: the first is signed about a second after the chain's first event.
      while (note === null && Date.now() - started < 10_000) {
        const res = await t
          .http()
          .get(path)
          .set(path.startsWith('/api') ? asOwner(biz) : asBearer(t.platformToken));
        if (res.status === 200) note = res.text;
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(note).not.toBeNull();
      expect(openCheckpoint(note!, key)).toMatchObject({ signed: true });
    }
    // Well within AUDIT_CHECKPOINT_EVERY_SECONDS (60), which it waited for before.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('proves growth between two checkpoints of different sizes, run as written', async () => {
    // A chain is signed again once its last checkpoint is AUDIT_CHECKPOINT_EVERY_SECONDS old; 1 s
    // here, so the snippet's wait for the second takes seconds, not the default minute.
    const { port, biz } = await freshInstall({ AUDIT_CHECKPOINT_EVERY_SECONDS: '1' });
    // As written: the reader's BASE, set in the happy path, is the one thing it is given.
    const snippet = readmeProofBlock();
    expect(snippet).toMatch(/^npm run -s cli -- audit verify-consistency .*$/m);
    // `npm run -s cli -- …` records its arguments, which run below through the CLI's program.
    const npm = `npm() { printf '%s\\0' "$@" > npm-args; }\n`;
    const run = await bash(
      `set -e\n${npm}${snippet}`,
      dir,
      { BASE: `http://127.0.0.1:${port}`, OWNER: biz.ownerToken, BIZ: biz.id },
      60_000,
    );
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    // While it waits it says for what, and nothing else: the reader sees it is not stuck.
    for (const line of run.stdout.split('\n').filter(Boolean)) {
      expect(line).toMatch(
        /^cp[12]\.txt: waiting for a checkpoint of more than \d+ events \(\d+ s\)$/,
      );
    }

    const args = readFileSync(join(dir, 'npm-args'), 'utf8').split('\0').slice(0, -1);
    expect(args.slice(0, 4)).toEqual(['run', '-s', 'cli', '--']);
    // Relative paths are the snippet's folder's.
    const cliArgs = args.slice(4).map((a) => (existsSync(join(dir, a)) ? join(dir, a) : a));
    const verdict = await cliInProcess(cliArgs, {});
    expect(verdict.code).toBe(0);
    const answer = JSON.parse(verdict.stdout) as Record<string, unknown>;
    expect(answer).toMatchObject({ valid: true, signature: 'verified' });
    expect(answer.old_size).toBe(Number(readFileSync(join(dir, 'cp1.txt'), 'utf8').split('\n')[1]));
    expect(answer.new_size).toBe(Number(readFileSync(join(dir, 'cp2.txt'), 'utf8').split('\n')[1]));
    expect(answer.new_size as number).toBeGreaterThan(answer.old_size as number);
  });
});
