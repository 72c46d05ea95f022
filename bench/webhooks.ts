/**
 * `npm run bench:webhooks`: delivery with three instances on one PostgreSQL and Redis, to a
 * receiver on 127.0.0.1. It prints delivery throughput (an outbox of WEBHOOK_BENCH_MESSAGES),
 * commit-to-first-attempt per revocation, a hostile neighbour (20 endpoints that never answer)
 * against another business's deliveries, and what the outbox costs a revocation, with and
 * without an endpoint (docs/performance.md says how it was measured). Figures, not assertions;
 * also written to bench/results/webhooks-latest.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  AppProcess,
  RATE_LIMITS_OFF,
  REPO_ROOT,
  startAppProcess,
} from '../test/harness/app-process';
import { stopAll } from '../test/harness/child';
import { keepAliveAgent } from '../test/harness/http';
import { SHARED_KEYS_ENV } from '../test/harness/keys';
import { BusinessSetup, LatchkeyClient } from '../test/harness/latchkey-client';
import { createScratchDatabase } from '../test/harness/servers/postgres';
import { deleteKeysWithPrefix, randomKeyPrefix } from '../test/harness/servers/redis';
import { percentile, round } from '../test/harness/stats';
import { HOSTILE, hostileNeighbour } from './lib/hostile-neighbour';
import { describeMachine, machineLine } from './lib/machine';
import { renderTable } from './lib/table';
import { registerEndpoint, revokeAll, REVOKERS, seedOutbox } from './lib/webhook-outbox';
import { startReceiver, type Receiver } from './lib/webhook-receiver';
import { runBench } from './lib/run-bench';

const SERVER_URL =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MESSAGES = Number(process.env.WEBHOOK_BENCH_MESSAGES ?? 10_000);
const LATENCY_SAMPLES = 300;
const REVOCATIONS = 1_500;
/** With and without alternate this many times, so drift in the machine falls on both alike. */
const PASSES = 3;

/**
 * `npm run bench:webhooks -- --only=throughput,latency,hostile,cost` runs those sections alone
 * (1, 2, 2b and 3); `--cost-only` is `--only=cost`, for instance against a build with the outbox
 * taken out, which would never deliver to the others.
 */
const ONLY = new Set(
  process.argv.includes('--cost-only')
    ? ['cost']
    : (process.argv
        .find((a) => a.startsWith('--only='))
        ?.slice('--only='.length)
        .split(',') ?? ['throughput', 'latency', 'hostile', 'cost']),
);

const GOALS = {
  deliveriesPerSecond: 500,
  firstAttemptP99Ms: 250,
  hostileNeighbourP99Ms: 250,
  outboxCost: 0.1,
};

/** One run: the instances, their env, the receiver, and the rows and results as they grow. */
interface WebhookRun {
  env: Record<string, string>;
  dbUrl: string;
  instances: AppProcess[];
  clients: LatchkeyClient[];
  platformToken: string;
  receiver: Receiver;
  hookUrl: string;
  results: Record<string, unknown>;
  /** Adds a row to the table, and prints it at once. */
  report: (row: string[]) => void;
}

const judged = (met: boolean) => (met ? 'met' : 'missed');

/** 1. Throughput: a seeded outbox, drained by three workers. */
async function throughput({
  clients,
  platformToken,
  receiver,
  hookUrl,
  dbUrl,
  ...run
}: WebhookRun) {
  const seeded = await clients[0].createBusiness(platformToken, 'seeded');
  const endpointId = await registerEndpoint(clients[0], seeded, hookUrl);
  const before = receiver.arrivals;
  const connectionsBefore = receiver.connections;
  // Workers start on the first rows while the rest are written: the clock starts before them.
  const seededAt = performance.now();
  await seedOutbox(dbUrl, seeded.businessId, endpointId, MESSAGES);
  while (receiver.firstSeen.size < MESSAGES && performance.now() - seededAt < 300_000) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const seen = [...receiver.firstSeen.values()].filter((t) => t >= seededAt).sort((x, y) => x - y);
  const drainSeconds = (seen[seen.length - 1] - seen[0]) / 1000;
  const perSecond = seen.length / drainSeconds;
  run.results.throughput = {
    messages: seen.length,
    seconds: drainSeconds,
    perSecond,
    arrivals: receiver.arrivals - before,
    connections: receiver.connections - connectionsBefore,
  };
  run.report([
    `delivery, ${seen.length} seeded messages, 3 instances`,
    `${round(perSecond, 0)} deliveries/s (${round(drainSeconds)} s, ` +
      `${receiver.connections - connectionsBefore} connections)`,
    `≥ ${GOALS.deliveriesPerSecond}/s`,
    judged(perSecond >= GOALS.deliveriesPerSecond),
  ]);
}

