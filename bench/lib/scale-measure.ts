/**
 * What `npm run bench:scale` measures at each size, on A and B of an installation: a verify of a
 * token no cache has seen, warm verify throughput, the first and a deep page of the largest
 * business's token list, revoke on A → 401 on B, and A's RSS once that is done. Latencies are of
 * requests one at a time (keep-alive), so they are the server's, not a queue's.
 */
import autocannon from 'autocannon';
import { httpRequest, type HttpResponse } from '../../test/harness/http';
import { gatewayScoped, scoped } from '../../test/harness/latchkey-client';
import { percentile, round } from '../../test/harness/stats';
import { rssMiB } from './rss';
import type { Installation } from './scale-install';
import type { KeptToken } from './scale-seed';

export interface ScaleFigures {
  verify_miss_p99_ms: number;
  verify_hit_rps: number;
  list_p99_ms: number;
  deep_page_p99_ms: number;
  revoke_propagation_p99_ms: number;
  rss_mib: number;
}

export const FIGURE_NAMES = [
  'verify_miss_p99_ms',
  'verify_hit_rps',
  'list_p99_ms',
  'deep_page_p99_ms',
  'revoke_propagation_p99_ms',
  'rss_mib',
] as const satisfies readonly (keyof ScaleFigures)[];

export interface MeasureSettings {
  missSamples: number;
  pageSamples: number;
  revocations: number;
  hitSeconds: number;
}

/** How long B is polled after one revoke before the sample counts as never seen. */
const PROPAGATION_BOUND_MS = 1500;
const WARMUPS = 3;
/** A fresh instance's first misses compile the path and fill the pool: not counted. */
const MISS_WARMUPS = 50;
/** How deep into the largest list the deep page starts: nine tenths of the way down. */
const DEEP_AT = 0.9;

const verifyHeaders = (t: KeptToken) => gatewayScoped(t.secret, t.businessId);

function expect(res: HttpResponse, status: number, what: string): HttpResponse {
  if (res.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  }
  return res;
}

/** The p50s beside the p99s: on a shared machine the tail is mostly the scheduler's. */
export type Medians = Record<string, number>;

async function timed(n: number, one: (i: number) => Promise<HttpResponse>) {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) ms.push((await one(i)).ms);
  return { p50: round(percentile(ms, 50), 2), p99: round(percentile(ms, 99), 2) };
}

/** Each of `missSamples` kept tokens verified once on A, whose cache has never seen it. */
async function verifyMiss(inst: Installation, s: MeasureSettings) {
  const tokens = inst.draw(s.missSamples + MISS_WARMUPS);
  const verify = (t: KeptToken) =>
    httpRequest(inst.a.url, 'GET', '/auth/verify', { headers: verifyHeaders(t) });
  for (const t of tokens.slice(0, MISS_WARMUPS)) expect(await verify(t), 204, 'verify (warm-up)');
  const sample = tokens.slice(MISS_WARMUPS);
  return timed(sample.length, async (i) => expect(await verify(sample[i]), 204, 'verify miss'));
}

async function verifyHit(inst: Installation, s: MeasureSettings): Promise<number> {
  const [token] = inst.draw(1);
  const url = `${inst.a.url}/auth/verify`;
  const headers = verifyHeaders(token);
  await autocannon({ url, headers, connections: 50, duration: 1 });
  const run = await autocannon({ url, headers, connections: 50, duration: s.hitSeconds });
  if (run.non2xx > 0 || run.errors > 0) {
    throw new Error(`verify hit: ${run.non2xx} non-2xx answers, ${run.errors} errors`);
  }
  return round(run.requests.average, 0);
}

/** The API's cursor for the row of the largest list at `depth` (bench setup only). */
async function cursorAt(inst: Installation, depth: number): Promise<string> {
  const [row] = await inst.db.all<{ created_at: unknown; id: string }>(
    `SELECT created_at, id FROM api_tokens WHERE business_id = ?
     ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?`,
    [inst.big.businessId, depth],
  );
  const at = new Date(inst.db.millis(row.created_at)).toISOString();
  return Buffer.from(JSON.stringify([at, row.id])).toString('base64url');
}

