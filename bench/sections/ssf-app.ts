/**
 * Revocation to refusal at an app (docs/clients.md, "Revocation within a second"): an Express 5
 * app in this process with `latchkey()` and the package's Shared Signals receiver
 * (`latchkeyEvents`), its stream registered, in front of a Latchkey on SQLite of its own that may
 * push to loopback. Each token is learnt by the app first (Latchkey asked, then its status list
 * fetched: from then on memory alone answers, for the list's `ttl`). Then, one after another,
 * each is revoked and the app asked for it every 5 ms until it refuses: the time from the revoke's
 * response to the app's first 401, which without the receiver would be the list's `ttl`.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import express from 'express';
import { latchkey, latchkeyEvents } from '../../packages/client/src/express';
import { EdgeVerifier, SsfReceiver } from '../../packages/client/src/verifier';
import { RATE_LIMITS_OFF } from '../../test/harness/app-process';
import { LatchkeyClient, scoped } from '../../test/harness/latchkey-client';
import { percentile, round, sleep } from '../../test/harness/stats';
import type { StartApp } from '../lib/alternated';
import { figure, log, notes, raw, type QuickRow } from '../lib/figures';
import { LOG_LEVEL, QUICK } from '../lib/run-settings';

/** Kept small in --quick, which CI runs: each takes about the push's time. */
const REVOCATIONS = QUICK ? 20 : 200;
/** How long the app is asked after a revoke before that sample counts as never refused. */
const BOUND_MS = 10_000;
const POLL_MS = 5;
const GOAL_MS = 1_000;
const GOAL = `p99 ≤ ${GOAL_MS / 1000} s`;
const NAME = 'ssf at an app: revoke → Express with the receiver refuses';
/** This section's row in the quick run (bench/run.ts), which leaves it to the full bench. */
export const SSF_APP_ROW: QuickRow = [NAME, GOAL];
const ms = (v: number) => (Number.isFinite(v) ? `${round(v)} ms` : 'never');

/** The app: the middleware on /hello, the receiver at /latchkey/events; its origin. */
async function startExpressApp(verifier: EdgeVerifier, receiver: SsfReceiver) {
  const app = express();
  app.post('/latchkey/events', latchkeyEvents(receiver));
  app.use(latchkey({ verifier }));
  app.get('/hello', (_req, res) => {
    res.json({ ok: true });
  });
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as import('node:net').AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function ssfAppRefusal(start: StartApp, sqliteDir: string): Promise<void> {
  log(`ssf at an app: ${REVOCATIONS} revocations, each until the Express app refuses it`);
  const latchkeyApp = await start('SSF-APP', {
    SQLITE_PATH: join(sqliteDir, 'ssf-app.sqlite'),
    LOG_LEVEL,
    ...RATE_LIMITS_OFF,
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_ALLOW_HTTP: 'true',
  });
  let closeApp: (() => Promise<void>) | undefined;
  try {
    const client = new LatchkeyClient(latchkeyApp.url);
    const owner = await client.createBusiness(latchkeyApp.platformToken!, 'ssf-app');
    // The verifier calls Latchkey at the origin its status lists name (PUBLIC_BASE_URL's default).
    const me = await fetch(`${latchkeyApp.url}/api/v1/me`, {
      headers: scoped(owner.ownerToken, owner.businessId),
    });
    const { data } = (await me.json()) as { data: { status_list: { uri: string } } };
    const baseUrl = new URL(data.status_list.uri).origin;
    const verifier = new EdgeVerifier({ baseUrl });
    const receiver = new SsfReceiver({ baseUrl, verifier });
    const app = await startExpressApp(verifier, receiver);
    closeApp = app.close;
    await receiver.register({
      token: owner.ownerToken,
      endpointUrl: `${app.origin}/latchkey/events`,
    });
    const ask = async (secret: string) =>
      (await fetch(`${app.origin}/hello`, { headers: { authorization: `Bearer ${secret}` } }))
        .status;
    const samples: number[] = [];
    for (let i = 0; i < REVOCATIONS; i++) {
      const made = await client.request<{ data: { id: string; token: string } }>(
        'POST',
        '/api/v1/tokens',
        { headers: scoped(owner.ownerToken, owner.businessId), body: { name: `ssf-app-${i}` } },
      );
      if (made.status !== 201) throw new Error(`ssf at an app: create answered ${made.status}`);
      const { id, token } = made.body.data;
      // Learnt: Latchkey asked, then the list fetched; the third answer is from memory.
      for (let k = 0; k < 3; k++) {
        const status = await ask(token);
        if (status !== 200) throw new Error(`ssf at an app: a fresh token answered ${status}`);
      }
      const revoked = await client.revokeToken(owner, id);
      if (revoked.status !== 201)
        throw new Error(`ssf at an app: revoke answered ${revoked.status}`);
      let refusedAt = Infinity;
      while (performance.now() - revoked.endedAt < BOUND_MS) {
        if ((await ask(token)) === 401) {
          refusedAt = performance.now();
          break;
        }
        await sleep(POLL_MS);
      }
      samples.push(refusedAt - revoked.endedAt);
    }
    const never = samples.filter((s) => !Number.isFinite(s)).length;
    if (never > 0) notes.push(`ssf at an app: ${never} tokens still passed ${BOUND_MS} ms after`);
    const [p50, p95, p99] = [50, 95, 99].map((p) => percentile(samples, p));
    figure(
      `${NAME}, ${samples.length} revocations`,
      `p50 ${ms(p50)}, p95 ${ms(p95)}, p99 ${ms(p99)}`,
      GOAL,
      p99 <= GOAL_MS,
    );
    raw.ssf_app = {
      revocations: samples.length,
      p50_ms: round(p50),
      p95_ms: round(p95),
      p99_ms: Number.isFinite(p99) ? round(p99) : null,
      receiver: receiver.stats(),
    };
  } finally {
    await closeApp?.();
    await latchkeyApp.stop();
  }
}