/** 2. Commit to first attempt: one revocation at a time, through each instance in turn. */
async function latency({ clients, platformToken, receiver, hookUrl, results, report }: WebhookRun) {
  const timed = await clients[0].createBusiness(platformToken, 'timed');
  await registerEndpoint(clients[0], timed, hookUrl);
  const tokens = await clients[0].createTokens(timed, LATENCY_SAMPLES, 8, 'timed');
  const latencies: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const res = await clients[i % 3].revokeToken(timed, tokens[i].id);
    const committed = performance.now();
    if (res.status !== 201) throw new Error(`revoke: ${res.status}`);
    const deadline = committed + 10_000;
    while (!receiver.byTarget.has(tokens[i].id) && performance.now() < deadline) {
      await new Promise((r) => setImmediate(r));
    }
    latencies.push((receiver.byTarget.get(tokens[i].id) ?? Infinity) - committed);
  }
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  results.firstAttempt = { samples: latencies.length, p50, p99 };
  report([
    `commit to first attempt (${latencies.length} revocations)`,
    `p50 ${round(p50)} ms, p99 ${round(p99)} ms`,
    `p99 ≤ ${GOALS.firstAttemptP99Ms} ms`,
    judged(p99 <= GOALS.firstAttemptP99Ms),
  ]);
}

/** 2b. A hostile neighbour: B's deliveries while D's receivers hang. */
async function hostile({ clients, platformToken, hookUrl, receiver, ...run }: WebhookRun) {
  const hostile = await hostileNeighbour(clients, platformToken, hookUrl, receiver);
  run.results.hostileNeighbour = hostile;
  const late = hostile.late > 0 ? `, ${hostile.late} not within ${HOSTILE.waitMs / 1000} s` : '';
  run.report([
    `hostile neighbour: B's ${hostile.samples} token.created, commit to delivery, while D's ` +
      `${HOSTILE.endpoints} endpoints hang (${hostile.deadConnections} connections held, at ` +
      `most ${hostile.deadPeakPerEndpoint} at once to one)`,
    `p50 ${round(hostile.p50)} ms, p99 ${round(hostile.p99)} ms${late}`,
    `p99 ≤ ${GOALS.hostileNeighbourP99Ms} ms`,
    judged(hostile.p99 <= GOALS.hostileNeighbourP99Ms),
  ]);
}

/** Revocations/s in `hooked` (with an endpoint) and in `plain`, PASSES times alternated. */
async function passes(
  client: LatchkeyClient,
  label: string,
  hooked: BusinessSetup,
  plain: BusinessSetup,
) {
  const runs = { with: [] as number[], without: [] as number[] };
  for (let pass = 0; pass < PASSES; pass++) {
    const withTokens = await client.createTokens(hooked, REVOCATIONS, 8, `${label}w${pass}`);
    const withoutTokens = await client.createTokens(plain, REVOCATIONS, 8, `${label}p${pass}`);
    // Which goes first alternates too, so neither always runs on a machine the other warmed.
    if (pass % 2 === 0) {
      runs.with.push(await revokeAll(client, hooked, withTokens));
      runs.without.push(await revokeAll(client, plain, withoutTokens));
    } else {
      runs.without.push(await revokeAll(client, plain, withoutTokens));
      runs.with.push(await revokeAll(client, hooked, withTokens));
    }
  }
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  return { ...runs, withMedian: med(runs.with), withoutMedian: med(runs.without) };
}

type Passes = Awaited<ReturnType<typeof passes>>;

/** The two rate rows of one setting (`where`: who delivers meanwhile). */
function reportPasses(report: WebhookRun['report'], where: string, p: Passes): void {
  const runsText = (xs: number[]) => xs.map((r) => round(r, 0)).join(', ');
  for (const [side, median, list] of [
    ['with an endpoint', p.withMedian, p.with],
    ['no endpoint', p.withoutMedian, p.without],
  ] as const) {
    report([
      `revocations/s, ${REVOKERS} callers, ${side}, ${where}`,
      `${round(median, 0)} (runs: ${runsText(list)})`,
      '(reported)',
      '',
    ]);
  }
}

/**
 * 3. The outbox's cost: revocations in a business with an endpoint against one without, first
 * with the three workers delivering on the same two cores (what a revocation meets on a busy
 * machine), then on an instance that only queues (WEBHOOK_DELIVERY=false; the others stopped, so
 * nothing delivers): the cost of the outbox write alone, which the goal is for.
 */
