import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import type { Keyset } from '../common/pagination';
import { assertBusinessId } from '../common/tenant-scope';
import { storable } from '../common/text';
import { chainHash, GENESIS_HASH } from './audit-chain';
import { AuditEntry, auditView } from './audit-entry';
import { AuditChainHead, AuditEvent, AuditOutcome, PLATFORM_CHAIN } from './audit-event.entity';
import { canonicalJson } from './canonical-json';

export interface AuditFilters {
  actions?: string[];
  actorId?: string;
  targetId?: string;
  outcome?: AuditOutcome;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

const COLUMNS: (keyof AuditEvent)[] = [
  'id',
  'chainId',
  'seq',
  'businessId',
  'occurredAt',
  'action',
  'outcome',
  'actorId',
  'actorType',
  'actorLabel',
  'actorTokenId',
  'actorIssuedById',
  'actorIssuedByLabel',
  'origin',
  'targetType',
  'targetId',
  'targetLabel',
  'requestId',
  'ip',
  'userAgent',
  'metadata',
  'prevHash',
  'hash',
];

/**
 * The audit log's only way in and out. Appends go through the caller's transaction; reads of
 * a business's events take its id first. Nothing here updates or deletes an event.
 */
@Injectable()
export class AuditRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Appends to the entry's chain inside `em`'s transaction. Bumping the head's `seq` first
   * takes its row lock on PostgreSQL (the write lock on SQLite), so concurrent appends to one
   * chain queue here and each reads the hash its predecessor left.
   */
  async append(em: EntityManager, entry: AuditEntry): Promise<AuditEvent> {
    const chainId = entry.businessId ?? PLATFORM_CHAIN;
    if (!(await this.bumpHead(em, chainId))) {
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
    }
    const head = await em.findOneByOrFail(AuditChainHead, { chainId });
    const event: AuditEvent = {
      id: randomUUID(),
      chainId,
      seq: head.seq,
      businessId: entry.businessId,
      occurredAt: await this.nextInstant(em, chainId, head.seq),
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
    event.hash = chainHash(head.hash, auditView(event));
    await em.insert(AuditEvent, event);
    await em.update(AuditChainHead, { chainId }, { hash: event.hash });
    return event;
  }

  /**
   * The time of the event at `seq`, taken under the head lock: now, or one millisecond after its
   * predecessor when that is later. So `occurred_at` strictly increases along a chain, and the
   * lists' newest-first order (occurred_at, then id) is the chain's own order even for events of
   * one transaction, such as a business and its first owner, written in the same millisecond.
   */
  private async nextInstant(em: EntityManager, chainId: string, seq: number): Promise<Date> {
    const now = Date.now();
    if (seq <= 1) return new Date(now);
    const previous = await em.findOne(AuditEvent, {
      select: { occurredAt: true },
      where: { chainId, seq: seq - 1 },
    });
    const after = previous ? asDate(previous.occurredAt).getTime() + 1 : 0;
    return new Date(Math.max(now, after));
  }

  /** A newest-first keyset page of one business's events. */
  pageInBusiness(businessId: string, filters: AuditFilters, limit: number, after: Keyset | null) {
    assertBusinessId(businessId);
    const qb = this.filtered(filters).andWhere('e.business_id = :businessId', { businessId });
    return newestFirst(qb, limit, after).getMany();
  }

  /** A newest-first keyset page across every chain, for platform admins. */
  pageAnyBusiness(
    filters: AuditFilters & { businessId?: string },
    limit: number,
    after: Keyset | null,
  ) {
    const qb = this.filtered(filters);
    if (filters.businessId) {
      qb.andWhere('e.business_id = :businessId', { businessId: filters.businessId });
    }
    return newestFirst(qb, limit, after).getMany();
  }

  /** The next events of a business's chain after `afterSeq`, in `seq` order. */
  chainBatchInBusiness(
    businessId: string,
    afterSeq: number,
    limit: number,
    filters: AuditFilters = {},
  ): Promise<AuditEvent[]> {
    assertBusinessId(businessId);
    return this.chainBatch(businessId, afterSeq, limit, filters);
  }

  /** The next events of the platform chain after `afterSeq`, in `seq` order. */
  platformChainBatch(afterSeq: number, limit: number, filters: AuditFilters = {}) {
    return this.chainBatch(PLATFORM_CHAIN, afterSeq, limit, filters);
  }

  headOfBusiness(businessId: string): Promise<AuditChainHead | null> {
    assertBusinessId(businessId);
    return this.dataSource.manager.findOneBy(AuditChainHead, { chainId: businessId });
  }

  headOfPlatform(): Promise<AuditChainHead | null> {
    return this.dataSource.manager.findOneBy(AuditChainHead, { chainId: PLATFORM_CHAIN });
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

  /**
   * Walks use raw rows: hydrating entities costs more than hashing them, and verify must keep
   * up with a large chain.
   */
  private async chainBatch(
    chainId: string,
    afterSeq: number,
    limit: number,
    filters: AuditFilters,
  ): Promise<AuditEvent[]> {
    const qb = this.filtered(filters)
      .select(COLUMNS.map((column) => `e.${column}`))
      .andWhere('e.chain_id = :chainId', { chainId })
      .andWhere('e.seq > :afterSeq', { afterSeq })
      .orderBy('e.seq', 'ASC')
      .limit(limit);
    const rows = await qb.getRawMany<Record<string, unknown>>();
    const metadata = this.dataSource.getMetadata(AuditEvent);
    return rows.map((row) => {
      const event = {} as Record<string, unknown>;
      for (const column of metadata.columns) {
        event[column.propertyName] = row[`e_${column.databaseName}`];
      }
      event.occurredAt = asDate(event.occurredAt);
      event.seq = Number(event.seq);
      return event as unknown as AuditEvent;
    });
  }

  private filtered(filters: AuditFilters): SelectQueryBuilder<AuditEvent> {
    const qb = this.dataSource.getRepository(AuditEvent).createQueryBuilder('e');
    if (filters.actions?.length)
      qb.andWhere('e.action IN (:...actions)', { actions: filters.actions });
    if (filters.actorId) qb.andWhere('e.actor_id = :actorId', { actorId: filters.actorId });
    if (filters.targetId) qb.andWhere('e.target_id = :targetId', { targetId: filters.targetId });
    if (filters.outcome) qb.andWhere('e.outcome = :outcome', { outcome: filters.outcome });
    if (filters.from) qb.andWhere('e.occurred_at >= :from', { from: filters.from });
    if (filters.to) qb.andWhere('e.occurred_at < :to', { to: filters.to });
    return qb;
  }
}

/**
 * Newest first, after the cursor. The row-value comparison lets PostgreSQL seek the
 * (…, occurred_at, id) index directly, so a page costs the same at any depth.
 */
function newestFirst(qb: SelectQueryBuilder<AuditEvent>, limit: number, after: Keyset | null) {
  qb.orderBy('e.occurred_at', 'DESC')
    .addOrderBy('e.id', 'DESC')
    .limit(limit + 1);
  if (after) {
    qb.andWhere('(e.occurred_at, e.id) < (:afterAt, :afterId)', {
      afterAt: new Date(after.at),
      afterId: after.id,
    });
  }
  return qb;
}

/** PostgreSQL hands back a Date; SQLite the UTC text TypeORM wrote (`YYYY-MM-DD hh:mm:ss.SSS`). */
function asDate(value: unknown): Date {
  if (value instanceof Date) return value;
  return new Date(`${String(value).replace(' ', 'T')}Z`);
}
