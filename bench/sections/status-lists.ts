/**
 * Token Status Lists (docs/edge.md): a business's list holding 100,000 tokens, 1% of them revoked
 * at random places: its size as served and the p99 of serving it; then how long a revocation on A
 * takes to show in the list B serves (B kept the list it built, for its ttl, until the bus told it
 * of the change). The rows are written straight into PostgreSQL, beside the API's own token.
 */
import { StatusList } from '@sd-jwt/jwt-status-list';
import { EdgeVerifier } from '../../packages/client/src/verifier';
import type { AppProcess } from '../../test/harness/app-process';
import { LatchkeyClient, scoped, type BusinessSetup } from '../../test/harness/latchkey-client';
import { withClient } from '../../test/harness/servers/postgres';
import { percentile, round } from '../../test/harness/stats';
import { figure, log, notes, raw, type QuickRow } from '../lib/figures';
import { load } from '../lib/load';
import { QUICK } from '../lib/run-settings';

const LISTED = 100_000;
const REVOKED_SHARE = 0.01;
/** How long B is polled after one revocation before that sample counts as unseen. */
const BOUND_MS = 5_000;
const JSON_FORM = { accept: 'application/statuslist+json' };
const SERVING_CONNECTIONS = 10;
/** The goals: the list's size as served, its serving p99, the edge's cached checks, propagation. */
const GOAL = { bytes: 16 * 1024, servingP99Ms: 5, checksPerS: 1_000_000, seenP99Ms: 1_000 };
const GOALS = {
  bytes: `≤ ${GOAL.bytes / 1024} KiB`,
  serving: `≤ ${GOAL.servingP99Ms} ms`,
  checks: `≥ ${GOAL.checksPerS / 1e6} M/s`,
  seen: `p99 ≤ ${GOAL.seenP99Ms / 1000} s`,
};
/** This section's row in the quick run (bench/run.ts), which leaves it to the full bench. */
export const STATUS_LISTS_ROW: QuickRow = [
  'status list: size as served, serving p99, edge checks, revoke on A → its bit in the list B serves',
  Object.values(GOALS).join('; '),
];

interface Entry {
  idx: number;
  uri: string;
}

/** The entry of a token, as its /me names it. */
async function entryOf(client: LatchkeyClient, token: string, businessId: string): Promise<Entry> {
  const res = await client.me(token, businessId);
  const entry = (res.body as { data?: { status_list?: Entry } }).data?.status_list;
  if (res.status !== 200 || !entry) throw new Error(`status lists: /me answered ${res.status}`);
  return entry;
}

/** Fills the owner's list to LISTED places, a random 1% of them revoked (rows only). */
async function seed(databaseUrl: string, listId: string, ownerTokenId: string): Promise<void> {
  await withClient(databaseUrl, async (c) => {
    await c.query(
      `INSERT INTO api_tokens (id, jti, business_id, identity_id, name, scopes, token_hash, preview,
         created_at, created_by, created_by_id, status_list_id, status_index, revoked_at, revoked_by)
       SELECT gen_random_uuid(), md5('jti' || s.i || random()), t.business_id, t.identity_id,
         'seeded', t.scopes, md5('a' || s.i || random()) || md5('b' || s.i || random()), t.preview,
         t.created_at, t.created_by, t.created_by_id, t.status_list_id, s.i,
         CASE WHEN s.dead THEN now() END, CASE WHEN s.dead THEN 'bench' END
       FROM api_tokens t,
         (SELECT i, random() < $2 AS dead FROM generate_series(1, $3 - 1) AS i) s
       WHERE t.id = $1`,
      [ownerTokenId, REVOKED_SHARE, LISTED],
    );
    await c.query('UPDATE status_lists SET next_index = $2 WHERE id = $1', [listId, LISTED]);
  });
}

/** Polls B's list until `idx` reads invalid: ms from the end of A's revoke response. */
async function seenOnB(b: AppProcess, path: string, idx: number, since: number): Promise<number> {
  for (;;) {
    const res = await fetch(`${b.url}${path}`, { headers: JSON_FORM });
    const { status_list: list } = (await res.json()) as { status_list: { bits: 2; lst: string } };
    const now = performance.now();
    if (StatusList.decompressStatusList(list.lst, list.bits).getStatus(idx) === 1)
      return now - since;
    if (now - since > BOUND_MS) return Infinity;
  }
}

/**
 * The relying party's module (packages/client/src/verifier.ts) once it met the token: checks
 * per second of `checkCached` against the list it fetched, in this one process.
 */
