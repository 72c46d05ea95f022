/**
 * `npm run bench:webhooks`: webhook delivery with three instances on one PostgreSQL and Redis,
 * to a receiver in this process on 127.0.0.1. Prints:
 * - delivery throughput: an outbox of WEBHOOK_BENCH_MESSAGES pending messages is written around
 *   the servers (as the audit bench seeds events), and the receiver times the first to the last;
 * - commit-to-first-attempt: revocations one after another, each timed from its 201 (after its
 *   commit) to the receiver's first sight of its message;
 * - a hostile neighbour: business D has 20 endpoints whose receivers accept the connection and
 *   never answer, and creates 100 tokens; then business B creates 50, one after another, each
 *   timed from its 201 to the receiver's first sight of its `token.created`;
 * - what the outbox costs a revocation: revocations/s by concurrent callers in a business with an
 *   endpoint against one without, alternated three times; first while the three workers deliver
 *   on the same cores, then on one instance that only queues (WEBHOOK_DELIVERY=false): what the
 *   messages cost (a business with no endpoint pays the outbox's one statement too, which writes
 *   nothing; docs/performance.md says how it was measured against no outbox at all).
 * Figures, not assertions. Results also go to bench/results/webhooks-latest.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AppProcess, RATE_LIMITS_OFF, REPO_ROOT, startAppProcess } from '../support/app-process';
import { stopAll } from '../support/child';
import { HangingReceiver } from '../support/hanging-receiver';
import { SHARED_KEYS_ENV } from '../support/keys';
import { keepAliveAgent } from '../support/http';
import { BusinessSetup, IssuedToken, LatchkeyClient, scoped } from '../support/latchkey-client';
import { createScratchDatabase, withClient } from '../support/postgres';
import { deleteKeysWithPrefix, randomKeyPrefix } from '../support/redis';
import { percentile, round, sleep } from '../support/stats';
import { describeMachine, machineLine } from './lib/machine';
import { renderTable } from './lib/table';

const SERVER_URL =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const MESSAGES = Number(process.env.WEBHOOK_BENCH_MESSAGES ?? 10_000);
const LATENCY_SAMPLES = 300;
const REVOKERS = 20;
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

/** The hostile neighbour: D's dead endpoints (a business's most) and tokens, B's tokens. */
const HOSTILE = { endpoints: 20, tokens: 100, neighbourTokens: 50, gapMs: 50, waitMs: 180_000 };

