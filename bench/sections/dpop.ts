/**
 * DPoP (RFC 9449) on the gateway check: `GET /auth/verify` with a DPoP-bound token and a fresh
 * proof per request ÷ the same check with a bearer token, on an instance of its own that trusts
 * loopback as its gateway (TRUST_PROXY), its replay cache in Redis; then ES256 again on one
 * without Redis (its replay cache in memory). Proofs are signed before the clock starts, as many
 * as the last bearer run's rate × the run's length × 1.2, and each is sent once, in order; a run
 * with any non-2xx answer stops the bench. Bearer runs come before and after each DPoP run, and
 * the ratio is against their mean; each run also gives the server's CPU a request. Then one
 * signature check's CPU in this process against a bearer request's, the floor of the ratio; and
 * what the replay cache holds at 10,000 proofs a second for its 120 s: in this process's memory
 * (after a full collection) and, when it is quick enough, in Redis (INFO memory's used_memory).
 */
import { generateKeyPairSync, randomBytes, randomUUID, sign, verify } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import autocannon from 'autocannon';
import Redis from 'ioredis';
import { MemoryDpopReplayCache, RedisDpopReplayCache } from '../../src/auth/dpop/dpop-replay';
import type { AppProcess } from '../../test/harness/app-process';
import { dpopKey, dpopProof, type DpopKey } from '../../test/harness/app/dpop';
import { LatchkeyClient, type BusinessSetup } from '../../test/harness/latchkey-client';
import { deleteKeysWithPrefix } from '../../test/harness/servers/redis';
import { mean, round } from '../../test/harness/stats';
import type { StartApp } from '../lib/alternated';
import { figure, leftToFullBench, log, raw } from '../lib/figures';
import type { LoadRun } from '../lib/load';
import { cpuMicros } from '../lib/process-cpu';
import { CONNECTIONS, DURATION_S, QUICK, REDIS_URL, WARMUP_S } from '../lib/run-settings';

/** The client's request as an nginx `auth_request` tells it; a proof names it as `htu`. */
const GATEWAY = {
  'x-original-method': 'GET',
  'x-original-uri': '/orders/1',
  'x-forwarded-host': 'api.example.com',
  'x-forwarded-proto': 'https',
};
const HTU = 'https://api.example.com/orders/1';
const GOAL = 0.4;
/** Signing stops in time for the first proof to be within the 60 s iat window at the run's end. */
const SIGNING_BOUND_MS = Math.max(5, Math.min(40, 50 - DURATION_S)) * 1000;
const WARMUP_PROOFS = QUICK ? 1_000 : 5_000;
const ALGS = QUICK ? (['ES256'] as const) : (['ES256', 'EdDSA'] as const);
/** 10,000 proofs a second for the 120 s a claim is kept (2 × the 60 s iat window). */
const CLAIMS = QUICK ? 100_000 : 1_200_000;
const CLAIM_TTL_MS = 120_000;
const CLIENT_KEYS = 1_000;
const REDIS_BOUND_MS = 60_000;
const MiB = 1024 * 1024;

type Headers = Record<string, string>;
/** A run with the server's CPU (all its threads, from /proc) a request, in µs. */
type VerifyRun = LoadRun & { cpu_us: number };

/** One autocannon run against /auth/verify, each request's headers from `next` (both sides alike). */
async function verifyRun(
  app: AppProcess,
  target: string,
  next: () => Headers,
  length: { duration: number } | { amount: number },
): Promise<VerifyRun> {
  const cpuBefore = cpuMicros(app.child.pid);
  const result = await autocannon({
    url: `${app.url}/auth/verify`,
    connections: CONNECTIONS,
    ...length,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, headers: next() }) }],
  });
  const run = {
    path: '/auth/verify',
    target,
    rps: round(result.requests.average, 0),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    requests: result.requests.total,
    cpu_us: round((cpuMicros(app.child.pid) - cpuBefore) / result.requests.total, 1),
  };
  log(
    `  dpop ${target}: ${run.rps} req/s, p50 ${run.p50_ms} ms, p99 ${run.p99_ms} ms, ` +
      `${run.cpu_us} µs of server CPU a request`,
  );
  if (run.non2xx > 0 || run.errors > 0) {
    const what = `dpop ${target}: ${run.non2xx} non-2xx answers and ${run.errors} errors`;
    process.stdout.write(`\n${what}\n`);
    throw new Error(`${what}: the figure would count refusals`);
  }
  return run;
}

/** `count` proofs of `key` for the gateway's request with `token`, signed now, in order. */
async function signProofs(key: DpopKey, token: string, count: number): Promise<string[]> {
  const started = performance.now();
  const proofs: string[] = [];
  while (proofs.length < count && performance.now() - started < SIGNING_BOUND_MS) {
    proofs.push(await dpopProof(key, { method: 'GET', url: HTU, token }));
  }
  const seconds = (performance.now() - started) / 1000;
  log(`dpop: ${proofs.length} ${key.alg} proofs signed in ${round(seconds)} s`);
  return proofs;
}

