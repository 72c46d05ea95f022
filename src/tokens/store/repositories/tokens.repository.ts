import { Injectable } from '@nestjs/common';
import { Brackets, In, IsNull, LessThan, MoreThan, Not } from 'typeorm';
import { assertBusinessId } from '../../../common/tenant-scope';
import {
  Business,
  CustomRole,
  Identity,
  Membership,
  SsoSettings,
} from '../../../tenancy/tenancy.entities';
import { BusinessTokenPolicy } from '../../../governance/governance.entities';
import type { RequireDpop } from '../../../governance/business-policy';
import { ApiToken } from '../entities/api-token.entity';
import type { Reader } from '../../../database/units/reader';

/** A custom role as the verifier keeps it: what `/me` names, and the scopes it bounds. */
export interface HeldCustomRole {
  id: string;
  name: string;
  scopes: string[];
}

/** Everything the verifier needs about one token, read in one query. */
export interface VerifierRow {
  token: ApiToken;
  identity: Identity;
  /** The identity's membership of the token's business; null when gone or for a platform token. */
  membership: Membership | null;
  /** The token's business; null for a platform token. */
  business: Business | null;
  /** The business policy's `require_dpop`: null with no such rule (or no business). */
  requireDpop: RequireDpop | null;
  /** The holder's custom role in the business; null: none (the built-in role alone). */
  customRole: HeldCustomRole | null;
  /** The business takes only SSO sessions in the console from its people. */
  consoleSsoOnly: boolean;
}

type JoinedToken = ApiToken & {
  identity?: Identity;
  membership?: Membership | null;
  business?: Business | null;
  policy?: BusinessTokenPolicy | null;
  customRole?: CustomRole | null;
  ssoSettings?: SsoSettings | null;
};

/** The reads of tokens: the verifier's lookups, and what the services read before they write. */
@Injectable()
export class TokensRepository {
  /** The verifier's lookup, across businesses by design: a hash names at most one token. */
  findByHashAnyBusiness(hash: string, db: Reader): Promise<ApiToken | null> {
    return db.findOneBy(ApiToken, { tokenHash: hash });
  }

  /**
   * The verifier's cache miss, across businesses by design: the token by hash with its identity,
   * that identity's membership of the token's business (and its custom role), the business, its
   * policy's `require_dpop` and its console sign-in setting, in one indexed query (the hash's
   * unique index, then six primary keys).
   * Tenancy's and governance's tables are only read here.
   */
  async findForVerifierAnyBusiness(hash: string, db: Reader): Promise<VerifierRow | null> {
    const row: JoinedToken | null = await db
      .createQueryBuilder(ApiToken, 't')
      .innerJoinAndMapOne('t.identity', Identity, 'i', 'i.id = t.identityId')
      .leftJoinAndMapOne(
        't.membership',
        Membership,
        'm',
        'm.businessId = t.businessId AND m.identityId = t.identityId',
      )
      .leftJoinAndMapOne('t.business', Business, 'b', 'b.id = t.businessId')
      .leftJoinAndMapOne('t.policy', BusinessTokenPolicy, 'p', 'p.businessId = t.businessId')
      .leftJoinAndMapOne('t.customRole', CustomRole, 'r', 'r.id = m.customRoleId')
      .leftJoinAndMapOne('t.ssoSettings', SsoSettings, 's', 's.businessId = t.businessId')
      .where('t.tokenHash = :hash', { hash })
      .getOne();
    if (!row?.identity) return null;
    const { identity, membership, business, policy, customRole, ssoSettings, ...token } = row;
    return {
      token: Object.assign(new ApiToken(), token),
      identity,
      membership: membership ?? null,
      business: business ?? null,
      requireDpop: policy?.requireDpop ?? null,
      customRole: customRole
        ? { id: customRole.id, name: customRole.name, scopes: customRole.scopes }
        : null,
      consoleSsoOnly: ssoSettings ? !ssoSettings.tokenSignIn : false,
    };
  }

  /**
   * Whether a token already holds any of `hashes`, in any business (the hash's unique index): an
   * import is refused whole, and never told which business holds it.
   */
  async anyHashHeldAnyBusiness(hashes: readonly string[], db: Reader): Promise<boolean> {
    if (hashes.length === 0) return false;
    const held = await db
      .createQueryBuilder(ApiToken, 't')
      .where('t.tokenHash IN (:...hashes)', { hashes: [...hashes] })
      .getCount();
    return held > 0;
  }

