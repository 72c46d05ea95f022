/** Auth overhead on SQLite: one instance, S, with the in-process bus, and its start-up RSS. */
import { join } from 'node:path';
import { RATE_LIMITS_OFF } from '../../test/harness/app-process';
import type { AppProcess } from '../../test/harness/app-process';
import type { Child } from '../../test/harness/child';
import {
  LatchkeyClient,
  scoped,
  type BusinessSetup,
  type IssuedToken,
} from '../../test/harness/latchkey-client';
import type { StartApp } from '../lib/alternated';
import { authOverhead, reportAuth, type AuthRuns } from '../lib/auth-overhead';
import { figure, log, raw } from '../lib/figures';
import { LOG_LEVEL, QUICK } from '../lib/run-settings';
import { startedAndIdleRss, type StartedAndIdle } from './memory';
import { sqliteTokenList } from './token-list';

/** S's env on `sqlitePath`: the in-process bus, rate limits off. */
const sqliteEnv = (sqlitePath: string) => ({
  SQLITE_PATH: sqlitePath,
  LOG_LEVEL,
  ...RATE_LIMITS_OFF,
});

/**
 * Runs S on `sqliteDir`/bench.sqlite (which the start-time section restarts on) and stops it;
 * `track` stops the list's floor, which reads that file beside S, if the bench is cut short.
 */
export async function sqliteInstance(
  start: StartApp,
  sqliteDir: string,
  track: (child: Child) => void,
): Promise<{ memory: StartedAndIdle; runs: AuthRuns }> {
  const sqlitePath = join(sqliteDir, 'bench.sqlite');
  const s = await start('S', sqliteEnv(sqlitePath));
  const memory = await startedAndIdleRss(s);
  const owner = await new LatchkeyClient(s.url).createBusiness(s.platformToken!, 'bench');
  const runs = await authOverhead('sqlite', s, owner);
  reportAuth('sqlite', runs);
  raw.sqlite_load = runs;
  await sqliteStatements(s, owner);
  await sqliteTokenList(s, owner, sqlitePath, track);
  await s.stop();
  return { memory, runs };
}

/** The statements alone (`BENCH_ONLY=statements`): S on a file of its own, counted, and stopped. */
export async function sqliteStatementsOnly(start: StartApp, sqliteDir: string): Promise<void> {
  const s = await start('S-statements', sqliteEnv(join(sqliteDir, 'statements.sqlite')));
  const owner = await new LatchkeyClient(s.url).createBusiness(s.platformToken!, 'bench');
  await sqliteStatements(s, owner);
  await s.stop();
}

/** The SQLite list alone (`BENCH_ONLY=list`): S on a file of its own, its list, and S stopped. */
export async function sqliteListOnly(
  start: StartApp,
  sqliteDir: string,
  track: (child: Child) => void,
): Promise<void> {
  const sqlitePath = join(sqliteDir, 'list.sqlite');
  const s = await start('S-list', sqliteEnv(sqlitePath));
  const owner = await new LatchkeyClient(s.url).createBusiness(s.platformToken!, 'bench');
  await sqliteTokenList(s, owner, sqlitePath, track);
  await s.stop();
}

/** Requests of each kind counted (after as many again of warm-up), then scaled to 1,000. */
const COUNTED = QUICK ? 200 : 1000;
const IN_FLIGHT = 8;

/** What an instance has prepared so far: statements, and the distinct texts among them. */
export interface Prepared {
  prepared: number;
  texts: number;
}

/**
 * The statements an instance has prepared so far (`latchkey_sql_statements_prepared_total` and
 * `latchkey_sql_statement_texts` in its /metrics, which a platform admin's token reads): a prepare
 * is SQLite parsing a text, a new text one it had never parsed, any other one parsed again.
 */
