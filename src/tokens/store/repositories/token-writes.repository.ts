import { Injectable } from '@nestjs/common';
import { ObjectLiteral } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { assertBusinessId } from '../../../common/tenant-scope';
import { ApiToken } from '../entities/api-token.entity';
import type { Transaction } from '../../../database/units/unit-of-work';

export interface Revocation {
  revokedAt: Date;
  revokedBy: string;
  revokedById: string | null;
  reason: string | null;
}

/** Who paused a token, when and why. */
export interface Pause {
  at: Date;
  by: string;
  byId: string | null;
  reason: string | null;
}

/**
 * The writes to tokens. Each guarded write is one conditional UPDATE within the token's own
 * business (or among platform tokens), and its affected row count says which caller won a race.
 */
@Injectable()
export class TokenWritesRepository {
  async insert(token: ApiToken, tx: Transaction): Promise<void> {
    await tx.insertRow(ApiToken, token);
  }

  /**
   * Revokes a token unless it is revoked already. SQLite has no row locks, so "first revocation
   * wins" is this conditional UPDATE: the affected row count says whether we were first.
   */
  revokeIfUnrevoked(token: ApiToken, revocation: Revocation, tx: Transaction): Promise<boolean> {
    return this.updateIf(
      token,
      {
        revokedAt: revocation.revokedAt,
        revokedBy: revocation.revokedBy,
        revokedById: revocation.revokedById,
        revocationReason: revocation.reason,
      },
      'revoked_at IS NULL',
      {},
      tx,
    );
  }

  /**
   * Pauses an unrevoked token unless it is paused already: true for the one caller that wins (a
   * conditional UPDATE, as for revocation), so a second pause never overwrites the first.
   */
  disableIfEnabled(token: ApiToken, pause: Pause, tx: Transaction): Promise<boolean> {
    return this.updateIf(
      token,
      {
        disabledAt: pause.at,
        disabledBy: pause.by,
        disabledById: pause.byId,
        disabledReason: pause.reason,
      },
      'disabled_at IS NULL AND revoked_at IS NULL',
      {},
      tx,
    );
  }

  /** Resumes a paused, unrevoked token: true when this call resumed it. */
  enableIfDisabled(token: ApiToken, tx: Transaction): Promise<boolean> {
    return this.updateIf(
      token,
      { disabledAt: null, disabledBy: null, disabledById: null, disabledReason: null },
      'disabled_at IS NOT NULL AND revoked_at IS NULL',
      {},
      tx,
    );
  }

  /**
   * Marks the token reported leaked unless it was already: true for the one report that wins,
   * which alone tells of the leak (a conditional UPDATE, as for revocation).
   */
  markLeakReported(token: ApiToken, at: Date, tx: Transaction): Promise<boolean> {
    return this.updateIf(token, { leakReportedAt: at }, 'leak_reported_at IS NULL', {}, tx);
  }

  /**
   * Claims the rotation of an active token for `successorId`: a conditional UPDATE, as for
   * revocation, so of concurrent rotations exactly one wins (on PostgreSQL the losers wait for
   * the winner's row lock, then find `rotated_to_id` set). False when another rotation won, or
   * the token is no longer active (or is paused: a successor would undo the pause).
   */
  claimRotation(
    token: ApiToken,
    successorId: string,
    now: Date,
    tx: Transaction,
  ): Promise<boolean> {
    return this.updateIf(
      token,
      { rotatedToId: successorId },
      'rotated_to_id IS NULL AND revoked_at IS NULL AND disabled_at IS NULL AND ' +
        '(expires_at IS NULL OR expires_at > :now)',
      { now },
      tx,
    );
  }

  /**
   * One token's conditional UPDATE, within its own business (or among platform tokens): true
   * when `condition` still held and the row changed, so of concurrent callers exactly one wins.
   */
  private async updateIf(
    token: ApiToken,
    set: QueryDeepPartialEntity<ApiToken>,
    condition: string,
    params: ObjectLiteral,
    tx: Transaction,
  ): Promise<boolean> {
    const qb = tx
      .createQueryBuilder()
      .update(ApiToken)
      .set(set)
      .where(`id = :id AND ${condition}`, { ...params, id: token.id });
    this.sameBusiness(qb, token.businessId);
    const result = await qb.execute();
    return (result.affected ?? 0) > 0;
  }

  /** Sets the edited fields of one token, within its business. */
  async edit(token: ApiToken, set: QueryDeepPartialEntity<ApiToken>, tx: Transaction) {
    assertBusinessId(token.businessId ?? '');
    await this.updateIf(token, set, '1 = 1', {}, tx);
  }

  /**
   * Locks these tokens' rows until the transaction ends, in id order (PostgreSQL; SQLite runs
   * one unit of work at a time). A batch that revokes many, each with its audit event, takes
   * them all before its first event holds the business's chain: a single token's change locks
   * its row and then the chain, so a batch that locked row by row between its events would hold
   * the chain that change waits for while waiting for the row it holds. `NO KEY UPDATE`, the
   * lock the UPDATEs themselves take: a token being made holds its maker `FOR KEY SHARE SKIP
   * LOCKED`, and finds a row held `FOR UPDATE` paused (`makerStateAnyBusiness`).
   */
  async lockInIdOrder(tokens: readonly ApiToken[], tx: Transaction): Promise<void> {
    if (!tx.postgres || tokens.length === 0) return;
    await tx.query(
      'SELECT id FROM api_tokens WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE',
      [tokens.map((t) => t.id)],
    );
  }

  /**
   * Records that tokens were used at `at`, in one statement whatever the batch size: the ids
   * travel as one array parameter (`= ANY` on PostgreSQL, `json_each` on SQLite), so a large
   * flush neither splits nor meets SQLite's bound-parameter limit. On PostgreSQL the rows are
   * taken in id order, as `lockInIdOrder` takes them, so a flush and a batch revocation queue
   * rather than deadlock, which would lose the flush's times.
   */
  async markUsed(ids: string[], at: Date, tx: Transaction): Promise<void> {
    if (ids.length === 0) return;
    const postgres = tx.postgres;
    await tx
      .createQueryBuilder()
      .update(ApiToken)
      .set({ lastUsedAt: at })
      .where(
        postgres
          ? 'id IN (SELECT id FROM api_tokens WHERE id = ANY(:ids) ORDER BY id FOR NO KEY UPDATE)'
          : 'id IN (SELECT value FROM json_each(:ids))',
        { ids: postgres ? ids : JSON.stringify(ids) },
      )
      .execute();
  }

  /** Brings an unrevoked token's expiry forward (a rotation's grace period). */
  async setExpiry(token: ApiToken, expiresAt: Date, tx: Transaction): Promise<void> {
    const qb = tx
      .createQueryBuilder()
      .update(ApiToken)
      .set({ expiresAt })
      .where('id = :id AND revoked_at IS NULL', { id: token.id });
    this.sameBusiness(qb, token.businessId);
    await qb.execute();
  }

  /** Scopes a write to the token's own business, or to platform tokens. */
  private sameBusiness(
    qb: { andWhere(where: string, params?: object): unknown },
    businessId: string | null,
  ) {
    if (businessId === null) qb.andWhere('business_id IS NULL');
    else qb.andWhere('business_id = :businessId', { businessId });
  }
}
