import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT } from '../../test/harness/app-process';
import { httpRequest } from '../../test/harness/http';
import { freePort } from '../../test/harness/ports';
import { sleep } from '../../test/harness/stats';

/**
 * `npm start` with nothing changed since the last build, as a user types it: milliseconds from
 * the spawn to the first 200 of /health/live, polled every 10 ms. `env` is the app's (a database
 * that already holds the platform admin, so the figure is a restart's).
 */
export async function npmStartToFirst200(env: Record<string, string>): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn('npm', ['start', '--silent'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      ...env,
      PORT: String(port),
    },
    stdio: 'ignore',
    detached: true,
  });
  try {
    for (;;) {
      if (performance.now() - started > 60_000) throw new Error('npm start: no 200 within 60 s');
      if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}`);
      const res = await httpRequest(`http://127.0.0.1:${port}`, 'GET', '/health/live', {
        timeoutMs: 1000,
      }).catch(() => null);
      if (res?.status === 200) return performance.now() - started;
      await sleep(10);
    }
  } finally {
    // npm, its shell and the server form one process group.
    if (child.pid) process.kill(-child.pid, 'SIGTERM');
    await new Promise((resolve) =>
      child.exitCode !== null ? resolve(null) : child.once('exit', resolve),
    );
  }
}
