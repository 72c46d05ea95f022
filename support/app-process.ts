import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Child } from './child';
import { freePort } from './ports';

export const REPO_ROOT = resolve(__dirname, '..');
/** The built server (`npm run build`). */
export const APP_ENTRY = join(REPO_ROOT, 'dist', 'src', 'main.js');

/** Every rate limit and the active-token cap off, as benchmarks and load-driving tests need. */
export const RATE_LIMITS_OFF = {
  RATE_LIMIT_OAUTH_PER_MINUTE: '0',
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0',
  RATE_LIMIT_IDENTITY_PER_MINUTE: '0',
  MAX_ACTIVE_TOKENS_PER_IDENTITY: '0',
} as const;

export interface AppProcess {
  name: string;
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  pid: number;
  /** The platform admin token, when this instance was the one that created the admin. */
  platformToken: string | null;
  child: Child;
  stop(graceMs?: number): Promise<void>;
}

export interface StartAppOptions {
  name: string;
  /** The app's environment (PORT is added). Nothing is inherited but PATH and HOME, so a
   * developer's own DATABASE_URL or REDIS_URL never leaks into a child. */
  env: Record<string, string>;
  port?: number;
  startTimeoutMs?: number;
}

/** Starts `node dist/src/main.js` and resolves once it listens. */
export async function startAppProcess(options: StartAppOptions): Promise<AppProcess> {
  if (!existsSync(APP_ENTRY)) throw new Error(`${APP_ENTRY} is missing: run npm run build first`);
  const port = options.port ?? (await freePort());
  const child = Child.spawn(options.name, process.execPath, [APP_ENTRY], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      ...options.env,
      PORT: String(port),
    },
  });
  try {
    await child.waitFor(/Latchkey listening on/, options.startTimeoutMs ?? 60_000);
  } catch (e) {
    await child.stop(1000);
    throw e;
  }
  const admin = /Platform admin token \(shown once\): (\S+)/.exec(child.output());
  return {
    name: options.name,
    port,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    platformToken: admin ? admin[1] : null,
    child,
    stop: (graceMs) => child.stop(graceMs),
  };
}
