import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import type { Reader } from '../../database/units/reader';
import { Transaction, UnitOfWork } from '../../database/units/unit-of-work';
import { WebhookMessage } from '../store/webhook-message.entity';
import type { DueMessage, SendSlots } from './send-slots';
import type { ClaimedMessage } from '../store/webhook-messages.repository';

/** Endpoints one claim reads at most; the next claim goes on after the last one read. */
const ENDPOINTS_PER_CLAIM = 128;

/** A message a claim took, with its endpoint's state as the claim read it. */
export interface Taken {
  message: ClaimedMessage;
  failing: boolean;
}

/** A message as `take` takes it, before its claim has committed and is numbered. */
export type TakenRow = Omit<ClaimedMessage, 'claim'>;

/**
 * The workers' claim, fair across businesses and endpoints. It reads the due
 * messages endpoint by endpoint, from one endpoint with due messages to the next down a partial
 * index of pending messages (`ix_webhook_messages_pending`), lets the send slots choose among
 * them, and takes what they chose. It reads across chains, as only the workers do: they serve
 * every business.
 */
@Injectable()
export class WebhookClaims {
  /** Where the next walk of endpoints begins: after the last one the previous read. */
  private cursor: string | null = null;
  /** Claims that took messages and committed, on this instance: the last one's number. */
  private committed = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly uow: UnitOfWork,
  ) {}

  private get pg(): boolean {
    return this.dataSource.options.type === 'postgres';
  }

  /**
   * One claim, in one transaction: hands back `back`, reads the due messages (of each endpoint
   * at most `perEndpoint`), lets `slots` choose, and takes them, with a lease to `leaseUntil`.
   * Answers what it took and whether another claim may find more at once: endpoints past the
   * walk's end.
   */
  async claim(
    slots: SendSlots<ClaimedMessage>,
    back: readonly ClaimedMessage[],
    perEndpoint: number,
    now: Date,
    leaseUntil: Date,
  ): Promise<{ taken: Taken[]; more: boolean }> {
    const chosen: DueMessage[] = [];
    const claimed = await this.uow.run(async (tx) => {
      if (back.length > 0) await this.handBack(back, now, tx);
      chosen.push(...slots.pick(await this.walk(now, perEndpoint, slots, tx)));
      return this.take(chosen, now, leaseUntil, tx);
    });
    const failing = new Map(chosen.map((m) => [m.endpointId, m.failing]));
    const claim = claimed.length > 0 ? ++this.committed : this.committed;
    return {
      taken: claimed.map((message) => ({
        message: { ...message, claim },
        failing: failing.get(message.endpointId) ?? false,
      })),
      more: claimed.length > 0 && this.cursor !== null,
    };
  }

  /**
   * The number of the last claim that took messages and committed here. A read of an endpoint
   * that starts once this is `n` serves the messages of claims up to `n`: it began after they
   * committed, so it sees every change that committed before they were taken.
   */
  get claimsCommitted(): number {
    return this.committed;
  }

  /** Hands back messages in a transaction of their own (a worker that stops). */
  handBackNow(messages: readonly TakenRow[], now: Date): Promise<void> {
    return this.uow.run((tx) => this.handBack(messages, now, tx));
  }

  /**
   * The due messages the slots may be given: a walk of endpoints with due messages from where
   * the last one stopped, round to the first ones when it reaches the end, so that past
   * ENDPOINTS_PER_CLAIM endpoints every one still has its turn. Endpoints that can take nothing
   * more are not read.
   */
  private async walk(
    now: Date,
    perEndpoint: number,
    slots: SendSlots<ClaimedMessage>,
    db: Reader,
  ): Promise<DueMessage[]> {
    const skip = slots.fullEndpoints();
    const read = (after: string | null, count: number) =>
      this.dueByEndpoint(now, after, count, perEndpoint, skip, db);
    const first = await read(this.cursor, ENDPOINTS_PER_CLAIM);
    if (first.endpoints.length === ENDPOINTS_PER_CLAIM) {
      this.cursor = first.endpoints[first.endpoints.length - 1];
      return first.messages;
    }
    // From the first endpoint, the walk read them all.
    if (this.cursor === null) return first.messages;
    // It reached the last endpoint: it goes round to the first ones, for the rest of its count.
    const rest = ENDPOINTS_PER_CLAIM - first.endpoints.length;
    const more = await read(null, rest);
    this.cursor = more.endpoints.length === rest ? more.endpoints[rest - 1] : null;
    const seen = new Set(first.endpoints);
    return first.messages.concat(more.messages.filter((m) => !seen.has(m.endpointId)));
  }

  /**
   * Due messages, endpoint by endpoint: from the first endpoint after `after` (in id order) that
   * has any, up to `endpoints` endpoints, and of each its `perEndpoint` oldest (by next attempt).
   * Endpoints in `skip` are passed over. It reads and takes nothing: `take` takes what the
   * slots chose, and another instance may have taken some meanwhile. The step from one
   * endpoint to the next and each endpoint's first messages are reads of the pending index
   * (`ix_webhook_messages_pending`), so the cost grows with the endpoints read, not the backlog.
   */
  async dueByEndpoint(
    now: Date,
    after: string | null,
    endpoints: number,
    perEndpoint: number,
    skip: readonly string[],
    db: Reader,
  ): Promise<{ messages: DueMessage[]; endpoints: string[] }> {
    const pg = this.pg;
    const params: unknown[] = [];
    // SQLite's `?` are bound in the order they are written: each use pushes its own.
    const param = (value: unknown, pgType: string) => {
      params.push(value);
      return pg ? `$${params.length}::${pgType}` : '?';
    };
    const at = db.time(now);
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
    const rows = await db.query<
      {
        walked: string;
        id: string | null;
        endpointId: string;
        chainId: string;
        nextAttemptAt: Date | string;
        failing: boolean | number;
      }[]
    >(sql, params);
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
  async take(
    chosen: readonly DueMessage[],
    now: Date,
    leaseUntil: Date,
    tx: Transaction,
  ): Promise<TakenRow[]> {
    if (chosen.length === 0) return [];
    const wanted = new Map<string, number>();
    for (const m of chosen) wanted.set(m.endpointId, (wanted.get(m.endpointId) ?? 0) + 1);
    const columns = (m: string) =>
      `${m}id, ${m}endpoint_id AS "endpointId", ${m}chain_id AS "chainId", ` +
      `${m}event_type AS "eventType", ${m}payload, ${m}attempts, ${m}created_at AS "createdAt"`;
    type Row = Omit<TakenRow, 'leaseUntil'> & { due?: Date };
    const result = this.pg
      ? await tx.query<unknown[]>(
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
      : await tx.query<unknown[]>(
          `UPDATE webhook_messages SET next_attempt_at = ?, attempts = attempts + 1
           WHERE id IN (SELECT value FROM json_each(?)) AND status = 'pending' AND next_attempt_at <= ?
           RETURNING ${columns('')}`,
          [tx.time(leaseUntil), JSON.stringify(chosen.map((m) => m.id)), tx.time(now)],
        );
    // TypeORM answers an UPDATE on PostgreSQL with [rows, count], and on SQLite with the rows.
    const rows = (Array.isArray(result[0]) ? result[0] : result) as Row[];
    // RETURNING keeps no order: back to the order chosen, endpoint by endpoint, each one's
    // oldest first (on PostgreSQL, by the due time each row had before the claim).
    const endpointOrder = [...wanted.keys()];
    const chosenOrder = new Map(chosen.map((m, i) => [m.id, i]));
    const key = (r: Row): [number, number] =>
      this.pg
        ? [endpointOrder.indexOf(r.endpointId), new Date(r.due!).getTime()]
        : [chosenOrder.get(r.id) ?? 0, 0];
    return rows
      .map((row) => ({ row, k: key(row) }))
      .sort((a, b) => a.k[0] - b.k[0] || a.k[1] - b.k[1] || (a.row.id < b.row.id ? -1 : 1))
      .map(({ row: { due: _due, ...r } }) => ({
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
  async handBack(messages: readonly TakenRow[], now: Date, tx: Transaction): Promise<void> {
    const byLease = new Map<number, string[]>();
    for (const m of messages) {
      byLease.set(m.leaseUntil.getTime(), [...(byLease.get(m.leaseUntil.getTime()) ?? []), m.id]);
    }
    for (const [lease, ids] of byLease) {
      await tx.update(
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
}
