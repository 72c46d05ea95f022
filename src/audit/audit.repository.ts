import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { ClientConfig, Pool, PoolConfig } from 'pg';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import type { Keyset } from '../common/pagination';
import { assertBusinessId } from '../common/tenant-scope';
import type { ReadSource } from '../database/read-routing';
import { storable } from '../common/text';
import { GENESIS_HASH, hashesOfRow } from './audit-chain';
import { rowOfEntity } from './audit-codec';
import { AuditEntry } from './audit-entry';
import { AuditChainHead, AuditEvent, PLATFORM_CHAIN } from './audit-event.entity';
import { AuditTreeRepository } from './audit-tree.repository';
import { sqliteDate, type AuditRow, type RowDialect } from './audit-row';
import {
  AuditFilters,
  ChainSlice,
  chainRowsQuery,
  pageRowsQuery,
  RAW_TEXT_TYPES,
  SqlQuery,
} from './audit-row-query';
import { canonicalJson } from './canonical-json';
import { statementsTogether } from '../database/statements-together';

export type { AuditFilters } from './audit-row-query';

/** The part of better-sqlite3's API that raw reads use. */
interface SqliteHandle {
  prepare(sql: string): { raw(on: boolean): { all(...values: unknown[]): unknown[][] } };
}

/**
 * The audit log's only way in and out. Appends go through the caller's transaction; reads of
 * a business's events take its id first. Nothing here updates or deletes an event.
 */
