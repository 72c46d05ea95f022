/**
 * `npm run bench`: the hot-path and scale-out figures, printed against their goals; nothing fails
 * on a missed goal. Each section is a file of bench/sections/, run in order on one set of
 * instances against 127.0.0.1, PostgreSQL and Redis (BENCH_POSTGRES_URL, BENCH_REDIS_URL), in a
 * database and key prefix of its own. `--quick` runs short (a regression check, not a figure).
 * `--gate` (what CI adds) exits 1 when a gated ratio falls under half its goal; a hot-path ratio
 * that does is measured again first, and fails only if it reads so twice (`confirmLowReadings`).
 * A ratio at or too near half its goal for the quick runs' noise (±20%) is printed but not gated:
 * the token list, and /api/v1/me ÷ bare Fastify and ÷ /health/live
 * (docs/performance.md). BENCH_DURATION_S, BENCH_TOKENS and BENCH_REVOCATIONS set the sizes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { AppProcess, REPO_ROOT } from '../test/harness/app-process';
import {
  gatewayScoped,
  LatchkeyClient,
  scoped,
  type BusinessSetup,
} from '../test/harness/latchkey-client';
import { withClient } from '../test/harness/servers/postgres';
import { redisAnswers } from '../test/harness/servers/redis';
import { round } from '../test/harness/stats';
import type { AuthRuns } from './lib/auth-overhead';
import {
  figures,
  gateFailures,
  leftToFullBench,
  loadAverage,
  log,
  notes,
  printTable,
  raw,
  type QuickRow,
} from './lib/figures';
import { describeMachine, machineLine, type Machine } from './lib/machine';
import {
  CONNECTIONS,
  DURATION_S,
  GATE,
  LOG_LEVEL,
  ONLY,
  POSTGRES_URL,
  QUICK,
  REDIS_URL,
  REVOCATIONS,
  TOKENS,
} from './lib/run-settings';
import { BenchScratch } from './lib/scratch';
import {
  readAnswer,
  startBareFastify,
  startVerifyFloor,
  type VerifyFloor,
} from './lib/verify-floor';
import { analyticsCost } from './sections/analytics';
import { quotasCost } from './sections/quotas';
import { cacheMiss } from './sections/cache-miss';
import { constraintsCost } from './sections/constraints';
import { dpopCost } from './sections/dpop';
import { AGENTS_ROW, agentsCost } from './sections/agents';
import { FEDERATION_ROW, federationCost } from './sections/federation';
import { authIsolated, hotPath, threeInstances } from './sections/hot-path';
import { reportMemory, startedAndIdleRss, type StartedAndIdle } from './sections/memory';
import { metricsCost } from './sections/metrics';
import { middlewareCost } from './sections/middleware';
import { pgbouncerCost } from './sections/pgbouncer';
import { policyCost } from './sections/policy';
import { propagation } from './sections/propagation';
import { sentinelPropagation } from './sections/sentinel';
import { sqliteInstance, sqliteListOnly, sqliteStatementsOnly } from './sections/sqlite';
import { SSF_ROW, ssfPushLatency } from './sections/ssf';
import { SSF_APP_ROW, ssfAppRefusal } from './sections/ssf-app';
import { startTime } from './sections/start-time';
import { STATUS_LISTS_ROW, statusListCost } from './sections/status-lists';
import { tokenList } from './sections/token-list';
import { tracingCost } from './sections/tracing';
import { usesCost } from './sections/uses';
import { runBench } from './lib/run-bench';

/** Instance A on PostgreSQL and Redis, the business it measures with, and the hot path's floor. */
interface InstanceA {
  a: AppProcess;
  clientA: LatchkeyClient;
  owner: BusinessSetup;
  verifyFloor: VerifyFloor;
  memory: StartedAndIdle;
}

/** The run as it goes: its scratch resources, their env and A. */
interface Bench {
  scratch: BenchScratch;
  pgEnv: Record<string, string>;
  inst: InstanceA;
  bare: { url: string; pid: number };
}

async function checkServers(): Promise<void> {
  if (!(await redisAnswers(REDIS_URL))) throw new Error(`Redis does not answer at ${REDIS_URL}`);
  await withClient(POSTGRES_URL, (c) => c.query('SELECT 1')).catch((e: unknown) => {
    throw new Error(`PostgreSQL does not answer at ${POSTGRES_URL}: ${(e as Error).message}`);
  });
}

