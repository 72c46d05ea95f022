import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppProcess, RATE_LIMITS_OFF, REPO_ROOT, startAppProcess } from './app-process';
import { stopAll } from './child';
import { SHARED_KEYS_ENV } from './keys';
import { LatchkeyClient } from './latchkey-client';
import { createScratchDatabase, ScratchDatabase } from './servers/postgres';
import { deleteKeysWithPrefix, randomKeyPrefix } from './servers/redis';
import { sleep } from './stats';

export type { AppProcess } from './app-process';

const run = promisify(execFile);

/**
 * Builds the app as `npm start` does (scripts/build-if-stale.js: SWC, only when a source is
 * newer than the last build), so process-level tests never run a stale dist/. Fails with its
 * output.
 */
export async function buildApp(): Promise<void> {
  try {
    await run(process.execPath, [join(REPO_ROOT, 'scripts', 'build-if-stale.js')], {
      cwd: REPO_ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    throw new Error(`npm run build failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}

/** Instances of the built app that share one fresh PostgreSQL database and one Redis. */
export interface Cluster {
  instances: AppProcess[];
  /** The bootstrap platform admin token, printed by the first instance. */
  platformToken: string;
  db: ScratchDatabase;
  keyPrefix: string;
  client(instance: AppProcess): LatchkeyClient;
  /** Stops every instance (SIGTERM, then SIGKILL), drops the database, deletes the keys. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** The PostgreSQL server on which a database of the cluster's own is made. */
  postgresUrl: string;
  redisUrl: string;
  names?: string[];
  /** Extra env for every instance; rate limits are off and logs are quiet unless set here. */
  env?: Record<string, string>;
  /** Where to delete the cluster's keys at the end (the cluster's Redis may be gone by then). */
  cleanupRedisUrl?: string;
}

/**
 * Starts the first instance alone (it runs the migrations and prints the platform token), then
 * the others together. On any failure, whatever started is stopped before the error is thrown.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const names = options.names ?? ['A', 'B', 'C'];
  const db = await createScratchDatabase(options.postgresUrl, 'latchkey_test');
  const keyPrefix = randomKeyPrefix('latchkey_test');
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: keyPrefix,
    LOG_LEVEL: 'warn',
    ...SHARED_KEYS_ENV,
    ...RATE_LIMITS_OFF,
    ...options.env,
  };
  const instances: AppProcess[] = [];
  const stop = async () => {
    await stopAll(instances.map((i) => i.child));
    await db.drop();
    await deleteKeysWithPrefix(options.cleanupRedisUrl ?? options.redisUrl, keyPrefix).catch(
      () => undefined,
    );
  };
  const start = async (name: string) => {
    const instance = await startAppProcess({ name, env });
    instances.push(instance);
    return instance;
  };
  try {
    const first = await start(names[0]);
    if (!first.platformToken) throw new Error(`${first.name} did not print the platform token`);
    await Promise.all(names.slice(1).map(start));
    return {
      instances: names.map((n) => instances.find((i) => i.name === n)!),
      platformToken: first.platformToken,
      db,
      keyPrefix,
      client: (instance) => new LatchkeyClient(instance.url),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Polls `GET /health/ready` until it answers `status` (bounded); answers whether it did. */
export async function waitForReadiness(
  instance: AppProcess,
  status: 200 | 503,
  timeoutMs: number,
): Promise<boolean> {
  const client = new LatchkeyClient(instance.url);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await client.request('GET', '/health/ready').catch(() => undefined);
    if (res?.status === status) return true;
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
}

/**
 * Presents a token to an instance, one request at a time, until it answers `status` or the
 * bound passes. Answers the milliseconds it took from the call, or null when it never did.
 */
export async function pollUntilStatus(
  instance: AppProcess,
  token: { token: string; businessId: string },
  status: number,
  timeoutMs: number,
): Promise<number | null> {
  const client = new LatchkeyClient(instance.url);
  const started = Date.now();
  for (;;) {
    const res = await client.me(token.token, token.businessId);
    if (res.status === status) return Date.now() - started;
    if (Date.now() - started > timeoutMs) return null;
    await sleep(5);
  }
}