/** Each proof once, in order; when they run out, the last again, a replay the run refuses. */
function proofHeaders(token: string, proofs: string[]): () => Headers {
  let next = 0;
  return () => ({
    ...GATEWAY,
    authorization: `DPoP ${token}`,
    dpop: proofs[Math.min(next++, proofs.length - 1)],
  });
}

/**
 * The bearer runs around each DPoP run of `algs`, and each DPoP run against their mean, with the
 * replay cache where `replay` says.
 */
async function verifyRatios(
  app: AppProcess,
  a: AppProcess,
  owner: BusinessSetup,
  replay: string,
  algs: readonly ('ES256' | 'EdDSA')[],
) {
  const client = new LatchkeyClient(a.url);
  const plain = await client.createToken(owner, `dpop-bench-bearer-${app.name}`);
  const bearerHeaders = { ...GATEWAY, authorization: `Bearer ${plain.token}` };
  const bearer = () => verifyRun(app, 'bearer', () => bearerHeaders, { duration: DURATION_S });
  await verifyRun(app, 'bearer warm-up', () => bearerHeaders, { duration: WARMUP_S });
  const bearerRuns = [await bearer()];
  const bound: Record<string, { run: VerifyRun; ratio: number; proofs: number }> = {};
  for (const alg of algs) {
    const key = await dpopKey(alg);
    const name = `dpop-bench-${alg}-${app.name}`;
    const token = (await client.createToken(owner, name, { dpop_jkt: key.jkt })).token;
    const warm = await signProofs(key, token, WARMUP_PROOFS);
    await verifyRun(app, `${alg} warm-up`, proofHeaders(token, warm), { amount: warm.length });
    const last = bearerRuns[bearerRuns.length - 1].rps;
    const proofs = await signProofs(key, token, Math.ceil(last * DURATION_S * 1.2));
    const run = await verifyRun(app, `DPoP ${alg}`, proofHeaders(token, proofs), {
      duration: DURATION_S,
    });
    bearerRuns.push(await bearer());
    const around = bearerRuns.slice(-2);
    const rps = mean(around.map((r) => r.rps));
    const cpu = mean(around.map((r) => r.cpu_us));
    bound[alg] = { run, ratio: run.rps / rps, proofs: proofs.length };
    figure(
      `dpop: /auth/verify with a DPoP-bound token (${alg}, replay cache ${replay}) ÷ bearer`,
      `${round(run.rps / rps)} (${round(run.rps, 0)} vs ${round(rps, 0)} req/s; ` +
        `${round(run.cpu_us, 0)} vs ${round(cpu, 0)} µs of server CPU a request)`,
      `≥ ${GOAL}`,
      run.rps / rps >= GOAL,
    );
  }
  return { bearer: bearerRuns, bound };
}

/**
 * The floor under the ratio: one signature check (node:crypto on an imported key, as the app
 * makes it) in µs of this process's CPU, ES256 and Ed25519, against a bearer request's server CPU.
 */
function signatureFloor(bearerCpuUs: number) {
  const data = randomBytes(600);
  const keys = {
    ES256: { digest: 'sha256', ...generateKeyPairSync('ec', { namedCurve: 'P-256' }) },
    Ed25519: { digest: null, ...generateKeyPairSync('ed25519') },
  };
  const floor: Record<string, number> = {};
  for (const [alg, { digest, publicKey, privateKey }] of Object.entries(keys)) {
    const encoding = { dsaEncoding: 'ieee-p1363' } as const;
    const signature = sign(digest, data, { key: privateKey, ...encoding });
    const checks = QUICK ? 2_000 : 20_000;
    const before = process.cpuUsage();
    for (let i = 0; i < checks; i++)
      verify(digest, data, { key: publicKey, ...encoding }, signature);
    const used = process.cpuUsage(before);
    floor[alg] = (used.user + used.system) / checks;
  }
  figure(
    'dpop: one signature check (ES256; Ed25519) ÷ a bearer /auth/verify, in CPU',
    `${round(floor.ES256 / bearerCpuUs)}; ${round(floor.Ed25519 / bearerCpuUs)} ` +
      `(${round(floor.ES256, 0)}; ${round(floor.Ed25519, 0)} vs ${round(bearerCpuUs, 0)} µs)`,
    '(information)',
    null,
  );
  return { ...floor, bearer_cpu_us: bearerCpuUs };
}

