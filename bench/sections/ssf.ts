/**
 * Shared Signals (docs/edge.md; SSF 1.0, RFC 8935 push): a revocation's commit to its CAEP
 * credential-change SET received. An instance of its own, on a PostgreSQL database of its own and
 * Redis, may push to loopback (WEBHOOK_ALLOW_PRIVATE, WEBHOOK_ALLOW_HTTP); a receiver in this
 * process answers 202. One stream, then revocations one after another, each timed from its
 * response to its SET's arrival, found by the token's jti (`sub_id.token.id`). The first SET's
 * signature is checked against /.well-known/jwks.json before any is timed, so the clock times
 * real SETs.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';
import type { AppProcess } from '../../test/harness/app-process';
import { LatchkeyClient, scoped, type BusinessSetup } from '../../test/harness/latchkey-client';
import { createScratchDatabase } from '../../test/harness/servers/postgres';
import { percentile, round } from '../../test/harness/stats';
import type { StartApp } from '../lib/alternated';
import { figure, log, notes, raw, type QuickRow } from '../lib/figures';
import { POSTGRES_URL, QUICK } from '../lib/run-settings';

const CREDENTIAL_CHANGE = 'https://schemas.openid.net/secevent/caep/event-type/credential-change';
const SET_MEDIA_TYPE = 'application/secevent+jwt';
/** Kept small in --quick, which CI runs: about a tenth of a second each. */
const REVOCATIONS = QUICK ? 20 : 200;
/** How long a SET is waited for after its revoke's response before that sample counts as lost. */
const BOUND_MS = 5_000;
const GOAL_MS = 2_000;
const GOAL = `p99 ≤ ${GOAL_MS / 1000} s`;
const NAME = 'ssf: revoke → its credential-change SET pushed and received';
/** This section's row in the quick run (bench/run.ts), which leaves it to the full bench. */
export const SSF_ROW: QuickRow = [NAME, GOAL];

interface Arrival {
  at: number;
  jws: string;
  headers: IncomingHttpHeaders;
}

/** The jti of the token a SET is about, from its unverified payload; undefined for any other. */
function tokenJtiOf(jws: string): string | undefined {
  try {
    const subject = decodeJwt(jws).sub_id as { token?: { id?: unknown } } | undefined;
    return typeof subject?.token?.id === 'string' ? subject.token.id : undefined;
  } catch {
    return undefined;
  }
}

/** The RFC 8935 receiver: answers 202, and notes when each token's first SET arrived. */
function startSetReceiver() {
  const arrivals = new Map<string, Arrival>();
  const waiters = new Map<string, (arrival: Arrival) => void>();
  let others = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const arrival = {
        at: performance.now(),
        jws: Buffer.concat(chunks).toString(),
        headers: req.headers,
      };
      const jti = tokenJtiOf(arrival.jws);
      if (jti === undefined || arrivals.has(jti)) others++;
      else {
        arrivals.set(jti, arrival);
        waiters.get(jti)?.(arrival);
      }
      res.writeHead(202).end();
    });
  });
  return {
    /** SETs about no token, or a token's again (a retry). */
    get others() {
      return others;
    },
    /** The first SET about `jti`, or null once `boundMs` passed without one. */
    arrivalOf(jti: string, boundMs: number): Promise<Arrival | null> {
      const seen = arrivals.get(jti);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiters.delete(jti);
          resolve(null);
        }, boundMs);
        waiters.set(jti, (arrival) => {
          clearTimeout(timer);
          waiters.delete(jti);
          resolve(arrival);
        });
      });
    },
    listen: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () =>
          resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/ssf`),
        ),
      ),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Revocable {
  id: string;
  jti: string;
}

/** `count` tokens of the owner's, with the jti their SETs will name; 4 creations in flight. */
async function createRevocable(
  client: LatchkeyClient,
  owner: BusinessSetup,
  count: number,
): Promise<Revocable[]> {
  const made: Revocable[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const res = await client.request<{ data: Revocable }>('POST', '/api/v1/tokens', {
        headers: scoped(owner.ownerToken, owner.businessId),
        body: { name: `ssf-${i}` },
      });
      if (res.status !== 201) throw new Error(`ssf: create token answered ${res.status}`);
      made.push({ id: res.body.data.id, jti: res.body.data.jti });
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return made;
}

/** Creates the owner's stream to `url` as a standard receiver does (no x-business-id); its aud. */
async function createStream(client: LatchkeyClient, owner: BusinessSetup, url: string) {
  const res = await client.request<{ stream_id: string; aud: string }>('POST', '/ssf/v1/streams', {
    headers: { authorization: `Bearer ${owner.ownerToken}` },
    body: {
      delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: url },
      events_requested: [CREDENTIAL_CHANGE],
    },
  });
  if (res.status !== 201)
    throw new Error(`ssf: create stream answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A SET checked as a receiver checks it: media type, signature against the JWKS, typ, aud, event. */
