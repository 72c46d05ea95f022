/**
 * `npm run bench:audit`: the audit log at scale, on PostgreSQL. Seeds AUDIT_BENCH_EVENTS
 * (default 1,000,000) chained events into one business of a running server, then prints page
 * latency at depth, the verify rate beside the rate at which the same rows are merely read
 * (raw, in the same run), a full NDJSON export's time and the server's RSS growth, and append
 * throughput under 50 concurrent writers. With issue 22's checkpoints: how fast the seeded
 * chain's Merkle tree is grown, inclusion and consistency proof latency at that depth, and
 * append throughput with checkpoints on and off (a second instance on the same database, without
 * a signing key), alternated. Figures, not assertions.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ChainedEvent, chainHash, leafOfRow } from '../src/audit/audit-chain';
import { AUDIT_ROW_COLUMNS } from '../src/audit/audit-row';
import { chainRowsQuery, RAW_TEXT_TYPES } from '../src/audit/audit-row-query';
import { VERIFY_BATCH } from '../src/audit/chain-segment';
import { canonicalJson } from '../src/audit/canonical-json';
import { generateSigner } from '../src/audit/signed-note';
import { proofLatency, waitForCheckpoint, waitForTree } from './lib/audit-tree';
import { RATE_LIMITS_OFF, REPO_ROOT, startAppProcess } from '../support/app-process';
import { stopAll } from '../support/child';
import { SHARED_KEYS_ENV } from '../support/keys';
import { keepAliveAgent } from '../support/http';
import { BusinessSetup, LatchkeyClient, scoped } from '../support/latchkey-client';
import { describeMachine, machineLine } from './lib/machine';
import { createScratchDatabase, withClient } from '../support/postgres';
import { rssMiB, sampleRss } from './lib/rss';
import { percentile, round } from '../support/stats';
import { renderTable } from './lib/table';

const SERVER_URL =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/test';
const EVENTS = Number(process.env.AUDIT_BENCH_EVENTS ?? 1_000_000);
const SEED_BATCH = 10_000;
const PAGE_SAMPLES = 1_000;
const WRITERS = 50;
const APPENDS = 5_000;
const APPEND_MAX_MS = 60_000;
/** Verify's own batch: the raw read asks for the same seq ranges. */
const READ_BATCH = VERIFY_BATCH;

/** The issue's goals. */
const GOALS = {
  pageP99Ms: 5,
  verifyPerSecond: 150_000,
  verifyOverRaw: 0.8,
  exportRssMiB: 64,
  proofP99Ms: 5,
  appendOnOverOff: 0.9,
};
const PROOF_SAMPLES = 1_000;

/** The seeded mix: token.created is common enough to page 500k deep with an action filter. */
const ACTIONS: [string, number][] = [
  ['token.created', 0.6],
  ['token.revoked', 0.3],
  ['member.added', 0.05],
  ['token.rejected', 0.05],
];

function actionAt(i: number): string {
  const x = ((i * 2654435761) % 1000) / 1000;
  let acc = 0;
  for (const [action, share] of ACTIONS) {
    acc += share;
    if (x < acc) return action;
  }
  return ACTIONS[0][0];
}

