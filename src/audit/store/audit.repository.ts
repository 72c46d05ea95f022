import { Injectable } from '@nestjs/common';
import type { ClientConfig, Pool, PoolConfig } from 'pg';
import { DataSource } from 'typeorm';
import type { Keyset } from '../../common/validation/pagination';
import { assertBusinessId } from '../../common/tenant-scope';
import type { ReadSource } from '../../database/connection/read-routing';
import type { Reader } from '../../database/units/reader';
import { AuditChainHead, PLATFORM_CHAIN } from './audit-event.entity';
import { AuditRow, RowDialect, seqOf } from '../codec/audit-row';
import {
  AuditFilters,
  chainLastSeqQuery,
  ChainSlice,
  chainRowsQuery,
  pageRowsQuery,
  SqlQuery,
} from './audit-row-query';
import { BatchSizer } from './batch-sizer';
import { cursorBatches, ExportReads } from './chain-cursor';
import { rawRows } from './raw-read';

export type { AuditFilters } from './audit-row-query';

/**
 * The audit log's reads: a business's events take its id first. Appends are `AuditAppender`'s.
 */
@Injectable()
export class AuditRepository {
  /** How exports read a chain: one batch of raw rows is alive at a time (`ExportReads`). */
  readonly exportReads: ExportReads = { batchRows: 1_000, idleMs: 5_000, maxOpenMs: 10_000 };

  constructor(private readonly dataSource: DataSource) {}

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

  /** A business's chain in `seq` order, a batch at a time, for its export (`chainBatches`). */
  exportBatchesInBusiness(
    businessId: string,
    filters: AuditFilters,
    from: ReadSource,
  ): AsyncGenerator<AuditRow[]> {
    assertBusinessId(businessId);
    return this.chainBatches(businessId, filters, from.dataSource);
  }

  /** The platform chain in `seq` order, a batch at a time, for its export. */
  platformExportBatches(filters: AuditFilters, from: ReadSource): AsyncGenerator<AuditRow[]> {
    return this.chainBatches(PLATFORM_CHAIN, filters, from.dataSource);
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

  headOfBusiness(businessId: string, db: Reader): Promise<AuditChainHead | null> {
    assertBusinessId(businessId);
    return db.findOneBy(AuditChainHead, { chainId: businessId });
  }

  headOfPlatform(db: Reader): Promise<AuditChainHead | null> {
    return db.findOneBy(AuditChainHead, { chainId: PLATFORM_CHAIN });
  }

  /**
   * The raw rows of any chain, in `seq` order: for the tree keeper, which grows every chain's
   * tree (a job, not a caller; it crosses tenants by design).
   */
  rowsOfAnyChain(chainId: string, slice: ChainSlice, from: ReadSource): Promise<AuditRow[]> {
    return this.chainRows(chainId, slice, {}, from.dataSource);
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
   * On PostgreSQL, server-side cursors (`cursorBatches`) on a connection of the source's own
   * pool, a replica's when the export reads from one: the chain as it stood when the export
   * began. On SQLite, keyset batches: TypeORM cannot stream from it, and its one connection
   * cannot be held for a whole export; events appended meanwhile are read too, each once.
   */
  private chainBatches(
    chainId: string,
    filters: AuditFilters,
    dataSource: DataSource,
  ): AsyncGenerator<AuditRow[]> {
    if (this.dialect === 'postgres') {
      const pool = (dataSource.driver as unknown as { master: Pool }).master;
      return cursorBatches(
        pool,
        {
          lastSeq: chainLastSeqQuery(chainId),
          rows: (afterSeq, upToSeq) =>
            chainRowsQuery('postgres', chainId, { afterSeq, upToSeq }, filters),
        },
        this.exportReads,
      );
    }
    return this.keysetBatches(chainId, filters, dataSource);
  }

  private async *keysetBatches(chainId: string, filters: AuditFilters, dataSource: DataSource) {
    const sizer = new BatchSizer(this.exportReads.batchRows);
    let afterSeq = 0;
    for (;;) {
      const slice = { afterSeq, limit: sizer.next };
      const rows = await this.chainRows(chainId, slice, filters, dataSource);
      if (rows.length === 0) return;
      sizer.saw(rows);
      afterSeq = seqOf(rows[rows.length - 1]);
      yield rows;
    }
  }

  private rows(query: SqlQuery, dataSource: DataSource): Promise<AuditRow[]> {
    return rawRows(dataSource, query);
  }
}
