import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Keyset, NullableKeyset } from '../../../common/validation/pagination';
import { assertBusinessId } from '../../../common/tenant-scope';
import type { ReadSource } from '../../../database/connection/read-routing';
import { keysetAfter } from '../../../database/keyset';
import { ApiToken } from '../entities/api-token.entity';
import { RISKY_TOKEN_SQL } from './risky-token-sql';
import { listColumns, type TokenListColumns } from './token-list-columns';

export { SUMMARY_COLUMNS, type TokenListColumns } from './token-list-columns';

export interface TokenFilters {
  /** A view's status (`token-status.ts`); `live`: neither revoked nor expired, disabled or not. */
  status?: 'active' | 'disabled' | 'expired' | 'revoked' | 'live';
  identityId?: string;
  namePrefix?: string;
  /** Text anywhere in the name, the preview, or the holder's email or machine name. */
  search?: string;
}

const LIVE = 'revoked_at IS NULL AND (expires_at IS NULL OR expires_at > :now)';
/** Each status filter as SQL: a view's status (`token-status.ts`), read from the same columns. */
const STATUS_SQL: Record<NonNullable<TokenFilters['status']>, string> = {
  revoked: 'revoked_at IS NOT NULL',
  expired: 'revoked_at IS NULL AND expires_at <= :now',
  live: LIVE,
  active: `${LIVE} AND disabled_at IS NULL`,
  disabled: `${LIVE} AND disabled_at IS NOT NULL`,
};

/**
 * A list's order and where its page starts: by creation (oldest or newest first), or by last use
 * (least recently used first, never used before all).
 */
export type TokenListOrder =
  | { sort: 'created_at' | '-created_at'; after: Keyset | null }
  | { sort: 'last_used_at'; after: NullableKeyset | null };

/**
 * The token lists: keyset pages read as arrays, the hot read of the token routes. Each reads from
 * the source it is given: a read replica when `ReadRouting` chose one, else the primary.
 */