async function edgeChecksPerSecond(uri: string, owner: BusinessSetup): Promise<number> {
  // Its base is the lists' own origin (PUBLIC_BASE_URL's default names localhost).
  const edge = new EdgeVerifier({ baseUrl: new URL(uri).origin });
  let known = await edge.verify(owner.ownerToken);
  for (let i = 0; i < 10 && !(known.valid && known.source === 'list'); i++) {
    known = edge.checkCached(owner.ownerToken) ?? (await edge.verify(owner.ownerToken));
  }
  if (!(known.valid && known.source === 'list')) {
    throw new Error(
      `status lists: the edge verifier never answered from the list (${JSON.stringify(known)})`,
    );
  }
  const n = QUICK ? 2_000_000 : 10_000_000;
  let valid = 0;
  const started = performance.now();
  for (let i = 0; i < n; i++) if (edge.checkCached(owner.ownerToken)?.valid) valid++;
  const seconds = (performance.now() - started) / 1000;
  if (valid !== n) throw new Error(`status lists: ${n - valid} of ${n} cached checks not valid`);
  const rate = Math.round(n / seconds);
  figure(
    "status list: the edge verifier's cached checks (checkCached, one process)",
    `${(rate / 1e6).toFixed(1)} M/s`,
    GOALS.checks,
    rate >= GOAL.checksPerS,
  );
  return rate;
}

export async function statusListCost(
  a: AppProcess,
  b: AppProcess,
  platformToken: string,
  databaseUrl: string,
): Promise<void> {
  const clientA = new LatchkeyClient(a.url);
  const owner: BusinessSetup = await clientA.createBusiness(platformToken, 'lists');
  const first = await entryOf(clientA, owner.ownerToken, owner.businessId);
  const path = new URL(first.uri).pathname;
  const listId = path.split('/').pop()!;
  const me = await fetch(`${a.url}/api/v1/me`, {
    headers: scoped(owner.ownerToken, owner.businessId),
  });
  const ownerTokenId = ((await me.json()) as { data: { token: { id: string } } }).data.token.id;
  log(`status lists: seeding ${LISTED} tokens, ${REVOKED_SHARE * 100}% revoked`);
  await seed(databaseUrl, listId, ownerTokenId);

  const jwt = await (await fetch(`${a.url}${path}`)).text();
  const [, payload] = jwt.split('.');
  const { status_list: list } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as {
    status_list: { lst: string };
  };
  const bytes = Buffer.byteLength(jwt);
  const lstBytes = Buffer.from(list.lst, 'base64url').length;
  figure(
    `status list: ${LISTED.toLocaleString('en')} tokens, 1% revoked, as served (signed JWT)`,
    `${round(bytes / 1024)} KiB (lst ${round(lstBytes / 1024)} KiB compressed)`,
    GOALS.bytes,
    bytes <= GOAL.bytes,
  );
  // Its latency at a relying parties' pace (10 connections), not at saturation (50), where the
  // p99 is the queue's: /health/live's is as long there.
  const serving = await load('postgres', a.url, path, {}, undefined, false, SERVING_CONNECTIONS);
  figure(
    `status list: GET /status-lists/{id} of that list (kept built), ${SERVING_CONNECTIONS} connections, p99`,
    `${serving.p99_ms} ms at ${serving.rps} req/s`,
    GOALS.serving,
    serving.p99_ms <= GOAL.servingP99Ms,
  );

  const checks = await edgeChecksPerSecond(first.uri, owner);

  const count = QUICK ? 10 : 50;
  log(`status lists: ${count} revocations on A, polled in B's list`);
  const tokens = await clientA.createTokens(owner, count, 4, 'listed');
  const samples: number[] = [];
  for (const token of tokens) {
    const { idx } = await entryOf(clientA, token.token, owner.businessId);
    await fetch(`${b.url}${path}`, { headers: JSON_FORM }); // B builds and keeps it
    const revoked = await clientA.revokeToken(owner, token.id);
    if (revoked.status !== 201) throw new Error(`status lists: revoke answered ${revoked.status}`);
    samples.push(await seenOnB(b, path, idx, revoked.endedAt));
  }
  const unseen = samples.filter((s) => !Number.isFinite(s)).length;
  if (unseen > 0)
    notes.push(`status lists: ${unseen} revocations unseen on B within ${BOUND_MS} ms`);
  const p99 = percentile(samples, 99);
  figure(
    `status list: revoke on A → its bit in the list B serves, ${samples.length} revocations`,
    `p50 ${round(percentile(samples, 50))} ms, p99 ${Number.isFinite(p99) ? `${round(p99)} ms` : 'unseen'}`,
    GOALS.seen,
    p99 <= GOAL.seenP99Ms,
  );
  raw.status_lists = {
    listed: LISTED,
    revoked_share: REVOKED_SHARE,
    jwt_bytes: bytes,
    lst_bytes: lstBytes,
    serving,
    edge_checks_per_s: checks,
    propagation_ms: samples.map((s) => (Number.isFinite(s) ? round(s) : null)),
  };
}
