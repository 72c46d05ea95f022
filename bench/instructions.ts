/**
 * Instructions a request, counted by valgrind's callgrind: a figure that the machine's speed and
 * other work do not move, so two builds compare on any machine. The app on PostgreSQL and each
 * route's floor run under callgrind with counting off; each route is warmed with
 * INSTRUCTIONS_WARM requests, then INSTRUCTIONS_COUNT more are counted, one at a time on one
 * kept-alive connection, every thread of the server included and the database's work not. The
 * timers run at callgrind's pace (about 50 times slower), so as long again with no request is
 * counted and taken off. The collector's and the compilers' parts are printed apart: they come
 * when a heap or a budget fills, not once a request. INSTRUCTIONS_APP_ENV (JSON) adds settings of
 * the app's, to weigh what a setting costs; INSTRUCTIONS_FLOORS=0 counts the app alone.
 * `npm run bench:instructions`, up to an hour.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, get } from 'node:http';
import {
  APP_ENTRY,
  RATE_LIMITS_OFF,
  REPO_ROOT,
  startAppProcess,
} from '../test/harness/app-process';
import { Child } from '../test/harness/child';
import { SHARED_KEYS_ENV } from '../test/harness/keys';
import {
  gatewayScoped,
  LatchkeyClient,
  scoped,
  type BusinessSetup,
} from '../test/harness/latchkey-client';
import { PATIENT_TIMEOUTS } from '../test/harness/patience';
import { freePort } from '../test/harness/ports';
import { createScratchDatabase } from '../test/harness/servers/postgres';
import { LIST_PAGE, listFloorEnv } from './lib/list-floor';
import { POSTGRES_URL } from './lib/run-settings';
import { readAnswer, verifyFloorEnv, type AppAnswer } from './lib/verify-floor';

const WARM = Number(process.env.INSTRUCTIONS_WARM ?? 20_000);
const COUNT = Number(process.env.INSTRUCTIONS_COUNT ?? 500);
/** The routes to count (`live`, `me`, `list`), each floor with its route. */
const ROUTES = new Set((process.env.INSTRUCTIONS_ROUTES ?? 'live,me,list').split(','));
const FLOORS = process.env.INSTRUCTIONS_FLOORS !== '0';
const OUT = mkdtempSync(join(tmpdir(), 'latchkey-callgrind-'));

interface Route {
  name: string;
  path: string;
  headers: Record<string, string>;
}

/** A server under callgrind, counting nothing until `count` turns it on. */
async function underCallgrind(name: string, script: string, env: Record<string, string>) {
  const port = await freePort();
  const child = Child.spawn(
    name,
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      `--callgrind-out-file=${join(OUT, name)}.%p`,
      process.execPath,
      script,
    ],
    { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? '', PORT: String(port), ...env } },
  );
  await child.waitFor(/listening/i, 600_000);
  return { child, url: `http://127.0.0.1:${port}` };
}

const control = (pid: number, ...args: string[]) =>
  execFileSync('callgrind_control', [...args, String(pid)], { stdio: 'pipe' }).toString();

/** One request of `route` on `agent`'s kept-alive connection; it must answer 2xx. */
function once(url: string, route: Route, agent: Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    get(`${url}${route.path}`, { headers: route.headers, agent }, (res) => {
      res.resume();
      res.on('end', () =>
        (res.statusCode ?? 500) < 300
          ? resolve()
          : reject(new Error(`${route.name} answered ${res.statusCode}`)),
      );
    }).on('error', reject);
  });
}

/** `n` requests of `route`, one at a time on one connection. */
async function send(url: string, route: Route, n: number, agent: Agent): Promise<void> {
  for (let i = 0; i < n; i++) await once(url, route, agent);
}

/**
 * What V8 was doing, told by the function's name: the collector (every thread's marking,
 * sweeping and scavenges) and the compilers (parsing, Sparkplug, TurboFan) apart from the work
 * itself, so a collection or a recompile that fell in one window shows as what it is.
 */
const KINDS: [string, RegExp][] = [
  [
    'collector',
    /Heap|Mark|Sweep|Scaveng|Evacuat|Concurrent|RememberedSet|MemoryChunk|SystemPages|popcount|SlotSet|ObjectCache|GlobalHandles|BodyDescriptor|SizeFromMap|Worklist|heap::/,
  ],
  [
    'compiler',
    /compiler::|Scanner|Parser|AstValue|Bytecode|Baseline(Compiler|Assembler|Batch)|[Mm]aglev|Zone|Compile|Assembler|Deoptim|SourcePosition|RegisterAllocat|LinearScan/,
  ],
];

type Counts = Record<string, number>;

