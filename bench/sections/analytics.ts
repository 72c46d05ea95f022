/**
 * Verification analytics' cost: /auth/verify (warm) on two like instances, one with
 * ANALYTICS_ENABLED=false, runs alternated; then, in this process on the bench's PostgreSQL, the
 * writes 20,000 verifications a second make (rows a second, and how long each batch's write
 * takes), and the bytes a day of minute buckets takes for 10,000 active tokens, measured on a
 * bounded number of rows and extrapolated (said so in the figure).
 */
import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataSource } from 'typeorm';
import { VerificationRecorder } from '../../src/analytics/recording/verification-recorder';
import {
  type CountRow,
  VerificationCountsRepository,
} from '../../src/analytics/store/verification-counts.repository';
import { startApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/load-config';
import { UnitOfWork } from '../../src/database/units/unit-of-work';
import type { BusinessSetup } from '../../test/harness/latchkey-client';
import { mean, round } from '../../test/harness/stats';
import { alternate, type StartApp } from '../lib/alternated';
import { figure, leftToFullBench, log, raw } from '../lib/figures';
import { load, type LoadRun } from '../lib/load';
import { WARMUP_S } from '../lib/run-settings';

const RATE = 20_000;
const ACTIVE_TOKENS = 10_000;
const FLUSH_S = 5;
/** The simulated day, at a bounded scale: these tokens for these minutes, then extrapolated. */
const SIZE_TOKENS = 500;
const SIZE_MINUTES = 240;

export async function analyticsCost(
  env: Record<string, string>,
  owner: BusinessSetup,
  start: StartApp,
): Promise<void> {
  const name = 'analytics cost: /auth/verify with ANALYTICS_ENABLED=true ÷ false, postgres';
  if (leftToFullBench(name, '≥ 0.97 (cost ≤ 3%)')) return;
  const off = await start('analytics-off', { ...env, ANALYTICS_ENABLED: 'false' });
  const on = await start('analytics-on', { ...env, ANALYTICS_ENABLED: 'true' });
  const headers = { authorization: `Bearer ${owner.ownerToken}` };
  log('analytics: warm-up');
  for (const app of [off, on]) {
    const probe = await fetch(`${app.url}/auth/verify`, { headers });
    if (probe.status !== 204) throw new Error(`analytics: /auth/verify answered ${probe.status}`);
    await load(app.name, app.url, '/auth/verify', headers, WARMUP_S);
  }
  const runs = { off: [] as LoadRun[], on: [] as LoadRun[] };
  await alternate(
    3,
    async () => runs.off.push(await load('analytics off', off.url, '/auth/verify', headers)),
    async () => runs.on.push(await load('analytics on', on.url, '/auth/verify', headers)),
  );
  await off.stop();
  await on.stop();
  const offRps = mean(runs.off.map((r) => r.rps));
  const onRps = mean(runs.on.map((r) => r.rps));
  const ratio = onRps / offRps;
  figure(
    name,
    `${round(ratio)} (${round(onRps, 0)} vs ${round(offRps, 0)} req/s; cost ${round((1 - ratio) * 100, 1)}%)`,
    '≥ 0.97 (cost ≤ 3%)',
    ratio >= 0.97,
  );
  raw.analytics_cost = { ...runs, write: await writesOf(env) };
}

/** The write rate and the size on disk, on an app of this process on the bench's database. */
async function writesOf(env: Record<string, string>) {
  const config = loadConfig({ ...env, LOG_LEVEL: 'silent', ANALYTICS_MAX_PENDING_KEYS: '1000000' });
  const { app } = await startApp(config, { logs: false });
  try {
    const rate = await writeRate(app, config);
    const size = await dayOfMinutes(app);
    return { rate, size };
  } finally {
    await app.close();
  }
}

/**
 * 20,000 verifications a second over 10,000 active tokens (2% refused): what one instance's
 * batch of 5 seconds holds and how long its write takes, three batches.
 */
async function writeRate(app: NestFastifyApplication, config: ReturnType<typeof loadConfig>) {
  const recorder = new VerificationRecorder(
    app.get(UnitOfWork),
    app.get(VerificationCountsRepository),
    config,
  );
  const businessId = randomUUID();
  const tokens = Array.from({ length: ACTIVE_TOKENS }, () => ({
    id: randomUUID(),
    businessId,
    identityId: randomUUID(),
  }));
  const batches: { rows: number; noteUs: number; writeMs: number }[] = [];
  const at = Date.now();
  for (let b = 0; b < 3; b++) {
    const n = RATE * FLUSH_S;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const outcome = i % 50 === 0 ? 'revoked' : 'valid';
      recorder.note(tokens[i % ACTIVE_TOKENS], outcome, '', at + b * FLUSH_S * 1000);
    }
    const noteUs = Number(process.hrtime.bigint() - t0) / n / 1000;
    const rows = recorder.pendingKeys;
    const t1 = process.hrtime.bigint();
    await recorder.flush();
    batches.push({ rows, noteUs, writeMs: Number(process.hrtime.bigint() - t1) / 1e6 });
  }
  const rowsPerS = mean(batches.map((x) => x.rows)) / FLUSH_S;
  const writeMs = mean(batches.map((x) => x.writeMs));
  const noteUs = mean(batches.map((x) => x.noteUs));
  figure(
    'analytics: rows written at 20,000 verifications/s over 10,000 active tokens, one instance, postgres',
    `${round(rowsPerS, 0)} rows/s (upserts; a ${FLUSH_S} s batch of ${round(rowsPerS * FLUSH_S, 0)} rows written in ${round(writeMs, 0)} ms); counting ${round(noteUs, 2)} µs per verification`,
    '(information)',
    null,
  );
  await deleteBusiness(app, businessId);
  return { batches, rows_per_s: rowsPerS };
}

