/**
 * `npm run bench:federation` (and a row of `npm run bench`): the RFC 8693 exchange on SQLite,
 * with the issuer's key set fetched once and then cached, against its goals: p99 of one
 * exchange at most 20 ms, and at least 500 exchanges a second. The built app runs as a process
 * with every limit off; the JWKS is served on loopback (FEDERATION_JWKS_ALLOW_PRIVATE, as the
 * tests do), and every JWT (RS256, GitHub-shaped, each with its own jti) is signed before the
 * clock starts, so only the server's work is timed. `--quick` takes short runs;
 * BENCH_CPU_PROFILE=<dir> writes the server's CPU profile there (`node --cpu-prof`).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import {
  APP_ENTRY,
  AppProcess,
  RATE_LIMITS_OFF,
  startAppProcess,
} from '../test/harness/app-process';
import { percentile, round } from '../test/harness/stats';
import { cpuMicros } from './lib/process-cpu';
import { perThousand, preparedSoFar } from './sections/sqlite';

const QUICK = process.argv.includes('--quick');
const LATENCY_SAMPLES = QUICK ? 200 : 1000;
const DURATION_S = Number(process.env.BENCH_DURATION_S || (QUICK ? 2 : 5));
const CONCURRENCY = 16;
const ISSUER = 'https://token.actions.githubusercontent.com';
const AUDIENCE = 'https://github.com/acme';

export interface FederationFigures {
  p50_ms: number;
  p99_ms: number;
  exchanges_per_s: number;
  /** The server's CPU per exchange, and per plain `POST /api/v1/tokens` on the same instance. */
  cpu_ms_per_exchange: number;
  cpu_ms_per_creation: number;
  /** SQL statements the server prepared per 1,000 exchanges, and per 1,000 plain creations, once warm (`perThousand`). */
  prepared_per_1000_exchanges: string;
  prepared_per_1000_creations: string;
}

async function post(url: string, init: RequestInit): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.json() };
}

/** The issuer's key set on loopback, counting how often it is fetched. */
async function serveKeySet(jwks: string) {
  let fetches = 0;
  const keys = createServer((_, res) => {
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
  });
  await new Promise<void>((resolve) => keys.listen(0, '127.0.0.1', resolve));
  return {
    port: (keys.address() as AddressInfo).port,
    fetches: () => fetches,
    close: () => keys.close(),
  };
}

/** The built app on SQLite in `dir`, with every limit off and a loopback key set allowed. */
function startFederationApp(dir: string) {
  return startAppProcess({
    name: 'bench-federation',
    ...(process.env.BENCH_CPU_PROFILE
      ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`, APP_ENTRY] }
      : {}),
    env: {
      SQLITE_PATH: join(dir, 'bench.sqlite'),
      LOG_LEVEL: 'warn',
      ...RATE_LIMITS_OFF,
      RATE_LIMIT_FEDERATION_IDENTITY_PER_MINUTE: '0',
      // The plain creations measured beside the exchanges, all by the owner.
      MAX_ACTIVE_TOKENS_PER_IDENTITY: '0',
      RATE_LIMIT_FEDERATION_ISSUER_PER_MINUTE: '0',
      FEDERATION_JWKS_ALLOW_PRIVATE: 'true',
      FEDERATION_JWKS_ALLOW_HTTP: 'true',
    },
  });
}

/** A business with a machine identity that trusts the issuer's JWTs; answers it and its owner's token. */
async function trustIssuer(
  app: AppProcess,
  keysPort: number,
): Promise<{ biz: string; owner: string }> {
  const json = (token: string, biz?: string) => ({
    'content-type': 'application/json',
    authorization: `Bearer ${token}`,
    ...(biz ? { 'x-business-id': biz } : {}),
  });
  const made = await post(`${app.url}/platform/v1/businesses`, {
    method: 'POST',
    headers: json(app.platformToken!),
    body: JSON.stringify({ name: 'bench', owner_email: 'owner@bench.test' }),
  });
  const data = (made.body as { data: { business: { id: string }; first_token: { token: string } } })
    .data;
  const biz = data.business.id;
  const owner = data.first_token.token;
  const machine = await post(`${app.url}/api/v1/machine-identities`, {
    method: 'POST',
    headers: json(owner, biz),
    body: JSON.stringify({ name: 'ci', role: 'member' }),
  });
  const machineId = (machine.body as { data: { id: string } }).data.id;
  const rule = await post(`${app.url}/api/v1/machine-identities/${machineId}/trust-rules`, {
    method: 'POST',
    headers: json(owner, biz),
    body: JSON.stringify({
      issuer: ISSUER,
      jwks_uri: `http://127.0.0.1:${keysPort}/jwks`,
      audience: AUDIENCE,
      subject: 'repo:acme/api:ref:refs/heads/*',
      claims: { repository_owner: 'acme' },
      scopes: ['deploy:write'],
    }),
  });
  if (rule.status !== 201) throw new Error(`trust rule: ${rule.status}`);
  return { biz, owner };
}