async function pages(inst: Installation, s: MeasureSettings) {
  const headers = scoped(inst.owners.get(inst.big.businessId)!, inst.big.businessId);
  const page = async (cursor?: string) => {
    const path = `/api/v1/tokens?limit=20${cursor ? `&cursor=${cursor}` : ''}`;
    const res = expect(await httpRequest(inst.a.url, 'GET', path, { headers }), 200, 'list');
    const items = (res.body as { data: { items: unknown[] } }).data.items;
    if (items.length !== 20) throw new Error(`list: a page of ${items.length} tokens`);
    return res;
  };
  for (let i = 0; i < 20; i++) await page();
  const list = await timed(s.pageSamples, () => page());
  const [{ n }] = await inst.db.all<{ n: number | string }>(
    'SELECT COUNT(*) AS n FROM api_tokens WHERE business_id = ?',
    [inst.big.businessId],
  );
  // Ten cursors from nine tenths down to the last full page, taken in turn.
  const deepest = Math.floor(Number(n) * DEEP_AT);
  const room = Math.max(0, Number(n) - 21 - deepest);
  const cursors: string[] = [];
  for (let j = 0; j < 10; j++)
    cursors.push(await cursorAt(inst, deepest + Math.floor((j * room) / 10)));
  for (const c of cursors) await page(c);
  const deep = await timed(s.pageSamples, (i) => page(cursors[i % cursors.length]));
  return { list, deep };
}

/** One revoke on A: ms from its 201 until B answers 401 (Infinity past the bound). */
async function revokeAndPoll(inst: Installation, token: KeptToken): Promise<number> {
  const onB = () =>
    httpRequest(inst.b.url, 'GET', '/auth/verify', { headers: verifyHeaders(token) });
  for (let w = 0; w < 2; w++) expect(await onB(), 204, 'verify on B before the revoke');
  const owner = inst.owners.get(token.businessId)!;
  const revoke = await httpRequest(inst.a.url, 'POST', `/api/v1/tokens/${token.id}/revoke`, {
    headers: scoped(owner, token.businessId),
    body: { reason: 'scale bench' },
  });
  expect(revoke, 201, 'revoke on A');
  for (;;) {
    const res = await onB();
    if (res.status === 401) return res.endedAt - revoke.endedAt;
    if (res.endedAt - revoke.endedAt > PROPAGATION_BOUND_MS) return Infinity;
  }
}

async function propagation(inst: Installation, s: MeasureSettings) {
  const samples: number[] = [];
  for (const [i, token] of inst.draw(s.revocations + WARMUPS).entries()) {
    const ms = await revokeAndPoll(inst, token);
    if (i >= WARMUPS) samples.push(ms);
  }
  return { p50: round(percentile(samples, 50), 2), p99: round(percentile(samples, 99), 2) };
}

export async function measure(
  inst: Installation,
  s: MeasureSettings,
): Promise<{ figures: ScaleFigures; medians: Medians }> {
  // The warm run first: it compiles the verify path, so the misses measure the lookup.
  const verify_hit_rps = await verifyHit(inst, s);
  const miss = await verifyMiss(inst, s);
  const { list, deep } = await pages(inst, s);
  const revoke = await propagation(inst, s);
  return {
    figures: {
      verify_miss_p99_ms: miss.p99,
      verify_hit_rps,
      list_p99_ms: list.p99,
      deep_page_p99_ms: deep.p99,
      revoke_propagation_p99_ms: revoke.p99,
      rss_mib: round(rssMiB(inst.a.pid), 1),
    },
    medians: {
      verify_miss_p50_ms: miss.p50,
      list_p50_ms: list.p50,
      deep_page_p50_ms: deep.p50,
      revoke_propagation_p50_ms: revoke.p50,
    },
  };
}