@Injectable()
export class TokenListsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Who holds or held tokens of the business: at most `limit` identity ids, in no order. */
  async holderIdsInBusiness(businessId: string, limit: number, from: ReadSource) {
    assertBusinessId(businessId);
    const rows = await from
      .createQueryBuilder(ApiToken, 't')
      .select('DISTINCT t.identityId', 'identity_id')
      .where('t.businessId = :businessId', { businessId })
      .limit(limit)
      .getRawMany<{ identity_id: string }>();
    return rows.map((r) => r.identity_id);
  }

  /** Tokens of one business, keyset on (created_at, id) or (last_used_at, id). */
  listInBusiness(
    businessId: string,
    filters: TokenFilters,
    limit: number,
    order: TokenListOrder,
    from: ReadSource,
    columns: TokenListColumns = 'all',
  ): Promise<ApiToken[]> {
    assertBusinessId(businessId);
    return this.listOrdered({ ...filters, businessId }, limit, order, from, columns);
  }

  /**
   * The business's active tokens that are risky (`riskReasonsOf`): open in every way at once (no
   * expiry, no networks, no scopes), or last used (never used: made) before `staleBefore`. Keyset
   * on (created_at, id), on the same index as the list; `identityId` narrows to one holder.
   */
  listRiskyInBusiness(
    businessId: string,
    filters: { identityId?: string },
    staleBefore: Date,
    limit: number,
    after: Keyset | null,
    from: ReadSource,
  ): Promise<ApiToken[]> {
    assertBusinessId(businessId);
    const risky = RISKY_TOKEN_SQL;
    const keyset = keysetAfter('created_at', 'id', '>');
    return this.listPage(
      { ...filters, businessId, status: 'live' },
      limit,
      {
        where: {
          sql: after ? `${risky} AND ${keyset}` : risky,
          params: after
            ? { staleBefore, afterAt: new Date(after.at), afterId: after.id }
            : { staleBefore },
        },
        orderBy: 'created_at ASC, id ASC',
      },
      from,
    );
  }

  /** Tokens across businesses, for platform admins; `businessId` narrows to one. */
  listAnyBusiness(
    filters: TokenFilters & { businessId?: string },
    limit: number,
    order: TokenListOrder,
    from: ReadSource,
    columns: TokenListColumns = 'all',
  ): Promise<ApiToken[]> {
    return this.listOrdered(filters, limit, order, from, columns);
  }

  private listOrdered(
    filters: TokenFilters & { businessId?: string },
    limit: number,
    order: TokenListOrder,
    from: ReadSource,
    columns: TokenListColumns,
  ): Promise<ApiToken[]> {
    if (order.sort === '-created_at') {
      const { after } = order;
      return this.listPage(
        filters,
        limit,
        {
          where: after
            ? {
                sql: keysetAfter('created_at', 'id', '<'),
                params: { afterAt: new Date(after.at), afterId: after.id },
              }
            : null,
          orderBy: 'created_at DESC, id DESC',
        },
        from,
        columns,
      );
    }
    if (order.sort === 'created_at') {
      const { after } = order;
      return this.listPage(
        filters,
        limit,
        {
          where: after
            ? {
                sql: keysetAfter('created_at', 'id', '>'),
                params: { afterAt: new Date(after.at), afterId: after.id },
              }
            : null,
          orderBy: 'created_at ASC, id ASC',
        },
        from,
        columns,
      );
    }
    return this.listByLastUse(filters, limit, order.after, from, columns);
  }

  /**
   * Least recently used first, the never used before all: the never used by id, then the used
   * by (last_used_at, id). Two plain reads rather than one `ORDER BY … NULLS FIRST`, which
   * PostgreSQL cannot read from an ascending index; each walks the index
   * (business_id, last_used_at, id), and the second runs only when the first leaves room.
   */
  private async listByLastUse(
    filters: TokenFilters & { businessId?: string },
    limit: number,
    after: NullableKeyset | null,
    from: ReadSource,
    columns: TokenListColumns,
  ): Promise<ApiToken[]> {
    const rows: ApiToken[] = [];
    if (after === null || after.at === null) {
      rows.push(
        ...(await this.listPage(
          filters,
          limit,
          {
            where: {
              sql: after ? 'last_used_at IS NULL AND id > :afterId' : 'last_used_at IS NULL',
              params: after ? { afterId: after.id } : {},
            },
            orderBy: 'id ASC',
          },
          from,
          columns,
        )),
      );
      if (rows.length > limit) return rows;
    }
    const used = await this.listPage(
      filters,
      limit - rows.length,
      {
        where:
          after?.at != null
            ? {
                sql: `last_used_at IS NOT NULL AND ${keysetAfter('last_used_at', 'id', '>')}`,
                params: { afterAt: new Date(after.at), afterId: after.id },
              }
            : { sql: 'last_used_at IS NOT NULL', params: {} },
        orderBy: 'last_used_at ASC, id ASC',
      },
      from,
      columns,
    );
    return rows.concat(used);
  }

  /**
   * One keyset page of a list, as plain SQL on the index (business_id, created_at, id): the rows
   * come back as arrays (`RawRows`: a kept statement on SQLite, a named prepared one on
   * PostgreSQL) and each column is read as the driver would hydrate it (`listColumns`); no query builder, whose
   * alias machinery took a third of a list request's CPU. The hash is not read.
   */
  private async listPage(
    filters: TokenFilters & { businessId?: string },
    limit: number,
    page: { where: { sql: string; params: Record<string, unknown> } | null; orderBy: string },
    from: ReadSource,
    which: TokenListColumns = 'all',
  ): Promise<ApiToken[]> {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: limit + 1 };
    if (filters.businessId) {
      where.push('business_id = :businessId');
      params.businessId = filters.businessId;
    }
    if (filters.status) {
      where.push(STATUS_SQL[filters.status]);
      if (filters.status !== 'revoked') params.now = new Date();
    }
    if (filters.identityId) {
      where.push('identity_id = :identityId');
      params.identityId = filters.identityId;
    }
    if (filters.namePrefix) {
      where.push("name LIKE :prefix ESCAPE '\\'");
      params.prefix = `${escapeLike(filters.namePrefix)}%`;
    }
    if (filters.search) {
      // Only when asked: a scan of the business's tokens, and of the identities for the holder.
      const like = "LIKE :search ESCAPE '\\'";
      where.push(
        `(LOWER(name) ${like} OR LOWER(preview) ${like} OR identity_id IN ` +
          `(SELECT id FROM identities WHERE LOWER(email) ${like} OR LOWER(name) ${like}))`,
      );
      params.search = `%${escapeLike(filters.search.toLowerCase())}%`;
    }
    if (page.where) {
      where.push(page.where.sql);
      Object.assign(params, page.where.params);
    }
    const { select, entityOf } = listColumns(this.dataSource, which);
    const rows = await from.rows.all(
      `SELECT ${select} FROM api_tokens` +
        (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
        ` ORDER BY ${page.orderBy} LIMIT :limit`,
      params,
    );
    return rows.map(entityOf);
  }
}

/** LIKE's wildcards and its escape character, escaped, so the text matches only itself. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