/** V8's collector, exposed at run time when node was started without --expose-gc. */
function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Heap and array buffers (lru-cache's typed arrays live outside the heap) after a full GC. */
function heldBytes(gc: () => void): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** Claims as clients make them: a thumbprint among CLIENT_KEYS (43 characters) and a uuid. */
function claimMaker(): () => [string, string] {
  const jkts = Array.from({ length: CLIENT_KEYS }, () => randomBytes(32).toString('base64url'));
  let i = 0;
  return () => [jkts[i++ % CLIENT_KEYS], randomUUID()];
}

async function memoryCache() {
  const gc = collector();
  const before = heldBytes(gc);
  const cache = new MemoryDpopReplayCache(CLAIMS);
  const empty = heldBytes(gc);
  const claim = claimMaker();
  const started = performance.now();
  for (let i = 0; i < CLAIMS; i++) {
    const [jkt, jti] = claim();
    if (!(await cache.claim(jkt, jti, CLAIM_TTL_MS))) throw new Error('dpop: a claim repeated');
  }
  const seconds = (performance.now() - started) / 1000;
  const full = heldBytes(gc);
  if (cache.size !== CLAIMS) throw new Error(`dpop: the cache holds ${cache.size} claims`);
  const perClaim = (full - before) / CLAIMS;
  figure(
    `dpop: replay cache in memory, ${CLAIMS.toLocaleString('en')} claims` +
      (QUICK ? ' (1,200,000 projected)' : ' (10,000/s for 120 s)'),
    `${round(((full - before) / MiB) * (1_200_000 / CLAIMS), 1)} MiB, ${round(perClaim, 0)} B ` +
      `a claim (${round((empty - before) / MiB, 1)} MiB of it the empty cache's); ` +
      `${round(CLAIMS / seconds / 1000, 0)}k claims/s`,
    '(information)',
    null,
  );
  return { claims: CLAIMS, held_mib: round((full - before) / MiB, 1), per_claim_b: perClaim };
}

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
}

/** The same claims through Redis (SET NX PX), 5,000 in flight; skipped when it would take > 60 s. */
async function redisCache(prefix: string) {
  const redis = new Redis(REDIS_URL);
  const keyPrefix = `${prefix}dpop-bench:`;
  try {
    const cache = new RedisDpopReplayCache(redis, keyPrefix);
    const claim = claimMaker();
    const before = await usedMemory(redis);
    const started = performance.now();
    for (let done = 0; done < CLAIMS;) {
      const batch = Math.min(5_000, CLAIMS - done);
      await Promise.all(Array.from({ length: batch }, () => cache.claim(...claim(), CLAIM_TTL_MS)));
      done += batch;
      const projected = ((performance.now() - started) / done) * CLAIMS;
      if (done >= CLAIMS / 20 && projected > REDIS_BOUND_MS) {
        const why = `Redis took ${round(projected / 1000)} s for them at its pace`;
        figure(`dpop: replay cache in Redis`, `not measured: ${why}`, '(information)', null);
        return { skipped: why };
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const grown = (await usedMemory(redis)) - before;
    figure(
      `dpop: replay cache in Redis, ${CLAIMS.toLocaleString('en')} keys (used_memory)`,
      `+${round(grown / MiB, 1)} MiB, ${round(grown / CLAIMS, 0)} B a key; ` +
        `${round(CLAIMS / seconds / 1000, 0)}k claims/s`,
      '(information)',
      null,
    );
    return { keys: CLAIMS, used_memory_mib: round(grown / MiB, 1), seconds: round(seconds) };
  } finally {
    await deleteKeysWithPrefix(REDIS_URL, keyPrefix);
    redis.disconnect();
  }
}

/** The ratio again on an instance without Redis, its replay cache in memory (the full bench's). */
async function inMemoryRatio(
  a: AppProcess,
  owner: BusinessSetup,
  pgEnv: Record<string, string>,
  start: StartApp,
  gateway: Record<string, string>,
) {
  log(`dpop: the same on A's database without Redis (the replay cache in memory)`);
  const noRedis = Object.entries(pgEnv).filter(([name]) => !name.startsWith('REDIS_'));
  const alone = await start('DPOP-MEMORY', { ...Object.fromEntries(noRedis), ...gateway });
  return verifyRatios(alone, a, owner, 'in memory', ['ES256']).finally(() => alone.stop());
}

export async function dpopCost(
  a: AppProcess,
  owner: BusinessSetup,
  pgEnv: Record<string, string>,
  start: StartApp,
) {
  // Gates nothing, and takes about 20 s: CI's quick run leaves it to the full bench.
  const name = 'dpop: /auth/verify with a DPoP-bound token (ES256, replay cache in Redis) ÷ bearer';
  if (leftToFullBench(name, `≥ ${GOAL}`)) return;
  const gateway = { TRUST_PROXY: '127.0.0.1' };
  log(`dpop: an instance that trusts 127.0.0.1 as its gateway, on A's database and Redis`);
  const app = await start('DPOP', { ...pgEnv, ...gateway });
  const inRedis = await verifyRatios(app, a, owner, 'in Redis', ALGS).finally(() => app.stop());
  const inMemory = await inMemoryRatio(a, owner, pgEnv, start, gateway);
  const floor = signatureFloor(mean(inRedis.bearer.map((r) => r.cpu_us)));
  raw.dpop = { verify: inRedis, verify_memory: inMemory, floor };
  log(`dpop: the replay cache, ${CLAIMS} claims in memory, then in Redis`);
  const memory = await memoryCache();
  raw.dpop = { ...(raw.dpop as object), memory, redis: await redisCache(pgEnv.REDIS_KEY_PREFIX) };
}