/** The instructions of the last dump of process `pid`, all threads together, by kind. */
function lastDump(name: string, pid: number): Counts {
  const dumps = readdirSync(OUT).filter((f) => f.startsWith(`${name}.${pid}.`));
  const last = dumps.sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop())).pop();
  if (!last) throw new Error(`${name}: no dump`);
  const text = execFileSync('callgrind_annotate', ['--threshold=100', join(OUT, last)], {
    maxBuffer: 256 * 1024 * 1024,
  }).toString();
  const counts: Counts = { total: 0, collector: 0, compiler: 0 };
  for (const line of text.split('\n')) {
    const match = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$/.exec(line);
    if (!match) continue;
    const n = Number(match[1].replace(/,/g, ''));
    if (match[2].startsWith('PROGRAM TOTALS')) counts.total = n;
    const kind = KINDS.find(([, pattern]) => pattern.test(match[2]));
    if (kind) counts[kind[0]] += n;
  }
  return counts;
}

/** Instructions a request of each route on one server, measured one route after another. */
async function measure(
  name: string,
  server: { child: Child; url: string },
  routes: Route[],
): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (const route of routes) {
      await send(server.url, route, WARM, agent);
      control(server.child.pid, '-i', 'on');
      control(server.child.pid, '-z');
      const started = performance.now();
      await send(server.url, route, COUNT, agent);
      const elapsed = performance.now() - started;
      control(server.child.pid, `--dump=${route.name}`);
      const counted = lastDump(name, server.child.pid);
      // What the server's timers did meanwhile (batches, status lists, pool checks), at
      // callgrind's pace: as long again with no request, counted and taken off.
      await new Promise((resolve) => setTimeout(resolve, elapsed));
      control(server.child.pid, `--dump=${route.name}-idle`);
      const idle = lastDump(name, server.child.pid);
      control(server.child.pid, '-i', 'off');
      // The collector and the compilers run when a heap or a budget fills, not once a request:
      // a window of 500 holds a full collection or not. The work itself is the repeatable part.
      const own = (c: Counts) => c.total - c.collector - c.compiler;
      const perRequest = (n: number) => Math.round(n / COUNT);
      console.log(
        `instructions ${name} ${route.name}: ${perRequest(own(counted) - own(idle))} a request ` +
          `of its own work; besides, the collector ${perRequest(counted.collector)} and the ` +
          `compilers ${perRequest(counted.compiler)}; the timers' ${perRequest(idle.total)} ` +
          `taken off (${Math.round(elapsed / 1000)} s)`,
      );
    }
  } finally {
    agent.destroy();
    await server.child.stop(30_000);
  }
}

async function main(): Promise<void> {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'pipe' });
  } catch {
    throw new Error('valgrind is not installed (on Debian: apt-get install valgrind)');
  }
  const db = await createScratchDatabase(POSTGRES_URL, 'latchkey_instructions');
  const env = {
    DATABASE_URL: db.url,
    LOG_LEVEL: 'warn',
    ...SHARED_KEYS_ENV,
    ...RATE_LIMITS_OFF,
    ...PATIENT_TIMEOUTS,
    ...(JSON.parse(process.env.INSTRUCTIONS_APP_ENV ?? '{}') as Record<string, string>),
  };
  try {
    // Set up on an app at full speed: a business, 25 more tokens, and the answers the floors copy.
    const setup = await startAppProcess({ name: 'setup', env });
    const client = new LatchkeyClient(setup.url);
    const owner: BusinessSetup = await client.createBusiness(setup.platformToken!);
    await client.createTokens(owner, 25, 8, 'list');
    const headers = scoped(owner.ownerToken, owner.businessId);
    const list: AppAnswer = await readAnswer(`${setup.url}${LIST_PAGE}`, headers, 200);
    const me = await readAnswer(`${setup.url}/api/v1/me`, headers, 200);
    const verify = await readAnswer(
      `${setup.url}/auth/verify`,
      gatewayScoped(owner.ownerToken, owner.businessId),
      204,
    );
    await setup.stop();

    const routes = {
      list: { name: 'list', path: LIST_PAGE, headers },
      me: { name: 'me', path: '/api/v1/me', headers },
      live: { name: 'live', path: '/health/live', headers: {} },
    };
    await measure(
      'app',
      await underCallgrind('app', APP_ENTRY, env),
      Object.values(routes).filter((r) => ROUTES.has(r.name)),
    );
    // Each route's floor, counted as the app was: bare Fastify doing the same work.
    const floors = [
      {
        route: routes.list,
        script: 'fastify-list.js',
        env: listFloorEnv({ DATABASE_URL: db.url }, owner, list.headers),
      },
      { route: routes.me, script: 'fastify-verify.js', env: verifyFloorEnv(owner, me, verify) },
    ];
    for (const floor of floors) {
      if (!FLOORS || !ROUTES.has(floor.route.name)) continue;
      const name = `${floor.route.name}-floor`;
      const script = join(REPO_ROOT, 'dist', 'bench', floor.script);
      await measure(name, await underCallgrind(name, script, floor.env), [floor.route]);
    }
    console.log(`dumps in ${OUT}`);
  } finally {
    await db.drop();
  }
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(e.stack);
    rmSync(OUT, { recursive: true, force: true });
    process.exit(1);
  },
);
