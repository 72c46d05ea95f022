/**
 * `npm run bench:agents` (and a row of `npm run bench`): the authorization server for connected
 * apps on SQLite, on an app of its own with every limit off. First the authorization code
 * exchange (`POST /oauth2/businesses/{id}/token`): codes are made before the clock starts (each
 * an authorization request and a person's decision, as the console posts it) and redeemed once
 * each, 16 at a time; goal at least 300 a second. Then `GET /auth/verify` of one of the tokens
 * the exchange gave (audience-bound, naming its resource) against a plain bearer token of the
 * same person, alternated; goal at least 0.95.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AppProcess, RATE_LIMITS_OFF, startAppProcess } from '../test/harness/app-process';
import { mean, percentile, round } from '../test/harness/stats';
import { alternate } from './lib/alternated';
import { load, LoadRun } from './lib/load';
import { cpuMicros } from './lib/process-cpu';

const QUICK = process.argv.includes('--quick');
const DURATION_S = Number(process.env.BENCH_DURATION_S || (QUICK ? 2 : 5));
const LATENCY_SAMPLES = QUICK ? 100 : 400;
/** Codes made ahead of the timed run: at most this many a second could be redeemed in it. */
const CODES_PER_S = 600;
const CONCURRENCY = 16;
const GATEWAY_SECRET = 'bench-gateway-secret-0123456789';
const RESOURCE = 'https://mcp.bench.example.com/mcp';
const REDIRECT = 'http://127.0.0.1:8765/callback';

export interface AgentsFigures {
  exchange_p50_ms: number;
  exchange_p99_ms: number;
  exchanges_per_s: number;
  cpu_ms_per_exchange: number;
  oauth_verify_rps: number;
  bearer_verify_rps: number;
  /** `GET /auth/verify` of an authorization-code token ÷ of a plain bearer token. */
  verify_ratio: number;
}

interface Setup {
  biz: string;
  owner: string;
  clientId: string;
}

async function call(app: AppProcess, path: string, init: RequestInit = {}) {
  const res = await fetch(`${app.url}${path}`, { redirect: 'manual', ...init });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

const json = (token: string, biz?: string) => ({
  'content-type': 'application/json',
  authorization: `Bearer ${token}`,
  ...(biz ? { 'x-business-id': biz } : {}),
});

/** A business, its resource, and a registered public client. */
async function setUp(app: AppProcess): Promise<Setup> {
  const made = await call(app, '/platform/v1/businesses', {
    method: 'POST',
    headers: json(app.platformToken!),
    body: JSON.stringify({ name: 'bench', owner_email: 'owner@bench.test' }),
  });
  const biz = made.body.data.business.id as string;
  const owner = made.body.data.first_token.token as string;
  const resource = await call(app, '/api/v1/resources', {
    method: 'POST',
    headers: json(owner, biz),
    body: JSON.stringify({
      uri: RESOURCE,
      name: 'Bench MCP server',
      scopes: [{ name: 'notes:read', description: 'Read notes' }],
    }),
  });
  if (resource.status !== 201) throw new Error(`resource: ${resource.status}`);
  const client = await call(app, '/oauth2/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Bench Agent',
      redirect_uris: ['http://127.0.0.1/callback'],
    }),
  });
  return { biz, owner, clientId: client.body.client_id as string };
}

/** One code, as a person's allow makes it: answers the code and its verifier. */
async function makeCode(app: AppProcess, s: Setup) {
  const verifier = randomBytes(32).toString('base64url');
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: s.clientId,
    redirect_uri: REDIRECT,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    resource: RESOURCE,
    scope: 'notes:read',
  });
  const authorized = await call(app, `/oauth2/businesses/${s.biz}/authorize?${query.toString()}`);
  const request = new URL(authorized.headers.get('location')!).searchParams.get('request')!;
  const decided = await call(app, '/api/v1/authorization-requests/decision', {
    method: 'POST',
    headers: json(s.owner, s.biz),
    body: JSON.stringify({ request, decision: 'allow' }),
  });
  const code = new URL(decided.body.data.redirect_to as string).searchParams.get('code')!;
  return { code, verifier };
}

async function makeCodes(app: AppProcess, s: Setup, count: number) {
  const codes: { code: string; verifier: string }[] = [];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (codes.length < count) codes.push(await makeCode(app, s));
    }),
  );
  return codes;
}