async function checkSet(
  app: AppProcess,
  arrival: Arrival,
  aud: string,
  jti: string,
): Promise<void> {
  if (arrival.headers['content-type'] !== SET_MEDIA_TYPE)
    throw new Error(`ssf: a SET came as ${arrival.headers['content-type']}`);
  const keys = (await (await fetch(`${app.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
  const { payload } = await jwtVerify(arrival.jws, createLocalJWKSet(keys), {
    audience: aud,
    typ: 'secevent+jwt',
  });
  const change = (payload.events as Record<string, { change_type?: string }> | undefined)?.[
    CREDENTIAL_CHANGE
  ];
  if (change?.change_type !== 'revoke' || tokenJtiOf(arrival.jws) !== jti)
    throw new Error(`ssf: the SET is no revocation of ${jti}: ${JSON.stringify(payload)}`);
}

/** Revokes each token in turn: ms from its response to its SET, Infinity for a SET not seen. */
async function timedRevocations(
  client: LatchkeyClient,
  owner: BusinessSetup,
  receiver: ReturnType<typeof startSetReceiver>,
  tokens: Revocable[],
): Promise<number[]> {
  const samples: number[] = [];
  for (const token of tokens) {
    const res = await client.revokeToken(owner, token.id);
    if (res.status !== 201) throw new Error(`ssf: revoke answered ${res.status}`);
    const arrival = await receiver.arrivalOf(token.jti, BOUND_MS);
    samples.push(arrival ? arrival.at - res.endedAt : Infinity);
  }
  return samples;
}

const ms = (v: number) => (Number.isFinite(v) ? `${round(v)} ms` : 'unseen');

/** The measurement on a started instance: one stream, one checked SET, then the timed ones. */
async function measure(app: AppProcess, receiver: ReturnType<typeof startSetReceiver>) {
  const client = new LatchkeyClient(app.url);
  const owner = await client.createBusiness(app.platformToken!, 'ssf');
  const stream = await createStream(client, owner, await receiver.listen());
  const [first, ...timed] = await createRevocable(client, owner, REVOCATIONS + 1);
  // The first revocation is not timed: its SET is verified, and opens the kept-alive connection.
  const res = await client.revokeToken(owner, first.id);
  if (res.status !== 201) throw new Error(`ssf: revoke answered ${res.status}`);
  const arrival = await receiver.arrivalOf(first.jti, BOUND_MS);
  if (!arrival) throw new Error(`ssf: no SET within ${BOUND_MS} ms of the first revocation`);
  await checkSet(app, arrival, stream.aud, first.jti);
  log(`ssf: the first SET verified against the JWKS; ${timed.length} revocations timed`);
  const samples = await timedRevocations(client, owner, receiver, timed);
  // A last one checked too: the timed SETs were real to the end.
  const last = timed[timed.length - 1];
  const lastArrival = await receiver.arrivalOf(last.jti, 0);
  if (lastArrival) await checkSet(app, lastArrival, stream.aud, last.jti);
  return samples;
}

export async function ssfPushLatency(pgEnv: Record<string, string>, start: StartApp) {
  // A database of its own: another instance on A's would claim the outbox's SETs at its poll, and
  // not being allowed to reach loopback, put them off to their first retry (5 s).
  log(`ssf: an instance on a database of its own, ${REVOCATIONS} revocations`);
  const db = await createScratchDatabase(POSTGRES_URL, 'latchkey_bench_ssf');
  const receiver = startSetReceiver();
  let app: AppProcess | undefined;
  try {
    app = await start('SSF', {
      ...pgEnv,
      DATABASE_URL: db.url,
      REDIS_KEY_PREFIX: `${pgEnv.REDIS_KEY_PREFIX}ssf:`,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_ALLOW_HTTP: 'true',
    });
    if (!app.platformToken) throw new Error('ssf: the instance did not print the platform token');
    const samples = await measure(app, receiver);
    const unseen = samples.filter((s) => !Number.isFinite(s)).length;
    if (unseen > 0) notes.push(`ssf: ${unseen} SETs not received within ${BOUND_MS} ms`);
    if (receiver.others > 0) notes.push(`ssf: ${receiver.others} SETs again or about no token`);
    const [p50, p95, p99] = [50, 95, 99].map((p) => percentile(samples, p));
    const max = Math.max(...samples);
    figure(
      `${NAME}, ${samples.length} revocations`,
      `p50 ${ms(p50)}, p95 ${ms(p95)}, p99 ${ms(p99)}, max ${ms(max)}`,
      GOAL,
      p99 <= GOAL_MS,
    );
    raw.ssf = {
      revocations: samples.length,
      p50_ms: round(p50),
      p95_ms: round(p95),
      p99_ms: Number.isFinite(p99) ? round(p99) : null,
      max_ms: Number.isFinite(max) ? round(max) : null,
      others: receiver.others,
      latency_ms: samples.map((s) => (Number.isFinite(s) ? round(s) : null)),
    };
  } finally {
    await app?.stop();
    await receiver.close();
    await db.drop().catch((e: unknown) => log(`ssf: could not drop ${db.name}: ${String(e)}`));
  }
}
