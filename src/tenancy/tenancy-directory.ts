import { Injectable } from '@nestjs/common';
import type { BusinessDirectory } from '../auth/ports';
import { Database } from '../database/connection/read-routing';
import type { Reader } from '../database/units/reader';
import type { Transaction } from '../database/units/unit-of-work';
import { Business } from './store/business.entity';
import { BusinessesRepository } from './store/businesses.repository';
import { Identity } from './store/identity.entity';
import { IdentitiesRepository } from './store/identities.repository';
import { Membership } from './store/membership.entity';
import { Role } from '../auth/roles';
import { MemberRow, MembershipsRepository } from './store/memberships.repository';

// The shapes the directory answers, named for other features, which never import tenancy's store.
export type { BusinessStatus } from './store/business.entity';
export type { Identity } from './store/identity.entity';

/** A member as the token policy classes one. */
export interface Member {
  id: string;
  kind: Identity['kind'];
  role: Role;
}

/**
 * The read side of tenancy that other modules may use: the verifier and the tokens service ask
 * here who an identity is and what it may do, and never touch tenancy's tables themselves. A
 * method without a reader reads the primary, outside any transaction.
 */
@Injectable()
export class TenancyDirectory implements BusinessDirectory {
  constructor(
    private readonly businesses: BusinessesRepository,
    private readonly identities: IdentitiesRepository,
    private readonly memberships: MembershipsRepository,
    private readonly database: Database,
  ) {}

  findBusiness(businessId: string): Promise<Business | null> {
    return this.businesses.findById(businessId, this.database.primary);
  }

  /**
   * The business, read once its row is locked as a membership change locks it: a sign-in that
   * makes a member reads a status that a suspension (an update of that row) cannot change before
   * it commits.
   */
  async businessForMembershipChange(businessId: string, tx: Transaction): Promise<Business | null> {
    await this.businesses.lockForMembershipChange(businessId, tx);
    return this.businesses.findById(businessId, tx);
  }

  findIdentityAnyBusiness(identityId: string): Promise<Identity | null> {
    return this.identities.findByIdAnyBusiness(identityId, this.database.primary);
  }

  /** Identities by id across businesses, for the platform routes only; unknown ids are absent. */
  identitiesAnyBusiness(ids: readonly string[]): Promise<Identity[]> {
    return this.identities.findManyAnyBusiness(ids, this.database.primary);
  }

  findMembership(businessId: string, identityId: string): Promise<Membership | null> {
    return this.memberships.find(businessId, identityId, this.database.primary);
  }

  /** Whether the identity is a member (a person or a machine) of the business, read in `db`. */
  async isMember(businessId: string, identityId: string, db: Reader): Promise<boolean> {
    return (await this.memberships.find(businessId, identityId, db)) !== null;
  }

  /** The business's machine identity of this id, unless it is deleted; null otherwise. */
  findMachine(businessId: string, identityId: string, db: Reader): Promise<Identity | null> {
    return this.identities.findMachine(businessId, identityId, db);
  }

  /**
   * Who among `identityIds` is a member of the business, with kind and role: what the token
   * policy needs to class a target. Identities that are not members are absent. One query.
   */
  async membersOf(
    businessId: string,
    identityIds: readonly string[],
    db: Reader,
  ): Promise<Map<string, Member>> {
    return memberMap(await this.memberships.findMembers(businessId, identityIds, db));
  }

  /** `membersOf`, once each one's issuance lock is held (shared): see `TokenAccess.holderTarget`. */
  async membersUnderLock(
    businessId: string,
    identityIds: readonly string[],
    tx: Transaction,
  ): Promise<Map<string, Member>> {
    return memberMap(await this.memberships.findMembersLocked(businessId, identityIds, tx));
  }

  findUserByEmail(email: string): Promise<Identity | null> {
    return this.identities.findUserByEmail(email, this.database.primary);
  }
}

function memberMap(rows: MemberRow[]): Map<string, Member> {
  return new Map(
    rows.map((r) => [
      r.identity.id,
      { id: r.identity.id, kind: r.identity.kind, role: r.membership.role },
    ]),
  );
}
