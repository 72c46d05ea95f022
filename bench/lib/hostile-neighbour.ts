/**
 * The hostile neighbour of `npm run bench:webhooks`: business D has endpoints whose receivers
 * accept the connection and never answer, and B's deliveries are timed meanwhile.
 */
import { performance } from 'node:perf_hooks';
import { HangingReceiver } from '../../test/harness/hanging-receiver';
import { BusinessSetup, LatchkeyClient, scoped } from '../../test/harness/latchkey-client';
import { percentile, sleep } from '../../test/harness/stats';
import { registerEndpoint } from './webhook-outbox';
import type { Receiver } from './webhook-receiver';

/** D's dead endpoints (a business's most) and tokens, B's tokens. */
export const HOSTILE = {
  endpoints: 20,
  tokens: 100,
  neighbourTokens: 50,
  gapMs: 50,
  waitMs: 180_000,
};

/** B's tokens, one after another through each instance in turn: when each was committed. */
async function neighbourTokens(clients: LatchkeyClient[], b: BusinessSetup) {
  const committed = new Map<string, number>();
  for (let i = 0; i < HOSTILE.neighbourTokens; i++) {
    const token = await clients[i % clients.length].createToken(b, `neighbour-${i}`);
    committed.set(token.id, performance.now());
    await sleep(HOSTILE.gapMs);
  }
  return committed;
}

/** Each committed token's ms to delivery (Infinity when not within HOSTILE.waitMs). */
async function deliveries(committed: Map<string, number>, receiver: Receiver) {
  const deadline = performance.now() + HOSTILE.waitMs;
  while (
    [...committed.keys()].some((id) => !receiver.byTarget.has(id)) &&
    performance.now() < deadline
  ) {
    await sleep(20);
  }
  return [...committed].map(([id, at]) => (receiver.byTarget.get(id) ?? Infinity) - at);
}

/**
 * B's commit-to-delivery while D's receivers hang. D's messages are queued first, so they are
 * older than each of B's; D's endpoints are deleted at the end (their messages die) and their
 * receivers drop what they hold, so the sections after it do not meet them.
 */
export async function hostileNeighbour(
  clients: LatchkeyClient[],
  platformToken: string,
  hookUrl: string,
  receiver: Receiver,
) {
  const hanging = await Promise.all(
    Array.from({ length: HOSTILE.endpoints }, () => new HangingReceiver().start()),
  );
  try {
    const d = await clients[0].createBusiness(platformToken, 'hostile');
    const dead: string[] = [];
    for (const h of hanging)
      dead.push(await registerEndpoint(clients[0], d, h.url, ['token.created']));
    const b = await clients[0].createBusiness(platformToken, 'neighbour');
    await registerEndpoint(clients[0], b, hookUrl, ['token.created']);
    // D's tokens through every instance, so each one's worker is woken with D's messages.
    const share = (i: number) =>
      Math.floor(HOSTILE.tokens / clients.length) + (i < HOSTILE.tokens % clients.length ? 1 : 0);
    await Promise.all(clients.map((c, i) => c.createTokens(d, share(i), 4, `hostile${i}`)));
    const latencies = await deliveries(await neighbourTokens(clients, b), receiver);
    const held = hanging.reduce((n, h) => n + h.accepted, 0);
    const peak = Math.max(...hanging.map((h) => h.peak));
    for (const id of dead) {
      await clients[0].request('DELETE', `/api/v1/webhooks/${id}`, {
        headers: scoped(d.ownerToken, d.businessId),
      });
    }
    return {
      samples: latencies.length,
      late: latencies.filter((l) => l === Infinity).length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      deadConnections: held,
      deadPeakPerEndpoint: peak,
    };
  } finally {
    await Promise.all(hanging.map((h) => h.stop()));
  }
}
