/**
 * PgBouncer's cost (goal: at least 0.9 of direct): /api/v1/me (warm) and token creation on two
 * like instances on the same database and Redis, one straight to PostgreSQL, the other through a
 * private PgBouncer in transaction pooling mode (DATABASE_POOL_MODE=transaction, with
 * DATABASE_DIRECT_URL); four rounds, each starting with the other instance. Then where a
 * creation's CPU goes, per party.
 */
import autocannon from 'autocannon';
import { execFileSync } from 'node:child_process';
import type { AppProcess } from '../../test/harness/app-process';
import { scoped, type BusinessSetup } from '../../test/harness/latchkey-client';
import { pgbouncerInstalled, PrivatePgBouncer } from '../../test/harness/servers/pgbouncer';
import { mean, round } from '../../test/harness/stats';
import { alternate, type StartApp } from '../lib/alternated';
import { figure, leftToFullBench, log, notes, raw } from '../lib/figures';
import { load, type LoadRun } from '../lib/load';
import { cpuSpent } from '../lib/process-cpu';
import { CREATE_WARMUP_S, DURATION_S, WARMUP_S } from '../lib/run-settings';

const NAMES = {
  me: 'pgbouncer: /api/v1/me through PgBouncer (transaction pooling) ÷ direct, postgres and Redis',
  create: 'pgbouncer: POST /api/v1/tokens through PgBouncer (transaction pooling) ÷ direct',
};

/** Where a creation's CPU goes, per party, summed over the measured runs of one instance. */
type CreationCpu = Map<AppProcess, { parties: Record<string, number>; busy: number[] }>;
type Create = (app: AppProcess, durationS?: number, measured?: boolean) => Promise<number>;

/** Token creation by 10 connections on an instance: its rate, its CPU per creation into `cpu`. */
function creator(
  headers: Record<string, string>,
  pooled: AppProcess,
  bouncerPid: number,
  cpu: CreationCpu,
): Create {
  return async (app, durationS = DURATION_S, measured = true) => {
    const spent = cpuSpent(
      { app: app.pid, ...(app === pooled ? { pgbouncer: bouncerPid } : {}) },
      { postgres: 'postgres' },
    );
    const result = await autocannon({
      url: `${app.url}/api/v1/tokens`,
      method: 'POST',
      connections: 10,
      duration: durationS,
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench-pgbouncer' }),
    });
    const used = spent.stop();
    if (measured) {
      const sum = cpu.get(app) ?? { parties: {}, busy: [] };
      for (const [party, us] of Object.entries({ ...used.byParty, load: used.self }))
        sum.parties[party] = (sum.parties[party] ?? 0) + us / Math.max(result.requests.total, 1);
      sum.busy.push(used.busyShare);
      cpu.set(app, sum);
    }
    const rps = round(result.requests.average, 0);
    log(`  ${app.name} POST /api/v1/tokens: ${rps} req/s, ${result.non2xx} non-2xx`);
    if (result.non2xx > 0 || result.errors > 0)
      notes.push(
        `${app.name} POST /api/v1/tokens: ${result.non2xx} non-2xx, ${result.errors} errors`,
      );
    return rps;
  };
}

async function measure(
  direct: AppProcess,
  pooled: AppProcess,
  headers: Record<string, string>,
  create: Create,
) {
  log('pgbouncer: warm-up');
  for (const app of [direct, pooled]) {
    await load(app.name, app.url, '/api/v1/me', headers, WARMUP_S);
    // A creation's CPU falls by half over its first 20 s of load as V8 compiles its path.
    await create(app, CREATE_WARMUP_S, false);
  }
  const runs = {
    me: { off: [] as LoadRun[], on: [] as LoadRun[] },
    create: { off: [] as number[], on: [] as number[] },
  };
  // Four rounds, each starting with the other instance (ABBA): both sides run at the same mean
  // position, so what drifts over the runs (the tables and the chain grow, the JIT settles)
  // weighs on both alike.
  await alternate(
    4,
    async () => {
      runs.me.off.push(await load('direct', direct.url, '/api/v1/me', headers));
      runs.create.off.push(await create(direct));
    },
    async () => {
      runs.me.on.push(await load('pgbouncer', pooled.url, '/api/v1/me', headers));
      runs.create.on.push(await create(pooled));
    },
  );
  return runs;
}

