import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import { CHROMIUM_PATH, hasChromium } from '../harness/browser/swagger-ui';
import { PGBOUNCER_BIN, pgbouncerInstalled } from '../harness/servers/pgbouncer';
import { PG_BIN_DIR, pgServerInstalled } from '../harness/servers/pg-replica';
import { GATEWAY_BINARIES, missingGateways } from '../harness/app/gateways';
import { PYTHON, pythonReady } from '../harness/python';
import { TEST_FULL, testSeed } from '../harness/sampling';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './servers';
import { ensurePostgresTemplate, ensureSqliteTemplate, pinTemplateKey } from './templates';

const MEMORY_FS = '/dev/shm';

async function checkPostgres(url: string): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (e) {
    throw new Error(
      `TEST_DATABASE_URL is set but PostgreSQL does not answer: ${(e as Error).message}`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkRedis(url: string): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    throw new Error(`REDIS_URL is set but Redis does not answer: ${(e as Error).message}`);
  } finally {
    client.disconnect();
  }
}

/**
 * Scratch files (each suite's SQLite database, exports, browser profiles) go to memory where the
 * machine has a tmpfs: a commit on SQLite waits for the disk (about 3 ms per fsync here), and
 * nothing a test writes needs to outlive the run. Workers and the processes they start inherit
 * TMPDIR, so os.tmpdir() is the same folder everywhere in the run.
 */
function scratchInMemory(): void {
  if (!existsSync(MEMORY_FS)) return;
  const dir = join(MEMORY_FS, 'latchkey-tests');
  mkdirSync(dir, { recursive: true });
  process.env.TMPDIR = dir;
}

/**
 * One seed for the whole run, in every worker (TEST_SEED, set here when unset), and a file each
 * matrix's sample is written to, for the run's summary (test/setup/run-summary.js).
 */
function sampleOneWay(): void {
  const seed = testSeed();
  process.env.TEST_SEED = String(seed);
  process.env.LATCHKEY_SAMPLES_FILE = join(
    mkdtempSync(join(tmpdir(), 'samples-')),
    'samples.jsonl',
  );
  process.stdout.write(
    TEST_FULL
      ? '\nMatrices and fuzzing run whole (TEST_FULL=1).\n'
      : `\nMatrices and fuzzing run a sample, seed ${seed} (TEST_SEED=${seed} replays it; npm run test:full runs them whole).\n`,
  );
}

/** Fails the run loudly when a configured server is missing, and says what is left out. */
export default async function globalSetup(): Promise<void> {
  // The built app, as npm start builds it (SWC, about a second, only when a source changed): the
  // process-level suites run it, and the audit verify's worker threads load its compiled worker.
  execFileSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'build-if-stale.js')], {
    stdio: 'inherit',
  });
  const notes: string[] = [];
  scratchInMemory();
  sampleOneWay();
  pinTemplateKey();
  await ensureSqliteTemplate();
  if (TEST_DATABASE_URL) {
    await checkPostgres(TEST_DATABASE_URL);
    await ensurePostgresTemplate(TEST_DATABASE_URL);
  } else notes.push('PostgreSQL variants of the e2e suites (set TEST_DATABASE_URL to run them)');
  if (TEST_REDIS_URL) await checkRedis(TEST_REDIS_URL);
  else {
    notes.push(
      'Redis-backed suites (set REDIS_URL to run them), among them Sentinel and Cluster: a failover under revocations, and the bus and limits on a three-master Cluster, on redis-server processes they start',
    );
  }
  if (!TEST_DATABASE_URL || !TEST_REDIS_URL) {
    notes.push(
      'the multi-instance suite: three app processes on one database and Redis (needs both)',
      'the two-instance webhook delivery suite: 500 revocations delivered exactly once (needs both)',
    );
  }
  if (!hasChromium()) {
    notes.push(
      `the Swagger UI and admin console browser suites (${CHROMIUM_PATH} is missing: apt-get install chromium; bash .ci/run installs it)`,
    );
  }
  if (!pythonReady()) {
    notes.push(
      `the Python client suite (${PYTHON} 3.9 or later is missing: apt-get install python3; under CI=true the suite fails instead)`,
    );
  }
  const gateways = missingGateways();
  if (gateways.length > 0) {
    notes.push(
      `the real-gateway suite, nginx and Caddy in front of /auth/verify (${gateways.map((g) => GATEWAY_BINARIES[g]).join(' and ')} missing: apt-get install nginx caddy; bash .ci/run installs them; under CI=true the suite fails instead)`,
    );
  }
  if (TEST_DATABASE_URL && !pgbouncerInstalled()) {
    notes.push(
      `the PgBouncer suite, the app through transaction pooling (${PGBOUNCER_BIN} is missing: apt-get install pgbouncer; bash .ci/run installs it; under CI=true the suite fails instead)`,
    );
  }
  if (!TEST_DATABASE_URL) {
    notes.push(
      'the read-replica suite: a primary and a pg_basebackup replica of its own (runs with TEST_DATABASE_URL)',
    );
  } else if (!pgServerInstalled()) {
    notes.push(
      `the read-replica suite (PostgreSQL's server binaries are missing from ${PG_BIN_DIR}; under CI=true the suite fails instead)`,
    );
  }
  if (notes.length > 0) {
    process.stdout.write(`\nSuites left out of this run:\n  - ${notes.join('\n  - ')}\n\n`);
  } else {
    process.stdout.write(
      '\nServer-backed suites: PostgreSQL and Redis both configured; all suites run.\n\n',
    );
  }
}