@Injectable()
export class AuditRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tree: AuditTreeRepository,
  ) {}

  /**
   * Appends to the entry's chain inside `em`'s transaction. Bumping the head's `seq` first
   * takes its row lock on PostgreSQL (the write lock on SQLite), so concurrent appends to one
   * chain queue here and each reads the hash its predecessor left.
   */
  async append(em: EntityManager, entry: AuditEntry): Promise<AuditEvent> {
    const { event, writes } = await this.appending(em, entry);
    await statementsTogether(em, writes);
    return event;
  }

  /**
   * `append`, answering the event with its writes (the row, its tree nodes and the head) still
   * to run: the caller runs them together with what it writes beside them (the webhook outbox),
   * so that through a transaction pooler they all share one round trip.
   */
  async appending(
    em: EntityManager,
    entry: AuditEntry,
  ): Promise<{ event: AuditEvent; writes: (() => Promise<unknown>)[] }> {
    const chainId = entry.businessId ?? PLATFORM_CHAIN;
    const { head, previousAt } = await this.takeHead(em, chainId);
    const event: AuditEvent = {
      id: randomUUID(),
      chainId,
      seq: head.seq,
      businessId: entry.businessId,
      occurredAt: nextInstant(previousAt),
      // Every text field is made storable first, so the hash below is over exactly what the
      // database keeps and returns, on either driver, whatever path a string came by.
      action: storable(entry.action),
      outcome: entry.outcome,
      actorId: storable(entry.actor.id),
      actorType: entry.actor.type,
      actorLabel: storable(entry.actor.label),
      actorTokenId: storable(entry.actor.tokenId ?? null),
      actorIssuedById: entry.actor.tokenId ? storable(entry.actor.issuedBy?.id ?? null) : null,
      actorIssuedByLabel: entry.actor.tokenId
        ? storable(entry.actor.issuedBy?.label ?? null)
        : null,
      origin: entry.origin.channel,
      targetType: storable(entry.target.type),
      targetId: storable(entry.target.id),
      targetLabel: storable(entry.target.label),
      requestId: storable(entry.origin.requestId),
      ip: storable(entry.origin.ip),
      userAgent: storable(entry.origin.userAgent),
      metadata: canonicalJson(entry.metadata),
      prevHash: head.hash,
      hash: '',
    };
    const { hash, leaf } = hashesOfRow(head.hash, rowOfEntity(event), 'event');
    event.hash = hash;
    // The tree grows with the chain once it has caught up; a chain from before trees were kept
    // is grown by the checkpointer, under this same lock, before this append's event.
    const growing =
      head.treeSize === head.seq - 1 ? this.tree.growing(em, head, [leaf]) : undefined;
    const writes: (() => Promise<unknown>)[] = [() => em.insert(AuditEvent, event)];
    if (growing) writes.push(growing.write);
    writes.push(() => em.update(AuditChainHead, { chainId }, { hash, ...growing?.tree }));
    return { event, writes };
  }

  /**
   * Bumps the chain's head under its lock (creating the head of a chain's first event), and reads
   * it with the time of the event before it (null for none). On PostgreSQL the bump answers the
   * head itself, and the predecessor's read is sent with it: a statement of its own, run once
   * the bump holds the row lock, so it sees the chain as the lock's last holder left it.
   */
  private async takeHead(
    em: EntityManager,
    chainId: string,
  ): Promise<{ head: AuditChainHead; previousAt: unknown }> {
    if (this.dialect === 'postgres') {
      const [[bumped], previous] = await statementsTogether(em, [
        () =>
          em.query<[HeadRow[], number]>(
            'UPDATE audit_chain_heads SET seq = seq + 1 WHERE chain_id = $1 ' +
              'RETURNING chain_id, seq, hash, tree_size, frontier',
            [chainId],
          ),
        () =>
          em.query<{ occurred_at: Date }[]>(
            'SELECT occurred_at FROM audit_events WHERE chain_id = $1 ' +
              'AND seq = (SELECT seq - 1 FROM audit_chain_heads WHERE chain_id = $1)',
            [chainId],
          ),
      ]);
      const row = bumped[0];
      if (row) {
        const head: AuditChainHead = {
          chainId: row.chain_id,
          seq: row.seq,
          hash: row.hash,
          treeSize: row.tree_size,
          frontier: row.frontier,
        };
        return { head, previousAt: previous[0]?.occurred_at ?? null };
      }
    } else if (await this.bumpHead(em, chainId)) {
      return this.readHead(em, chainId);
    }
    // A chain's first event. Two racing first appends both insert; the loser's insert is
    // ignored once the winner commits, and its bump then waits for the winner's lock.
    await em
      .createQueryBuilder()
      .insert()
      .into(AuditChainHead)
      .values({ chainId, seq: 0, hash: GENESIS_HASH })
      .orIgnore()
      .execute();
    if (!(await this.bumpHead(em, chainId))) {
      throw new Error(`audit chain head ${chainId} could not be created`);
    }
    return this.readHead(em, chainId);
  }

  /** The bumped head, and the time of the event before it (null for none). */
  private async readHead(
    em: EntityManager,
    chainId: string,
  ): Promise<{ head: AuditChainHead; previousAt: unknown }> {
    const head = await em.findOneByOrFail(AuditChainHead, { chainId });
    if (head.seq <= 1) return { head, previousAt: null };
    const previous = await em.findOne(AuditEvent, {
      select: { occurredAt: true },
      where: { chainId, seq: head.seq - 1 },
    });
    return { head, previousAt: previous?.occurredAt ?? null };
  }

  /** A newest-first keyset page of one business's events, as raw rows, and one more if any. */
  pageInBusiness(
    businessId: string,
    filters: AuditFilters,
    limit: number,
    after: Keyset | null,
    from: ReadSource,
  ) {
    assertBusinessId(businessId);
    const query = pageRowsQuery(this.dialect, businessId, filters, limit + 1, after);
    return this.rows(query, from.dataSource);
  }

  /** A newest-first keyset page across every chain, for platform admins, as raw rows. */
  pageAnyBusiness(
    filters: AuditFilters & { businessId?: string },
    limit: number,
    after: Keyset | null,
    from: ReadSource,
  ) {
    const query = pageRowsQuery(this.dialect, filters.businessId, filters, limit + 1, after);
    return this.rows(query, from.dataSource);
  }

  /** Which driver raw rows come from, which decides how their times and numbers read. */
  get dialect(): RowDialect {
    return this.dataSource.options.type === 'postgres' ? 'postgres' : 'sqlite';
  }

  /** The next raw rows of a business's chain, in `seq` order. */
  rowsInBusiness(
    businessId: string,
    slice: ChainSlice,
    filters: AuditFilters,
    from: ReadSource,
  ): Promise<AuditRow[]> {
    assertBusinessId(businessId);
    return this.chainRows(businessId, slice, filters, from.dataSource);
  }

  /** The next raw rows of the platform chain, in `seq` order. */
  platformRows(slice: ChainSlice, filters: AuditFilters, from: ReadSource): Promise<AuditRow[]> {
    return this.chainRows(PLATFORM_CHAIN, slice, filters, from.dataSource);
  }

  /** The chain id of a business's chain, for a worker's own walk of it. */
  chainIdOfBusiness(businessId: string): string {
    assertBusinessId(businessId);
    return businessId;
  }

  readonly platformChainId = PLATFORM_CHAIN;

  /**
   * How a worker thread opens its own PostgreSQL connection, with the app pool's timeouts; null
   * on SQLite, whose walks stay on the main thread.
   */
  workerConnection(): ClientConfig | null {
    const options = this.dataSource.options;
    if (options.type !== 'postgres') return null;
    const extra = (options.extra ?? {}) as PoolConfig;
    return {
      connectionString: options.url,
      connectionTimeoutMillis: extra.connectionTimeoutMillis,
      statement_timeout: extra.statement_timeout,
      query_timeout: extra.query_timeout,
      keepAlive: extra.keepAlive,
    };
  }

  headOfBusiness(businessId: string): Promise<AuditChainHead | null> {
    assertBusinessId(businessId);
    return this.dataSource.manager.findOneBy(AuditChainHead, { chainId: businessId });
  }

  headOfPlatform(): Promise<AuditChainHead | null> {
    return this.dataSource.manager.findOneBy(AuditChainHead, { chainId: PLATFORM_CHAIN });
  }

  /**
   * The raw rows of any chain, in `seq` order: for the tree keeper, which grows every chain's
   * tree (a job, not a caller; it crosses tenants by design).
   */
  rowsOfAnyChain(chainId: string, slice: ChainSlice): Promise<AuditRow[]> {
    return this.chainRows(chainId, slice, {}, this.dataSource);
  }

  /**
   * A chain's head, locked for the transaction as an append locks it (a no-op update takes the
   * row lock on PostgreSQL, and the write lock on SQLite): no event is appended until it ends.
   */
  async lockHead(em: EntityManager, chainId: string): Promise<AuditChainHead | null> {
    await em
      .createQueryBuilder()
      .update(AuditChainHead)
      .set({ treeSize: () => 'tree_size' })
      .where('chain_id = :chainId', { chainId })
      .execute();
    return em.findOneBy(AuditChainHead, { chainId });
  }

  private async bumpHead(em: EntityManager, chainId: string): Promise<boolean> {
    const result = await em
      .createQueryBuilder()
      .update(AuditChainHead)
      .set({ seq: () => 'seq + 1' })
      .where('chain_id = :chainId', { chainId })
      .execute();
    return (result.affected ?? 0) > 0;
  }

  private chainRows(
    chainId: string,
    slice: ChainSlice,
    filters: AuditFilters,
    dataSource: DataSource,
  ) {
    return this.rows(chainRowsQuery(this.dialect, chainId, slice, filters), dataSource);
  }

  /**
   * Pages and walks read raw rows straight from the driver: no query builder, no entity, and on
   * PostgreSQL no type parsing. A walk reads millions of rows; a page allocates a fraction of
   * what the query builder and hydration did, which is what the garbage collector's pauses in
   * the list's tail latency were made of.
   */
  private async rows({ text, values }: SqlQuery, dataSource: DataSource): Promise<AuditRow[]> {
    try {
      if (this.dialect === 'postgres') {
        const pool = (dataSource.driver as unknown as { master: Pool }).master;
        const result = await pool.query<AuditRow>({
          text,
          values,
          rowMode: 'array' as const,
          types: RAW_TEXT_TYPES,
        });
        return result.rows;
      }
      const db = (dataSource.driver as unknown as { databaseConnection: SqliteHandle })
        .databaseConnection;
      return db
        .prepare(text)
        .raw(true)
        .all(...values);
    } catch (e) {
      // As TypeORM reports it, so the error filter and the log treat it like any other query.
      throw new QueryFailedError(text, values, e as Error);
    }
  }
}

/** A chain head as `RETURNING` answers it on PostgreSQL. */
interface HeadRow {
  chain_id: string;
  seq: number;
  hash: string;
  tree_size: number;
  frontier: string;
}

/**
 * The time of an event taken under the head lock: now, or one millisecond after its
 * predecessor's (`previousAt`, as the driver gave it) when that is later. So `occurred_at`
 * strictly increases along a chain, and the lists' newest-first order (occurred_at, then id) is
 * the chain's own order even for events of one transaction, such as a business and its first
 * owner, written in the same millisecond.
 */
function nextInstant(previousAt: unknown): Date {
  const now = Date.now();
  const after = previousAt === null ? 0 : sqliteDate(previousAt).getTime() + 1;
  return new Date(Math.max(now, after));
}