export async function preparedSoFar(url: string, platformToken: string): Promise<Prepared> {
  const res = await new LatchkeyClient(url).request<string>('GET', '/metrics', {
    headers: { authorization: `Bearer ${platformToken}` },
  });
  const read = (name: string) => new RegExp(`^${name} (\\d+)`, 'm').exec(String(res.body));
  const prepared = read('latchkey_sql_statements_prepared_total');
  const texts = read('latchkey_sql_statement_texts');
  if (res.status !== 200 || !prepared || !texts) {
    throw new Error(`/metrics: ${res.status}, no prepared count`);
  }
  return { prepared: Number(prepared[1]), texts: Number(texts[1]) };
}

/** `after` − `before`, per 1,000 of `requests`: `3 (2 new)`, prepares and the new texts among them. */
export function perThousand(before: Prepared, after: Prepared, requests: number): string {
  const per = (n: number) => Math.round((n * 1000) / Math.max(requests, 1));
  const prepared = per(after.prepared - before.prepared);
  return prepared === 0 ? '0' : `${prepared} (${per(after.texts - before.texts)} new)`;
}

/**
 * The goal: no text prepared twice, so per 1,000 requests no more prepares than new texts (a
 * background job's first run), which are at most the kinds of statement run.
 */
export const nonePreparedTwice = (counts: readonly string[]) =>
  counts.every((c) => c === '0' || /^(\d+) \(\1 new\)$/.test(c));

/** Runs `call(i)` for i in [0, count), IN_FLIGHT at a time; each must answer `status`. */
async function each(count: number, status: number, call: (i: number) => Promise<number>) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const answered = await call(next++);
      if (answered !== status) throw new Error(`answered ${answered}, not ${status}`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

/**
 * Statements prepared per 1,000 requests, after warm-up: requests [0, COUNTED) warm up, then the
 * count is read around requests [COUNTED, 2 × COUNTED). A route whose statements are all fixed
 * texts prepares none once warm; a background job's first run (a flush, a checkpoint) prepares
 * its few new texts once, whichever route is counted then.
 */
export async function preparedPerThousand(
  url: string,
  platformToken: string,
  status: number,
  call: (i: number) => Promise<number>,
): Promise<string> {
  await each(COUNTED, status, call);
  const before = await preparedSoFar(url, platformToken);
  await each(COUNTED, status, (i) => call(COUNTED + i));
  const after = await preparedSoFar(url, platformToken);
  return perThousand(before, after, COUNTED);
}

/** Prepared statements per 1,000 requests of each hot route on S (the exchange's: federation). */
async function sqliteStatements(s: AppProcess, owner: BusinessSetup): Promise<void> {
  const client = new LatchkeyClient(s.url);
  const platform = s.platformToken!;
  const own = scoped(owner.ownerToken, owner.businessId);
  const tokens: IssuedToken[] = [];
  const counts: Record<string, string> = {};
  counts.create = await preparedPerThousand(s.url, platform, 201, async (i) => {
    tokens[i] = await client.createToken(owner, `statements-${i}`);
    return 201;
  });
  // Each token verified and read once: the first sight of a token is a cache miss's reads.
  counts.verify = await preparedPerThousand(s.url, platform, 204, async (i) => {
    const headers = { authorization: `Bearer ${tokens[i].token}` };
    return (await client.request('GET', '/auth/verify', { headers })).status;
  });
  counts.me = await preparedPerThousand(s.url, platform, 200, async (i) => {
    return (await client.me(tokens[i].token, owner.businessId)).status;
  });
  counts.list = await preparedPerThousand(s.url, platform, 200, async () => {
    return (await client.request('GET', '/api/v1/tokens?limit=20', { headers: own })).status;
  });
  counts.revoke = await preparedPerThousand(s.url, platform, 201, async (i) => {
    return (await client.revokeToken(owner, tokens[i].id)).status;
  });
  const line = Object.entries(counts)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  log(`statements prepared per 1,000 requests, sqlite: ${line}`);
  figure(
    'statements prepared per 1,000 requests, sqlite (exchange: federation)',
    line,
    'no text prepared twice',
    nonePreparedTwice(Object.values(counts)),
  );
  raw.sqlite_statements_per_1000 = counts;
}