/** One redemption, which must answer 200: answers the access token. */
async function exchange(app: AppProcess, s: Setup, c: { code: string; verifier: string }) {
  const res = await fetch(`${app.url}/oauth2/businesses/${s.biz}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: s.clientId,
      code: c.code,
      redirect_uri: REDIRECT,
      code_verifier: c.verifier,
      resource: RESOURCE,
    }).toString(),
  });
  const body = (await res.json()) as { access_token: string };
  if (res.status !== 200) throw new Error(`exchange answered ${res.status}`);
  return body.access_token;
}

/** The code exchange: p50 and p99 one at a time, then the rate at CONCURRENCY in flight. */
async function measureExchange(app: AppProcess, s: Setup, log: (m: string) => void) {
  const latencyCodes = await makeCodes(app, s, LATENCY_SAMPLES);
  const times: number[] = [];
  let token = '';
  for (const c of latencyCodes) {
    const start = performance.now();
    token = await exchange(app, s, c);
    times.push(performance.now() - start);
  }
  const codes = await makeCodes(app, s, DURATION_S * CODES_PER_S);
  log(`made ${codes.length} codes`);
  const cpuBefore = cpuMicros(app.pid) / 1000;
  let done = 0;
  const until = performance.now() + DURATION_S * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until && codes.length > 0) {
        await exchange(app, s, codes.pop()!);
        done++;
      }
    }),
  );
  if (codes.length === 0) log('every code made was redeemed: the rate is a floor');
  const cpu = (cpuMicros(app.pid) / 1000 - cpuBefore) / Math.max(done, 1);
  return { times, done, cpu, token };
}

/** `/auth/verify` of the exchange's token ÷ of a plain bearer token, rounds alternated. */
async function measureVerify(app: AppProcess, s: Setup, oauthToken: string) {
  const plain = await call(app, '/api/v1/tokens', {
    method: 'POST',
    headers: json(s.owner, s.biz),
    body: JSON.stringify({ name: 'bench-plain', scopes: ['notes:read'] }),
  });
  const bearer = plain.body.data.token as string;
  const gateway = { 'x-latchkey-gateway-secret': GATEWAY_SECRET, 'x-latchkey-business': s.biz };
  const oauthRuns: LoadRun[] = [];
  const bearerRuns: LoadRun[] = [];
  const headersOf = (token: string) => ({ ...gateway, authorization: `Bearer ${token}` });
  await alternate(
    QUICK ? 2 : 3,
    async () =>
      oauthRuns.push(
        await load('oauth token', app.url, '/auth/verify', {
          ...headersOf(oauthToken),
          'x-latchkey-resource': RESOURCE,
        }),
      ),
    async () =>
      bearerRuns.push(await load('bearer token', app.url, '/auth/verify', headersOf(bearer))),
  );
  for (const run of [...oauthRuns, ...bearerRuns]) {
    if (run.non2xx > 0 || run.errors > 0) throw new Error(`${run.target}: refused answers`);
  }
  return {
    oauth: mean(oauthRuns.map((r) => r.rps)),
    bearer: mean(bearerRuns.map((r) => r.rps)),
  };
}

/** Runs the agents benchmark and answers its figures (also printed when run alone). */
export async function benchAgents(log: (m: string) => void = () => undefined) {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-bench-agents-'));
  const app = await startAppProcess({
    name: 'bench-agents',
    env: {
      SQLITE_PATH: join(dir, 'bench.sqlite'),
      LOG_LEVEL: 'warn',
      ...RATE_LIMITS_OFF,
      VERIFY_GATEWAY_SECRET: GATEWAY_SECRET,
    },
  });
  try {
    const s = await setUp(app);
    const ex = await measureExchange(app, s, log);
    log(`server CPU per exchange at ${CONCURRENCY} in flight: ${ex.cpu.toFixed(2)} ms`);
    const verify = await measureVerify(app, s, ex.token);
    const figures: AgentsFigures = {
      exchange_p50_ms: round(percentile(ex.times, 50), 2),
      exchange_p99_ms: round(percentile(ex.times, 99), 2),
      exchanges_per_s: Math.round(ex.done / DURATION_S),
      cpu_ms_per_exchange: round(ex.cpu, 2),
      oauth_verify_rps: Math.round(verify.oauth),
      bearer_verify_rps: Math.round(verify.bearer),
      verify_ratio: round(verify.oauth / verify.bearer, 2),
    };
    return figures;
  } finally {
    await app.stop(2000);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchAgents((m) => process.stderr.write(`[bench agents] ${m}\n`))
    .then((f) => {
      process.stdout.write(`${JSON.stringify(f, null, 2)}\n`);
      process.exit(0);
    })
    .catch((e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    });
}