function reportRatios(runs: Awaited<ReturnType<typeof measure>>): void {
  for (const [name, list] of [
    [NAMES.me, { off: runs.me.off.map((r) => r.rps), on: runs.me.on.map((r) => r.rps) }],
    [NAMES.create, runs.create],
  ] as const) {
    const [offRps, onRps] = [mean(list.off), mean(list.on)];
    const ratio = onRps / offRps;
    figure(
      name,
      `${round(ratio)} (${round(onRps, 0)} vs ${round(offRps, 0)} req/s)`,
      '≥ 0.9',
      ratio >= 0.9,
    );
  }
}

/** The profile behind the creation row: on two cores, PgBouncer's CPU is taken from the rest. */
function reportCpu(direct: AppProcess, pooled: AppProcess, cpu: CreationCpu) {
  const profile = [direct, pooled].map((app) => {
    const { parties, busy } = cpu.get(app)!;
    const rounds = busy.length;
    const each = Object.entries(parties).map(([party, us]) => `${party} ${round(us / rounds, 0)}`);
    const total = Object.values(parties).reduce((a, b) => a + b, 0) / rounds;
    return {
      app: app.name,
      text: `${each.join(' + ')} = ${round(total, 0)} µs, machine ${round(mean(busy) * 100, 0)}% busy`,
      total,
    };
  });
  figure(
    'pgbouncer: CPU per creation, direct; through PgBouncer (app + postgres + pgbouncer + load)',
    `${profile[0].text}; ${profile[1].text} (direct ÷ pooled CPU ${round(profile[0].total / profile[1].total)})`,
    '(information)',
    null,
  );
  return profile;
}

/** Full bench only; says so when pgbouncer is not installed. */
export async function pgbouncerCost(
  env: Record<string, string>,
  owner: BusinessSetup,
  start: StartApp,
): Promise<void> {
  const quick = [leftToFullBench(NAMES.me, '≥ 0.9'), leftToFullBench(NAMES.create, '≥ 0.9')];
  if (quick.includes(true)) return;
  if (!pgbouncerInstalled()) {
    for (const name of Object.values(NAMES))
      figure(name, 'not run: pgbouncer is missing (apt-get install pgbouncer)', '≥ 0.9', null);
    return;
  }
  const bouncer = new PrivatePgBouncer(env.DATABASE_URL, { default_pool_size: 20 });
  await bouncer.start();
  // An experiment, not the figure of record: PgBouncer on cores of its own (with the rest pinned
  // elsewhere by `taskset`), as where it runs beside the database or on a host of its own.
  if (process.env.BENCH_PGBOUNCER_CPUS)
    execFileSync('taskset', ['-p', '-c', process.env.BENCH_PGBOUNCER_CPUS, String(bouncer.pid)]);
  try {
    const database = new URL(env.DATABASE_URL).pathname.slice(1);
    const direct = await start('pgbouncer-off', env);
    const pooled = await start('pgbouncer-on', {
      ...env,
      DATABASE_URL: bouncer.url(database),
      DATABASE_DIRECT_URL: env.DATABASE_URL,
      DATABASE_POOL_MODE: 'transaction',
    });
    const headers = scoped(owner.ownerToken, owner.businessId);
    const cpu: CreationCpu = new Map();
    const runs = await measure(direct, pooled, headers, creator(headers, pooled, bouncer.pid, cpu));
    reportRatios(runs);
    const profile = reportCpu(direct, pooled, cpu);
    await direct.stop();
    await pooled.stop();
    raw.pgbouncer = { ...runs, cpu_per_creation_us: profile };
  } finally {
    await bouncer.stop();
  }
}