/**
 * Minute buckets of 500 tokens for 240 minutes (one outcome, no tags: a token used every minute),
 * written as the recorder writes them; their size on disk (table and indexes) per row, scaled to
 * 10,000 tokens for 1,440 minutes.
 */
async function dayOfMinutes(app: NestFastifyApplication) {
  const counts = app.get(VerificationCountsRepository);
  const uow = app.get(UnitOfWork);
  const ds = app.get(DataSource);
  const size = async () => {
    const [row] = await ds.query<{ bytes: string }[]>(
      "SELECT pg_total_relation_size('verification_minutes') AS bytes",
    );
    return Number(row.bytes);
  };
  const businessId = randomUUID();
  const identityId = randomUUID();
  const tokenIds = Array.from({ length: SIZE_TOKENS }, () => randomUUID());
  const before = await size();
  const start = Date.now() - (Date.now() % 60_000) - SIZE_MINUTES * 60_000;
  for (let m = 0; m < SIZE_MINUTES; m += 20) {
    const rows: CountRow[] = [];
    for (let k = m; k < m + 20; k++) {
      for (const tokenId of tokenIds) {
        const bucket = new Date(start + k * 60_000);
        rows.push({ bucket, businessId, tokenId, outcome: 'valid', tag: '', identityId, count: 3 });
      }
    }
    await uow.run((tx) => counts.addMinutes(rows, tx));
  }
  await ds.query('VACUUM ANALYZE verification_minutes');
  const rows = SIZE_TOKENS * SIZE_MINUTES;
  const bytesPerRow = ((await size()) - before) / rows;
  const perDay = bytesPerRow * ACTIVE_TOKENS * 1440;
  figure(
    'analytics: minute buckets a day for 10,000 active tokens, postgres',
    `${round(perDay / 1024 ** 3, 2)} GiB a day (${round(bytesPerRow, 0)} bytes a row, table and indexes, measured on ${rows} rows and extrapolated to ${ACTIVE_TOKENS * 1440})`,
    '(information)',
    null,
  );
  await deleteBusiness(app, businessId);
  return { rows, bytes_per_row: bytesPerRow, bytes_per_day: perDay };
}

function deleteBusiness(app: NestFastifyApplication, businessId: string) {
  return app
    .get(DataSource)
    .query('DELETE FROM verification_minutes WHERE business_id = $1', [businessId]);
}