async function startA(scratch: BenchScratch, pgEnv: Record<string, string>): Promise<InstanceA> {
  const a = await scratch.start('A', pgEnv);
  if (!a.platformToken) throw new Error('A did not print the platform admin token');
  const memory = await startedAndIdleRss(a);
  const clientA = new LatchkeyClient(a.url);
  const owner = await clientA.createBusiness(a.platformToken, 'bench');
  // The hot path's floor answers what A answers to a warm /api/v1/me of the same token.
  const me = await readAnswer(
    `${a.url}/api/v1/me`,
    scoped(owner.ownerToken, owner.businessId),
    200,
  );
  const verify = await readAnswer(
    `${a.url}/auth/verify`,
    gatewayScoped(owner.ownerToken, owner.businessId),
    204,
  );
  const verifyFloor = await startVerifyFloor(owner, me, verify);
  scratch.track(verifyFloor.child);
  return { a, clientA, owner, verifyFloor, memory };
}

/** BENCH_ONLY: the sections named, in the order named, on A. */
async function runOnly({ scratch, pgEnv, inst, bare }: Bench): Promise<void> {
  const { a, owner, verifyFloor } = inst;
  const start = scratch.start;
  const sections: Record<string, () => Promise<unknown>> = {
    hotpath: () => hotPath(a, owner, bare, verifyFloor),
    three: async () => {
      await scratch.startPeers(pgEnv);
      await threeInstances(a, owner, verifyFloor);
    },
    metrics: () => metricsCost(pgEnv, owner, start),
    constraints: () => constraintsCost(a, owner),
    uses: () => usesCost(a, owner),
    policy: () => policyCost(a, owner),
    sentinel: () => sentinelPropagation(pgEnv, owner, start),
    pgbouncer: () => pgbouncerCost(pgEnv, owner, start),
    federation: federationCost,
    agents: agentsCost,
    statuslists: async () => {
      const { b } = await scratch.startPeers(pgEnv);
      await statusListCost(a, b, a.platformToken!, scratch.databaseUrl);
    },
    ssf: () => ssfPushLatency(pgEnv, start),
    ssfapp: () => ssfAppRefusal(start, scratch.sqliteDir),
    dpop: () => dpopCost(a, owner, pgEnv, start),
    middleware: () => middlewareCost(start, scratch.sqliteDir),
    analytics: () => analyticsCost(pgEnv, owner, start),
    quotas: () => quotasCost(pgEnv, owner, a.platformToken!, start),
    sqlite: () => sqliteInstance(start, scratch.sqliteDir, scratch.track),
    statements: () => sqliteStatementsOnly(start, scratch.sqliteDir),
    list: async () => {
      await tokenList(a, owner, scratch.databaseUrl, null, scratch.track);
      await sqliteListOnly(start, scratch.sqliteDir, scratch.track);
    },
  };
  for (const name of ONLY) await sections[name]();
}

/**
 * Runs `section` unless the run is quick, which leaves it to the full bench in `row` (its name and
 * goals, from the section): for the sections that gate nothing and cost the quick run (CI's) the
 * most. `BENCH_ONLY` names them as before, and runs them under `--quick` too.
 */
async function unlessQuick(row: QuickRow, section: () => Promise<unknown>): Promise<void> {
  if (!leftToFullBench(...row)) await section();
}

/** 1 and 2 on A: the hot path, then what each feature costs it. Answers A's hot-path runs. */
async function onA({ scratch, pgEnv, inst, bare }: Bench): Promise<AuthRuns> {
  const { a, owner } = inst;
  const pg = await hotPath(a, owner, bare, inst.verifyFloor);
  // The guard alone gates nothing: the quick run (CI's) leaves it to the full bench.
  const guard = 'auth overhead, postgres, guard alone: valid token → 422 ÷ no token → 401';
  if (!leftToFullBench(guard, '(information)')) await authIsolated('postgres', a, owner);
  // Metrics' cost, on two instances of their own beside A.
  await metricsCost(pgEnv, owner, scratch.start);
  await constraintsCost(a, owner);
  await usesCost(a, owner);
  await policyCost(a, owner);
  await analyticsCost(pgEnv, owner, scratch.start);
  await quotasCost(pgEnv, owner, a.platformToken!, scratch.start);
  raw.postgres_load = pg;
  await tokenList(a, owner, scratch.databaseUrl, pg.live, scratch.track);
  return pg;
}

