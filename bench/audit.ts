/**
 * `npm run bench:audit`: the audit log at scale, on PostgreSQL. Seeds AUDIT_BENCH_EVENTS
 * (default 1,000,000) chained events into one business of a running server, then prints page
 * latency at depth, the verify rate beside the rate at which the same rows are merely read
 * (raw, in the same run), a full NDJSON export's time and the server's RSS growth, and append
 * throughput under 50 concurrent writers. With signed checkpoints: how fast the seeded chain's
 * Merkle tree is grown, inclusion and consistency proof latency at that depth, and append
 * throughput with checkpoints on and off (a second instance on the same database, without a
 * signing key), alternated. Figures, not assertions.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateSigner } from '../src/audit/checkpoints/signed-note';
import {
  AppProcess,
  RATE_LIMITS_OFF,
  REPO_ROOT,
  startAppProcess,
} from '../test/harness/app-process';
import { stopAll } from '../test/harness/child';
import { SHARED_KEYS_ENV } from '../test/harness/keys';
import { BusinessSetup, LatchkeyClient, scoped } from '../test/harness/latchkey-client';
import { createScratchDatabase } from '../test/harness/servers/postgres';
import { round } from '../test/harness/stats';
import { appendThroughput, pageLatency, streamExport, WRITERS } from './lib/audit-load';
import { chainHead, cursorAt, leafAt, rawReadRate } from './lib/audit-rows';
import { seed } from './lib/audit-seed';
import { proofLatency, waitForCheckpoint, waitForTree } from './lib/audit-tree';
import { describeMachine, machineLine } from './lib/machine';
import { rssMiB, sampleRss } from './lib/rss';
import { renderTable } from './lib/table';

const SERVER_URL =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/test';
const EVENTS = Number(process.env.AUDIT_BENCH_EVENTS ?? 1_000_000);
/**
 * `AUDIT_BENCH_ONLY=pages,proofs` measures those sections alone (of pages, proofs, appends,
 * verify, export), after the same seed and tree: builds alternated in less time.
 */
const ONLY = process.env.AUDIT_BENCH_ONLY?.split(',').map((s) => s.trim()) ?? null;
const runs = (section: string) => ONLY === null || ONLY.includes(section);

/** The audit log's goals. */
const GOALS = {
  pageP99Ms: 5,
  verifyPerSecond: 150_000,
  verifyOverRaw: 0.8,
  exportRssMiB: 64,
  proofP99Ms: 5,
  appendOnOverOff: 0.9,
};
const PROOF_SAMPLES = 1_000;

/** One run: the seeded business, and the table's rows and the results file as they grow. */
interface AuditRun {
  client: LatchkeyClient;
  owner: BusinessSetup;
  dbUrl: string;
  rows: string[][];
  results: Record<string, unknown>;
}

const judged = (met: boolean) => (met ? 'met' : 'missed');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    (sorted[Math.floor((sorted.length - 1) / 2)] + sorted[Math.ceil((sorted.length - 1) / 2)]) / 2
  );
}

/** The instance that signs checkpoints every second, and one on the same database that does not. */
async function startInstances(dbUrl: string) {
  const signing = generateSigner('bench.latchkey.test');
  const app = await startAppProcess({
    name: 'audit-bench',
    env: {
      DATABASE_URL: dbUrl,
      LOG_LEVEL: 'warn',
      AUDIT_SIGNING_KEY: signing.signerKey,
      WEBHOOK_SECRETS_KEY: SHARED_KEYS_ENV.WEBHOOK_SECRETS_KEY,
      JWT_SIGNING_KEYS: SHARED_KEYS_ENV.JWT_SIGNING_KEYS,
      AUDIT_CHECKPOINT_EVERY_SECONDS: '1',
      ...RATE_LIMITS_OFF,
    },
  });
  // The same database, with checkpoints turned off, for the append comparison.
  const unsigned = await startAppProcess({
    name: 'audit-bench-unsigned',
    env: {
      DATABASE_URL: dbUrl,
      LOG_LEVEL: 'warn',
      AUDIT_CHECKPOINTS_ENABLED: 'false',
      WEBHOOK_SECRETS_KEY: SHARED_KEYS_ENV.WEBHOOK_SECRETS_KEY,
      JWT_SIGNING_KEYS: SHARED_KEYS_ENV.JWT_SIGNING_KEYS,
      ...RATE_LIMITS_OFF,
    },
  });
  return { app, unsigned };
}

