/**
 * Where a route's time goes: `ts-node --transpile-only bench/profile.ts [path ...]` (after
 * `node scripts/build.js`) starts the built server under `node --cpu-prof`, one process per path
 * (SQLite unless BENCH_POSTGRES_URL is set, then a scratch database with Redis), issues a business
 * and its owner's token, drives the path with autocannon on 127.0.0.1 (50 connections,
 * PROFILE_SECONDS, default 10), stops the server and prints the profile's self time by function
 * and by package, and inclusive time by package, for the load alone (start-up left out). Paths
 * default to `/auth/verify`, `/api/v1/me` and `/health/live`; a list (`/api/v1/tokens?limit=20`) is
 * given PROFILE_TOKENS (25) tokens to page through; `POST:/api/v1/tokens` profiles token
 * creation (10 connections, as `npm run bench`'s PgBouncer row drives it). The profiles stay in PROFILE_DIR
 * (default /tmp/latchkey-prof) for Chrome's DevTools. docs/performance.md has what they showed.
 */
import autocannon from 'autocannon';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_ENTRY, RATE_LIMITS_OFF, startAppProcess } from '../test/harness/app-process';
import { SHARED_KEYS_ENV } from '../test/harness/keys';
import { gatewayScoped, LatchkeyClient, scoped } from '../test/harness/latchkey-client';
import { createScratchDatabase, ScratchDatabase } from '../test/harness/servers/postgres';
import { deleteKeysWithPrefix, randomKeyPrefix } from '../test/harness/servers/redis';
import { printSummary, summarize } from './lib/cpuprofile';

const SECONDS = Number(process.env.PROFILE_SECONDS || 10);
const DIR = process.env.PROFILE_DIR || '/tmp/latchkey-prof';
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL;
const REDIS_URL = process.env.BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
const TOKENS = Number(process.env.PROFILE_TOKENS || 25);
const PATHS = process.argv.slice(2).filter((a) => a.startsWith('/') || a.startsWith('POST:/'));

async function profile(route: string, env: Record<string, string>): Promise<void> {
  const dir = join(DIR, route.replace(/\W+/g, '_').replace(/^_/, ''));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const spawned = Date.now();
  const app = await startAppProcess({
    name: `profile ${route}`,
    env: { LOG_LEVEL: 'warn', ...RATE_LIMITS_OFF, ...env },
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`, APP_ENTRY],
  });
  try {
    const client = new LatchkeyClient(app.url);
    const owner = await client.createBusiness(app.platformToken!, 'profile');
    // A list profiles a full page: PROFILE_TOKENS (25) more tokens of the owner's first.
    if (route.startsWith('/api/v1/tokens?')) await client.createTokens(owner, TOKENS, 8, 'list');
    const headers = (route.startsWith('/auth/verify') ? gatewayScoped : scoped)(
      owner.ownerToken,
      owner.businessId,
    );
    const post = route.startsWith('POST:');
    const path = post ? route.slice('POST:'.length) : route;
    const body = post ? JSON.stringify({ name: 'profile' }) : undefined;
    if (post) headers['content-type'] = 'application/json';
    const probe = await client.request(post ? 'POST' : 'GET', path, {
      headers,
      body: post ? { name: 'profile' } : undefined,
    });
    if (probe.status >= 300) throw new Error(`${route} answered ${probe.status}`);
    const loadFrom = Date.now() - spawned;
    const result = await autocannon({
      url: `${app.url}${path}`,
      method: post ? 'POST' : 'GET',
      connections: post ? 10 : 50,
      duration: SECONDS,
      headers,
      body,
    });
    process.stderr.write(
      `${path}: ${Math.round(result.requests.average)} req/s under the profiler, ` +
        `p99 ${result.latency.p99} ms, ${result.non2xx} non-2xx\n`,
    );
    await app.stop(20_000);
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no profile in ${dir}`);
    // Start-up and the set-up requests are left out; a second's margin for the clocks.
    const summary = summarize(join(dir, file), 30, loadFrom + 1000);
    process.stdout.write(`${printSummary(`${path} (${join(dir, file)})`, summary)}\n\n`);
  } finally {
    await app.stop();
  }
}

async function main(): Promise<void> {
  const paths = PATHS.length > 0 ? PATHS : ['/auth/verify', '/api/v1/me', '/health/live'];
  let db: ScratchDatabase | undefined;
  const keyPrefix = randomKeyPrefix('latchkey_profile');
  const sqliteDir = mkdtempSync(join(tmpdir(), 'latchkey-profile-'));
  try {
    if (POSTGRES_URL) db = await createScratchDatabase(POSTGRES_URL);
    for (const [i, path] of paths.entries()) {
      const env: Record<string, string> = db
        ? {
            DATABASE_URL: db.url,
            REDIS_URL,
            REDIS_KEY_PREFIX: keyPrefix,
            ...SHARED_KEYS_ENV,
            // PROFILE_POOL_MODE=transaction: the statements as through a transaction pooler.
            ...(process.env.PROFILE_POOL_MODE === 'transaction'
              ? { DATABASE_POOL_MODE: 'transaction', DATABASE_DIRECT_URL: db.url }
              : {}),
          }
        : { SQLITE_PATH: join(sqliteDir, `profile-${i}.sqlite`) };
      await profile(path, env);
    }
  } finally {
    await db?.drop();
    if (db) await deleteKeysWithPrefix(REDIS_URL, keyPrefix).catch(() => undefined);
    rmSync(sqliteDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(
      `profile failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    process.exit(1);
  },
);
