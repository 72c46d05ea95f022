import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, In, IsNull } from 'typeorm';
import type { Keyset } from '../common/pagination';
import { assertBusinessId } from '../common/tenant-scope';
import { dbTime } from '../database/db-time';
import { keysetPage } from '../database/keyset';
import { WebhookEndpoint } from './webhook-endpoint.entity';
import { WebhookAttempt, WebhookMessage } from './webhook-message.entity';
import type { DueMessage } from './send-slots';

/** A message a worker has taken, with what the attempt needs. */
export interface ClaimedMessage {
  id: string;
  endpointId: string;
  chainId: string;
  eventType: string;
  payload: string;
  attempts: number;
  createdAt: Date;
  /** The next attempt the claim set: the attempt's outcome is written only while it holds. */
  leaseUntil: Date;
}

/**
 * Endpoints, the outbox and attempts. Every read of one chain's rows takes its id first (a
 * business id, or the platform chain's); the workers' claim alone reads across chains.
 */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly dataSource: DataSource) {}

  private get pg(): boolean {
    return this.dataSource.options.type === 'postgres';
  }

  // ── endpoints ──────────────────────────────────────────────────────────────────────────

  listEndpoints(chainId: string, limit: number, after: Keyset | null) {
    assertBusinessId(chainId);
    const qb = this.dataSource.manager
      .createQueryBuilder(WebhookEndpoint, 'e')
      .where('e.chainId = :chainId', { chainId });
    return keysetPage(qb, 'e.createdAt', 'e.id', limit, after).getMany();
  }

  findEndpoint(em: EntityManager | null, chainId: string, id: string) {
    assertBusinessId(chainId);
    return (em ?? this.dataSource.manager).findOneBy(WebhookEndpoint, { chainId, id });
  }

  /** An endpoint by id alone, for the workers, which read across chains. */
  findEndpointAnyChain(id: string) {
    return this.dataSource.manager.findOneBy(WebhookEndpoint, { id });
  }

  countEndpoints(em: EntityManager, chainId: string) {
    assertBusinessId(chainId);
    return em.countBy(WebhookEndpoint, { chainId });
  }

  insertEndpoint(em: EntityManager, endpoint: WebhookEndpoint) {
    return em.insert(WebhookEndpoint, endpoint);
  }

  updateEndpoint(
    em: EntityManager,
    chainId: string,
    id: string,
    patch: Partial<Omit<WebhookEndpoint, 'id' | 'chainId'>>,
  ) {
    assertBusinessId(chainId);
    return em.update(WebhookEndpoint, { chainId, id }, patch);
  }

  /**
   * Disables an endpoint unless it is disabled already: true for the one caller that did it, so
   * of two workers (or two attempts of one batch) that both find it gone, one tells of it.
   */
  async disableIfEnabled(
    em: EntityManager,
    chainId: string,
    id: string,
    reason: string,
    at: Date,
  ): Promise<boolean> {
    assertBusinessId(chainId);
    const result = await em.update(
      WebhookEndpoint,
      { chainId, id, disabledAt: IsNull() },
      { disabledAt: at, disabledReason: reason, updatedAt: at },
    );
    return (result.affected ?? 0) > 0;
  }

  /** Deletes an endpoint; its undelivered messages die with it, its history stays listed. */
  async deleteEndpoint(em: EntityManager, chainId: string, id: string): Promise<void> {
    assertBusinessId(chainId);
    await em.update(WebhookMessage, { endpointId: id, status: 'pending' }, { status: 'dead' });
    await em.delete(WebhookEndpoint, { chainId, id });
  }

  // ── the outbox ─────────────────────────────────────────────────────────────────────────

  /** Queues messages in one INSERT, reading nothing back (the rows have no generated column). */
  async enqueue(em: EntityManager, messages: WebhookMessage[]): Promise<void> {
    await em
      .createQueryBuilder()
      .insert()
      .into(WebhookMessage)
      .values(messages)
      .updateEntity(false)
      .execute();
  }

  /**
   * Queues each event for every enabled endpoint of the chain that takes its type, in one
   * statement that reads the endpoints as it inserts: an audited change with webhooks pays one
   * round trip for them, and one with no endpoint pays the same round trip and writes nothing.
   * Ids are made by the database (`msg_` and 32 hex digits, as `messageId` makes them); an
   * endpoint's event types are stored as a JSON array of names that hold no quote, so a name is
   * matched by its quoted spelling.
   */
  async enqueueForEndpoints(
    em: EntityManager,
    chainId: string,
    events: ReadonlyArray<{ type: string; payload: string }>,
    now: Date,
  ): Promise<void> {
    assertBusinessId(chainId);
    if (events.length === 0) return;
    const pg = this.pg;
    const params: unknown[] = [];
    // PostgreSQL cannot infer a type for a parameter in a SELECT list: each one is cast.
    const param = (value: unknown, pgType: string) => {
      params.push(value);
      return pg ? `$${params.length}::${pgType}` : '?';
    };
    const id = pg
      ? `'msg_' || replace(gen_random_uuid()::text, '-', '')`
      : `'msg_' || lower(hex(randomblob(16)))`;
    const has = (needle: string) =>
      pg ? `strpos(e.event_types, ${needle}) > 0` : `instr(e.event_types, ${needle}) > 0`;
    // SQLite's `?` are bound in the order they are written: make them in that order.
    const at = param(dbTime(em, now), 'timestamptz');
    const createdAt = param(dbTime(em, now), 'timestamptz');
    const rows = events
      .map(
        (e) =>
          `SELECT ${param(e.type, 'text')} AS event_type, ${param(e.payload, 'text')} AS payload`,
      )
      .join(' UNION ALL ');
    const sql =
      'INSERT INTO webhook_messages (id, endpoint_id, chain_id, event_type, payload, status, attempts, next_attempt_at, created_at) ' +
      `SELECT ${id}, e.id, e.chain_id, t.event_type, t.payload, 'pending', 0, ${at}, ${createdAt} ` +
      `FROM webhook_endpoints e JOIN (${rows}) t ON (${has(`'"*"'`)} OR ${has(`'"' || t.event_type || '"'`)}) ` +
      `WHERE e.chain_id = ${param(chainId, 'text')} AND e.disabled_at IS NULL`;
    await em.query(sql, params);
  }

  /**
   * Due messages, endpoint by endpoint: from the first endpoint after `after` (in id order) that
   * has any, up to `endpoints` endpoints, and of each its `perEndpoint` oldest (by next attempt).
   * Endpoints in `skip` are passed over. It reads and takes nothing: `claim` takes what the
   * dispatcher chose, and another instance may have taken some meanwhile. The step from one
   * endpoint to the next and each endpoint's first messages are reads of the pending index
   * (`ix_webhook_messages_pending`), so the cost grows with the endpoints read, not the backlog.
   */
  async dueByEndpoint(
    em: EntityManager,
    now: Date,
    after: string | null,
    endpoints: number,
    perEndpoint: number,
    skip: readonly string[],
  ): Promise<{ messages: DueMessage[]; endpoints: string[] }> {
    const pg = this.pg;
    const params: unknown[] = [];
    // SQLite's `?` are bound in the order they are written: each use pushes its own.
    const param = (value: unknown, pgType: string) => {
      params.push(value);
      return pg ? `$${params.length}::${pgType}` : '?';
    };
    const at = dbTime(em, now);
    // The next endpoint with a due message after `id`: one step down the pending index.
    const nextAfter = (id: () => string) =>
      'SELECT x.endpoint_id FROM webhook_messages x ' +
      `WHERE x.status = 'pending' AND x.next_attempt_at <= ${param(at, 'timestamptz')} ` +
      `AND x.endpoint_id > ${id()} ORDER BY x.endpoint_id LIMIT 1`;
    const first = nextAfter(() => param(after ?? '00000000-0000-0000-0000-000000000000', 'uuid'));
    const step = nextAfter(() => 'due.id');
    const skipped = pg
      ? `NOT (id = ANY(${param([...skip], 'uuid[]')}))`
      : `id NOT IN (SELECT value FROM json_each(${param(JSON.stringify(skip), 'text')}))`;
    const walk =
      `WITH RECURSIVE due(id) AS (SELECT (${first}) UNION ALL SELECT (${step}) FROM due ` +
      `WHERE due.id IS NOT NULL), d AS (SELECT id FROM due WHERE id IS NOT NULL AND ${skipped} ` +
      `LIMIT ${param(endpoints, 'int')}) `;
    // Each walked endpoint's oldest due messages: PostgreSQL reads them in a LATERAL join, SQLite
    // (which has none) in a correlated IN.
    const oldest = (columns: string) =>
      `SELECT ${columns} FROM webhook_messages y WHERE y.endpoint_id = d.id ` +
      `AND y.status = 'pending' AND y.next_attempt_at <= ${param(at, 'timestamptz')} ` +
      `ORDER BY y.next_attempt_at, y.id LIMIT ${param(perEndpoint, 'int')}`;
    const messages = pg
      ? `LEFT JOIN LATERAL (${oldest('y.*')}) m ON true`
      : `LEFT JOIN webhook_messages m ON m.id IN (${oldest('y.id')})`;
    const sql =
      `${walk}SELECT d.id AS walked, m.id, m.endpoint_id AS "endpointId", ` +
      'm.chain_id AS "chainId", m.next_attempt_at AS "nextAttemptAt", ' +
      'EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.id = d.id AND e.failing_since IS NOT NULL) ' +
      `AS failing FROM d ${messages} ORDER BY d.id, m.next_attempt_at, m.id`;
    const rows: {
      walked: string;
      id: string | null;
      endpointId: string;
      chainId: string;
      nextAttemptAt: Date | string;
      failing: boolean | number;
    }[] = await em.query(sql, params);
    const walked = [...new Set(rows.map((r) => r.walked))];
    const due = rows.flatMap((r) =>
      r.id === null
        ? []
        : [
            {
              id: r.id,
              endpointId: r.endpointId,
              chainId: r.chainId,
              nextAttemptAt: this.dateOf(r.nextAttemptAt),
              failing: Boolean(r.failing),
            },
          ],
    );
    return { messages: due, endpoints: walked };
  }

  /**
   * Takes the chosen messages, moving each one's next attempt to `leaseUntil` and counting the
   * attempt, in one statement; answers them endpoint by endpoint in the order chosen, each
   * endpoint's oldest first. On PostgreSQL it takes, of each endpoint, as many of its oldest due
   * messages as were chosen, with `FOR UPDATE SKIP LOCKED`: each message goes to one instance,
   * and where another instance took some of the chosen ones since `dueByEndpoint` read them, the
   * next ones in line are taken instead. SQLite has one writer, in this transaction, so the
   * chosen ones are still due. A worker that dies before it records the attempt leaves the
   * message to be taken again once the lease ends, with the same id.
   */
  async claim(
    em: EntityManager,
    chosen: readonly DueMessage[],
    now: Date,
    leaseUntil: Date,
  ): Promise<ClaimedMessage[]> {
    if (chosen.length === 0) return [];
    const wanted = new Map<string, number>();
    for (const m of chosen) wanted.set(m.endpointId, (wanted.get(m.endpointId) ?? 0) + 1);
    const columns = (m: string) =>
      `${m}id, ${m}endpoint_id AS "endpointId", ${m}chain_id AS "chainId", ` +
      `${m}event_type AS "eventType", ${m}payload, ${m}attempts, ${m}created_at AS "createdAt"`;
    type Row = Omit<ClaimedMessage, 'leaseUntil'> & { due?: Date };
    const result: unknown[] = this.pg
      ? await em.query(
          `UPDATE webhook_messages m SET next_attempt_at = $2, attempts = m.attempts + 1
           FROM (SELECT x.id, x.next_attempt_at FROM unnest($3::uuid[], $4::int[]) AS w(endpoint_id, n)
                 CROSS JOIN LATERAL (
                   SELECT y.id, y.next_attempt_at FROM webhook_messages y
                   WHERE y.endpoint_id = w.endpoint_id AND y.status = 'pending'
                     AND y.next_attempt_at <= $1
                   ORDER BY y.next_attempt_at, y.id LIMIT w.n FOR UPDATE SKIP LOCKED) x) taken
           WHERE m.id = taken.id
           RETURNING ${columns('m.')}, taken.next_attempt_at AS due`,
          [now, leaseUntil, [...wanted.keys()], [...wanted.values()]],
        )
      : await em.query(
          `UPDATE webhook_messages SET next_attempt_at = ?, attempts = attempts + 1
           WHERE id IN (SELECT value FROM json_each(?)) AND status = 'pending' AND next_attempt_at <= ?
           RETURNING ${columns('')}`,
          [dbTime(em, leaseUntil), JSON.stringify(chosen.map((m) => m.id)), dbTime(em, now)],
        );
    // TypeORM answers an UPDATE on PostgreSQL with [rows, count], and on SQLite with the rows.
    const rows = (Array.isArray(result[0]) ? result[0] : result) as Row[];
    // In the order chosen: endpoints as they came, each one's oldest first (RETURNING has none).
    const place = new Map(chosen.map((m, i) => [m.id, i]));
    const endpointPlace = new Map([...wanted.keys()].map((e, i) => [e, i]));
    const rank = (r: Row) =>
      this.pg
        ? [endpointPlace.get(r.endpointId) ?? 0, new Date(r.due!).getTime()]
        : [place.get(r.id) ?? 0, 0];
    return rows
      .map((r) => ({ r, k: rank(r) }))
      .sort((a, b) => a.k[0] - b.k[0] || a.k[1] - b.k[1] || (a.r.id < b.r.id ? -1 : 1))
      .map(({ r: { due: _due, ...r } }) => ({
        ...r,
        leaseUntil,
        attempts: Number(r.attempts),
        createdAt: this.dateOf(r.createdAt),
      }));
  }

  /**
   * Hands back messages claimed but never sent (they waited for an endpoint that failed, or for
   * a worker that stops): due again at `now`, their attempt uncounted. Only while their lease
   * holds: one given up, redelivered or taken again meanwhile is left as it is.
   */
  async handBack(em: EntityManager, messages: readonly ClaimedMessage[], now: Date): Promise<void> {
    const byLease = new Map<number, string[]>();
    for (const m of messages) {
      byLease.set(m.leaseUntil.getTime(), [...(byLease.get(m.leaseUntil.getTime()) ?? []), m.id]);
    }
    for (const [lease, ids] of byLease) {
      await em.update(
        WebhookMessage,
        { id: In(ids), status: 'pending', nextAttemptAt: new Date(lease) },
        { nextAttemptAt: now, attempts: () => 'attempts - 1' },
      );
    }
  }

  /** A time a raw query read: PostgreSQL's Date, or SQLite's UTC text. */
  private dateOf(value: Date | string): Date {
    return this.pg ? new Date(value) : new Date(`${String(value)}Z`);
  }

  /** Messages waiting for delivery, due or not, across every chain (for /metrics). */
  countPending(): Promise<number> {
    return this.dataSource.manager.countBy(WebhookMessage, { status: 'pending' });
  }

  // What an attempt came to. Each is written only while the message's next attempt is still the
  // claim's lease: a redeliver that queued it again while the attempt was in flight (its next
  // attempt now) wins, and the message is sent again rather than marked delivered or dead over.

  markDelivered(em: EntityManager, message: ClaimedMessage, at: Date) {
    return em.update(
      WebhookMessage,
      { id: message.id, nextAttemptAt: message.leaseUntil },
      { status: 'delivered', deliveredAt: at },
    );
  }

  reschedule(em: EntityManager, message: ClaimedMessage, at: Date) {
    return em.update(
      WebhookMessage,
      { id: message.id, status: 'pending', nextAttemptAt: message.leaseUntil },
      { nextAttemptAt: at },
    );
  }

  markDead(em: EntityManager, message: ClaimedMessage) {
    return em.update(
      WebhookMessage,
      { id: message.id, nextAttemptAt: message.leaseUntil },
      { status: 'dead' },
    );
  }

  /** Every undelivered message of an endpoint dies with it when it is disabled. */
  killPending(em: EntityManager, endpointId: string) {
    return em.update(WebhookMessage, { endpointId, status: 'pending' }, { status: 'dead' });
  }

  findMessage(em: EntityManager, chainId: string, endpointId: string, id: string) {
    assertBusinessId(chainId);
    return em.findOneBy(WebhookMessage, { chainId, endpointId, id });
  }

  /** Queues a message again, now; it keeps its id, so a receiver that had it can drop it. */
  requeue(em: EntityManager, chainId: string, endpointId: string, id: string, at: Date) {
    assertBusinessId(chainId);
    return em.update(
      WebhookMessage,
      { chainId, endpointId, id },
      { status: 'pending', nextAttemptAt: at, deliveredAt: null },
    );
  }

  /** Queues again, from their first attempt, an endpoint's messages given up on since `since`. */
  async requeueDeadSince(
    em: EntityManager,
    chainId: string,
    endpointId: string,
    since: Date,
    at: Date,
  ): Promise<number> {
    assertBusinessId(chainId);
    const result = await em
      .createQueryBuilder()
      .update(WebhookMessage)
      .set({ status: 'pending', attempts: 0, nextAttemptAt: at })
      .where('chainId = :chainId AND endpointId = :endpointId AND status = :dead', {
        chainId,
        endpointId,
        dead: 'dead',
      })
      .andWhere('createdAt >= :since', { since })
      .execute();
    return result.affected ?? 0;
  }

  /**
   * Deletes up to `limit` messages delivered or given up on before `cutoff`, and their attempts,
   * in every chain; answers how many messages went. A message's last activity is its next
   * attempt: each claim moves it past the attempt it makes, and a redeliver or recover to now, so
   * a message older than the cutoff but sent again since stays. Pending messages always stay.
   */
  async deleteFinishedBefore(em: EntityManager, cutoff: Date, limit: number): Promise<number> {
    const at = dbTime(em, cutoff);
    const finished =
      "status IN ('delivered', 'dead') AND next_attempt_at < :at AND created_at < :at";
    // The outer condition again: a message queued once more since the inner read is kept.
    const [sql, params] = em.connection.driver.escapeQueryWithParameters(
      `DELETE FROM webhook_messages WHERE ${finished} AND id IN ` +
        `(SELECT id FROM webhook_messages WHERE ${finished} LIMIT :limit) RETURNING id`,
      { at, limit },
      {},
    );
    const result: unknown[] = await em.query(sql, params);
    // TypeORM answers a DELETE … RETURNING on PostgreSQL with [rows, count], on SQLite the rows.
    const rows = (Array.isArray(result[0]) ? result[0] : result) as { id: string }[];
    const ids = rows.map((r) => r.id);
    if (ids.length > 0) await em.delete(WebhookAttempt, { messageId: In(ids) });
    return ids.length;
  }

  // ── attempts ───────────────────────────────────────────────────────────────────────────

  recordAttempt(em: EntityManager, attempt: WebhookAttempt) {
    return em.insert(WebhookAttempt, attempt);
  }

  /** An endpoint's attempts, newest first. */
  listAttempts(chainId: string, endpointId: string, limit: number, after: Keyset | null) {
    assertBusinessId(chainId);
    const qb = this.dataSource.manager
      .createQueryBuilder(WebhookAttempt, 'a')
      .innerJoin(WebhookEndpoint, 'e', 'e.id = a.endpointId AND e.chainId = :chainId', {
        chainId,
      })
      .where('a.endpointId = :endpointId', { endpointId })
      .orderBy('a.attemptedAt', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .limit(limit + 1);
    if (after) {
      qb.andWhere('(a.attemptedAt < :afterAt OR (a.attemptedAt = :afterAt AND a.id < :afterId))', {
        afterAt: new Date(after.at),
        afterId: after.id,
      });
    }
    return qb.getMany();
  }
}