/** One plain `POST /api/v1/tokens` by the owner, which must answer 201: the exchange's yardstick. */
function creator(app: AppProcess, biz: string, owner: string) {
  let n = 0;
  return async () => {
    const res = await fetch(`${app.url}/api/v1/tokens`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${owner}`,
        'x-business-id': biz,
      },
      body: JSON.stringify({ name: `plain-${++n}` }),
    });
    await res.arrayBuffer();
    if (res.status !== 201) throw new Error(`creation answered ${res.status}`);
  };
}

/** One exchange of a JWT for a token of `biz`, which must answer 200. */
function exchanger(app: AppProcess, biz: string) {
  return async (jwt: string) => {
    const res = await fetch(`${app.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-business-id': biz },
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: jwt,
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      }).toString(),
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`exchange answered ${res.status}`);
  };
}

/** `call` by CONCURRENCY callers for DURATION_S (or until `left` says none is left): how many, and the server's CPU each. */
async function throughput(app: AppProcess, call: () => Promise<void>, left: () => boolean) {
  const cpuBefore = cpuMicros(app.pid) / 1000;
  let done = 0;
  const until = performance.now() + DURATION_S * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until && left()) {
        await call();
        done++;
      }
    }),
  );
  // The server's own CPU time per call: on a machine others share, steadier than the rate.
  return { done, cpu: (cpuMicros(app.pid) / 1000 - cpuBefore) / Math.max(done, 1) };
}

/** Warm-up, LATENCY_SAMPLES exchanges one at a time, then the rate under load. */
async function measure(
  app: AppProcess,
  { biz, owner }: { biz: string; owner: string },
  jwts: string[],
  log: (m: string) => void,
) {
  const exchange = exchanger(app, biz);
  // Warm up: the first exchange fetches the key set; the rest find it cached.
  for (let i = 0; i < 20; i++) await exchange(jwts.pop()!);
  const times: number[] = [];
  const prepared = () => preparedSoFar(app.url, app.platformToken!);
  const preparedBefore = await prepared();
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const start = performance.now();
    await exchange(jwts.pop()!);
    times.push(performance.now() - start);
  }
  const perExchange = perThousand(preparedBefore, await prepared(), LATENCY_SAMPLES);
  const next = () => exchange(jwts.pop()!);
  const { done, cpu } = await throughput(app, next, () => jwts.length > 0);
  log(
    `server CPU per exchange at ${CONCURRENCY} in flight: ${cpu.toFixed(2)} ms (${done} exchanges)`,
  );
  const create = creator(app, biz, owner);
  for (let i = 0; i < 20; i++) await create();
  const creationsBefore = await prepared();
  const plain = await throughput(app, create, () => true);
  const perCreation = perThousand(creationsBefore, await prepared(), plain.done);
  log(
    `statements prepared per 1,000 requests, sqlite: exchange ${perExchange}, create ${perCreation}`,
  );
  log(
    `server CPU per plain creation at ${CONCURRENCY} in flight: ${plain.cpu.toFixed(2)} ms (${plain.done} creations)`,
  );
  const figures: FederationFigures = {
    p50_ms: round(percentile(times, 50), 2),
    p99_ms: round(percentile(times, 99), 2),
    exchanges_per_s: Math.round(done / DURATION_S),
    cpu_ms_per_exchange: round(cpu, 2),
    cpu_ms_per_creation: round(plain.cpu, 2),
    prepared_per_1000_exchanges: perExchange,
    prepared_per_1000_creations: perCreation,
  };
  return figures;
}

/** Runs the exchange benchmark and answers its figures (also printed when run alone). */
export async function benchFederation(log: (m: string) => void = () => undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-bench-federation-'));
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = 'bench';
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256' }] });
  const keys = await serveKeySet(jwks);
  const app = await startFederationApp(dir);
  try {
    const trusted = await trustIssuer(app, keys.port);
    const jwts = await signMany(privateKey, kid, LATENCY_SAMPLES + DURATION_S * 3000);
    log(`signed ${jwts.length} JWTs`);
    const figures = await measure(app, trusted, jwts, log);
    log(`key set fetched ${keys.fetches()} time(s)`);
    return figures;
  } finally {
    // A profiling server writes its profile as it exits: give it the time to finish.
    await app.stop(process.env.BENCH_CPU_PROFILE ? 30_000 : 2000);
    keys.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** GitHub-shaped JWTs, each with its own jti, valid for ten minutes. */
async function signMany(key: KeyLike, kid: string, count: number): Promise<string[]> {
  const now = Math.floor(Date.now() / 1000);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    out.push(
      await new SignJWT({
        sub: 'repo:acme/api:ref:refs/heads/main',
        repository_owner: 'acme',
        jti: randomUUID(),
      })
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + 600)
        .sign(key),
    );
  }
  return out;
}

if (require.main === module) {
  benchFederation((m) => process.stderr.write(`[bench federation] ${m}\n`))
    .then((f) => {
      process.stdout.write(
        `exchange, cached JWKS, SQLite: p50 ${f.p50_ms} ms, p99 ${f.p99_ms} ms (goal ≤ 20 ms); ` +
          `${f.exchanges_per_s} exchanges/s at ${CONCURRENCY} in flight (goal ≥ 500); ` +
          `server CPU ${f.cpu_ms_per_exchange} ms an exchange, ${f.cpu_ms_per_creation} ms a plain creation; ` +
          `statements prepared per 1,000 requests: exchange ${f.prepared_per_1000_exchanges}, ` +
          `create ${f.prepared_per_1000_creations}\n`,
      );
    })
    .catch((e: unknown) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    });
}
