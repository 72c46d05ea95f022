import { Injectable } from '@nestjs/common';
import { Keyset } from '../../common/validation/pagination';
import { assertBusinessId } from '../../common/tenant-scope';
import { holdKeyLock, membershipKey, readUnderKeyLocks } from '../../database/units/key-lock';
import { keysetPage } from '../../database/keyset';
import { Identity, IdentityKind } from './identity.entity';
import { Membership } from './membership.entity';
import { Role } from '../../auth/roles';
import type { Reader } from '../../database/units/reader';
import type { Transaction } from '../../database/units/unit-of-work';

export interface MemberRow {
  membership: Membership;
  identity: Identity;
}

/** Members are listed in the order they joined. */
export function memberKey(row: MemberRow): Keyset {
  return { at: row.membership.createdAt.toISOString(), id: row.membership.identityId };
}

@Injectable()
export class MembershipsRepository {
  find(businessId: string, identityId: string, db: Reader) {
    assertBusinessId(businessId);
    return db.findOneBy(Membership, { businessId, identityId });
  }

  /** A membership with its identity, of the given kind. */
  async findMember(
    businessId: string,
    identityId: string,
    kind: IdentityKind,
    db: Reader,
  ): Promise<MemberRow | null> {
    assertBusinessId(businessId);
    const membership = await db.findOneBy(Membership, { businessId, identityId });
    if (!membership) return null;
    const identity = await db.findOneBy(Identity, {
      id: identityId,
      kind,
    });
    return identity ? { membership, identity } : null;
  }

  /** The memberships, with identities, of those of `identityIds` who are members of the business. */
  async findMembers(
    businessId: string,
    identityIds: readonly string[],
    db: Reader,
  ): Promise<MemberRow[]> {
    const qb = this.membersQuery(businessId, identityIds, db);
    return qb ? memberRows(await qb.getMany()) : [];
  }

  /**
   * `findMembers`, once the issuance lock of each is held (shared): see `TokenAccess.holderTarget`
   * (tokens) for the rule.
   */
  async findMembersLocked(
    businessId: string,
    identityIds: readonly string[],
    tx: Transaction,
  ): Promise<MemberRow[]> {
    const qb = this.membersQuery(businessId, identityIds, tx);
    if (!qb) return [];
    const keys = [...new Set(identityIds)].map((id) => membershipKey(businessId, id));
    return memberRows(await readUnderKeyLocks(keys, 'shared', () => qb.getMany(), tx));
  }

  private membersQuery(businessId: string, identityIds: readonly string[], db: Reader) {
    assertBusinessId(businessId);
    if (identityIds.length === 0) return null;
    return db
      .createQueryBuilder(Membership, 'm')
      .innerJoinAndMapOne('m.identity', Identity, 'i', 'i.id = m.identity_id')
      .where('m.business_id = :businessId', { businessId })
      .andWhere('m.identity_id IN (:...identityIds)', { identityIds: [...new Set(identityIds)] });
  }

  /** Members of one kind, oldest membership first, keyset on (created_at, identity_id). */
  async list(
    businessId: string,
    kind: IdentityKind,
    limit: number,
    after: Keyset | null,
    db: Reader,
  ): Promise<MemberRow[]> {
    assertBusinessId(businessId);
    const qb = db
      .createQueryBuilder(Membership, 'm')
      .innerJoinAndMapOne('m.identity', Identity, 'i', 'i.id = m.identity_id')
      .where('m.business_id = :businessId', { businessId })
      .andWhere('i.kind = :kind', { kind });
    return memberRows(
      await keysetPage(qb, 'm.created_at', 'm.identity_id', limit, after).getMany(),
    );
  }

  countOwners(businessId: string, db: Reader): Promise<number> {
    assertBusinessId(businessId);
    return db.countBy(Membership, { businessId, role: 'owner' });
  }

  async insert(membership: Membership, tx: Transaction): Promise<void> {
    assertBusinessId(membership.businessId);
    await tx.insert(Membership, membership);
  }

  /** Gives a built-in role, which replaces a custom role the member held. */
  async updateRole(businessId: string, identityId: string, role: Role, tx: Transaction) {
    assertBusinessId(businessId);
    await tx.update(Membership, { businessId, identityId }, { role, customRoleId: null });
  }

  /** Gives a custom role (`role` is its base role), or takes it back (`customRoleId` null). */
  async setCustomRole(
    businessId: string,
    identityId: string,
    role: Role,
    customRoleId: string | null,
    tx: Transaction,
  ) {
    assertBusinessId(businessId);
    await tx.update(Membership, { businessId, identityId }, { role, customRoleId });
  }

  /** How many members hold the custom role. */
  countHolding(businessId: string, customRoleId: string, db: Reader): Promise<number> {
    assertBusinessId(businessId);
    return db.countBy(Membership, { businessId, customRoleId });
  }

  /**
   * Ends a membership. It first takes the issuance lock exclusively, so it waits for every
   * token issuance under way for this identity to commit, and none starts until it ends: the
   * caller then revokes what it finds, and finds everything.
   */
  async delete(businessId: string, identityId: string, tx: Transaction): Promise<boolean> {
    assertBusinessId(businessId);
    await holdKeyLock(membershipKey(businessId, identityId), 'exclusive', tx);
    const result = await tx.delete(Membership, { businessId, identityId });
    return (result.affected ?? 0) > 0;
  }
}

/** Memberships read with their identity (`innerJoinAndMapOne`), as rows. */
function memberRows(rows: Membership[]): MemberRow[] {
  return rows.map((m) => {
    const { identity, ...membership } = m as Membership & { identity: Identity };
    return { membership: Object.assign(new Membership(), membership), identity };
  });
}