/** The seeded events were written around the app: its checkpointer grows their tree. */
async function treeCatchUp({ owner, dbUrl, rows, results }: AuditRun): Promise<void> {
  const grown = await waitForTree(dbUrl, owner.businessId);
  results.treeCatchUp = { ...grown, perSecond: grown.leaves / grown.seconds };
  rows.push([
    'tree grown over the seeded events (the checkpointer)',
    `${round(grown.leaves / grown.seconds, 0)} events/s (${grown.leaves} in ${round(grown.seconds)} s)`,
    '(reported)',
    '',
  ]);
}

async function pages({ client, owner, dbUrl, rows, results }: AuditRun): Promise<void> {
  const pages: Record<string, unknown> = {};
  for (const depth of [0, 10_000, 500_000].filter((d) => d < EVENTS * 0.6)) {
    for (const action of [undefined, 'token.created']) {
      const cursor = await cursorAt(dbUrl, owner.businessId, depth, action);
      const { p50, p99 } = await pageLatency(client, owner, cursor, action);
      const label = `page of 50 at depth ${depth}${action ? ` (action=${action})` : ''}`;
      pages[label] = { p50, p99 };
      rows.push([
        label,
        `p50 ${round(p50)} ms, p99 ${round(p99)} ms`,
        `p99 ≤ ${GOALS.pageP99Ms} ms`,
        judged(p99 <= GOALS.pageP99Ms),
      ]);
    }
  }
  results.pages = pages;
}

async function proofs({ client, owner, dbUrl, rows, results }: AuditRun): Promise<void> {
  const signedSize = await waitForCheckpoint(dbUrl, owner.businessId, EVENTS);
  const proofs = await proofLatency(client, owner, signedSize, PROOF_SAMPLES, (seq) =>
    leafAt(dbUrl, owner.businessId, seq),
  );
  results.proofs = { treeSize: signedSize, ...proofs };
  for (const [kind, figure] of Object.entries(proofs)) {
    rows.push([
      `${kind} proof at ${signedSize} events`,
      `p50 ${round(figure.p50)} ms, p99 ${round(figure.p99)} ms`,
      `p99 ≤ ${GOALS.proofP99Ms} ms`,
      judged(figure.p99 <= GOALS.proofP99Ms),
    ]);
  }
}

/** Appends with checkpoints on (`run.client`) and off (`offClient`), alternated, twice each. */
async function appends(run: AuditRun, offClient: LatchkeyClient): Promise<void> {
  const { client, owner, rows, results } = run;
  // On and off alternate, twice each, so drift in the machine falls on both alike.
  const runs = { on: [] as number[], off: [] as number[] };
  for (let pass = 0; pass < 2; pass++) {
    runs.on.push((await appendThroughput(client, owner)).perSecond);
    runs.off.push((await appendThroughput(offClient, owner)).perSecond);
  }
  const on = median(runs.on);
  const off = median(runs.off);
  results.appends = { on: runs.on, off: runs.off };
  for (const [side, rate, list] of [
    ['on', on, runs.on],
    ['off', off, runs.off],
  ] as const) {
    rows.push([
      `append, ${WRITERS} concurrent writers, checkpoints ${side}`,
      `${round(rate, 0)} events/s (runs: ${list.map((r) => round(r, 0)).join(', ')})`,
      '(reported)',
      '',
    ]);
  }
  rows.push([
    'append on ÷ off',
    `${round(on / off, 2)}`,
    `≥ ${GOALS.appendOnOverOff}`,
    judged(on / off >= GOALS.appendOnOverOff),
  ]);
}

