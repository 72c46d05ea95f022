/**
 * The Express middleware (`latchkey()`, packages/client/src/express.ts) on a cached token: an
 * Express 5 app with it ÷ the same app checking nothing, by requests/s and by the app's CPU a
 * request. A Latchkey on SQLite issues the token; the middleware asks it once, then answers from
 * memory and the token's status list. Each app is a child process of its own (this file, under
 * ts-node): on two cores autocannon, in this process, and the app then each have one, where a
 * shared event loop would count autocannon's work as the app's and pull the ratio towards 1. Both
 * apps are one function with one route answering the same JSON (the identity's id), under the
 * same Express settings, sent the same Authorization header; any non-2xx answer stops the
 * section. The verifier's calls to Latchkey during the measured runs are counted
 * (`EdgeVerifier.stats()`, over IPC): the token must be answered from memory.
 */
import { once } from 'node:events';
import { join } from 'node:path';
import express from 'express';
import { latchkey } from '../../packages/client/src/express';
import { EdgeVerifier, type EdgeVerifierStats } from '../../packages/client/src/verifier';
import { RATE_LIMITS_OFF, REPO_ROOT } from '../../test/harness/app-process';
import { Child } from '../../test/harness/child';
import { LatchkeyClient, scoped } from '../../test/harness/latchkey-client';
import { freePort } from '../../test/harness/ports';
import { mean, round } from '../../test/harness/stats';
import { alternate, type StartApp } from '../lib/alternated';
import { figure, leftToFullBench, loadAverage, log, printTable, raw } from '../lib/figures';
import { load, type LoadRun } from '../lib/load';
import { describeMachine } from '../lib/machine';
import { cpuMicros } from '../lib/process-cpu';
import { DURATION_S, LOG_LEVEL, WARMUP_S } from '../lib/run-settings';
import { BenchScratch } from '../lib/scratch';

const NAME =
  'framework overhead: Express 5 with latchkey() ÷ the same app checking nothing, cached token';
const GOAL = 0.8;
const ROUNDS = 2;
/** What a child app is: `checked` (the middleware) or `open` (no check). */
const ROLE = 'MIDDLEWARE_BENCH_APP';

/** The child: one Express 5 app on 127.0.0.1:PORT; answers `stats` messages with the verifier's. */
function serve(): void {
  const app = express();
  let verifier: EdgeVerifier | undefined;
  if (process.env[ROLE] === 'checked') {
    // Made here rather than from `baseUrl` only so that its stats can be read; the same check.
    verifier = new EdgeVerifier({ baseUrl: process.env.LATCHKEY_URL! });
    app.use(latchkey({ verifier, businessId: process.env.BUSINESS_ID }));
    app.get('/hello', (req, res) => {
      res.json({ identityId: req.latchkey!.identityId });
    });
  } else {
    const identityId = process.env.IDENTITY_ID!;
    app.get('/hello', (_req, res) => {
      res.json({ identityId });
    });
  }
  process.on('message', () => process.send!(verifier?.stats() ?? null));
  app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'));
}

interface ChildApp {
  child: Child;
  url: string;
}

async function startApp(role: 'checked' | 'open', env: Record<string, string>): Promise<ChildApp> {
  const port = await freePort();
  const child = Child.spawn(
    `express-${role}`,
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', __filename],
    {
      cwd: REPO_ROOT,
      ipc: true,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        NODE_ENV: 'production',
        PORT: String(port),
        [ROLE]: role,
        ...env,
      },
    },
  );
  try {
    await child.waitFor(/listening/, 30_000);
  } catch (e) {
    await child.stop(1000);
    throw e;
  }
  return { child, url: `http://127.0.0.1:${port}` };
}

async function statsOf({ child }: ChildApp): Promise<EdgeVerifierStats> {
  const answer = once(child.proc, 'message');
  child.proc.send('stats');
  return (await answer)[0] as EdgeVerifierStats;
}

/** GET /hello with `headers`: its status and body. */
async function hello(app: ChildApp, headers: Record<string, string>) {
  const res = await fetch(`${app.url}/hello`, { headers });
  return { status: res.status, body: await res.text() };
}

/** Latchkey's origin as its status lists name it (PUBLIC_BASE_URL's default: localhost). */
async function listOrigin(url: string, token: string, businessId: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/me`, { headers: scoped(token, businessId) });
  const body = (await res.json()) as { data?: { status_list?: { uri: string } } };
  const uri = body.data?.status_list?.uri;
  if (res.status !== 200 || !uri) throw new Error(`middleware: /api/v1/me answered ${res.status}`);
  return new URL(uri).origin;
}

/** An autocannon run, with the app's CPU (from /proc) a request, in µs. */
type CpuRun = LoadRun & { cpu_us: number };

/** One autocannon run; refusals would measure something else, so any stops the section. */
async function measured(target: string, app: ChildApp, headers: Record<string, string>) {
  const cpuBefore = cpuMicros(app.child.pid);
  const run = await load(target, app.url, '/hello', headers);
  if (run.non2xx > 0 || run.errors > 0) {
    throw new Error(`middleware: ${target}: ${run.non2xx} non-2xx answers, ${run.errors} errors`);
  }
  // The mean of autocannon's per-second counts times the seconds: the requests, within a second's.
  const cpu_us = round((cpuMicros(app.child.pid) - cpuBefore) / (run.rps * DURATION_S), 1);
  log(`    ${cpu_us} µs of the app's CPU a request`);
  return { ...run, cpu_us };
}