/** Appends `count` valid chained events after the business's current head, in batches. */
async function seed(url: string, businessId: string, count: number): Promise<number> {
  return withClient(url, async (pg) => {
    const head = await pg.query<{ seq: number; hash: string }>(
      'SELECT seq, hash FROM audit_chain_heads WHERE chain_id = $1',
      [businessId],
    );
    let seq = head.rows[0].seq;
    let prev = head.rows[0].hash;
    const actor = { id: randomUUID(), type: 'user', label: 'seed@bench.test' };
    const start = Date.now() - count * 2 - 60_000;
    const began = performance.now();
    for (let done = 0; done < count; done += SEED_BATCH) {
      const n = Math.min(SEED_BATCH, count - done);
      const cols = {
        id: [] as string[],
        seq: [] as number[],
        at: [] as string[],
        action: [] as string[],
        outcome: [] as string[],
        target: [] as string[],
        label: [] as string[],
        request: [] as string[],
        metadata: [] as string[],
        prev: [] as string[],
        hash: [] as string[],
      };
      for (let k = 0; k < n; k++) {
        seq++;
        const action = actionAt(seq);
        const metadata = { jti: `jti${seq}`, reason: action === 'token.revoked' ? 'bench' : null };
        const event: ChainedEvent = {
          id: randomUUID(),
          seq,
          business_id: businessId,
          occurred_at: new Date(start + seq * 2).toISOString(),
          action,
          outcome: action === 'token.rejected' ? 'failure' : 'success',
          actor,
          target: { type: 'token', id: randomUUID(), label: `token-${seq}` },
          request_id: randomUUID(),
          ip: '127.0.0.1',
          user_agent: 'bench/1.0',
          metadata,
        };
        const hash = chainHash(prev, event);
        cols.id.push(event.id);
        cols.seq.push(seq);
        cols.at.push(event.occurred_at);
        cols.action.push(action);
        cols.outcome.push(event.outcome);
        cols.target.push(event.target.id as string);
        cols.label.push(event.target.label as string);
        cols.request.push(event.request_id as string);
        cols.metadata.push(canonicalJson(metadata));
        cols.prev.push(prev);
        cols.hash.push(hash);
        prev = hash;
      }
      await pg.query(
        `INSERT INTO audit_events (id, chain_id, seq, business_id, occurred_at, action, outcome,
           actor_id, actor_type, actor_label, target_type, target_id, target_label, request_id,
           ip, user_agent, metadata, prev_hash, hash)
         SELECT u.id, $1::text, u.seq, $1::uuid, u.at, u.action, u.outcome, $2, $3, $4, 'token',
           u.target, u.label, u.request, '127.0.0.1', 'bench/1.0', u.metadata, u.prev, u.hash
         FROM unnest($5::uuid[], $6::int[], $7::timestamptz[], $8::text[], $9::text[],
           $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])
           AS u(id, seq, at, action, outcome, target, label, request, metadata, prev, hash)`,
        [
          businessId,
          actor.id,
          actor.type,
          actor.label,
          cols.id,
          cols.seq,
          cols.at,
          cols.action,
          cols.outcome,
          cols.target,
          cols.label,
          cols.request,
          cols.metadata,
          cols.prev,
          cols.hash,
        ],
      );
      if ((done / SEED_BATCH) % 10 === 0) {
        process.stdout.write(`  seeded ${done + n} / ${count}\n`);
      }
    }
    await pg.query('UPDATE audit_chain_heads SET seq = $1, hash = $2 WHERE chain_id = $3', [
      seq,
      prev,
      businessId,
    ]);
    // Vacuumed as well as analyzed, as a table in steady state is: otherwise autovacuum starts on
    // the million new rows while the pages are timed, and the tail measures the vacuum.
    await pg.query('VACUUM (ANALYZE) audit_events');
    return (performance.now() - began) / 1000;
  });
}

/** The API's cursor for the row at `depth` (bench setup only: the app itself never OFFSETs). */
async function cursorAt(url: string, businessId: string, depth: number, action?: string) {
  if (depth === 0) return undefined;
  const row = await withClient(url, (pg) =>
    pg.query<{ occurred_at: Date; id: string }>(
      `SELECT occurred_at, id FROM audit_events WHERE business_id = $1
       ${action ? 'AND action = $3' : ''}
       ORDER BY occurred_at DESC, id DESC OFFSET $2 LIMIT 1`,
      action ? [businessId, depth - 1, action] : [businessId, depth - 1],
    ),
  );
  const { occurred_at, id } = row.rows[0];
  return Buffer.from(JSON.stringify([occurred_at.toISOString(), id])).toString('base64url');
}

/**
 * The rate at which one connection merely reads the chain's rows, as verify asks for them (seq
 * ranges of VERIFY_BATCH, the next asked for as soon as one arrives), with node-postgres's cheapest
 * reading: rowMode 'array' and no type parsers. Verify cannot beat reading; this says how close
 * it comes.
 */
async function rawReadRate(url: string, businessId: string, lastSeq: number) {
  return withClient(url, async (pg) => {
    const range = (afterSeq: number) => {
      const upToSeq = Math.min(afterSeq + READ_BATCH, lastSeq);
      const { text, values } = chainRowsQuery('postgres', businessId, { afterSeq, upToSeq });
      return pg.query<unknown[]>({ text, values, rowMode: 'array', types: RAW_TEXT_TYPES });
    };
    const began = performance.now();
    let rows = 0;
    let afterSeq = 0;
    let next = range(0);
    while (afterSeq < lastSeq) {
      const result = await next;
      afterSeq = Math.min(afterSeq + READ_BATCH, lastSeq);
      if (afterSeq < lastSeq) next = range(afterSeq);
      rows += result.rows.length;
      if (result.rows[0]?.length !== AUDIT_ROW_COLUMNS.length) throw new Error('raw read: no rows');
    }
    const seconds = (performance.now() - began) / 1000;
    return { rows, seconds, perSecond: rows / seconds };
  });
}