/** The receiver: answers 204 at once and notes when each webhook-id first arrived. */
function startReceiver() {
  const firstSeen = new Map<string, number>();
  const byTarget = new Map<string, number>();
  let arrivals = 0;
  let connections = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = performance.now();
      arrivals++;
      const id = String(req.headers['webhook-id']);
      if (!firstSeen.has(id)) {
        firstSeen.set(id, now);
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            data?: { target?: { id?: string } };
          };
          const target = body.data?.target?.id;
          if (target && !byTarget.has(target)) byTarget.set(target, now);
        } catch {
          // a seeded message's body: only its id matters
        }
      }
      res.writeHead(204).end();
    });
  });
  server.on('connection', () => connections++);
  return {
    firstSeen,
    byTarget,
    get arrivals() {
      return arrivals;
    },
    /** Connections opened to the receiver so far: kept-alive ones are counted once. */
    get connections() {
      return connections;
    },
    listen: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () =>
          resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`),
        ),
      ),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function registerEndpoint(
  client: LatchkeyClient,
  owner: BusinessSetup,
  url: string,
  eventTypes = ['token.revoked'],
) {
  const res = await client.request<{ data: { id: string } }>('POST', '/api/v1/webhooks', {
    headers: scoped(owner.ownerToken, owner.businessId),
    body: { url, event_types: eventTypes },
  });
  if (res.status !== 201) throw new Error(`register endpoint: ${res.status}`);
  return res.body.data.id;
}

/** Writes `count` due messages for one endpoint straight into the outbox, around the servers. */
async function seedOutbox(url: string, chainId: string, endpointId: string, count: number) {
  const now = new Date();
  await withClient(url, async (pg) => {
    for (let done = 0; done < count; done += 1_000) {
      const n = Math.min(1_000, count - done);
      const ids = Array.from({ length: n }, () => `msg_${randomUUID().replace(/-/g, '')}`);
      await pg.query(
        `INSERT INTO webhook_messages (id, endpoint_id, chain_id, event_type, payload, status, attempts, next_attempt_at, created_at)
         SELECT id, $2, $3, 'webhook.test', '{"type":"webhook.test","timestamp":"' || $4 || '","data":{}}', 'pending', 0, $5, $5
         FROM unnest($1::text[]) AS id`,
        [ids, endpointId, chainId, now.toISOString(), now],
      );
    }
  });
}

async function revokeAll(client: LatchkeyClient, owner: BusinessSetup, tokens: IssuedToken[]) {
  let next = 0;
  let done = 0;
  let refused = 0;
  const began = performance.now();
  const worker = async () => {
    while (next < tokens.length) {
      const token = tokens[next++];
      const res = await client.request('POST', `/api/v1/tokens/${token.id}/revoke`, {
        headers: scoped(owner.ownerToken, owner.businessId),
        body: { reason: 'bench' },
        agent: keepAliveAgent,
      });
      if (res.status === 201) done++;
      else refused++;
    }
  };
  await Promise.all(Array.from({ length: REVOKERS }, worker));
  if (refused > 0) process.stdout.write(`  (${refused} revocations refused, e.g. 503)\n`);
  return done / ((performance.now() - began) / 1000);
}

/**
 * Section 2b: B's commit-to-delivery while D's receivers hang. D's messages are queued first, so
 * they are older than each of B's; D's endpoints are deleted at the end (their messages die) and
 * their receivers drop what they hold, so the sections after it do not meet them.
 */
async function hostileNeighbour(
  clients: LatchkeyClient[],
  platformToken: string,
  hookUrl: string,
  receiver: ReturnType<typeof startReceiver>,
) {
  const hanging = await Promise.all(
    Array.from({ length: HOSTILE.endpoints }, () => new HangingReceiver().start()),
  );
  try {
    const d = await clients[0].createBusiness(platformToken, 'hostile');
    const dead: string[] = [];
    for (const h of hanging)
      dead.push(await registerEndpoint(clients[0], d, h.url, ['token.created']));
    const b = await clients[0].createBusiness(platformToken, 'neighbour');
    await registerEndpoint(clients[0], b, hookUrl, ['token.created']);
    // D's tokens through every instance, so each one's worker is woken with D's messages.
    const share = (i: number) =>
      Math.floor(HOSTILE.tokens / clients.length) + (i < HOSTILE.tokens % clients.length ? 1 : 0);
    await Promise.all(clients.map((c, i) => c.createTokens(d, share(i), 4, `hostile${i}`)));
    const committed = new Map<string, number>();
    for (let i = 0; i < HOSTILE.neighbourTokens; i++) {
      const token = await clients[i % clients.length].createToken(b, `neighbour-${i}`);
      committed.set(token.id, performance.now());
      await sleep(HOSTILE.gapMs);
    }
    const deadline = performance.now() + HOSTILE.waitMs;
    while (
      [...committed.keys()].some((id) => !receiver.byTarget.has(id)) &&
      performance.now() < deadline
    ) {
      await sleep(20);
    }
    const latencies = [...committed].map(
      ([id, at]) => (receiver.byTarget.get(id) ?? Infinity) - at,
    );
    const held = hanging.reduce((n, h) => n + h.accepted, 0);
    const peak = Math.max(...hanging.map((h) => h.peak));
    for (const id of dead) {
      await clients[0].request('DELETE', `/api/v1/webhooks/${id}`, {
        headers: scoped(d.ownerToken, d.businessId),
      });
    }
    return {
      samples: latencies.length,
      late: latencies.filter((l) => l === Infinity).length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      deadConnections: held,
      deadPeakPerEndpoint: peak,
    };
  } finally {
    await Promise.all(hanging.map((h) => h.stop()));
  }
}

async function main(): Promise<void> {
  const machine = describeMachine();
  process.stdout.write(`Webhook benchmark (${machineLine(machine)})\n`);
  const receiver = startReceiver();
  const hookUrl = await receiver.listen();
  const db = await createScratchDatabase(SERVER_URL, 'latchkey_webhook_bench');
  const keyPrefix = randomKeyPrefix('latchkey_webhook_bench');
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL,
    REDIS_KEY_PREFIX: keyPrefix,
    LOG_LEVEL: 'warn',
    AUDIT_SIGNING_KEY: SHARED_KEYS_ENV.AUDIT_SIGNING_KEY,
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
  const instances: AppProcess[] = [];
  try {
    instances.push(await startAppProcess({ name: 'A', env }));
    instances.push(
      ...(await Promise.all(['B', 'C'].map((name) => startAppProcess({ name, env })))),
    );
    const [a] = instances;
    const clients = instances.map((i) => new LatchkeyClient(i.url));
    const rows: string[][] = [];
    const report = (row: string[]) => {
      rows.push(row);
      process.stdout.write(`  ${row[0]}: ${row[1]}\n`);
    };
    const results: Record<string, unknown> = { machine, instances: instances.length };

    if (ONLY.has('throughput')) {
      // 1. Throughput: a seeded outbox, drained by three workers.
      const seeded = await clients[0].createBusiness(a.platformToken ?? '', 'seeded');
      const endpointId = await registerEndpoint(clients[0], seeded, hookUrl);
      const before = receiver.arrivals;
      const connectionsBefore = receiver.connections;
      // Workers start on the first rows while the rest are written: the clock starts before them.
      const seededAt = performance.now();
      await seedOutbox(db.url, seeded.businessId, endpointId, MESSAGES);
      while (receiver.firstSeen.size < MESSAGES && performance.now() - seededAt < 300_000) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const seen = [...receiver.firstSeen.values()]
        .filter((t) => t >= seededAt)
        .sort((x, y) => x - y);
      const drainSeconds = (seen[seen.length - 1] - seen[0]) / 1000;
      const perSecond = seen.length / drainSeconds;
      results.throughput = {
        messages: seen.length,
        seconds: drainSeconds,
        perSecond,
        arrivals: receiver.arrivals - before,
        connections: receiver.connections - connectionsBefore,
      };
      report([
        `delivery, ${seen.length} seeded messages, 3 instances`,
        `${round(perSecond, 0)} deliveries/s (${round(drainSeconds)} s, ` +
          `${receiver.connections - connectionsBefore} connections)`,
        `≥ ${GOALS.deliveriesPerSecond}/s`,
        perSecond >= GOALS.deliveriesPerSecond ? 'met' : 'missed',
      ]);
    }

    if (ONLY.has('latency')) {
      // 2. Commit to first attempt: one revocation at a time, through each instance in turn.
      const timed = await clients[0].createBusiness(a.platformToken ?? '', 'timed');
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
        p99 <= GOALS.firstAttemptP99Ms ? 'met' : 'missed',
      ]);
    }

    if (ONLY.has('hostile')) {
      // 2b. A hostile neighbour: B's deliveries while D's receivers hang.
      const hostile = await hostileNeighbour(clients, a.platformToken ?? '', hookUrl, receiver);
      results.hostileNeighbour = hostile;
      const late =
        hostile.late > 0 ? `, ${hostile.late} not within ${HOSTILE.waitMs / 1000} s` : '';
      report([
        `hostile neighbour: B's ${hostile.samples} token.created, commit to delivery, while D's ` +
          `${HOSTILE.endpoints} endpoints hang (${hostile.deadConnections} connections held, at ` +
          `most ${hostile.deadPeakPerEndpoint} at once to one)`,
        `p50 ${round(hostile.p50)} ms, p99 ${round(hostile.p99)} ms${late}`,
        `p99 ≤ ${GOALS.hostileNeighbourP99Ms} ms`,
        hostile.p99 <= GOALS.hostileNeighbourP99Ms ? 'met' : 'missed',
      ]);
    }

    if (!ONLY.has('cost')) {
      process.stdout.write(`${renderTable(['measure', 'figure', 'goal', ''], rows)}\n`);
      return;
    }

    // 3. The outbox's cost: revocations in a business with an endpoint against one without,
    // first with the three workers delivering on the same two cores (what a revocation meets on
    // a busy machine), then on an instance that only queues (WEBHOOK_DELIVERY=false; the others
    // stopped, so nothing delivers): the cost of the outbox write alone, which the goal is for.
    const hooked = await clients[0].createBusiness(a.platformToken ?? '', 'hooked');
    await registerEndpoint(clients[0], hooked, hookUrl);
    const plain = await clients[0].createBusiness(a.platformToken ?? '', 'plain');
    const passes = async (client: LatchkeyClient, label: string) => {
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
    };
    const runsText = (xs: number[]) => xs.map((r) => round(r, 0)).join(', ');
    const delivering = await passes(clients[0], 'd');
    const deliveringCost = 1 - delivering.withMedian / delivering.withoutMedian;
    report([
      `revocations/s, ${REVOKERS} callers, with an endpoint, 3 workers delivering`,
      `${round(delivering.withMedian, 0)} (runs: ${runsText(delivering.with)})`,
      '(reported)',
      '',
    ]);
    report([
      `revocations/s, ${REVOKERS} callers, no endpoint, 3 workers delivering`,
      `${round(delivering.withoutMedian, 0)} (runs: ${runsText(delivering.without)})`,
      '(reported)',
      '',
    ]);
    report([
      'outbox and delivery together: what a revocation loses on the same cores',
      `${round(deliveringCost * 100, 1)}%`,
      '(reported)',
      '',
    ]);

    await stopAll(instances.splice(0).map((i) => i.child));
    const queuing = await startAppProcess({
      name: 'Q',
      env: { ...env, WEBHOOK_DELIVERY: 'false' },
    });
    instances.push(queuing);
    const writeOnly = await passes(new LatchkeyClient(queuing.url), 'q');
    const cost = 1 - writeOnly.withMedian / writeOnly.withoutMedian;
    results.revocations = { delivering, deliveringCost, writeOnly, cost };
    report([
      `revocations/s, ${REVOKERS} callers, with an endpoint, nothing delivering`,
      `${round(writeOnly.withMedian, 0)} (runs: ${runsText(writeOnly.with)})`,
      '(reported)',
      '',
    ]);
    report([
      `revocations/s, ${REVOKERS} callers, no endpoint, nothing delivering`,
      `${round(writeOnly.withoutMedian, 0)} (runs: ${runsText(writeOnly.without)})`,
      '(reported)',
      '',
    ]);
    report([
      'what the outbox costs a revocation (its write alone)',
      `${round(cost * 100, 1)}%`,
      `≤ ${GOALS.outboxCost * 100}%`,
      cost <= GOALS.outboxCost ? 'met' : 'missed',
    ]);

    process.stdout.write(`${renderTable(['measure', 'figure', 'goal', ''], rows)}\n`);
    const dir = join(REPO_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'webhooks-latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  } finally {
    keepAliveAgent.destroy();
    await stopAll(instances.map((i) => i.child));
    await db.drop();
    await deleteKeysWithPrefix(REDIS_URL, keyPrefix).catch(() => undefined);
    await receiver.close();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
