import { Injectable } from '@nestjs/common';
import { assertBusinessId } from '../../../common/tenant-scope';
import type { Reader } from '../../../database/units/reader';
import type { Transaction } from '../../../database/units/unit-of-work';
import { ApiToken } from '../entities/api-token.entity';

/** How many ids one read names: far below SQLite's bound-parameter limit. */
const CHUNK = 500;

/** Whether the token that makes a new one may still make it, as its row says under our lock. */
export type MakerState = 'open' | 'paused' | 'held';

/**
 * The reads and locks of a token's family: the tokens that descend from it through
 * `parent_token_id` (made by its requests, or successors of those), within its business.
 */
@Injectable()
export class TokenFamilyRepository {
  /**
   * The ids of every token descending from `rootId` in the business, the root not included, in
   * one recursive query; at most `limit` of them (the caller asks for one more than it takes, to
   * know there were more). UNION, not UNION ALL, so a loop in the data cannot run forever.
   */
  async descendantIds(
    businessId: string,
    rootId: string,
    limit: number,
    db: Reader,
  ): Promise<string[]> {
    assertBusinessId(businessId);
    const pg = db.postgres;
    const [b1, root, b2, max] = pg ? ['$1', '$2', '$1', '$3'] : ['?', '?', '?', '?'];
    const sql =
      'WITH RECURSIVE family(id) AS (' +
      `SELECT id FROM api_tokens WHERE business_id = ${b1} AND parent_token_id = ${root} ` +
      'UNION ' +
      'SELECT t.id FROM api_tokens t JOIN family f ON t.parent_token_id = f.id ' +
      `WHERE t.business_id = ${b2}) ` +
      `SELECT id FROM family LIMIT ${max}`;
    const params = pg ? [businessId, rootId, limit] : [businessId, rootId, businessId, limit];
    const rows = await db.query<{ id: string }[]>(sql, params);
    return rows.map((r) => r.id);
  }

  /** Those of `ids` that are active (neither revoked nor expired) and not paused, at `now`. */
  async openOf(
    businessId: string,
    ids: readonly string[],
    now: Date,
    db: Reader,
  ): Promise<ApiToken[]> {
    assertBusinessId(businessId);
    const open: ApiToken[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const rows = await db
        .createQueryBuilder(ApiToken, 't')
        .where('t.business_id = :businessId', { businessId })
        .andWhere('t.id IN (:...chunk)', { chunk })
        .andWhere('t.revoked_at IS NULL AND t.disabled_at IS NULL')
        .andWhere('(t.expires_at IS NULL OR t.expires_at > :now)', { now })
        .getMany();
      open.push(...rows);
    }
    return open;
  }

  /**
   * Locks these tokens' rows (FOR UPDATE, in id order so that two walks over one family queue
   * rather than deadlock) until the transaction ends. A token being made by one of them holds
   * its maker's row FOR KEY SHARE (`makerState`): it either committed before this lock was
   * granted, and the walk that follows sees it, or it finds the row held and is refused. SQLite
   * runs one unit of work at a time, and needs nothing.
   */
  async lockRows(businessId: string, ids: readonly string[], tx: Transaction): Promise<void> {
    assertBusinessId(businessId);
    if (!tx.postgres || ids.length === 0) return;
    await tx.query(
      'SELECT id FROM api_tokens WHERE business_id = $1 AND id = ANY($2::uuid[]) ' +
        'ORDER BY id FOR UPDATE',
      [businessId, [...ids]],
    );
  }

  /**
   * Whether the token `makerId` may still make a token in `tx` (an event handler's), read across
   * businesses by design (the maker may be a platform token): `paused` when it is, `held` when a
   * pause with children holds its row right now (PostgreSQL). Otherwise its row stays held FOR KEY SHARE until the transaction ends,
   * which ordinary updates (last use, a single pause) do not wait for, but a pause with children
   * does. SKIP LOCKED, so this never waits: the waiting one would hold the audit chain that the
   * pause then needs.
   */
  async makerStateAnyBusiness(makerId: string, tx: Transaction): Promise<MakerState> {
    const pg = tx.postgres;
    const rows: { disabled_at: unknown }[] = pg
      ? await tx.query(
          'SELECT disabled_at FROM api_tokens WHERE id = $1 FOR KEY SHARE SKIP LOCKED',
          [makerId],
        )
      : await tx.query('SELECT disabled_at FROM api_tokens WHERE id = ?', [makerId]);
    if (rows.length === 0) return pg ? 'held' : 'open';
    return rows[0].disabled_at === null ? 'open' : 'paused';
  }
}