async function chainHead(url: string, businessId: string): Promise<number> {
  const head = await withClient(url, (pg) =>
    pg.query<{ seq: number }>('SELECT seq FROM audit_chain_heads WHERE chain_id = $1', [
      businessId,
    ]),
  );
  return head.rows[0].seq;
}

async function pageLatency(
  client: LatchkeyClient,
  owner: BusinessSetup,
  cursor: string | undefined,
  action?: string,
) {
  const query = new URLSearchParams({ limit: '50' });
  if (cursor) query.set('cursor', cursor);
  if (action) query.set('action', action);
  const path = `/api/v1/audit-events?${query.toString()}`;
  const headers = scoped(owner.ownerToken, owner.businessId);
  for (let i = 0; i < 50; i++)
    await client.request('GET', path, { headers, agent: keepAliveAgent });
  const ms: number[] = [];
  for (let i = 0; i < PAGE_SAMPLES; i++) {
    const res = await client.request<{ data: { items: unknown[] } }>('GET', path, {
      headers,
      agent: keepAliveAgent,
    });
    if (res.status !== 200 || res.body.data.items.length !== 50) {
      throw new Error(`page: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    }
    ms.push(res.ms);
  }
  return { p50: percentile(ms, 50), p99: percentile(ms, 99) };
}

/** Streams the export, counting lines, without holding it. */
function streamExport(
  baseUrl: string,
  owner: BusinessSetup,
): Promise<{ lines: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      new URL('/api/v1/audit-events/export?format=ndjson', baseUrl),
      { headers: scoped(owner.ownerToken, owner.businessId) },
      (res) => {
        if (res.statusCode !== 200) reject(new Error(`export: ${res.statusCode}`));
        let lines = 0;
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
        });
        res.on('end', () => resolve({ lines, bytes }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
}

/** Creates tokens from 50 concurrent writers; each creation appends one event to the chain. */
async function appendThroughput(client: LatchkeyClient, owner: BusinessSetup) {
  let started = 0;
  let ok = 0;
  const began = performance.now();
  const writer = async () => {
    while (started < APPENDS && performance.now() - began < APPEND_MAX_MS) {
      const i = started++;
      const res = await client.request('POST', '/api/v1/tokens', {
        headers: scoped(owner.ownerToken, owner.businessId),
        body: { name: `append-${i}` },
        agent: keepAliveAgent,
      });
      if (res.status === 201) ok++;
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
  const seconds = (performance.now() - began) / 1000;
  return { appends: ok, seconds, perSecond: ok / seconds };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    (sorted[Math.floor((sorted.length - 1) / 2)] + sorted[Math.ceil((sorted.length - 1) / 2)]) / 2
  );
}

/** The tree leaf of the event at `seq`, from its stored row. */
async function leafAt(url: string, businessId: string, seq: number): Promise<Buffer> {
  return withClient(url, async (pg) => {
    const { text, values } = chainRowsQuery('postgres', businessId, {
      afterSeq: seq - 1,
      upToSeq: seq,
    });
    const { rows } = await pg.query<unknown[]>({
      text,
      values,
      rowMode: 'array',
      types: RAW_TEXT_TYPES,
    });
    return leafOfRow(rows[0], 'postgres');
  });
}

async function main(): Promise<void> {
  const machine = describeMachine();
  process.stdout.write(`Audit benchmark (${machineLine(machine)})\n`);
  const db = await createScratchDatabase(SERVER_URL, 'latchkey_audit_bench');
  const signing = generateSigner('bench.latchkey.test');
  const app = await startAppProcess({
    name: 'audit-bench',
    env: {
      DATABASE_URL: db.url,
      LOG_LEVEL: 'warn',
      AUDIT_SIGNING_KEY: signing.signerKey,
      WEBHOOK_SECRETS_KEY: SHARED_KEYS_ENV.WEBHOOK_SECRETS_KEY,
      AUDIT_CHECKPOINT_EVERY_SECONDS: '1',
      ...RATE_LIMITS_OFF,
    },
  });
  // The same database, with checkpoints turned off, for the append comparison.
  const unsigned = await startAppProcess({
    name: 'audit-bench-unsigned',
    env: {
      DATABASE_URL: db.url,
      LOG_LEVEL: 'warn',
      AUDIT_CHECKPOINTS_ENABLED: 'false',
      WEBHOOK_SECRETS_KEY: SHARED_KEYS_ENV.WEBHOOK_SECRETS_KEY,
      ...RATE_LIMITS_OFF,
    },
  });
  try {
    const client = new LatchkeyClient(app.url);
    const owner = await client.createBusiness(app.platformToken ?? '', 'audit');
    process.stdout.write(`Seeding ${EVENTS} events in one business…\n`);
    const seedSeconds = await seed(db.url, owner.businessId, EVENTS);

    const rows: string[][] = [];
    const results: Record<string, unknown> = { machine, events: EVENTS, seedSeconds };
    // Before anything is timed: the tree is grown while nothing else is measured.
    // The seeded events were written around the app: its checkpointer grows their tree.
    const grown = await waitForTree(db.url, owner.businessId);
    results.treeCatchUp = { ...grown, perSecond: grown.leaves / grown.seconds };
    rows.push([
      'tree grown over the seeded events (the checkpointer)',
      `${round(grown.leaves / grown.seconds, 0)} events/s (${grown.leaves} in ${round(grown.seconds)} s)`,
      '(reported)',
      '',
    ]);
    const pages: Record<string, unknown> = {};
    for (const depth of [0, 10_000, 500_000].filter((d) => d < EVENTS * 0.6)) {
      for (const action of [undefined, 'token.created']) {
        const cursor = await cursorAt(db.url, owner.businessId, depth, action);
        const { p50, p99 } = await pageLatency(client, owner, cursor, action);
        const label = `page of 50 at depth ${depth}${action ? ` (action=${action})` : ''}`;
        pages[label] = { p50, p99 };
        rows.push([
          label,
          `p50 ${round(p50)} ms, p99 ${round(p99)} ms`,
          `p99 ≤ ${GOALS.pageP99Ms} ms`,
          p99 <= GOALS.pageP99Ms ? 'met' : 'missed',
        ]);
      }
    }
    results.pages = pages;

    const signedSize = await waitForCheckpoint(db.url, owner.businessId, EVENTS);
    const proofs = await proofLatency(client, owner, signedSize, PROOF_SAMPLES, (seq) =>
      leafAt(db.url, owner.businessId, seq),
    );
    results.proofs = { treeSize: signedSize, ...proofs };
    for (const [kind, figure] of Object.entries(proofs)) {
      rows.push([
        `${kind} proof at ${signedSize} events`,
        `p50 ${round(figure.p50)} ms, p99 ${round(figure.p99)} ms`,
        `p99 ≤ ${GOALS.proofP99Ms} ms`,
        figure.p99 <= GOALS.proofP99Ms ? 'met' : 'missed',
      ]);
    }

    // On and off alternate, twice each, so drift in the machine falls on both alike.
    const offClient = new LatchkeyClient(unsigned.url);
    const runs = { on: [] as number[], off: [] as number[] };
    for (let pass = 0; pass < 2; pass++) {
      runs.on.push((await appendThroughput(client, owner)).perSecond);
      runs.off.push((await appendThroughput(offClient, owner)).perSecond);
    }
    const on = median(runs.on);
    const off = median(runs.off);
    results.appends = { on: runs.on, off: runs.off };
    rows.push([
      `append, ${WRITERS} concurrent writers, checkpoints on`,
      `${round(on, 0)} events/s (runs: ${runs.on.map((r) => round(r, 0)).join(', ')})`,
      '(reported)',
      '',
    ]);
    rows.push([
      `append, ${WRITERS} concurrent writers, checkpoints off`,
      `${round(off, 0)} events/s (runs: ${runs.off.map((r) => round(r, 0)).join(', ')})`,
      '(reported)',
      '',
    ]);
    rows.push([
      'append on ÷ off',
      `${round(on / off, 2)}`,
      `≥ ${GOALS.appendOnOverOff}`,
      on / off >= GOALS.appendOnOverOff ? 'met' : 'missed',
    ]);

    // Read raw before and after verify, and keep the faster: the ratio is judged against the
    // best this run could read.
    const lastSeq = await chainHead(db.url, owner.businessId);
    const rawBefore = await rawReadRate(db.url, owner.businessId, lastSeq);
    const verifyBegan = performance.now();
    const verify = await client.request<{ data: { valid: boolean; checked: number } }>(
      'GET',
      '/api/v1/audit-events/verify',
      { headers: scoped(owner.ownerToken, owner.businessId), timeoutMs: 600_000 },
    );
    const verifySeconds = (performance.now() - verifyBegan) / 1000;
    const rawAfter = await rawReadRate(db.url, owner.businessId, lastSeq);
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
      rate >= GOALS.verifyPerSecond ? 'met' : 'missed',
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
      ratio >= GOALS.verifyOverRaw ? 'met' : 'missed',
    ]);

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
      growth <= GOALS.exportRssMiB ? 'met' : 'missed',
    ]);

    process.stdout.write(`\nSeeded ${EVENTS} events in ${round(seedSeconds, 1)} s.\n`);
    process.stdout.write(`${renderTable(['measure', 'figure', 'goal', ''], rows)}\n`);
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