/** 3 and 4: B and C join A on the same PostgreSQL and Redis; M reads through a counting proxy. */
async function acrossInstances({ scratch, pgEnv, inst }: Bench): Promise<void> {
  const { a, owner } = inst;
  const { b, m, proxy } = await scratch.startPeers(pgEnv);
  // The hot path again with B and C (and M) on the same PostgreSQL and Redis: A now hears
  // their bus, and they hear it.
  if (
    !leftToFullBench(
      'framework overhead, 3 instances: /auth/verify and /api/v1/me ÷ the floor',
      '≥ 0.80',
    )
  ) {
    await threeInstances(a, owner, inst.verifyFloor);
  }
  await cacheMiss(inst.clientA, owner, m, proxy);
  await m.stop();
  await propagation(owner, a, b);
  await unlessQuick(STATUS_LISTS_ROW, () =>
    statusListCost(a, b, a.platformToken!, scratch.databaseUrl),
  );
  await unlessQuick(SSF_ROW, () => ssfPushLatency(pgEnv, scratch.start));
  await sentinelPropagation(pgEnv, owner, scratch.start);
  await pgbouncerCost(pgEnv, owner, scratch.start);
  await dpopCost(a, owner, pgEnv, scratch.start);
}

/** Every section but federation's, in order: A, S, the restart, memory, tracing, the peers. */
async function runAll(bench: Bench, stopBare: () => Promise<void>): Promise<void> {
  const { scratch, pgEnv, inst } = bench;
  const pg = await onA(bench);
  await stopBare();
  // 1 on SQLite, one instance with the in-process bus.
  const sqlite = await sqliteInstance(scratch.start, scratch.sqliteDir, scratch.track);
  await startTime(scratch.sqliteDir);
  // The Express middleware on a cached token, its Latchkey on SQLite beside A.
  await middlewareCost(scratch.start, scratch.sqliteDir);
  // A revocation at that app, told by Shared Signals.
  await unlessQuick(SSF_APP_ROW, () => ssfAppRefusal(scratch.start, scratch.sqliteDir));
  reportMemory(inst.memory, sqlite.memory, pg, sqlite.runs);
  // Tracing's cost, on two instances of their own beside A.
  await tracingCost(pgEnv, inst.owner, scratch.start);
  await acrossInstances(bench);
}

/** bench/results/latest.json: the figures, the raw runs and the settings; answers its path. */
function writeResults(machine: Machine, seconds: number, loadAtStart: string): string {
  const resultsDir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, 'latest.json');
  const results = {
    date: new Date().toISOString(),
    machine,
    command: QUICK ? 'npm run bench -- --quick' : 'npm run bench',
    settings: {
      connections: CONNECTIONS,
      duration_s: DURATION_S,
      log_level: LOG_LEVEL,
      tokens: TOKENS,
      revocations: REVOCATIONS,
    },
    took_s: seconds,
    load_average: { start: loadAtStart, end: loadavg() },
    figures,
    notes,
    raw,
  };
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  return file;
}

/** `--gate`: names each gated ratio under half its goal and exits 1, else says all held. */
function applyGate(): void {
  const failed = gateFailures();
  for (const f of failed) {
    process.stdout.write(
      `GATE: ${f.figure} is ${round(f.gate!.ratio)}, under half its goal of ${f.gate!.goal}\n`,
    );
  }
  const gated = figures.filter((f) => f.gate).length;
  if (failed.length > 0) process.exitCode = 1;
  else
    process.stdout.write(
      `gate: the ${gated} gated throughput ratios are at least half their goal\n`,
    );
}

async function main(): Promise<void> {
  const started = Date.now();
  const machine = describeMachine();
  const loadAtStart = loadAverage();
  log(machineLine(machine));
  await checkServers();
  const scratch = new BenchScratch();
  process.once('SIGINT', () => {
    log('interrupted: cleaning up');
    void scratch.cleanup().finally(() => process.exit(130));
  });
  try {
    const pgEnv = await scratch.createDatabase();
    // Bare Fastify, and instance A on PostgreSQL.
    const bare = await startBareFastify();
    scratch.track(bare.child);
    const bench = {
      scratch,
      pgEnv,
      inst: await startA(scratch, pgEnv),
      bare: { url: bare.url, pid: bare.child.pid },
    };
    if (ONLY.length > 0) {
      await runOnly(bench);
      printTable(`BENCH_ONLY=${ONLY.join(',')} npm run bench`, started, machine, loadAtStart);
      return;
    }
    await runAll(bench, () => bare.child.stop());
  } finally {
    await scratch.cleanup();
  }
  // The RFC 8693 exchange and the code exchange on SQLite, each on an app of its own, once the
  // rest is stopped.
  await unlessQuick(FEDERATION_ROW, federationCost);
  await unlessQuick(AGENTS_ROW, agentsCost);
  const command = `npm run bench${QUICK ? ' -- --quick' : ''}`;
  const seconds = printTable(command, started, machine, loadAtStart);
  process.stdout.write(`\nresults written to ${writeResults(machine, seconds, loadAtStart)}\n`);
  if (GATE) applyGate();
}

runBench('bench', main);