  /** Whether any business holds a key brought from elsewhere: one probe of the origin index. */
  async anyImportedAnyBusiness(db: Reader): Promise<boolean> {
    const row: unknown = await db
      .createQueryBuilder(ApiToken, 't')
      .select('t.id', 'id')
      .where('t.origin = :origin', { origin: 'import' })
      .limit(1)
      .getRawOne();
    return row !== undefined && row !== null;
  }

  findById(businessId: string, id: string, db: Reader) {
    assertBusinessId(businessId);
    return db.findOneBy(ApiToken, { businessId, id });
  }

  /** The names of the business's tokens among `ids` (a report's); ids of no such token are absent. */
  async namesByIds(businessId: string, ids: readonly string[], db: Reader) {
    assertBusinessId(businessId);
    if (ids.length === 0) return [];
    return db.find(ApiToken, {
      select: { id: true, name: true },
      where: { businessId, id: In([...ids]) },
    });
  }

  /** The same across businesses: for the platform routes only (a platform admin's report). */
  async namesByIdsAnyBusiness(ids: readonly string[], db: Reader) {
    if (ids.length === 0) return [];
    return db.find(ApiToken, { select: { id: true, name: true }, where: { id: In([...ids]) } });
  }

  /** Any token by id, whatever its business: for the platform routes only (a platform admin's). */
  findByIdAnyBusiness(id: string, db: Reader) {
    return db.findOneBy(ApiToken, { id });
  }

  /** A platform token (no business) by id: for its own holder and platform routes only. */
  findPlatformTokenById(id: string, db: Reader) {
    return db.findOneBy(ApiToken, { businessId: IsNull(), id });
  }

  /** The token again, by its id and business (null: a platform token). */
  reload(token: { id: string; businessId: string | null }, db: Reader) {
    return token.businessId === null
      ? this.findPlatformTokenById(token.id, db)
      : this.findById(token.businessId, token.id, db);
  }

  /**
   * Up to `limit` unrevoked tokens of one identity in one business, or among its platform tokens
   * when `businessId` is null, oldest first: a cascade's next batch.
   */
  findUnrevokedOfIdentity(
    businessId: string | null,
    identityId: string,
    limit: number,
    db: Reader,
  ): Promise<ApiToken[]> {
    if (businessId !== null) assertBusinessId(businessId);
    return db.find(ApiToken, {
      where: { businessId: businessId ?? IsNull(), identityId, revokedAt: IsNull() },
      order: { createdAt: 'ASC', id: 'ASC' },
      take: limit,
    });
  }

  /** The active (unrevoked, unexpired) tokens of one identity in one business with this name. */
  findActiveByName(
    businessId: string,
    identityId: string,
    name: string,
    now: Date,
    db: Reader,
  ): Promise<ApiToken[]> {
    assertBusinessId(businessId);
    const mine = { businessId, identityId, name, revokedAt: IsNull() };
    return db.find(ApiToken, {
      where: [
        { ...mine, expiresAt: IsNull() },
        { ...mine, expiresAt: MoreThan(now) },
      ],
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  /** The ids of every unrevoked token of one identity in one business (or its platform tokens). */
  async unrevokedIdsOfIdentity(
    businessId: string | null,
    identityId: string,
    db: Reader,
  ): Promise<string[]> {
    if (businessId !== null) assertBusinessId(businessId);
    const rows = await db.find(ApiToken, {
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
  findOrphansAnyBusiness(limit: number, db: Reader): Promise<ApiToken[]> {
    return db
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
    businessId: string | null,
    identityId: string,
    now: Date,
    exceptId: string | null,
    db: Reader,
  ): Promise<number> {
    if (businessId !== null) assertBusinessId(businessId);
    const mine = {
      businessId: businessId ?? IsNull(),
      identityId,
      revokedAt: IsNull(),
      ...(exceptId === null ? {} : { id: Not(exceptId) }),
    };
    return db.count(ApiToken, {
      where: [
        { ...mine, expiresAt: IsNull() },
        { ...mine, expiresAt: MoreThan(now) },
      ],
    });
  }

  /** Unrevoked tokens of a business that a bulk revocation may match. */
  findUnrevokedInBusiness(
    businessId: string,
    filters: { identityId?: string; createdBefore?: Date },
    db: Reader,
  ) {
    assertBusinessId(businessId);
    return db.findBy(ApiToken, {
      businessId,
      revokedAt: IsNull(),
      ...(filters.identityId ? { identityId: filters.identityId } : {}),
      ...(filters.createdBefore ? { createdAt: LessThan(filters.createdBefore) } : {}),
    });
  }
}