async function cost(run: WebhookRun): Promise<void> {
  const { clients, platformToken, hookUrl, instances, report } = run;
  const hooked = await clients[0].createBusiness(platformToken, 'hooked');
  await registerEndpoint(clients[0], hooked, hookUrl);
  const plain = await clients[0].createBusiness(platformToken, 'plain');
  const delivering = await passes(clients[0], 'd', hooked, plain);
  const deliveringCost = 1 - delivering.withMedian / delivering.withoutMedian;
  reportPasses(report, '3 workers delivering', delivering);
  const together = 'outbox and delivery together: what a revocation loses on the same cores';
  report([together, `${round(deliveringCost * 100, 1)}%`, '(reported)', '']);

  await stopAll(instances.splice(0).map((i) => i.child));
  const queuing = await startAppProcess({
    name: 'Q',
    env: { ...run.env, WEBHOOK_DELIVERY: 'false' },
  });
  instances.push(queuing);
  const writeOnly = await passes(new LatchkeyClient(queuing.url), 'q', hooked, plain);
  const cost = 1 - writeOnly.withMedian / writeOnly.withoutMedian;
  run.results.revocations = { delivering, deliveringCost, writeOnly, cost };
  reportPasses(report, 'nothing delivering', writeOnly);
  report([
    'what the outbox costs a revocation (its write alone)',
    `${round(cost * 100, 1)}%`,
    `≤ ${GOALS.outboxCost * 100}%`,
    judged(cost <= GOALS.outboxCost),
  ]);
}

function appEnv(dbUrl: string, keyPrefix: string): Record<string, string> {
  return {
    DATABASE_URL: dbUrl,
    REDIS_URL,
    REDIS_KEY_PREFIX: keyPrefix,
    LOG_LEVEL: 'warn',
    AUDIT_SIGNING_KEY: SHARED_KEYS_ENV.AUDIT_SIGNING_KEY,
    JWT_SIGNING_KEYS: SHARED_KEYS_ENV.JWT_SIGNING_KEYS,
    WEBHOOK_SECRETS_KEY: Buffer.alloc(32, 9).toString('base64'),
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_ALLOW_HTTP: 'true',
    WEBHOOK_POLL_MS: '100',
    // To see what the per-endpoint cap costs one busy endpoint: the bench's own override.
    ...(process.env.WEBHOOK_BENCH_MAX_IN_FLIGHT
      ? { WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT: process.env.WEBHOOK_BENCH_MAX_IN_FLIGHT }
      : {}),
    ...RATE_LIMITS_OFF,
  };
}

/** Starts A, then B and C; runs the sections ONLY names; prints the table. */
async function runSections(
  base: Pick<WebhookRun, 'env' | 'dbUrl' | 'instances' | 'receiver' | 'hookUrl'>,
  machine: ReturnType<typeof describeMachine>,
): Promise<void> {
  const { env, instances } = base;
  instances.push(await startAppProcess({ name: 'A', env }));
  instances.push(...(await Promise.all(['B', 'C'].map((name) => startAppProcess({ name, env })))));
  const rows: string[][] = [];
  const run: WebhookRun = {
    ...base,
    clients: instances.map((i) => new LatchkeyClient(i.url)),
    platformToken: instances[0].platformToken ?? '',
    results: { machine, instances: instances.length },
    report: (row) => {
      rows.push(row);
      process.stdout.write(`  ${row[0]}: ${row[1]}\n`);
    },
  };
  if (ONLY.has('throughput')) await throughput(run);
  if (ONLY.has('latency')) await latency(run);
  if (ONLY.has('hostile')) await hostile(run);
  if (!ONLY.has('cost')) {
    process.stdout.write(`${renderTable(['measure', 'figure', 'goal', ''], rows)}\n`);
    return;
  }
  await cost(run);
  process.stdout.write(`${renderTable(['measure', 'figure', 'goal', ''], rows)}\n`);
  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'webhooks-latest.json'), `${JSON.stringify(run.results, null, 2)}\n`);
}

async function main(): Promise<void> {
  const machine = describeMachine();
  process.stdout.write(`Webhook benchmark (${machineLine(machine)})\n`);
  const receiver = startReceiver();
  const hookUrl = await receiver.listen();
  const db = await createScratchDatabase(SERVER_URL, 'latchkey_webhook_bench');
  const keyPrefix = randomKeyPrefix('latchkey_webhook_bench');
  const env = appEnv(db.url, keyPrefix);
  const instances: AppProcess[] = [];
  try {
    await runSections({ env, dbUrl: db.url, instances, receiver, hookUrl }, machine);
  } finally {
    keepAliveAgent.destroy();
    await stopAll(instances.map((i) => i.child));
    await db.drop();
    await deleteKeysWithPrefix(REDIS_URL, keyPrefix).catch(() => undefined);
    await receiver.close();
  }
}

runBench('bench:webhooks', main);
