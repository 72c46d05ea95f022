import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Keyset } from '../../common/validation/pagination';
import { assertBusinessId } from '../../common/tenant-scope';
import { holdKeyLock, membershipKey, readUnderKeyLocks } from '../../database/units/key-lock';
import { keysetPage } from '../../database/keyset';
import { Identity, IdentityKind } from './identity.entity';
import { Membership, Role } from './membership.entity';
import { Transaction, readerOf } from '../../database/units/unit-of-work';
import type { ReadSource } from '../../database/connection/read-routing';

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
  constructor(private readonly dataSource: DataSource) {}

  find(businessId: string, identityId: string, tx: Transaction | null) {
    assertBusinessId(businessId);
    return readerOf(tx, this.dataSource).findOneBy(Membership, { businessId, identityId });
  }

  /** A membership with its identity, of the given kind. */
  async findMember(
    businessId: string,
    identityId: string,
    kind: IdentityKind,
    tx: Transaction | null,
  ): Promise<MemberRow | null> {
    assertBusinessId(businessId);
    const membership = await readerOf(tx, this.dataSource).findOneBy(Membership, {
      businessId,
      identityId,
    });
    if (!membership) return null;
    const identity = await readerOf(tx, this.dataSource).findOneBy(Identity, {
      id: identityId,
      kind,
    });
    return identity ? { membership, identity } : null;
  }

  /**
   * The memberships, with identities, of those of `identityIds` who are members of the business.
   * With `lock` (inside a transaction, one identity), the issuance lock is taken first: see
   * `TokenAccess.holderTarget` (tokens) for the rule.
   */
  async findMembers(
    businessId: string,
    identityIds: readonly string[],
    tx: Transaction | null,
    options: { lock?: boolean } = {},
  ): Promise<MemberRow[]> {
    assertBusinessId(businessId);
    if (identityIds.length === 0) return [];
    const qb = readerOf(tx, this.dataSource)
      .createQueryBuilder(Membership, 'm')
      .innerJoinAndMapOne('m.identity', Identity, 'i', 'i.id = m.identity_id')
      .where('m.business_id = :businessId', { businessId })
      .andWhere('m.identity_id IN (:...identityIds)', { identityIds: [...new Set(identityIds)] });
    let rows: Membership[];
    if (options.lock) {
      if (!tx) throw new Error('findMembers: a lock is held only inside a transaction');
      const keys = [...new Set(identityIds)].map((id) => membershipKey(businessId, id));
      rows = await readUnderKeyLocks(keys, 'shared', () => qb.getMany(), tx);
    } else {
      rows = await qb.getMany();
    }
    return rows.map((m) => {
      const { identity, ...membership } = m as Membership & { identity: Identity };
      return { membership: Object.assign(new Membership(), membership), identity };
    });
  }

  /** Members of one kind, oldest membership first, keyset on (created_at, identity_id). */
  async list(
    businessId: string,
    kind: IdentityKind,
    limit: number,
    after: Keyset | null,
    from: ReadSource,
  ): Promise<MemberRow[]> {
    assertBusinessId(businessId);
    const qb = from.manager
      .createQueryBuilder(Membership, 'm')
      .innerJoinAndMapOne('m.identity', Identity, 'i', 'i.id = m.identity_id')
      .where('m.business_id = :businessId', { businessId })
      .andWhere('i.kind = :kind', { kind });
    const rows = await keysetPage(qb, 'm.created_at', 'm.identity_id', limit, after).getMany();
    return rows.map((m) => {
      const { identity, ...membership } = m as Membership & { identity: Identity };
      return { membership: Object.assign(new Membership(), membership), identity };
    });
  }

  countOwners(tx: Transaction, businessId: string): Promise<number> {
    assertBusinessId(businessId);
    return tx.manager.countBy(Membership, { businessId, role: 'owner' });
  }

  async insert(tx: Transaction, membership: Membership): Promise<void> {
    assertBusinessId(membership.businessId);
    await tx.manager.insert(Membership, membership);
  }

  async updateRole(tx: Transaction, businessId: string, identityId: string, role: Role) {
    assertBusinessId(businessId);
    await tx.manager.update(Membership, { businessId, identityId }, { role });
  }

  /**
   * Ends a membership. It first takes the issuance lock exclusively, so it waits for every
   * token issuance under way for this identity to commit, and none starts until it ends: the
   * caller then revokes what it finds, and finds everything.
   */
  async delete(tx: Transaction, businessId: string, identityId: string): Promise<boolean> {
    assertBusinessId(businessId);
    await holdKeyLock(membershipKey(businessId, identityId), 'exclusive', tx);
    const result = await tx.manager.delete(Membership, { businessId, identityId });
    return (result.affected ?? 0) > 0;
  }
}