/** Verify's rate beside a raw read of the same rows, before and after it; the faster counts. */
async function verifyAgainstRaw({ client, owner, dbUrl, rows, results }: AuditRun) {
  const lastSeq = await chainHead(dbUrl, owner.businessId);
  const rawBefore = await rawReadRate(dbUrl, owner.businessId, lastSeq);
  const verifyBegan = performance.now();
  const verify = await client.request<{ data: { valid: boolean; checked: number } }>(
    'GET',
    '/api/v1/audit-events/verify',
    { headers: scoped(owner.ownerToken, owner.businessId), timeoutMs: 600_000 },
  );
  const verifySeconds = (performance.now() - verifyBegan) / 1000;
  const rawAfter = await rawReadRate(dbUrl, owner.businessId, lastSeq);
  // The ratio is judged against the best this run could read.
  const raw = rawAfter.perSecond > rawBefore.perSecond ? rawAfter : rawBefore;
  const rate = verify.body.data.checked / verifySeconds;
  const ratio = rate / raw.perSecond;
  results.verify = { ...verify.body.data, seconds: verifySeconds, perSecond: rate };
  results.rawRead = { before: rawBefore, after: rawAfter };
  results.verifyOverRaw = ratio;
  rows.push([
    `verify (valid: ${verify.body.data.valid})`,
    `${round(rate, 0)} events/s (${verify.body.data.checked} in ${round(verifySeconds)} s)`,
    `≥ ${GOALS.verifyPerSecond} events/s`,
    judged(rate >= GOALS.verifyPerSecond),
  ]);
  rows.push([
    'raw read of the same rows (rowMode array, no type parsers)',
    `${round(raw.perSecond, 0)} rows/s (before verify ${round(rawBefore.perSecond, 0)}, ` +
      `after ${round(rawAfter.perSecond, 0)})`,
    '(reported)',
    '',
  ]);
  rows.push([
    'verify ÷ raw read',
    `${round(ratio, 2)}`,
    `≥ ${GOALS.verifyOverRaw}`,
    judged(ratio >= GOALS.verifyOverRaw),
  ]);
}

/** The whole export streamed from `app`, with the server's RSS growth meanwhile. */
async function exportRss({ owner, rows, results }: AuditRun, app: AppProcess): Promise<void> {
  const rssBefore = rssMiB(app.pid);
  const sampler = sampleRss(app.pid, 50);
  const exportBegan = performance.now();
  const exported = await streamExport(app.url, owner);
  const exportSeconds = (performance.now() - exportBegan) / 1000;
  const growth = sampler.stop() - rssBefore;
  results.export = {
    ...exported,
    seconds: exportSeconds,
    rssBeforeMiB: rssBefore,
    rssGrowthMiB: growth,
  };
  rows.push([
    `export NDJSON (${exported.lines} lines, ${round(exported.bytes / 2 ** 20, 0)} MiB)`,
    `${round(exportSeconds)} s, server RSS +${round(growth, 1)} MiB`,
    `RSS growth ≤ ${GOALS.exportRssMiB} MiB`,
    judged(growth <= GOALS.exportRssMiB),
  ]);
}

async function main(): Promise<void> {
  const machine = describeMachine();
  process.stdout.write(`Audit benchmark (${machineLine(machine)})\n`);
  const db = await createScratchDatabase(SERVER_URL, 'latchkey_audit_bench');
  const { app, unsigned } = await startInstances(db.url);
  try {
    const client = new LatchkeyClient(app.url);
    const owner = await client.createBusiness(app.platformToken ?? '', 'audit');
    process.stdout.write(`Seeding ${EVENTS} events in one business…\n`);
    const seedSeconds = await seed(db.url, owner.businessId, EVENTS);
    const results: Record<string, unknown> = { machine, events: EVENTS, seedSeconds };
    const run: AuditRun = { client, owner, dbUrl: db.url, rows: [], results };
    // Before anything is timed: the tree is grown while nothing else is measured.
    await treeCatchUp(run);
    if (runs('pages')) await pages(run);
    if (runs('proofs')) await proofs(run);
    if (runs('appends')) await appends(run, new LatchkeyClient(unsigned.url));
    if (runs('verify')) await verifyAgainstRaw(run);
    if (runs('export')) await exportRss(run, app);
    process.stdout.write(`\nSeeded ${EVENTS} events in ${round(seedSeconds, 1)} s.\n`);
    process.stdout.write(`${renderTable(['measure', 'figure', 'goal', ''], run.rows)}\n`);
    const dir = join(REPO_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'audit-latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  } finally {
    await stopAll([app.child, unsigned.child]);
    await db.drop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
