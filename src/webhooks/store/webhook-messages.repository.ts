import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import type { Keyset } from '../../common/validation/pagination';
import { assertBusinessId } from '../../common/tenant-scope';
import { type EndpointKind, STREAM_SCHEME, WebhookEndpoint } from './webhook-endpoint.entity';
import { type MessageStatus, WebhookAttempt, WebhookMessage } from './webhook-message.entity';
import { keysetAfter } from '../../database/keyset';
import type { Reader } from '../../database/units/reader';
import type { Transaction } from '../../database/units/unit-of-work';

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
  /**
   * Which of this instance's claims took it, counted from 1 as they commit: its endpoint is read
   * after that claim committed (`WebhookAttempts`), so a change that committed before the message
   * was claimed (a rotated secret, a new URL) is what it is sent with.
   */
  claim: number;
}

/**
 * The outbox's messages and their attempts. Every read of one chain's rows takes its id first (a
 * business id, or the platform chain's); the workers alone read across chains.
 */
@Injectable()
export class WebhookMessagesRepository {
  // ── the outbox ─────────────────────────────────────────────────────────────────────────

  /** Queues messages in one INSERT, reading nothing back (the rows have no generated column). */
  async enqueue(messages: WebhookMessage[], tx: Transaction): Promise<void> {
    await tx
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
   * matched by its quoted spelling. An endpoint that is sent audit data (`holdsAuditData`: its
   * `personal_data`, or `audit.event` or `*` among its types) is queued `payload`, the others
   * `withheld`. Only endpoints of `kind` are queued to: a stream's types are its own, but a
   * webhook of `*` would take them too. A paused stream's messages are queued `held`. Answers how
   * many messages it queued.
   */
  async enqueueForEndpoints(
    chainId: string,
    kind: EndpointKind,
    events: ReadonlyArray<{ type: string; payload: string; withheld: string }>,
    now: Date,
    tx: Transaction,
  ): Promise<number> {
    assertBusinessId(chainId);
    if (events.length === 0) return 0;
    const pg = tx.postgres;
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
    const at = param(tx.time(now), 'timestamptz');
    const createdAt = param(tx.time(now), 'timestamptz');
    const rows = events
      .map(
        (e) =>
          `SELECT ${param(e.type, 'text')} AS event_type, ${param(e.payload, 'text')} AS payload, ` +
          `${param(e.withheld, 'text')} AS withheld`,
      )
      .join(' UNION ALL ');
    const whole = `e.personal_data OR ${has(`'"*"'`)} OR ${has(`'"audit.event"'`)}`;
    const sql =
      'INSERT INTO webhook_messages (id, endpoint_id, chain_id, event_type, payload, status, attempts, next_attempt_at, created_at) ' +
      `SELECT ${id}, e.id, e.chain_id, t.event_type, ` +
      `CASE WHEN ${whole} THEN t.payload ELSE t.withheld END, ` +
      `CASE WHEN e.paused_at IS NULL THEN 'pending' ELSE 'held' END, 0, ${at}, ${createdAt} ` +
      `FROM webhook_endpoints e JOIN (${rows}) t ON (${has(`'"*"'`)} OR ${has(`'"' || t.event_type || '"'`)}) ` +
      `WHERE e.chain_id = ${param(chainId, 'text')} AND e.disabled_at IS NULL ` +
      `AND e.signature_scheme ${kind === 'stream' ? '=' : '<>'} '${STREAM_SCHEME}'`;
    return tx.statement(sql, params);
  }

  /** Messages waiting for delivery, due or not, across every chain (for /metrics). */
  countPending(db: Reader): Promise<number> {
    return db.countBy(WebhookMessage, { status: 'pending' });
  }

  // What an attempt came to. Each is written only while the message's next attempt is still the
  // claim's lease: a redeliver that queued it again while the attempt was in flight (its next
  // attempt now) wins, and the message is sent again rather than marked delivered or dead over.

  markDelivered(message: ClaimedMessage, at: Date, tx: Transaction) {
    return tx.update(
      WebhookMessage,
      { id: message.id, nextAttemptAt: message.leaseUntil },
      { status: 'delivered', deliveredAt: at },
    );
  }

  reschedule(message: ClaimedMessage, at: Date, tx: Transaction) {
    return tx.update(
      WebhookMessage,
      { id: message.id, status: 'pending', nextAttemptAt: message.leaseUntil },
      { nextAttemptAt: at },
    );
  }

  markDead(message: ClaimedMessage, tx: Transaction) {
    return tx.update(
      WebhookMessage,
      { id: message.id, nextAttemptAt: message.leaseUntil },
      { status: 'dead' },
    );
  }

  /** Every undelivered message of an endpoint dies with it when it is disabled. */
  killPending(endpointId: string, tx: Transaction) {
    return tx.update(
      WebhookMessage,
      { endpointId, status: In(['pending', 'held']) },
      { status: 'dead' },
    );
  }

  /** A paused stream enabled again: what it held is due now, in the order it was queued. */
  releaseHeld(chainId: string, endpointId: string, now: Date, tx: Transaction) {
    assertBusinessId(chainId);
    return tx.update(
      WebhookMessage,
      { chainId, endpointId, status: 'held' },
      { status: 'pending', nextAttemptAt: now },
    );
  }

  findMessage(chainId: string, endpointId: string, id: string, db: Reader) {
    assertBusinessId(chainId);
    return db.findOneBy(WebhookMessage, { chainId, endpointId, id });
  }

  /**
   * Whether an endpoint holds a message of this type in this status (any status: null), created
   * since `since` when given: one row at most is read.
   */
  async holdsMessage(
    chainId: string,
    endpointId: string,
    eventType: string,
    status: MessageStatus | null,
    since: Date | null,
    db: Reader,
  ): Promise<boolean> {
    assertBusinessId(chainId);
    const qb = db
      .createQueryBuilder(WebhookMessage, 'm')
      .select('m.id')
      .where('m.chainId = :chainId AND m.endpointId = :endpointId', { chainId, endpointId })
      .andWhere('m.eventType = :eventType', { eventType });
    if (status) qb.andWhere('m.status = :status', { status });
    if (since) qb.andWhere('m.createdAt >= :since', { since });
    return (await qb.limit(1).getRawOne()) !== undefined;
  }

  /** Queues a message again, now; it keeps its id, so a receiver that had it can drop it. */
  requeue(chainId: string, endpointId: string, id: string, at: Date, tx: Transaction) {
    assertBusinessId(chainId);
    return tx.update(
      WebhookMessage,
      { chainId, endpointId, id },
      { status: 'pending', nextAttemptAt: at, deliveredAt: null },
    );
  }

  /** Queues again, from their first attempt, an endpoint's messages given up on since `since`. */
  async requeueDeadSince(
    chainId: string,
    endpointId: string,
    since: Date,
    at: Date,
    tx: Transaction,
  ): Promise<number> {
    assertBusinessId(chainId);
    const result = await tx
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
   * a message older than the cutoff but sent again since stays. Pending messages always stay;
   * a paused stream's held ones stay as long as delivered ones do, so a pause holds a bounded
   * history.
   */
  async deleteFinishedBefore(cutoff: Date, limit: number, tx: Transaction): Promise<number> {
    const at = tx.time(cutoff);
    const finished =
      "status IN ('delivered', 'dead', 'held') AND next_attempt_at < :at AND created_at < :at";
    // The outer condition again: a message queued once more since the inner read is kept.
    const [sql, params] = tx.positional(
      `DELETE FROM webhook_messages WHERE ${finished} AND id IN ` +
        `(SELECT id FROM webhook_messages WHERE ${finished} LIMIT :limit) RETURNING id`,
      { at, limit },
    );
    const result = await tx.query<unknown[]>(sql, params);
    // TypeORM answers a DELETE … RETURNING on PostgreSQL with [rows, count], on SQLite the rows.
    const rows = (Array.isArray(result[0]) ? result[0] : result) as { id: string }[];
    const ids = rows.map((r) => r.id);
    if (ids.length > 0) await tx.delete(WebhookAttempt, { messageId: In(ids) });
    return ids.length;
  }

  // ── attempts ───────────────────────────────────────────────────────────────────────────

  recordAttempt(attempt: WebhookAttempt, tx: Transaction) {
    return tx.insert(WebhookAttempt, attempt);
  }

  /** An endpoint's attempts, newest first. */
  listAttempts(
    chainId: string,
    endpointId: string,
    limit: number,
    after: Keyset | null,
    db: Reader,
  ) {
    assertBusinessId(chainId);
    const qb = db
      .createQueryBuilder(WebhookAttempt, 'a')
      .innerJoin(WebhookEndpoint, 'e', 'e.id = a.endpointId AND e.chainId = :chainId', {
        chainId,
      })
      .where('a.endpointId = :endpointId', { endpointId })
      .orderBy('a.attemptedAt', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .limit(limit + 1);
    if (after) {
      qb.andWhere(keysetAfter('a.attemptedAt', 'a.id', '<'), {
        afterAt: new Date(after.at),
        afterId: after.id,
      });
    }
    return qb.getMany();
  }
}
