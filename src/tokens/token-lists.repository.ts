import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import type { Keyset } from '../common/pagination';
import { assertBusinessId } from '../common/tenant-scope';
import { RawRows } from '../database/raw-rows';
import { ApiToken } from './api-token.entity';

export interface TokenFilters {
  status?: 'active' | 'expired' | 'revoked';
  identityId?: string;
  namePrefix?: string;
}

/** The token lists: keyset pages read as arrays, the hot read of the token routes. */
@Injectable()
export class TokenListsRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly raw: RawRows,
  ) {}

  /** Tokens of one business, oldest first, keyset on (created_at, id). */
  listInBusiness(businessId: string, filters: TokenFilters, limit: number, after: Keyset | null) {
    assertBusinessId(businessId);
    return this.listPage({ ...filters, businessId }, limit, after);
  }

  /** Tokens across businesses, for platform admins; `businessId` narrows to one. */
  listAnyBusiness(
    filters: TokenFilters & { businessId?: string },
    limit: number,
    after: Keyset | null,
  ) {
    return this.listPage(filters, limit, after);
  }

  /**
   * One keyset page of a list, as plain SQL on the index (business_id, created_at, id): the rows
   * come back as arrays (`RawRows`: a kept statement on SQLite, a named prepared one on
   * PostgreSQL) and only dates and JSON go through the driver's hydration; no query builder, whose
   * alias machinery took a third of a list request's CPU. The hash is not read.
   */
  private async listPage(
    filters: TokenFilters & { businessId?: string },
    limit: number,
    after: Keyset | null,
  ): Promise<ApiToken[]> {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: limit + 1 };
    if (filters.businessId) {
      where.push('business_id = :businessId');
      params.businessId = filters.businessId;
    }
    switch (filters.status) {
      case 'revoked':
        where.push('revoked_at IS NOT NULL');
        break;
      case 'expired':
        where.push('revoked_at IS NULL AND expires_at <= :now');
        params.now = new Date();
        break;
      case 'active':
        where.push('revoked_at IS NULL AND (expires_at IS NULL OR expires_at > :now)');
        params.now = new Date();
        break;
      case undefined:
        break;
    }
    if (filters.identityId) {
      where.push('identity_id = :identityId');
      params.identityId = filters.identityId;
    }
    if (filters.namePrefix) {
      where.push("name LIKE :prefix ESCAPE '\\'");
      params.prefix = `${filters.namePrefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    }
    if (after) {
      where.push('(created_at > :afterAt OR (created_at = :afterAt AND id > :afterId))');
      params.afterAt = new Date(after.at);
      params.afterId = after.id;
    }
    const { select, columns } = this.listColumns();
    const rows = await this.raw.all(
      `SELECT ${select} FROM api_tokens` +
        (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
        ' ORDER BY created_at ASC, id ASC LIMIT :limit',
      params,
    );
    return rows.map((row) => {
      const token = new ApiToken();
      const target = token as unknown as Record<string, unknown>;
      for (let i = 0; i < columns.length; i++) {
        const { column, plain } = columns[i];
        target[column.propertyName] = plain
          ? row[i]
          : this.dataSource.driver.prepareHydratedValue(row[i], column);
      }
      return token;
    });
  }

  private listColumnsMemo?: {
    select: string;
    columns: { column: ColumnMetadata; plain: boolean }[];
  };

  /**
   * Every column of a token but its hash, read once from the entity's metadata, in SELECT order.
   * Text and uuid columns come from both drivers as they are; the rest (dates, JSON) are
   * hydrated by the driver, as TypeORM would.
   */
  private listColumns() {
    if (!this.listColumnsMemo) {
      const columns = this.dataSource
        .getMetadata(ApiToken)
        .columns.filter((c) => c.propertyName !== 'tokenHash');
      const driver = this.dataSource.driver;
      this.listColumnsMemo = {
        columns: columns.map((column) => ({
          column,
          plain: column.type === 'varchar' || column.type === 'uuid',
        })),
        select: columns.map((c) => driver.escape(c.databaseName)).join(', '),
      };
    }
    return this.listColumnsMemo;
  }
}
