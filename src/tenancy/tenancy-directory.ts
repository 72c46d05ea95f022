import { Injectable } from '@nestjs/common';
import type { BusinessDirectory } from '../auth/ports';
import type { Transaction } from '../database/units/unit-of-work';
import { Business } from './store/business.entity';
import { BusinessesRepository } from './store/businesses.repository';
import { Identity } from './store/identity.entity';
import { IdentitiesRepository } from './store/identities.repository';
import { Membership, Role } from './store/membership.entity';
import { MembershipsRepository } from './store/memberships.repository';

/**
 * The read side of tenancy that other modules may use: the verifier and the tokens service ask
 * here who an identity is and what it may do, and never touch tenancy's tables themselves.
 */
@Injectable()
export class TenancyDirectory implements BusinessDirectory {
  constructor(
    private readonly businesses: BusinessesRepository,
    private readonly identities: IdentitiesRepository,
    private readonly memberships: MembershipsRepository,
  ) {}

  findBusiness(businessId: string): Promise<Business | null> {
    return this.businesses.findById(businessId, null);
  }

  findIdentityAnyBusiness(identityId: string): Promise<Identity | null> {
    return this.identities.findByIdAnyBusiness(identityId, null);
  }

  /** Identities by id across businesses, for the platform routes only; unknown ids are absent. */
  identitiesAnyBusiness(ids: readonly string[]): Promise<Identity[]> {
    return this.identities.findManyAnyBusiness(ids);
  }

  findMembership(businessId: string, identityId: string): Promise<Membership | null> {
    return this.memberships.find(businessId, identityId, null);
  }

  /**
   * Who among `identityIds` is a member of the business, with kind and role: what the token
   * policy needs to class a target. Identities that are not members are absent. One query.
   */
  async membersOf(
    tx: Transaction | null,
    businessId: string,
    identityIds: readonly string[],
    options: { lock?: boolean } = {},
  ): Promise<Map<string, { id: string; kind: Identity['kind']; role: Role }>> {
    const rows = await this.memberships.findMembers(businessId, identityIds, tx, options);
    return new Map(
      rows.map((r) => [
        r.identity.id,
        { id: r.identity.id, kind: r.identity.kind, role: r.membership.role },
      ]),
    );
  }

  findUserByEmail(email: string): Promise<Identity | null> {
    return this.identities.findUserByEmail(email, null);
  }
}
