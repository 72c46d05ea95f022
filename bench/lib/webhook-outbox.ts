/**
 * `npm run bench:webhooks`'s writes: an endpoint registered through the API, an outbox seeded
 * straight into the database around the servers, and revocations by concurrent callers.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { keepAliveAgent } from '../../test/harness/http';
import {
  BusinessSetup,
  IssuedToken,
  LatchkeyClient,
  scoped,
} from '../../test/harness/latchkey-client';
import { withClient } from '../../test/harness/servers/postgres';

/** Concurrent callers in `revokeAll`. */
export const REVOKERS = 20;

export async function registerEndpoint(
  client: LatchkeyClient,
  owner: BusinessSetup,
  url: string,
  eventTypes = ['token.revoked'],
) {
  const res = await client.request<{ data: { id: string } }>('POST', '/api/v1/webhooks', {
    headers: scoped(owner.ownerToken, owner.businessId),
    body: { url, event_types: eventTypes },
  });
  if (res.status !== 201) throw new Error(`register endpoint: ${res.status}`);
  return res.body.data.id;
}

/** Writes `count` due messages for one endpoint straight into the outbox, around the servers. */
export async function seedOutbox(url: string, chainId: string, endpointId: string, count: number) {
  const now = new Date();
  await withClient(url, async (pg) => {
    for (let done = 0; done < count; done += 1_000) {
      const n = Math.min(1_000, count - done);
      const ids = Array.from({ length: n }, () => `msg_${randomUUID().replace(/-/g, '')}`);
      await pg.query(
        `INSERT INTO webhook_messages (id, endpoint_id, chain_id, event_type, payload, status, attempts, next_attempt_at, created_at)
         SELECT id, $2, $3, 'webhook.test', '{"type":"webhook.test","timestamp":"' || $4 || '","data":{}}', 'pending', 0, $5, $5
         FROM unnest($1::text[]) AS id`,
        [ids, endpointId, chainId, now.toISOString(), now],
      );
    }
  });
}

/** Revokes every token with REVOKERS callers at once; answers revocations per second. */
export async function revokeAll(
  client: LatchkeyClient,
  owner: BusinessSetup,
  tokens: IssuedToken[],
) {
  let next = 0;
  let done = 0;
  let refused = 0;
  const began = performance.now();
  const worker = async () => {
    while (next < tokens.length) {
      const token = tokens[next++];
      const res = await client.request('POST', `/api/v1/tokens/${token.id}/revoke`, {
        headers: scoped(owner.ownerToken, owner.businessId),
        body: { reason: 'bench' },
        agent: keepAliveAgent,
      });
      if (res.status === 201) done++;
      else refused++;
    }
  };
  await Promise.all(Array.from({ length: REVOKERS }, worker));
  if (refused > 0) process.stdout.write(`  (${refused} revocations refused, e.g. 503)\n`);
  return done / ((performance.now() - began) / 1000);
}
