/**
 * Server CPU per request, the measure of the hot path on a shared machine (after
 * `node scripts/build.js`): bare Fastify, the floor (bench/fastify-verify.ts) and the built server
 * on SQLite, each under autocannon (50 connections) for CPU_SECONDS (4), CPU_ROUNDS rounds (3)
 * alternated, printing the server's `utime + stime` ÷ the requests it answered, in µs, with the
 * load average. CPU_TARGETS (`the floor,/auth/verify`) picks targets; CPU_NODE_FLAGS passes Node
 * flags, and CPU_APP_ENV (JSON) settings of the app's, to weigh what a setting costs. The median
 * of each target's runs is the figure; throughput is left out, since on two shared cores it
 * follows the neighbours, not the code.
 */
import autocannon from 'autocannon';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_ENTRY, RATE_LIMITS_OFF, startAppProcess } from '../test/harness/app-process';
import { Child } from '../test/harness/child';
import { gatewayScoped, LatchkeyClient, scoped } from '../test/harness/latchkey-client';
import { loadWithCpu } from './lib/load';
import { readAnswer, startBareFastify, startVerifyFloor } from './lib/verify-floor';

const SECONDS = Number(process.env.CPU_SECONDS || 4);
const ROUNDS = Number(process.env.CPU_ROUNDS || 3);

const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];

interface Target {
  name: string;
  pid: number;
  url: string;
  headers: Record<string, string>;
}

async function measure(target: Target): Promise<{ us: number; load: string; rps: number }> {
  const load = loadAverage();
  const { origin, pathname, search } = new URL(target.url);
  const run = await loadWithCpu(
    target.pid,
    target.name,
    origin,
    pathname + search,
    target.headers,
    SECONDS,
  );
  if (run.non2xx > 0 || run.errors > 0) {
    throw new Error(`${target.name}: ${run.non2xx} non-2xx, ${run.errors} errors`);
  }
  return { us: run.cpu_us!, load, rps: run.rps };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  const sqliteDir = mkdtempSync(join(tmpdir(), 'latchkey-cpu-'));
  const children: Child[] = [];
  const flags = (process.env.CPU_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const app = await startAppProcess({
    name: 'cpu',
    nodeArgs: flags.length ? [...flags, APP_ENTRY] : undefined,
    env: {
      LOG_LEVEL: 'warn',
      ...RATE_LIMITS_OFF,
      SQLITE_PATH: join(sqliteDir, 'cpu.sqlite'),
      ...(JSON.parse(process.env.CPU_APP_ENV ?? '{}') as Record<string, string>),
    },
  });
  try {
    const client = new LatchkeyClient(app.url);
    const owner = await client.createBusiness(app.platformToken!, 'cpu');
    const me = scoped(owner.ownerToken, owner.businessId);
    const verify = gatewayScoped(owner.ownerToken, owner.businessId);
    const floor = await startVerifyFloor(
      owner,
      await readAnswer(`${app.url}/api/v1/me`, me, 200),
      await readAnswer(`${app.url}/auth/verify`, verify, 204),
    );
    children.push(floor.child);
    const bare = await startBareFastify();
    children.push(bare.child);
    const targets: Target[] = [
      {
        name: 'bare Fastify',
        pid: bare.child.pid,
        url: `${bare.url}/health/live`,
        headers: {},
      },
      { name: 'the floor', pid: floor.child.pid, url: `${floor.url}${floor.path}`, headers: me },
      {
        name: 'the verify floor',
        pid: floor.child.pid,
        url: `${floor.url}${floor.verifyPath}`,
        headers: verify,
      },
      { name: '/health/live', pid: app.pid, url: `${app.url}/health/live`, headers: {} },
      { name: '/api/v1/me', pid: app.pid, url: `${app.url}/api/v1/me`, headers: me },
      { name: '/auth/verify', pid: app.pid, url: `${app.url}/auth/verify`, headers: verify },
    ];
    const only = (process.env.CPU_TARGETS ?? '').split(',').filter((t) => t !== '');
    if (only.length > 0)
      targets.splice(0, targets.length, ...targets.filter((t) => only.includes(t.name)));
    // Warm-up: each target once, briefly, so JIT and caches are settled before the first run.
    for (const t of targets) {
      await autocannon({ url: t.url, connections: 50, duration: 2, headers: t.headers });
    }
    const runs = new Map<string, { us: number; load: string }[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of targets) {
        const run = await measure(t);
        (runs.get(t.name) ?? runs.set(t.name, []).get(t.name)!).push(run);
        process.stderr.write(
          `round ${round + 1} ${t.name}: ${run.us.toFixed(1)} µs, ${Math.round(run.rps)} req/s, load ${run.load}\n`,
        );
      }
    }
    process.stdout.write('| route | µs per request (median) | runs (load average at start) |\n');
    process.stdout.write('| --- | ---: | --- |\n');
    for (const [name, list] of runs) {
      const each = list.map((r) => `${r.us.toFixed(0)} (${r.load})`).join(', ');
      process.stdout.write(`| ${name} | ${median(list.map((r) => r.us)).toFixed(1)} | ${each} |\n`);
    }
  } finally {
    for (const c of children) await c.stop().catch(() => undefined);
    await app.stop();
    rmSync(sqliteDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(
      `cpu-per-request failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    process.exit(1);
  },
);
