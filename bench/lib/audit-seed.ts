/**
 * The seeded chain of `npm run bench:audit`: valid chained events written straight into
 * audit_events after a business's head, in batches, as the app would have chained them.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Client } from 'pg';
import { ChainedEvent, chainHash } from '../../src/audit/chain/audit-chain';
import { canonicalJson } from '../../src/audit/codec/canonical-json';
import { withClient } from '../../test/harness/servers/postgres';

const SEED_BATCH = 10_000;

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

interface Actor {
  id: string;
  type: string;
  label: string;
}

/** Where the chain stands: the last seq and hash written. */
interface Head {
  seq: number;
  prev: string;
}

/** The event at `seq`, as the app would have recorded it. */
function eventAt(businessId: string, actor: Actor, start: number, seq: number): ChainedEvent {
  const action = actionAt(seq);
  return {
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
    metadata: { jti: `jti${seq}`, reason: action === 'token.revoked' ? 'bench' : null },
  };
}

/** The next `n` events after `head`, chained, as insert columns; moves `head` past them. */
function nextBatch(businessId: string, actor: Actor, start: number, head: Head, n: number) {
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
    head.seq++;
    const event = eventAt(businessId, actor, start, head.seq);
    const hash = chainHash(head.prev, event);
    cols.id.push(event.id);
    cols.seq.push(head.seq);
    cols.at.push(event.occurred_at);
    cols.action.push(event.action);
    cols.outcome.push(event.outcome);
    cols.target.push(event.target.id as string);
    cols.label.push(event.target.label as string);
    cols.request.push(event.request_id as string);
    cols.metadata.push(canonicalJson(event.metadata));
    cols.prev.push(head.prev);
    cols.hash.push(hash);
    head.prev = hash;
  }
  return cols;
}

async function insertBatch(
  pg: Client,
  businessId: string,
  actor: Actor,
  cols: ReturnType<typeof nextBatch>,
): Promise<void> {
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
}

/** Appends `count` valid chained events after the business's current head; answers the seconds. */
export async function seed(url: string, businessId: string, count: number): Promise<number> {
  return withClient(url, async (pg) => {
    const found = await pg.query<{ seq: number; hash: string }>(
      'SELECT seq, hash FROM audit_chain_heads WHERE chain_id = $1',
      [businessId],
    );
    const head: Head = { seq: found.rows[0].seq, prev: found.rows[0].hash };
    const actor = { id: randomUUID(), type: 'user', label: 'seed@bench.test' };
    const start = Date.now() - count * 2 - 60_000;
    const began = performance.now();
    for (let done = 0; done < count; done += SEED_BATCH) {
      const n = Math.min(SEED_BATCH, count - done);
      await insertBatch(pg, businessId, actor, nextBatch(businessId, actor, start, head, n));
      if ((done / SEED_BATCH) % 10 === 0) {
        process.stdout.write(`  seeded ${done + n} / ${count}\n`);
      }
    }
    await pg.query('UPDATE audit_chain_heads SET seq = $1, hash = $2 WHERE chain_id = $3', [
      head.seq,
      head.prev,
      businessId,
    ]);
    // Vacuumed as well as analyzed, as a table in steady state is: otherwise autovacuum starts on
    // the million new rows while the pages are timed, and the tail measures the vacuum.
    await pg.query('VACUUM (ANALYZE) audit_events');
    return (performance.now() - began) / 1000;
  });
}
