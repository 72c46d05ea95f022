import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Child } from './child';
import { PATIENT_TIMEOUTS } from './patience';
import { freePort } from './ports';

/**
 * How long an app process may take to start listening: jest's own bound (jest.config.js), since a
 * machine busy with other work has taken over a minute to start one under a 256 MB heap.
 */
const START_TIMEOUT_MS = 180_000;

export const REPO_ROOT = resolve(__dirname, '..', '..');
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
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL, as a crash would; resolves once the process is gone. */
  kill(): Promise<void>;
}

export interface SpawnAppOptions {
  name: string;
  /** The app's environment. Nothing is inherited but PATH and HOME, so a developer's own
   * DATABASE_URL or REDIS_URL never leaks into a child. */
  env: Record<string, string>;
  /** What node runs instead of the built server: a wrapper that requires it (tracing's). */
  nodeArgs?: string[];
  /** An IPC channel to the process (`child.proc.send`), for such a wrapper. */
  ipc?: boolean;
  /** On a pseudo-terminal, through script(1), as an operator's shell runs it. */
  terminal?: boolean;
  /** Its working directory (the repository's root by default), which relative paths start from. */
  cwd?: string;
}

export interface StartAppOptions extends SpawnAppOptions {
  /** PORT (added to `env`); a free one by default. */
  port?: number;
  startTimeoutMs?: number;
  /** PUBLIC_BASE_URL set to its own address, as an app that names itself by its URL needs. */
  namedByUrl?: boolean;
}

const shellQuote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * Spawns the built server (`node dist/src/main.js`) and returns at once: the one spawn of the
 * app. `startAppProcess` waits for it to listen; a test of a start that fails waits for its exit.
 */
export function spawnApp(options: SpawnAppOptions): Child {
  const nodeArgs = options.nodeArgs ?? [APP_ENTRY];
  if (!options.nodeArgs && !existsSync(APP_ENTRY)) {
    throw new Error(`${APP_ENTRY} is missing: run npm run build first`);
  }
  const [command, args] = options.terminal
    ? ['script', ['-qfec', [process.execPath, ...nodeArgs].map(shellQuote).join(' '), '/dev/null']]
    : [process.execPath, nodeArgs];
  return Child.spawn(options.name, command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    ipc: options.ipc,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      ...PATIENT_TIMEOUTS,
      ...options.env,
    },
  });
}

/** Starts the built server on a port of its own and resolves once it listens. */
export async function startAppProcess(options: StartAppOptions): Promise<AppProcess> {
  // A free port is only free until someone binds it: a suite beside this one may take it between
  // `freePort` and the app's listen. The app then exits saying so, and starts again on another
  // (a `.ci/run` once lost Swagger UI's suite to that race). What the first start printed is
  // kept: it may hold the platform token, which a second start on the same database does not.
  let earlier = '';
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    const own: Record<string, string> = options.namedByUrl
      ? { PUBLIC_BASE_URL: `http://127.0.0.1:${port}` }
      : {};
    const child = spawnApp({ ...options, env: { ...options.env, ...own, PORT: String(port) } });
    try {
      await child.waitFor(/Latchkey listening on/, options.startTimeoutMs ?? START_TIMEOUT_MS);
    } catch (e) {
      await child.stop(1000);
      const taken = options.port === undefined && PORT_TAKEN.test(child.output());
      if (taken && attempt < START_ATTEMPTS) {
        earlier += child.output();
        continue;
      }
      throw e;
    }
    return running(options, port, child, earlier);
  }
}

/** What the app prints when its port is taken (main.ts). */
const PORT_TAKEN = /port \d+ is in use; set PORT/;
const START_ATTEMPTS = 3;

function running(
  options: StartAppOptions,
  port: number,
  child: Child,
  earlier: string,
): AppProcess {
  const admin = /Platform admin token \(shown once\): (\S+)/.exec(earlier + child.output());
  return {
    name: options.name,
    port,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid,
    platformToken: admin ? admin[1] : null,
    child,
    stop: (graceMs) => child.stop(graceMs),
    kill: () => child.kill(),
  };
}
