import { Injectable } from '@nestjs/common';
import { Brackets, DataSource, IsNull, LessThan, MoreThan, Not, ObjectLiteral } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { assertBusinessId } from '../common/tenant-scope';
import { Business } from '../tenancy/business.entity';
import { Identity } from '../tenancy/identity.entity';
import { Membership } from '../tenancy/membership.entity';
import { ApiToken } from './api-token.entity';
import { Transaction, readerOf } from '../database/unit-of-work';

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

/** Everything the verifier needs about one token, read in one query. */
export interface VerifierRow {
  token: ApiToken;
  identity: Identity;
  /** The identity's membership of the token's business; null when gone or for a platform token. */
  membership: Membership | null;
  /** The token's business; null for a platform token. */
  business: Business | null;
}

type JoinedToken = ApiToken & {
  identity?: Identity;
  membership?: Membership | null;
  business?: Business | null;
};

@Injectable()
export class TokensRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The verifier's lookup, across businesses by design: a hash names at most one token. */
  findByHashAnyBusiness(hash: string): Promise<ApiToken | null> {
    return this.dataSource.manager.findOneBy(ApiToken, { tokenHash: hash });
  }

  /**
   * The verifier's cache miss, across businesses by design: the token by hash with its identity,
   * that identity's membership of the token's business, and the business, in one indexed query
   * (the hash's unique index, then three primary keys). Tenancy's tables are only read here.
   */
  async findForVerifierAnyBusiness(hash: string): Promise<VerifierRow | null> {
    const row: JoinedToken | null = await this.dataSource.manager
      .createQueryBuilder(ApiToken, 't')
      .innerJoinAndMapOne('t.identity', Identity, 'i', 'i.id = t.identityId')
      .leftJoinAndMapOne(
        't.membership',
        Membership,
        'm',
        'm.businessId = t.businessId AND m.identityId = t.identityId',
      )
      .leftJoinAndMapOne('t.business', Business, 'b', 'b.id = t.businessId')
      .where('t.tokenHash = :hash', { hash })
      .getOne();
    if (!row?.identity) return null;
    const { identity, membership, business, ...token } = row;
    return {
      token: Object.assign(new ApiToken(), token),
      identity,
      membership: membership ?? null,
      business: business ?? null,
    };
  }

  findById(businessId: string, id: string, tx: Transaction | null) {
    assertBusinessId(businessId);
    return readerOf(tx, this.dataSource).findOneBy(ApiToken, { businessId, id });
  }

  /** Any token by id, whatever its business: for the platform routes only (a platform admin's). */
  findByIdAnyBusiness(id: string, tx: Transaction | null) {
    return readerOf(tx, this.dataSource).findOneBy(ApiToken, { id });
  }

  /** A platform token (no business) by id: for its own holder and platform routes only. */
  findPlatformTokenById(id: string, tx: Transaction | null) {
    return readerOf(tx, this.dataSource).findOneBy(ApiToken, { businessId: IsNull(), id });
  }

  /** The token again, by its id and business (null: a platform token). */
  reload(tx: Transaction | null, token: { id: string; businessId: string | null }) {
    return token.businessId === null
      ? this.findPlatformTokenById(token.id, tx)
      : this.findById(token.businessId, token.id, tx);
  }

  async insert(tx: Transaction, token: ApiToken): Promise<void> {
    await tx.manager.insert(ApiToken, token);
  }

  /**
   * Up to `limit` unrevoked tokens of one identity in one business, or among its platform tokens
   * when `businessId` is null, oldest first: a cascade's next batch.
   */
  findUnrevokedOfIdentity(
    tx: Transaction,
    businessId: string | null,
    identityId: string,
    limit: number,
  ): Promise<ApiToken[]> {
    if (businessId !== null) assertBusinessId(businessId);
    return tx.manager.find(ApiToken, {
      where: { businessId: businessId ?? IsNull(), identityId, revokedAt: IsNull() },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: limit,
    });
  }

  /** The active (unrevoked, unexpired) tokens of one identity in one business with this name. */
  findActiveByName(
    tx: Transaction,
    businessId: string,
    identityId: string,
    name: string,
    now: Date,
  ): Promise<ApiToken[]> {
    assertBusinessId(businessId);
    const mine = { businessId, identityId, name, revokedAt: IsNull() };
    return tx.manager.find(ApiToken, {
      where: [
        { ...mine, expiresAt: IsNull() },
        { ...mine, expiresAt: MoreThan(now) },
      ],
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  /** The ids of every unrevoked token of one identity in one business (or its platform tokens). */
  async unrevokedIdsOfIdentity(
    tx: Transaction,
    businessId: string | null,
    identityId: string,
  ): Promise<string[]> {
    if (businessId !== null) assertBusinessId(businessId);
    const rows = await tx.manager.find(ApiToken, {
      select: { id: true },
      where: { businessId: businessId ?? IsNull(), identityId, revokedAt: IsNull() },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
    return rows.map((r) => r.id);
  }

  /**
   * Up to `limit` unrevoked tokens, in any business, whose holder no longer stands behind them:
   * no membership of the token's business (or a membership newer than the token), a deleted
   * identity, or, for a platform token, an identity that is no platform admin. What a cascade
   * cut short (a crash between its batches) left behind; the verifier refuses them already.
   */
  findOrphansAnyBusiness(tx: Transaction, limit: number): Promise<ApiToken[]> {
    return tx.manager
      .createQueryBuilder(ApiToken, 't')
      .innerJoin(Identity, 'i', 'i.id = t.identityId')
      .leftJoin(Membership, 'm', 'm.businessId = t.businessId AND m.identityId = t.identityId')
      .where('t.revokedAt IS NULL')
      .andWhere(
        new Brackets((q) =>
          q
            .where(
              't.businessId IS NOT NULL AND ' +
                '(m.identityId IS NULL OR t.createdAt < m.createdAt OR i.deletedAt IS NOT NULL)',
            )
            .orWhere('t.businessId IS NULL AND i.isPlatformAdmin = :no', { no: false }),
        ),
      )
      .orderBy('t.createdAt', 'ASC')
      .take(limit)
      .getMany();
  }

  /**
   * How many tokens of one identity are active (neither revoked nor expired) in one business,
   * or among its platform tokens when `businessId` is null; `exceptId` is left out.
   */
  countActiveOfIdentity(
    tx: Transaction,
    businessId: string | null,
    identityId: string,
    now: Date,
    exceptId: string | null,
  ): Promise<number> {
    if (businessId !== null) assertBusinessId(businessId);
    const mine = {
      businessId: businessId ?? IsNull(),
      identityId,
      revokedAt: IsNull(),
      ...(exceptId === null ? {} : { id: Not(exceptId) }),
    };
    return tx.manager.count(ApiToken, {
      where: [
        { ...mine, expiresAt: IsNull() },
        { ...mine, expiresAt: MoreThan(now) },
      ],
    });
  }

  /**
   * Revokes a token unless it is revoked already. SQLite has no row locks, so "first revocation
   * wins" is this conditional UPDATE: the affected row count says whether we were first.
   */
  revokeIfUnrevoked(tx: Transaction, token: ApiToken, revocation: Revocation): Promise<boolean> {
    return this.updateIf(
      tx,
      token,
      {
        revokedAt: revocation.revokedAt,
        revokedBy: revocation.revokedBy,
        revokedById: revocation.revokedById,
        revocationReason: revocation.reason,
      },
      'revoked_at IS NULL',
    );
  }

  /**
   * Pauses an unrevoked token unless it is paused already: true for the one caller that wins (a
   * conditional UPDATE, as for revocation), so a second pause never overwrites the first.
   */
  disableIfEnabled(tx: Transaction, token: ApiToken, pause: Pause): Promise<boolean> {
    return this.updateIf(
      tx,
      token,
      {
        disabledAt: pause.at,
        disabledBy: pause.by,
        disabledById: pause.byId,
        disabledReason: pause.reason,
      },
      'disabled_at IS NULL AND revoked_at IS NULL',
    );
  }

  /** Resumes a paused, unrevoked token: true when this call resumed it. */
  enableIfDisabled(tx: Transaction, token: ApiToken): Promise<boolean> {
    return this.updateIf(
      tx,
      token,
      { disabledAt: null, disabledBy: null, disabledById: null, disabledReason: null },
      'disabled_at IS NOT NULL AND revoked_at IS NULL',
    );
  }

  /**
   * Marks the token reported leaked unless it was already: true for the one report that wins,
   * which alone tells of the leak (a conditional UPDATE, as for revocation).
   */
  markLeakReported(tx: Transaction, token: ApiToken, at: Date): Promise<boolean> {
    return this.updateIf(tx, token, { leakReportedAt: at }, 'leak_reported_at IS NULL');
  }

  /**
   * Claims the rotation of an active token for `successorId`: a conditional UPDATE, as for
   * revocation, so of concurrent rotations exactly one wins (on PostgreSQL the losers wait for
   * the winner's row lock, then find `rotated_to_id` set). False when another rotation won, or
   * the token is no longer active (or is paused: a successor would undo the pause).
   */
  claimRotation(
    tx: Transaction,
    token: ApiToken,
    successorId: string,
    now: Date,
  ): Promise<boolean> {
    return this.updateIf(
      tx,
      token,
      { rotatedToId: successorId },
      'rotated_to_id IS NULL AND revoked_at IS NULL AND disabled_at IS NULL AND ' +
        '(expires_at IS NULL OR expires_at > :now)',
      { now },
    );
  }

  /**
   * One token's conditional UPDATE, within its own business (or among platform tokens): true
   * when `condition` still held and the row changed, so of concurrent callers exactly one wins.
   */
  private async updateIf(
    tx: Transaction,
    token: ApiToken,
    set: QueryDeepPartialEntity<ApiToken>,
    condition: string,
    params: ObjectLiteral = {},
  ): Promise<boolean> {
    const qb = tx.manager
      .createQueryBuilder()
      .update(ApiToken)
      .set(set)
      .where(`id = :id AND ${condition}`, { ...params, id: token.id });
    this.sameBusiness(qb, token.businessId);
    const result = await qb.execute();
    return (result.affected ?? 0) > 0;
  }

  /** Unrevoked tokens of a business that a bulk revocation may match. */
  findUnrevokedInBusiness(
    tx: Transaction,
    businessId: string,
    filters: { identityId?: string; createdBefore?: Date },
  ) {
    assertBusinessId(businessId);
    return tx.manager.findBy(ApiToken, {
      businessId,
      revokedAt: IsNull(),
      ...(filters.identityId ? { identityId: filters.identityId } : {}),
      ...(filters.createdBefore ? { createdAt: LessThan(filters.createdBefore) } : {}),
    });
  }

  /** Sets the edited fields of one token, within its business. */
  async edit(tx: Transaction, token: ApiToken, set: QueryDeepPartialEntity<ApiToken>) {
    assertBusinessId(token.businessId ?? '');
    await this.updateIf(tx, token, set, '1 = 1');
  }

  /**
   * Records that tokens were used at `at`, in one statement whatever the batch size: the ids
   * travel as one array parameter (`= ANY` on PostgreSQL, `json_each` on SQLite), so a large
   * flush neither splits nor meets SQLite's bound-parameter limit.
   */
  async markUsed(tx: Transaction, ids: string[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    const postgres = tx.manager.connection.options.type === 'postgres';
    await tx.manager
      .createQueryBuilder()
      .update(ApiToken)
      .set({ lastUsedAt: at })
      .where(postgres ? 'id = ANY(:ids)' : 'id IN (SELECT value FROM json_each(:ids))', {
        ids: postgres ? ids : JSON.stringify(ids),
      })
      .execute();
  }

  /** Brings an unrevoked token's expiry forward (a rotation's grace period). */
  async setExpiry(tx: Transaction, token: ApiToken, expiresAt: Date): Promise<void> {
    const qb = tx.manager
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