export async function middlewareCost(start: StartApp, sqliteDir: string): Promise<void> {
  // About 55 s (a Latchkey and two apps started, two warm-ups, four runs); at --quick's 2 s runs
  // still about 15 s, more than CI's quick bench affords, and a 2 s ratio moves by a tenth.
  if (leftToFullBench(NAME, `≥ ${GOAL}`)) return;
  const latchkeyApp = await start('L', {
    SQLITE_PATH: join(sqliteDir, 'middleware.sqlite'),
    LOG_LEVEL,
    ...RATE_LIMITS_OFF,
  });
  const apps: ChildApp[] = [];
  try {
    const client = new LatchkeyClient(latchkeyApp.url);
    const { businessId, ownerToken } = await client.createBusiness(
      latchkeyApp.platformToken!,
      'middleware',
    );
    const headers = { authorization: `Bearer ${ownerToken}` };
    const baseUrl = await listOrigin(latchkeyApp.url, ownerToken, businessId);
    const checked = await startApp('checked', { LATCHKEY_URL: baseUrl, BUSINESS_ID: businessId });
    apps.push(checked);
    // The first request asks Latchkey, the next fetches the token's list; then it is cached.
    let first = await hello(checked, headers);
    for (let i = 0; i < 10 && (await statsOf(checked)).cacheHits === 0; i++) {
      first = await hello(checked, headers);
    }
    const warm = await statsOf(checked);
    if (first.status !== 200 || warm.cacheHits === 0) {
      throw new Error(`middleware: /hello answered ${first.status}, cache hits ${warm.cacheHits}`);
    }
    const { identityId } = JSON.parse(first.body) as { identityId: string };
    const open = await startApp('open', { IDENTITY_ID: identityId });
    apps.push(open);
    const bare = await hello(open, headers);
    if (bare.status !== 200 || bare.body !== first.body) {
      throw new Error(`middleware: the apps answered ${first.body} and ${bare.body}`);
    }
    const refused = await hello(checked, {});
    if (refused.status !== 401) throw new Error(`middleware: no token answered ${refused.status}`);

    log('middleware: warm-up');
    await load('express + latchkey()', checked.url, '/hello', headers, WARMUP_S);
    await load('express alone', open.url, '/hello', headers, WARMUP_S);
    const before = await statsOf(checked);
    const runs = { checked: [] as CpuRun[], open: [] as CpuRun[] };
    await alternate(
      ROUNDS,
      async () => runs.checked.push(await measured('express + latchkey()', checked, headers)),
      async () => runs.open.push(await measured('express alone', open, headers)),
    );
    const after = await statsOf(checked);
    const calls = {
      verifies: after.onlineVerifies - before.onlineVerifies,
      list_fetches: after.listFetches - before.listFetches,
      jwks_fetches: after.jwksFetches - before.jwksFetches,
      cache_hits: after.cacheHits - before.cacheHits,
    };
    const checkedRps = mean(runs.checked.map((r) => r.rps));
    const openRps = mean(runs.open.map((r) => r.rps));
    const ratio = checkedRps / openRps;
    const met = ratio >= GOAL;
    const cpu = {
      checked: mean(runs.checked.map((r) => r.cpu_us)),
      open: mean(runs.open.map((r) => r.cpu_us)),
    };
    log(
      `middleware: ${round(checkedRps, 0)} vs ${round(openRps, 0)} req/s: ${round(ratio, 3)}, ` +
        `goal ≥ ${GOAL}: ${met ? 'met' : 'missed'}`,
    );
    figure(
      NAME,
      `${round(ratio, 3)} (${round(checkedRps, 0)} vs ${round(openRps, 0)} req/s); by CPU ` +
        `${round(cpu.open / cpu.checked, 3)} (${round(cpu.checked, 1)} vs ${round(cpu.open, 1)} µs)`,
      `≥ ${GOAL}`,
      met,
    );
    // A list is fetched once per its ttl (60 s by default), so a run that long may hold one.
    figure(
      "framework overhead: latchkey()'s calls to Latchkey during those runs",
      `${calls.verifies} /auth/verify, ${calls.list_fetches} list and ${calls.jwks_fetches} JWKS ` +
        `fetches; ${calls.cache_hits} checks from memory`,
      '0 /auth/verify (the token cached)',
      calls.verifies === 0,
    );
    raw.middleware = { runs, ratio, cpu_us: cpu, calls };
  } finally {
    for (const app of apps) await app.child.stop();
    await latchkeyApp.stop();
  }
}

/** This section alone, on no server but its own: the command below, after `npm run -s build`. */
async function alone(): Promise<void> {
  const command = 'npx ts-node --transpile-only bench/sections/middleware.ts';
  const [started, machine, loadAtStart] = [Date.now(), describeMachine(), loadAverage()];
  const scratch = new BenchScratch();
  try {
    await middlewareCost(scratch.start, scratch.sqliteDir);
  } finally {
    await scratch.cleanup();
  }
  printTable(command, started, machine, loadAtStart);
}

if (require.main === module) {
  if (process.env[ROLE] !== undefined) serve();
  else
    alone().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
        process.exit(1);
      },
    );
}
