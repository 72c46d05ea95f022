import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RATE_LIMITS_OFF, spawnApp, startAppProcess } from '../../harness/app-process';
import { LatchkeyClient } from '../../harness/latchkey-client';
import { freePort } from '../../harness/ports';
import { buildApp } from '../../harness/app-cluster';

const TIMEOUT_MS = 180_000;

/** Runs the built server to its exit; answers its exit code, stdout and stderr. */
async function runToExit(env: Record<string, string>) {
  const child = spawnApp({ name: 'taken', env });
  const code = await child.exited;
  return { code, stdout: child.output('stdout'), stderr: child.output('stderr') };
}

/** The first start's token is never lost, and a taken port is one clear line. */
describe('start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-start-'));
  let blocker: Server;
  let port: number;
  beforeAll(async () => {
    await buildApp();
    port = await freePort();
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '0.0.0.0', resolve));
  }, TIMEOUT_MS);
  afterAll(async () => {
    await new Promise((resolve) => blocker.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    'prints the first token even when the port is taken, says so in one line, and exits 1',
    async () => {
      const env = {
        SQLITE_PATH: join(dir, 'taken.sqlite'),
        LOG_LEVEL: 'warn',
        ...RATE_LIMITS_OFF,
      };
      const failed = await runToExit({ ...env, PORT: String(port) });
      expect(failed.code).toBe(1);
      expect(failed.stderr).toBe(`port ${port} is in use; set PORT\n`);
      const token = /Platform admin token \(shown once\): (\S+)/.exec(failed.stdout)?.[1];
      expect(token).toMatch(/^lk_[0-9A-Za-z]{36}$/);

      // On a free port the same database starts, prints no token, and the printed one works.
      const app = await startAppProcess({ name: 'after', env });
      try {
        expect(app.platformToken).toBeNull();
        const res = await new LatchkeyClient(app.url).request('GET', '/platform/v1/businesses', {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(res.status).toBe(200);
      } finally {
        await app.stop();
      }
    },
    TIMEOUT_MS,
  );
});
